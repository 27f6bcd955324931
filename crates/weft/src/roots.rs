//! The references the embedder holds: every handle (`ExternRef`,
//! `AnyRef`, `EqRef`, `StructRef`, `ArrayRef`, `Exception`) names an entry
//! of its store's root lists, which the collector treats as live. Scoped
//! entries are released last in, first out, when the [`RootScope`] they
//! were made in ends (or with the store, outside any scope); an
//! [`OwnedRooted`] entry lives until its last clone is dropped. A handle
//! whose entry is gone is refused with an error, never followed.

use crate::error::{Error, Result};
use crate::store::{AsContext, AsContextMut, StoreContext, StoreContextMut, StoreId, StoreInner};
use std::sync::{Arc, Mutex, Weak};
use weft_gc::GcRef;

/// Which root list entry a handle holds: its index, the id it was given
/// (an index is reused after its entry is released; an id never is), and
/// whether it is an owned entry or a scoped one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct RootId {
    index: u32,
    owned: bool,
    id: u64,
}

/// An owned entry: alive while its [`OwnedRooted`] clones hold `alive`.
struct OwnedEntry {
    id: u64,
    r: GcRef,
    alive: Weak<()>,
}

#[derive(Default)]
struct RootList {
    entries: Vec<(u64, GcRef)>,
    owned: Vec<OwnedEntry>,
    free_owned: Vec<u32>,
    next_id: u64,
}

impl RootList {
    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// A store's root list. Behind a lock because values are made from cells
/// where only a shared borrow of the store is at hand.
#[derive(Default)]
pub(crate) struct HostRoots {
    list: Mutex<RootList>,
}

impl HostRoots {
    fn list(&self) -> std::sync::MutexGuard<'_, RootList> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Roots `r` in the innermost scope.
    pub(crate) fn root(&self, r: GcRef) -> RootId {
        let mut list = self.list();
        let id = list.fresh_id();
        list.entries.push((id, r));
        RootId {
            index: (list.entries.len() - 1) as u32,
            owned: false,
            id,
        }
    }

    /// Roots `r` until every clone of the returned token is dropped.
    pub(crate) fn root_owned(&self, r: GcRef) -> (RootId, Arc<()>) {
        let mut list = self.list();
        let id = list.fresh_id();
        let alive = Arc::new(());
        let entry = OwnedEntry {
            id,
            r,
            alive: Arc::downgrade(&alive),
        };
        let index = match list.free_owned.pop() {
            Some(i) => {
                list.owned[i as usize] = entry;
                i
            }
            None => {
                list.owned.push(entry);
                (list.owned.len() - 1) as u32
            }
        };
        (
            RootId {
                index,
                owned: true,
                id,
            },
            alive,
        )
    }

    /// The reference rooted as `root`, if its entry is still held.
    pub(crate) fn get(&self, root: RootId) -> Option<GcRef> {
        let list = self.list();
        if root.owned {
            let e = list.owned.get(root.index as usize)?;
            return (e.id == root.id && e.alive.strong_count() > 0).then_some(e.r);
        }
        match list.entries.get(root.index as usize) {
            Some(&(id, r)) if id == root.id => Some(r),
            _ => None,
        }
    }

    /// How many entries there are (where a new scope starts).
    pub(crate) fn depth(&self) -> usize {
        self.list().entries.len()
    }

    /// Releases every entry made since `depth`.
    pub(crate) fn release_to(&self, depth: usize) {
        self.list().entries.truncate(depth);
    }

    /// Appends every rooted reference to `out`, releasing the owned
    /// entries whose handles are all dropped.
    pub(crate) fn collect_into(&self, out: &mut Vec<GcRef>) {
        let mut list = self.list();
        let list = &mut *list;
        out.extend(list.entries.iter().map(|&(_, r)| r));
        for (i, e) in list.owned.iter_mut().enumerate() {
            if e.alive.strong_count() > 0 {
                out.push(e.r);
            } else if e.r != GcRef(0) {
                e.r = GcRef(0);
                list.free_owned.push(i as u32);
            }
        }
    }
}

/// What every embedder handle holds: its store, its root entry, and the
/// reference itself (so two handles compare without the store). Nominally
/// public because [`OwnedRooted`]'s methods are bounded by
/// [`HandleType`]; this module is private, so neither can be named outside.
#[derive(Copy, Clone, Debug)]
pub struct Handle {
    store: StoreId,
    root: RootId,
    cell: u32,
}

impl PartialEq for Handle {
    fn eq(&self, other: &Handle) -> bool {
        (self.store, self.cell) == (other.store, other.cell)
    }
}

impl Eq for Handle {}

impl Handle {
    /// A handle to `r`, rooted in `store`'s innermost scope.
    pub(crate) fn new(store: &StoreInner, r: GcRef) -> Handle {
        Handle {
            store: store.id,
            root: store.gc_roots.root(r),
            cell: r.0,
        }
    }

    /// The reference, checked: the handle must belong to `store` and its
    /// root entry must still be held.
    pub(crate) fn get(&self, store: &StoreInner) -> Result<GcRef> {
        store.check(self.store)?;
        store.gc_roots.get(self.root).ok_or_else(|| {
            Error::Usage("a GC reference used after its root (scope or owner) was released".into())
        })
    }

    /// The reference as it was when the handle was made, unchecked (for
    /// printing).
    pub(crate) fn raw(&self) -> u32 {
        self.cell
    }

    /// The reference as an executor cell, checked.
    pub(crate) fn cell(&self, store: &StoreInner) -> Result<u64> {
        self.get(store).map(|r| u64::from(r.0))
    }

    /// A handle to the same reference held by an owned entry.
    fn owned(&self, store: &StoreInner) -> Result<(Handle, Arc<()>)> {
        let r = self.get(store)?;
        let (root, alive) = store.gc_roots.root_owned(r);
        Ok((Handle { root, ..*self }, alive))
    }
}

/// The handle types built on [`Handle`].
pub trait HandleType: Copy {
    /// The handle's root.
    fn handle(&self) -> Handle;
    /// The handle type around `h`.
    fn from_handle(h: Handle) -> Self;
}

/// A GC reference handle rooted in the innermost [`RootScope`], under the
/// name wasmtime gives it. weft's handle types (`ExternRef`, `AnyRef`,
/// `EqRef`, `StructRef`, `ArrayRef`) are such rooted handles themselves,
/// so `Rooted<ExternRef>` is `ExternRef`: code written against wasmtime's
/// `Rooted<T>` compiles unchanged, and a handle used after its scope ended
/// is an error either way.
pub type Rooted<T> = T;

/// A GC reference handle (`ExternRef`, `AnyRef`, `EqRef`, `StructRef`,
/// `ArrayRef`) rooted until this value and all its clones are dropped, not
/// by a [`RootScope`]: for references the embedder keeps in its own data
/// structures. It dereferences to the handle. A copy of the handle taken
/// out of it stops working once the last `OwnedRooted` is dropped.
///
/// ```
/// use weft::{Engine, ExternRef, RootScope, Store};
///
/// let mut store = Store::new(&Engine::default(), ());
/// let kept = {
///     let mut scope = RootScope::new(&mut store);
///     ExternRef::new(&mut scope, 7u32)?.to_owned_rooted(&scope)?
/// };
/// store.gc()?;
/// assert_eq!(kept.data(&store)?.downcast_ref::<u32>(), Some(&7));
/// let copy = *kept;
/// drop(kept);
/// assert!(copy.data(&store).is_err(), "its owner was dropped");
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct OwnedRooted<T> {
    handle: T,
    _alive: Arc<()>,
}

impl<T> std::ops::Deref for OwnedRooted<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.handle
    }
}

impl<T: HandleType> OwnedRooted<T> {
    /// An owned root for the reference `handle` names.
    pub(crate) fn new(store: &StoreInner, handle: &T) -> Result<OwnedRooted<T>> {
        let (h, alive) = handle.handle().owned(store)?;
        Ok(OwnedRooted {
            handle: T::from_handle(h),
            _alive: alive,
        })
    }

    /// A handle to the same reference rooted in the innermost scope of
    /// `store`.
    pub fn to_rooted(&self, store: impl AsContext) -> Result<T> {
        let inner = store.as_context().inner;
        let r = self.handle.handle().get(inner)?;
        Ok(T::from_handle(Handle::new(inner, r)))
    }
}

/// A scope for the GC references the embedder receives: every handle
/// made while it is alive (by a call's results, a table or
/// global read, `ExternRef::new`, ...) stays valid until it is dropped, and
/// is then released for the collector. Scopes nest, last in first out.
/// Without one, references live as long as the store.
///
/// ```
/// use weft::{Engine, ExternRef, RootScope, Store};
///
/// let mut store = Store::new(&Engine::default(), ());
/// let kept = ExternRef::new(&mut store, "kept")?;
/// let gone = {
///     let mut scope = RootScope::new(&mut store);
///     ExternRef::new(&mut scope, "temporary")?
/// };
/// assert!(kept.data(&store).is_ok());
/// assert!(gone.data(&store).is_err(), "its scope ended");
/// # Ok::<(), weft::Error>(())
/// ```
pub struct RootScope<C: AsContextMut> {
    store: C,
    depth: usize,
}

impl<C: AsContextMut> RootScope<C> {
    /// Opens a scope on `store`.
    pub fn new(mut store: C) -> RootScope<C> {
        let depth = store.as_context_mut().inner.gc_roots.depth();
        RootScope { store, depth }
    }
}

impl<C: AsContextMut> Drop for RootScope<C> {
    fn drop(&mut self) {
        let depth = self.depth;
        self.store.as_context_mut().inner.gc_roots.release_to(depth);
    }
}

impl<C: AsContextMut> AsContext for RootScope<C> {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        self.store.as_context()
    }
}

impl<C: AsContextMut> AsContextMut for RootScope<C> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        self.store.as_context_mut()
    }
}
