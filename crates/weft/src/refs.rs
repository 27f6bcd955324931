//! The embedder's handles to GC references: [`ExternRef`] (host data boxed
//! in the store's heap, or any GC value seen as external) and [`AnyRef`]
//! (an i31, struct or array). Each handle holds a root (`roots.rs`), so the
//! collector keeps its object while the handle's scope lasts; a handle
//! whose scope has ended is refused with an error.

use crate::error::{Error, Result};
use crate::roots::RootId;
use crate::store::{AsContext, AsContextMut, StoreId, StoreInner};
use crate::values::store_inner;
use std::any::Any;
use weft_gc::{GcRef, HeapError, Kind};

/// An external reference: host data of any type boxed in a store's GC
/// heap, or (after `extern.convert_any`) a GC value seen as external.
/// Two handles are equal when they name the same reference.
#[derive(Copy, Clone, Debug)]
pub struct ExternRef {
    store: StoreId,
    root: RootId,
    cell: u32,
}

/// An internal reference (GC object or i31), as an opaque handle. Two
/// handles are equal when they name the same reference.
#[derive(Copy, Clone, Debug)]
pub struct AnyRef {
    store: StoreId,
    root: RootId,
    cell: u32,
}

impl PartialEq for ExternRef {
    fn eq(&self, other: &ExternRef) -> bool {
        (self.store, self.cell) == (other.store, other.cell)
    }
}

impl Eq for ExternRef {}

impl PartialEq for AnyRef {
    fn eq(&self, other: &AnyRef) -> bool {
        (self.store, self.cell) == (other.store, other.cell)
    }
}

impl Eq for AnyRef {}

/// The reference behind a handle of `store` rooted as `root`, checked.
pub(crate) fn rooted(store: &StoreInner, owner: StoreId, root: RootId) -> Result<GcRef> {
    store.check(owner)?;
    store.gc_roots.get(root).ok_or_else(|| {
        Error::Usage("a GC reference used after the root scope it was made in ended".into())
    })
}

impl ExternRef {
    /// Wraps host data in a new external reference, rooted in the
    /// innermost `RootScope`; an error if the store's GC heap is full.
    pub fn new(mut store: impl AsContextMut, value: impl Any + Send + Sync) -> Result<ExternRef> {
        let inner = store.as_context_mut().inner;
        // A refused allocation hands the data back for the next attempt.
        let mut data: Option<Box<dyn Any + Send + Sync>> = Some(Box::new(value));
        let r = crate::gc::allocate_for_host(inner, |heap| {
            let boxed = data.take().ok_or(HeapError::OutOfMemory)?;
            heap.alloc_extern(boxed, &mut ()).map_err(|(e, back)| {
                data = Some(back);
                e
            })
        })?;
        Ok(ExternRef::from_ref(inner, r))
    }

    /// A handle to `r`, rooted in the innermost scope.
    pub(crate) fn from_ref(store: &StoreInner, r: GcRef) -> ExternRef {
        ExternRef {
            store: store.id,
            root: store.gc_roots.root(r),
            cell: r.0,
        }
    }

    /// The reference's cell, if the handle is still rooted.
    pub(crate) fn cell(&self, store: &StoreInner) -> Result<u64> {
        rooted(store, self.store, self.root).map(|r| u64::from(r.0))
    }

    /// The host data this reference wraps; an error for a reference that
    /// holds no host data (a GC value converted by `extern.convert_any`).
    pub fn data<'a, S: AsContext>(&self, store: &'a S) -> Result<&'a (dyn Any + Send + Sync)> {
        let inner: &'a StoreInner = store_inner(store);
        let r = rooted(inner, self.store, self.root)?;
        inner
            .gc
            .extern_data(r)
            .map_err(|e| Error::Usage(format!("externref holds no host data: {e}")))
    }

    /// The host data this reference wraps, mutably.
    pub fn data_mut<'a, S: AsContextMut>(
        &self,
        store: &'a mut S,
    ) -> Result<&'a mut (dyn Any + Send + Sync)> {
        let inner = store.as_context_mut().inner;
        let r = rooted(inner, self.store, self.root)?;
        inner
            .gc
            .extern_data_mut(r)
            .map_err(|e| Error::Usage(format!("externref holds no host data: {e}")))
    }

    /// The external view of an internal reference (`extern.convert_any`).
    pub fn convert_any(store: impl AsContext, any: AnyRef) -> Result<ExternRef> {
        let inner = store_inner(&store);
        let r = rooted(inner, any.store, any.root)?;
        Ok(ExternRef::from_ref(inner, r))
    }
}

impl AnyRef {
    /// A handle to `r`, rooted in the innermost scope.
    pub(crate) fn from_ref(store: &StoreInner, r: GcRef) -> AnyRef {
        AnyRef {
            store: store.id,
            root: store.gc_roots.root(r),
            cell: r.0,
        }
    }

    /// The reference's cell, if the handle is still rooted.
    pub(crate) fn cell(&self, store: &StoreInner) -> Result<u64> {
        rooted(store, self.store, self.root).map(|r| u64::from(r.0))
    }

    /// A handle sharing the root of another (a struct's or array's).
    pub(crate) fn from_parts(store: StoreId, root: RootId, cell: u32) -> AnyRef {
        AnyRef { store, root, cell }
    }

    /// The handle's store, root and reference.
    pub(crate) fn parts(&self) -> (StoreId, RootId, u32) {
        (self.store, self.root, self.cell)
    }

    /// The internal view of an external reference (`any.convert_extern`).
    pub fn convert_extern(store: impl AsContext, ext: ExternRef) -> Result<AnyRef> {
        let inner = store_inner(&store);
        let r = rooted(inner, ext.store, ext.root)?;
        Ok(AnyRef::from_ref(inner, r))
    }

    /// The reference's kind of heap object, `None` for an i31.
    fn kind(&self, store: &StoreInner) -> Result<Option<Kind>> {
        let r = rooted(store, self.store, self.root)?;
        if r.is_i31() {
            return Ok(None);
        }
        store
            .gc
            .kind(r)
            .map(Some)
            .map_err(|e| Error::Usage(format!("not a live GC reference: {e}")))
    }

    /// Whether this is an `i31ref`.
    pub fn is_i31(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.kind(store_inner(&store))?.is_none())
    }

    /// The value of an `i31ref`, zero-extended (`i31.get_u`).
    pub fn as_i31(&self, store: impl AsContext) -> Result<Option<u32>> {
        let r = rooted(store_inner(&store), self.store, self.root)?;
        Ok(r.i31_unsigned())
    }

    /// Whether this is a struct.
    pub fn is_struct(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.kind(store_inner(&store))? == Some(Kind::Struct))
    }

    /// Whether this is an array.
    pub fn is_array(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.kind(store_inner(&store))? == Some(Kind::Array))
    }

    /// Whether this is an `eqref`: an i31, a struct or an array (not an
    /// external reference seen as internal).
    pub fn is_eq(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.kind(store_inner(&store))? != Some(Kind::Extern))
    }
}
