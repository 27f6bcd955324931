//! The embedding API's typed GC objects, with wasmtime's names: struct
//! and array types the host defines ([`StructType`], [`ArrayType`]),
//! allocators for them in a store ([`StructRefPre`], [`ArrayRefPre`]), and
//! rooted handles to objects ([`StructRef`], [`ArrayRef`]) whose fields and
//! elements are read and written as [`Val`]s: packed `i8`/`i16` read
//! zero-extended and are written truncated; every other storage type
//! round-trips. A handle is rooted like an `AnyRef` (see `RootScope`).

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::gc::{FieldStorage, from_field, to_field};
use crate::refs::{AnyRef, EqRef};
use crate::roots::Handle;
use crate::store::{AsContext, AsContextMut, StoreId, StoreInner};
use crate::types::{CompositeType, FieldType, StorageType, TypeId, ValType};
use crate::values::{Val, store_inner};
use weft_gc::{GcRef, HeapError};

/// A struct type, registered with an engine.
#[derive(Clone, Debug)]
pub struct StructType {
    engine: Engine,
    id: TypeId,
}

/// An array type, registered with an engine.
#[derive(Clone, Debug)]
pub struct ArrayType {
    engine: Engine,
    id: TypeId,
}

impl StructType {
    /// The (final, supertype-less) struct type with these fields.
    pub fn new(engine: &Engine, fields: impl IntoIterator<Item = FieldType>) -> Result<StructType> {
        let composite = CompositeType::Struct(fields.into_iter().collect());
        let id = engine.types_mut().register_composite(composite);
        Ok(StructType {
            engine: engine.clone(),
            id,
        })
    }

    /// The type's fields.
    pub fn fields(&self) -> Vec<FieldType> {
        match &self.engine.types().get(self.id).composite {
            CompositeType::Struct(fields) => fields.to_vec(),
            _ => Vec::new(),
        }
    }

    /// Field `index`, if there is one.
    pub fn field(&self, index: usize) -> Option<FieldType> {
        self.fields().get(index).copied()
    }
}

impl ArrayType {
    /// The (final, supertype-less) array type of elements `element`.
    pub fn new(engine: &Engine, element: FieldType) -> ArrayType {
        let id = engine
            .types_mut()
            .register_composite(CompositeType::Array(element));
        ArrayType {
            engine: engine.clone(),
            id,
        }
    }

    /// The element type.
    pub fn field_type(&self) -> FieldType {
        match &self.engine.types().get(self.id).composite {
            CompositeType::Array(f) => *f,
            _ => unreachable!("an array type"),
        }
    }
}

/// Allocates structs of one type in one store.
#[derive(Clone, Debug)]
pub struct StructRefPre {
    store: StoreId,
    ty: StructType,
}

/// Allocates arrays of one type in one store.
#[derive(Clone, Debug)]
pub struct ArrayRefPre {
    store: StoreId,
    ty: ArrayType,
}

impl StructRefPre {
    /// An allocator for structs of type `ty` in `store`.
    pub fn new(mut store: impl AsContextMut, ty: StructType) -> StructRefPre {
        let inner = store.as_context_mut().inner;
        crate::gc::define_layouts(inner, &[ty.id]);
        StructRefPre {
            store: inner.id,
            ty,
        }
    }
}

impl ArrayRefPre {
    /// An allocator for arrays of type `ty` in `store`.
    pub fn new(mut store: impl AsContextMut, ty: ArrayType) -> ArrayRefPre {
        let inner = store.as_context_mut().inner;
        crate::gc::define_layouts(inner, &[ty.id]);
        ArrayRefPre {
            store: inner.id,
            ty,
        }
    }
}

/// A rooted handle to a struct. Two handles are equal when they name the
/// same struct.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct StructRef(pub(crate) Handle);

/// A rooted handle to an array. Two handles are equal when they name the
/// same array.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ArrayRef(pub(crate) Handle);

/// The value type a field's value has (`i32` for packed fields).
fn value_type(storage: StorageType) -> ValType {
    match storage {
        StorageType::I8 | StorageType::I16 => ValType::I32,
        StorageType::Val(v) => v,
    }
}

/// The field bits of `value`, checked against field type `f`.
fn field_bits(store: &StoreInner, value: &Val, f: FieldType, what: &str) -> Result<u128> {
    let ty = value_type(f.storage);
    if !value.matches(ty, store) {
        return Err(Error::usage(format!("{what} is not of type {ty}")));
    }
    let mut cells = Vec::with_capacity(2);
    value.push_cells(store, &mut cells)?;
    let storage = crate::gc::field_storage(f.storage);
    let hi = cells.get(1).copied().unwrap_or(0);
    Ok(to_field(cells[0], hi, storage))
}

/// The `Val` of field bits `bits` stored as `storage`, of field type `f`.
fn field_val(store: &StoreInner, bits: u128, storage: FieldStorage, f: FieldType) -> Val {
    let (lo, hi) = from_field(bits, storage, false);
    Val::from_cells(&[lo, hi], value_type(f.storage), store).0
}

fn heap_error(e: HeapError) -> Error {
    Error::Usage(format!("GC heap: {e}"))
}

/// The engine type of object `r`.
fn type_of(store: &StoreInner, r: GcRef) -> Result<TypeId> {
    crate::gc::object_type(store, r).map_err(heap_error)
}

impl StructRef {
    /// A new struct of `pre`'s type with `fields`, one value per field.
    pub fn new(
        mut store: impl AsContextMut,
        pre: &StructRefPre,
        fields: &[Val],
    ) -> Result<StructRef> {
        let inner = store.as_context_mut().inner;
        inner.check(pre.store)?;
        let types = pre.ty.fields();
        if types.len() != fields.len() {
            return Err(Error::usage(format!(
                "the struct has {} fields, {} values given",
                types.len(),
                fields.len()
            )));
        }
        let bits = fields
            .iter()
            .zip(&types)
            .enumerate()
            .map(|(i, (v, f))| field_bits(inner, v, *f, &format!("value {i}")))
            .collect::<Result<Vec<u128>>>()?;
        let ty = pre.ty.id.index();
        let r = crate::gc::allocate_for_host(inner, |heap| {
            heap.alloc_struct_with(ty, &mut (), |k, _| bits[k as usize])
        })?;
        Ok(StructRef::from_ref(inner, r))
    }

    /// The struct's type.
    pub fn ty(&self, store: impl AsContext) -> Result<StructType> {
        let inner = store_inner(&store);
        let r = self.gc_ref(inner)?;
        Ok(StructType {
            engine: inner.engine.clone(),
            id: type_of(inner, r)?,
        })
    }

    /// Whether the struct is of type `ty` or a subtype of it.
    pub fn matches_ty(&self, store: impl AsContext, ty: &StructType) -> Result<bool> {
        let inner = store_inner(&store);
        let id = type_of(inner, self.gc_ref(inner)?)?;
        Ok(inner.engine.types().is_subtype_id(id, ty.id))
    }

    /// The value of field `index`.
    pub fn field(&self, store: impl AsContext, index: usize) -> Result<Val> {
        let inner = store_inner(&store);
        let r = self.gc_ref(inner)?;
        let f = self.field_type(inner, r, index)?;
        let (bits, storage) = inner
            .gc
            .struct_get_typed(r, index as u32)
            .map_err(heap_error)?;
        Ok(field_val(inner, bits, storage, f))
    }

    /// Sets field `index` (which must be mutable) to `value`.
    pub fn set_field(&self, mut store: impl AsContextMut, index: usize, value: Val) -> Result<()> {
        let inner = store.as_context_mut().inner;
        let r = self.gc_ref(inner)?;
        let f = self.field_type(inner, r, index)?;
        if !f.mutable {
            return Err(Error::usage(format!("field {index} is immutable")));
        }
        let bits = field_bits(inner, &value, f, "the value")?;
        inner
            .gc
            .struct_set(r, index as u32, bits)
            .map_err(heap_error)
    }

    fn field_type(&self, store: &StoreInner, r: GcRef, index: usize) -> Result<FieldType> {
        let id = type_of(store, r)?;
        match &store.engine.types().get(id).composite {
            CompositeType::Struct(fields) => fields
                .get(index)
                .copied()
                .ok_or_else(|| Error::usage(format!("the struct has no field {index}"))),
            _ => Err(Error::usage("not a struct")),
        }
    }

    /// The struct as an `anyref`.
    pub fn to_anyref(&self) -> AnyRef {
        AnyRef::from(*self)
    }

    /// The struct as an `eqref`.
    pub fn to_eqref(&self) -> EqRef {
        EqRef::from(*self)
    }
}

impl ArrayRef {
    /// A new array of `pre`'s type: `len` copies of `elem`.
    pub fn new(
        mut store: impl AsContextMut,
        pre: &ArrayRefPre,
        elem: &Val,
        len: u32,
    ) -> Result<ArrayRef> {
        let inner = store.as_context_mut().inner;
        inner.check(pre.store)?;
        let bits = field_bits(inner, elem, pre.ty.field_type(), "the element")?;
        let ty = pre.ty.id.index();
        let r = crate::gc::allocate_for_host(inner, |heap| {
            let r = heap.alloc_array(ty, len, &mut ())?;
            if bits != 0 {
                heap.array_fill(r, 0, bits, len)?;
            }
            Ok(r)
        })?;
        Ok(ArrayRef::from_ref(inner, r))
    }

    /// A new array of `pre`'s type holding `elems`.
    pub fn new_fixed(
        mut store: impl AsContextMut,
        pre: &ArrayRefPre,
        elems: &[Val],
    ) -> Result<ArrayRef> {
        let inner = store.as_context_mut().inner;
        inner.check(pre.store)?;
        let f = pre.ty.field_type();
        let bits = elems
            .iter()
            .enumerate()
            .map(|(i, v)| field_bits(inner, v, f, &format!("element {i}")))
            .collect::<Result<Vec<u128>>>()?;
        let ty = pre.ty.id.index();
        let len = u32::try_from(bits.len()).map_err(|_| Error::usage("too many elements"))?;
        let r = crate::gc::allocate_for_host(inner, |heap| {
            let r = heap.alloc_array(ty, len, &mut ())?;
            for (i, b) in bits.iter().enumerate() {
                heap.array_set(r, i as u32, *b)?;
            }
            Ok(r)
        })?;
        Ok(ArrayRef::from_ref(inner, r))
    }

    /// The array's type.
    pub fn ty(&self, store: impl AsContext) -> Result<ArrayType> {
        let inner = store_inner(&store);
        let r = self.gc_ref(inner)?;
        Ok(ArrayType {
            engine: inner.engine.clone(),
            id: type_of(inner, r)?,
        })
    }

    /// Whether the array is of type `ty` or a subtype of it.
    pub fn matches_ty(&self, store: impl AsContext, ty: &ArrayType) -> Result<bool> {
        let inner = store_inner(&store);
        let id = type_of(inner, self.gc_ref(inner)?)?;
        Ok(inner.engine.types().is_subtype_id(id, ty.id))
    }

    /// The number of elements.
    pub fn len(&self, store: impl AsContext) -> Result<u32> {
        let inner = store_inner(&store);
        let r = self.gc_ref(inner)?;
        inner.gc.array_len(r).map_err(heap_error)
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.len(store)? == 0)
    }

    fn elem_type(&self, store: &StoreInner, r: GcRef) -> Result<FieldType> {
        match &store.engine.types().get(type_of(store, r)?).composite {
            CompositeType::Array(f) => Ok(*f),
            _ => Err(Error::usage("not an array")),
        }
    }

    /// Element `index`; an error past the end.
    pub fn get(&self, store: impl AsContext, index: u32) -> Result<Val> {
        let inner = store_inner(&store);
        let r = self.gc_ref(inner)?;
        let f = self.elem_type(inner, r)?;
        let bits = inner.gc.array_get(r, index).map_err(heap_error)?;
        let storage = inner.gc.array_elem(r).map_err(heap_error)?;
        Ok(field_val(inner, bits, storage, f))
    }

    /// Every element, in order.
    pub fn elems(&self, store: impl AsContext) -> Result<Vec<Val>> {
        let n = self.len(&store)?;
        (0..n).map(|i| self.get(&store, i)).collect()
    }

    /// Sets element `index` (the type's elements must be mutable).
    pub fn set(&self, mut store: impl AsContextMut, index: u32, value: Val) -> Result<()> {
        let inner = store.as_context_mut().inner;
        let r = self.gc_ref(inner)?;
        let f = self.elem_type(inner, r)?;
        if !f.mutable {
            return Err(Error::usage("the array's elements are immutable"));
        }
        let bits = field_bits(inner, &value, f, "the value")?;
        inner.gc.array_set(r, index, bits).map_err(heap_error)
    }

    /// The array as an `anyref`.
    pub fn to_anyref(&self) -> AnyRef {
        AnyRef::from(*self)
    }

    /// The array as an `eqref`.
    pub fn to_eqref(&self) -> EqRef {
        EqRef::from(*self)
    }
}
