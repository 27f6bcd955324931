//! Wasm values on the command line: parsing arguments by their parameter
//! type, and printing results.
//!
//! Integers (`i32`, `i64`) are read as decimal, signed or unsigned up to the
//! type's width (`4294967295` is the `i32` -1), or as `0x`-prefixed hex, with
//! an optional sign; they are printed as signed decimal.
//!
//! Floats (`f32`, `f64`) are read as decimal (with Rust's syntax: exponents,
//! `inf`, `-inf`, `infinity`; rounded to nearest, but a finite number beyond
//! the type's range is an error, as in the text format) or as a NaN in the text
//! format's syntax: `nan`, `-nan`, `nan:0xPAYLOAD`. They are printed with
//! Rust's `Display` (the shortest decimal that parses back to the same value,
//! so `0.1` prints as `0.1`, and `-0` and `inf` keep their sign), except NaNs,
//! which Rust prints as `NaN` whatever their sign and payload: weft prints
//! them in the text format's syntax instead (`nan`, `-nan`, `nan:0x200000`).
//! So every printed result parses back to the same bits.

use std::num::IntErrorKind;
use weft::{Val, ValType};

/// Why a command-line argument is not a value of its parameter's type.
pub type ParseError = String;

/// Parses one command-line argument as a value of type `ty`.
pub fn parse_arg(ty: ValType, s: &str) -> Result<Val, ParseError> {
    match ty {
        ValType::I32 => parse_int(s, 32, "i32").map(|b| Val::I32(b as u32 as i32)),
        ValType::I64 => parse_int(s, 64, "i64").map(|b| Val::I64(b as i64)),
        ValType::F32 => parse_float(s, &F32).map(|b| Val::F32(b as u32)),
        ValType::F64 => parse_float(s, &F64).map(Val::F64),
        ValType::Ref(r) if r.nullable && s == "null" => {
            Val::default_for(ty).ok_or_else(|| format!("cannot pass a {ty} argument"))
        }
        ValType::Ref(r) if r.nullable => Err(format!(
            "cannot parse {s:?} as {ty} (only `null` can be passed from the command line)"
        )),
        _ => Err(format!("cannot pass a {ty} argument from the command line")),
    }
}

/// Parses an integer of `bits` bits (named `name`) and returns its bits
/// zero-extended to 64.
fn parse_int(s: &str, bits: u32, name: &str) -> Result<u64, ParseError> {
    let invalid =
        || format!("cannot parse {s:?} as {name} (expected a decimal or 0x-prefixed hex integer)");
    let out_of_range = || format!("{s:?} is out of range for {name}");
    let (negative, unsigned) = split_sign(s);
    let (radix, digits) = match unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
    {
        Some(hex) => (16, hex),
        None => (10, unsigned),
    };
    // `from_str_radix` would accept a second sign; only digits may follow.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(invalid());
    }
    let magnitude = u128::from_str_radix(digits, radix).map_err(|e| match e.kind() {
        IntErrorKind::PosOverflow => out_of_range(),
        _ => invalid(),
    })?;
    let mask = u64::MAX >> (64 - bits);
    if negative {
        // Down to -2^(bits-1).
        if magnitude > 1u128 << (bits - 1) {
            return Err(out_of_range());
        }
        Ok((magnitude as u64).wrapping_neg() & mask)
    } else {
        if magnitude > u128::from(mask) {
            return Err(out_of_range());
        }
        Ok(magnitude as u64)
    }
}

/// The layout of a float type's bits.
struct FloatLayout {
    /// The type's name.
    name: &'static str,
    /// The position of the sign bit.
    sign_bit: u32,
    /// The exponent bits.
    exponent: u64,
    /// The mantissa (NaN payload) bits.
    mantissa: u64,
    /// The payload of the canonical NaN (the top mantissa bit).
    canonical_nan: u64,
    /// Parses a decimal with Rust's syntax, returning the bits.
    parse: fn(&str) -> Option<u64>,
}

/// The layout of `f32`.
const F32: FloatLayout = FloatLayout {
    name: "f32",
    sign_bit: 31,
    exponent: 0x7f80_0000,
    mantissa: 0x007f_ffff,
    canonical_nan: 0x0040_0000,
    parse: |s| s.parse::<f32>().ok().map(|f| u64::from(f.to_bits())),
};

/// The layout of `f64`.
const F64: FloatLayout = FloatLayout {
    name: "f64",
    sign_bit: 63,
    exponent: 0x7ff0_0000_0000_0000,
    mantissa: 0x000f_ffff_ffff_ffff,
    canonical_nan: 0x0008_0000_0000_0000,
    parse: |s| s.parse::<f64>().ok().map(f64::to_bits),
};

/// Parses a float of layout `f` and returns its bits.
fn parse_float(s: &str, f: &FloatLayout) -> Result<u64, ParseError> {
    let name = f.name;
    let invalid =
        || format!("cannot parse {s:?} as {name} (expected a decimal number, inf, -inf or nan)");
    let (negative, unsigned) = split_sign(s);
    let sign = u64::from(negative) << f.sign_bit;
    let lower = unsigned.to_ascii_lowercase();
    if lower == "nan" {
        return Ok(sign | f.exponent | f.canonical_nan);
    }
    if let Some(hex) = lower.strip_prefix("nan:0x") {
        let payload = u64::from_str_radix(hex, 16)
            .ok()
            .filter(|p| (1..=f.mantissa).contains(p) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| format!("{s:?} is not a valid {name} NaN payload"))?;
        return Ok(sign | f.exponent | payload);
    }
    // Rust's parser accepts the sign itself, and "NaN" (handled above).
    let bits = (f.parse)(s).ok_or_else(invalid)?;
    // Like the text format, reject a finite number too large for the type
    // rather than round it to infinity.
    if bits & !(1 << f.sign_bit) == f.exponent && !lower.starts_with("inf") {
        return Err(format!("{s:?} is out of range for {name}"));
    }
    Ok(bits)
}

/// Splits an optional leading `-` or `+` off `s`: (is it negative, rest).
fn split_sign(s: &str) -> (bool, &str) {
    if let Some(rest) = s.strip_prefix('-') {
        (true, rest)
    } else {
        (false, s.strip_prefix('+').unwrap_or(s))
    }
}

/// Prints a result: integers as signed decimal, floats as described in the
/// module documentation, references as `null` or their kind.
pub fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => {
            let f = f32::from_bits(*b);
            if f.is_nan() {
                show_nan(u64::from(*b), &F32)
            } else {
                f.to_string()
            }
        }
        Val::F64(b) => {
            let f = f64::from_bits(*b);
            if f.is_nan() {
                show_nan(*b, &F64)
            } else {
                f.to_string()
            }
        }
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(f) => null_or(f.is_some(), "funcref"),
        Val::ExternRef(e) => null_or(e.is_some(), "externref"),
        Val::AnyRef(a) => null_or(a.is_some(), "anyref"),
        Val::ExnRef(e) => null_or(e.is_some(), "exnref"),
    }
}

/// A NaN's bits in the text format's syntax: `nan`, `-nan`, `nan:0x1`.
fn show_nan(bits: u64, f: &FloatLayout) -> String {
    let sign = if bits >> f.sign_bit & 1 == 1 { "-" } else { "" };
    let payload = bits & f.mantissa;
    if payload == f.canonical_nan {
        format!("{sign}nan")
    } else {
        format!("{sign}nan:{payload:#x}")
    }
}

/// `kind` for a non-null reference, `null` for a null one.
fn null_or(non_null: bool, kind: &str) -> String {
    if non_null { kind } else { "null" }.to_string()
}

/// Unit tests of parsing and printing, value by value.
#[cfg(test)]
mod tests {
    use super::*;

    /// The bits of `s` parsed as `ty`, or the error.
    fn bits(ty: ValType, s: &str) -> Result<u64, ParseError> {
        parse_arg(ty, s).map(|v| match v {
            Val::I32(x) => u64::from(x as u32),
            Val::I64(x) => x as u64,
            Val::F32(b) => u64::from(b),
            Val::F64(b) => b,
            _ => unreachable!("not a number"),
        })
    }

    /// Integer parsing by width: ranges, hex, signs, and malformed input.
    #[test]
    fn integers_by_width() {
        assert_eq!(bits(ValType::I32, "4294967295"), Ok(0xffff_ffff));
        assert_eq!(bits(ValType::I32, "-2147483648"), Ok(0x8000_0000));
        assert_eq!(bits(ValType::I32, "-0x1"), Ok(0xffff_ffff));
        assert_eq!(bits(ValType::I32, "0XfF"), Ok(0xff));
        assert_eq!(bits(ValType::I32, "+7"), Ok(7));
        assert_eq!(bits(ValType::I64, "18446744073709551615"), Ok(u64::MAX));
        assert_eq!(bits(ValType::I64, "-9223372036854775808"), Ok(1 << 63));
        assert!(
            bits(ValType::I32, "4294967296")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            bits(ValType::I32, "-2147483649")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(bits(ValType::I64, "0x1_0000_0000_0000_0000").is_err());
        assert!(
            bits(ValType::I64, &"9".repeat(60))
                .unwrap_err()
                .contains("out of range")
        );
        for bad in [
            "", "-", "+", "0x", "0x+1", "--1", "+-1", "1.0", "١", "1 ", "0x-1",
        ] {
            assert!(bits(ValType::I32, bad).is_err(), "{bad:?} parsed");
        }
    }

    /// Printed floats (NaNs included) parse back to the same bits; bad floats are rejected.
    #[test]
    fn floats_round_trip() {
        for b in [
            0u32,
            0x8000_0000,
            1,
            0x7f80_0000,
            0xff80_0000,
            0x7fc0_0000,
            0xffc0_0000,
            0x7f80_0001,
            0x3dcc_cccd,
        ] {
            let shown = show(&Val::F32(b));
            assert_eq!(bits(ValType::F32, &shown), Ok(u64::from(b)), "{shown}");
        }
        for b in [
            0u64,
            1 << 63,
            1,
            0x7ff8_0000_0000_0000,
            0xfff0_0000_0000_0001,
            0x3fb9_9999_9999_999a,
        ] {
            let shown = show(&Val::F64(b));
            assert_eq!(bits(ValType::F64, &shown), Ok(b), "{shown}");
        }
        assert_eq!(bits(ValType::F32, "3.4028235e38"), Ok(0x7f7f_ffff));
        assert_eq!(bits(ValType::F32, "-Infinity"), Ok(0xff80_0000));
        assert_eq!(show(&Val::F32(0x7fc0_0000)), "nan");
        assert_eq!(show(&Val::F64(0xfff0_0000_0000_0001)), "-nan:0x1");
        for bad in [
            "",
            "nan:0x",
            "nan:0x0",
            "nan:0x800000",
            "nan:0x+1",
            "x",
            "1e",
            "1e39",
            "-1e39",
        ] {
            assert!(bits(ValType::F32, bad).is_err(), "{bad:?} parsed");
        }
    }
}
