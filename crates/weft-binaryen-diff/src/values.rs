//! Values as the check shows and compares them: weft's results turned
//! into binaryen's printed form, and the rules that decide whether one of
//! binaryen's printed tokens means the same value (the normalizations).

use std::fmt;

/// A value weft produced, kept with its type so it can be compared with
/// binaryen's text by meaning rather than by spelling.
#[derive(Clone, Debug, PartialEq)]
pub enum Shown {
    /// An `i32`, printed signed.
    I32(i32),
    /// An `i64`, printed signed.
    I64(i64),
    /// An `f32`'s bits.
    F32(u32),
    /// An `f64`'s bits.
    F64(u64),
    /// A `v128`, printed as four little-endian `i32` lanes.
    V128(u128),
    /// A reference, already in binaryen's words: `null`, `function`,
    /// `object(null)`, `i31ref(N)`, `externref(N)` or `jserror`.
    Ref(String),
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shown::I32(v) => write!(f, "{v}"),
            Shown::I64(v) => write!(f, "{v}"),
            Shown::F32(bits) => {
                let v = f32::from_bits(*bits);
                if v.is_nan() {
                    let sign = if bits >> 31 == 1 { "-" } else { "" };
                    let payload = bits & 0x007f_ffff;
                    write!(f, "{sign}nan:{payload:#x}")
                } else {
                    write_f64(f, f64::from(v))
                }
            }
            Shown::F64(bits) => {
                let v = f64::from_bits(*bits);
                if v.is_nan() {
                    let sign = if bits >> 63 == 1 { "-" } else { "" };
                    let payload = bits & 0x000f_ffff_ffff_ffff;
                    write!(f, "{sign}nan:{payload:#x}")
                } else {
                    write_f64(f, v)
                }
            }
            Shown::V128(v) => {
                write!(f, "i32x4")?;
                for lane in v128_lanes(*v) {
                    write!(f, " 0x{lane:08x}")?;
                }
                Ok(())
            }
            Shown::Ref(s) => f.write_str(s),
        }
    }
}

/// A finite or infinite float the way binaryen spells the special cases;
/// ordinary numbers in Rust's shortest round-trip form (binaryen's own
/// spelling differs, which the comparison does not look at).
fn write_f64(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    if v == 0.0 && v.is_sign_negative() {
        f.write_str("-0")
    } else if v.is_infinite() {
        f.write_str(if v < 0.0 { "-inf" } else { "inf" })
    } else {
        let text = format!("{v:?}");
        f.write_str(text.strip_suffix(".0").unwrap_or(&text))
    }
}

/// The four `i32` lanes of a `v128`, lowest first.
fn v128_lanes(v: u128) -> [u32; 4] {
    [
        v as u32,
        (v >> 32) as u32,
        (v >> 64) as u32,
        (v >> 96) as u32,
    ]
}

/// A float as binaryen printed it.
#[derive(Debug, PartialEq)]
enum FloatText {
    /// Any NaN (`nan`, `-nan`, `nan:0x...`): sign and payload are dropped.
    NaN,
    /// A number, including `-0` and the infinities.
    Number(f64),
}

/// Reads binaryen's spelling of a float: `nan`, `-nan:0x7fe64b`, `-0`,
/// `inf`, `-inf`, or a decimal such as `30.588`, `1.e+100` or
/// `3402823466385288598117041e14` (its JS-style shortest form).
fn parse_float(tok: &str) -> Option<FloatText> {
    let unsigned = tok.strip_prefix('-').unwrap_or(tok);
    if unsigned == "nan" || unsigned.starts_with("nan:0x") {
        return Some(FloatText::NaN);
    }
    match unsigned {
        "inf" | "infinity" => {
            let v = if tok.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            return Some(FloatText::Number(v));
        }
        _ => {}
    }
    // `1.e+100`: a point with no digits after it, before the exponent.
    let cleaned = tok.replace(".e", "e");
    let cleaned = cleaned.strip_suffix('.').unwrap_or(&cleaned);
    cleaned.parse::<f64>().ok().map(FloatText::Number)
}

/// Whether a float with the given value (as an `f64`; an `f32` widens
/// exactly) is what binaryen printed. NaNs match any NaN: the
/// specification leaves the sign and payload of a NaN that arithmetic
/// produces nondeterministic, and binaryen's interpreter picks its own.
fn float_matches(v: f64, tok: &str) -> bool {
    match parse_float(tok) {
        Some(FloatText::NaN) => v.is_nan(),
        Some(FloatText::Number(x)) => x.to_bits() == v.to_bits(),
        None => false,
    }
}

/// Whether two `v128`s are the same up to NaN payloads: each 64-bit half is
/// equal, or both halves are `f64` NaNs, or each of its 32-bit lanes is
/// equal or both lanes are `f32` NaNs. (A `v128` has no lane type, so a
/// NaN-shaped lane is taken as a NaN that float arithmetic may have made.)
pub fn v128_matches(a: u128, b: u128) -> bool {
    (0..2).all(|half| {
        let (x, y) = ((a >> (64 * half)) as u64, (b >> (64 * half)) as u64);
        x == y
            || (f64::from_bits(x).is_nan() && f64::from_bits(y).is_nan())
            || (0..2).all(|lane| {
                let (p, q) = ((x >> (32 * lane)) as u32, (y >> (32 * lane)) as u32);
                p == q || (f32::from_bits(p).is_nan() && f32::from_bits(q).is_nan())
            })
    })
}

/// Reads binaryen's `i32x4 0x... 0x... 0x... 0x...` (the four tokens
/// after `i32x4`).
fn parse_v128(lanes: &[&str]) -> Option<u128> {
    if lanes.len() != 4 {
        return None;
    }
    let mut v = 0u128;
    for (i, lane) in lanes.iter().enumerate() {
        let hex = lane.strip_prefix("0x")?;
        v |= u128::from(u32::from_str_radix(hex, 16).ok()?) << (32 * i);
    }
    Some(v)
}

/// Whether weft's values are, in order, what binaryen printed as `toks`
/// (its line split at spaces; a `v128` takes five tokens).
pub fn values_match(values: &[Shown], toks: &[&str]) -> bool {
    let mut at = 0;
    for v in values {
        let Some(&tok) = toks.get(at) else {
            return false;
        };
        let ok = match v {
            Shown::I32(x) => tok.parse::<i64>() == Ok(i64::from(*x)),
            Shown::I64(x) => tok.parse::<i64>() == Ok(*x),
            Shown::F32(bits) => float_matches(f64::from(f32::from_bits(*bits)), tok),
            Shown::F64(bits) => float_matches(f64::from_bits(*bits), tok),
            Shown::V128(x) => {
                let lanes = toks.get(at + 1..at + 5).unwrap_or(&[]);
                at += 4;
                tok == "i32x4" && parse_v128(lanes).is_some_and(|y| v128_matches(*x, y))
            }
            Shown::Ref(s) => tok == s,
        };
        if !ok {
            return false;
        }
        at += 1;
    }
    at == toks.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaryen_float_spellings() {
        assert!(float_matches(f64::from(0.1f32), "0.10000000149011612"));
        assert!(float_matches(
            f64::from(1e30f32),
            "1000000015047466219876688e6"
        ));
        assert!(float_matches(1e100, "1.e+100"));
        assert!(float_matches(-0.0, "-0"));
        assert!(!float_matches(0.0, "-0"));
        assert!(float_matches(f64::NEG_INFINITY, "-inf"));
        assert!(float_matches(f64::NAN, "-nan:0x7fe64b"));
        assert!(float_matches(-f64::NAN, "nan"));
        assert!(!float_matches(1.0, "nan"));
        assert!(float_matches(
            f64::from(f32::MAX),
            "3402823466385288598117041e14"
        ));
    }

    #[test]
    fn values_in_a_line() {
        let v = [
            Shown::I32(-5),
            Shown::V128(0x7bff9bce_ffff11ff_d5ff6040_00570000),
            Shown::Ref("object(null)".into()),
        ];
        let line = "-5 i32x4 0x00570000 0xd5ff6040 0xffff11ff 0x7bff9bce object(null)";
        let toks: Vec<&str> = line.split(' ').collect();
        assert!(values_match(&v, &toks));
        assert!(!values_match(&v[..2], &toks));
        assert_eq!(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            line
        );
    }

    #[test]
    fn v128_nan_lanes() {
        let a = 0x7fc0_0000_u128 | (5 << 32);
        let b = 0xffc0_0001_u128 | (5 << 32);
        assert!(v128_matches(a, b));
        assert!(!v128_matches(a, b | (2 << 32)));
        let c = 0x7ff8_0000_0000_0000_u128;
        let d = 0x7ff0_0000_0000_0001_u128;
        assert!(v128_matches(c, d));
    }
}
