//! Which instructions each Wasm operator becomes: the translator as a
//! `wasmparser` operator visitor, so the compiler checks that every
//! operator wasmparser knows has an arm (SIMD ones are in `simd.rs`).
//!
//! Families of operators that differ only in their handler (binary, unary,
//! loads and stores) are table rows expanded by the macros of `ops.rs`;
//! the rest are methods written out here, most delegating to the
//! translator's control-flow, call and exception code. Proposals weft does
//! not implement yet each have one arm in `visit_unsupported!`, which makes
//! their operators translation errors.

use super::ops::{
    BinForms, BinInfo, ImmClass, MemAccess, MemHandlers, StoreImmForms, br4, by_acc, load_br_forms,
    rr3, visit_binary, visit_memory, visit_unary,
};
use super::{Operand, Translator, control::Kind};
use crate::error::{Error, Result};
use crate::exec;
use crate::ir::h;
use crate::ir::isa::{self, Index, Slot};
use wasmparser::{
    BlockType, BrTable, HeapType, Ieee32, Ieee64, MemArg, RefType, TryTable, ValType,
    VisitOperator, VisitSimdOperator,
};

/// The error for an operator of a proposal weft does not implement yet.
fn unsupported(proposal: &str, op: &str) -> Error {
    Error::Unsupported(format!("instruction `{op}` (proposal `{proposal}`)"))
}

/// Visitor methods for the operators of proposals weft does not implement
/// yet, fed by `wasmparser::for_each_visit_operator!`: one arm per
/// implemented proposal expands to nothing (its operators have methods
/// above), and the last arm makes every other operator an error.
macro_rules! visit_unsupported {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*) )*) => {
        $( visit_unsupported!(one @$proposal $op $({ $($arg: $argty),* })? => $visit); )*
    };
    (one @mvp $($rest:tt)*) => {};
    (one @sign_extension $($rest:tt)*) => {};
    (one @saturating_float_to_int $($rest:tt)*) => {};
    (one @bulk_memory $($rest:tt)*) => {};
    (one @reference_types $($rest:tt)*) => {};
    (one @tail_call $($rest:tt)*) => {};
    (one @function_references $($rest:tt)*) => {};
    (one @exceptions $($rest:tt)*) => {};
    (one @legacy_exceptions $($rest:tt)*) => {};
    (one @gc $($rest:tt)*) => {};
    (one @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident) => {
        fn $visit(&mut self $($(, $arg: $argty)*)?) -> Self::Output {
            $($(let _ = $arg;)*)?
            Err(unsupported(stringify!($proposal), stringify!($op)))
        }
    };
}

impl<'a> VisitOperator<'a> for Translator<'_> {
    type Output = Result<()>;

    fn simd_visitor(&mut self) -> Option<&mut dyn VisitSimdOperator<'a, Output = Self::Output>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(visit_unsupported);

    visit_binary! {
    arith visit_i32_add => I32Add, Bits32, true, Some(32), None;
    arith visit_i32_sub => I32Sub, Bits32, false, None, None;
    arith visit_i32_mul => I32Mul, Bits32, true, None, None;
    arith visit_i32_div_s => I32DivS, Bits32, false, None, None;
    arith visit_i32_div_u => I32DivU, Bits32, false, None, None;
    arith visit_i32_rem_s => I32RemS, Bits32, false, None, None;
    arith visit_i32_rem_u => I32RemU, Bits32, false, None, None;
    arith visit_i32_and => I32And, Bits32, true, None, None;
    arith visit_i32_or => I32Or, Bits32, true, None, None;
    arith visit_i32_xor => I32Xor, Bits32, true, None, None;
    arith visit_i32_shl => I32Shl, Bits32, false, None, Some(32);
    arith visit_i32_shr_s => I32ShrS, Bits32, false, None, None;
    arith visit_i32_shr_u => I32ShrU, Bits32, false, None, None;
    arith visit_i32_rotl => I32Rotl, Bits32, false, None, None;
    arith visit_i32_rotr => I32Rotr, Bits32, false, None, None;
    arith visit_f32_add => F32Add, Bits32, true, None, None;
    arith visit_f32_sub => F32Sub, Bits32, false, None, None;
    arith visit_f32_mul => F32Mul, Bits32, true, None, None;
    arith visit_f32_div => F32Div, Bits32, false, None, None;
    arith visit_f32_min => F32Min, Bits32, true, None, None;
    arith visit_f32_max => F32Max, Bits32, true, None, None;
    arith visit_f32_copysign => F32Copysign, Bits32, false, None, None;
    arith visit_f64_add => F64Add, None, true, None, None;
    arith visit_f64_sub => F64Sub, None, false, None, None;
    arith visit_f64_mul => F64Mul, None, true, None, None;
    arith visit_f64_div => F64Div, None, false, None, None;
    arith visit_f64_min => F64Min, None, true, None, None;
    arith visit_f64_max => F64Max, None, true, None, None;
    arith visit_f64_copysign => F64Copysign, None, false, None, None;
    arith64 visit_i64_add => I64Add, true, Some(64), None;
    arith64 visit_i64_sub => I64Sub, false, None, None;
    arith64 visit_i64_mul => I64Mul, true, None, None;
    arith64 visit_i64_div_s => I64DivS, false, None, None;
    arith64 visit_i64_div_u => I64DivU, false, None, None;
    arith64 visit_i64_rem_s => I64RemS, false, None, None;
    arith64 visit_i64_rem_u => I64RemU, false, None, None;
    arith64 visit_i64_or => I64Or, true, None, None;
    arith64 visit_i64_xor => I64Xor, true, None, None;
    arith64 visit_i64_shl => I64Shl, false, None, Some(64);
    arith64 visit_i64_shr_s => I64ShrS, false, None, None;
    arith64 visit_i64_shr_u => I64ShrU, false, None, None;
    arith64 visit_i64_rotl => I64Rotl, false, None, None;
    arith64 visit_i64_rotr => I64Rotr, false, None, None;
    icmp visit_i32_eq => I32Eq, Bits32, true, I32Add, 32;
    icmp visit_i32_ne => I32Ne, Bits32, true, I32Add, 32;
    icmp visit_i32_lt_s => I32LtS, Bits32, false, I32Add, 32;
    icmp visit_i32_lt_u => I32LtU, Bits32, false, I32Add, 32;
    icmp visit_i32_gt_s => I32GtS, Bits32, false, I32Add, 32;
    icmp visit_i32_gt_u => I32GtU, Bits32, false, I32Add, 32;
    icmp visit_i32_le_s => I32LeS, Bits32, false, I32Add, 32;
    icmp visit_i32_le_u => I32LeU, Bits32, false, I32Add, 32;
    icmp visit_i32_ge_s => I32GeS, Bits32, false, I32Add, 32;
    icmp visit_i32_ge_u => I32GeU, Bits32, false, I32Add, 32;
    icmp visit_i64_eq => I64Eq, SignExt64, true, I64Add, 64;
    icmp visit_i64_ne => I64Ne, SignExt64, true, I64Add, 64;
    icmp visit_i64_lt_s => I64LtS, SignExt64, false, I64Add, 64;
    icmp visit_i64_lt_u => I64LtU, SignExt64, false, I64Add, 64;
    icmp visit_i64_gt_s => I64GtS, SignExt64, false, I64Add, 64;
    icmp visit_i64_gt_u => I64GtU, SignExt64, false, I64Add, 64;
    icmp visit_i64_le_s => I64LeS, SignExt64, false, I64Add, 64;
    icmp visit_i64_le_u => I64LeU, SignExt64, false, I64Add, 64;
    icmp visit_i64_ge_s => I64GeS, SignExt64, false, I64Add, 64;
    icmp visit_i64_ge_u => I64GeU, SignExt64, false, I64Add, 64;
    fcmp visit_f32_eq => F32Eq, Bits32, true;
    fcmp visit_f32_ne => F32Ne, Bits32, true;
    fcmp visit_f32_lt => F32Lt, Bits32, false;
    fcmp visit_f32_gt => F32Gt, Bits32, false;
    fcmp visit_f32_le => F32Le, Bits32, false;
    fcmp visit_f32_ge => F32Ge, Bits32, false;
    fcmp visit_f64_eq => F64Eq, None, true;
    fcmp visit_f64_ne => F64Ne, None, true;
    fcmp visit_f64_lt => F64Lt, None, false;
    fcmp visit_f64_gt => F64Gt, None, false;
    fcmp visit_f64_le => F64Le, None, false;
    fcmp visit_f64_ge => F64Ge, None, false;
    }

    visit_unary! {
    visit_i32_clz => I32Clz, visit_i32_ctz => I32Ctz, visit_i32_popcnt => I32Popcnt,
    visit_i32_extend8_s => I32Extend8S, visit_i32_extend16_s => I32Extend16S, visit_i32_wrap_i64 => I32WrapI64,
    visit_i64_clz => I64Clz, visit_i64_ctz => I64Ctz, visit_i64_popcnt => I64Popcnt,
    visit_i64_extend8_s => I64Extend8S, visit_i64_extend16_s => I64Extend16S, visit_i64_extend32_s => I64Extend32S,
    visit_i64_extend_i32_s => I64ExtendI32S, visit_i64_extend_i32_u => I64ExtendI32U,
    visit_f32_abs => F32Abs, visit_f32_neg => F32Neg, visit_f32_ceil => F32Ceil, visit_f32_floor => F32Floor,
    visit_f32_trunc => F32Trunc, visit_f32_nearest => F32Nearest, visit_f32_sqrt => F32Sqrt,
    visit_f64_abs => F64Abs, visit_f64_neg => F64Neg, visit_f64_ceil => F64Ceil, visit_f64_floor => F64Floor,
    visit_f64_trunc => F64Trunc, visit_f64_nearest => F64Nearest, visit_f64_sqrt => F64Sqrt,
    visit_i32_trunc_f32_s => I32TruncF32S, visit_i32_trunc_f32_u => I32TruncF32U,
    visit_i32_trunc_f64_s => I32TruncF64S, visit_i32_trunc_f64_u => I32TruncF64U,
    visit_i64_trunc_f32_s => I64TruncF32S, visit_i64_trunc_f32_u => I64TruncF32U,
    visit_i64_trunc_f64_s => I64TruncF64S, visit_i64_trunc_f64_u => I64TruncF64U,
    visit_i32_trunc_sat_f32_s => I32TruncSatF32S, visit_i32_trunc_sat_f32_u => I32TruncSatF32U,
    visit_i32_trunc_sat_f64_s => I32TruncSatF64S, visit_i32_trunc_sat_f64_u => I32TruncSatF64U,
    visit_i64_trunc_sat_f32_s => I64TruncSatF32S, visit_i64_trunc_sat_f32_u => I64TruncSatF32U,
    visit_i64_trunc_sat_f64_s => I64TruncSatF64S, visit_i64_trunc_sat_f64_u => I64TruncSatF64U,
    visit_f32_convert_i32_s => F32ConvertI32S, visit_f32_convert_i32_u => F32ConvertI32U,
    visit_f32_convert_i64_s => F32ConvertI64S, visit_f32_convert_i64_u => F32ConvertI64U,
    visit_f32_demote_f64 => F32DemoteF64,
    visit_f64_convert_i32_s => F64ConvertI32S, visit_f64_convert_i32_u => F64ConvertI32U,
    visit_f64_convert_i64_s => F64ConvertI64S, visit_f64_convert_i64_u => F64ConvertI64U,
    visit_f64_promote_f32 => F64PromoteF32,
    }

    fn visit_i32_eqz(&mut self) -> Self::Output {
        self.unary(by_acc!(un[exec::I32Eqz]), true);
        Ok(())
    }

    fn visit_i64_eqz(&mut self) -> Self::Output {
        self.unary(by_acc!(un[exec::I64Eqz]), true);
        Ok(())
    }

    visit_memory! {
    load visit_i32_load => Load32 tested, load visit_i64_load => Load64, load visit_f32_load => Load32, load visit_f64_load => Load64,
    load visit_i32_load8_s => Load8S32 tested, load visit_i32_load8_u => Load8U tested, load visit_i32_load16_s => Load16S32 tested,
    load visit_i32_load16_u => Load16U tested, load visit_i64_load8_s => Load8S64, load visit_i64_load8_u => Load8U,
    load visit_i64_load16_s => Load16S64, load visit_i64_load16_u => Load16U, load visit_i64_load32_s => Load32S64,
    load visit_i64_load32_u => Load32,
    store visit_i32_store => Store32, store visit_i64_store => Store64, store visit_f32_store => Store32,
    store visit_f64_store => Store64, store visit_i32_store8 => Store8, store visit_i32_store16 => Store16,
    store visit_i64_store8 => Store8, store visit_i64_store16 => Store16, store visit_i64_store32 => Store32,
    }

    /// `i64.and`; with the mask `0xffff_ffff` (which no 32-bit immediate
    /// can hold sign-extended) it is the zero-extension of the low half,
    /// as bignum and hashing code writes it: a unary operator, with no
    /// constant to materialise.
    fn visit_i64_and(&mut self) -> Self::Output {
        if self
            .stack
            .last()
            .is_some_and(|e| e.op == Operand::Const(0xffff_ffff))
        {
            self.pop();
            self.unary(by_acc!(un[exec::I64ExtendI32U]), false);
            return Ok(());
        }
        const INFO: BinInfo = BinInfo {
            rr: rr3!(I64And),
            ri: by_acc!(bin_imm[exec::I64And, exec::ImmRight]),
            ir: by_acc!(bin_imm[exec::I64And, exec::ImmLeft]),
            ri64: Some(by_acc!(bin_imm64[exec::I64And])),
            imm: ImmClass::SignExt64,
            commutative: true,
            br_rr: None,
            br_ri: None,
            add_br_rr: None,
            add_br_ri: None,
            add_width: None,
            shl_width: None,
            cmp_width: None,
        };
        self.binary(&INFO);
        Ok(())
    }

    // ----- constants, reinterpretations, locals and globals --------------

    fn visit_i32_const(&mut self, value: i32) -> Self::Output {
        self.push(Operand::Const(u64::from(value as u32)), false);
        Ok(())
    }

    fn visit_i64_const(&mut self, value: i64) -> Self::Output {
        self.push(Operand::Const(value as u64), false);
        Ok(())
    }

    fn visit_f32_const(&mut self, value: Ieee32) -> Self::Output {
        self.push(Operand::Const(u64::from(value.bits())), false);
        Ok(())
    }

    fn visit_f64_const(&mut self, value: Ieee64) -> Self::Output {
        self.push(Operand::Const(value.bits()), false);
        Ok(())
    }

    // A reinterpretation changes only the type, which the IR does not see.
    fn visit_i32_reinterpret_f32(&mut self) -> Self::Output {
        Ok(())
    }

    fn visit_f32_reinterpret_i32(&mut self) -> Self::Output {
        Ok(())
    }

    fn visit_i64_reinterpret_f64(&mut self) -> Self::Output {
        Ok(())
    }

    fn visit_f64_reinterpret_i64(&mut self) -> Self::Output {
        Ok(())
    }

    fn visit_local_get(&mut self, local_index: u32) -> Self::Output {
        let wide = self.locals[local_index as usize].1;
        self.push(Operand::Local(local_index), wide);
        Ok(())
    }

    fn visit_local_set(&mut self, local_index: u32) -> Self::Output {
        self.local_set(local_index, false);
        Ok(())
    }

    fn visit_local_tee(&mut self, local_index: u32) -> Self::Output {
        self.local_set(local_index, true);
        Ok(())
    }

    fn visit_global_get(&mut self, global_index: u32) -> Self::Output {
        let ops = |dst| isa::GlobalGet {
            dst,
            global: Index(global_index),
        };
        if self.global_is_v128(global_index) {
            self.emit_def_wide(h!(exec::global_get_v128), ops);
        } else {
            self.emit_value(h!(exec::global_get), ops, None);
        }
        Ok(())
    }

    fn visit_global_set(&mut self, global_index: u32) -> Self::Output {
        let v = self.pop_slot();
        let h = if self.global_is_v128(global_index) {
            h!(exec::global_set_v128)
        } else {
            h!(exec::global_set)
        };
        let ops = isa::GlobalSet {
            global: Index(global_index),
            src: Slot(v),
        };
        self.code.emit(h, ops);
        Ok(())
    }

    // ----- parametric ------------------------------------------------------

    fn visit_nop(&mut self) -> Self::Output {
        Ok(())
    }

    fn visit_unreachable(&mut self) -> Self::Output {
        self.code.emit(h!(exec::unreachable), isa::Unreachable {});
        self.set_unreachable();
        Ok(())
    }

    fn visit_drop(&mut self) -> Self::Output {
        self.pop();
        Ok(())
    }

    fn visit_select(&mut self) -> Self::Output {
        self.select();
        Ok(())
    }

    fn visit_typed_select(&mut self, ty: ValType) -> Self::Output {
        let _ = ty;
        self.select();
        Ok(())
    }

    fn visit_typed_select_multi(&mut self, tys: Vec<ValType>) -> Self::Output {
        // Validation admits exactly one type today (multi-value select is
        // not standard); should that change, this says so.
        let _ = tys;
        Err(unsupported("reference_types", "TypedSelectMulti"))
    }

    // ----- references --------------------------------------------------

    fn visit_ref_null(&mut self, hty: HeapType) -> Self::Output {
        let _ = hty;
        self.push(Operand::Const(0), false);
        Ok(())
    }

    fn visit_ref_is_null(&mut self) -> Self::Output {
        // Every null reference is the cell 0, so this is `i64.eqz` on the
        // cell, and a branch on it fuses like one (`br_zero`).
        self.unary(by_acc!(un[exec::I64Eqz]), true);
        Ok(())
    }

    fn visit_ref_func(&mut self, function_index: u32) -> Self::Output {
        let ops = |dst| isa::RefFunc {
            dst,
            func: Index(function_index),
        };
        self.emit_def(h!(exec::ref_func), ops, None);
        Ok(())
    }

    fn visit_ref_as_non_null(&mut self) -> Self::Output {
        let a = self.pop_slot();
        let ops = |dst| isa::Unary { dst, a: Slot(a) };
        self.emit_def(h!(exec::ref_as_non_null), ops, None);
        Ok(())
    }

    // ----- memories ------------------------------------------------------

    fn visit_memory_size(&mut self, mem: u32) -> Self::Output {
        let ops = |dst| isa::MemorySize {
            dst,
            memory: Index(mem),
        };
        self.emit_def(h!(exec::memory_size), ops, None);
        Ok(())
    }

    fn visit_memory_grow(&mut self, mem: u32) -> Self::Output {
        let d = self.pop_slot();
        let ops = |dst| isa::MemoryGrow {
            dst,
            delta: Slot(d),
            memory: Index(mem),
        };
        self.emit_def(h!(exec::memory_grow), ops, None);
        Ok(())
    }

    fn visit_memory_fill(&mut self, mem: u32) -> Self::Output {
        let [d, v, n] = self.pop3();
        let ops = isa::MemoryFill {
            memory: Index(mem),
            dst: Slot(d),
            value: Slot(v),
            n: Slot(n),
        };
        self.code.emit(h!(exec::memory_fill), ops);
        Ok(())
    }

    fn visit_memory_copy(&mut self, dst_mem: u32, src_mem: u32) -> Self::Output {
        let [d, s, n] = self.pop3();
        let ops = isa::MemoryCopy {
            dst_memory: Index(dst_mem),
            src_memory: Index(src_mem),
            dst: Slot(d),
            src: Slot(s),
            n: Slot(n),
        };
        self.code.emit(h!(exec::memory_copy), ops);
        Ok(())
    }

    fn visit_memory_init(&mut self, data_index: u32, mem: u32) -> Self::Output {
        let [d, s, n] = self.pop3();
        let ops = isa::MemoryInit {
            memory: Index(mem),
            segment: Index(data_index),
            dst: Slot(d),
            src: Slot(s),
            n: Slot(n),
        };
        self.code.emit(h!(exec::memory_init), ops);
        Ok(())
    }

    fn visit_data_drop(&mut self, data_index: u32) -> Self::Output {
        let ops = isa::DataDrop {
            segment: Index(data_index),
        };
        self.code.emit(h!(exec::data_drop), ops);
        Ok(())
    }

    // ----- tables --------------------------------------------------------

    fn visit_table_get(&mut self, table: u32) -> Self::Output {
        let i = self.pop_slot();
        let ops = |dst| isa::TableGet {
            dst,
            table: Index(table),
            index: Slot(i),
        };
        self.emit_def(h!(exec::table_get), ops, None);
        Ok(())
    }

    fn visit_table_set(&mut self, table: u32) -> Self::Output {
        let v = self.pop_slot();
        let i = self.pop_slot();
        let ops = isa::TableSet {
            table: Index(table),
            index: Slot(i),
            value: Slot(v),
        };
        self.code.emit(h!(exec::table_set), ops);
        Ok(())
    }

    fn visit_table_size(&mut self, table: u32) -> Self::Output {
        let ops = |dst| isa::TableSize {
            dst,
            table: Index(table),
        };
        self.emit_def(h!(exec::table_size), ops, None);
        Ok(())
    }

    fn visit_table_grow(&mut self, table: u32) -> Self::Output {
        let delta = self.pop_slot();
        let init = self.pop_slot();
        let ops = |dst| isa::TableGrow {
            dst,
            table: Index(table),
            init: Slot(init),
            delta: Slot(delta),
        };
        self.emit_def(h!(exec::table_grow), ops, None);
        Ok(())
    }

    fn visit_table_fill(&mut self, table: u32) -> Self::Output {
        let [i, v, n] = self.pop3();
        let ops = isa::TableFill {
            table: Index(table),
            start: Slot(i),
            value: Slot(v),
            n: Slot(n),
        };
        self.code.emit(h!(exec::table_fill), ops);
        Ok(())
    }

    fn visit_table_copy(&mut self, dst_table: u32, src_table: u32) -> Self::Output {
        let [d, s, n] = self.pop3();
        let ops = isa::TableCopy {
            dst_table: Index(dst_table),
            src_table: Index(src_table),
            dst: Slot(d),
            src: Slot(s),
            n: Slot(n),
        };
        self.code.emit(h!(exec::table_copy), ops);
        Ok(())
    }

    fn visit_table_init(&mut self, elem_index: u32, table: u32) -> Self::Output {
        let [d, s, n] = self.pop3();
        let ops = isa::TableInit {
            table: Index(table),
            segment: Index(elem_index),
            dst: Slot(d),
            src: Slot(s),
            n: Slot(n),
        };
        self.code.emit(h!(exec::table_init), ops);
        Ok(())
    }

    fn visit_elem_drop(&mut self, elem_index: u32) -> Self::Output {
        let ops = isa::ElemDrop {
            segment: Index(elem_index),
        };
        self.code.emit(h!(exec::elem_drop), ops);
        Ok(())
    }

    // ----- control -------------------------------------------------------

    fn visit_block(&mut self, blockty: BlockType) -> Self::Output {
        self.materialize_all();
        self.push_ctrl(Kind::Block, blockty, true);
        Ok(())
    }

    fn visit_loop(&mut self, blockty: BlockType) -> Self::Output {
        self.materialize_all();
        self.push_ctrl(Kind::Loop, blockty, true);
        self.last = None;
        self.check_epoch();
        self.begin_basic_block();
        Ok(())
    }

    fn visit_if(&mut self, blockty: BlockType) -> Self::Output {
        self.translate_if(blockty);
        Ok(())
    }

    fn visit_else(&mut self) -> Self::Output {
        self.translate_else();
        Ok(())
    }

    fn visit_end(&mut self) -> Self::Output {
        self.translate_end();
        Ok(())
    }

    fn visit_br(&mut self, relative_depth: u32) -> Self::Output {
        self.branch(relative_depth);
        self.set_unreachable();
        Ok(())
    }

    fn visit_br_if(&mut self, relative_depth: u32) -> Self::Output {
        self.br_if(relative_depth);
        self.begin_basic_block();
        Ok(())
    }

    fn visit_br_table(&mut self, targets: BrTable<'a>) -> Self::Output {
        let depths = targets.targets().collect::<Result<Vec<_>, _>>()?;
        self.br_table(&depths, targets.default());
        Ok(())
    }

    fn visit_br_on_null(&mut self, relative_depth: u32) -> Self::Output {
        self.br_on_null(relative_depth);
        self.begin_basic_block();
        Ok(())
    }

    fn visit_br_on_non_null(&mut self, relative_depth: u32) -> Self::Output {
        self.br_on_non_null(relative_depth);
        self.begin_basic_block();
        Ok(())
    }

    fn visit_return(&mut self) -> Self::Output {
        self.emit_return();
        self.set_unreachable();
        Ok(())
    }

    // ----- calls ---------------------------------------------------------

    fn visit_call(&mut self, function_index: u32) -> Self::Output {
        self.call(function_index, false);
        Ok(())
    }

    fn visit_return_call(&mut self, function_index: u32) -> Self::Output {
        self.call(function_index, true);
        Ok(())
    }

    fn visit_call_indirect(&mut self, type_index: u32, table_index: u32) -> Self::Output {
        self.call_indirect(type_index, table_index, false);
        Ok(())
    }

    fn visit_return_call_indirect(&mut self, type_index: u32, table_index: u32) -> Self::Output {
        self.call_indirect(type_index, table_index, true);
        Ok(())
    }

    fn visit_call_ref(&mut self, type_index: u32) -> Self::Output {
        self.call_ref(type_index, false);
        Ok(())
    }

    fn visit_return_call_ref(&mut self, type_index: u32) -> Self::Output {
        self.call_ref(type_index, true);
        Ok(())
    }

    // ----- exceptions ----------------------------------------------------

    fn visit_try_table(&mut self, try_table: TryTable) -> Self::Output {
        self.translate_try_table(&try_table);
        Ok(())
    }

    fn visit_throw(&mut self, tag_index: u32) -> Self::Output {
        self.translate_throw(tag_index);
        Ok(())
    }

    fn visit_throw_ref(&mut self) -> Self::Output {
        let s = self.pop_slot();
        self.code
            .emit(h!(exec::throw_ref), isa::ThrowRef { exn: Slot(s) });
        self.set_unreachable();
        Ok(())
    }

    fn visit_try(&mut self, blockty: BlockType) -> Self::Output {
        self.translate_try(blockty);
        Ok(())
    }

    fn visit_catch(&mut self, tag_index: u32) -> Self::Output {
        self.translate_catch(Some(tag_index));
        Ok(())
    }

    fn visit_catch_all(&mut self) -> Self::Output {
        self.translate_catch(None);
        Ok(())
    }

    fn visit_delegate(&mut self, relative_depth: u32) -> Self::Output {
        self.translate_delegate(relative_depth);
        Ok(())
    }

    fn visit_rethrow(&mut self, relative_depth: u32) -> Self::Output {
        let i = self.ctrl.len() - 1 - relative_depth as usize;
        let slot = self.ctrl[i]
            .exn_slot
            .expect("validated: rethrow targets a catch");
        self.code
            .emit(h!(exec::throw_ref), isa::ThrowRef { exn: Slot(slot) });
        self.set_unreachable();
        Ok(())
    }

    // ----- GC ------------------------------------------------------------

    fn visit_struct_new(&mut self, struct_type_index: u32) -> Self::Output {
        self.struct_new(struct_type_index);
        Ok(())
    }

    fn visit_struct_new_default(&mut self, struct_type_index: u32) -> Self::Output {
        self.struct_new_default(struct_type_index);
        Ok(())
    }

    fn visit_struct_get(&mut self, struct_type_index: u32, field_index: u32) -> Self::Output {
        let h = h!(exec::struct_get::<exec::ZeroExtend>);
        self.struct_get(struct_type_index, field_index, h);
        Ok(())
    }

    fn visit_struct_get_s(&mut self, struct_type_index: u32, field_index: u32) -> Self::Output {
        let h = h!(exec::struct_get::<exec::SignExtend>);
        self.struct_get(struct_type_index, field_index, h);
        Ok(())
    }

    fn visit_struct_get_u(&mut self, struct_type_index: u32, field_index: u32) -> Self::Output {
        self.visit_struct_get(struct_type_index, field_index)
    }

    fn visit_struct_set(&mut self, struct_type_index: u32, field_index: u32) -> Self::Output {
        self.struct_set(struct_type_index, field_index);
        Ok(())
    }

    fn visit_array_new(&mut self, array_type_index: u32) -> Self::Output {
        self.array_new(array_type_index);
        Ok(())
    }

    fn visit_array_new_default(&mut self, array_type_index: u32) -> Self::Output {
        self.array_new_default(array_type_index);
        Ok(())
    }

    fn visit_array_new_fixed(&mut self, array_type_index: u32, array_size: u32) -> Self::Output {
        self.array_new_fixed(array_type_index, array_size);
        Ok(())
    }

    fn visit_array_new_data(
        &mut self,
        array_type_index: u32,
        array_data_index: u32,
    ) -> Self::Output {
        let h = h!(exec::array_new_segment::<exec::DataSegment>);
        self.array_new_segment(array_type_index, array_data_index, h);
        Ok(())
    }

    fn visit_array_new_elem(
        &mut self,
        array_type_index: u32,
        array_elem_index: u32,
    ) -> Self::Output {
        let h = h!(exec::array_new_segment::<exec::ElemSegment>);
        self.array_new_segment(array_type_index, array_elem_index, h);
        Ok(())
    }

    fn visit_array_get(&mut self, array_type_index: u32) -> Self::Output {
        self.array_get(array_type_index, h!(exec::array_get::<exec::ZeroExtend>));
        Ok(())
    }

    fn visit_array_get_s(&mut self, array_type_index: u32) -> Self::Output {
        self.array_get(array_type_index, h!(exec::array_get::<exec::SignExtend>));
        Ok(())
    }

    fn visit_array_get_u(&mut self, array_type_index: u32) -> Self::Output {
        self.visit_array_get(array_type_index)
    }

    fn visit_array_set(&mut self, array_type_index: u32) -> Self::Output {
        self.array_set(array_type_index);
        Ok(())
    }

    fn visit_array_len(&mut self) -> Self::Output {
        self.gc_unary(h!(exec::array_len));
        Ok(())
    }

    fn visit_array_fill(&mut self, array_type_index: u32) -> Self::Output {
        self.array_fill(array_type_index);
        Ok(())
    }

    fn visit_array_copy(
        &mut self,
        array_type_index_dst: u32,
        array_type_index_src: u32,
    ) -> Self::Output {
        let _ = (array_type_index_dst, array_type_index_src);
        self.array_copy();
        Ok(())
    }

    fn visit_array_init_data(
        &mut self,
        array_type_index: u32,
        array_data_index: u32,
    ) -> Self::Output {
        let h = h!(exec::array_init_segment::<exec::DataSegment>);
        self.array_init_segment(array_type_index, array_data_index, h);
        Ok(())
    }

    fn visit_array_init_elem(
        &mut self,
        array_type_index: u32,
        array_elem_index: u32,
    ) -> Self::Output {
        let h = h!(exec::array_init_segment::<exec::ElemSegment>);
        self.array_init_segment(array_type_index, array_elem_index, h);
        Ok(())
    }

    fn visit_ref_test_non_null(&mut self, hty: HeapType) -> Self::Output {
        let heap = self.module.heap_type(hty)?;
        self.ref_test(
            heap,
            h!(exec::ref_test::<exec::NonNull, exec::IfTrue>),
            true,
        );
        Ok(())
    }

    fn visit_ref_test_nullable(&mut self, hty: HeapType) -> Self::Output {
        let heap = self.module.heap_type(hty)?;
        self.ref_test(heap, h!(exec::ref_test::<exec::OrNull, exec::IfTrue>), true);
        Ok(())
    }

    fn visit_ref_cast_non_null(&mut self, hty: HeapType) -> Self::Output {
        let heap = self.module.heap_type(hty)?;
        self.ref_test(heap, h!(exec::ref_cast::<exec::NonNull>), false);
        Ok(())
    }

    fn visit_ref_cast_nullable(&mut self, hty: HeapType) -> Self::Output {
        let heap = self.module.heap_type(hty)?;
        self.ref_test(heap, h!(exec::ref_cast::<exec::OrNull>), false);
        Ok(())
    }

    fn visit_br_on_cast(
        &mut self,
        relative_depth: u32,
        from_ref_type: RefType,
        to_ref_type: RefType,
    ) -> Self::Output {
        let _ = from_ref_type;
        let to = self.module.ref_type(to_ref_type)?;
        let test = if to.nullable {
            h!(exec::ref_test::<exec::OrNull, exec::IfTrue>)
        } else {
            h!(exec::ref_test::<exec::NonNull, exec::IfTrue>)
        };
        self.br_on_cast(relative_depth, to.heap, test);
        Ok(())
    }

    fn visit_br_on_cast_fail(
        &mut self,
        relative_depth: u32,
        from_ref_type: RefType,
        to_ref_type: RefType,
    ) -> Self::Output {
        let _ = from_ref_type;
        let to = self.module.ref_type(to_ref_type)?;
        let test = if to.nullable {
            h!(exec::ref_test::<exec::OrNull, exec::IfFalse>)
        } else {
            h!(exec::ref_test::<exec::NonNull, exec::IfFalse>)
        };
        self.br_on_cast(relative_depth, to.heap, test);
        Ok(())
    }

    // An externref and an anyref are the same kind of cell (`crate::gc`).
    fn visit_any_convert_extern(&mut self) -> Self::Output {
        Ok(())
    }

    fn visit_extern_convert_any(&mut self) -> Self::Output {
        Ok(())
    }

    fn visit_ref_i31(&mut self) -> Self::Output {
        self.gc_unary(h!(exec::ref_i31));
        Ok(())
    }

    fn visit_i31_get_s(&mut self) -> Self::Output {
        self.gc_unary(h!(exec::i31_get::<exec::SignExtend>));
        Ok(())
    }

    fn visit_i31_get_u(&mut self) -> Self::Output {
        self.gc_unary(h!(exec::i31_get::<exec::ZeroExtend>));
        Ok(())
    }

    fn visit_ref_eq(&mut self) -> Self::Output {
        self.ref_eq();
        Ok(())
    }
}
