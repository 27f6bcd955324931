//! The handler families of the numeric and memory operators: their forms
//! (register, immediate, `acc`, fused with a branch or an address add) and
//! the macros that turn a table row into the operator's visitor method
//! (the rows themselves are in `visit.rs`).

use crate::exec;
use crate::ir::{Handler, h};

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
    /// For 64-bit integer operators: slot and a 64-bit immediate, for
    /// constants `imm` cannot hold.
    pub ri64: Option<ByAcc>,
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
    /// For `i32.shl`/`i64.shl`: the integer width, for scaled addresses
    /// (`base + (index << k)`).
    pub shl_width: Option<u8>,
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

/// Visitor methods for binary operators, one per row:
/// `arith visit => T, imm class, commutative, add width;` for arithmetic,
/// `icmp visit => T, imm class, commutative, add type, width;` for integer
/// comparisons (which fuse with branches and with a preceding add),
/// `fcmp visit => T, imm class, commutative;` for float comparisons.
macro_rules! visit_binary {
    ($(arith $a:ident => $at:ident, $acls:ident, $acomm:literal, $aw:expr, $sw:expr;)*
     $(arith64 $a64:ident => $at64:ident, $acomm64:literal, $aw64:expr, $sw64:expr;)*
     $(icmp $c:ident => $ct:ident, $ccls:ident, $ccomm:literal, $add:ident, $cw:literal;)*
     $(fcmp $f:ident => $ft:ident, $fcls:ident, $fcomm:literal;)*) => {
        $(fn $a(&mut self) -> Self::Output {
            const INFO: BinInfo = BinInfo {
                rr: rr3!($at),
                ri: by_acc!(bin_imm[exec::$at, exec::ImmRight]),
                ir: by_acc!(bin_imm[exec::$at, exec::ImmLeft]),
                ri64: None,
                imm: ImmClass::$acls,
                commutative: $acomm,
                br_rr: None,
                br_ri: None,
                add_br_rr: None,
                add_br_ri: None,
                add_width: $aw,
                shl_width: $sw,
                cmp_width: None,
            };
            self.binary(&INFO);
            Ok(())
        })*
        $(fn $a64(&mut self) -> Self::Output {
            const INFO: BinInfo = BinInfo {
                rr: rr3!($at64),
                ri: by_acc!(bin_imm[exec::$at64, exec::ImmRight]),
                ir: by_acc!(bin_imm[exec::$at64, exec::ImmLeft]),
                ri64: Some(by_acc!(bin_imm64[exec::$at64])),
                imm: ImmClass::SignExt64,
                commutative: $acomm64,
                br_rr: None,
                br_ri: None,
                add_br_rr: None,
                add_br_ri: None,
                add_width: $aw64,
                shl_width: $sw64,
                cmp_width: None,
            };
            self.binary(&INFO);
            Ok(())
        })*
        $(fn $c(&mut self) -> Self::Output {
            const INFO: BinInfo = BinInfo {
                rr: rr3!($ct),
                ri: by_acc!(bin_imm[exec::$ct, exec::ImmRight]),
                ir: by_acc!(bin_imm[exec::$ct, exec::ImmLeft]),
                ri64: None,
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
                shl_width: None,
                cmp_width: Some($cw),
            };
            self.binary(&INFO);
            Ok(())
        })*
        $(fn $f(&mut self) -> Self::Output {
            const INFO: BinInfo = BinInfo {
                rr: rr3!($ft),
                ri: by_acc!(bin_imm[exec::$ft, exec::ImmRight]),
                ir: by_acc!(bin_imm[exec::$ft, exec::ImmLeft]),
                ri64: None,
                imm: ImmClass::$fcls,
                commutative: $fcomm,
                br_rr: Some(br4!($ft, SlotOperand)),
                br_ri: Some(br4!($ft, ImmOperand)),
                add_br_rr: None,
                add_br_ri: None,
                add_width: None,
                shl_width: None,
                cmp_width: None,
            };
            self.binary(&INFO);
            Ok(())
        })*
    };
}

/// Two binary operators that `bin2` runs as one instruction: the second
/// takes the first's result (from `acc`) as its first operand.
pub(crate) struct Chain {
    /// The operators, named by their two-slot handlers.
    pub first: Handler,
    pub second: Handler,
    /// `bin2`'s forms, indexed [the first's second operand is an
    /// immediate][the second's is][the first's first operand is in `acc`].
    pub forms: [[ByAcc; 2]; 2],
}

impl Chain {
    /// The chain of `first` then `second`, if there is one.
    pub(crate) fn find(first: &BinInfo, second: &BinInfo) -> Option<&'static Chain> {
        CHAINS
            .iter()
            .find(|c| c.first.same(first.rr.slots) && c.second.same(second.rr.slots))
    }
}

/// The [`Chain`] of operators `$a` then `$b`.
macro_rules! chain {
    ($a:ident, $b:ident) => {
        Chain {
            first: h!(exec::bin_rr::<exec::$a, exec::Slots>),
            second: h!(exec::bin_rr::<exec::$b, exec::Slots>),
            forms: [
                [
                    by_acc!(bin2[exec::$a, exec::SlotOperand, exec::$b, exec::SlotOperand]),
                    by_acc!(bin2[exec::$a, exec::SlotOperand, exec::$b, exec::ImmOperand]),
                ],
                [
                    by_acc!(bin2[exec::$a, exec::ImmOperand, exec::$b, exec::SlotOperand]),
                    by_acc!(bin2[exec::$a, exec::ImmOperand, exec::$b, exec::ImmOperand]),
                ],
            ],
        }
    };
}

/// The operator pairs fused into `bin2`, chosen from the pairs that
/// dispatch most often in the sightglass programs and CoreMark: the
/// add-rotate-xor rounds of ciphers and hashes, multiply-add, bit-field
/// extraction and packing, the `(c + k) & 0xff` of byte range checks, and
/// range and bit tests kept as values (a comparison a branch tests fuses
/// with the branch instead). The first of each never traps (`bin2` records
/// the second's offset).
static CHAINS: &[Chain] = &[
    chain!(I32Xor, I32Rotl),
    chain!(I32Rotl, I32Add),
    chain!(I32Rotl, I32Xor),
    chain!(I32Add, I32Xor),
    chain!(I32Add, I32Add),
    chain!(I32Mul, I32Add),
    chain!(I32Add, I32RemU),
    chain!(I32ShrU, I32And),
    chain!(I32Add, I32And),
    chain!(I32Add, I32LtU),
    chain!(I32Sub, I32LtU),
    chain!(I32And, I32Eq),
    chain!(I32And, I32Ne),
    chain!(I32Shl, I32Or),
    chain!(I32And, I32Or),
    chain!(I32Xor, I32And),
    chain!(I64Xor, I64Rotl),
    chain!(I64Rotl, I64Add),
    chain!(I64Rotl, I64Xor),
    chain!(I64Add, I64Xor),
    chain!(I64Mul, I64Add),
    chain!(I64ShrU, I64And),
    chain!(I64Add, I64And),
    chain!(I64Shl, I64Or),
];

/// A comparison whose first operand a mask (`a & imm`) just computed, fused
/// with the branch that tests it (`br_add_cmp` with an `and`): the
/// `(flags & MASK) == K` tests of state machines and decoders.
pub(crate) struct MaskedBranch {
    /// The mask and the comparison, named by their two-slot handlers.
    pub mask: Handler,
    pub cmp: Handler,
    /// The fused forms, by [the comparison's second operand is an
    /// immediate][taken when the comparison fails].
    pub forms: [[Handler; 2]; 2],
}

impl MaskedBranch {
    /// The fused forms of comparison `cmp` after mask `mask` (an
    /// operator with an immediate), if there are some.
    pub(crate) fn find(mask: &BinInfo, cmp: &BinInfo) -> Option<&'static MaskedBranch> {
        MASKED_BRANCHES
            .iter()
            .find(|m| m.mask.same(mask.rr.slots) && m.cmp.same(cmp.rr.slots))
    }
}

/// The [`MaskedBranch`] of mask `$m` then comparison `$c`.
macro_rules! masked_branch {
    ($m:ident, $c:ident) => {
        MaskedBranch {
            mask: h!(exec::bin_rr::<exec::$m, exec::Slots>),
            cmp: h!(exec::bin_rr::<exec::$c, exec::Slots>),
            forms: [
                [
                    h!(exec::br_add_cmp::<exec::$m, exec::$c, exec::IfTrue, exec::SlotOperand>),
                    h!(exec::br_add_cmp::<exec::$m, exec::$c, exec::IfFalse, exec::SlotOperand>),
                ],
                [
                    h!(exec::br_add_cmp::<exec::$m, exec::$c, exec::IfTrue, exec::ImmOperand>),
                    h!(exec::br_add_cmp::<exec::$m, exec::$c, exec::IfFalse, exec::ImmOperand>),
                ],
            ],
        }
    };
}

/// Bit tests: equality of a masked value with a constant or a slot.
static MASKED_BRANCHES: &[MaskedBranch] =
    &[masked_branch!(I32And, I32Eq), masked_branch!(I32And, I32Ne)];

/// A handler a `copy` or `const32` may run directly, without a dispatch
/// (`exec::copy_then`, `exec::const_then`).
pub(crate) struct Follow {
    /// The follower.
    pub next: Handler,
    /// Each move that may lead it, and the move's form that runs it.
    pub leads: [(Handler, Handler); 4],
}

/// The [`Follow`] of follower type `$f`, which runs handler `$h`: led by
/// copies and constants, passing `acc` through or their value on.
macro_rules! follow {
    ($f:ident => $($h:tt)+) => {
        Follow {
            next: h!($($h)+),
            leads: [
                (
                    h!(exec::copy::<exec::PassThrough>),
                    h!(exec::copy_then::<exec::PassThrough, exec::$f>),
                ),
                (
                    h!(exec::copy::<exec::PassOn>),
                    h!(exec::copy_then::<exec::PassOn, exec::$f>),
                ),
                (
                    h!(exec::const32::<exec::PassThrough>),
                    h!(exec::const_then::<exec::PassThrough, exec::$f>),
                ),
                (
                    h!(exec::const32::<exec::PassOn>),
                    h!(exec::const_then::<exec::PassOn, exec::$f>),
                ),
            ],
        }
    };
}

/// What follows copies and constants most often in the sightglass
/// programs and CoreMark: the loads, tests, jumps and calls of loops that
/// rotate values through locals or reset them.
pub(crate) static FOLLOWS: &[Follow] = &[
    follow!(LoadWord => exec::load::<exec::Load32, exec::Addr32, exec::FromSlot>),
    follow!(LoadWordAcc => exec::load::<exec::Load32, exec::Addr32, exec::FromAcc>),
    follow!(LoadWordBrNonZero => exec::load_br::<exec::Load32, exec::OnNonZero, exec::FromSlot>),
    follow!(BrNonZeroAcc => exec::br_zero::<exec::OnNonZero, exec::FromAcc>),
    follow!(BrZeroAcc => exec::br_zero::<exec::OnZero, exec::FromAcc>),
    follow!(BrNonZero => exec::br_zero::<exec::OnNonZero, exec::FromSlot>),
    follow!(BrZero => exec::br_zero::<exec::OnZero, exec::FromSlot>),
    follow!(BrNeImm => exec::br_cmp::<exec::I32Ne, exec::IfTrue, exec::ImmOperand, exec::FromSlot>),
    follow!(BrNe => exec::br_cmp::<exec::I32Ne, exec::IfTrue, exec::SlotOperand, exec::FromSlot>),
    follow!(BrLtS => exec::br_cmp::<exec::I32LtS, exec::IfTrue, exec::SlotOperand, exec::FromSlot>),
    follow!(BrLtU => exec::br_cmp::<exec::I32LtU, exec::IfTrue, exec::SlotOperand, exec::FromSlot>),
    follow!(Jump => exec::br),
    follow!(AddImm => exec::bin_imm::<exec::I32Add, exec::ImmRight, exec::FromSlot>),
    follow!(SubImm => exec::bin_imm::<exec::I32Sub, exec::ImmRight, exec::FromSlot>),
    follow!(LoadByte => exec::load::<exec::Load8U, exec::Addr32, exec::FromSlot>),
    follow!(CallDirect => exec::call::<exec::Plain>),
];

/// Visitor methods for unary operators, one per row `visit => T,`: the
/// handler `un::<T>` reading its operand from a slot or from `acc`.
macro_rules! visit_unary {
    ($($visit:ident => $t:ident,)*) => {
        $(fn $visit(&mut self) -> Self::Output {
            self.unary(by_acc!(un[exec::$t]), false);
            Ok(())
        })*
    };
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
    /// immediate, and which constants fit them.
    pub store_imm: Option<StoreImmForms>,
    /// For memory 0: the handlers with an address add fused in, indexed
    /// by [64-bit add and memory][immediate second operand]; the add's
    /// first operand may come from `acc`.
    pub with_add: [[ByAcc; 2]; 2],
    /// For memory 0: the handlers with a scaled-index address add fused
    /// in (`base + (index << k)`), by whether the memory is 64-bit.
    pub scaled: [Handler; 2],
    /// For memory 0: the handlers for a constant address (`load_at`,
    /// `store_at`); a store's value may come from `acc` (a load, with no
    /// register operand, has the same handler twice).
    pub at: ByAcc,
    /// For an i32 load from a 32-bit memory 0: the handlers that also
    /// branch on the value (`load_br`), by [branch when it is zero].
    pub tested: Option<[ByAcc; 2]>,
}

/// The handlers of a store to memory 0 whose value is a 32-bit immediate.
pub(crate) struct StoreImmForms {
    /// By memory index width; the address may come from `acc`.
    pub plain: [ByAcc; 2],
    /// With an address add fused in, indexed as [`MemHandlers::with_add`].
    pub with_add: [[ByAcc; 2]; 2],
    /// Which constants fit the immediate.
    pub class: ImmClass,
}

/// A load's [`MemHandlers::tested`]: the `load_br` forms for a row marked
/// `tested` (an i32 load), none otherwise.
macro_rules! load_br_forms {
    ($lt:ident) => {
        None
    };
    ($lt:ident tested) => {
        Some([
            by_acc!(load_br[exec::$lt, exec::OnNonZero]),
            by_acc!(load_br[exec::$lt, exec::OnZero]),
        ])
    };
}

/// Visitor methods for loads and stores, one per row: `load visit => T,`
/// with `T` the `LoadOp`, `store visit => T,` with `T` the `StoreOp`.
macro_rules! visit_memory {
    ($(load $l:ident => $lt:ident $($tested:ident)?,)* $(store $s:ident => $st:ident,)*) => {
        $(fn $l(&mut self, memarg: MemArg) -> Self::Output {
            const H: MemHandlers = MemHandlers {
                fast: [by_acc!(load[exec::$lt, exec::Addr32]), by_acc!(load[exec::$lt, exec::Addr64])],
                general: h!(exec::load_m::<exec::$lt>),
                is_load: true,
                store_imm: None,
                with_add: [
                    [by_acc!(load_add[exec::$lt, exec::I32Add, exec::SlotOperand, exec::Addr32]), by_acc!(load_add[exec::$lt, exec::I32Add, exec::ImmOperand, exec::Addr32])],
                    [by_acc!(load_add[exec::$lt, exec::I64Add, exec::SlotOperand, exec::Addr64]), by_acc!(load_add[exec::$lt, exec::I64Add, exec::ImmOperand, exec::Addr64])],
                ],
                scaled: [h!(exec::load_scaled::<exec::$lt, exec::Addr32>), h!(exec::load_scaled::<exec::$lt, exec::Addr64>)],
                at: [h!(exec::load_at::<exec::$lt>); 2],
                tested: load_br_forms!($lt $($tested)?),
            };
            self.memory_access(MemAccess { memarg, h: &H });
            Ok(())
        })*
        $(fn $s(&mut self, memarg: MemArg) -> Self::Output {
            const H: MemHandlers = MemHandlers {
                fast: [by_acc!(store[exec::$st, exec::Addr32]), by_acc!(store[exec::$st, exec::Addr64])],
                general: h!(exec::store_m::<exec::$st>),
                is_load: false,
                store_imm: Some(StoreImmForms {
                    plain: [by_acc!(store_imm[exec::$st, exec::Addr32]), by_acc!(store_imm[exec::$st, exec::Addr64])],
                    with_add: [
                        [by_acc!(store_imm_add[exec::$st, exec::I32Add, exec::SlotOperand, exec::Addr32]), by_acc!(store_imm_add[exec::$st, exec::I32Add, exec::ImmOperand, exec::Addr32])],
                        [by_acc!(store_imm_add[exec::$st, exec::I64Add, exec::SlotOperand, exec::Addr64]), by_acc!(store_imm_add[exec::$st, exec::I64Add, exec::ImmOperand, exec::Addr64])],
                    ],
                    class: if <exec::$st as exec::StoreOp>::SIZE == 8 { ImmClass::SignExt64 } else { ImmClass::Bits32 },
                }),
                with_add: [
                    [by_acc!(store_add[exec::$st, exec::I32Add, exec::SlotOperand, exec::Addr32]), by_acc!(store_add[exec::$st, exec::I32Add, exec::ImmOperand, exec::Addr32])],
                    [by_acc!(store_add[exec::$st, exec::I64Add, exec::SlotOperand, exec::Addr64]), by_acc!(store_add[exec::$st, exec::I64Add, exec::ImmOperand, exec::Addr64])],
                ],
                scaled: [h!(exec::store_scaled::<exec::$st, exec::Addr32>), h!(exec::store_scaled::<exec::$st, exec::Addr64>)],
                at: by_acc!(store_at[exec::$st]),
                tested: None,
            };
            self.memory_access(MemAccess { memarg, h: &H });
            Ok(())
        })*
    };
}

pub(super) use {br4, by_acc, load_br_forms, rr3, visit_binary, visit_memory, visit_unary};
