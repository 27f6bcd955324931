//! Component values in their flat form: the core values (`i32`, `i64`,
//! `f32`, `f64`) a value is passed as in registers. Lowering writes a
//! value's flat values (strings and lists go to guest memory through its
//! `realloc`); lifting reads them back with the Canonical ABI's checks. A
//! variant's payload travels in the joined types of all its cases, so
//! lifting and lowering coerce between a case's own flat types and the
//! joined ones, and pad or skip what a case does not use.

use crate::abi::{self, AbiCx, AbiError, Flat, canonical32, canonical64, cases, fields, flatten};
use crate::values::{Type, Val};

/// One flat core value, as its bits (`f32` and `i32` in the low 32).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FlatVal {
    /// Its core type.
    pub ty: Flat,
    /// Its bits.
    pub bits: u64,
}

impl FlatVal {
    fn i32(v: u32) -> FlatVal {
        FlatVal {
            ty: Flat::I32,
            bits: u64::from(v),
        }
    }
}

/// Appends the flat values of `val` (of type `ty`) to `out`.
pub fn lower(
    m: &mut dyn AbiCx,
    val: &Val,
    ty: &Type,
    out: &mut Vec<FlatVal>,
) -> Result<(), AbiError> {
    let mismatch = || AbiError::TypeMismatch(format!("{ty:?}"));
    let i32v = |v: u32| FlatVal::i32(v);
    match (ty, val) {
        (Type::Bool, Val::Bool(v)) => out.push(i32v(u32::from(*v))),
        (Type::S8, Val::S8(v)) => out.push(i32v(*v as i32 as u32)),
        (Type::U8, Val::U8(v)) => out.push(i32v(u32::from(*v))),
        (Type::S16, Val::S16(v)) => out.push(i32v(*v as i32 as u32)),
        (Type::U16, Val::U16(v)) => out.push(i32v(u32::from(*v))),
        (Type::S32, Val::S32(v)) => out.push(i32v(*v as u32)),
        (Type::U32, Val::U32(v)) => out.push(i32v(*v)),
        (Type::Char, Val::Char(c)) => out.push(i32v(u32::from(*c))),
        (Type::S64, Val::S64(v)) => out.push(FlatVal {
            ty: Flat::I64,
            bits: *v as u64,
        }),
        (Type::U64, Val::U64(v)) => out.push(FlatVal {
            ty: Flat::I64,
            bits: *v,
        }),
        (Type::Float32, Val::Float32(v)) => out.push(FlatVal {
            ty: Flat::F32,
            bits: u64::from(canonical32(*v).to_bits()),
        }),
        (Type::Float64, Val::Float64(v)) => out.push(FlatVal {
            ty: Flat::F64,
            bits: canonical64(*v).to_bits(),
        }),
        (Type::String, Val::String(s)) => {
            let (p, n) = abi::store_string(m, s)?;
            out.extend([i32v(p), i32v(n)]);
        }
        (Type::List(elem), Val::List(items)) => {
            let (p, n) = abi::store_list(m, items, elem)?;
            out.extend([i32v(p), i32v(n)]);
        }
        (Type::Flags(names), Val::Flags(set)) => {
            let words = abi::flag_words(names, set).ok_or_else(mismatch)?;
            out.extend(words.into_iter().map(i32v));
        }
        (Type::Own(_) | Type::Borrow(_), Val::Resource(_)) => {
            out.push(i32v(m.lower_handle(ty, val)?));
        }
        (Type::Map(k, v), Val::Map(pairs)) => {
            let (p, n) = abi::store_list(m, &abi::entries_of(pairs), &abi::map_entry(k, v))?;
            out.extend([i32v(p), i32v(n)]);
        }
        (Type::Record(fs), Val::Record(vs)) if fs.len() == vs.len() => {
            for ((_, t), (_, v)) in fs.iter().zip(vs) {
                lower(m, v, t, out)?;
            }
        }
        (Type::Tuple(ts), Val::Tuple(vs)) if ts.len() == vs.len() => {
            for (t, v) in ts.iter().zip(vs) {
                lower(m, v, t, out)?;
            }
        }
        _ => {
            let cs = cases(ty).ok_or_else(mismatch)?;
            let (case, payload) = crate::abi::case_of(ty, val).ok_or_else(mismatch)?;
            let mut joined = Vec::new();
            flatten(ty, &mut joined);
            out.push(i32v(case as u32));
            let start = out.len();
            match (cs[case], payload) {
                (Some(t), Some(v)) => lower(m, v, t, out)?,
                (None, None) => {}
                _ => return Err(mismatch()),
            }
            // Widen the case's own values to the joined types, then pad.
            for (k, want) in joined[1..].iter().enumerate() {
                match out.get_mut(start + k) {
                    Some(v) => *v = widen(*v, *want),
                    None => out.push(FlatVal { ty: *want, bits: 0 }),
                }
            }
        }
    }
    Ok(())
}

/// `v` carried as joined type `want` (bits reinterpreted or zero-extended).
fn widen(v: FlatVal, want: Flat) -> FlatVal {
    FlatVal {
        ty: want,
        bits: v.bits,
    }
}

/// `v`, carried as a joined type, back as the case's own type `want`.
fn narrow(v: FlatVal, want: Flat) -> FlatVal {
    let bits = match want {
        Flat::I32 | Flat::F32 => v.bits & 0xffff_ffff,
        Flat::I64 | Flat::F64 => v.bits,
    };
    FlatVal { ty: want, bits }
}

/// Reads a value of type `ty` from the flat values `vals` (advancing it),
/// loading strings and lists from the guest's memory.
pub fn lift(
    cx: &mut dyn AbiCx,
    vals: &mut dyn Iterator<Item = FlatVal>,
    ty: &Type,
) -> Result<Val, AbiError> {
    let mut next = || {
        vals.next()
            .ok_or_else(|| AbiError::TypeMismatch("too few flat values".into()))
    };
    let bits32 = |v: FlatVal| v.bits as u32;
    Ok(match ty {
        Type::Bool => Val::Bool(bits32(next()?) != 0),
        Type::S8 => Val::S8(bits32(next()?) as i8),
        Type::U8 => Val::U8(bits32(next()?) as u8),
        Type::S16 => Val::S16(bits32(next()?) as i16),
        Type::U16 => Val::U16(bits32(next()?) as u16),
        Type::S32 => Val::S32(bits32(next()?) as i32),
        Type::U32 => Val::U32(bits32(next()?)),
        Type::S64 => Val::S64(next()?.bits as i64),
        Type::U64 => Val::U64(next()?.bits),
        Type::Float32 => Val::Float32(canonical32(f32::from_bits(bits32(next()?)))),
        Type::Float64 => Val::Float64(canonical64(f64::from_bits(next()?.bits))),
        Type::Char => Val::Char(char::from_u32(bits32(next()?)).ok_or(AbiError::InvalidChar)?),
        Type::String => {
            let (p, n) = (bits32(next()?), bits32(next()?));
            Val::String(abi::load_string(cx, p, n)?)
        }
        Type::List(elem) => {
            let (p, n) = (bits32(next()?), bits32(next()?));
            Val::List(abi::load_list(cx, p, n, elem)?)
        }
        Type::Map(k, v) => {
            let (p, n) = (bits32(next()?), bits32(next()?));
            abi::map_of(abi::load_list(cx, p, n, &abi::map_entry(k, v))?)
        }
        Type::Own(_) | Type::Borrow(_) => {
            let handle = bits32(next()?);
            cx.lift_handle(ty, handle)?
        }
        Type::Flags(names) => {
            let words: Vec<u32> = (0..names.len().div_ceil(32))
                .map(|_| next().map(bits32))
                .collect::<Result<_, _>>()?;
            Val::Flags(abi::flags_of_words(names, &words))
        }
        _ => {
            if let Some(fs) = fields(ty) {
                let vals: Vec<Val> = fs
                    .into_iter()
                    .map(|f| lift(cx, vals, f))
                    .collect::<Result<_, _>>()?;
                return Ok(match ty {
                    Type::Record(named) => {
                        Val::Record(named.iter().map(|(n, _)| n.clone()).zip(vals).collect())
                    }
                    _ => Val::Tuple(vals),
                });
            }
            let cs = cases(ty).ok_or_else(|| AbiError::TypeMismatch(format!("{ty:?}")))?;
            let case = bits32(next()?) as usize;
            let payload_ty = *cs.get(case).ok_or(AbiError::InvalidDiscriminant)?;
            let mut joined = Vec::new();
            flatten(ty, &mut joined);
            let carried: Vec<FlatVal> = (1..joined.len())
                .map(|_| next())
                .collect::<Result<_, _>>()?;
            let payload = match payload_ty {
                Some(t) => {
                    let mut own = Vec::new();
                    flatten(t, &mut own);
                    let mut narrowed = carried.iter().zip(&own).map(|(v, want)| narrow(*v, *want));
                    Some(Box::new(lift(cx, &mut narrowed, t)?))
                }
                None => None,
            };
            crate::abi::val_of_case(ty, case, payload)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::abi::tests::Bump;

    #[test]
    fn variants_carry_their_payloads_in_joined_types() {
        let ty = Type::Variant(vec![
            ("f".into(), Some(Type::Float32)),
            ("d".into(), Some(Type::Float64)),
            ("s".into(), Some(Type::String)),
            ("n".into(), None),
        ]);
        let mut m = Bump::new(vec![0; 256], 16);
        for val in [
            Val::Variant("f".into(), Some(Box::new(Val::Float32(-2.5)))),
            Val::Variant("d".into(), Some(Box::new(Val::Float64(7.25)))),
            Val::Variant("s".into(), Some(Box::new(Val::String("hi".into())))),
            Val::Variant("n".into(), None),
        ] {
            let mut flat = Vec::new();
            lower(&mut m, &val, &ty, &mut flat).unwrap();
            let types: Vec<Flat> = flat.iter().map(|v| v.ty).collect();
            assert_eq!(types, [Flat::I32, Flat::I64, Flat::I32], "{val:?}");
            let back = lift(&mut m, &mut flat.into_iter(), &ty).unwrap();
            assert_eq!(back, val);
        }
        let bad = [
            FlatVal::i32(4),
            FlatVal {
                ty: Flat::I64,
                bits: 0,
            },
            FlatVal::i32(0),
        ];
        assert_eq!(
            lift(&mut m, &mut bad.into_iter(), &ty),
            Err(AbiError::InvalidDiscriminant)
        );
    }

    #[test]
    fn integers_lift_modulo_their_width_and_chars_are_checked() {
        let lift1 = |bits: u64, ty: &Type| {
            let v = FlatVal {
                ty: Flat::I32,
                bits,
            };
            lift(&mut Bump::new(Vec::new(), 0), &mut std::iter::once(v), ty)
        };
        assert_eq!(lift1(0x1ff, &Type::U8), Ok(Val::U8(0xff)));
        assert_eq!(lift1(0x180, &Type::S8), Ok(Val::S8(-128)));
        assert_eq!(lift1(2, &Type::Bool), Ok(Val::Bool(true)));
        assert_eq!(lift1(0x11_0000, &Type::Char), Err(AbiError::InvalidChar));
    }
}
