//! [`ResourceType`]: the identity of a resource type. A host type is one
//! per Rust type; a type a component defines is new at every
//! instantiation, so two instances of one component never accept each
//! other's handles.

use std::any::TypeId;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where a resource type comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Origin {
    /// The host defines it (`ResourceType::host::<T>()`).
    Host,
    /// A component instance defines it.
    Guest,
    /// A type a component refers to before instantiation says what it is
    /// (only inside a translated component, never in a table).
    Unresolved,
}

/// A resource type, compared by identity.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResourceType {
    pub(crate) id: u64,
    pub(crate) origin: Origin,
    /// The component instance (in its store) that defines a guest type;
    /// `NO_OWNER` for others.
    pub(crate) owner: u32,
}

/// The owner of a type no component instance defines.
pub(crate) const NO_OWNER: u32 = u32::MAX;

/// The Rust types that name host resources, by registration order.
static HOST_TYPES: Mutex<Vec<TypeId>> = Mutex::new(Vec::new());
/// The last guest resource type made.
static GUEST_TYPES: AtomicU64 = AtomicU64::new(0);

impl ResourceType {
    /// The host resource type named by the Rust type `T`.
    pub fn host<T: 'static>() -> ResourceType {
        let want = TypeId::of::<T>();
        let mut types = HOST_TYPES.lock().unwrap_or_else(|e| e.into_inner());
        let id = match types.iter().position(|t| *t == want) {
            Some(i) => i,
            None => {
                types.push(want);
                types.len() - 1
            }
        };
        ResourceType {
            id: id as u64,
            origin: Origin::Host,
            owner: NO_OWNER,
        }
    }

    /// A host resource type no Rust type names (for stubbed imports).
    pub(crate) fn fresh_host() -> ResourceType {
        ResourceType {
            id: u64::MAX - GUEST_TYPES.fetch_add(1, Ordering::Relaxed),
            origin: Origin::Host,
            owner: NO_OWNER,
        }
    }

    /// A guest resource type no other instantiation shares, defined by
    /// component instance `owner`.
    pub(crate) fn fresh_guest(owner: u32) -> ResourceType {
        ResourceType {
            id: GUEST_TYPES.fetch_add(1, Ordering::Relaxed) + 1,
            origin: Origin::Guest,
            owner,
        }
    }

    /// Whether component instance `instance` defines this type (and so
    /// gets representations, not handles, of its borrows).
    pub(crate) fn defined_by(&self, instance: u32) -> bool {
        self.origin == Origin::Guest && self.owner == instance
    }

    /// The placeholder for the resource a translated component knows as
    /// `key`, resolved at instantiation.
    pub(crate) fn unresolved(key: u32) -> ResourceType {
        ResourceType {
            id: u64::from(key),
            origin: Origin::Unresolved,
            owner: NO_OWNER,
        }
    }

    /// The key of an unresolved placeholder.
    pub(crate) fn unresolved_key(&self) -> Option<u32> {
        (self.origin == Origin::Unresolved).then_some(self.id as u32)
    }

    /// Whether the host defines this type.
    pub fn is_host(&self) -> bool {
        self.origin == Origin::Host
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.origin {
            Origin::Host => "host resource",
            Origin::Guest => "guest-defined resource",
            Origin::Unresolved => "unresolved resource",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_types_are_one_per_rust_type_and_guest_types_are_fresh() {
        struct A;
        struct B;
        assert_eq!(ResourceType::host::<A>(), ResourceType::host::<A>());
        assert_ne!(ResourceType::host::<A>(), ResourceType::host::<B>());
        assert_ne!(ResourceType::fresh_guest(0), ResourceType::fresh_guest(0));
        assert!(ResourceType::host::<A>().is_host());
        assert!(!ResourceType::fresh_guest(0).is_host());
        assert!(ResourceType::fresh_guest(3).defined_by(3));
        assert!(!ResourceType::host::<A>().defined_by(NO_OWNER));
    }
}
