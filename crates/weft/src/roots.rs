//! The references the embedder holds: every `ExternRef` or `AnyRef` handle
//! names an entry of its store's root list, which the collector treats as
//! live. Entries are released last in, first out, when the [`RootScope`]
//! they were made in ends (or with the store, outside any scope). A handle
//! whose entry is gone is refused with an error, never followed.

use crate::store::{AsContext, AsContextMut, StoreContext, StoreContextMut};
use std::sync::Mutex;
use weft_gc::GcRef;

/// Which root list entry a handle holds: its index and the id it was given
/// (an index is reused after a scope ends; an id never is).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct RootId {
    index: u32,
    id: u64,
}

#[derive(Default)]
struct RootList {
    entries: Vec<(u64, GcRef)>,
    next_id: u64,
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
        let id = list.next_id;
        list.next_id += 1;
        list.entries.push((id, r));
        RootId {
            index: (list.entries.len() - 1) as u32,
            id,
        }
    }

    /// The reference rooted as `root`, if its scope has not ended.
    pub(crate) fn get(&self, root: RootId) -> Option<GcRef> {
        match self.list().entries.get(root.index as usize) {
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

    /// Appends every rooted reference to `out`.
    pub(crate) fn collect_into(&self, out: &mut Vec<GcRef>) {
        out.extend(self.list().entries.iter().map(|&(_, r)| r));
    }
}

/// A scope for the GC references the embedder receives: every `ExternRef`
/// and `AnyRef` made while it is alive (by a call's results, a table or
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
