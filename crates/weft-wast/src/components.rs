//! What the script runner needs for components: instances and definitions
//! of either kind, calls with component values, and comparing component
//! results with what a script expects.

use anyhow::{Result, anyhow, bail};
use wast::core::{WastArgCore, WastRetCore};
use wast::{WastArg, WastInvoke, WastRet};
use weft::{Error, Module, Store};
use weft_component::{Component, Val as CVal};

/// A module or component, compiled.
#[derive(Clone)]
pub(crate) enum Def {
    Core(Module),
    Component(Component),
}

/// An instance of a module or of a component.
#[derive(Clone)]
pub(crate) enum Inst {
    Core(weft::Instance),
    Component(weft_component::Instance),
}

/// What a call returned.
#[derive(Debug)]
pub(crate) enum Got {
    Core(Vec<weft::Val>),
    Component(Vec<CVal>),
}

/// Calls component function `invoke.name` of `inst`; the outer error is a
/// broken script, the inner one what weft reported.
pub(crate) fn invoke(
    store: &mut Store<()>,
    inst: &weft_component::Instance,
    invoke: &WastInvoke<'_>,
) -> Result<Result<Got, Error>> {
    let func = inst
        .get_func(&*store, invoke.name)
        .ok_or_else(|| anyhow!("no component function `{}`", invoke.name))?;
    let args = invoke
        .args
        .iter()
        .map(|a| match a {
            WastArg::Component(v) => value(v),
            WastArg::Core(c) => core_as_value(c),
            _ => bail!("an argument of an unknown kind"),
        })
        .collect::<Result<Vec<_>>>()?;
    let mut results = vec![CVal::Bool(false); func.results().len()];
    Ok(func
        .call(&mut *store, &args, &mut results)
        .map(|()| Got::Component(results)))
}

/// A core constant used as a component argument (scripts write integers
/// the core way at times).
fn core_as_value(c: &WastArgCore<'_>) -> Result<CVal> {
    Ok(match c {
        WastArgCore::I32(v) => CVal::S32(*v),
        WastArgCore::I64(v) => CVal::S64(*v),
        WastArgCore::F32(v) => CVal::Float32(f32::from_bits(v.bits)),
        WastArgCore::F64(v) => CVal::Float64(f64::from_bits(v.bits)),
        other => bail!("core argument {other:?} passed to a component function"),
    })
}

/// A script's component value.
fn value(v: &wast::component::WastVal<'_>) -> Result<CVal> {
    use wast::component::WastVal as W;
    let boxed = |v: &Option<Box<W<'_>>>| -> Result<Option<Box<CVal>>> {
        v.as_deref().map(|v| value(v).map(Box::new)).transpose()
    };
    Ok(match v {
        W::Bool(b) => CVal::Bool(*b),
        W::U8(x) => CVal::U8(*x),
        W::S8(x) => CVal::S8(*x),
        W::U16(x) => CVal::U16(*x),
        W::S16(x) => CVal::S16(*x),
        W::U32(x) => CVal::U32(*x),
        W::S32(x) => CVal::S32(*x),
        W::U64(x) => CVal::U64(*x),
        W::S64(x) => CVal::S64(*x),
        W::F32(x) => CVal::Float32(f32::from_bits(x.bits)),
        W::F64(x) => CVal::Float64(f64::from_bits(x.bits)),
        W::Char(c) => CVal::Char(*c),
        W::String(s) => CVal::String(s.to_string()),
        W::List(items) => CVal::List(items.iter().map(value).collect::<Result<_>>()?),
        W::Record(fields) => CVal::Record(
            fields
                .iter()
                .map(|(n, v)| Ok((n.to_string(), value(v)?)))
                .collect::<Result<_>>()?,
        ),
        W::Tuple(items) => CVal::Tuple(items.iter().map(value).collect::<Result<_>>()?),
        W::Variant(name, payload) => CVal::Variant(name.to_string(), boxed(payload)?),
        W::Enum(name) => CVal::Enum(name.to_string()),
        W::Option(v) => CVal::Option(boxed(v)?),
        W::Result(Ok(v)) => CVal::Result(Ok(boxed(v)?)),
        W::Result(Err(v)) => CVal::Result(Err(boxed(v)?)),
        W::Flags(names) => CVal::Flags(names.iter().map(|n| n.to_string()).collect()),
        W::Map(pairs) => CVal::Map(
            pairs
                .iter()
                .map(|(k, v)| Ok((value(k)?, value(v)?)))
                .collect::<Result<_>>()?,
        ),
    })
}

/// Whether `got` is the value `want`: floats by bits, except that any NaN
/// matches any NaN (the Canonical ABI makes every NaN canonical).
fn same(got: &CVal, want: &CVal) -> bool {
    use CVal as V;
    let all =
        |a: &[CVal], b: &[CVal]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y));
    let opt = |a: &Option<Box<CVal>>, b: &Option<Box<CVal>>| match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    };
    match (got, want) {
        (V::Float32(a), V::Float32(b)) => a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan(),
        (V::Float64(a), V::Float64(b)) => a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan(),
        (V::List(a), V::List(b)) | (V::Tuple(a), V::Tuple(b)) => all(a, b),
        (V::Record(a), V::Record(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|((n, x), (m, y))| n == m && same(x, y))
        }
        (V::Variant(n, a), V::Variant(m, b)) => n == m && opt(a, b),
        (V::Option(a), V::Option(b)) => opt(a, b),
        (V::Result(Ok(a)), V::Result(Ok(b))) | (V::Result(Err(a)), V::Result(Err(b))) => opt(a, b),
        (V::Map(a), V::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((k, v), (l, w))| same(k, l) && same(v, w))
        }
        (V::Flags(a), V::Flags(b)) => {
            let (mut a, mut b) = (a.clone(), b.clone());
            a.sort();
            b.sort();
            a == b
        }
        _ => got == want,
    }
}

/// Whether component result `got` is what the script expects.
pub(crate) fn matches(got: &CVal, want: &WastRet<'_>) -> Result<bool> {
    let want = match want {
        WastRet::Component(w) => value(w)?,
        WastRet::Core(WastRetCore::I32(v)) => CVal::S32(*v),
        WastRet::Core(WastRetCore::I64(v)) => CVal::S64(*v),
        _ => bail!("a core expectation for a component function"),
    };
    Ok(same(got, &want))
}
