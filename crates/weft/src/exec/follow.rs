//! Copies and 32-bit constants, and the instruction after them: run by a
//! dispatch, or, where the translator knows its handler, directly.
//!
//! Copies and constants are the most frequent instructions of loops that
//! rotate values through locals (a list reversal's `rev = list; list =
//! next`) or reset them, and their indirect jump to whatever follows is
//! shared by every such move in every program, so it predicts poorly.
//! `copy_then::<P, F>` (and `const_then`) does the move and then jumps
//! straight to handler `F`, which the translator knows follows it; the
//! plain `copy` and `const32` are the same with `F` = [`Dispatch`]. The
//! follower keeps its own handler word, so branches to it still land on a
//! whole instruction; only the fall-through from the move skips the
//! dispatch.

use super::control::{br, br_cmp, br_zero, call};
use super::forms::{
    Addr32, FromAcc, FromSlot, IfTrue, ImmOperand, ImmRight, OnNonZero, OnZero, Passing, Plain,
    SlotOperand,
};
use super::memory::{Load8U, Load32, load, load_br};
use super::numeric::{I32Add, I32LtS, I32LtU, I32Ne, I32Sub, bin_imm};
use super::{Ctx, Exit, Fp, Ip, decode, get, next, set};
use crate::ir::isa::{Const32, Move};

/// A handler a move may jump to directly (see the module's description).
pub(crate) trait Follower {
    /// Runs the handler on the instruction at `ip`.
    ///
    /// # Safety
    ///
    /// As for every handler: `ip` is the start of an instruction the
    /// translator emitted for this handler, `fp` the running frame.
    unsafe fn run(ip: Ip, fp: Fp, mem: *mut u8, len: usize, ctx: &mut Ctx, acc: u64) -> Exit;
}

/// The follower of a move the translator knows nothing after: whatever
/// handler the next instruction names, by the usual dispatch.
pub(crate) struct Dispatch;

impl Follower for Dispatch {
    #[inline(always)]
    unsafe fn run(ip: Ip, fp: Fp, mem: *mut u8, len: usize, ctx: &mut Ctx, acc: u64) -> Exit {
        next!(ip, fp, mem, len, ctx, acc)
    }
}

/// Declares follower types, each running one handler.
macro_rules! followers {
    ($($(#[$doc:meta])* $name:ident => $h:path;)*) => {
        $(
            $(#[$doc])*
            pub(crate) struct $name;
            impl Follower for $name {
                #[inline(always)]
                unsafe fn run(
                    ip: Ip,
                    fp: Fp,
                    mem: *mut u8,
                    len: usize,
                    ctx: &mut Ctx,
                    acc: u64,
                ) -> Exit {
                    // SAFETY: the caller's promise is the handler's.
                    unsafe { $h(ip, fp, mem, len, ctx, acc) }
                }
            }
        )*
    };
}

followers! {
    /// `load<Load32, Addr32, FromSlot>`.
    LoadWord => load::<Load32, Addr32, FromSlot>;
    /// `load<Load32, Addr32, FromAcc>`.
    LoadWordAcc => load::<Load32, Addr32, FromAcc>;
    /// `load_br<Load32, OnNonZero, FromSlot>`.
    LoadWordBrNonZero => load_br::<Load32, OnNonZero, FromSlot>;
    /// `br_zero<OnNonZero, FromAcc>`.
    BrNonZeroAcc => br_zero::<OnNonZero, FromAcc>;
    /// `br_zero<OnZero, FromAcc>`.
    BrZeroAcc => br_zero::<OnZero, FromAcc>;
    /// `br_zero<OnNonZero, FromSlot>`.
    BrNonZero => br_zero::<OnNonZero, FromSlot>;
    /// `br_zero<OnZero, FromSlot>`.
    BrZero => br_zero::<OnZero, FromSlot>;
    /// `br_cmp<I32Ne, IfTrue, ImmOperand, FromSlot>`.
    BrNeImm => br_cmp::<I32Ne, IfTrue, ImmOperand, FromSlot>;
    /// `br_cmp<I32Ne, IfTrue, SlotOperand, FromSlot>`.
    BrNe => br_cmp::<I32Ne, IfTrue, SlotOperand, FromSlot>;
    /// `br_cmp<I32LtS, IfTrue, SlotOperand, FromSlot>`.
    BrLtS => br_cmp::<I32LtS, IfTrue, SlotOperand, FromSlot>;
    /// `br_cmp<I32LtU, IfTrue, SlotOperand, FromSlot>`.
    BrLtU => br_cmp::<I32LtU, IfTrue, SlotOperand, FromSlot>;
    /// `br`.
    Jump => br;
    /// `bin_imm<I32Add, ImmRight, FromSlot>`.
    AddImm => bin_imm::<I32Add, ImmRight, FromSlot>;
    /// `bin_imm<I32Sub, ImmRight, FromSlot>`.
    SubImm => bin_imm::<I32Sub, ImmRight, FromSlot>;
    /// `load<Load8U, Addr32, FromSlot>`.
    LoadByte => load::<Load8U, Addr32, FromSlot>;
    /// `call<Plain>`.
    CallDirect => call::<Plain>;
}

/// `dst = src`. Passes `acc` on, or with `ON` the value moved.
pub(crate) unsafe fn copy<P: Passing>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    // SAFETY: the caller's promise; `Dispatch` follows any instruction.
    unsafe { copy_then::<P, Dispatch>(ip, fp, mem, len, ctx, acc) }
}

/// `dst = value` (32 bits, zero-extended). Passes `acc` on, or with `ON`
/// the constant.
pub(crate) unsafe fn const32<P: Passing>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    // SAFETY: as in `copy`.
    unsafe { const_then::<P, Dispatch>(ip, fp, mem, len, ctx, acc) }
}

/// `dst = src`, then the instruction after it, which runs `F`. Passes
/// `acc` on to it, or with `ON` the value moved.
#[inline(always)]
pub(crate) unsafe fn copy_then<P: Passing, F: Follower>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Move);
    let v = get!(fp, ctx, o.src);
    set!(fp, ctx, o.dst, v);
    // SAFETY: the translator emits this handler only where the next
    // instruction is one of `F`'s (any, for `Dispatch`).
    unsafe { F::run(next.ip(), fp, mem, len, ctx, if P::ON { v } else { acc }) }
}

/// `dst = value`, then the instruction after it, which runs `F`. Passes
/// `acc` on to it, or with `ON` the constant.
#[inline(always)]
pub(crate) unsafe fn const_then<P: Passing, F: Follower>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Const32);
    let v = u64::from(o.value.0);
    set!(fp, ctx, o.dst, v);
    // SAFETY: as in `copy_then`.
    unsafe { F::run(next.ip(), fp, mem, len, ctx, if P::ON { v } else { acc }) }
}
