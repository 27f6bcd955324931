//! Translation of SIMD (`v128`) operators: operand shapes from the table
//! in `simd_ops.rs`, plus the ones with immediates (constants, shuffles,
//! memory accesses). A `v128` occupies two cells, so results are pushed
//! wide.

use super::Translator;
use super::simd_ops::{SimdOp, simd_lane_access, simd_load, simd_op, simd_store};
use crate::exec::{self as x, addr};
use crate::ir::imm64;
use wasmparser::{MemArg, MemArgTarget, Operator};

/// The memory index and offset operands of a memarg.
fn mem_operands(memarg: &MemArg) -> (u32, [u32; 2]) {
    let MemArgTarget::Memory(mem) = memarg.target else {
        unreachable!("array memargs are GC-only")
    };
    (mem, imm64(memarg.offset))
}

/// Packs 16 bytes into four little-endian operands.
fn words(bytes: &[u8; 16]) -> [u32; 4] {
    let mut w = [0u32; 4];
    for (i, chunk) in bytes.chunks_exact(4).enumerate() {
        w[i] = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    w
}

impl Translator<'_> {
    /// Translates `op` if it is a SIMD operator; `false` if it is not.
    pub(super) fn translate_simd(&mut self, op: &Operator<'_>) -> bool {
        if let Some(shape) = simd_op(op) {
            self.simd_shape(shape);
            return true;
        }
        if let Some((memarg, h)) = simd_load(op) {
            let (mem, [lo, hi]) = mem_operands(&memarg);
            let a = self.pop_slot();
            self.emit_def_wide(h, &mut [0, a, lo, hi, mem, 0]);
            return true;
        }
        if let Some((memarg, h)) = simd_store(op) {
            let (mem, [lo, hi]) = mem_operands(&memarg);
            let v = self.pop_slot();
            let a = self.pop_slot();
            self.b.emit(h, &[a, v, lo, hi, mem, 0]);
            return true;
        }
        if let Some((memarg, lane, h, is_load)) = simd_lane_access(op) {
            let (mem, [lo, hi]) = mem_operands(&memarg);
            let v = self.pop_slot();
            let a = self.pop_slot();
            let lane = u32::from(lane);
            if is_load {
                self.emit_def_wide(h, &mut [0, a, v, lo, hi, mem, lane, 0]);
            } else {
                self.b.emit(h, &[a, v, lo, hi, mem, lane]);
            }
            return true;
        }
        match op {
            Operator::V128Const { value } => {
                let [w0, w1, w2, w3] = words(value.bytes());
                self.emit_def_wide(addr(x::v_const), &mut [0, 0, w0, w1, w2, w3]);
            }
            Operator::I8x16Shuffle { lanes } => {
                let b = self.pop_slot();
                let a = self.pop_slot();
                let [m0, m1, m2, m3] = words(lanes);
                self.emit_def_wide(x::shuffle_handler(), &mut [0, a, b, 0, m0, m1, m2, m3]);
            }
            _ => return false,
        }
        true
    }

    fn simd_shape(&mut self, shape: SimdOp) {
        match shape {
            SimdOp::Un(h) => {
                let a = self.pop_slot();
                self.emit_def_wide(h, &mut [0, a]);
            }
            SimdOp::Bin(h) => {
                let b = self.pop_slot();
                let a = self.pop_slot();
                self.emit_def_wide(h, &mut [0, a, b]);
            }
            SimdOp::Tern(h) => {
                let c = self.pop_slot();
                let b = self.pop_slot();
                let a = self.pop_slot();
                self.emit_def_wide(h, &mut [0, a, b, c]);
            }
            SimdOp::Test(h) => {
                let a = self.pop_slot();
                self.emit_def(h, &mut [0, a], None);
            }
            SimdOp::Shift(h) => {
                let s = self.pop_slot();
                let a = self.pop_slot();
                self.emit_def_wide(h, &mut [0, a, s]);
            }
            SimdOp::Splat(h) => {
                let v = self.pop_slot();
                self.emit_def_wide(h, &mut [0, v]);
            }
            SimdOp::Extract(h, lane) => {
                let a = self.pop_slot();
                self.emit_def(h, &mut [0, a, u32::from(lane)], None);
            }
            SimdOp::Replace(h, lane) => {
                let v = self.pop_slot();
                let a = self.pop_slot();
                self.emit_def_wide(h, &mut [0, a, v, u32::from(lane)]);
            }
        }
    }
}
