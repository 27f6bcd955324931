//! Which handler implements each SIMD (`v128`) and relaxed-SIMD operator,
//! and the operand shape it expects (see `exec/simd.rs` for the operand
//! layouts).
//!
//! `v128.const` and `i8x16.shuffle` (handlers `v_const` and `v_shuffle`)
//! and the memory operators carry immediates the translator encodes
//! itself; for the latter this module gives the memarg, lane and handler.

use crate::exec;
use crate::ir::{Handler, h};
use wasmparser::{MemArg, Operator as O};

/// A SIMD operator without immediates (other than a lane index): its
/// handler and operand shape.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum SimdOp {
    /// `v128 -> v128` (`v_un`).
    Un(Handler),
    /// `v128, v128 -> v128` (`v_bin`).
    Bin(Handler),
    /// `v128, v128, v128 -> v128` (`v_tern`).
    Tern(Handler),
    /// `v128 -> i32` (`v_test`).
    Test(Handler),
    /// `v128, i32 -> v128` (`v_shift`).
    Shift(Handler),
    /// scalar `-> v128` (`v_splat`).
    Splat(Handler),
    /// `v128 ->` scalar, with the lane (`v_extract`).
    Extract(Handler, u8),
    /// `v128, scalar -> v128`, with the lane (`v_replace`).
    Replace(Handler, u8),
}

/// Maps each listed operator to its shape and `v_*` handler instantiated
/// with the operator type of the same name.
macro_rules! simd_table {
    ($op:expr;
        un: $($un:ident)*;
        bin: $($bin:ident)*;
        tern: $($tern:ident)*;
        test: $($test:ident)*;
        shift: $($shift:ident)*;
        splat: $($splat:ident)*;
        extract: $($ex:ident)*;
        replace: $($re:ident)*;
    ) => {
        match $op {
            $(O::$un => Some(SimdOp::Un(h!(exec::v_un::<exec::$un>))),)*
            $(O::$bin => Some(SimdOp::Bin(h!(exec::v_bin::<exec::$bin>))),)*
            $(O::$tern => Some(SimdOp::Tern(h!(exec::v_tern::<exec::$tern>))),)*
            $(O::$test => Some(SimdOp::Test(h!(exec::v_test::<exec::$test>))),)*
            $(O::$shift => Some(SimdOp::Shift(h!(exec::v_shift::<exec::$shift>))),)*
            $(O::$splat => Some(SimdOp::Splat(h!(exec::v_splat::<exec::$splat>))),)*
            $(O::$ex { lane } => Some(SimdOp::Extract(h!(exec::v_extract::<exec::$ex>), *lane)),)*
            $(O::$re { lane } => Some(SimdOp::Replace(h!(exec::v_replace::<exec::$re>), *lane)),)*
            _ => None,
        }
    };
}

/// The handler and shape of SIMD operator `op`, if it is one without
/// immediates other than a lane: every SIMD and relaxed-SIMD operator
/// except `v128.const`, `i8x16.shuffle` and the loads and stores.
pub(crate) fn simd_op(op: &O<'_>) -> Option<SimdOp> {
    simd_table! { op;
        un: V128Not
            I8x16Abs I8x16Neg I8x16Popcnt
            I16x8Abs I16x8Neg I16x8ExtAddPairwiseI8x16S I16x8ExtAddPairwiseI8x16U
            I16x8ExtendLowI8x16S I16x8ExtendHighI8x16S I16x8ExtendLowI8x16U I16x8ExtendHighI8x16U
            I32x4Abs I32x4Neg I32x4ExtAddPairwiseI16x8S I32x4ExtAddPairwiseI16x8U
            I32x4ExtendLowI16x8S I32x4ExtendHighI16x8S I32x4ExtendLowI16x8U I32x4ExtendHighI16x8U
            I32x4TruncSatF32x4S I32x4TruncSatF32x4U I32x4TruncSatF64x2SZero I32x4TruncSatF64x2UZero
            I32x4RelaxedTruncF32x4S I32x4RelaxedTruncF32x4U
            I32x4RelaxedTruncF64x2SZero I32x4RelaxedTruncF64x2UZero
            I64x2Abs I64x2Neg
            I64x2ExtendLowI32x4S I64x2ExtendHighI32x4S I64x2ExtendLowI32x4U I64x2ExtendHighI32x4U
            F32x4Abs F32x4Neg F32x4Ceil F32x4Floor F32x4Trunc F32x4Nearest F32x4Sqrt
            F32x4ConvertI32x4S F32x4ConvertI32x4U F32x4DemoteF64x2Zero
            F64x2Abs F64x2Neg F64x2Ceil F64x2Floor F64x2Trunc F64x2Nearest F64x2Sqrt
            F64x2ConvertLowI32x4S F64x2ConvertLowI32x4U F64x2PromoteLowF32x4;
        bin: V128And V128AndNot V128Or V128Xor
            I8x16Swizzle I8x16RelaxedSwizzle I8x16NarrowI16x8S I8x16NarrowI16x8U
            I8x16Add I8x16AddSatS I8x16AddSatU I8x16Sub I8x16SubSatS I8x16SubSatU
            I8x16MinS I8x16MinU I8x16MaxS I8x16MaxU I8x16AvgrU
            I8x16Eq I8x16Ne I8x16LtS I8x16LtU I8x16GtS I8x16GtU
            I8x16LeS I8x16LeU I8x16GeS I8x16GeU
            I16x8NarrowI32x4S I16x8NarrowI32x4U I16x8Q15MulrSatS
            I16x8RelaxedQ15mulrS I16x8RelaxedDotI8x16I7x16S
            I16x8Add I16x8AddSatS I16x8AddSatU I16x8Sub I16x8SubSatS I16x8SubSatU I16x8Mul
            I16x8MinS I16x8MinU I16x8MaxS I16x8MaxU I16x8AvgrU
            I16x8ExtMulLowI8x16S I16x8ExtMulHighI8x16S I16x8ExtMulLowI8x16U I16x8ExtMulHighI8x16U
            I16x8Eq I16x8Ne I16x8LtS I16x8LtU I16x8GtS I16x8GtU
            I16x8LeS I16x8LeU I16x8GeS I16x8GeU
            I32x4Add I32x4Sub I32x4Mul I32x4MinS I32x4MinU I32x4MaxS I32x4MaxU I32x4DotI16x8S
            I32x4ExtMulLowI16x8S I32x4ExtMulHighI16x8S I32x4ExtMulLowI16x8U I32x4ExtMulHighI16x8U
            I32x4Eq I32x4Ne I32x4LtS I32x4LtU I32x4GtS I32x4GtU
            I32x4LeS I32x4LeU I32x4GeS I32x4GeU
            I64x2Add I64x2Sub I64x2Mul
            I64x2ExtMulLowI32x4S I64x2ExtMulHighI32x4S I64x2ExtMulLowI32x4U I64x2ExtMulHighI32x4U
            I64x2Eq I64x2Ne I64x2LtS I64x2GtS I64x2LeS I64x2GeS
            F32x4Add F32x4Sub F32x4Mul F32x4Div F32x4Min F32x4Max F32x4PMin F32x4PMax
            F32x4RelaxedMin F32x4RelaxedMax
            F32x4Eq F32x4Ne F32x4Lt F32x4Gt F32x4Le F32x4Ge
            F64x2Add F64x2Sub F64x2Mul F64x2Div F64x2Min F64x2Max F64x2PMin F64x2PMax
            F64x2RelaxedMin F64x2RelaxedMax
            F64x2Eq F64x2Ne F64x2Lt F64x2Gt F64x2Le F64x2Ge;
        tern: V128Bitselect
            I8x16RelaxedLaneselect I16x8RelaxedLaneselect
            I32x4RelaxedLaneselect I64x2RelaxedLaneselect
            F32x4RelaxedMadd F32x4RelaxedNmadd F64x2RelaxedMadd F64x2RelaxedNmadd
            I32x4RelaxedDotI8x16I7x16AddS;
        test: V128AnyTrue
            I8x16AllTrue I16x8AllTrue I32x4AllTrue I64x2AllTrue
            I8x16Bitmask I16x8Bitmask I32x4Bitmask I64x2Bitmask;
        shift: I8x16Shl I8x16ShrS I8x16ShrU I16x8Shl I16x8ShrS I16x8ShrU
            I32x4Shl I32x4ShrS I32x4ShrU I64x2Shl I64x2ShrS I64x2ShrU;
        splat: I8x16Splat I16x8Splat I32x4Splat I64x2Splat F32x4Splat F64x2Splat;
        extract: I8x16ExtractLaneS I8x16ExtractLaneU I16x8ExtractLaneS I16x8ExtractLaneU
            I32x4ExtractLane I64x2ExtractLane F32x4ExtractLane F64x2ExtractLane;
        replace: I8x16ReplaceLane I16x8ReplaceLane I32x4ReplaceLane I64x2ReplaceLane
            F32x4ReplaceLane F64x2ReplaceLane;
    }
}

/// Maps each listed load to its memarg and `v_load` handler.
macro_rules! load_table {
    ($op:expr; $($l:ident)*) => {
        match $op {
            $(O::$l { memarg } => Some((*memarg, h!(exec::v_load::<exec::$l>))),)*
            _ => None,
        }
    };
}

/// The memarg and `v_load` handler of a `v128` load (`v128.load`, the
/// extending, splat and zero loads), if `op` is one.
pub(crate) fn simd_load(op: &O<'_>) -> Option<(MemArg, Handler)> {
    load_table! { op;
        V128Load V128Load8x8S V128Load8x8U V128Load16x4S V128Load16x4U V128Load32x2S V128Load32x2U
        V128Load8Splat V128Load16Splat V128Load32Splat V128Load64Splat V128Load32Zero V128Load64Zero
    }
}

/// The memarg and handler (`v_store`) of `v128.store`, if `op` is it.
pub(crate) fn simd_store(op: &O<'_>) -> Option<(MemArg, Handler)> {
    match op {
        O::V128Store { memarg } => Some((*memarg, h!(exec::v_store))),
        _ => None,
    }
}

/// Maps each listed lane access to its memarg, lane, handler (for `N`-byte
/// lanes) and direction.
macro_rules! lane_table {
    ($op:expr; $(load $l:ident $ln:literal)* $(store $s:ident $sn:literal)*) => {
        match $op {
            $(O::$l { memarg, lane } => Some((*memarg, *lane, h!(exec::v_load_lane::<$ln>), true)),)*
            $(O::$s { memarg, lane } =>
                Some((*memarg, *lane, h!(exec::v_store_lane::<$sn>), false)),)*
            _ => None,
        }
    };
}

/// The memarg, lane, handler (`v_load_lane` or `v_store_lane`) and
/// whether it is a load, of a `v128.loadN_lane` or `v128.storeN_lane`.
pub(crate) fn simd_lane_access(op: &O<'_>) -> Option<(MemArg, u8, Handler, bool)> {
    lane_table! { op;
        load V128Load8Lane 1 load V128Load16Lane 2 load V128Load32Lane 4 load V128Load64Lane 8
        store V128Store8Lane 1 store V128Store16Lane 2
        store V128Store32Lane 4 store V128Store64Lane 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value of each immediate type, to build every operator.
    trait Dummy {
        fn dummy() -> Self;
    }
    impl Dummy for u8 {
        fn dummy() -> u8 {
            0
        }
    }
    impl Dummy for [u8; 16] {
        fn dummy() -> [u8; 16] {
            [0; 16]
        }
    }
    impl Dummy for wasmparser::V128 {
        fn dummy() -> wasmparser::V128 {
            0i128.into()
        }
    }
    impl Dummy for MemArg {
        fn dummy() -> MemArg {
            MemArg {
                align: 0,
                max_align: 0,
                offset: 0,
                target: wasmparser::MemArgTarget::Memory(0),
                ordering: None,
            }
        }
    }

    /// Every operator `for_each_visit_simd_operator!` lists, by name.
    macro_rules! all_simd {
        ($(@$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })?
            => $visit:ident ($($ann:tt)*))*) => {
            vec![$((stringify!($op), O::$op $({ $($arg: <$argty as Dummy>::dummy()),* })?),)*]
        };
    }

    /// Every SIMD and relaxed-SIMD operator wasmparser knows is covered by
    /// exactly one lookup, except the two the translator encodes itself.
    #[test]
    fn every_simd_operator_is_covered() {
        let ops: Vec<(&str, O<'static>)> = wasmparser::for_each_visit_simd_operator!(all_simd);
        assert!(ops.len() > 250, "{} operators", ops.len());
        let mut missing = Vec::new();
        for (name, op) in &ops {
            let hits = [
                simd_op(op).is_some(),
                simd_load(op).is_some(),
                simd_store(op).is_some(),
                simd_lane_access(op).is_some(),
            ]
            .iter()
            .filter(|&&h| h)
            .count();
            let own = matches!(op, O::V128Const { .. } | O::I8x16Shuffle { .. });
            if hits != usize::from(!own) {
                missing.push(*name);
            }
        }
        assert!(missing.is_empty(), "not covered exactly once: {missing:?}");
    }

    #[test]
    fn shapes_and_lanes() {
        assert!(matches!(simd_op(&O::I8x16Add), Some(SimdOp::Bin(_))));
        assert!(matches!(
            simd_op(&O::F64x2ExtractLane { lane: 1 }),
            Some(SimdOp::Extract(_, 1))
        ));
        assert!(matches!(
            simd_op(&O::I16x8ReplaceLane { lane: 7 }),
            Some(SimdOp::Replace(_, 7))
        ));
        assert!(matches!(simd_op(&O::I64x2Bitmask), Some(SimdOp::Test(_))));
        assert!(matches!(simd_op(&O::I32x4ShrU), Some(SimdOp::Shift(_))));
        assert!(simd_op(&O::I32Add).is_none());
        let m = MemArg::dummy();
        let (_, lane, _, is_load) =
            simd_lane_access(&O::V128Store16Lane { memarg: m, lane: 3 }).expect("a lane access");
        assert_eq!((lane, is_load), (3, false));
        assert!(simd_store(&O::V128Store { memarg: m }).is_some());
        assert!(simd_store(&O::V128Load { memarg: m }).is_none());
    }
}
