//! The embedder's handles to GC references of the any and extern
//! hierarchies: [`ExternRef`] (host data boxed in the store's heap, or any
//! GC value seen as external), [`AnyRef`] (an i31, struct or array),
//! [`EqRef`] (the same, comparable with `ref.eq`) and the unboxed
//! [`I31`]. Each handle holds a root (`roots.rs`), so the collector keeps
//! its object while the handle's scope lasts; a handle whose scope has
//! ended is refused with an error.

use crate::error::{Error, Result};
use crate::gc_objects::{ArrayRef, StructRef};
use crate::roots::{Handle, HandleType, OwnedRooted};
use crate::store::{AsContext, AsContextMut, StoreInner};
use crate::types::HeapType;
use crate::values::store_inner;
use std::any::Any;
use weft_gc::{GcRef, HeapError, Kind};

/// An external reference: host data of any type boxed in a store's GC
/// heap, or (after `extern.convert_any`) a GC value seen as external.
/// Two handles are equal when they name the same reference.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ExternRef(Handle);

/// An internal reference (GC object or i31), as an opaque handle. Two
/// handles are equal when they name the same reference.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AnyRef(Handle);

/// An `eqref`: an i31, struct or array, the references `ref.eq` compares.
/// Two handles are equal when they name the same reference.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EqRef(Handle);

/// An unboxed 31-bit integer, what an `i31ref` holds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct I31(u32);

/// The handle types, their conversion to owned roots, and their common
/// constructor from a heap reference.
macro_rules! handle_types {
    ($($t:ident),*) => {$(
        impl HandleType for $t {
            fn handle(&self) -> Handle {
                self.0
            }
            fn from_handle(h: Handle) -> Self {
                $t(h)
            }
        }

        impl $t {
            /// A handle to `r`, rooted in the innermost scope.
            pub(crate) fn from_ref(store: &StoreInner, r: GcRef) -> $t {
                $t(Handle::new(store, r))
            }

            /// The reference as an executor cell, if the handle is still
            /// rooted.
            pub(crate) fn cell(&self, store: &StoreInner) -> Result<u64> {
                self.0.cell(store)
            }

            /// The reference, if the handle is still rooted.
            pub(crate) fn gc_ref(&self, store: &StoreInner) -> Result<GcRef> {
                self.0.get(store)
            }

            /// The same reference rooted until the returned value (and its
            /// clones) are dropped, instead of until the current scope ends.
            pub fn to_owned_rooted(&self, store: impl AsContext) -> Result<OwnedRooted<$t>> {
                OwnedRooted::new(store_inner(&store), self)
            }
        }
    )*};
}

handle_types!(ExternRef, AnyRef, EqRef, StructRef, ArrayRef);

/// Whether `r` (a reference of the any or extern hierarchy) is of type
/// `ty` (nullable or not does not matter: `r` is never null here).
fn matches(store: &StoreInner, r: GcRef, ty: &HeapType) -> bool {
    crate::gc::ref_matches(store, u64::from(r.0), *ty, false)
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

    /// The host data this reference wraps; an error for a reference that
    /// holds no host data (a GC value converted by `extern.convert_any`).
    pub fn data<'a, S: AsContext>(&self, store: &'a S) -> Result<&'a (dyn Any + Send + Sync)> {
        let inner: &'a StoreInner = store_inner(store);
        let r = self.gc_ref(inner)?;
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
        let r = self.gc_ref(inner)?;
        inner
            .gc
            .extern_data_mut(r)
            .map_err(|e| Error::Usage(format!("externref holds no host data: {e}")))
    }

    /// The external view of an internal reference (`extern.convert_any`).
    pub fn convert_any(store: impl AsContext, any: AnyRef) -> Result<ExternRef> {
        let inner = store_inner(&store);
        let r = any.gc_ref(inner)?;
        Ok(ExternRef::from_ref(inner, r))
    }

    /// Whether the reference is of heap type `ty` (`extern`, or `noextern`
    /// which no reference is).
    pub fn matches_ty(&self, store: impl AsContext, ty: &HeapType) -> Result<bool> {
        let inner = store_inner(&store);
        Ok(matches(inner, self.gc_ref(inner)?, ty))
    }
}

impl AnyRef {
    /// The internal view of an external reference (`any.convert_extern`).
    pub fn convert_extern(store: impl AsContext, ext: ExternRef) -> Result<AnyRef> {
        let inner = store_inner(&store);
        let r = ext.gc_ref(inner)?;
        Ok(AnyRef::from_ref(inner, r))
    }

    /// An `i31ref` holding `value`, rooted in the innermost scope.
    pub fn from_i31(store: impl AsContext, value: I31) -> AnyRef {
        AnyRef::from_ref(store_inner(&store), GcRef::i31(value.0))
    }

    /// The reference's kind of heap object, `None` for an i31.
    fn kind(&self, store: &StoreInner) -> Result<Option<Kind>> {
        let r = self.gc_ref(store)?;
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

    /// The value of an `i31ref`.
    pub fn as_i31(&self, store: impl AsContext) -> Result<Option<I31>> {
        let r = self.gc_ref(store_inner(&store))?;
        Ok(r.i31_unsigned().map(I31))
    }

    /// Whether this is a struct.
    pub fn is_struct(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.kind(store_inner(&store))? == Some(Kind::Struct))
    }

    /// The struct this is, if it is one.
    pub fn as_struct(&self, store: impl AsContext) -> Result<Option<StructRef>> {
        Ok(self
            .is_struct(&store)?
            .then_some(StructRef::from_handle(self.0)))
    }

    /// Whether this is an array.
    pub fn is_array(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.kind(store_inner(&store))? == Some(Kind::Array))
    }

    /// The array this is, if it is one.
    pub fn as_array(&self, store: impl AsContext) -> Result<Option<ArrayRef>> {
        Ok(self
            .is_array(&store)?
            .then_some(ArrayRef::from_handle(self.0)))
    }

    /// Whether this is an `eqref`: an i31, a struct or an array (not an
    /// external reference seen as internal).
    pub fn is_eqref(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.kind(store_inner(&store))? != Some(Kind::Extern))
    }

    /// The `eqref` this is, if it is one.
    pub fn as_eqref(&self, store: impl AsContext) -> Result<Option<EqRef>> {
        Ok(self.is_eqref(&store)?.then_some(EqRef(self.0)))
    }

    /// Whether the reference is of heap type `ty` (abstract, or a concrete
    /// struct or array type given by its `TypeId`), as `ref.test` decides.
    pub fn matches_ty(&self, store: impl AsContext, ty: &HeapType) -> Result<bool> {
        let inner = store_inner(&store);
        Ok(matches(inner, self.gc_ref(inner)?, ty))
    }
}

impl EqRef {
    /// An `i31ref` holding `value`, rooted in the innermost scope.
    pub fn from_i31(store: impl AsContext, value: I31) -> EqRef {
        EqRef::from_ref(store_inner(&store), GcRef::i31(value.0))
    }

    /// The reference as an `anyref`.
    pub fn to_anyref(&self) -> AnyRef {
        AnyRef(self.0)
    }

    /// Whether this is an `i31ref`.
    pub fn is_i31(&self, store: impl AsContext) -> Result<bool> {
        self.to_anyref().is_i31(store)
    }

    /// The value of an `i31ref`.
    pub fn as_i31(&self, store: impl AsContext) -> Result<Option<I31>> {
        self.to_anyref().as_i31(store)
    }

    /// Whether this is a struct.
    pub fn is_struct(&self, store: impl AsContext) -> Result<bool> {
        self.to_anyref().is_struct(store)
    }

    /// The struct this is, if it is one.
    pub fn as_struct(&self, store: impl AsContext) -> Result<Option<StructRef>> {
        self.to_anyref().as_struct(store)
    }

    /// Whether this is an array.
    pub fn is_array(&self, store: impl AsContext) -> Result<bool> {
        self.to_anyref().is_array(store)
    }

    /// The array this is, if it is one.
    pub fn as_array(&self, store: impl AsContext) -> Result<Option<ArrayRef>> {
        self.to_anyref().as_array(store)
    }

    /// Whether the reference is of heap type `ty`.
    pub fn matches_ty(&self, store: impl AsContext, ty: &HeapType) -> Result<bool> {
        let inner = store_inner(&store);
        Ok(matches(inner, self.gc_ref(inner)?, ty))
    }
}

impl From<EqRef> for AnyRef {
    fn from(r: EqRef) -> AnyRef {
        r.to_anyref()
    }
}

impl From<StructRef> for AnyRef {
    fn from(r: StructRef) -> AnyRef {
        AnyRef(r.handle())
    }
}

impl From<ArrayRef> for AnyRef {
    fn from(r: ArrayRef) -> AnyRef {
        AnyRef(r.handle())
    }
}

impl From<StructRef> for EqRef {
    fn from(r: StructRef) -> EqRef {
        EqRef(r.handle())
    }
}

impl From<ArrayRef> for EqRef {
    fn from(r: ArrayRef) -> EqRef {
        EqRef(r.handle())
    }
}

impl I31 {
    /// `value`, if it fits in 31 bits unsigned.
    pub fn new_u32(value: u32) -> Option<I31> {
        (value < 1 << 31).then_some(I31(value))
    }

    /// `value`, if it fits in 31 bits signed.
    pub fn new_i32(value: i32) -> Option<I31> {
        (-(1 << 30)..1 << 30)
            .contains(&value)
            .then_some(I31(value as u32 & 0x7fff_ffff))
    }

    /// The low 31 bits of `value` (what `ref.i31` keeps).
    pub fn wrapping_u32(value: u32) -> I31 {
        I31(value & 0x7fff_ffff)
    }

    /// The low 31 bits of `value`.
    pub fn wrapping_i32(value: i32) -> I31 {
        I31::wrapping_u32(value as u32)
    }

    /// The value zero-extended (`i31.get_u`).
    pub fn get_u32(self) -> u32 {
        self.0
    }

    /// The value sign-extended (`i31.get_s`).
    pub fn get_i32(self) -> i32 {
        ((self.0 << 1) as i32) >> 1
    }
}
