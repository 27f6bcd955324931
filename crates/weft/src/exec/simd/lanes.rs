//! Lane arithmetic of the `v128` instructions: one zero-sized type per
//! operator, implementing the operator trait of its shape (declared in
//! `simd.rs`, which also documents the relaxed-SIMD choices).
//!
//! A `v128` is a `u128` whose byte `i` is byte `i` of the Wasm value
//! (little-endian), so lane `i` of a `w`-bit shape is bits `i*w .. (i+1)*w`.
//! Operators split values into lane arrays, work lanewise in portable Rust
//! and join the lanes again; LLVM turns most of this into vector code.

use super::{VBinOp, VExtractOp, VLoadOp, VReplaceOp, VShiftOp, VSplatOp, VTernOp, VTestOp, VUnOp};
use crate::exec::numeric::{fmax32, fmax64, fmin32, fmin64};

/// A lane type: how the low `BITS` bits of a `u128` become a lane value
/// and back.
trait Lane: Copy {
    /// Width of the lane.
    const BITS: u32;
    /// The lane held in the low `BITS` bits of `b`.
    fn of(b: u128) -> Self;
    /// The lane's bits, zero-extended.
    fn bits(self) -> u128;
}

/// Implements [`Lane`] for integer types (`signed => unsigned of the same width`).
macro_rules! int_lanes {
    ($($t:ty => $u:ty),*) => {$(
        impl Lane for $t {
            const BITS: u32 = <$t>::BITS;
            #[inline(always)]
            fn of(b: u128) -> Self {
                b as $t
            }
            #[inline(always)]
            fn bits(self) -> u128 {
                u128::from(self as $u)
            }
        }
    )*};
}
int_lanes!(i8 => u8, u8 => u8, i16 => u16, u16 => u16);
int_lanes!(i32 => u32, u32 => u32, i64 => u64, u64 => u64);

impl Lane for f32 {
    const BITS: u32 = 32;
    #[inline(always)]
    fn of(b: u128) -> Self {
        f32::from_bits(b as u32)
    }
    #[inline(always)]
    fn bits(self) -> u128 {
        u128::from(self.to_bits())
    }
}

impl Lane for f64 {
    const BITS: u32 = 64;
    #[inline(always)]
    fn of(b: u128) -> Self {
        f64::from_bits(b as u64)
    }
    #[inline(always)]
    fn bits(self) -> u128 {
        u128::from(self.to_bits())
    }
}

/// The low `N` lanes of `v`.
#[inline(always)]
fn split<T: Lane, const N: usize>(v: u128) -> [T; N] {
    const { assert!(N as u32 * T::BITS <= 128) };
    std::array::from_fn(|i| T::of(v >> (i as u32 * T::BITS)))
}

/// `N` lanes packed from bit 0 up; the bits above them are zero.
#[inline(always)]
fn join<T: Lane, const N: usize>(lanes: [T; N]) -> u128 {
    const { assert!(N as u32 * T::BITS <= 128) };
    let mut v = 0;
    for (i, x) in lanes.into_iter().enumerate() {
        v |= x.bits() << (i as u32 * T::BITS);
    }
    v
}

/// All ones in the low `bits` bits.
#[inline(always)]
const fn ones(bits: u32) -> u128 {
    u128::MAX >> (128 - bits)
}

/// `f` applied to each of the low `N` lanes of `a`, converting the lane type.
#[inline(always)]
fn conv<T: Lane, U: Lane, const N: usize>(a: u128, f: impl Fn(T) -> U) -> u128 {
    join(split::<T, N>(a).map(f))
}

/// `f` applied to each lane of `a`.
#[inline(always)]
fn un<T: Lane, const N: usize>(a: u128, f: impl Fn(T) -> T) -> u128 {
    conv::<T, T, N>(a, f)
}

/// `f` applied to each pair of the low `N` lanes of `a` and `b`.
#[inline(always)]
fn zip<T: Lane, U: Lane, const N: usize>(a: u128, b: u128, f: impl Fn(T, T) -> U) -> u128 {
    let (a, b) = (split::<T, N>(a), split::<T, N>(b));
    join::<U, N>(std::array::from_fn(|i| f(a[i], b[i])))
}

/// `f` applied to each pair of lanes of `a` and `b`.
#[inline(always)]
fn bin<T: Lane, const N: usize>(a: u128, b: u128, f: impl Fn(T, T) -> T) -> u128 {
    zip::<T, T, N>(a, b, f)
}

/// `f` applied to each triple of lanes of `a`, `b` and `c`.
#[inline(always)]
fn tern<T: Lane, const N: usize>(a: u128, b: u128, c: u128, f: impl Fn(T, T, T) -> T) -> u128 {
    let (a, b, c) = (split::<T, N>(a), split::<T, N>(b), split::<T, N>(c));
    join::<T, N>(std::array::from_fn(|i| f(a[i], b[i], c[i])))
}

/// A comparison: each lane all ones where `f` holds, else all zeros.
#[inline(always)]
fn cmp<T: Lane, const N: usize>(a: u128, b: u128, f: impl Fn(T, T) -> bool) -> u128 {
    let (a, b) = (split::<T, N>(a), split::<T, N>(b));
    let mut v = 0;
    for i in 0..N {
        if f(a[i], b[i]) {
            v |= ones(T::BITS) << (i as u32 * T::BITS);
        }
    }
    v
}

/// The lanes of `a` then those of `b`, each narrowed by `f` to half width.
#[inline(always)]
fn narrow<T: Lane, U: Lane, const N: usize>(a: u128, b: u128, f: impl Fn(T) -> U) -> u128 {
    conv::<T, U, N>(a, &f) | conv::<T, U, N>(b, &f) << (N as u32 * U::BITS)
}

/// 1 if every `bits`-wide lane of `a` is non-zero.
#[inline(always)]
fn all_true(a: u128, bits: u32) -> u32 {
    u32::from((0..128 / bits).all(|i| (a >> (i * bits)) & ones(bits) != 0))
}

/// Bit `i` is the top bit of `bits`-wide lane `i` of `a`.
#[inline(always)]
fn bitmask(a: u128, bits: u32) -> u32 {
    (0..128 / bits).fold(0, |m, i| {
        m | (((a >> (i * bits + bits - 1)) & 1) as u32) << i
    })
}

/// `x`'s low `bits` bits in every lane.
#[inline(always)]
fn splat(x: u64, bits: u32) -> u128 {
    (u128::from(x) & ones(bits)) * (u128::MAX / ones(bits))
}

/// `bits`-wide lane `lane` of `a` in the low bits (the lane index is
/// validated; it is reduced modulo the lane count only for safety).
#[inline(always)]
fn lane_of(a: u128, lane: u32, bits: u32) -> u128 {
    a >> ((lane % (128 / bits)) * bits)
}

/// `a` with `bits`-wide lane `lane` replaced by the low bits of `x`.
#[inline(always)]
fn replace(a: u128, x: u64, lane: u32, bits: u32) -> u128 {
    let shift = (lane % (128 / bits)) * bits;
    (a & !(ones(bits) << shift)) | (u128::from(x) & ones(bits)) << shift
}

/// Byte `i` of the result is byte `s[i]` of `a`, or 0 if `s[i] >= 16`.
#[inline(always)]
fn swizzle(a: u128, s: u128) -> u128 {
    // Indexing a byte array: shifting a u128 by a variable amount per lane
    // costs several times more.
    let mut table = [0u8; 32];
    table[..16].copy_from_slice(&a.to_le_bytes());
    u128::from_le_bytes(s.to_le_bytes().map(|i| table[usize::from(i.min(16))]))
}

/// `i8x16.shuffle`: byte `i` of the result is byte `lanes[i]` of the
/// 32-byte concatenation of `a` and `b` (0 for an index above 31, which
/// validation rules out).
#[inline(always)]
pub(crate) fn v128_shuffle(a: u128, b: u128, lanes: [u8; 16]) -> u128 {
    let mut table = [0u8; 33];
    table[..16].copy_from_slice(&a.to_le_bytes());
    table[16..32].copy_from_slice(&b.to_le_bytes());
    u128::from_le_bytes(lanes.map(|i| table[usize::from(i.min(32))]))
}

/// [`v128_shuffle`] with SSSE3's byte shuffle (`pshufb`), for CPUs that
/// have it (the translator checks): the same result for every input.
///
/// # Safety
///
/// The CPU must support SSSE3.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
#[inline]
pub(crate) unsafe fn v128_shuffle_ssse3(a: u128, b: u128, lanes: u128) -> u128 {
    use std::arch::x86_64::{
        __m128i, _mm_adds_epu8, _mm_or_si128, _mm_set1_epi8, _mm_shuffle_epi8, _mm_sub_epi8,
    };
    // SAFETY: `u128` and `__m128i` are both 16 plain bytes, little-endian
    // lanes on x86-64.
    let [a, b, l] = [a, b, lanes].map(|v| unsafe { std::mem::transmute::<u128, __m128i>(v) });
    // `pshufb` zeroes a byte whose index has bit 7 set and otherwise uses
    // the index's low 4 bits. A saturating add of 0x70 keeps 0..=15 below
    // 0x80 (low bits intact) and sends everything above to 0x80 or more.
    let bias = _mm_set1_epi8(0x70);
    let from_a = _mm_shuffle_epi8(a, _mm_adds_epu8(l, bias));
    let from_b = _mm_shuffle_epi8(b, _mm_adds_epu8(_mm_sub_epi8(l, _mm_set1_epi8(16)), bias));
    // SAFETY: as above.
    unsafe { std::mem::transmute::<__m128i, u128>(_mm_or_si128(from_a, from_b)) }
}

/// The sign bits of the `f32x4` lanes.
const F32_SIGNS: u128 = 0x8000_0000_8000_0000_8000_0000_8000_0000;
/// The sign bits of the `f64x2` lanes.
const F64_SIGNS: u128 = 0x8000_0000_0000_0000_8000_0000_0000_0000;

/// `f` with its quiet bit set if it is a NaN: software rounding (and
/// software FMA) may pass a signalling NaN through, but Wasm requires an
/// arithmetic NaN.
#[inline(always)]
fn q32(f: f32) -> f32 {
    if f.is_nan() {
        f32::from_bits(f.to_bits() | 0x0040_0000)
    } else {
        f
    }
}

/// As [`q32`], for `f64`.
#[inline(always)]
fn q64(f: f64) -> f64 {
    if f.is_nan() {
        f64::from_bits(f.to_bits() | 0x0008_0000_0000_0000)
    } else {
        f
    }
}

/// `i16x8.q15mulr_sat_s` of one lane.
#[inline(always)]
fn q15mulr(x: i16, y: i16) -> i16 {
    ((i32::from(x) * i32::from(y) + 0x4000) >> 15).clamp(-0x8000, 0x7fff) as i16
}

/// The relaxed 8-bit dot product of the two bytes of 16-bit lanes `a` and
/// `b`, both bytes signed, saturated to `i16`.
#[inline(always)]
fn dot_i8_pair(a: u16, b: u16) -> i16 {
    let p = |x: u16, y: u16| i32::from(x as i8) * i32::from(y as i8);
    (p(a, b) + p(a >> 8, b >> 8)).clamp(-0x8000, 0x7fff) as i16
}

/// Defines one zero-sized operator type per line, implementing `$trait`.
macro_rules! ops {
    ($trait:ident fn $params:tt -> $ret:ty {
        $($name:ident $wat:literal => $body:expr;)*
    }) => {$(
        #[doc = concat!("The `", $wat, "` operator.")]
        pub(crate) struct $name;
        impl $trait for $name {
            #[inline(always)]
            fn apply $params -> $ret {
                $body
            }
        }
    )*};
}

ops! { VUnOp fn(a: u128) -> u128 {
    V128Not "v128.not" => !a;

    I8x16Abs "i8x16.abs" => un::<i8, 16>(a, i8::wrapping_abs);
    I8x16Neg "i8x16.neg" => un::<i8, 16>(a, i8::wrapping_neg);
    I8x16Popcnt "i8x16.popcnt" => un::<u8, 16>(a, |x| x.count_ones() as u8);

    I16x8Abs "i16x8.abs" => un::<i16, 8>(a, i16::wrapping_abs);
    I16x8Neg "i16x8.neg" => un::<i16, 8>(a, i16::wrapping_neg);
    I16x8ExtAddPairwiseI8x16S "i16x8.extadd_pairwise_i8x16_s" =>
        conv::<u16, i16, 8>(a, |w| i16::from(w as i8) + i16::from((w >> 8) as i8));
    I16x8ExtAddPairwiseI8x16U "i16x8.extadd_pairwise_i8x16_u" =>
        un::<u16, 8>(a, |w| (w & 0xff) + (w >> 8));
    I16x8ExtendLowI8x16S "i16x8.extend_low_i8x16_s" => conv::<i8, i16, 8>(a, i16::from);
    I16x8ExtendHighI8x16S "i16x8.extend_high_i8x16_s" => conv::<i8, i16, 8>(a >> 64, i16::from);
    I16x8ExtendLowI8x16U "i16x8.extend_low_i8x16_u" => conv::<u8, u16, 8>(a, u16::from);
    I16x8ExtendHighI8x16U "i16x8.extend_high_i8x16_u" => conv::<u8, u16, 8>(a >> 64, u16::from);

    I32x4Abs "i32x4.abs" => un::<i32, 4>(a, i32::wrapping_abs);
    I32x4Neg "i32x4.neg" => un::<i32, 4>(a, i32::wrapping_neg);
    I32x4ExtAddPairwiseI16x8S "i32x4.extadd_pairwise_i16x8_s" =>
        conv::<u32, i32, 4>(a, |w| i32::from(w as i16) + i32::from((w >> 16) as i16));
    I32x4ExtAddPairwiseI16x8U "i32x4.extadd_pairwise_i16x8_u" =>
        un::<u32, 4>(a, |w| (w & 0xffff) + (w >> 16));
    I32x4ExtendLowI16x8S "i32x4.extend_low_i16x8_s" => conv::<i16, i32, 4>(a, i32::from);
    I32x4ExtendHighI16x8S "i32x4.extend_high_i16x8_s" => conv::<i16, i32, 4>(a >> 64, i32::from);
    I32x4ExtendLowI16x8U "i32x4.extend_low_i16x8_u" => conv::<u16, u32, 4>(a, u32::from);
    I32x4ExtendHighI16x8U "i32x4.extend_high_i16x8_u" => conv::<u16, u32, 4>(a >> 64, u32::from);
    // `as` from float to integer saturates and maps NaN to 0: trunc_sat.
    I32x4TruncSatF32x4S "i32x4.trunc_sat_f32x4_s" => conv::<f32, i32, 4>(a, |x| x as i32);
    I32x4TruncSatF32x4U "i32x4.trunc_sat_f32x4_u" => conv::<f32, u32, 4>(a, |x| x as u32);
    I32x4TruncSatF64x2SZero "i32x4.trunc_sat_f64x2_s_zero" => conv::<f64, i32, 2>(a, |x| x as i32);
    I32x4TruncSatF64x2UZero "i32x4.trunc_sat_f64x2_u_zero" => conv::<f64, u32, 2>(a, |x| x as u32);
    I32x4RelaxedTruncF32x4S "i32x4.relaxed_trunc_f32x4_s" => I32x4TruncSatF32x4S::apply(a);
    I32x4RelaxedTruncF32x4U "i32x4.relaxed_trunc_f32x4_u" => I32x4TruncSatF32x4U::apply(a);
    I32x4RelaxedTruncF64x2SZero "i32x4.relaxed_trunc_f64x2_s_zero" =>
        I32x4TruncSatF64x2SZero::apply(a);
    I32x4RelaxedTruncF64x2UZero "i32x4.relaxed_trunc_f64x2_u_zero" =>
        I32x4TruncSatF64x2UZero::apply(a);

    I64x2Abs "i64x2.abs" => un::<i64, 2>(a, i64::wrapping_abs);
    I64x2Neg "i64x2.neg" => un::<i64, 2>(a, i64::wrapping_neg);
    I64x2ExtendLowI32x4S "i64x2.extend_low_i32x4_s" => conv::<i32, i64, 2>(a, i64::from);
    I64x2ExtendHighI32x4S "i64x2.extend_high_i32x4_s" => conv::<i32, i64, 2>(a >> 64, i64::from);
    I64x2ExtendLowI32x4U "i64x2.extend_low_i32x4_u" => conv::<u32, u64, 2>(a, u64::from);
    I64x2ExtendHighI32x4U "i64x2.extend_high_i32x4_u" => conv::<u32, u64, 2>(a >> 64, u64::from);

    F32x4Abs "f32x4.abs" => a & !F32_SIGNS;
    F32x4Neg "f32x4.neg" => a ^ F32_SIGNS;
    F32x4Ceil "f32x4.ceil" => un::<f32, 4>(a, |x| q32(x.ceil()));
    F32x4Floor "f32x4.floor" => un::<f32, 4>(a, |x| q32(x.floor()));
    F32x4Trunc "f32x4.trunc" => un::<f32, 4>(a, |x| q32(x.trunc()));
    F32x4Nearest "f32x4.nearest" => un::<f32, 4>(a, |x| q32(x.round_ties_even()));
    F32x4Sqrt "f32x4.sqrt" => un::<f32, 4>(a, |x| q32(x.sqrt()));
    F32x4ConvertI32x4S "f32x4.convert_i32x4_s" => conv::<i32, f32, 4>(a, |x| x as f32);
    F32x4ConvertI32x4U "f32x4.convert_i32x4_u" => conv::<u32, f32, 4>(a, |x| x as f32);
    F32x4DemoteF64x2Zero "f32x4.demote_f64x2_zero" => conv::<f64, f32, 2>(a, |x| q32(x as f32));

    F64x2Abs "f64x2.abs" => a & !F64_SIGNS;
    F64x2Neg "f64x2.neg" => a ^ F64_SIGNS;
    F64x2Ceil "f64x2.ceil" => un::<f64, 2>(a, |x| q64(x.ceil()));
    F64x2Floor "f64x2.floor" => un::<f64, 2>(a, |x| q64(x.floor()));
    F64x2Trunc "f64x2.trunc" => un::<f64, 2>(a, |x| q64(x.trunc()));
    F64x2Nearest "f64x2.nearest" => un::<f64, 2>(a, |x| q64(x.round_ties_even()));
    F64x2Sqrt "f64x2.sqrt" => un::<f64, 2>(a, |x| q64(x.sqrt()));
    F64x2ConvertLowI32x4S "f64x2.convert_low_i32x4_s" => conv::<i32, f64, 2>(a, f64::from);
    F64x2ConvertLowI32x4U "f64x2.convert_low_i32x4_u" => conv::<u32, f64, 2>(a, f64::from);
    F64x2PromoteLowF32x4 "f64x2.promote_low_f32x4" => conv::<f32, f64, 2>(a, |x| q64(f64::from(x)));
}}

ops! { VBinOp fn(a: u128, b: u128) -> u128 {
    V128And "v128.and" => a & b;
    V128AndNot "v128.andnot" => a & !b;
    V128Or "v128.or" => a | b;
    V128Xor "v128.xor" => a ^ b;

    I8x16Swizzle "i8x16.swizzle" => swizzle(a, b);
    I8x16RelaxedSwizzle "i8x16.relaxed_swizzle" => swizzle(a, b);
    I8x16NarrowI16x8S "i8x16.narrow_i16x8_s" =>
        narrow::<i16, i8, 8>(a, b, |x| x.clamp(-0x80, 0x7f) as i8);
    I8x16NarrowI16x8U "i8x16.narrow_i16x8_u" =>
        narrow::<i16, u8, 8>(a, b, |x| x.clamp(0, 0xff) as u8);
    I8x16Add "i8x16.add" => bin::<i8, 16>(a, b, i8::wrapping_add);
    I8x16AddSatS "i8x16.add_sat_s" => bin::<i8, 16>(a, b, i8::saturating_add);
    I8x16AddSatU "i8x16.add_sat_u" => bin::<u8, 16>(a, b, u8::saturating_add);
    I8x16Sub "i8x16.sub" => bin::<i8, 16>(a, b, i8::wrapping_sub);
    I8x16SubSatS "i8x16.sub_sat_s" => bin::<i8, 16>(a, b, i8::saturating_sub);
    I8x16SubSatU "i8x16.sub_sat_u" => bin::<u8, 16>(a, b, u8::saturating_sub);
    I8x16MinS "i8x16.min_s" => bin::<i8, 16>(a, b, |x, y| x.min(y));
    I8x16MinU "i8x16.min_u" => bin::<u8, 16>(a, b, |x, y| x.min(y));
    I8x16MaxS "i8x16.max_s" => bin::<i8, 16>(a, b, |x, y| x.max(y));
    I8x16MaxU "i8x16.max_u" => bin::<u8, 16>(a, b, |x, y| x.max(y));
    I8x16AvgrU "i8x16.avgr_u" =>
        bin::<u8, 16>(a, b, |x, y| ((u16::from(x) + u16::from(y) + 1) >> 1) as u8);
    I8x16Eq "i8x16.eq" => cmp::<i8, 16>(a, b, |x, y| x == y);
    I8x16Ne "i8x16.ne" => cmp::<i8, 16>(a, b, |x, y| x != y);
    I8x16LtS "i8x16.lt_s" => cmp::<i8, 16>(a, b, |x, y| x < y);
    I8x16LtU "i8x16.lt_u" => cmp::<u8, 16>(a, b, |x, y| x < y);
    I8x16GtS "i8x16.gt_s" => cmp::<i8, 16>(a, b, |x, y| x > y);
    I8x16GtU "i8x16.gt_u" => cmp::<u8, 16>(a, b, |x, y| x > y);
    I8x16LeS "i8x16.le_s" => cmp::<i8, 16>(a, b, |x, y| x <= y);
    I8x16LeU "i8x16.le_u" => cmp::<u8, 16>(a, b, |x, y| x <= y);
    I8x16GeS "i8x16.ge_s" => cmp::<i8, 16>(a, b, |x, y| x >= y);
    I8x16GeU "i8x16.ge_u" => cmp::<u8, 16>(a, b, |x, y| x >= y);

    I16x8NarrowI32x4S "i16x8.narrow_i32x4_s" =>
        narrow::<i32, i16, 4>(a, b, |x| x.clamp(-0x8000, 0x7fff) as i16);
    I16x8NarrowI32x4U "i16x8.narrow_i32x4_u" =>
        narrow::<i32, u16, 4>(a, b, |x| x.clamp(0, 0xffff) as u16);
    I16x8Q15MulrSatS "i16x8.q15mulr_sat_s" => bin::<i16, 8>(a, b, q15mulr);
    I16x8RelaxedQ15mulrS "i16x8.relaxed_q15mulr_s" => bin::<i16, 8>(a, b, q15mulr);
    I16x8RelaxedDotI8x16I7x16S "i16x8.relaxed_dot_i8x16_i7x16_s" =>
        zip::<u16, i16, 8>(a, b, dot_i8_pair);
    I16x8Add "i16x8.add" => bin::<i16, 8>(a, b, i16::wrapping_add);
    I16x8AddSatS "i16x8.add_sat_s" => bin::<i16, 8>(a, b, i16::saturating_add);
    I16x8AddSatU "i16x8.add_sat_u" => bin::<u16, 8>(a, b, u16::saturating_add);
    I16x8Sub "i16x8.sub" => bin::<i16, 8>(a, b, i16::wrapping_sub);
    I16x8SubSatS "i16x8.sub_sat_s" => bin::<i16, 8>(a, b, i16::saturating_sub);
    I16x8SubSatU "i16x8.sub_sat_u" => bin::<u16, 8>(a, b, u16::saturating_sub);
    I16x8Mul "i16x8.mul" => bin::<i16, 8>(a, b, i16::wrapping_mul);
    I16x8MinS "i16x8.min_s" => bin::<i16, 8>(a, b, |x, y| x.min(y));
    I16x8MinU "i16x8.min_u" => bin::<u16, 8>(a, b, |x, y| x.min(y));
    I16x8MaxS "i16x8.max_s" => bin::<i16, 8>(a, b, |x, y| x.max(y));
    I16x8MaxU "i16x8.max_u" => bin::<u16, 8>(a, b, |x, y| x.max(y));
    I16x8AvgrU "i16x8.avgr_u" =>
        bin::<u16, 8>(a, b, |x, y| ((u32::from(x) + u32::from(y) + 1) >> 1) as u16);
    I16x8ExtMulLowI8x16S "i16x8.extmul_low_i8x16_s" =>
        zip::<i8, i16, 8>(a, b, |x, y| i16::from(x) * i16::from(y));
    I16x8ExtMulHighI8x16S "i16x8.extmul_high_i8x16_s" =>
        zip::<i8, i16, 8>(a >> 64, b >> 64, |x, y| i16::from(x) * i16::from(y));
    I16x8ExtMulLowI8x16U "i16x8.extmul_low_i8x16_u" =>
        zip::<u8, u16, 8>(a, b, |x, y| u16::from(x) * u16::from(y));
    I16x8ExtMulHighI8x16U "i16x8.extmul_high_i8x16_u" =>
        zip::<u8, u16, 8>(a >> 64, b >> 64, |x, y| u16::from(x) * u16::from(y));
    I16x8Eq "i16x8.eq" => cmp::<i16, 8>(a, b, |x, y| x == y);
    I16x8Ne "i16x8.ne" => cmp::<i16, 8>(a, b, |x, y| x != y);
    I16x8LtS "i16x8.lt_s" => cmp::<i16, 8>(a, b, |x, y| x < y);
    I16x8LtU "i16x8.lt_u" => cmp::<u16, 8>(a, b, |x, y| x < y);
    I16x8GtS "i16x8.gt_s" => cmp::<i16, 8>(a, b, |x, y| x > y);
    I16x8GtU "i16x8.gt_u" => cmp::<u16, 8>(a, b, |x, y| x > y);
    I16x8LeS "i16x8.le_s" => cmp::<i16, 8>(a, b, |x, y| x <= y);
    I16x8LeU "i16x8.le_u" => cmp::<u16, 8>(a, b, |x, y| x <= y);
    I16x8GeS "i16x8.ge_s" => cmp::<i16, 8>(a, b, |x, y| x >= y);
    I16x8GeU "i16x8.ge_u" => cmp::<u16, 8>(a, b, |x, y| x >= y);

    I32x4Add "i32x4.add" => bin::<i32, 4>(a, b, i32::wrapping_add);
    I32x4Sub "i32x4.sub" => bin::<i32, 4>(a, b, i32::wrapping_sub);
    I32x4Mul "i32x4.mul" => bin::<i32, 4>(a, b, i32::wrapping_mul);
    I32x4MinS "i32x4.min_s" => bin::<i32, 4>(a, b, |x, y| x.min(y));
    I32x4MinU "i32x4.min_u" => bin::<u32, 4>(a, b, |x, y| x.min(y));
    I32x4MaxS "i32x4.max_s" => bin::<i32, 4>(a, b, |x, y| x.max(y));
    I32x4MaxU "i32x4.max_u" => bin::<u32, 4>(a, b, |x, y| x.max(y));
    // Only -0x8000 * -0x8000 twice overflows; it wraps.
    I32x4DotI16x8S "i32x4.dot_i16x8_s" => zip::<u32, i32, 4>(a, b, |x, y| {
        let p = |x: u32, y: u32| i32::from(x as i16) * i32::from(y as i16);
        p(x, y).wrapping_add(p(x >> 16, y >> 16))
    });
    I32x4ExtMulLowI16x8S "i32x4.extmul_low_i16x8_s" =>
        zip::<i16, i32, 4>(a, b, |x, y| i32::from(x) * i32::from(y));
    I32x4ExtMulHighI16x8S "i32x4.extmul_high_i16x8_s" =>
        zip::<i16, i32, 4>(a >> 64, b >> 64, |x, y| i32::from(x) * i32::from(y));
    I32x4ExtMulLowI16x8U "i32x4.extmul_low_i16x8_u" =>
        zip::<u16, u32, 4>(a, b, |x, y| u32::from(x) * u32::from(y));
    I32x4ExtMulHighI16x8U "i32x4.extmul_high_i16x8_u" =>
        zip::<u16, u32, 4>(a >> 64, b >> 64, |x, y| u32::from(x) * u32::from(y));
    I32x4Eq "i32x4.eq" => cmp::<i32, 4>(a, b, |x, y| x == y);
    I32x4Ne "i32x4.ne" => cmp::<i32, 4>(a, b, |x, y| x != y);
    I32x4LtS "i32x4.lt_s" => cmp::<i32, 4>(a, b, |x, y| x < y);
    I32x4LtU "i32x4.lt_u" => cmp::<u32, 4>(a, b, |x, y| x < y);
    I32x4GtS "i32x4.gt_s" => cmp::<i32, 4>(a, b, |x, y| x > y);
    I32x4GtU "i32x4.gt_u" => cmp::<u32, 4>(a, b, |x, y| x > y);
    I32x4LeS "i32x4.le_s" => cmp::<i32, 4>(a, b, |x, y| x <= y);
    I32x4LeU "i32x4.le_u" => cmp::<u32, 4>(a, b, |x, y| x <= y);
    I32x4GeS "i32x4.ge_s" => cmp::<i32, 4>(a, b, |x, y| x >= y);
    I32x4GeU "i32x4.ge_u" => cmp::<u32, 4>(a, b, |x, y| x >= y);

    I64x2Add "i64x2.add" => bin::<i64, 2>(a, b, i64::wrapping_add);
    I64x2Sub "i64x2.sub" => bin::<i64, 2>(a, b, i64::wrapping_sub);
    I64x2Mul "i64x2.mul" => bin::<i64, 2>(a, b, i64::wrapping_mul);
    I64x2ExtMulLowI32x4S "i64x2.extmul_low_i32x4_s" =>
        zip::<i32, i64, 2>(a, b, |x, y| i64::from(x) * i64::from(y));
    I64x2ExtMulHighI32x4S "i64x2.extmul_high_i32x4_s" =>
        zip::<i32, i64, 2>(a >> 64, b >> 64, |x, y| i64::from(x) * i64::from(y));
    I64x2ExtMulLowI32x4U "i64x2.extmul_low_i32x4_u" =>
        zip::<u32, u64, 2>(a, b, |x, y| u64::from(x) * u64::from(y));
    I64x2ExtMulHighI32x4U "i64x2.extmul_high_i32x4_u" =>
        zip::<u32, u64, 2>(a >> 64, b >> 64, |x, y| u64::from(x) * u64::from(y));
    I64x2Eq "i64x2.eq" => cmp::<i64, 2>(a, b, |x, y| x == y);
    I64x2Ne "i64x2.ne" => cmp::<i64, 2>(a, b, |x, y| x != y);
    I64x2LtS "i64x2.lt_s" => cmp::<i64, 2>(a, b, |x, y| x < y);
    I64x2GtS "i64x2.gt_s" => cmp::<i64, 2>(a, b, |x, y| x > y);
    I64x2LeS "i64x2.le_s" => cmp::<i64, 2>(a, b, |x, y| x <= y);
    I64x2GeS "i64x2.ge_s" => cmp::<i64, 2>(a, b, |x, y| x >= y);

    F32x4Add "f32x4.add" => bin::<f32, 4>(a, b, |x, y| x + y);
    F32x4Sub "f32x4.sub" => bin::<f32, 4>(a, b, |x, y| x - y);
    F32x4Mul "f32x4.mul" => bin::<f32, 4>(a, b, |x, y| x * y);
    F32x4Div "f32x4.div" => bin::<f32, 4>(a, b, |x, y| x / y);
    F32x4Min "f32x4.min" => bin::<f32, 4>(a, b, fmin32);
    F32x4Max "f32x4.max" => bin::<f32, 4>(a, b, fmax32);
    F32x4RelaxedMin "f32x4.relaxed_min" => bin::<f32, 4>(a, b, fmin32);
    F32x4RelaxedMax "f32x4.relaxed_max" => bin::<f32, 4>(a, b, fmax32);
    // pmin/pmax return one operand bit for bit, NaNs included.
    F32x4PMin "f32x4.pmin" =>
        bin::<u32, 4>(a, b, |x, y| if f32::from_bits(y) < f32::from_bits(x) { y } else { x });
    F32x4PMax "f32x4.pmax" =>
        bin::<u32, 4>(a, b, |x, y| if f32::from_bits(x) < f32::from_bits(y) { y } else { x });
    F32x4Eq "f32x4.eq" => cmp::<f32, 4>(a, b, |x, y| x == y);
    F32x4Ne "f32x4.ne" => cmp::<f32, 4>(a, b, |x, y| x != y);
    F32x4Lt "f32x4.lt" => cmp::<f32, 4>(a, b, |x, y| x < y);
    F32x4Gt "f32x4.gt" => cmp::<f32, 4>(a, b, |x, y| x > y);
    F32x4Le "f32x4.le" => cmp::<f32, 4>(a, b, |x, y| x <= y);
    F32x4Ge "f32x4.ge" => cmp::<f32, 4>(a, b, |x, y| x >= y);

    F64x2Add "f64x2.add" => bin::<f64, 2>(a, b, |x, y| x + y);
    F64x2Sub "f64x2.sub" => bin::<f64, 2>(a, b, |x, y| x - y);
    F64x2Mul "f64x2.mul" => bin::<f64, 2>(a, b, |x, y| x * y);
    F64x2Div "f64x2.div" => bin::<f64, 2>(a, b, |x, y| x / y);
    F64x2Min "f64x2.min" => bin::<f64, 2>(a, b, fmin64);
    F64x2Max "f64x2.max" => bin::<f64, 2>(a, b, fmax64);
    F64x2RelaxedMin "f64x2.relaxed_min" => bin::<f64, 2>(a, b, fmin64);
    F64x2RelaxedMax "f64x2.relaxed_max" => bin::<f64, 2>(a, b, fmax64);
    F64x2PMin "f64x2.pmin" =>
        bin::<u64, 2>(a, b, |x, y| if f64::from_bits(y) < f64::from_bits(x) { y } else { x });
    F64x2PMax "f64x2.pmax" =>
        bin::<u64, 2>(a, b, |x, y| if f64::from_bits(x) < f64::from_bits(y) { y } else { x });
    F64x2Eq "f64x2.eq" => cmp::<f64, 2>(a, b, |x, y| x == y);
    F64x2Ne "f64x2.ne" => cmp::<f64, 2>(a, b, |x, y| x != y);
    F64x2Lt "f64x2.lt" => cmp::<f64, 2>(a, b, |x, y| x < y);
    F64x2Gt "f64x2.gt" => cmp::<f64, 2>(a, b, |x, y| x > y);
    F64x2Le "f64x2.le" => cmp::<f64, 2>(a, b, |x, y| x <= y);
    F64x2Ge "f64x2.ge" => cmp::<f64, 2>(a, b, |x, y| x >= y);
}}

ops! { VTernOp fn(a: u128, b: u128, c: u128) -> u128 {
    V128Bitselect "v128.bitselect" => (a & c) | (b & !c);
    I8x16RelaxedLaneselect "i8x16.relaxed_laneselect" => V128Bitselect::apply(a, b, c);
    I16x8RelaxedLaneselect "i16x8.relaxed_laneselect" => V128Bitselect::apply(a, b, c);
    I32x4RelaxedLaneselect "i32x4.relaxed_laneselect" => V128Bitselect::apply(a, b, c);
    I64x2RelaxedLaneselect "i64x2.relaxed_laneselect" => V128Bitselect::apply(a, b, c);
    F32x4RelaxedMadd "f32x4.relaxed_madd" =>
        tern::<f32, 4>(a, b, c, |x, y, z| q32(x.mul_add(y, z)));
    F32x4RelaxedNmadd "f32x4.relaxed_nmadd" =>
        tern::<f32, 4>(a, b, c, |x, y, z| q32((-x).mul_add(y, z)));
    F64x2RelaxedMadd "f64x2.relaxed_madd" =>
        tern::<f64, 2>(a, b, c, |x, y, z| q64(x.mul_add(y, z)));
    F64x2RelaxedNmadd "f64x2.relaxed_nmadd" =>
        tern::<f64, 2>(a, b, c, |x, y, z| q64((-x).mul_add(y, z)));
    I32x4RelaxedDotI8x16I7x16AddS "i32x4.relaxed_dot_i8x16_i7x16_add_s" => {
        let dot = I32x4ExtAddPairwiseI16x8S::apply(I16x8RelaxedDotI8x16I7x16S::apply(a, b));
        bin::<i32, 4>(dot, c, i32::wrapping_add)
    };
}}

ops! { VTestOp fn(a: u128) -> u32 {
    V128AnyTrue "v128.any_true" => u32::from(a != 0);
    I8x16AllTrue "i8x16.all_true" => all_true(a, 8);
    I16x8AllTrue "i16x8.all_true" => all_true(a, 16);
    I32x4AllTrue "i32x4.all_true" => all_true(a, 32);
    I64x2AllTrue "i64x2.all_true" => all_true(a, 64);
    I8x16Bitmask "i8x16.bitmask" => bitmask(a, 8);
    I16x8Bitmask "i16x8.bitmask" => bitmask(a, 16);
    I32x4Bitmask "i32x4.bitmask" => bitmask(a, 32);
    I64x2Bitmask "i64x2.bitmask" => bitmask(a, 64);
}}

// `wrapping_shl`/`wrapping_shr` take the count modulo the lane width.
ops! { VShiftOp fn(a: u128, s: u32) -> u128 {
    I8x16Shl "i8x16.shl" => un::<u8, 16>(a, |x| x.wrapping_shl(s));
    I8x16ShrS "i8x16.shr_s" => un::<i8, 16>(a, |x| x.wrapping_shr(s));
    I8x16ShrU "i8x16.shr_u" => un::<u8, 16>(a, |x| x.wrapping_shr(s));
    I16x8Shl "i16x8.shl" => un::<u16, 8>(a, |x| x.wrapping_shl(s));
    I16x8ShrS "i16x8.shr_s" => un::<i16, 8>(a, |x| x.wrapping_shr(s));
    I16x8ShrU "i16x8.shr_u" => un::<u16, 8>(a, |x| x.wrapping_shr(s));
    I32x4Shl "i32x4.shl" => un::<u32, 4>(a, |x| x.wrapping_shl(s));
    I32x4ShrS "i32x4.shr_s" => un::<i32, 4>(a, |x| x.wrapping_shr(s));
    I32x4ShrU "i32x4.shr_u" => un::<u32, 4>(a, |x| x.wrapping_shr(s));
    I64x2Shl "i64x2.shl" => un::<u64, 2>(a, |x| x.wrapping_shl(s));
    I64x2ShrS "i64x2.shr_s" => un::<i64, 2>(a, |x| x.wrapping_shr(s));
    I64x2ShrU "i64x2.shr_u" => un::<u64, 2>(a, |x| x.wrapping_shr(s));
}}

ops! { VSplatOp fn(x: u64) -> u128 {
    I8x16Splat "i8x16.splat" => splat(x, 8);
    I16x8Splat "i16x8.splat" => splat(x, 16);
    I32x4Splat "i32x4.splat" => splat(x, 32);
    I64x2Splat "i64x2.splat" => splat(x, 64);
    F32x4Splat "f32x4.splat" => splat(x, 32);
    F64x2Splat "f64x2.splat" => splat(x, 64);
}}

// Results are cells: i32 and f32 zero-extended.
ops! { VExtractOp fn(a: u128, lane: u32) -> u64 {
    I8x16ExtractLaneS "i8x16.extract_lane_s" =>
        u64::from(lane_of(a, lane, 8) as i8 as i32 as u32);
    I8x16ExtractLaneU "i8x16.extract_lane_u" => u64::from(lane_of(a, lane, 8) as u8);
    I16x8ExtractLaneS "i16x8.extract_lane_s" =>
        u64::from(lane_of(a, lane, 16) as i16 as i32 as u32);
    I16x8ExtractLaneU "i16x8.extract_lane_u" => u64::from(lane_of(a, lane, 16) as u16);
    I32x4ExtractLane "i32x4.extract_lane" => u64::from(lane_of(a, lane, 32) as u32);
    I64x2ExtractLane "i64x2.extract_lane" => lane_of(a, lane, 64) as u64;
    F32x4ExtractLane "f32x4.extract_lane" => u64::from(lane_of(a, lane, 32) as u32);
    F64x2ExtractLane "f64x2.extract_lane" => lane_of(a, lane, 64) as u64;
}}

ops! { VReplaceOp fn(a: u128, x: u64, lane: u32) -> u128 {
    I8x16ReplaceLane "i8x16.replace_lane" => replace(a, x, lane, 8);
    I16x8ReplaceLane "i16x8.replace_lane" => replace(a, x, lane, 16);
    I32x4ReplaceLane "i32x4.replace_lane" => replace(a, x, lane, 32);
    I64x2ReplaceLane "i64x2.replace_lane" => replace(a, x, lane, 64);
    F32x4ReplaceLane "f32x4.replace_lane" => replace(a, x, lane, 32);
    F64x2ReplaceLane "f64x2.replace_lane" => replace(a, x, lane, 64);
}}

/// The 8 bytes `b` as the low half of a `v128`.
#[inline(always)]
fn low64(b: [u8; 8]) -> u128 {
    u128::from(u64::from_le_bytes(b))
}

/// Defines one `v128` load per line: its size and how its bytes (`$b`, an
/// array of that size) become a `v128`.
macro_rules! loads {
    ($($name:ident $wat:literal, $n:literal, |$b:ident| $body:expr;)*) => {$(
        #[doc = concat!("The `", $wat, "` load.")]
        pub(crate) struct $name;
        impl VLoadOp for $name {
            const SIZE: usize = $n;
            #[inline(always)]
            fn decode($b: &[u8]) -> u128 {
                let $b: [u8; $n] = $b.try_into().unwrap_or([0; $n]);
                $body
            }
        }
    )*};
}

loads! {
    V128Load "v128.load", 16, |b| u128::from_le_bytes(b);
    V128Load8x8S "v128.load8x8_s", 8, |b| I16x8ExtendLowI8x16S::apply(low64(b));
    V128Load8x8U "v128.load8x8_u", 8, |b| I16x8ExtendLowI8x16U::apply(low64(b));
    V128Load16x4S "v128.load16x4_s", 8, |b| I32x4ExtendLowI16x8S::apply(low64(b));
    V128Load16x4U "v128.load16x4_u", 8, |b| I32x4ExtendLowI16x8U::apply(low64(b));
    V128Load32x2S "v128.load32x2_s", 8, |b| I64x2ExtendLowI32x4S::apply(low64(b));
    V128Load32x2U "v128.load32x2_u", 8, |b| I64x2ExtendLowI32x4U::apply(low64(b));
    V128Load8Splat "v128.load8_splat", 1, |b| splat(u64::from(b[0]), 8);
    V128Load16Splat "v128.load16_splat", 2, |b| splat(u64::from(u16::from_le_bytes(b)), 16);
    V128Load32Splat "v128.load32_splat", 4, |b| splat(u64::from(u32::from_le_bytes(b)), 32);
    V128Load64Splat "v128.load64_splat", 8, |b| splat(u64::from_le_bytes(b), 64);
    V128Load32Zero "v128.load32_zero", 4, |b| u128::from(u32::from_le_bytes(b));
    V128Load64Zero "v128.load64_zero", 8, |b| u128::from(u64::from_le_bytes(b));
}
