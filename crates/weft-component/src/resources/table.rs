//! One handle table: a slab of own and borrow handles with a free list, so
//! its size follows the live handles, not every handle ever made. Handle 0
//! is never given out, and handles stay below 2^30.

use super::ResourceError;
use super::ResourceType;
use super::scopes::ScopeId;

/// Handles stay below this (the guest keeps the top bits).
const MAX_HANDLES: u32 = 1 << 30;

/// One slot of a table.
#[derive(Copy, Clone, Debug)]
enum Slot {
    /// Unused; the next free slot (0: none).
    Free { next: u32 },
    /// An owning handle, lent to `lends` calls in progress.
    Own {
        rep: u32,
        ty: ResourceType,
        lends: u32,
    },
    /// A borrow given to the call of scope `scope`.
    Borrow {
        rep: u32,
        ty: ResourceType,
        scope: ScopeId,
    },
}

/// What dropping a handle leaves the caller to do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// An own handle: run the resource's destructor on `rep`.
    Own {
        /// The resource's representation.
        rep: u32,
    },
    /// A borrow handle: the call scope `scope` has one borrow fewer; no
    /// destructor runs.
    Borrow {
        /// The call the borrow was given to.
        scope: ScopeId,
    },
}

/// A handle table: one per component instance, and one for the host.
#[derive(Debug)]
pub struct HandleTable {
    /// Slot `i` is handle `i`; slot 0 is never used.
    slots: Vec<Slot>,
    /// The first free slot (0: none).
    free: u32,
    /// How many handles are live.
    live: usize,
    /// Handles stay below this.
    limit: u32,
}

impl Default for HandleTable {
    fn default() -> Self {
        HandleTable::new()
    }
}

impl HandleTable {
    /// An empty table.
    pub fn new() -> HandleTable {
        HandleTable {
            slots: vec![Slot::Free { next: 0 }],
            free: 0,
            live: 0,
            limit: MAX_HANDLES,
        }
    }

    /// An empty table whose handles stay below `limit` (for tests of the
    /// limit, which a real table reaches only with 2^30 handles).
    #[cfg(test)]
    fn with_limit(limit: u32) -> HandleTable {
        HandleTable {
            limit,
            ..HandleTable::new()
        }
    }

    /// How many handles are live.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no handle is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// How many slots the table holds, live or free (its memory).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn insert(&mut self, slot: Slot) -> Result<u32, ResourceError> {
        let handle = if self.free != 0 {
            let h = self.free;
            let Slot::Free { next } = self.slots[h as usize] else {
                unreachable!("the free list holds only free slots");
            };
            self.free = next;
            self.slots[h as usize] = slot;
            h
        } else {
            let h = u32::try_from(self.slots.len()).unwrap_or(self.limit);
            if h >= self.limit {
                return Err(ResourceError::TableFull);
            }
            self.slots.push(slot);
            h
        };
        self.live += 1;
        Ok(handle)
    }

    fn remove(&mut self, handle: u32) {
        self.slots[handle as usize] = Slot::Free { next: self.free };
        self.free = handle;
        self.live -= 1;
    }

    /// The live slot of `handle`, checked to hold a resource of type `ty`.
    fn slot(&self, handle: u32, ty: ResourceType) -> Result<Slot, ResourceError> {
        let slot = match self.slots.get(handle as usize) {
            Some(s) if handle != 0 && !matches!(s, Slot::Free { .. }) => *s,
            _ => return Err(ResourceError::UnknownHandle(handle)),
        };
        let found = match slot {
            Slot::Own { ty, .. } | Slot::Borrow { ty, .. } => ty,
            Slot::Free { .. } => unreachable!("checked above"),
        };
        if found != ty {
            return Err(ResourceError::WrongType {
                index: handle,
                expected: ty,
                found,
            });
        }
        Ok(slot)
    }

    /// A new own handle to `rep` (`resource.new`, or lowering an `own`).
    pub fn new_own(&mut self, rep: u32, ty: ResourceType) -> Result<u32, ResourceError> {
        self.insert(Slot::Own { rep, ty, lends: 0 })
    }

    /// A new borrow handle to `rep` for the call of `scope` (lowering a
    /// `borrow` into a callee that does not define the type). The caller
    /// counts it in the scope.
    pub fn new_borrow(
        &mut self,
        rep: u32,
        ty: ResourceType,
        scope: ScopeId,
    ) -> Result<u32, ResourceError> {
        self.insert(Slot::Borrow { rep, ty, scope })
    }

    /// The representation behind an own or borrow handle (`resource.rep`).
    pub fn rep(&self, handle: u32, ty: ResourceType) -> Result<u32, ResourceError> {
        match self.slot(handle, ty)? {
            Slot::Own { rep, .. } | Slot::Borrow { rep, .. } => Ok(rep),
            Slot::Free { .. } => unreachable!("slot() refuses free slots"),
        }
    }

    /// Frees `handle` (`resource.drop`): an own handle must not be lent,
    /// and leaves its destructor to run; a borrow leaves its scope to count
    /// one fewer.
    pub fn drop_handle(&mut self, handle: u32, ty: ResourceType) -> Result<Dropped, ResourceError> {
        let done = match self.slot(handle, ty)? {
            Slot::Own { lends: 1.., .. } => return Err(ResourceError::Borrowed),
            Slot::Own { rep, .. } => Dropped::Own { rep },
            Slot::Borrow { scope, .. } => Dropped::Borrow { scope },
            Slot::Free { .. } => unreachable!("slot() refuses free slots"),
        };
        self.remove(handle);
        Ok(done)
    }

    /// Takes ownership out of `handle` (lifting an `own`): like dropping an
    /// own handle, without the destructor.
    pub fn lift_own(&mut self, handle: u32, ty: ResourceType) -> Result<u32, ResourceError> {
        let rep = match self.slot(handle, ty)? {
            Slot::Own { lends: 1.., .. } => return Err(ResourceError::Borrowed),
            Slot::Own { rep, .. } => rep,
            Slot::Borrow { .. } => return Err(ResourceError::OwnFromBorrow),
            Slot::Free { .. } => unreachable!("slot() refuses free slots"),
        };
        self.remove(handle);
        Ok(rep)
    }

    /// The representation behind `handle` for a callee borrowing it
    /// (lifting a `borrow`). An own handle is lent: the result says so, and
    /// the caller records the lend in the call's scope, which gives it back
    /// with [`HandleTable::unlend`] when the call ends.
    pub fn lift_borrow(
        &mut self,
        handle: u32,
        ty: ResourceType,
    ) -> Result<(u32, bool), ResourceError> {
        match self.slot(handle, ty)? {
            Slot::Own { rep, ty, lends } => {
                let lends = lends.checked_add(1).ok_or(ResourceError::TooManyLends)?;
                self.slots[handle as usize] = Slot::Own { rep, ty, lends };
                Ok((rep, true))
            }
            Slot::Borrow { rep, .. } => Ok((rep, false)),
            Slot::Free { .. } => unreachable!("slot() refuses free slots"),
        }
    }

    /// Gives back one lend of own handle `handle` at the end of the call it
    /// was lent for.
    pub fn unlend(&mut self, handle: u32) -> Result<(), ResourceError> {
        match self.slots.get_mut(handle as usize) {
            Some(Slot::Own { lends, .. }) if *lends > 0 => {
                *lends -= 1;
                Ok(())
            }
            _ => Err(ResourceError::UnknownHandle(handle)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::resource_type::{NO_OWNER, Origin};

    const GUEST: ResourceType = ResourceType {
        id: 1,
        origin: Origin::Guest,
        owner: 0,
    };
    const HOST: ResourceType = ResourceType {
        id: 2,
        origin: Origin::Host,
        owner: NO_OWNER,
    };

    #[test]
    fn handles_start_at_one_and_slots_are_reused() {
        let mut t = HandleTable::new();
        let a = t.new_own(10, GUEST).unwrap();
        let b = t.new_own(11, GUEST).unwrap();
        assert_eq!((a, b), (1, 2));
        assert_eq!(t.drop_handle(a, GUEST), Ok(Dropped::Own { rep: 10 }));
        assert_eq!(t.new_own(12, GUEST), Ok(1), "the freed slot is reused");
        assert_eq!(t.capacity(), 3);
        assert_eq!(t.rep(0, GUEST), Err(ResourceError::UnknownHandle(0)));
    }

    #[test]
    fn every_misuse_is_its_own_error() {
        let mut t = HandleTable::new();
        let h = t.new_own(7, GUEST).unwrap();
        assert_eq!(
            t.rep(h, HOST).unwrap_err().to_string(),
            "handle index 1 used with the wrong type, expected host resource but found guest-defined resource"
        );
        assert_eq!(t.lift_borrow(h, GUEST), Ok((7, true)));
        assert_eq!(t.drop_handle(h, GUEST), Err(ResourceError::Borrowed));
        assert_eq!(t.lift_own(h, GUEST), Err(ResourceError::Borrowed));
        t.unlend(h).unwrap();
        assert_eq!(
            t.unlend(h),
            Err(ResourceError::UnknownHandle(h)),
            "no lend left"
        );
        assert_eq!(t.lift_own(h, GUEST), Ok(7));
        assert_eq!(
            t.drop_handle(h, GUEST).unwrap_err().to_string(),
            "unknown handle index 1"
        );
        let scope = super::super::CallScopes::new().enter();
        let b = t.new_borrow(8, GUEST, scope).unwrap();
        assert_eq!(t.lift_own(b, GUEST), Err(ResourceError::OwnFromBorrow));
        assert_eq!(t.lift_borrow(b, GUEST), Ok((8, false)));
        assert_eq!(t.drop_handle(b, GUEST), Ok(Dropped::Borrow { scope }));
    }

    #[test]
    fn a_full_table_refuses_another_handle_until_one_is_freed() {
        let mut t = HandleTable::with_limit(4);
        for rep in 0..3 {
            t.new_own(rep, GUEST).unwrap();
        }
        let full = t.new_own(9, GUEST).unwrap_err();
        assert_eq!(full.to_string(), "cannot allocate another handle");
        t.drop_handle(2, GUEST).unwrap();
        assert_eq!(t.new_own(9, GUEST), Ok(2));
        assert_eq!(HandleTable::new().limit, 1 << 30);
    }

    /// Millions of handles made and dropped in random order: the table
    /// never holds more slots than the most handles live at once (plus the
    /// unused slot 0), and every representation is dropped exactly once.
    #[test]
    fn churn_keeps_the_table_as_small_as_the_live_set() {
        let mut t = HandleTable::new();
        let mut live: Vec<u32> = Vec::new();
        let mut dropped = vec![false; 3_000_000];
        let (mut next_rep, mut peak) = (0u32, 0usize);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for step in 0..6_000_000u64 {
            // The live set drifts up and down between 0 and a few thousand.
            let grow = (step / 100_000) % 2 == 0;
            let make = live.is_empty() || (random() % 100) < if grow { 60 } else { 40 };
            if make && (next_rep as usize) < dropped.len() {
                live.push(t.new_own(next_rep, GUEST).unwrap());
                next_rep += 1;
                peak = peak.max(live.len());
            } else if !live.is_empty() {
                let i = (random() % live.len() as u64) as usize;
                let h = live.swap_remove(i);
                let Ok(Dropped::Own { rep }) = t.drop_handle(h, GUEST) else {
                    panic!("handle {h} did not drop as an own handle");
                };
                assert!(
                    !std::mem::replace(&mut dropped[rep as usize], true),
                    "rep {rep} dropped twice"
                );
            }
            assert!(t.capacity() <= peak + 1);
        }
        for h in live.drain(..) {
            let Ok(Dropped::Own { rep }) = t.drop_handle(h, GUEST) else {
                panic!("handle {h} did not drop");
            };
            assert!(!std::mem::replace(&mut dropped[rep as usize], true));
        }
        assert!(t.is_empty());
        assert!(
            dropped[..next_rep as usize].iter().all(|&d| d),
            "every resource dropped once"
        );
        assert!(next_rep > 2_000_000, "millions of handles: {next_rep}");
    }
}
