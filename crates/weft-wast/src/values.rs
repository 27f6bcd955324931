//! Script values: turning `.wast` arguments into weft values and checking
//! results against the script's expectations (NaN patterns, references).

use anyhow::Result;
use std::collections::HashMap;
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use weft::{AnyRef, ExternRef, Store, Val};

/// The host value a script's `ref.extern N` (as an `externref`) and
/// `ref.host N` (the same value as an `anyref`, as `any.convert_extern`
/// makes it) stand for.
#[derive(Debug, PartialEq, Eq)]
struct ScriptExtern(u32);

/// One `ExternRef` per script number, so identity survives round trips.
#[derive(Default)]
pub(crate) struct ExternRefs {
    by_number: HashMap<u32, ExternRef>,
}

impl ExternRefs {
    pub(crate) fn arg(&mut self, store: &mut Store<()>, a: &WastArgCore<'_>) -> Result<Val> {
        Ok(match a {
            WastArgCore::I32(v) => Val::I32(*v),
            WastArgCore::I64(v) => Val::I64(*v),
            WastArgCore::F32(v) => Val::F32(v.bits),
            WastArgCore::F64(v) => Val::F64(v.bits),
            WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
            WastArgCore::RefNull(h) => null_of(h),
            WastArgCore::RefExtern(n) => Val::ExternRef(Some(self.get(store, *n)?)),
            WastArgCore::RefHost(n) => {
                let e = self.get(store, *n)?;
                Val::AnyRef(Some(AnyRef::convert_extern(&*store, e)?))
            }
        })
    }

    fn get(&mut self, store: &mut Store<()>, n: u32) -> Result<ExternRef> {
        if let Some(r) = self.by_number.get(&n) {
            return Ok(*r);
        }
        let r = ExternRef::new(&mut *store, ScriptExtern(n))?;
        self.by_number.insert(n, r);
        Ok(r)
    }
}

/// The script number of the host value behind `e`, if it holds one.
fn script_number(store: &Store<()>, e: ExternRef) -> Option<u32> {
    let data = e.data(store).ok()?;
    data.downcast_ref::<ScriptExtern>().map(|s| s.0)
}

fn null_of(h: &HeapType<'_>) -> Val {
    use AbstractHeapType as A;
    match h {
        HeapType::Abstract {
            ty: A::Extern | A::NoExtern,
            ..
        } => Val::ExternRef(None),
        HeapType::Abstract {
            ty: A::Func | A::NoFunc,
            ..
        }
        | HeapType::Concrete(_) => Val::FuncRef(None),
        _ => Val::AnyRef(None),
    }
}

fn nan_matches<T: Copy>(
    got: u64,
    want: &NanPattern<T>,
    bits: impl Fn(T) -> u64,
    width: u32,
) -> bool {
    let exp_mask = if width == 32 {
        0x7f80_0000u64
    } else {
        0x7ff0_0000_0000_0000
    };
    let quiet = if width == 32 {
        0x0040_0000u64
    } else {
        0x0008_0000_0000_0000
    };
    let payload = if width == 32 {
        0x007f_ffffu64
    } else {
        0x000f_ffff_ffff_ffff
    };
    let is_nan = got & exp_mask == exp_mask && got & payload != 0;
    match want {
        NanPattern::CanonicalNan => is_nan && got & payload == quiet,
        NanPattern::ArithmeticNan => is_nan && got & quiet != 0,
        NanPattern::Value(v) => got == bits(*v),
    }
}

/// Whether a `v128` result matches a lane-wise pattern (float lanes may be
/// NaN patterns).
fn v128_matches(got: u128, want: &V128Pattern) -> bool {
    let bytes = got.to_le_bytes();
    let lane = |i: usize, n: usize| -> u64 {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&bytes[i * n..i * n + n]);
        u64::from_le_bytes(b)
    };
    match want {
        V128Pattern::I8x16(w) => w
            .iter()
            .enumerate()
            .all(|(i, x)| lane(i, 1) == u64::from(*x as u8)),
        V128Pattern::I16x8(w) => w
            .iter()
            .enumerate()
            .all(|(i, x)| lane(i, 2) == u64::from(*x as u16)),
        V128Pattern::I32x4(w) => w
            .iter()
            .enumerate()
            .all(|(i, x)| lane(i, 4) == u64::from(*x as u32)),
        V128Pattern::I64x2(w) => w.iter().enumerate().all(|(i, x)| lane(i, 8) == *x as u64),
        V128Pattern::F32x4(w) => w
            .iter()
            .enumerate()
            .all(|(i, p)| nan_matches(lane(i, 4), p, |f| u64::from(f.bits), 32)),
        V128Pattern::F64x2(w) => w
            .iter()
            .enumerate()
            .all(|(i, p)| nan_matches(lane(i, 8), p, |f| f.bits, 64)),
    }
}

/// The type hierarchies a null reference can belong to.
#[derive(PartialEq, Eq)]
enum Hierarchy {
    Func,
    Extern,
    Any,
    Exn,
    Cont,
}

/// Whether `got` is a null of heap type `heap` (`(ref.null)` without a
/// type: a null of any hierarchy).
fn null_matches(got: &Val, heap: Option<&HeapType<'_>>) -> bool {
    use AbstractHeapType as A;
    let hierarchy = match got {
        Val::FuncRef(None) => Hierarchy::Func,
        Val::ExternRef(None) => Hierarchy::Extern,
        Val::AnyRef(None) => Hierarchy::Any,
        Val::ExnRef(None) => Hierarchy::Exn,
        _ => return false,
    };
    let wanted = match heap {
        None => return true,
        // A type index: the script's module knows whether it names a
        // function type or a struct or array type; the runner does not.
        Some(HeapType::Concrete(_) | HeapType::Exact(_)) => {
            return matches!(hierarchy, Hierarchy::Func | Hierarchy::Any);
        }
        Some(HeapType::Abstract { ty, .. }) => match ty {
            A::Func | A::NoFunc => Hierarchy::Func,
            A::Extern | A::NoExtern => Hierarchy::Extern,
            A::Exn | A::NoExn => Hierarchy::Exn,
            A::Cont | A::NoCont => Hierarchy::Cont,
            A::Any | A::Eq | A::Struct | A::Array | A::I31 | A::None => Hierarchy::Any,
        },
    };
    hierarchy == wanted
}

/// Whether weft's value `got` is what the script expects.
pub(crate) fn matches(store: &Store<()>, got: &Val, want: &WastRetCore<'_>) -> bool {
    match (got, want) {
        (Val::I32(g), WastRetCore::I32(w)) => g == w,
        (Val::I64(g), WastRetCore::I64(w)) => g == w,
        (Val::F32(g), WastRetCore::F32(w)) => {
            nan_matches(u64::from(*g), w, |f| u64::from(f.bits), 32)
        }
        (Val::F64(g), WastRetCore::F64(w)) => nan_matches(*g, w, |f| f.bits, 64),
        (_, WastRetCore::RefNull(heap)) => null_matches(got, heap.as_ref()),
        (Val::FuncRef(Some(_)), WastRetCore::RefFunc(_)) => true,
        (Val::ExternRef(Some(e)), WastRetCore::RefExtern(n)) => {
            n.is_none_or(|n| script_number(store, *e) == Some(n))
        }
        (Val::AnyRef(Some(a)), WastRetCore::RefHost(n)) => {
            ExternRef::convert_any(store, *a).is_ok_and(|e| script_number(store, e) == Some(*n))
        }
        (Val::AnyRef(Some(_)), WastRetCore::RefAny) => true,
        (Val::AnyRef(Some(a)), WastRetCore::RefEq) => a.is_eqref(store).unwrap_or(false),
        (Val::AnyRef(Some(a)), WastRetCore::RefStruct) => a.is_struct(store).unwrap_or(false),
        (Val::AnyRef(Some(a)), WastRetCore::RefArray) => a.is_array(store).unwrap_or(false),
        (Val::AnyRef(Some(a)), WastRetCore::RefI31) => a.is_i31(store).unwrap_or(false),
        (Val::V128(g), WastRetCore::V128(w)) => v128_matches(*g, w),
        (_, WastRetCore::Either(options)) => options.iter().any(|w| matches(store, got, w)),
        _ => false,
    }
}
