//! Constant expressions (global initialisers, segment offsets and items),
//! including the extended-const arithmetic, evaluated at instantiation.

use crate::error::{Error, Result};
use crate::module::ModuleInner;
use wasmparser as wp;

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
    pub(crate) fn parse(_m: &ModuleInner, e: &wp::ConstExpr<'_>) -> Result<ConstExpr> {
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
    /// given lookups.
    pub(crate) fn eval(&self, global: &dyn Fn(u32) -> u128, func: &dyn Fn(u32) -> u64) -> u128 {
        let mut stack: Vec<u128> = Vec::with_capacity(2);
        for op in &self.ops {
            let v = match op {
                ConstOp::Const(c) => *c,
                ConstOp::RefNull => 0,
                ConstOp::RefFunc(i) => u128::from(func(*i)),
                ConstOp::GlobalGet(i) => global(*i),
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
        stack.pop().unwrap_or(0)
    }
}
