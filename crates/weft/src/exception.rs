//! Exception tags and exceptions as the embedder sees them: a `Tag` can be
//! defined, imported and exported; an `Exception` that escapes Wasm is an
//! `Error::Exception` carrying its tag and payload, and a host function can
//! throw one into Wasm by returning it as an error.

use crate::error::{Error, Result};
use crate::store::{AsContext, AsContextMut, StoreId, StoreInner};
use crate::types::FuncType;
use crate::values::Val;
use std::fmt;

/// An exception tag in a store.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub(crate) store: StoreId,
    pub(crate) index: u32,
}

/// An exception (what an `exnref` refers to): a tag and its payload.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    pub(crate) store: StoreId,
    pub(crate) index: u32,
}

impl Tag {
    pub(crate) fn from_raw(store: StoreId, index: u32) -> Tag {
        Tag { store, index }
    }

    /// A new tag whose payload has the parameter types of `ty` (which must
    /// have no results).
    pub fn new(mut store: impl AsContextMut, ty: &FuncType) -> Result<Tag> {
        if !ty.results().is_empty() {
            return Err(Error::usage("a tag's type has no results"));
        }
        let inner = store.as_context_mut().inner;
        let id = inner.engine.types_mut().register_func(ty.clone());
        Ok(Tag {
            store: inner.id,
            index: inner.push_tag(id),
        })
    }

    /// The tag's payload type (a function type without results).
    ///
    /// # Panics
    ///
    /// If the tag belongs to another store.
    #[track_caller]
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let inner = store.as_context().inner.owning(self.store);
        let id = inner.tags[self.index as usize].ty;
        inner
            .engine
            .types()
            .func_type(id)
            .cloned()
            .unwrap_or_else(|| FuncType::new([], []))
    }
}

impl Exception {
    pub(crate) fn from_raw(store: StoreId, index: u32) -> Exception {
        Exception { store, index }
    }

    /// A new exception of `tag` with `payload`, for a host function to
    /// throw into Wasm (return it as `Err(exception.into())`).
    pub fn new(mut store: impl AsContextMut, tag: Tag, payload: &[Val]) -> Result<Exception> {
        let inner = store.as_context_mut().inner;
        inner.check(tag.store)?;
        let ty = Tag::ty(&tag, &crate::store::StoreContext { inner, data: &() });
        if payload.len() != ty.params().len() {
            return Err(Error::usage(format!(
                "tag takes {} payload values, {} given",
                ty.params().len(),
                payload.len()
            )));
        }
        let mut cells = Vec::with_capacity(payload.len());
        for (i, (v, t)) in payload.iter().zip(ty.params()).enumerate() {
            if !v.matches(*t, inner) {
                return Err(Error::usage(format!(
                    "payload value {i} is not of type {t}"
                )));
            }
            v.push_cells(inner, &mut cells)?;
        }
        let index = inner.push_exception(tag.index, cells.into());
        Ok(Exception {
            store: inner.id,
            index,
        })
    }

    /// The exception's tag.
    pub fn tag(&self, store: impl AsContext) -> Result<Tag> {
        let inner = store.as_context().inner;
        inner.check(self.store)?;
        Ok(Tag::from_raw(
            self.store,
            inner.exceptions[self.index as usize].tag,
        ))
    }

    /// The exception's payload values.
    pub fn payload(&self, store: impl AsContext) -> Result<Vec<Val>> {
        let cx = store.as_context();
        cx.inner.check(self.store)?;
        let exn = &cx.inner.exceptions[self.index as usize];
        let ty = Tag::from_raw(self.store, exn.tag).ty(&cx);
        Ok(Val::all_from_cells(&exn.payload, ty.params(), cx.inner))
    }

    /// The cell for an `exnref` to this exception.
    pub(crate) fn cell(&self, store: &StoreInner) -> Result<u64> {
        store.check(self.store)?;
        Ok(u64::from(self.index) + 1)
    }
}

impl fmt::Display for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uncaught wasm exception #{}", self.index)
    }
}

impl From<Exception> for Error {
    fn from(e: Exception) -> Error {
        Error::Exception(e)
    }
}
