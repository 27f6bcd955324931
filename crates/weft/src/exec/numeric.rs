//! Numeric instructions: one generic handler per operand shape
//! (slot/slot, slot/immediate, unary), instantiated for each operator.
//!
//! Values live in 64-bit cells: `i32` and `f32` zero-extended, floats as raw
//! bits so NaN payloads survive.

use super::forms::{AccOperand, ImmSide, Passing, Second, Source};
use super::{Ctx, Exit, Fp, Ip, decode, get, next, set, trap};
use crate::error::TrapKind;
use crate::ir::isa::{Bin2, BinImm, BinImm64, BinRR, Const64, Move2, Select, SlotOrImm, Unary};

/// A binary operator on cells.
pub(crate) trait BinOp {
    /// The result, or the trap it raises.
    fn apply(a: u64, b: u64) -> Result<u64, TrapKind>;
    /// Decodes a 32-bit immediate operand into a cell of the operand type.
    fn imm(x: u32) -> u64;
}

/// A unary operator on cells.
pub(crate) trait UnOp {
    /// The result, or the trap it raises.
    fn apply(a: u64) -> Result<u64, TrapKind>;
}

/// `dst = a OP b`, operands in slots, or one of them in `acc` as `S`
/// says. Passes the result on in `acc`.
pub(crate) unsafe fn bin_rr<O: BinOp, S: AccOperand>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, BinRR);
    let a = if S::FIRST { acc } else { get!(fp, ctx, o.a) };
    let b = if S::SECOND { acc } else { get!(fp, ctx, o.b) };
    let v = match O::apply(a, b) {
        Ok(v) => v,
        Err(k) => trap!(ip, ctx, k),
    };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// `dst = a OP imm`, or with `IMM_FIRST` `dst = imm OP a`; `a` in a slot
/// or (with `ACC`) in `acc`. Passes the result on in `acc`.
pub(crate) unsafe fn bin_imm<O: BinOp, P: ImmSide, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, BinImm);
    let x = if R::ACC { acc } else { get!(fp, ctx, o.a) };
    let imm = O::imm(o.imm.0);
    let r = if P::FIRST {
        O::apply(imm, x)
    } else {
        O::apply(x, imm)
    };
    let v = match r {
        Ok(v) => v,
        Err(k) => trap!(ip, ctx, k),
    };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// `dst = a OP imm` for a 64-bit operator and an immediate that needs all
/// 64 bits (hash multipliers, masks), `a` in a slot or (with `ACC`) in
/// `acc`. Passes the result on in `acc`.
pub(crate) unsafe fn bin_imm64<O: BinOp, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, BinImm64);
    let x = if R::ACC { acc } else { get!(fp, ctx, o.a) };
    let v = match O::apply(x, o.imm.get()) {
        Ok(v) => v,
        Err(k) => trap!(ip, ctx, k),
    };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// Operand `b` of operator `O`: the slot it names, or with `IMM` the
/// immediate it holds, as `O` decodes immediates.
#[inline(always)]
pub(crate) fn second<O: BinOp, B: Second>(b: SlotOrImm, fp: Fp, ctx: &Ctx) -> u64 {
    slot_or_imm::<B>(b, fp, ctx, O::imm)
}

/// Operand `x`: the slot it names, or with `IMM` the immediate it holds,
/// decoded by `imm`.
#[inline(always)]
fn slot_or_imm<B: Second>(x: SlotOrImm, fp: Fp, ctx: &Ctx, imm: fn(u32) -> u64) -> u64 {
    let _ = ctx; // read by `get!` in checked mode only
    if B::IMM { imm(x.0) } else { get!(fp, ctx, x.0) }
}

/// `mid = a OP1 b`, then `dst = mid OP2 c`: an operator and the one that
/// takes its result from `acc`, in one dispatch (hash and cipher rounds,
/// multiply-add). `b` and `c` are slots or immediates as `B1` and `B2`
/// say; `a` a slot or (with `ACC`) `acc`. The instruction records
/// `OP2`'s offset, so the translator puts first only operators that never
/// trap. Passes `dst` on in `acc`.
pub(crate) unsafe fn bin2<O1: BinOp, B1: Second, O2: BinOp, B2: Second, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Bin2);
    let a = if R::ACC { acc } else { get!(fp, ctx, o.a) };
    let mid = match O1::apply(a, second::<O1, B1>(o.b, fp, ctx)) {
        Ok(v) => v,
        Err(k) => trap!(ip, ctx, k),
    };
    // Written before `c` is read: `c` may be `mid`'s own slot.
    set!(fp, ctx, o.mid, mid);
    let v = match O2::apply(mid, second::<O2, B2>(o.c, fp, ctx)) {
        Ok(v) => v,
        Err(k) => trap!(ip, ctx, k),
    };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// `dst = OP a`, `a` in a slot or (with `ACC`) in `acc`.
/// Passes the result on in `acc`.
pub(crate) unsafe fn un<O: UnOp, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Unary);
    let a = if R::ACC { acc } else { get!(fp, ctx, o.a) };
    let v = match O::apply(a) {
        Ok(v) => v,
        Err(k) => trap!(ip, ctx, k),
    };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// `dst = src`, then `dst2 = src2`: two moves in one dispatch (the moves
/// into a branch's target, a loop variable's constant start and a copy),
/// each source a slot or (as `S1`, `S2` say) a zero-extended 32-bit
/// constant. Passes `acc` on, or with `ON` the value of `dst2`.
pub(crate) unsafe fn move2<S1: Second, S2: Second, P: Passing>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Move2);
    let v = slot_or_imm::<S1>(o.src, fp, ctx, u64::from);
    // Written before `src2` is read: the moves run in order.
    set!(fp, ctx, o.dst, v);
    let w = slot_or_imm::<S2>(o.src2, fp, ctx, u64::from);
    set!(fp, ctx, o.dst2, w);
    next!(next, fp, mem, len, ctx, if P::ON { w } else { acc })
}

/// `dst = imm` (64 bits).
pub(crate) unsafe fn const64(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Const64);
    set!(fp, ctx, o.dst, o.value.get());
    next!(next, fp, mem, len, ctx, acc)
}

/// `dst = cond ? a : b`, `cond` in a slot or (with `ACC`) in `acc`.
/// Passes the result on in `acc`.
pub(crate) unsafe fn select<R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Select);
    let c = if R::ACC { acc } else { get!(fp, ctx, o.cond) };
    let v = if c != 0 {
        get!(fp, ctx, o.a)
    } else {
        get!(fp, ctx, o.b)
    };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

#[inline(always)]
fn f32c(c: u64) -> f32 {
    f32::from_bits(c as u32)
}
#[inline(always)]
fn f64c(c: u64) -> f64 {
    f64::from_bits(c)
}
#[inline(always)]
fn cf32(f: f32) -> u64 {
    u64::from(f.to_bits())
}
#[inline(always)]
fn cf64(f: f64) -> u64 {
    f.to_bits()
}
/// Rounding functions may pass a signalling NaN through unchanged (when
/// done in software); Wasm requires an arithmetic (quiet) NaN.
#[inline(always)]
fn quiet32(f: f32) -> u64 {
    if f.is_nan() {
        cf32(f) | 0x0040_0000
    } else {
        cf32(f)
    }
}
#[inline(always)]
fn quiet64(f: f64) -> u64 {
    if f.is_nan() {
        cf64(f) | 0x0008_0000_0000_0000
    } else {
        cf64(f)
    }
}
#[inline(always)]
fn flag(v: bool) -> u64 {
    u64::from(v)
}
#[inline(always)]
fn imm32(x: u32) -> u64 {
    u64::from(x)
}
#[inline(always)]
fn imm64(x: u32) -> u64 {
    x as i32 as i64 as u64
}

macro_rules! bin_ops {
    ($($name:ident, $imm:ident, |$a:ident, $b:ident| $body:expr;)*) => {$(
        pub(crate) struct $name;
        impl BinOp for $name {
            #[inline(always)]
            fn apply($a: u64, $b: u64) -> Result<u64, TrapKind> { $body }
            #[inline(always)]
            fn imm(x: u32) -> u64 { $imm(x) }
        }
    )*};
}

macro_rules! un_ops {
    ($($name:ident, |$a:ident| $body:expr;)*) => {$(
        pub(crate) struct $name;
        impl UnOp for $name {
            #[inline(always)]
            fn apply($a: u64) -> Result<u64, TrapKind> { $body }
        }
    )*};
}

fn div_s32(a: i32, b: i32) -> Result<u64, TrapKind> {
    if b == 0 {
        return Err(TrapKind::IntegerDivisionByZero);
    }
    a.checked_div(b)
        .map(|v| u64::from(v as u32))
        .ok_or(TrapKind::IntegerOverflow)
}
fn div_s64(a: i64, b: i64) -> Result<u64, TrapKind> {
    if b == 0 {
        return Err(TrapKind::IntegerDivisionByZero);
    }
    a.checked_div(b)
        .map(|v| v as u64)
        .ok_or(TrapKind::IntegerOverflow)
}
fn nonzero<T: Default + PartialEq>(b: T) -> Result<T, TrapKind> {
    if b == T::default() {
        Err(TrapKind::IntegerDivisionByZero)
    } else {
        Ok(b)
    }
}

bin_ops! {
    I32Add, imm32, |a, b| Ok(u64::from((a as u32).wrapping_add(b as u32)));
    I32Sub, imm32, |a, b| Ok(u64::from((a as u32).wrapping_sub(b as u32)));
    I32Mul, imm32, |a, b| Ok(u64::from((a as u32).wrapping_mul(b as u32)));
    I32DivS, imm32, |a, b| div_s32(a as i32, b as i32);
    I32DivU, imm32, |a, b| Ok(u64::from((a as u32) / nonzero(b as u32)?));
    I32RemS, imm32, |a, b| Ok(u64::from((a as i32).wrapping_rem(nonzero(b as i32)?) as u32));
    I32RemU, imm32, |a, b| Ok(u64::from((a as u32) % nonzero(b as u32)?));
    I32And, imm32, |a, b| Ok(a & b);
    I32Or, imm32, |a, b| Ok(a | b);
    I32Xor, imm32, |a, b| Ok(a ^ b);
    I32Shl, imm32, |a, b| Ok(u64::from((a as u32).wrapping_shl(b as u32)));
    I32ShrS, imm32, |a, b| Ok(u64::from((a as i32).wrapping_shr(b as u32) as u32));
    I32ShrU, imm32, |a, b| Ok(u64::from((a as u32).wrapping_shr(b as u32)));
    I32Rotl, imm32, |a, b| Ok(u64::from((a as u32).rotate_left(b as u32 & 31)));
    I32Rotr, imm32, |a, b| Ok(u64::from((a as u32).rotate_right(b as u32 & 31)));
    I32Eq, imm32, |a, b| Ok(flag(a as u32 == b as u32));
    I32Ne, imm32, |a, b| Ok(flag(a as u32 != b as u32));
    I32LtS, imm32, |a, b| Ok(flag((a as i32) < (b as i32)));
    I32LtU, imm32, |a, b| Ok(flag((a as u32) < (b as u32)));
    I32GtS, imm32, |a, b| Ok(flag((a as i32) > (b as i32)));
    I32GtU, imm32, |a, b| Ok(flag((a as u32) > (b as u32)));
    I32LeS, imm32, |a, b| Ok(flag((a as i32) <= (b as i32)));
    I32LeU, imm32, |a, b| Ok(flag((a as u32) <= (b as u32)));
    I32GeS, imm32, |a, b| Ok(flag((a as i32) >= (b as i32)));
    I32GeU, imm32, |a, b| Ok(flag((a as u32) >= (b as u32)));

    I64Add, imm64, |a, b| Ok(a.wrapping_add(b));
    I64Sub, imm64, |a, b| Ok(a.wrapping_sub(b));
    I64Mul, imm64, |a, b| Ok(a.wrapping_mul(b));
    I64DivS, imm64, |a, b| div_s64(a as i64, b as i64);
    I64DivU, imm64, |a, b| Ok(a / nonzero(b)?);
    I64RemS, imm64, |a, b| Ok((a as i64).wrapping_rem(nonzero(b as i64)?) as u64);
    I64RemU, imm64, |a, b| Ok(a % nonzero(b)?);
    I64And, imm64, |a, b| Ok(a & b);
    I64Or, imm64, |a, b| Ok(a | b);
    I64Xor, imm64, |a, b| Ok(a ^ b);
    I64Shl, imm64, |a, b| Ok(a.wrapping_shl(b as u32));
    I64ShrS, imm64, |a, b| Ok((a as i64).wrapping_shr(b as u32) as u64);
    I64ShrU, imm64, |a, b| Ok(a.wrapping_shr(b as u32));
    I64Rotl, imm64, |a, b| Ok(a.rotate_left((b & 63) as u32));
    I64Rotr, imm64, |a, b| Ok(a.rotate_right((b & 63) as u32));
    I64Eq, imm64, |a, b| Ok(flag(a == b));
    I64Ne, imm64, |a, b| Ok(flag(a != b));
    I64LtS, imm64, |a, b| Ok(flag((a as i64) < (b as i64)));
    I64LtU, imm64, |a, b| Ok(flag(a < b));
    I64GtS, imm64, |a, b| Ok(flag((a as i64) > (b as i64)));
    I64GtU, imm64, |a, b| Ok(flag(a > b));
    I64LeS, imm64, |a, b| Ok(flag((a as i64) <= (b as i64)));
    I64LeU, imm64, |a, b| Ok(flag(a <= b));
    I64GeS, imm64, |a, b| Ok(flag((a as i64) >= (b as i64)));
    I64GeU, imm64, |a, b| Ok(flag(a >= b));

    F32Add, imm32, |a, b| Ok(cf32(f32c(a) + f32c(b)));
    F32Sub, imm32, |a, b| Ok(cf32(f32c(a) - f32c(b)));
    F32Mul, imm32, |a, b| Ok(cf32(f32c(a) * f32c(b)));
    F32Div, imm32, |a, b| Ok(cf32(f32c(a) / f32c(b)));
    F32Min, imm32, |a, b| Ok(cf32(fmin32(f32c(a), f32c(b))));
    F32Max, imm32, |a, b| Ok(cf32(fmax32(f32c(a), f32c(b))));
    F32Copysign, imm32, |a, b| Ok((a & 0x7fff_ffff) | (b & 0x8000_0000));
    F32Eq, imm32, |a, b| Ok(flag(f32c(a) == f32c(b)));
    F32Ne, imm32, |a, b| Ok(flag(f32c(a) != f32c(b)));
    F32Lt, imm32, |a, b| Ok(flag(f32c(a) < f32c(b)));
    F32Gt, imm32, |a, b| Ok(flag(f32c(a) > f32c(b)));
    F32Le, imm32, |a, b| Ok(flag(f32c(a) <= f32c(b)));
    F32Ge, imm32, |a, b| Ok(flag(f32c(a) >= f32c(b)));

    F64Add, imm64, |a, b| Ok(cf64(f64c(a) + f64c(b)));
    F64Sub, imm64, |a, b| Ok(cf64(f64c(a) - f64c(b)));
    F64Mul, imm64, |a, b| Ok(cf64(f64c(a) * f64c(b)));
    F64Div, imm64, |a, b| Ok(cf64(f64c(a) / f64c(b)));
    F64Min, imm64, |a, b| Ok(cf64(fmin64(f64c(a), f64c(b))));
    F64Max, imm64, |a, b| Ok(cf64(fmax64(f64c(a), f64c(b))));
    F64Copysign, imm64, |a, b| Ok((a & !(1 << 63)) | (b & (1 << 63)));
    F64Eq, imm64, |a, b| Ok(flag(f64c(a) == f64c(b)));
    F64Ne, imm64, |a, b| Ok(flag(f64c(a) != f64c(b)));
    F64Lt, imm64, |a, b| Ok(flag(f64c(a) < f64c(b)));
    F64Gt, imm64, |a, b| Ok(flag(f64c(a) > f64c(b)));
    F64Le, imm64, |a, b| Ok(flag(f64c(a) <= f64c(b)));
    F64Ge, imm64, |a, b| Ok(flag(f64c(a) >= f64c(b)));
}

macro_rules! fminmax {
    ($min:ident, $max:ident, $t:ty) => {
        /// Wasm `min`: NaN if either is NaN, and -0 below +0.
        pub(super) fn $min(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                // min(-0, +0) is -0: pick by sign bit.
                if a.is_sign_negative() { a } else { b }
            } else if a < b {
                a
            } else {
                b
            }
        }
        /// Wasm `max`: NaN if either is NaN, and +0 above -0.
        pub(super) fn $max(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                if a.is_sign_positive() { a } else { b }
            } else if a > b {
                a
            } else {
                b
            }
        }
    };
}
fminmax!(fmin32, fmax32, f32);
fminmax!(fmin64, fmax64, f64);

/// Truncation of a float to an integer that traps on NaN and overflow.
/// `lo` and `hi` are the exclusive bounds of the representable range.
macro_rules! trunc {
    ($x:expr, $lo:expr, $hi:expr, $to:ty) => {{
        let x = $x;
        if x.is_nan() {
            Err(TrapKind::InvalidConversionToInteger)
        } else if x > $lo && x < $hi {
            Ok(x as $to)
        } else {
            Err(TrapKind::IntegerOverflow)
        }
    }};
}

un_ops! {
    I32Eqz, |a| Ok(flag(a as u32 == 0));
    I32Clz, |a| Ok(u64::from((a as u32).leading_zeros()));
    I32Ctz, |a| Ok(u64::from((a as u32).trailing_zeros()));
    I32Popcnt, |a| Ok(u64::from((a as u32).count_ones()));
    I32Extend8S, |a| Ok(u64::from(a as i8 as i32 as u32));
    I32Extend16S, |a| Ok(u64::from(a as i16 as i32 as u32));
    I32WrapI64, |a| Ok(u64::from(a as u32));
    I64Eqz, |a| Ok(flag(a == 0));
    I64Clz, |a| Ok(u64::from(a.leading_zeros()));
    I64Ctz, |a| Ok(u64::from(a.trailing_zeros()));
    I64Popcnt, |a| Ok(u64::from(a.count_ones()));
    I64Extend8S, |a| Ok(a as i8 as i64 as u64);
    I64Extend16S, |a| Ok(a as i16 as i64 as u64);
    I64Extend32S, |a| Ok(a as i32 as i64 as u64);
    I64ExtendI32S, |a| Ok(a as i32 as i64 as u64);
    I64ExtendI32U, |a| Ok(u64::from(a as u32));

    F32Abs, |a| Ok(a & 0x7fff_ffff);
    F32Neg, |a| Ok((a ^ 0x8000_0000) & 0xffff_ffff);
    F32Ceil, |a| Ok(quiet32(f32c(a).ceil()));
    F32Floor, |a| Ok(quiet32(f32c(a).floor()));
    F32Trunc, |a| Ok(quiet32(f32c(a).trunc()));
    F32Nearest, |a| Ok(quiet32(f32c(a).round_ties_even()));
    F32Sqrt, |a| Ok(quiet32(f32c(a).sqrt()));
    F64Abs, |a| Ok(a & !(1 << 63));
    F64Neg, |a| Ok(a ^ (1 << 63));
    F64Ceil, |a| Ok(quiet64(f64c(a).ceil()));
    F64Floor, |a| Ok(quiet64(f64c(a).floor()));
    F64Trunc, |a| Ok(quiet64(f64c(a).trunc()));
    F64Nearest, |a| Ok(quiet64(f64c(a).round_ties_even()));
    F64Sqrt, |a| Ok(quiet64(f64c(a).sqrt()));

    I32TruncF32S, |a| trunc!(f32c(a), -2147483904.0f32, 2147483648.0f32, i32).map(|v| u64::from(v as u32));
    I32TruncF32U, |a| trunc!(f32c(a), -1.0f32, 4294967296.0f32, u32).map(u64::from);
    I32TruncF64S, |a| trunc!(f64c(a), -2147483649.0f64, 2147483648.0f64, i32).map(|v| u64::from(v as u32));
    I32TruncF64U, |a| trunc!(f64c(a), -1.0f64, 4294967296.0f64, u32).map(u64::from);
    I64TruncF32S, |a| trunc!(f32c(a), -9223373136366403584.0f32, 9223372036854775808.0f32, i64).map(|v| v as u64);
    I64TruncF32U, |a| trunc!(f32c(a), -1.0f32, 18446744073709551616.0f32, u64);
    I64TruncF64S, |a| trunc!(f64c(a), -9223372036854777856.0f64, 9223372036854775808.0f64, i64).map(|v| v as u64);
    I64TruncF64U, |a| trunc!(f64c(a), -1.0f64, 18446744073709551616.0f64, u64);
    I32TruncSatF32S, |a| Ok(u64::from(f32c(a) as i32 as u32));
    I32TruncSatF32U, |a| Ok(u64::from(f32c(a) as u32));
    I32TruncSatF64S, |a| Ok(u64::from(f64c(a) as i32 as u32));
    I32TruncSatF64U, |a| Ok(u64::from(f64c(a) as u32));
    I64TruncSatF32S, |a| Ok(f32c(a) as i64 as u64);
    I64TruncSatF32U, |a| Ok(f32c(a) as u64);
    I64TruncSatF64S, |a| Ok(f64c(a) as i64 as u64);
    I64TruncSatF64U, |a| Ok(f64c(a) as u64);

    F32ConvertI32S, |a| Ok(cf32(a as i32 as f32));
    F32ConvertI32U, |a| Ok(cf32(a as u32 as f32));
    F32ConvertI64S, |a| Ok(cf32(a as i64 as f32));
    F32ConvertI64U, |a| Ok(cf32(a as f32));
    F32DemoteF64, |a| Ok(cf32(f64c(a) as f32));
    F64ConvertI32S, |a| Ok(cf64(f64::from(a as i32)));
    F64ConvertI32U, |a| Ok(cf64(f64::from(a as u32)));
    F64ConvertI64S, |a| Ok(cf64(a as i64 as f64));
    F64ConvertI64U, |a| Ok(cf64(a as f64));
    F64PromoteF32, |a| Ok(cf64(f64::from(f32c(a))));
}
