//! Values as the embedder sees them (`Val`, `Ref`), and their conversion
//! to and from the executor's 64-bit cells.

use crate::error::Result;
use crate::exception::Exception;
use crate::func::Func;
pub use crate::refs::{AnyRef, ExternRef};
use crate::store::{AsContext, StoreInner};
use crate::types::{HeapType, Hierarchy, RefType, ValType};
use weft_gc::GcRef;

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

    /// The null of `heap`'s hierarchy.
    fn null_of(heap: HeapType) -> Val {
        match heap.hierarchy() {
            Hierarchy::Func => Val::FuncRef(None),
            Hierarchy::Extern => Val::ExternRef(None),
            Hierarchy::Any => Val::AnyRef(None),
            Hierarchy::Exn => Val::ExnRef(None),
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
            Val::ExternRef(Some(e)) => e.cell(store)?,
            Val::AnyRef(Some(a)) => a.cell(store)?,
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
                let hierarchy = r.heap.hierarchy();
                let id = store.id;
                match (hierarchy, cell) {
                    (Hierarchy::Func, 0) => Val::FuncRef(None),
                    (Hierarchy::Func, c) => Val::FuncRef(Some(Func::from_raw(id, (c - 1) as u32))),
                    (Hierarchy::Extern, 0) => Val::ExternRef(None),
                    (Hierarchy::Extern, c) => {
                        Val::ExternRef(Some(ExternRef::from_ref(store, GcRef(c as u32))))
                    }
                    (Hierarchy::Any, 0) => Val::AnyRef(None),
                    (Hierarchy::Any, c) => {
                        Val::AnyRef(Some(AnyRef::from_ref(store, GcRef(c as u32))))
                    }
                    (Hierarchy::Exn, 0) => Val::ExnRef(None),
                    (Hierarchy::Exn, c) => {
                        Val::ExnRef(Some(Exception::from_ref(store, GcRef(c as u32))))
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
                    None => r.nullable && r.heap.hierarchy() == Hierarchy::Func,
                    Some(f) => {
                        let fty = store.funcs.get(f.index as usize).map(|e| e.ty);
                        fty.is_some_and(|t| types.is_heap_subtype(HeapType::Concrete(t), r.heap))
                    }
                }
            }
            (Val::ExternRef(e), ValType::Ref(r)) => {
                let h = r.heap.hierarchy();
                h == Hierarchy::Extern
                    && (e.is_some() || r.nullable)
                    && (e.is_none() || r.heap == HeapType::Extern)
            }
            (Val::ExnRef(e), ValType::Ref(r)) => {
                let h = r.heap.hierarchy();
                h == Hierarchy::Exn
                    && (e.is_some() || r.nullable)
                    && (e.is_none() || r.heap == HeapType::Exn)
            }
            (Val::AnyRef(None), ValType::Ref(r)) => {
                r.nullable && r.heap.hierarchy() == Hierarchy::Any
            }
            // A live reference of this store, of the type's kind (struct,
            // array or i31) and, for a concrete type, of a subtype of it.
            (Val::AnyRef(Some(a)), ValType::Ref(r)) => {
                r.heap.hierarchy() == Hierarchy::Any
                    && a.cell(store)
                        .is_ok_and(|c| crate::gc::ref_matches(store, c, r.heap, r.nullable))
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
