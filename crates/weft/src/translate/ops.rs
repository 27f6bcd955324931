//! Which handlers implement each numeric and memory operator, and which
//! immediate forms they have.

use crate::exec;
use crate::ir::{Handler, h};
use wasmparser::Operator as O;

/// How a constant operand fits a 32-bit immediate.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(crate) enum ImmClass {
    /// Any 32-bit value (i32, f32 operands).
    Bits32,
    /// A 64-bit integer that sign-extends from 32 bits.
    SignExt64,
    /// No immediate form (f64 operands).
    None,
}

impl ImmClass {
    /// The immediate encoding of cell `c`, if it has one.
    pub(crate) fn encode(self, c: u64) -> Option<u32> {
        match self {
            ImmClass::Bits32 => Some(c as u32),
            ImmClass::SignExt64 if c as i64 == i64::from(c as i32) => Some(c as u32),
            _ => None,
        }
    }
}

/// A handler in two forms: `[0]` reads its register operand from a slot,
/// `[1]` from `acc` (the previous instruction's result).
pub(crate) type ByAcc = [Handler; 2];

/// A binary operator's handlers on two slots, by which operand, if any,
/// they read from `acc` instead.
#[derive(Copy, Clone)]
pub(crate) struct BinForms {
    pub slots: Handler,
    pub acc_first: Handler,
    pub acc_second: Handler,
}

/// Handlers of a binary operator.
#[derive(Copy, Clone)]
pub(crate) struct BinInfo {
    /// Both operands in slots (or one of them in `acc` instead).
    pub rr: BinForms,
    /// Slot and immediate; `imm OP slot` for `ir`.
    pub ri: ByAcc,
    pub ir: ByAcc,
    pub imm: ImmClass,
    pub commutative: bool,
    /// For comparisons: fused compare-and-branch handlers, indexed by
    /// whether the first operand is in `acc`, then by whether the branch is
    /// taken on false.
    pub br_rr: Option<[[Handler; 2]; 2]>,
    pub br_ri: Option<[[Handler; 2]; 2]>,
    /// For integer comparisons: the same, fused with a preceding
    /// add-immediate of the same width (`x = y + c; br_if (x OP b)`).
    pub add_br_rr: Option<[Handler; 2]>,
    pub add_br_ri: Option<[Handler; 2]>,
    /// For `i32.add`/`i64.add`: the integer width (32 or 64), which the
    /// comparisons above must share.
    pub add_width: Option<u8>,
    /// For integer comparisons: their operand width.
    pub cmp_width: Option<u8>,
}

/// `[h::<G.., FromSlot>, h::<G.., FromAcc>]` for handler `h` generic over
/// its register operand's `Source`
/// last: `by_acc!(h[G..])`.
macro_rules! by_acc {
    ($h:ident [$($g:tt)*]) => {
        [
            h!(exec::$h::<$($g)*, exec::FromSlot>),
            h!(exec::$h::<$($g)*, exec::FromAcc>),
        ]
    };
}

/// The three forms of `bin_rr` (`exec::AccOperand`).
macro_rules! rr3 {
    ($t:ident) => {
        BinForms {
            slots: h!(exec::bin_rr::<exec::$t, exec::Slots>),
            acc_first: h!(exec::bin_rr::<exec::$t, exec::AccFirst>),
            acc_second: h!(exec::bin_rr::<exec::$t, exec::AccSecond>),
        }
    };
}

/// Compare-and-branch handlers by [`ACC`][`NEG`].
macro_rules! br4 {
    ($t:ident, $imm:ident) => {
        [
            [
                h!(exec::br_cmp::<exec::$t, exec::IfTrue, exec::$imm, exec::FromSlot>),
                h!(exec::br_cmp::<exec::$t, exec::IfFalse, exec::$imm, exec::FromSlot>),
            ],
            [
                h!(exec::br_cmp::<exec::$t, exec::IfTrue, exec::$imm, exec::FromAcc>),
                h!(exec::br_cmp::<exec::$t, exec::IfFalse, exec::$imm, exec::FromAcc>),
            ],
        ]
    };
}

macro_rules! bin_table {
    ($op:expr;
     $(arith $a:ident => $at:ident, $acls:ident, $acomm:literal, $aw:expr;)*
     $(icmp $c:ident => $ct:ident, $ccls:ident, $ccomm:literal, $add:ident, $cw:literal;)*
     $(fcmp $f:ident => $ft:ident, $fcls:ident, $fcomm:literal;)*) => {
        match $op {
            $(O::$a => Some({ const INFO: BinInfo = BinInfo {
                rr: rr3!($at),
                ri: by_acc!(bin_imm[exec::$at, exec::ImmRight]),
                ir: by_acc!(bin_imm[exec::$at, exec::ImmLeft]),
                imm: ImmClass::$acls,
                commutative: $acomm,
                br_rr: None,
                br_ri: None,
                add_br_rr: None,
                add_br_ri: None,
                add_width: $aw,
                cmp_width: None,
            }; &INFO }),)*
            $(O::$c => Some({ const INFO: BinInfo = BinInfo {
                rr: rr3!($ct),
                ri: by_acc!(bin_imm[exec::$ct, exec::ImmRight]),
                ir: by_acc!(bin_imm[exec::$ct, exec::ImmLeft]),
                imm: ImmClass::$ccls,
                commutative: $ccomm,
                br_rr: Some(br4!($ct, SlotOperand)),
                br_ri: Some(br4!($ct, ImmOperand)),
                add_br_rr: Some([
                    h!(exec::br_add_cmp::<exec::$add, exec::$ct, exec::IfTrue, exec::SlotOperand>),
                    h!(exec::br_add_cmp::<exec::$add, exec::$ct, exec::IfFalse, exec::SlotOperand>),
                ]),
                add_br_ri: Some([
                    h!(exec::br_add_cmp::<exec::$add, exec::$ct, exec::IfTrue, exec::ImmOperand>),
                    h!(exec::br_add_cmp::<exec::$add, exec::$ct, exec::IfFalse, exec::ImmOperand>),
                ]),
                add_width: None,
                cmp_width: Some($cw),
            }; &INFO }),)*
            $(O::$f => Some({ const INFO: BinInfo = BinInfo {
                rr: rr3!($ft),
                ri: by_acc!(bin_imm[exec::$ft, exec::ImmRight]),
                ir: by_acc!(bin_imm[exec::$ft, exec::ImmLeft]),
                imm: ImmClass::$fcls,
                commutative: $fcomm,
                br_rr: Some(br4!($ft, SlotOperand)),
                br_ri: Some(br4!($ft, ImmOperand)),
                add_br_rr: None,
                add_br_ri: None,
                add_width: None,
                cmp_width: None,
            }; &INFO }),)*
            _ => None,
        }
    };
}

/// The handlers of binary operator `op`, if it is one.
pub(crate) fn binary(op: &O<'_>) -> Option<&'static BinInfo> {
    bin_table! { op;
        arith I32Add => I32Add, Bits32, true, Some(32);
        arith I32Sub => I32Sub, Bits32, false, None;
        arith I32Mul => I32Mul, Bits32, true, None;
        arith I32DivS => I32DivS, Bits32, false, None;
        arith I32DivU => I32DivU, Bits32, false, None;
        arith I32RemS => I32RemS, Bits32, false, None;
        arith I32RemU => I32RemU, Bits32, false, None;
        arith I32And => I32And, Bits32, true, None;
        arith I32Or => I32Or, Bits32, true, None;
        arith I32Xor => I32Xor, Bits32, true, None;
        arith I32Shl => I32Shl, Bits32, false, None;
        arith I32ShrS => I32ShrS, Bits32, false, None;
        arith I32ShrU => I32ShrU, Bits32, false, None;
        arith I32Rotl => I32Rotl, Bits32, false, None;
        arith I32Rotr => I32Rotr, Bits32, false, None;
        arith I64Add => I64Add, SignExt64, true, Some(64);
        arith I64Sub => I64Sub, SignExt64, false, None;
        arith I64Mul => I64Mul, SignExt64, true, None;
        arith I64DivS => I64DivS, SignExt64, false, None;
        arith I64DivU => I64DivU, SignExt64, false, None;
        arith I64RemS => I64RemS, SignExt64, false, None;
        arith I64RemU => I64RemU, SignExt64, false, None;
        arith I64And => I64And, SignExt64, true, None;
        arith I64Or => I64Or, SignExt64, true, None;
        arith I64Xor => I64Xor, SignExt64, true, None;
        arith I64Shl => I64Shl, SignExt64, false, None;
        arith I64ShrS => I64ShrS, SignExt64, false, None;
        arith I64ShrU => I64ShrU, SignExt64, false, None;
        arith I64Rotl => I64Rotl, SignExt64, false, None;
        arith I64Rotr => I64Rotr, SignExt64, false, None;
        arith F32Add => F32Add, Bits32, true, None;
        arith F32Sub => F32Sub, Bits32, false, None;
        arith F32Mul => F32Mul, Bits32, true, None;
        arith F32Div => F32Div, Bits32, false, None;
        arith F32Min => F32Min, Bits32, true, None;
        arith F32Max => F32Max, Bits32, true, None;
        arith F32Copysign => F32Copysign, Bits32, false, None;
        arith F64Add => F64Add, None, true, None;
        arith F64Sub => F64Sub, None, false, None;
        arith F64Mul => F64Mul, None, true, None;
        arith F64Div => F64Div, None, false, None;
        arith F64Min => F64Min, None, true, None;
        arith F64Max => F64Max, None, true, None;
        arith F64Copysign => F64Copysign, None, false, None;
        icmp I32Eq => I32Eq, Bits32, true, I32Add, 32;
        icmp I32Ne => I32Ne, Bits32, true, I32Add, 32;
        icmp I32LtS => I32LtS, Bits32, false, I32Add, 32;
        icmp I32LtU => I32LtU, Bits32, false, I32Add, 32;
        icmp I32GtS => I32GtS, Bits32, false, I32Add, 32;
        icmp I32GtU => I32GtU, Bits32, false, I32Add, 32;
        icmp I32LeS => I32LeS, Bits32, false, I32Add, 32;
        icmp I32LeU => I32LeU, Bits32, false, I32Add, 32;
        icmp I32GeS => I32GeS, Bits32, false, I32Add, 32;
        icmp I32GeU => I32GeU, Bits32, false, I32Add, 32;
        icmp I64Eq => I64Eq, SignExt64, true, I64Add, 64;
        icmp I64Ne => I64Ne, SignExt64, true, I64Add, 64;
        icmp I64LtS => I64LtS, SignExt64, false, I64Add, 64;
        icmp I64LtU => I64LtU, SignExt64, false, I64Add, 64;
        icmp I64GtS => I64GtS, SignExt64, false, I64Add, 64;
        icmp I64GtU => I64GtU, SignExt64, false, I64Add, 64;
        icmp I64LeS => I64LeS, SignExt64, false, I64Add, 64;
        icmp I64LeU => I64LeU, SignExt64, false, I64Add, 64;
        icmp I64GeS => I64GeS, SignExt64, false, I64Add, 64;
        icmp I64GeU => I64GeU, SignExt64, false, I64Add, 64;
        fcmp F32Eq => F32Eq, Bits32, true;
        fcmp F32Ne => F32Ne, Bits32, true;
        fcmp F32Lt => F32Lt, Bits32, false;
        fcmp F32Gt => F32Gt, Bits32, false;
        fcmp F32Le => F32Le, Bits32, false;
        fcmp F32Ge => F32Ge, Bits32, false;
        fcmp F64Eq => F64Eq, None, true;
        fcmp F64Ne => F64Ne, None, true;
        fcmp F64Lt => F64Lt, None, false;
        fcmp F64Gt => F64Gt, None, false;
        fcmp F64Le => F64Le, None, false;
        fcmp F64Ge => F64Ge, None, false;
    }
}

macro_rules! un_table {
    ($op:expr; $($o:ident => $t:ident,)*) => {
        match $op {
            $(O::$o => Some(by_acc!(un[exec::$t])),)*
            _ => None,
        }
    };
}

/// The handler of unary operator `op`, if it is one. Reinterpretations are
/// plain copies and handled by the caller.
pub(crate) fn unary(op: &O<'_>) -> Option<ByAcc> {
    un_table! { op;
        I32Eqz => I32Eqz, I32Clz => I32Clz, I32Ctz => I32Ctz, I32Popcnt => I32Popcnt,
        I32Extend8S => I32Extend8S, I32Extend16S => I32Extend16S, I32WrapI64 => I32WrapI64,
        I64Eqz => I64Eqz, I64Clz => I64Clz, I64Ctz => I64Ctz, I64Popcnt => I64Popcnt,
        I64Extend8S => I64Extend8S, I64Extend16S => I64Extend16S, I64Extend32S => I64Extend32S,
        I64ExtendI32S => I64ExtendI32S, I64ExtendI32U => I64ExtendI32U,
        F32Abs => F32Abs, F32Neg => F32Neg, F32Ceil => F32Ceil, F32Floor => F32Floor,
        F32Trunc => F32Trunc, F32Nearest => F32Nearest, F32Sqrt => F32Sqrt,
        F64Abs => F64Abs, F64Neg => F64Neg, F64Ceil => F64Ceil, F64Floor => F64Floor,
        F64Trunc => F64Trunc, F64Nearest => F64Nearest, F64Sqrt => F64Sqrt,
        I32TruncF32S => I32TruncF32S, I32TruncF32U => I32TruncF32U,
        I32TruncF64S => I32TruncF64S, I32TruncF64U => I32TruncF64U,
        I64TruncF32S => I64TruncF32S, I64TruncF32U => I64TruncF32U,
        I64TruncF64S => I64TruncF64S, I64TruncF64U => I64TruncF64U,
        I32TruncSatF32S => I32TruncSatF32S, I32TruncSatF32U => I32TruncSatF32U,
        I32TruncSatF64S => I32TruncSatF64S, I32TruncSatF64U => I32TruncSatF64U,
        I64TruncSatF32S => I64TruncSatF32S, I64TruncSatF32U => I64TruncSatF32U,
        I64TruncSatF64S => I64TruncSatF64S, I64TruncSatF64U => I64TruncSatF64U,
        F32ConvertI32S => F32ConvertI32S, F32ConvertI32U => F32ConvertI32U,
        F32ConvertI64S => F32ConvertI64S, F32ConvertI64U => F32ConvertI64U,
        F32DemoteF64 => F32DemoteF64,
        F64ConvertI32S => F64ConvertI32S, F64ConvertI32U => F64ConvertI32U,
        F64ConvertI64S => F64ConvertI64S, F64ConvertI64U => F64ConvertI64U,
        F64PromoteF32 => F64PromoteF32,
    }
}

/// A memory access: its memarg and its handlers.
pub(crate) struct MemAccess {
    pub memarg: wasmparser::MemArg,
    pub h: &'static MemHandlers,
}

/// The handlers of a load or store, for memory 0 and others.
pub(crate) struct MemHandlers {
    /// Handlers for memory 0, indexed by whether it is 64-bit; a load's
    /// address or a store's value may come from `acc`.
    pub fast: [ByAcc; 2],
    pub general: Handler,
    pub is_load: bool,
    /// For stores to memory 0: the handlers taking the value as a 32-bit
    /// immediate (by memory index width; the address may come from `acc`),
    /// and which constants fit them.
    pub store_imm: Option<([ByAcc; 2], ImmClass)>,
    /// For memory 0: the handlers with an address add fused in, indexed
    /// by [64-bit add and memory][immediate second operand]; the add's
    /// first operand may come from `acc`.
    pub with_add: [[ByAcc; 2]; 2],
}

macro_rules! mem_table {
    ($op:expr; $(load $l:ident => $lt:ident,)* $(store $s:ident => $st:ident,)*) => {
        match $op {
            $(O::$l { memarg } => Some(MemAccess { memarg: *memarg, h: { const H: MemHandlers = MemHandlers {
                fast: [by_acc!(load[exec::$lt, exec::Addr32]), by_acc!(load[exec::$lt, exec::Addr64])],
                general: h!(exec::load_m::<exec::$lt>),
                is_load: true,
                store_imm: None,
                with_add: [
                    [by_acc!(load_add[exec::$lt, exec::I32Add, exec::SlotOperand, exec::Addr32]), by_acc!(load_add[exec::$lt, exec::I32Add, exec::ImmOperand, exec::Addr32])],
                    [by_acc!(load_add[exec::$lt, exec::I64Add, exec::SlotOperand, exec::Addr64]), by_acc!(load_add[exec::$lt, exec::I64Add, exec::ImmOperand, exec::Addr64])],
                ],
            }; &H } }),)*
            $(O::$s { memarg } => Some(MemAccess { memarg: *memarg, h: { const H: MemHandlers = MemHandlers {
                fast: [by_acc!(store[exec::$st, exec::Addr32]), by_acc!(store[exec::$st, exec::Addr64])],
                general: h!(exec::store_m::<exec::$st>),
                is_load: false,
                store_imm: Some((
                    [by_acc!(store_imm[exec::$st, exec::Addr32]), by_acc!(store_imm[exec::$st, exec::Addr64])],
                    if <exec::$st as exec::StoreOp>::SIZE == 8 { ImmClass::SignExt64 } else { ImmClass::Bits32 },
                )),
                with_add: [
                    [by_acc!(store_add[exec::$st, exec::I32Add, exec::SlotOperand, exec::Addr32]), by_acc!(store_add[exec::$st, exec::I32Add, exec::ImmOperand, exec::Addr32])],
                    [by_acc!(store_add[exec::$st, exec::I64Add, exec::SlotOperand, exec::Addr64]), by_acc!(store_add[exec::$st, exec::I64Add, exec::ImmOperand, exec::Addr64])],
                ],
            }; &H } }),)*
            _ => None,
        }
    };
}

/// The handlers of a load or store operator, if `op` is one.
pub(crate) fn memory_access(op: &O<'_>) -> Option<MemAccess> {
    mem_table! { op;
        load I32Load => Load32, load I64Load => Load64, load F32Load => Load32, load F64Load => Load64,
        load I32Load8S => Load8S32, load I32Load8U => Load8U, load I32Load16S => Load16S32,
        load I32Load16U => Load16U, load I64Load8S => Load8S64, load I64Load8U => Load8U,
        load I64Load16S => Load16S64, load I64Load16U => Load16U, load I64Load32S => Load32S64,
        load I64Load32U => Load32,
        store I32Store => Store32, store I64Store => Store64, store F32Store => Store32,
        store F64Store => Store64, store I32Store8 => Store8, store I32Store16 => Store16,
        store I64Store8 => Store8, store I64Store16 => Store16, store I64Store32 => Store32,
    }
}
