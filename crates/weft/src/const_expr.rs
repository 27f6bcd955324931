//! Constant expressions (global initialisers, segment offsets and items),
//! including the extended-const arithmetic and the GC allocations,
//! evaluated at instantiation.

use crate::error::{Error, Result, Trap, TrapKind};
use crate::module::ModuleInner;
use crate::types::TypeId;
use wasmparser as wp;
use weft_gc::{GcRef, Heap};

#[derive(Clone, Debug)]
enum ConstOp {
    Const(u128),
    RefNull,
    RefFunc(u32),
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
    RefI31,
    StructNew(TypeId),
    StructNewDefault(TypeId),
    ArrayNew(TypeId),
    ArrayNewDefault(TypeId),
    ArrayNewFixed(TypeId, u32),
}

/// A constant expression in a form quick to evaluate.
#[derive(Clone, Debug)]
pub(crate) struct ConstExpr {
    ops: Vec<ConstOp>,
}

impl ConstExpr {
    /// `ref.func index`.
    pub(crate) fn ref_func(index: u32) -> ConstExpr {
        ConstExpr {
            ops: vec![ConstOp::RefFunc(index)],
        }
    }

    /// Converts a validated constant expression.
    pub(crate) fn parse(m: &ModuleInner, e: &wp::ConstExpr<'_>) -> Result<ConstExpr> {
        let ty = |i: u32| m.types[i as usize];
        let mut ops = Vec::new();
        let mut reader = e.get_operators_reader();
        while !reader.eof() {
            use wp::Operator as O;
            let op = match reader.read()? {
                O::I32Const { value } => ConstOp::Const(u128::from(value as u32)),
                O::I64Const { value } => ConstOp::Const(u128::from(value as u64)),
                O::F32Const { value } => ConstOp::Const(u128::from(value.bits())),
                O::F64Const { value } => ConstOp::Const(u128::from(value.bits())),
                O::V128Const { value } => ConstOp::Const(value.i128() as u128),
                O::RefNull { .. } => ConstOp::RefNull,
                O::RefFunc { function_index } => ConstOp::RefFunc(function_index),
                O::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
                O::I32Add => ConstOp::I32Add,
                O::I32Sub => ConstOp::I32Sub,
                O::I32Mul => ConstOp::I32Mul,
                O::I64Add => ConstOp::I64Add,
                O::I64Sub => ConstOp::I64Sub,
                O::I64Mul => ConstOp::I64Mul,
                O::RefI31 => ConstOp::RefI31,
                O::StructNew { struct_type_index } => ConstOp::StructNew(ty(struct_type_index)),
                O::StructNewDefault { struct_type_index } => {
                    ConstOp::StructNewDefault(ty(struct_type_index))
                }
                O::ArrayNew { array_type_index } => ConstOp::ArrayNew(ty(array_type_index)),
                O::ArrayNewDefault { array_type_index } => {
                    ConstOp::ArrayNewDefault(ty(array_type_index))
                }
                O::ArrayNewFixed {
                    array_type_index,
                    array_size,
                } => ConstOp::ArrayNewFixed(ty(array_type_index), array_size),
                // An externref and an anyref are the same kind of cell.
                O::AnyConvertExtern | O::ExternConvertAny => continue,
                O::End => break,
                other => {
                    return Err(Error::Unsupported(format!(
                        "constant expression operator {other:?}"
                    )));
                }
            };
            ops.push(op);
        }
        Ok(ConstExpr { ops })
    }

    /// Evaluates to a value (a `v128` in all 128 bits, anything else in the
    /// low cell), reading globals and function references through the
    /// given lookups and allocating GC objects in `heap` (whose layouts
    /// the store has defined).
    pub(crate) fn eval(
        &self,
        global: &dyn Fn(u32) -> u128,
        func: &dyn Fn(u32) -> u64,
        heap: &mut Heap,
    ) -> Result<u128> {
        let mut stack: Vec<u128> = Vec::with_capacity(2);
        let oom = |e: weft_gc::HeapError| {
            let kind = if e == weft_gc::HeapError::OutOfMemory {
                TrapKind::GcHeapOutOfMemory
            } else {
                TrapKind::CorruptedGcHeap
            };
            Error::Trap(Trap::new(kind))
        };
        for op in &self.ops {
            let v = match op {
                ConstOp::Const(c) => *c,
                ConstOp::RefNull => 0,
                ConstOp::RefFunc(i) => u128::from(func(*i)),
                ConstOp::GlobalGet(i) => global(*i),
                ConstOp::RefI31 => {
                    let v = stack.pop().unwrap_or(0) as u32;
                    u128::from(GcRef::i31(v).0)
                }
                ConstOp::StructNew(t) | ConstOp::StructNewDefault(t) => {
                    let r = heap.alloc_struct(t.index(), &mut ()).map_err(oom)?;
                    if let ConstOp::StructNew(_) = op {
                        let n = match heap.layout(t.index()) {
                            Ok(weft_gc::Layout::Struct(l)) => l.fields.len(),
                            _ => 0,
                        };
                        let fields = stack.split_off(stack.len().saturating_sub(n));
                        for (i, v) in fields.into_iter().enumerate() {
                            heap.struct_set(r, i as u32, v).map_err(oom)?;
                        }
                    }
                    u128::from(r.0)
                }
                ConstOp::ArrayNew(t) | ConstOp::ArrayNewDefault(t) => {
                    let len = stack.pop().unwrap_or(0) as u32;
                    let value = match op {
                        ConstOp::ArrayNew(_) => stack.pop().unwrap_or(0),
                        _ => 0,
                    };
                    let r = heap.alloc_array(t.index(), len, &mut ()).map_err(oom)?;
                    if value != 0 {
                        heap.array_fill(r, 0, value, len).map_err(oom)?;
                    }
                    u128::from(r.0)
                }
                ConstOp::ArrayNewFixed(t, n) => {
                    let items = stack.split_off(stack.len().saturating_sub(*n as usize));
                    let r = heap.alloc_array(t.index(), *n, &mut ()).map_err(oom)?;
                    for (i, v) in items.into_iter().enumerate() {
                        heap.array_set(r, i as u32, v).map_err(oom)?;
                    }
                    u128::from(r.0)
                }
                bin => {
                    let b = stack.pop().unwrap_or(0) as u64;
                    let a = stack.pop().unwrap_or(0) as u64;
                    let (a32, b32) = (a as u32, b as u32);
                    u128::from(match bin {
                        ConstOp::I32Add => u64::from(a32.wrapping_add(b32)),
                        ConstOp::I32Sub => u64::from(a32.wrapping_sub(b32)),
                        ConstOp::I32Mul => u64::from(a32.wrapping_mul(b32)),
                        ConstOp::I64Add => a.wrapping_add(b),
                        ConstOp::I64Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    })
                }
            };
            stack.push(v);
        }
        Ok(stack.pop().unwrap_or(0))
    }
}
