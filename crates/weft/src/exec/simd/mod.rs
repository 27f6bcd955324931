//! 128-bit SIMD (`v128`) and relaxed-SIMD instructions: one generic handler
//! per operand shape, instantiated for each operator (the operator types and
//! their lane arithmetic are in `simd_lanes.rs`).
//!
//! # Values
//!
//! A `v128` at slot `s` takes two cells: cell `s` holds bytes 0..8 (the low
//! 64 bits, little-endian) and cell `s + 1` bytes 8..16. Handlers work on it
//! as one `u128`; lane `i` of a `w`-bit shape is bits `i*w .. (i+1)*w`.
//!
//! # Operands
//!
//! Each handler decodes one instruction of `ir::isa` (`Unary` for the
//! one-operand shapes, `BinRR` for two, `VTernary`, `VExtract`,
//! `VReplace`, `VShuffle`, `VConst`, `Copy`, `Select`, `LoadMem`,
//! `StoreMem`, `VLoadLane`, `VStoreLane`).
//!
//! Memory handlers use the cached memory-0 base and length for memory 0 and
//! the instance's memory otherwise, and bounds-check like `memory.rs`.
//!
//! # Floating point
//!
//! Lane arithmetic follows the scalar handlers: hardware arithmetic yields
//! arithmetic NaNs; results of rounding, square root, demotion, promotion
//! and fused multiply-add are quieted explicitly (software versions may pass
//! a signalling NaN through). `min`/`max` propagate NaN and order -0 below
//! +0; `pmin`/`pmax` return an operand bit for bit; `abs`, `neg` and the
//! lane moves are bit operations.
//!
//! # Relaxed SIMD
//!
//! Each relaxed instruction has one fixed, deterministic behaviour, always
//! one the relaxed-SIMD spec tests allow:
//!
//! | instruction | weft's behaviour |
//! |---|---|
//! | `i8x16.relaxed_swizzle` | `i8x16.swizzle`: indices ≥ 16 give 0 |
//! | `i32x4.relaxed_trunc_f32x4_s`/`_u` | `i32x4.trunc_sat_f32x4_s`/`_u`: saturate, NaN → 0 |
//! | `i32x4.relaxed_trunc_f64x2_s`/`_u_zero` | `i32x4.trunc_sat_f64x2_s`/`_u_zero` |
//! | `f32x4`/`f64x2.relaxed_madd` | fused: `a * b + c` with one rounding (`mul_add`) |
//! | `f32x4`/`f64x2.relaxed_nmadd` | fused: `-(a * b) + c` with one rounding |
//! | `i8x16`/`i16x8`/`i32x4`/`i64x2.relaxed_laneselect` | `v128.bitselect`: bitwise by the mask |
//! | `f32x4`/`f64x2.relaxed_min`/`max` | `f32x4`/`f64x2.min`/`max` (NaN-propagating, -0 < +0) |
//! | `i16x8.relaxed_q15mulr_s` | `i16x8.q15mulr_sat_s`: `0x8000 * 0x8000` saturates to `0x7fff` |
//! | `i16x8.relaxed_dot_i8x16_i7x16_s` | both operands' bytes signed; pair sums saturated to i16 |
//! | `i32x4.relaxed_dot_i8x16_i7x16_add_s` | that dot, pairwise sums to i32, plus `c` (wrapping) |

mod lanes;
#[cfg(test)]
mod tests;

pub(crate) use lanes::*;

use super::memory::effective;
use super::{Ctx, Exit, Fp, Ip, decode, get, next, set, trap};
use crate::error::TrapKind;
use crate::ir::isa::{
    BinRR, LoadMem, Move, Select, StoreMem, Unary, VConst, VExtract, VLoadLane, VReplace, VShuffle,
    VStoreLane, VTernary,
};
use crate::ir::{Handler, h};

/// A `v128 -> v128` operator.
pub(crate) trait VUnOp {
    /// The result.
    fn apply(a: u128) -> u128;
}

/// A `v128 × v128 -> v128` operator.
pub(crate) trait VBinOp {
    /// The result.
    fn apply(a: u128, b: u128) -> u128;
}

/// A `v128 × v128 × v128 -> v128` operator.
pub(crate) trait VTernOp {
    /// The result.
    fn apply(a: u128, b: u128, c: u128) -> u128;
}

/// A `v128 -> i32` test.
pub(crate) trait VTestOp {
    /// The result.
    fn apply(a: u128) -> u32;
}

/// A lanewise shift by an `i32` count (taken modulo the lane width).
pub(crate) trait VShiftOp {
    /// The result.
    fn apply(a: u128, s: u32) -> u128;
}

/// A splat of a scalar cell into every lane.
pub(crate) trait VSplatOp {
    /// The result.
    fn apply(x: u64) -> u128;
}

/// The extraction of one lane into a scalar cell.
pub(crate) trait VExtractOp {
    /// The result cell: i32 and f32 zero-extended, floats as raw bits.
    fn apply(a: u128, lane: u32) -> u64;
}

/// The replacement of one lane by a scalar cell.
pub(crate) trait VReplaceOp {
    /// The result.
    fn apply(a: u128, x: u64, lane: u32) -> u128;
}

/// A `v128` load: how many bytes and how they become a `v128`.
pub(crate) trait VLoadOp {
    /// Bytes read.
    const SIZE: usize;
    /// The `v128` made of `SIZE` bytes.
    fn decode(b: &[u8]) -> u128;
}

/// Reads the `v128` at slot `s` (cells `s` and `s + 1`).
macro_rules! getv {
    ($fp:expr, $ctx:expr, $s:expr) => {{
        let s = $crate::exec::SlotIndex::index($s);
        u128::from(get!($fp, $ctx, s)) | u128::from(get!($fp, $ctx, s + 1)) << 64
    }};
}

/// Writes a `v128` to slot `s` (cells `s` and `s + 1`).
macro_rules! setv {
    ($fp:expr, $ctx:expr, $s:expr, $v:expr) => {{
        let s = $crate::exec::SlotIndex::index($s);
        let v: u128 = $v;
        set!($fp, $ctx, s, v as u64);
        set!($fp, $ctx, s + 1, (v >> 64) as u64);
    }};
}

/// `dst = OP a`.
pub(crate) unsafe fn v_un<O: VUnOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Unary);
    let a = getv!(fp, ctx, o.a);
    setv!(fp, ctx, o.dst, O::apply(a));
    next!(next, fp, mem, len, ctx, acc)
}

/// `dst = a OP b`.
pub(crate) unsafe fn v_bin<O: VBinOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, BinRR);
    let a = getv!(fp, ctx, o.a);
    let b = getv!(fp, ctx, o.b);
    setv!(fp, ctx, o.dst, O::apply(a, b));
    next!(next, fp, mem, len, ctx, acc)
}

/// `dst = OP(a, b, c)`.
pub(crate) unsafe fn v_tern<O: VTernOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, VTernary);
    let a = getv!(fp, ctx, o.a);
    let b = getv!(fp, ctx, o.b);
    let c = getv!(fp, ctx, o.c);
    setv!(fp, ctx, o.dst, O::apply(a, b, c));
    next!(next, fp, mem, len, ctx, acc)
}

/// `dst = OP a` with an i32 result.
pub(crate) unsafe fn v_test<O: VTestOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Unary);
    let a = getv!(fp, ctx, o.a);
    set!(fp, ctx, o.dst, u64::from(O::apply(a)));
    next!(next, fp, mem, len, ctx, acc)
}

/// `dst = a OP s` with an i32 shift count.
pub(crate) unsafe fn v_shift<O: VShiftOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, BinRR);
    let a = getv!(fp, ctx, o.a);
    let s = get!(fp, ctx, o.b) as u32;
    setv!(fp, ctx, o.dst, O::apply(a, s));
    next!(next, fp, mem, len, ctx, acc)
}

/// `dst = splat(x)`.
pub(crate) unsafe fn v_splat<O: VSplatOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Unary);
    let x = get!(fp, ctx, o.a);
    setv!(fp, ctx, o.dst, O::apply(x));
    next!(next, fp, mem, len, ctx, acc)
}

/// `dst = a[lane]` into a scalar cell.
pub(crate) unsafe fn v_extract<O: VExtractOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, VExtract);
    let a = getv!(fp, ctx, o.a);
    set!(fp, ctx, o.dst, O::apply(a, o.lane.0));
    next!(next, fp, mem, len, ctx, acc)
}

/// `dst = a` with `a[lane] = x`.
pub(crate) unsafe fn v_replace<O: VReplaceOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, VReplace);
    let a = getv!(fp, ctx, o.a);
    let x = get!(fp, ctx, o.x);
    setv!(fp, ctx, o.dst, O::apply(a, x, o.lane.0));
    next!(next, fp, mem, len, ctx, acc)
}

/// `i8x16.shuffle`.
pub(crate) unsafe fn v_shuffle(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, VShuffle);
    let a = getv!(fp, ctx, o.a);
    let b = getv!(fp, ctx, o.b);
    setv!(fp, ctx, o.dst, v128_shuffle(a, b, o.lanes.0));
    next!(next, fp, mem, len, ctx, acc)
}

/// [`v_shuffle`] with SSSE3, which the translator picks when the CPU has
/// it (see [`shuffle_handler`]).
///
/// # Safety
///
/// As for every handler, and the CPU must support SSSE3.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
pub(crate) unsafe fn v_shuffle_ssse3(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, VShuffle);
    let a = getv!(fp, ctx, o.a);
    let b = getv!(fp, ctx, o.b);
    // SAFETY: the translator emits this handler only when SSSE3 is there.
    let v = unsafe { v128_shuffle_ssse3(a, b, u128::from_le_bytes(o.lanes.0)) };
    setv!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, acc)
}

/// The fastest `i8x16.shuffle` handler this CPU runs: SSSE3's byte shuffle
/// where it exists, else the portable one.
pub(crate) fn shuffle_handler() -> Handler {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("ssse3") {
        return h!(v_shuffle_ssse3);
    }
    h!(v_shuffle)
}

/// `dst = imm` (128 bits).
pub(crate) unsafe fn v_const(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, VConst);
    setv!(fp, ctx, o.dst, u128::from_le_bytes(o.value.0));
    next!(next, fp, mem, len, ctx, acc)
}

/// `dst = src` (both cells).
pub(crate) unsafe fn v_copy(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Move);
    let v = getv!(fp, ctx, o.src);
    setv!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, acc)
}

/// `dst = cond ? a : b` on `v128`s.
pub(crate) unsafe fn v_select(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Select);
    let c = get!(fp, ctx, o.cond) as u32;
    let v = if c != 0 {
        getv!(fp, ctx, o.a)
    } else {
        getv!(fp, ctx, o.b)
    };
    setv!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, acc)
}

/// Base and length of memory `index`: the cached ones for memory 0.
#[inline(always)]
fn memory_of(ctx: &Ctx, index: u32, mem: *mut u8, len: usize) -> (*mut u8, usize) {
    if index == 0 {
        return (mem, len);
    }
    let m = ctx.inst().memories[index as usize];
    // SAFETY: memory pointers of an instance are live boxes of the store,
    // and no other reference to the memory is alive while a handler runs.
    unsafe { ((*m).data.as_mut_ptr(), (*m).data.len()) }
}

/// The `size` bytes at `addr + offset` of memory `index`, if in bounds.
#[inline(always)]
fn access<'m>(
    ctx: &Ctx,
    index: u32,
    mem: *mut u8,
    len: usize,
    addr: u64,
    offset: u64,
    size: usize,
) -> Option<&'m mut [u8]> {
    let (base, n) = memory_of(ctx, index, mem, len);
    let ea = effective(addr, offset, size, n)?;
    // SAFETY: `ea + size <= n`, and `base`/`n` describe a live memory
    // (memory 0's are refreshed after anything that can grow it). The slice
    // is used only until the handler continues.
    Some(unsafe { std::slice::from_raw_parts_mut(base.add(ea), size) })
}

/// `v128` load.
pub(crate) unsafe fn v_load<L: VLoadOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, LoadMem);
    let addr = get!(fp, ctx, o.addr);
    let Some(bytes) = access(ctx, o.memory.0, mem, len, addr, o.offset.get(), L::SIZE) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    setv!(fp, ctx, o.dst, L::decode(bytes));
    next!(next, fp, mem, len, ctx, acc)
}

/// `v128.store`.
pub(crate) unsafe fn v_store(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StoreMem);
    let addr = get!(fp, ctx, o.addr);
    let v = getv!(fp, ctx, o.value);
    let Some(out) = access(ctx, o.memory.0, mem, len, addr, o.offset.get(), 16) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    out.copy_from_slice(&v.to_le_bytes());
    next!(next, fp, mem, len, ctx, acc)
}

/// `v128.loadN_lane` with `N`-byte lanes.
pub(crate) unsafe fn v_load_lane<const N: usize>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, VLoadLane);
    let addr = get!(fp, ctx, o.addr);
    let v = getv!(fp, ctx, o.vec);
    let Some(bytes) = access(ctx, o.memory.0, mem, len, addr, o.offset.get(), N) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    let mut x = [0; 8];
    x[..N].copy_from_slice(bytes);
    let bits = 8 * N as u32;
    let shift = (o.lane.0 % (128 / bits)) * bits;
    let mask = (u128::MAX >> (128 - bits)) << shift;
    let v = (v & !mask) | u128::from(u64::from_le_bytes(x)) << shift;
    setv!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, acc)
}

/// `v128.storeN_lane` with `N`-byte lanes.
pub(crate) unsafe fn v_store_lane<const N: usize>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, VStoreLane);
    let addr = get!(fp, ctx, o.addr);
    let v = getv!(fp, ctx, o.vec);
    let Some(out) = access(ctx, o.memory.0, mem, len, addr, o.offset.get(), N) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    let bits = 8 * N as u32;
    let x = (v >> ((o.lane.0 % (128 / bits)) * bits)) as u64;
    out.copy_from_slice(&x.to_le_bytes()[..N]);
    next!(next, fp, mem, len, ctx, acc)
}
