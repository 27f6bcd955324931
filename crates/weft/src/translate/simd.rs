//! Translation of SIMD (`v128`) operators: operand shapes from the table
//! in `simd_ops.rs`, plus the ones with immediates (constants, shuffles,
//! memory accesses). A `v128` occupies two cells, so results are pushed
//! wide.

use super::Translator;
use super::simd_ops::{SimdOp, simd_lane_access, simd_load, simd_op, simd_store};
use crate::exec;
use crate::ir::h;
use crate::ir::isa::{self, Bytes16, Count, Imm64, Index, Slot};
use wasmparser::{MemArg, MemArgTarget, Operator};

/// The memory index and offset operands of a memarg.
fn mem_operands(memarg: &MemArg) -> (Index, Imm64) {
    let MemArgTarget::Memory(mem) = memarg.target else {
        unreachable!("array memargs are GC-only")
    };
    (Index(mem), Imm64::new(memarg.offset))
}

impl Translator<'_> {
    /// Translates `op` if it is a SIMD operator; `false` if it is not.
    pub(super) fn translate_simd(&mut self, op: &Operator<'_>) -> bool {
        if let Some(shape) = simd_op(op) {
            self.simd_shape(shape);
            return true;
        }
        if let Some((memarg, h)) = simd_load(op) {
            let (memory, offset) = mem_operands(&memarg);
            let a = self.pop_slot();
            self.emit_def_wide(h, |dst| isa::LoadMem {
                dst,
                addr: Slot(a),
                offset,
                memory,
            });
            return true;
        }
        if let Some((memarg, h)) = simd_store(op) {
            let (memory, offset) = mem_operands(&memarg);
            let v = self.pop_slot();
            let a = self.pop_slot();
            let ops = isa::StoreMem {
                addr: Slot(a),
                value: Slot(v),
                offset,
                memory,
            };
            self.code.emit(h, ops);
            return true;
        }
        if let Some((memarg, lane, h, is_load)) = simd_lane_access(op) {
            let (memory, offset) = mem_operands(&memarg);
            let v = self.pop_slot();
            let a = self.pop_slot();
            let lane = Count(u32::from(lane));
            if is_load {
                self.emit_def_wide(h, |dst| isa::VLoadLane {
                    dst,
                    addr: Slot(a),
                    vec: Slot(v),
                    offset,
                    memory,
                    lane,
                });
            } else {
                let ops = isa::VStoreLane {
                    addr: Slot(a),
                    vec: Slot(v),
                    offset,
                    memory,
                    lane,
                };
                self.code.emit(h, ops);
            }
            return true;
        }
        match op {
            Operator::V128Const { value } => {
                let value = Bytes16(*value.bytes());
                self.emit_def_wide(h!(exec::v_const), |dst| isa::VConst { dst, value });
            }
            Operator::I8x16Shuffle { lanes } => {
                let b = self.pop_slot();
                let a = self.pop_slot();
                self.emit_def_wide(exec::shuffle_handler(), |dst| isa::VShuffle {
                    dst,
                    a: Slot(a),
                    b: Slot(b),
                    lanes: Bytes16(*lanes),
                });
            }
            _ => return false,
        }
        true
    }

    fn simd_shape(&mut self, shape: SimdOp) {
        match shape {
            SimdOp::Un(h) => {
                let a = self.pop_slot();
                self.emit_def_wide(h, |dst| isa::Unary { dst, a: Slot(a) });
            }
            SimdOp::Bin(h) => {
                let b = self.pop_slot();
                let a = self.pop_slot();
                self.emit_def_wide(h, |dst| isa::BinRR {
                    dst,
                    a: Slot(a),
                    b: Slot(b),
                });
            }
            SimdOp::Tern(h) => {
                let c = self.pop_slot();
                let b = self.pop_slot();
                let a = self.pop_slot();
                self.emit_def_wide(h, |dst| isa::VTernary {
                    dst,
                    a: Slot(a),
                    b: Slot(b),
                    c: Slot(c),
                });
            }
            SimdOp::Test(h) => {
                let a = self.pop_slot();
                self.emit_def(h, |dst| isa::Unary { dst, a: Slot(a) }, None);
            }
            SimdOp::Shift(h) => {
                let s = self.pop_slot();
                let a = self.pop_slot();
                self.emit_def_wide(h, |dst| isa::BinRR {
                    dst,
                    a: Slot(a),
                    b: Slot(s),
                });
            }
            SimdOp::Splat(h) => {
                let v = self.pop_slot();
                self.emit_def_wide(h, |dst| isa::Unary { dst, a: Slot(v) });
            }
            SimdOp::Extract(h, lane) => {
                let a = self.pop_slot();
                let ops = |dst| isa::VExtract {
                    dst,
                    a: Slot(a),
                    lane: Count(u32::from(lane)),
                };
                self.emit_def(h, ops, None);
            }
            SimdOp::Replace(h, lane) => {
                let v = self.pop_slot();
                let a = self.pop_slot();
                self.emit_def_wide(h, |dst| isa::VReplace {
                    dst,
                    a: Slot(a),
                    x: Slot(v),
                    lane: Count(u32::from(lane)),
                });
            }
        }
    }
}
