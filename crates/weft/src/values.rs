//! Values as the embedder sees them (`Val`, `Ref`, `ExternRef`), and their
//! conversion to and from the executor's 64-bit cells.

use crate::error::{Error, Result};
use crate::exception::Exception;
use crate::func::Func;
use crate::store::{AsContext, AsContextMut, StoreId, StoreInner};
use crate::types::{HeapType, Hierarchy, RefType, ValType};
use std::any::Any;

/// A WebAssembly value.
#[derive(Clone, Debug)]
pub enum Val {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as its bits (NaN payloads are kept).
    F32(u32),
    /// An `f64`, as its bits.
    F64(u64),
    /// A `v128`.
    V128(u128),
    /// A function reference.
    FuncRef(Option<Func>),
    /// An external (host) reference.
    ExternRef(Option<ExternRef>),
    /// An internal (GC) reference.
    AnyRef(Option<AnyRef>),
    /// An exception reference.
    ExnRef(Option<Exception>),
}

/// A reference value.
#[derive(Clone, Debug)]
pub enum Ref {
    /// A function reference.
    Func(Option<Func>),
    /// An external reference.
    Extern(Option<ExternRef>),
    /// An internal reference.
    Any(Option<AnyRef>),
    /// An exception reference.
    Exn(Option<Exception>),
}

/// An external reference: host data of any type boxed in a store's GC
/// heap, or (after `extern.convert_any`) a GC value seen as external.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ExternRef {
    store: StoreId,
    /// The reference's cell: a heap reference (`weft_gc::GcRef`).
    cell: u32,
}

/// An internal reference (GC object or i31), as an opaque handle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AnyRef {
    store: StoreId,
    cell: u64,
}

impl ExternRef {
    /// Wraps host data in a new external reference; an error if the
    /// store's GC heap is full.
    pub fn new(mut store: impl AsContextMut, value: impl Any + Send + Sync) -> Result<ExternRef> {
        let inner = store.as_context_mut().inner;
        let r = inner
            .gc
            .alloc_extern(Box::new(value), &mut ())
            .map_err(|e| Error::Usage(format!("cannot allocate an externref: {e}")))?;
        Ok(ExternRef {
            store: inner.id,
            cell: r.0,
        })
    }

    /// The host data this reference wraps; an error for a reference that
    /// holds no host data (a GC value converted by `extern.convert_any`).
    pub fn data<'a, S: AsContext>(&self, store: &'a S) -> Result<&'a (dyn Any + Send + Sync)> {
        let inner: &'a StoreInner = store_inner(store);
        inner.check(self.store)?;
        inner
            .gc
            .extern_data(weft_gc::GcRef(self.cell))
            .map_err(|e| Error::Usage(format!("externref holds no host data: {e}")))
    }

    /// The host data this reference wraps, mutably.
    pub fn data_mut<'a, S: AsContextMut>(
        &self,
        store: &'a mut S,
    ) -> Result<&'a mut (dyn Any + Send + Sync)> {
        let inner = store.as_context_mut().inner;
        inner.check(self.store)?;
        inner
            .gc
            .extern_data_mut(weft_gc::GcRef(self.cell))
            .map_err(|e| Error::Usage(format!("externref holds no host data: {e}")))
    }
}

impl ExternRef {
    /// The external view of an internal reference (`extern.convert_any`).
    pub fn convert_any(store: impl AsContext, any: AnyRef) -> Result<ExternRef> {
        let inner = store_inner(&store);
        inner.check(any.store)?;
        Ok(ExternRef {
            store: any.store,
            cell: any.cell as u32,
        })
    }
}

impl AnyRef {
    /// The internal view of an external reference (`any.convert_extern`).
    pub fn convert_extern(store: impl AsContext, ext: ExternRef) -> Result<AnyRef> {
        let inner = store_inner(&store);
        inner.check(ext.store)?;
        Ok(AnyRef {
            store: ext.store,
            cell: u64::from(ext.cell),
        })
    }

    /// The reference's kind of heap object, `None` for an i31.
    fn kind(&self, store: &StoreInner) -> Result<Option<weft_gc::Kind>> {
        store.check(self.store)?;
        let r = weft_gc::GcRef(self.cell as u32);
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
        store_inner(&store).check(self.store)?;
        Ok(weft_gc::GcRef(self.cell as u32).i31_unsigned())
    }

    /// Whether this is a struct.
    pub fn is_struct(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.kind(store_inner(&store))? == Some(weft_gc::Kind::Struct))
    }

    /// Whether this is an array.
    pub fn is_array(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.kind(store_inner(&store))? == Some(weft_gc::Kind::Array))
    }

    /// Whether this is an `eqref`: an i31, a struct or an array (not an
    /// external reference seen as internal).
    pub fn is_eq(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.kind(store_inner(&store))? != Some(weft_gc::Kind::Extern))
    }
}

/// The store behind a context, with the context's own lifetime.
pub(crate) fn store_inner<S: AsContext>(store: &S) -> &StoreInner {
    store.as_context().inner
}

impl Val {
    /// The value's type (for references, the most general of its hierarchy).
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
            Val::AnyRef(_) => ValType::Ref(RefType::ANYREF),
            Val::ExnRef(_) => ValType::Ref(RefType::EXNREF),
        }
    }

    /// The `i32`, if this is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `i64`, if this is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `f32`, if this is one.
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }

    /// The `f64`, if this is one.
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }

    /// The default (zero or null) value of a type, if it has one.
    pub fn default_for(ty: ValType) -> Option<Val> {
        Some(match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::Ref(r) if r.nullable => Val::null_of(r.heap),
            ValType::Ref(_) => return None,
        })
    }

    /// The default value of `ty`, resolving concrete reference types
    /// through `store`'s engine (a null of the type's own hierarchy).
    pub(crate) fn default_in(ty: ValType, store: &StoreInner) -> Option<Val> {
        match ty {
            ValType::Ref(r) if r.nullable => Some(match store.engine.types().hierarchy(r.heap) {
                Hierarchy::Func => Val::FuncRef(None),
                Hierarchy::Extern => Val::ExternRef(None),
                Hierarchy::Any => Val::AnyRef(None),
                Hierarchy::Exn => Val::ExnRef(None),
            }),
            other => Val::default_for(other),
        }
    }

    fn null_of(heap: HeapType) -> Val {
        match heap.abstract_hierarchy() {
            Some(Hierarchy::Extern) => Val::ExternRef(None),
            Some(Hierarchy::Any) => Val::AnyRef(None),
            Some(Hierarchy::Exn) => Val::ExnRef(None),
            _ => Val::FuncRef(None),
        }
    }

    /// The cell for this value in `store`, checking that references belong
    /// to it.
    pub(crate) fn to_cell(&self, store: &StoreInner) -> Result<u64> {
        Ok(match self {
            Val::I32(v) => u64::from(*v as u32),
            Val::I64(v) => *v as u64,
            Val::F32(v) => u64::from(*v),
            Val::F64(v) => *v,
            Val::V128(v) => *v as u64,
            Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) | Val::ExnRef(None) => 0,
            Val::ExnRef(Some(e)) => e.cell(store)?,
            Val::FuncRef(Some(f)) => {
                store.check(f.store)?;
                u64::from(f.index) + 1
            }
            Val::ExternRef(Some(e)) => {
                store.check(e.store)?;
                u64::from(e.cell)
            }
            Val::AnyRef(Some(a)) => {
                store.check(a.store)?;
                a.cell
            }
        })
    }

    /// Appends the cells of this value (two for a `v128`, low half first).
    pub(crate) fn push_cells(&self, store: &StoreInner, out: &mut Vec<u64>) -> Result<()> {
        out.push(self.to_cell(store)?);
        if let Val::V128(v) = self {
            out.push((*v >> 64) as u64);
        }
        Ok(())
    }

    /// The value of type `ty` at the start of `cells`, and how many cells
    /// it took.
    pub(crate) fn from_cells(cells: &[u64], ty: ValType, store: &StoreInner) -> (Val, usize) {
        match ty {
            ValType::V128 => {
                let v = u128::from(cells[0]) | u128::from(cells[1]) << 64;
                (Val::V128(v), 2)
            }
            other => (Val::from_cell(cells[0], other, store), 1),
        }
    }

    /// Decodes values of types `tys` from consecutive cells.
    pub(crate) fn all_from_cells(cells: &[u64], tys: &[ValType], store: &StoreInner) -> Vec<Val> {
        let mut at = 0;
        tys.iter()
            .map(|t| {
                let (v, n) = Val::from_cells(&cells[at..], *t, store);
                at += n;
                v
            })
            .collect()
    }

    /// How many cells values of types `tys` take.
    pub(crate) fn cell_count(tys: &[ValType]) -> usize {
        tys.iter()
            .map(|t| if *t == ValType::V128 { 2 } else { 1 })
            .sum()
    }

    /// The value of type `ty` held in `cell`.
    pub(crate) fn from_cell(cell: u64, ty: ValType, store: &StoreInner) -> Val {
        match ty {
            ValType::I32 => Val::I32(cell as u32 as i32),
            ValType::I64 => Val::I64(cell as i64),
            ValType::F32 => Val::F32(cell as u32),
            ValType::F64 => Val::F64(cell),
            ValType::V128 => Val::V128(u128::from(cell)),
            ValType::Ref(r) => {
                let hierarchy = store.engine.types().hierarchy(r.heap);
                let id = store.id;
                match (hierarchy, cell) {
                    (Hierarchy::Func, 0) => Val::FuncRef(None),
                    (Hierarchy::Func, c) => Val::FuncRef(Some(Func::from_raw(id, (c - 1) as u32))),
                    (Hierarchy::Extern, 0) => Val::ExternRef(None),
                    (Hierarchy::Extern, c) => Val::ExternRef(Some(ExternRef {
                        store: id,
                        cell: c as u32,
                    })),
                    (Hierarchy::Any, 0) => Val::AnyRef(None),
                    (Hierarchy::Any, c) => Val::AnyRef(Some(AnyRef { store: id, cell: c })),
                    (Hierarchy::Exn, 0) => Val::ExnRef(None),
                    (Hierarchy::Exn, c) => {
                        Val::ExnRef(Some(Exception::from_raw(id, (c - 1) as u32)))
                    }
                }
            }
        }
    }

    /// Whether this value can be stored where `ty` is expected.
    pub(crate) fn matches(&self, ty: ValType, store: &StoreInner) -> bool {
        match (self, ty) {
            (Val::I32(_), ValType::I32)
            | (Val::I64(_), ValType::I64)
            | (Val::F32(_), ValType::F32)
            | (Val::F64(_), ValType::F64)
            | (Val::V128(_), ValType::V128) => true,
            (Val::FuncRef(f), ValType::Ref(r)) => {
                let types = store.engine.types();
                match f {
                    None => r.nullable && types.hierarchy(r.heap) == Hierarchy::Func,
                    Some(f) => {
                        let fty = store.funcs.get(f.index as usize).map(|e| e.ty);
                        fty.is_some_and(|t| types.is_heap_subtype(HeapType::Concrete(t), r.heap))
                    }
                }
            }
            (Val::ExternRef(e), ValType::Ref(r)) => {
                let h = store.engine.types().hierarchy(r.heap);
                h == Hierarchy::Extern
                    && (e.is_some() || r.nullable)
                    && (e.is_none() || r.heap == HeapType::Extern)
            }
            (Val::ExnRef(e), ValType::Ref(r)) => {
                let h = store.engine.types().hierarchy(r.heap);
                h == Hierarchy::Exn
                    && (e.is_some() || r.nullable)
                    && (e.is_none() || r.heap == HeapType::Exn)
            }
            (Val::AnyRef(a), ValType::Ref(r)) => {
                let h = store.engine.types().hierarchy(r.heap);
                h == Hierarchy::Any && (a.is_some() || r.nullable)
            }
            _ => false,
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

impl From<Ref> for Val {
    fn from(r: Ref) -> Val {
        match r {
            Ref::Func(f) => Val::FuncRef(f),
            Ref::Extern(e) => Val::ExternRef(e),
            Ref::Any(a) => Val::AnyRef(a),
            Ref::Exn(e) => Val::ExnRef(e),
        }
    }
}

impl Ref {
    /// The reference inside a value, if it is one.
    pub fn from_val(v: Val) -> Option<Ref> {
        match v {
            Val::FuncRef(f) => Some(Ref::Func(f)),
            Val::ExternRef(e) => Some(Ref::Extern(e)),
            Val::AnyRef(a) => Some(Ref::Any(a)),
            Val::ExnRef(e) => Some(Ref::Exn(e)),
            _ => None,
        }
    }

    /// Whether this is a null reference.
    pub fn is_null(&self) -> bool {
        matches!(
            self,
            Ref::Func(None) | Ref::Extern(None) | Ref::Any(None) | Ref::Exn(None)
        )
    }
}
