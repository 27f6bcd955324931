//! Tests of the SIMD lane arithmetic against scalar models, and of the
//! handlers run for real on a frame and memory.

use super::*;

/// Packs `i8` lanes, lane 0 lowest.
fn i8s(l: [i8; 16]) -> u128 {
    u128::from_le_bytes(l.map(|x| x as u8))
}
/// The bytes (`u8` lanes) of `v`.
fn u8s(v: u128) -> [u8; 16] {
    v.to_le_bytes()
}
/// Packs `i16` lanes.
fn i16s(l: [i16; 8]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |v, (i, &x)| v | u128::from(x as u16) << (16 * i))
}
/// The `i16` lanes of `v`.
fn to_i16s(v: u128) -> [i16; 8] {
    std::array::from_fn(|i| (v >> (16 * i)) as i16)
}
/// Packs `i32` lanes.
fn i32s(l: [i32; 4]) -> u128 {
    l.iter()
        .enumerate()
        .fold(0, |v, (i, &x)| v | u128::from(x as u32) << (32 * i))
}
/// The `i32` lanes of `v`.
fn to_i32s(v: u128) -> [i32; 4] {
    std::array::from_fn(|i| (v >> (32 * i)) as i32)
}
/// Packs `i64` lanes.
fn i64s(l: [i64; 2]) -> u128 {
    u128::from(l[0] as u64) | u128::from(l[1] as u64) << 64
}
/// The `i64` lanes of `v`.
fn to_i64s(v: u128) -> [i64; 2] {
    [v as i64, (v >> 64) as i64]
}
/// Packs `f32` lanes.
fn f32s(l: [f32; 4]) -> u128 {
    i32s(l.map(|x| x.to_bits() as i32))
}
/// The `f32` lanes of `v`.
fn to_f32s(v: u128) -> [f32; 4] {
    to_i32s(v).map(|x| f32::from_bits(x as u32))
}
/// Packs `f64` lanes.
fn f64s(l: [f64; 2]) -> u128 {
    i64s(l.map(|x| x.to_bits() as i64))
}
/// The `f64` lanes of `v`.
fn to_f64s(v: u128) -> [f64; 2] {
    to_i64s(v).map(|x| f64::from_bits(x as u64))
}
/// The `f32` lanes of `v` as raw bits.
fn bits32(v: u128) -> [u32; 4] {
    to_i32s(v).map(|x| x as u32)
}

#[test]
fn saturating_add_sub() {
    let a = i8s([127, -128, 100, -100, 0, 1, -1, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    let b = i8s([1, -1, 100, -100, 0, -1, 1, -5, 0, 0, 0, 0, 0, 0, 0, 0]);
    let r = I8x16AddSatS::apply(a, b);
    assert_eq!(
        &u8s(r)[..8],
        &i8s([127, -128, 127, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).to_le_bytes()[..8]
    );
    let r = I8x16SubSatS::apply(a, b);
    assert_eq!(u8s(r)[..4], [126, 0x81, 0, 0]);
    let r = I8x16SubSatS::apply(
        i8s([-128, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        i8s([1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    );
    assert_eq!(u8s(r)[..2], [0x80, 0x7f]);
    let (x, y) = (u128::from_le_bytes([255; 16]), u128::from_le_bytes([1; 16]));
    assert_eq!(I8x16AddSatU::apply(x, y), x);
    assert_eq!(I8x16SubSatU::apply(y, x), 0);
    assert_eq!(I8x16Add::apply(x, y), 0, "wrapping");
    let a = i16s([32767, -32768, 1, 0, 0, 0, 0, 0]);
    let b = i16s([1, -1, -2, 0, 0, 0, 0, 0]);
    assert_eq!(to_i16s(I16x8AddSatS::apply(a, b))[..3], [32767, -32768, -1]);
    assert_eq!(to_i16s(I16x8SubSatS::apply(a, b))[..3], [32766, -32767, 3]);
    assert_eq!(
        to_i16s(I16x8AddSatU::apply(i16s([-1; 8]), i16s([1; 8]))),
        [-1; 8]
    );
    assert_eq!(I16x8SubSatU::apply(i16s([1; 8]), i16s([2; 8])), 0);
}

#[test]
fn narrow() {
    let a = i16s([300, -300, 5, -5, 127, 128, -128, -129]);
    let b = i16s([-1, 256, 255, 0, 1, 2, 3, 4]);
    let s = I8x16NarrowI16x8S::apply(a, b);
    let expect = [
        127, -128, 5, -5, 127, 127, -128, -128, -1, 127, 127, 0, 1, 2, 3, 4,
    ];
    assert_eq!(s, i8s(expect));
    let u = I8x16NarrowI16x8U::apply(a, b);
    assert_eq!(
        u8s(u),
        [255, 0, 5, 0, 127, 128, 0, 0, 0, 255, 255, 0, 1, 2, 3, 4]
    );
    let a = i32s([70000, -70000, 65535, -1]);
    assert_eq!(
        to_i16s(I16x8NarrowI32x4S::apply(a, a)),
        [32767, -32768, 32767, -1, 32767, -32768, 32767, -1]
    );
    let u = I16x8NarrowI32x4U::apply(a, i32s([0; 4]));
    assert_eq!(
        to_i16s(u)[..4]
            .iter()
            .map(|&x| x as u16)
            .collect::<Vec<_>>(),
        [65535, 0, 65535, 0]
    );
}

#[test]
fn q15mulr() {
    let a = i16s([-32768, -32768, 16384, 1, -1, 32767, 0, 3]);
    let b = i16s([-32768, 32767, 16384, 16384, 16384, 32767, 0, -3]);
    let expect = [32767, -32767, 8192, 1, 0, 32766, 0, 0];
    assert_eq!(to_i16s(I16x8Q15MulrSatS::apply(a, b)), expect);
    assert_eq!(to_i16s(I16x8RelaxedQ15mulrS::apply(a, b)), expect);
}

#[test]
fn dot_and_extmul() {
    let a = i16s([1, 2, 3, 4, -32768, -32768, 100, -100]);
    let b = i16s([5, 6, 7, 8, -32768, -32768, 100, 100]);
    assert_eq!(to_i32s(I32x4DotI16x8S::apply(a, b)), [17, 53, i32::MIN, 0]);
    let a = i8s([-128, 127, 2, 3, 0, 0, 0, 0, -1, -2, -3, -4, 5, 6, 7, -128]);
    let b = i8s([
        -128, 127, -2, 3, 0, 0, 0, 0, 10, 20, 30, 40, 50, 60, 70, -128,
    ]);
    assert_eq!(
        to_i16s(I16x8ExtMulLowI8x16S::apply(a, b))[..4],
        [16384, 16129, -4, 9]
    );
    assert_eq!(
        to_i16s(I16x8ExtMulHighI8x16S::apply(a, b)),
        [-10, -40, -90, -160, 250, 360, 490, 16384]
    );
    assert_eq!(
        to_i16s(I16x8ExtMulLowI8x16U::apply(a, b))[0] as u16,
        128 * 128
    );
    let ff = i8s([-1; 16]);
    assert_eq!(
        to_i16s(I16x8ExtMulHighI8x16U::apply(ff, ff))[7] as u16,
        65025
    );
    let a = i32s([-1, 2, i32::MIN, -1]);
    assert_eq!(to_i64s(I64x2ExtMulLowI32x4S::apply(a, a)), [1, 4]);
    assert_eq!(to_i64s(I64x2ExtMulHighI32x4S::apply(a, a)), [1 << 62, 1]);
    let m = I64x2ExtMulHighI32x4U::apply(a, a);
    assert_eq!(to_i64s(m)[1] as u64, 0xffff_fffe_0000_0001);
    assert_eq!(
        to_i32s(I32x4ExtMulLowI16x8U::apply(i16s([-1; 8]), i16s([-1; 8])))[0] as u32,
        0xfffe_0001
    );
    // extadd_pairwise
    let a = i8s([-128, -128, 127, 127, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        to_i16s(I16x8ExtAddPairwiseI8x16S::apply(a))[..3],
        [-256, 254, 0]
    );
    assert_eq!(
        to_i16s(I16x8ExtAddPairwiseI8x16U::apply(a))[..3],
        [256, 254, 256]
    );
    let a = i16s([-32768, -32768, -1, -1, 0, 0, 0, 0]);
    assert_eq!(
        to_i32s(I32x4ExtAddPairwiseI16x8S::apply(a))[..2],
        [-65536, -2]
    );
    assert_eq!(
        to_i32s(I32x4ExtAddPairwiseI16x8U::apply(a))[..2],
        [65536, 131070]
    );
}

#[test]
fn float_min_max() {
    let nan = f32::from_bits(0x7fc0_0000);
    let snan = f32::from_bits(0x7fa0_0000);
    let a = f32s([0.0, -0.0, nan, 1.0]);
    let b = f32s([-0.0, 0.0, 1.0, 2.0]);
    let min = to_f32s(F32x4Min::apply(a, b));
    assert!(min[0].is_sign_negative() && min[0] == 0.0);
    assert!(min[1].is_sign_negative() && min[1] == 0.0);
    assert!(min[2].is_nan());
    assert_eq!(min[3], 1.0);
    let max = to_f32s(F32x4Max::apply(a, b));
    assert!(max[0].is_sign_positive() && max[1].is_sign_positive() && max[0] == 0.0);
    assert!(max[2].is_nan());
    assert_eq!(max[3], 2.0);
    // A signalling NaN comes out quiet.
    let r = bits32(F32x4Min::apply(f32s([snan; 4]), f32s([1.0; 4])));
    assert!(r.iter().all(|&x| x & 0x7fc0_0000 == 0x7fc0_0000));
    let r = to_f64s(F64x2Max::apply(f64s([-0.0, f64::NAN]), f64s([0.0, 3.0])));
    assert!(r[0] == 0.0 && r[0].is_sign_positive() && r[1].is_nan());
    let r = to_f64s(F64x2Min::apply(
        f64s([0.0, 1.0]),
        f64s([-0.0, f64::NEG_INFINITY]),
    ));
    assert!(r[0].is_sign_negative() && r[1] == f64::NEG_INFINITY);
    // pmin/pmax: b < a ? b : a, bit for bit.
    let a = f32s([snan, 1.0, -0.0, 2.0]);
    let b = f32s([1.0, snan, 0.0, 1.0]);
    let r = bits32(F32x4PMin::apply(a, b));
    assert_eq!(
        r,
        [
            snan.to_bits(),
            1f32.to_bits(),
            (-0f32).to_bits(),
            1f32.to_bits()
        ]
    );
    let r = bits32(F32x4PMax::apply(a, b));
    assert_eq!(
        r,
        [
            snan.to_bits(),
            1f32.to_bits(),
            (-0f32).to_bits(),
            2f32.to_bits()
        ]
    );
    let r = to_f64s(F64x2PMax::apply(f64s([1.0, 0.0]), f64s([2.0, -0.0])));
    assert!(r[0] == 2.0 && r[1].is_sign_positive());
}

#[test]
fn float_lanes() {
    let snan = f32::from_bits(0x7fa0_0001);
    let r = bits32(F32x4Ceil::apply(f32s([snan, 1.5, -1.5, -0.5])));
    assert_eq!(r[0], 0x7fe0_0001);
    assert_eq!(
        to_f32s(F32x4Ceil::apply(f32s([snan, 1.5, -1.5, -0.5])))[1..],
        [2.0, -1.0, -0.0]
    );
    assert_eq!(
        to_f32s(F32x4Nearest::apply(f32s([0.5, 1.5, 2.5, -2.5]))),
        [0.0, 2.0, 2.0, -2.0]
    );
    assert_eq!(to_f64s(F64x2Floor::apply(f64s([-0.5, 1.5]))), [-1.0, 1.0]);
    assert_eq!(to_f64s(F64x2Trunc::apply(f64s([-1.7, 1.7]))), [-1.0, 1.0]);
    // abs/neg are bit operations, NaN payloads included.
    let n = f32s([f32::from_bits(0xffa0_0001), -1.0, 0.0, 2.0]);
    assert_eq!(
        bits32(F32x4Abs::apply(n)),
        [0x7fa0_0001, 0x3f80_0000, 0, 0x4000_0000]
    );
    assert_eq!(
        bits32(F32x4Neg::apply(n))[..3],
        [0x7fa0_0001, 0x3f80_0000, 0x8000_0000]
    );
    assert_eq!(F64x2Neg::apply(f64s([1.0, -2.0])), f64s([-1.0, 2.0]));
    assert_eq!(
        to_f32s(F32x4Add::apply(f32s([1.0; 4]), f32s([0.5; 4]))),
        [1.5; 4]
    );
    // conversions
    let r = F32x4ConvertI32x4U::apply(i32s([-1, 1, 0, 16777217]));
    assert_eq!(to_f32s(r), [4294967296.0, 1.0, 0.0, 16777216.0]);
    assert_eq!(
        to_f64s(F64x2ConvertLowI32x4S::apply(i32s([-5, 7, 9, 9]))),
        [-5.0, 7.0]
    );
    assert_eq!(
        to_f64s(F64x2ConvertLowI32x4U::apply(i32s([-1, 7, 9, 9]))),
        [4294967295.0, 7.0]
    );
    let d = F32x4DemoteF64x2Zero::apply(f64s([f64::from_bits(0x7ff0_0000_0000_0001), 1e300]));
    let d32 = bits32(d);
    assert!(f32::from_bits(d32[0]).is_nan() && d32[0] & 0x0040_0000 != 0);
    assert_eq!(
        [f32::from_bits(d32[1]), f32::from_bits(d32[2])],
        [f32::INFINITY, 0.0]
    );
    assert_eq!(d32[3], 0);
    let p = to_f64s(F64x2PromoteLowF32x4::apply(f32s([snan, 1.5, 9.0, 9.0])));
    assert!(p[0].is_nan() && p[0].to_bits() & 0x0008_0000_0000_0000 != 0);
    assert_eq!(p[1], 1.5);
    // comparisons: all-ones lanes, NaN unordered.
    let r = F32x4Lt::apply(f32s([1.0, f32::NAN, 3.0, -0.0]), f32s([2.0, 1.0, 3.0, 0.0]));
    assert_eq!(bits32(r), [u32::MAX, 0, 0, 0]);
    let r = F64x2Ne::apply(f64s([f64::NAN, 1.0]), f64s([f64::NAN, 1.0]));
    assert_eq!(to_i64s(r), [-1, 0]);
}

#[test]
fn trunc_sat() {
    let a = f32s([f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -1.5]);
    assert_eq!(
        to_i32s(I32x4TruncSatF32x4S::apply(a)),
        [0, i32::MAX, i32::MIN, -1]
    );
    assert_eq!(bits32(I32x4TruncSatF32x4U::apply(a)), [0, u32::MAX, 0, 0]);
    let a = f32s([3e9, -3e9, 2.9, 4.5e9]);
    assert_eq!(
        to_i32s(I32x4TruncSatF32x4S::apply(a)),
        [i32::MAX, i32::MIN, 2, i32::MAX]
    );
    assert_eq!(
        bits32(I32x4TruncSatF32x4U::apply(a)),
        [3_000_000_000, 0, 2, u32::MAX]
    );
    let a = f64s([f64::NAN, 1e10]);
    assert_eq!(
        to_i32s(I32x4TruncSatF64x2SZero::apply(a)),
        [0, i32::MAX, 0, 0]
    );
    let a = f64s([-1e10, 4294967295.9]);
    assert_eq!(
        bits32(I32x4TruncSatF64x2UZero::apply(a)),
        [0, u32::MAX, 0, 0]
    );
    assert_eq!(
        to_i32s(I32x4TruncSatF64x2SZero::apply(a)),
        [i32::MIN, i32::MAX, 0, 0]
    );
}

#[cfg(target_arch = "x86_64")]
#[test]
fn ssse3_shuffle_agrees_with_the_portable_one() {
    if !std::arch::is_x86_feature_detected!("ssse3") {
        eprintln!("skipped: this CPU has no SSSE3");
        return;
    }
    // Every index value 0..=255 in every lane position, over varied
    // inputs (a simple LCG), out-of-range indices included.
    let mut seed = 0x1234_5678_9abc_def0_u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        u128::from(seed) << 64 | u128::from(seed.rotate_left(29))
    };
    for round in 0..512u32 {
        let (a, b) = (next(), next());
        let lanes: [u8; 16] = std::array::from_fn(|i| (round as usize * 16 + i) as u8);
        let lanes = if round >= 256 {
            next().to_le_bytes()
        } else {
            lanes
        };
        // SAFETY: SSSE3 was detected above.
        let fast = unsafe { v128_shuffle_ssse3(a, b, u128::from_le_bytes(lanes)) };
        assert_eq!(fast, v128_shuffle(a, b, lanes), "lanes {lanes:?}");
    }
}

#[test]
fn shuffle_and_swizzle() {
    let a = u128::from_le_bytes(std::array::from_fn(|i| i as u8));
    let b = u128::from_le_bytes(std::array::from_fn(|i| 0x10 + i as u8));
    let idx = [0, 15, 16, 31, 5, 20, 1, 1, 32, 255, 0, 0, 0, 0, 0, 0];
    let r = u8s(v128_shuffle(a, b, idx));
    assert_eq!(
        r,
        [0, 15, 0x10, 0x1f, 5, 0x14, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    );
    let s = u128::from_le_bytes([3, 16, 17, 255, 128, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
    let r = u8s(I8x16Swizzle::apply(a, s));
    assert_eq!(r, [3, 0, 0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7]);
    assert_eq!(I8x16RelaxedSwizzle::apply(a, s), I8x16Swizzle::apply(a, s));
}

#[test]
fn tests_and_bitmask() {
    let a = i8s([-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -128]);
    assert_eq!(I8x16Bitmask::apply(a), 0x8001);
    assert_eq!(
        I16x8Bitmask::apply(i16s([-1, 1, -2, 0, 0, 0, 0, -32768])),
        0b1000_0101
    );
    assert_eq!(I32x4Bitmask::apply(i32s([0, -1, 0, i32::MIN])), 0b1010);
    assert_eq!(I64x2Bitmask::apply(i64s([-1, 1])), 0b01);
    assert_eq!(I8x16AllTrue::apply(a), 0);
    assert_eq!(I8x16AllTrue::apply(i8s([1; 16])), 1);
    assert_eq!(I16x8AllTrue::apply(i16s([256, 1, 1, 1, 1, 1, 1, 1])), 1);
    assert_eq!(I32x4AllTrue::apply(i32s([1, 1, 0, 1])), 0);
    assert_eq!(I64x2AllTrue::apply(i64s([1 << 40, -1])), 1);
    assert_eq!(V128AnyTrue::apply(0), 0);
    assert_eq!(V128AnyTrue::apply(1 << 127), 1);
    let p = u128::from_le_bytes([0xff, 0, 0x55, 0x80, 1, 3, 7, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(u8s(I8x16Popcnt::apply(p))[..8], [8, 0, 4, 1, 1, 2, 3, 7]);
}

#[test]
fn integer_lanes() {
    let a = i8s([-128, -1, 1, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(u8s(I8x16Abs::apply(a))[..4], [0x80, 1, 1, 127]);
    assert_eq!(u8s(I8x16Neg::apply(a))[..4], [0x80, 1, 0xff, 0x81]);
    let r = I8x16AvgrU::apply(i8s([-1; 16]), i8s([-2; 16]));
    assert_eq!(u8s(r), [255; 16]);
    assert_eq!(
        to_i16s(I16x8AvgrU::apply(i16s([-1; 8]), i16s([0; 8])))[0] as u16,
        0x8000
    );
    assert_eq!(u8s(I8x16MinU::apply(a, 0))[..4], [0; 4]);
    assert_eq!(u8s(I8x16MinS::apply(a, 0))[..4], [0x80, 0xff, 0, 0]);
    assert_eq!(
        to_i64s(I64x2Mul::apply(i64s([i64::MAX, -3]), i64s([2, 3]))),
        [-2, -9]
    );
    assert_eq!(
        to_i64s(I64x2Abs::apply(i64s([i64::MIN, -3]))),
        [i64::MIN, 3]
    );
    assert_eq!(
        to_i16s(I16x8ExtendHighI8x16S::apply(i8s([
            0, 0, 0, 0, 0, 0, 0, 0, -1, 2, -128, 0, 0, 0, 0, 0
        ])))[..3],
        [-1, 2, -128]
    );
    assert_eq!(
        to_i32s(I32x4ExtendLowI16x8U::apply(i16s([-1, 2, 0, 0, 0, 0, 0, 0])))[..2],
        [65535, 2]
    );
    assert_eq!(
        to_i64s(I64x2ExtendHighI32x4S::apply(i32s([0, 0, -7, 7]))),
        [-7, 7]
    );
    // comparisons
    let r = I8x16LtU::apply(i8s([-1; 16]), i8s([1; 16]));
    assert_eq!(r, 0);
    let r = I8x16LtS::apply(i8s([-1; 16]), i8s([1; 16]));
    assert_eq!(r, u128::MAX);
    let r = I64x2GeS::apply(i64s([-1, 5]), i64s([0, 5]));
    assert_eq!(to_i64s(r), [0, -1]);
    // shifts take the count modulo the lane width
    let a = i8s([-128, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(u8s(I8x16Shl::apply(a, 9))[..3], [0, 2, 6]);
    assert_eq!(u8s(I8x16ShrS::apply(a, 7))[..3], [0xff, 0, 0]);
    assert_eq!(u8s(I8x16ShrU::apply(a, 15))[..3], [1, 0, 0]);
    assert_eq!(to_i32s(I32x4ShrS::apply(i32s([-8; 4]), 33)), [-4; 4]);
    assert_eq!(to_i64s(I64x2Shl::apply(i64s([1, 3]), 64 + 4)), [16, 48]);
    assert_eq!(to_i16s(I16x8ShrU::apply(i16s([-1; 8]), 20))[0], 0x0fff);
}

#[test]
fn lane_moves() {
    assert_eq!(I8x16Splat::apply(0x1ff), u128::from_le_bytes([0xff; 16]));
    assert_eq!(I16x8Splat::apply(0xabcd_1234), i16s([0x1234; 8]));
    assert_eq!(I64x2Splat::apply(u64::MAX - 1), i64s([-2, -2]));
    assert_eq!(F32x4Splat::apply(0x3f80_0000), f32s([1.0; 4]));
    let v = i8s([0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
    assert_eq!(I8x16ExtractLaneS::apply(v, 1), 0xffff_ffff);
    assert_eq!(I8x16ExtractLaneU::apply(v, 1), 0xff);
    assert_eq!(I8x16ExtractLaneU::apply(v, 15), 5);
    let v = i16s([0, 0, 0, -2, 0, 0, 0, 0]);
    assert_eq!(I16x8ExtractLaneS::apply(v, 3), 0xffff_fffe);
    assert_eq!(I16x8ExtractLaneU::apply(v, 3), 0xfffe);
    assert_eq!(I64x2ExtractLane::apply(i64s([1, -1]), 1), u64::MAX);
    assert_eq!(F64x2ExtractLane::apply(f64s([1.0, 2.0]), 1), 2f64.to_bits());
    assert_eq!(
        F32x4ExtractLane::apply(f32s([1.0, 2.0, -3.0, 4.0]), 2),
        u64::from((-3f32).to_bits())
    );
    assert_eq!(I8x16ReplaceLane::apply(0, 0x1_23, 15), 0x23 << 120);
    assert_eq!(I16x8ReplaceLane::apply(u128::MAX, 0, 1), !(0xffff << 16));
    assert_eq!(I32x4ReplaceLane::apply(0, u64::MAX, 3), 0xffff_ffff << 96);
    assert_eq!(
        F64x2ReplaceLane::apply(f64s([1.0, 2.0]), 3f64.to_bits(), 0),
        f64s([3.0, 2.0])
    );
    assert_eq!(V128Bitselect::apply(0xf0, 0x0f, 0xcc), 0xc3);
    assert_eq!(V128AndNot::apply(0b1100, 0b1010), 0b0100);
}

#[test]
fn loads_decode() {
    let b: [u8; 16] = std::array::from_fn(|i| 0x80 + i as u8);
    assert_eq!(V128Load::decode(&b), u128::from_le_bytes(b));
    let r = V128Load8x8S::decode(&b[..8]);
    assert_eq!(to_i16s(r), [-128, -127, -126, -125, -124, -123, -122, -121]);
    let r = V128Load8x8U::decode(&b[..8]);
    assert_eq!(to_i16s(r), [128, 129, 130, 131, 132, 133, 134, 135]);
    assert_eq!(
        to_i32s(V128Load16x4S::decode(&b[..8]))[0],
        0xffff_8180u32 as i32
    );
    assert_eq!(to_i32s(V128Load16x4U::decode(&b[..8]))[0], 0x8180);
    assert_eq!(
        to_i64s(V128Load32x2S::decode(&b[..8]))[1],
        0xffff_ffff_8786_8584u64 as i64
    );
    assert_eq!(to_i64s(V128Load32x2U::decode(&b[..8]))[1], 0x8786_8584);
    assert_eq!(
        V128Load8Splat::decode(&b[..1]),
        u128::from_le_bytes([0x80; 16])
    );
    assert_eq!(
        V128Load16Splat::decode(&b[..2]),
        i16s([0x8180u16 as i16; 8])
    );
    assert_eq!(
        V128Load32Splat::decode(&b[..4]),
        i32s([0x8382_8180u32 as i32; 4])
    );
    assert_eq!(
        V128Load64Splat::decode(&b[..8]),
        i64s([0x8786_8584_8382_8180u64 as i64; 2])
    );
    assert_eq!(V128Load32Zero::decode(&b[..4]), 0x8382_8180);
    assert_eq!(V128Load64Zero::decode(&b[..8]), 0x8786_8584_8382_8180);
}

/// The relaxed choices are the documented ones, and the spec tests'
/// cases get one of their allowed results.
#[test]
fn relaxed_choices() {
    let a = f32s([f32::NAN, 1e10, -1.5, f32::NEG_INFINITY]);
    assert_eq!(
        I32x4RelaxedTruncF32x4S::apply(a),
        I32x4TruncSatF32x4S::apply(a)
    );
    assert_eq!(
        I32x4RelaxedTruncF32x4U::apply(a),
        I32x4TruncSatF32x4U::apply(a)
    );
    let d = f64s([f64::NAN, -1e10]);
    assert_eq!(
        I32x4RelaxedTruncF64x2SZero::apply(d),
        I32x4TruncSatF64x2SZero::apply(d)
    );
    assert_eq!(
        I32x4RelaxedTruncF64x2UZero::apply(d),
        I32x4TruncSatF64x2UZero::apply(d)
    );
    let (x, y, m) = (
        i32s([1, 2, 0x1234_1234, 0x1234_1234]),
        i32s([5, 6, 0x5678_5678, 0x5678_5678]),
        i32s([-1, 0, -65536, 0xffff]),
    );
    let r = I32x4RelaxedLaneselect::apply(x, y, m);
    assert_eq!(r, i32s([1, 6, 0x1234_5678, 0x5678_1234]));
    assert_eq!(I8x16RelaxedLaneselect::apply(x, y, m), r);
    assert_eq!(I16x8RelaxedLaneselect::apply(x, y, m), r);
    assert_eq!(I64x2RelaxedLaneselect::apply(x, y, m), r);
    let (p, q) = (
        f32s([-0.0, 0.0, f32::NAN, 1.0]),
        f32s([0.0, -0.0, 1.0, f32::NAN]),
    );
    assert_eq!(F32x4RelaxedMin::apply(p, q), F32x4Min::apply(p, q));
    assert_eq!(F32x4RelaxedMax::apply(p, q), F32x4Max::apply(p, q));
    let (p, q) = (f64s([-0.0, f64::NAN]), f64s([0.0, 1.0]));
    assert_eq!(F64x2RelaxedMin::apply(p, q), F64x2Min::apply(p, q));
    assert_eq!(F64x2RelaxedMax::apply(p, q), F64x2Max::apply(p, q));
    // Fused: FLT_MAX * 2 - FLT_MAX is FLT_MAX, and the rounding test gives 2^-37.
    let r = F32x4RelaxedMadd::apply(f32s([f32::MAX; 4]), f32s([2.0; 4]), f32s([-f32::MAX; 4]));
    assert_eq!(to_f32s(r), [f32::MAX; 4]);
    let (x, y, z) = (
        1.0 + 2f32.powi(-22),
        1.0 + 2f32.powi(-15),
        -(1.0 + 2f32.powi(-15) + 2f32.powi(-22)),
    );
    assert_eq!(
        to_f32s(F32x4RelaxedMadd::apply(
            f32s([x; 4]),
            f32s([y; 4]),
            f32s([z; 4])
        )),
        [2f32.powi(-37); 4]
    );
    assert_eq!(
        to_f32s(F32x4RelaxedNmadd::apply(
            f32s([-x; 4]),
            f32s([y; 4]),
            f32s([z; 4])
        )),
        [2f32.powi(-37); 4]
    );
    let r = F64x2RelaxedMadd::apply(f64s([f64::MAX; 2]), f64s([2.0; 2]), f64s([-f64::MAX; 2]));
    assert_eq!(to_f64s(r), [f64::MAX; 2]);
    let (x, y, z) = (
        1.0 + 2f64.powi(-30),
        1.0 + 2f64.powi(-23),
        -(1.0 + 2f64.powi(-23) + 2f64.powi(-30)),
    );
    assert_eq!(
        to_f64s(F64x2RelaxedNmadd::apply(
            f64s([x; 2]),
            f64s([-y; 2]),
            f64s([z; 2])
        )),
        [2f64.powi(-53); 2]
    );
    // Dot products: second operand signed.
    let a = i8s(std::array::from_fn(|i| i as i8));
    assert_eq!(
        to_i16s(I16x8RelaxedDotI8x16I7x16S::apply(a, a)),
        [1, 13, 41, 85, 145, 221, 313, 421]
    );
    let a = i8s([-128, -128, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let b = i8s([127, 127, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        to_i16s(I16x8RelaxedDotI8x16I7x16S::apply(a, b))[..2],
        [-32512, 32258]
    );
    let b = i8s([-127, -127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(to_i16s(I16x8RelaxedDotI8x16I7x16S::apply(a, b))[0], 32512);
    let m = i8s([-128; 16]);
    assert_eq!(
        to_i16s(I16x8RelaxedDotI8x16I7x16S::apply(m, m))[0],
        32767,
        "saturates"
    );
    let a = i8s([
        -128, -128, -128, -128, 127, 127, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let b = i8s([
        127, 127, 127, 127, 127, 127, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    let r = I32x4RelaxedDotI8x16I7x16AddS::apply(a, b, i32s([1, 2, 3, 4]));
    assert_eq!(to_i32s(r), [-65023, 64518, 3, 4]);
    let b = i8s([-127, -127, -127, -127, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let a = i8s([-128, -128, -128, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let r = I32x4RelaxedDotI8x16I7x16AddS::apply(a, b, i32s([1, 2, 3, 4]));
    assert_eq!(to_i32s(r), [65025, 2, 3, 4]);
    let a = i8s(std::array::from_fn(|i| i as i8));
    let r = I32x4RelaxedDotI8x16I7x16AddS::apply(a, a, i32s([0, 1, 2, 3]));
    assert_eq!(to_i32s(r), [14, 127, 368, 737]);
}

/// Handlers run for real: operand layout, instruction length, cells.
#[cfg(not(feature = "checked"))]
mod handlers {
    use super::*;
    use crate::exec::HostCall;
    use crate::exec::driver::exit_handler;
    use crate::ir::isa::{Bytes16, Count, Exit as ExitInstr, Imm64, Index, Instr, Slot};
    use crate::ir::{CodeBuilder, Handler};

    /// Runs one instruction (then an exit) on `frame` and `mem`.
    fn run<I: Instr>(
        h: Handler,
        ops: I,
        frame: &mut [u64],
        mem: &mut [u8],
    ) -> Result<(), TrapKind> {
        let mut b = CodeBuilder::default();
        b.emit(h, ops);
        b.emit(h!(exit_handler), ExitInstr {});
        let (code, _, _) = b.finish();
        let h = h.run;
        let mut ctx = Ctx {
            store: std::ptr::null_mut(),
            inst: std::ptr::null(),
            stacks: std::ptr::null_mut(),
            stack_end: std::ptr::null_mut(),
            trap: None,
            exit_ip: std::ptr::null(),
            thrown: None,
            epoch: std::ptr::null(),
            host: HostCall {
                func: 0,
                fp: std::ptr::null_mut(),
                base: 0,
                resume: std::ptr::null(),
                tail: false,
                site: std::ptr::null(),
            },
        };
        // SAFETY: every slot operand is inside `frame`, memory 0 is `mem`
        // and no handler here touches the store or the instance.
        let exit = unsafe {
            h(
                code.as_ptr(),
                frame.as_mut_ptr(),
                mem.as_mut_ptr(),
                mem.len(),
                &mut ctx,
                0,
            )
        };
        match exit {
            Exit::Done => Ok(()),
            Exit::Trap => Err(ctx.trap.expect("a trap kind")),
            Exit::HostCall | Exit::Throw => panic!("no SIMD handler calls or throws"),
        }
    }

    /// Writes `v` to the `v128` slot `s` of `frame`.
    fn put(frame: &mut [u64], s: usize, v: u128) {
        frame[s] = v as u64;
        frame[s + 1] = (v >> 64) as u64;
    }
    /// Reads the `v128` slot `s` of `frame`.
    fn take(frame: &[u64], s: usize) -> u128 {
        u128::from(frame[s]) | u128::from(frame[s + 1]) << 64
    }

    #[test]
    fn arithmetic_shapes() {
        let mut f = [0u64; 16];
        let mut m = [];
        put(&mut f, 2, i32s([1, 2, 3, 4]));
        put(&mut f, 4, i32s([10, 20, 30, 40]));
        run(
            h!(v_bin::<I32x4Add>),
            BinRR {
                dst: Slot(0),
                a: Slot(2),
                b: Slot(4),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(to_i32s(take(&f, 0)), [11, 22, 33, 44]);
        run(
            h!(v_un::<I32x4Neg>),
            Unary {
                dst: Slot(6),
                a: Slot(0),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(to_i32s(take(&f, 6)), [-11, -22, -33, -44]);
        run(
            h!(v_tern::<V128Bitselect>),
            VTernary {
                dst: Slot(8),
                a: Slot(2),
                b: Slot(4),
                c: Slot(6),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(
            take(&f, 8),
            (take(&f, 2) & take(&f, 6)) | (take(&f, 4) & !take(&f, 6))
        );
        run(
            h!(v_test::<I32x4Bitmask>),
            Unary {
                dst: Slot(10),
                a: Slot(6),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(f[10], 0b1111);
        f[11] = 33;
        run(
            h!(v_shift::<I32x4Shl>),
            BinRR {
                dst: Slot(12),
                a: Slot(2),
                b: Slot(11),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(to_i32s(take(&f, 12)), [2, 4, 6, 8]);
        f[14] = 0xffff_fffe;
        run(
            h!(v_splat::<I32x4Splat>),
            Unary {
                dst: Slot(0),
                a: Slot(14),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(to_i32s(take(&f, 0)), [-2; 4]);
        run(
            h!(v_extract::<I8x16ExtractLaneS>),
            VExtract {
                dst: Slot(14),
                a: Slot(4),
                lane: Count(4),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(f[14], 20);
        run(
            h!(v_extract::<I32x4ExtractLane>),
            VExtract {
                dst: Slot(14),
                a: Slot(6),
                lane: Count(3),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(f[14], u64::from(-44i32 as u32));
        f[15] = 99;
        run(
            h!(v_replace::<I16x8ReplaceLane>),
            VReplace {
                dst: Slot(2),
                a: Slot(2),
                x: Slot(15),
                lane: Count(7),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(to_i16s(take(&f, 2)), [1, 0, 2, 0, 3, 0, 4, 99]);
    }

    #[test]
    fn moves_and_constants() {
        let mut f = [0u64; 12];
        let mut m = [];
        let c = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100u128;
        let value = Bytes16(c.to_le_bytes());
        run(
            h!(v_const),
            VConst {
                dst: Slot(2),
                value,
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(take(&f, 2), c);
        run(
            h!(v_copy),
            Move {
                dst: Slot(4),
                src: Slot(2),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(take(&f, 4), c);
        put(&mut f, 6, !c);
        f[8] = 0;
        run(
            h!(v_select),
            Select {
                dst: Slot(0),
                cond: Slot(8),
                a: Slot(4),
                b: Slot(6),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(take(&f, 0), !c);
        f[8] = 1 << 32; // only the i32 counts
        run(
            h!(v_select),
            Select {
                dst: Slot(0),
                cond: Slot(8),
                a: Slot(4),
                b: Slot(6),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(take(&f, 0), !c);
        f[8] = 7;
        run(
            h!(v_select),
            Select {
                dst: Slot(0),
                cond: Slot(8),
                a: Slot(4),
                b: Slot(6),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(take(&f, 0), c);
        // Take bytes 31, 0, 16, 15, ... of a ‖ b (b = !c).
        let lanes: [u8; 16] = [31, 0, 16, 15, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22];
        let ops = VShuffle {
            dst: Slot(10),
            a: Slot(2),
            b: Slot(6),
            lanes: Bytes16(lanes),
        };
        run(h!(v_shuffle), ops, &mut f, &mut m).unwrap();
        assert_eq!(u8s(take(&f, 10))[..4], [!15, 0, !0, 15]);
    }

    #[test]
    fn memory() {
        let mut f = [0u64; 8];
        let mut m: [u8; 32] = std::array::from_fn(|i| i as u8);
        f[0] = 8;
        run(
            h!(v_load::<V128Load>),
            LoadMem {
                dst: Slot(2),
                addr: Slot(0),
                offset: Imm64::new(8),
                memory: Index(0),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(u8s(take(&f, 2)), std::array::from_fn(|i| 16 + i as u8));
        let oob = run(
            h!(v_load::<V128Load>),
            LoadMem {
                dst: Slot(2),
                addr: Slot(0),
                offset: Imm64::new(9),
                memory: Index(0),
            },
            &mut f,
            &mut m,
        );
        assert_eq!(oob, Err(TrapKind::MemoryOutOfBounds));
        let oob = run(
            h!(v_load::<V128Load>),
            LoadMem {
                dst: Slot(2),
                addr: Slot(0),
                offset: Imm64::new(1 << 32),
                memory: Index(0),
            },
            &mut f,
            &mut m,
        );
        assert_eq!(oob, Err(TrapKind::MemoryOutOfBounds), "64-bit offset");
        run(
            h!(v_load::<V128Load16Splat>),
            LoadMem {
                dst: Slot(4),
                addr: Slot(0),
                offset: Imm64::new(22),
                memory: Index(0),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(take(&f, 4), i16s([0x1f1e; 8]));
        assert!(
            run(
                h!(v_load::<V128Load16Splat>),
                LoadMem {
                    dst: Slot(4),
                    addr: Slot(0),
                    offset: Imm64::new(23),
                    memory: Index(0)
                },
                &mut f,
                &mut m
            )
            .is_err()
        );
        f[0] = 0;
        run(
            h!(v_store),
            StoreMem {
                addr: Slot(0),
                value: Slot(4),
                offset: Imm64::new(16),
                memory: Index(0),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(m[16..], [0x1e, 0x1f].repeat(8)[..]);
        assert!(
            run(
                h!(v_store),
                StoreMem {
                    addr: Slot(0),
                    value: Slot(4),
                    offset: Imm64::new(17),
                    memory: Index(0)
                },
                &mut f,
                &mut m
            )
            .is_err()
        );
        // load lane 3 of 4-byte lanes from address 0 into vec at 4
        run(
            h!(v_load_lane::<4>),
            VLoadLane {
                dst: Slot(6),
                addr: Slot(0),
                vec: Slot(4),
                offset: Imm64::new(0),
                memory: Index(0),
                lane: Count(3),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(
            to_i32s(take(&f, 6)),
            [0x1f1e_1f1e, 0x1f1e_1f1e, 0x1f1e_1f1e, 0x0302_0100]
        );
        assert!(
            run(
                h!(v_load_lane::<8>),
                VLoadLane {
                    dst: Slot(6),
                    addr: Slot(0),
                    vec: Slot(4),
                    offset: Imm64::new(25),
                    memory: Index(0),
                    lane: Count(1)
                },
                &mut f,
                &mut m
            )
            .is_err()
        );
        run(
            h!(v_load_lane::<1>),
            VLoadLane {
                dst: Slot(6),
                addr: Slot(0),
                vec: Slot(6),
                offset: Imm64::new(31),
                memory: Index(0),
                lane: Count(15),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(u8s(take(&f, 6))[15], 0x1f);
        // store lane 1 of 8-byte lanes (bytes 8..16 of vec 2, loaded
        // from address 16 at the start) to address 0 + 24
        run(
            h!(v_store_lane::<8>),
            VStoreLane {
                addr: Slot(0),
                vec: Slot(2),
                offset: Imm64::new(24),
                memory: Index(0),
                lane: Count(1),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(m[24..], [24, 25, 26, 27, 28, 29, 30, 31]);
        put(&mut f, 2, i16s([0, 0, 0, 0, 0, 0x7a7b, 0, 0]));
        run(
            h!(v_store_lane::<2>),
            VStoreLane {
                addr: Slot(0),
                vec: Slot(2),
                offset: Imm64::new(0),
                memory: Index(0),
                lane: Count(5),
            },
            &mut f,
            &mut m,
        )
        .unwrap();
        assert_eq!(m[..3], [0x7b, 0x7a, 2]);
        assert!(
            run(
                h!(v_store_lane::<2>),
                VStoreLane {
                    addr: Slot(0),
                    vec: Slot(2),
                    offset: Imm64::new(31),
                    memory: Index(0),
                    lane: Count(5)
                },
                &mut f,
                &mut m
            )
            .is_err()
        );
    }
}
