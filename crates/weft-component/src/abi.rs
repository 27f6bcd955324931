//! The Canonical ABI's layout of component values: alignment, size and
//! flattening of every value type, and loading and storing values in a
//! guest's linear memory, with every check the specification makes (bounds,
//! alignment, `bool`/`char`/discriminant validity, string encodings).
//! Tuples, enums, options and results are laid out as the records and
//! variants they despecialize to.

use crate::values::{Type, Val};

/// A core value type in the flat (register) form of a component value.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Flat {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
}

/// At most this many flat parameters pass in registers; more spill to
/// memory.
pub const MAX_FLAT_PARAMS: usize = 16;
/// At most this many flat results return in registers.
pub const MAX_FLAT_RESULTS: usize = 1;

/// How a string is encoded in a guest's memory (`string-encoding=`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum StringEncoding {
    /// UTF-8; the length counts bytes.
    #[default]
    Utf8,
    /// UTF-16LE; the length counts code units.
    Utf16,
    /// Latin-1, or UTF-16 when the length's top bit is set.
    Latin1Utf16,
}

/// Why loading or storing a value trapped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbiError {
    /// An access past the end of memory.
    #[error("pointer out of bounds of memory")]
    OutOfBounds,
    /// A string's pointer and length reach past the end of memory.
    #[error("string pointer/length out of bounds of memory")]
    StringBounds,
    /// A list's pointer and length reach past the end of memory.
    #[error("list pointer/length out of bounds of memory")]
    ListBounds,
    /// A pointer not aligned as its type requires.
    #[error("unaligned pointer")]
    Unaligned,
    /// A `char` that is not a Unicode scalar value.
    #[error("invalid `char` bit pattern")]
    InvalidChar,
    /// A discriminant past the type's cases.
    #[error("invalid variant discriminant")]
    InvalidDiscriminant,
    /// String bytes that are not valid in their encoding (the decoder's
    /// message).
    #[error("{0}")]
    InvalidString(String),
    /// A value that is not of the type it is stored as.
    #[error("value does not match type {0}")]
    TypeMismatch(String),
    /// The guest's `realloc` returned a pointer not aligned as asked.
    #[error("realloc return: result not aligned")]
    ReallocUnaligned,
    /// The guest's `realloc` returned a block not inside its memory.
    #[error("realloc return: beyond end of memory")]
    ReallocBounds,
    /// A canonical option the value needs is missing (memory, realloc).
    #[error("canonical option missing: {0}")]
    Missing(&'static str),
    /// A handle operation failed.
    #[error(transparent)]
    Resource(#[from] crate::resources::ResourceError),
    /// The host passed a resource it may not (its fault, not the guest's).
    #[error("{0}")]
    Host(String),
    /// Anything else that stopped a lift or lower (a trap inside `realloc`).
    #[error("{0}")]
    Other(String),
}

impl AbiError {
    /// The message as a call between two components reports it (its
    /// copies check the bounds of the content, not of what a caller
    /// passed).
    pub fn between_components(&self) -> String {
        match self {
            AbiError::StringBounds => "string content out-of-bounds".into(),
            AbiError::ListBounds | AbiError::ReallocBounds => "list content out-of-bounds".into(),
            AbiError::ReallocUnaligned => "unaligned pointer".into(),
            other => other.to_string(),
        }
    }
}

/// The guest side of a lift or lower: its linear memory, its `realloc`,
/// its string encoding and its handle table.
pub trait AbiCx {
    /// The memory's bytes (again after each `realloc`, which may grow it).
    fn bytes(&mut self) -> &mut [u8];
    /// Calls the guest's `realloc` for `size` bytes aligned to `align`
    /// (checked by the caller).
    fn realloc(&mut self, align: u32, size: u32) -> Result<u32, AbiError>;
    /// How the guest encodes strings.
    fn encoding(&self) -> StringEncoding;
    /// Lifts handle `handle` of type `ty` (`own` or `borrow`) out of the
    /// guest's table.
    fn lift_handle(&mut self, ty: &Type, handle: u32) -> Result<Val, AbiError>;
    /// Lowers a resource value into the guest's table as type `ty`.
    fn lower_handle(&mut self, ty: &Type, val: &Val) -> Result<u32, AbiError>;
}

/// A fresh block of `size` bytes from the guest's `realloc`, checked to be
/// aligned and inside memory.
fn allocate(cx: &mut dyn AbiCx, align: u32, size: u32) -> Result<u32, AbiError> {
    let p = cx.realloc(align, size)?;
    if !p.is_multiple_of(align) {
        return Err(AbiError::ReallocUnaligned);
    }
    span(cx.bytes(), p, size).map_err(|_| AbiError::ReallocBounds)?;
    Ok(p)
}

/// The cases of a variant-like type (variant, enum, option, result), each
/// with its payload type.
pub(crate) fn cases(ty: &Type) -> Option<Vec<Option<&Type>>> {
    Some(match ty {
        Type::Variant(cs) => cs.iter().map(|(_, t)| t.as_ref()).collect(),
        Type::Enum(names) => vec![None; names.len()],
        Type::Option(t) => vec![None, Some(&**t)],
        Type::Result { ok, err } => vec![ok.as_deref(), err.as_deref()],
        _ => return None,
    })
}

/// Which case of variant-like type `ty` the value `val` is, and its
/// payload; `None` if `val` is not of `ty`.
pub(crate) fn case_of<'v>(ty: &Type, val: &'v Val) -> Option<(usize, Option<&'v Val>)> {
    Some(match (ty, val) {
        (Type::Variant(named), Val::Variant(name, p)) => {
            (named.iter().position(|(n, _)| n == name)?, p.as_deref())
        }
        (Type::Enum(names), Val::Enum(name)) => (names.iter().position(|n| n == name)?, None),
        (Type::Option(_), Val::Option(p)) => (usize::from(p.is_some()), p.as_deref()),
        (Type::Result { .. }, Val::Result(Ok(p))) => (0, p.as_deref()),
        (Type::Result { .. }, Val::Result(Err(p))) => (1, p.as_deref()),
        _ => return None,
    })
}

/// The value of case `case` of variant-like type `ty` with `payload`.
pub(crate) fn val_of_case(ty: &Type, case: usize, payload: Option<Box<Val>>) -> Val {
    match ty {
        Type::Variant(named) => Val::Variant(named[case].0.clone(), payload),
        Type::Enum(names) => Val::Enum(names[case].clone()),
        Type::Option(_) => Val::Option(payload),
        _ if case == 0 => Val::Result(Ok(payload)),
        _ => Val::Result(Err(payload)),
    }
}

/// The 32-bit words holding the flags `set` of `names` (bit `i` of word
/// `i / 32` for name `i`); `None` if a flag is not among `names`.
pub(crate) fn flag_words(names: &[String], set: &[String]) -> Option<Vec<u32>> {
    let mut words = vec![0u32; names.len().div_ceil(32)];
    for flag in set {
        let i = names.iter().position(|n| n == flag)?;
        words[i / 32] |= 1 << (i % 32);
    }
    Some(words)
}

/// The names of `names` whose bits are set in `words`.
pub(crate) fn flags_of_words(names: &[String], words: &[u32]) -> Vec<String> {
    names
        .iter()
        .enumerate()
        .filter(|(i, _)| words.get(i / 32).is_some_and(|w| w >> (i % 32) & 1 == 1))
        .map(|(_, n)| n.clone())
        .collect()
}

/// The type of a map's entries in memory: `tuple<K, V>`.
pub(crate) fn map_entry(k: &Type, v: &Type) -> Type {
    Type::Tuple(vec![k.clone(), v.clone()])
}

/// A map's entries as the tuples they are stored as.
pub(crate) fn entries_of(pairs: &[(Val, Val)]) -> Vec<Val> {
    pairs
        .iter()
        .map(|(k, v)| Val::Tuple(vec![k.clone(), v.clone()]))
        .collect()
}

/// The map whose entries were loaded as `tuples`.
pub(crate) fn map_of(tuples: Vec<Val>) -> Val {
    Val::Map(
        tuples
            .into_iter()
            .filter_map(|t| match t {
                Val::Tuple(mut kv) if kv.len() == 2 => {
                    let v = kv.pop()?;
                    Some((kv.pop()?, v))
                }
                _ => None,
            })
            .collect(),
    )
}

/// The fields of a record-like type (record, tuple).
pub(crate) fn fields(ty: &Type) -> Option<Vec<&Type>> {
    Some(match ty {
        Type::Record(fs) => fs.iter().map(|(_, t)| t).collect(),
        Type::Tuple(ts) => ts.iter().collect(),
        _ => return None,
    })
}

/// The size in bytes of a discriminant for `n` cases.
fn discriminant_size(n: usize) -> u32 {
    match n {
        0..=0x100 => 1,
        0x101..=0x1_0000 => 2,
        _ => 4,
    }
}

/// The bytes `n` flags take.
fn flags_size(n: usize) -> u32 {
    match n {
        0 => 0,
        1..=8 => 1,
        9..=16 => 2,
        _ => 4 * n.div_ceil(32) as u32,
    }
}

fn align_to(offset: u32, align: u32) -> u32 {
    offset.next_multiple_of(align)
}

/// The alignment of `ty` in memory.
pub fn alignment(ty: &Type) -> u32 {
    match ty {
        Type::Bool | Type::S8 | Type::U8 => 1,
        Type::S16 | Type::U16 => 2,
        Type::S32 | Type::U32 | Type::Float32 | Type::Char => 4,
        Type::S64 | Type::U64 | Type::Float64 => 8,
        Type::String | Type::List(_) | Type::Map(..) | Type::Own(_) | Type::Borrow(_) => 4,
        Type::Flags(names) => flags_size(names.len()).clamp(1, 4),
        _ => {
            if let Some(fs) = fields(ty) {
                return fs.into_iter().map(alignment).max().unwrap_or(1);
            }
            let cs = cases(ty).expect("every other type is variant-like");
            let payload = cs.iter().flatten().map(|t| alignment(t)).max().unwrap_or(1);
            discriminant_size(cs.len()).max(payload)
        }
    }
}

/// The size of `ty` in memory.
pub fn size(ty: &Type) -> u32 {
    match ty {
        Type::Bool | Type::S8 | Type::U8 => 1,
        Type::S16 | Type::U16 => 2,
        Type::S32 | Type::U32 | Type::Float32 | Type::Char => 4,
        Type::S64 | Type::U64 | Type::Float64 => 8,
        Type::String | Type::List(_) | Type::Map(..) => 8,
        Type::Own(_) | Type::Borrow(_) => 4,
        Type::Flags(names) => flags_size(names.len()),
        _ => {
            let end = if let Some(fs) = fields(ty) {
                fs.into_iter()
                    .fold(0, |at, f| align_to(at, alignment(f)) + size(f))
            } else {
                variant_payload_offset(ty)
                    + cases(ty)
                        .unwrap()
                        .iter()
                        .flatten()
                        .map(|t| size(t))
                        .max()
                        .unwrap_or(0)
            };
            align_to(end, alignment(ty))
        }
    }
}

/// Where a variant-like value's payload starts: after the discriminant,
/// aligned for the widest payload.
fn variant_payload_offset(ty: &Type) -> u32 {
    let cs = cases(ty).expect("a variant-like type");
    let payload = cs.iter().flatten().map(|t| alignment(t)).max().unwrap_or(1);
    align_to(discriminant_size(cs.len()), payload)
}

/// Appends the flat core types of `ty` to `out`.
pub fn flatten(ty: &Type, out: &mut Vec<Flat>) {
    match ty {
        Type::Bool | Type::S8 | Type::U8 | Type::S16 | Type::U16 | Type::S32 | Type::U32 => {
            out.push(Flat::I32)
        }
        Type::Char | Type::Own(_) | Type::Borrow(_) => out.push(Flat::I32),
        Type::S64 | Type::U64 => out.push(Flat::I64),
        Type::Float32 => out.push(Flat::F32),
        Type::Float64 => out.push(Flat::F64),
        Type::String | Type::List(_) | Type::Map(..) => out.extend([Flat::I32, Flat::I32]),
        Type::Flags(names) => out.extend(std::iter::repeat_n(Flat::I32, names.len().div_ceil(32))),
        _ => {
            if let Some(fs) = fields(ty) {
                fs.into_iter().for_each(|f| flatten(f, out));
                return;
            }
            // The discriminant, then each position joined over the cases.
            let mut joined: Vec<Flat> = Vec::new();
            for payload in cases(ty).unwrap().into_iter().flatten() {
                let mut flat = Vec::new();
                flatten(payload, &mut flat);
                for (i, f) in flat.into_iter().enumerate() {
                    match joined.get_mut(i) {
                        Some(j) => *j = join(*j, f),
                        None => joined.push(f),
                    }
                }
            }
            out.push(Flat::I32);
            out.extend(joined);
        }
    }
}

/// The one flat type that can carry either of `a` and `b`.
pub(crate) fn join(a: Flat, b: Flat) -> Flat {
    match (a, b) {
        _ if a == b => a,
        (Flat::I32, Flat::F32) | (Flat::F32, Flat::I32) => Flat::I32,
        _ => Flat::I64,
    }
}

/// The bytes `[at, at + n)` of `mem`, checked.
fn span(mem: &[u8], at: u32, n: u32) -> Result<&[u8], AbiError> {
    let start = at as usize;
    mem.get(start..start.checked_add(n as usize).ok_or(AbiError::OutOfBounds)?)
        .ok_or(AbiError::OutOfBounds)
}

fn le(mem: &[u8], at: u32, n: u32) -> Result<u64, AbiError> {
    let b = span(mem, at, n)?;
    Ok(b.iter().rev().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
}

/// A NaN of any payload becomes the canonical one.
pub(crate) fn canonical32(v: f32) -> f32 {
    if v.is_nan() {
        f32::from_bits(0x7fc0_0000)
    } else {
        v
    }
}

pub(crate) fn canonical64(v: f64) -> f64 {
    if v.is_nan() {
        f64::from_bits(0x7ff8_0000_0000_0000)
    } else {
        v
    }
}

fn read(cx: &mut dyn AbiCx, at: u32, n: u32) -> Result<u64, AbiError> {
    le(cx.bytes(), at, n)
}

/// Loads a value of type `ty` from the guest's memory at `ptr`, which must
/// be aligned for it and in bounds.
pub fn load(cx: &mut dyn AbiCx, ptr: u32, ty: &Type) -> Result<Val, AbiError> {
    if !ptr.is_multiple_of(alignment(ty)) {
        return Err(AbiError::Unaligned);
    }
    span(cx.bytes(), ptr, size(ty))?;
    Ok(match ty {
        Type::Bool => Val::Bool(read(cx, ptr, 1)? != 0),
        Type::S8 => Val::S8(read(cx, ptr, 1)? as i8),
        Type::U8 => Val::U8(read(cx, ptr, 1)? as u8),
        Type::S16 => Val::S16(read(cx, ptr, 2)? as i16),
        Type::U16 => Val::U16(read(cx, ptr, 2)? as u16),
        Type::S32 => Val::S32(read(cx, ptr, 4)? as i32),
        Type::U32 => Val::U32(read(cx, ptr, 4)? as u32),
        Type::S64 => Val::S64(read(cx, ptr, 8)? as i64),
        Type::U64 => Val::U64(read(cx, ptr, 8)?),
        Type::Float32 => Val::Float32(canonical32(f32::from_bits(read(cx, ptr, 4)? as u32))),
        Type::Float64 => Val::Float64(canonical64(f64::from_bits(read(cx, ptr, 8)?))),
        Type::Char => {
            Val::Char(char::from_u32(read(cx, ptr, 4)? as u32).ok_or(AbiError::InvalidChar)?)
        }
        Type::String => {
            let (p, n) = (read(cx, ptr, 4)? as u32, read(cx, ptr + 4, 4)? as u32);
            Val::String(load_string(cx, p, n)?)
        }
        Type::List(elem) => {
            let (p, n) = (read(cx, ptr, 4)? as u32, read(cx, ptr + 4, 4)? as u32);
            Val::List(load_list(cx, p, n, elem)?)
        }
        Type::Map(k, v) => {
            let (p, n) = (read(cx, ptr, 4)? as u32, read(cx, ptr + 4, 4)? as u32);
            map_of(load_list(cx, p, n, &map_entry(k, v))?)
        }
        Type::Own(_) | Type::Borrow(_) => {
            let handle = read(cx, ptr, 4)? as u32;
            cx.lift_handle(ty, handle)?
        }
        Type::Flags(names) => {
            let words: Vec<u32> = if names.len() <= 16 {
                vec![read(cx, ptr, flags_size(names.len()))? as u32]
            } else {
                (0..names.len().div_ceil(32) as u32)
                    .map(|i| read(cx, ptr + 4 * i, 4).map(|w| w as u32))
                    .collect::<Result<_, _>>()?
            };
            Val::Flags(flags_of_words(names, &words))
        }
        _ => {
            if let Some(fs) = fields(ty) {
                let mut at = ptr;
                let mut vals = Vec::with_capacity(fs.len());
                for f in fs {
                    at = align_to(at, alignment(f));
                    vals.push(load(cx, at, f)?);
                    at += size(f);
                }
                return Ok(match ty {
                    Type::Record(named) => {
                        Val::Record(named.iter().map(|(n, _)| n.clone()).zip(vals).collect())
                    }
                    _ => Val::Tuple(vals),
                });
            }
            let cs = cases(ty).expect("every other type is variant-like");
            let case = read(cx, ptr, discriminant_size(cs.len()))? as usize;
            let payload_ty = *cs.get(case).ok_or(AbiError::InvalidDiscriminant)?;
            let payload = payload_ty
                .map(|t| load(cx, ptr + variant_payload_offset(ty), t).map(Box::new))
                .transpose()?;
            val_of_case(ty, case, payload)
        }
    })
}

/// The string of `n` units at `p`, checked in the guest's encoding.
pub(crate) fn load_string(cx: &mut dyn AbiCx, p: u32, n: u32) -> Result<String, AbiError> {
    let enc = cx.encoding();
    // UTF-16 and Latin-1+UTF-16 strings are 2-aligned, whichever form.
    if enc != StringEncoding::Utf8 && !p.is_multiple_of(2) {
        return Err(AbiError::Unaligned);
    }
    let mem = cx.bytes();
    let utf16 = |p: u32, units: u32| -> Result<String, AbiError> {
        let len = units.checked_mul(2).ok_or(AbiError::StringBounds)?;
        let bytes = span(mem, p, len).map_err(|_| AbiError::StringBounds)?;
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).map_err(|e| AbiError::InvalidString(e.to_string()))
    };
    match enc {
        StringEncoding::Utf8 => {
            let bytes = span(mem, p, n).map_err(|_| AbiError::StringBounds)?;
            std::str::from_utf8(bytes)
                .map(str::to_string)
                .map_err(|e| AbiError::InvalidString(e.to_string()))
        }
        StringEncoding::Utf16 => utf16(p, n),
        StringEncoding::Latin1Utf16 if n & (1 << 31) != 0 => utf16(p, n & !(1 << 31)),
        StringEncoding::Latin1Utf16 => Ok(span(mem, p, n)
            .map_err(|_| AbiError::StringBounds)?
            .iter()
            .map(|&b| char::from(b))
            .collect()),
    }
}

fn put(cx: &mut dyn AbiCx, at: u32, n: u32, v: u64) -> Result<(), AbiError> {
    let start = at as usize;
    let b = cx
        .bytes()
        .get_mut(start..start + n as usize)
        .ok_or(AbiError::OutOfBounds)?;
    b.copy_from_slice(&v.to_le_bytes()[..n as usize]);
    Ok(())
}

/// Stores `val` of type `ty` at `ptr` of the guest's memory (aligned and
/// in bounds), allocating room for strings and lists with its `realloc`.
pub fn store(cx: &mut dyn AbiCx, ptr: u32, val: &Val, ty: &Type) -> Result<(), AbiError> {
    if !ptr.is_multiple_of(alignment(ty)) {
        return Err(AbiError::Unaligned);
    }
    span(cx.bytes(), ptr, size(ty))?;
    let mismatch = || AbiError::TypeMismatch(format!("{ty:?}"));
    match (ty, val) {
        (Type::Bool, Val::Bool(v)) => put(cx, ptr, 1, u64::from(*v)),
        (Type::S8, Val::S8(v)) => put(cx, ptr, 1, *v as u64),
        (Type::U8, Val::U8(v)) => put(cx, ptr, 1, u64::from(*v)),
        (Type::S16, Val::S16(v)) => put(cx, ptr, 2, *v as u64),
        (Type::U16, Val::U16(v)) => put(cx, ptr, 2, u64::from(*v)),
        (Type::S32, Val::S32(v)) => put(cx, ptr, 4, *v as u64),
        (Type::U32, Val::U32(v)) => put(cx, ptr, 4, u64::from(*v)),
        (Type::S64, Val::S64(v)) => put(cx, ptr, 8, *v as u64),
        (Type::U64, Val::U64(v)) => put(cx, ptr, 8, *v),
        (Type::Float32, Val::Float32(v)) => put(cx, ptr, 4, u64::from(canonical32(*v).to_bits())),
        (Type::Float64, Val::Float64(v)) => put(cx, ptr, 8, canonical64(*v).to_bits()),
        (Type::Char, Val::Char(c)) => put(cx, ptr, 4, u64::from(u32::from(*c))),
        (Type::String, Val::String(s)) => {
            let (p, n) = store_string(cx, s)?;
            put(cx, ptr, 4, u64::from(p))?;
            put(cx, ptr + 4, 4, u64::from(n))
        }
        (Type::List(elem), Val::List(items)) => {
            let (p, n) = store_list(cx, items, elem)?;
            put(cx, ptr, 4, u64::from(p))?;
            put(cx, ptr + 4, 4, u64::from(n))
        }
        (Type::Map(k, v), Val::Map(pairs)) => {
            let (p, n) = store_list(cx, &entries_of(pairs), &map_entry(k, v))?;
            put(cx, ptr, 4, u64::from(p))?;
            put(cx, ptr + 4, 4, u64::from(n))
        }
        (Type::Own(_) | Type::Borrow(_), Val::Resource(_)) => {
            let handle = cx.lower_handle(ty, val)?;
            put(cx, ptr, 4, u64::from(handle))
        }
        (Type::Flags(names), Val::Flags(set)) => {
            let words = flag_words(names, set).ok_or_else(mismatch)?;
            if names.len() <= 16 {
                put(
                    cx,
                    ptr,
                    flags_size(names.len()),
                    u64::from(words.first().copied().unwrap_or(0)),
                )
            } else {
                words
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, w)| put(cx, ptr + 4 * i as u32, 4, u64::from(*w)))
            }
        }
        (Type::Record(fs), Val::Record(vs)) if fs.len() == vs.len() => store_fields(
            cx,
            ptr,
            fs.iter().map(|(_, t)| t),
            vs.iter().map(|(_, v)| v),
        ),
        (Type::Tuple(ts), Val::Tuple(vs)) if ts.len() == vs.len() => {
            store_fields(cx, ptr, ts.iter(), vs.iter())
        }
        _ => {
            let cs = cases(ty).ok_or_else(mismatch)?;
            let (case, payload) = case_of(ty, val).ok_or_else(mismatch)?;
            put(cx, ptr, discriminant_size(cs.len()), case as u64)?;
            match (cs[case], payload) {
                (Some(t), Some(v)) => store(cx, ptr + variant_payload_offset(ty), v, t),
                (None, None) => Ok(()),
                _ => Err(mismatch()),
            }
        }
    }
}

/// Copies `s` into a new allocation in the guest's encoding; its pointer
/// and length (in the encoding's units, with Latin-1+UTF-16's tag bit).
pub(crate) fn store_string(cx: &mut dyn AbiCx, s: &str) -> Result<(u32, u32), AbiError> {
    let too_long = || AbiError::StringBounds;
    let (bytes, align, units) = match cx.encoding() {
        StringEncoding::Utf8 => (s.as_bytes().to_vec(), 1, s.len()),
        StringEncoding::Latin1Utf16 if s.chars().all(|c| u32::from(c) < 0x100) => {
            let latin1: Vec<u8> = s.chars().map(|c| u32::from(c) as u8).collect();
            let n = latin1.len();
            (latin1, 2, n)
        }
        enc => {
            let units: Vec<u16> = s.encode_utf16().collect();
            let n = units.len();
            let bytes = units.iter().flat_map(|u| u.to_le_bytes()).collect();
            let tag = if enc == StringEncoding::Latin1Utf16 {
                1 << 31
            } else {
                0
            };
            if n >= 1 << 31 {
                return Err(too_long());
            }
            (bytes, 2, n | tag)
        }
    };
    let size = u32::try_from(bytes.len()).map_err(|_| too_long())?;
    let units = u32::try_from(units).map_err(|_| too_long())?;
    let p = allocate(cx, align, size)?;
    let start = p as usize;
    cx.bytes()[start..start + bytes.len()].copy_from_slice(&bytes);
    Ok((p, units))
}

/// Stores `items` of type `elem` in a new allocation; its pointer and
/// length.
pub(crate) fn store_list(
    cx: &mut dyn AbiCx,
    items: &[Val],
    elem: &Type,
) -> Result<(u32, u32), AbiError> {
    let n = u32::try_from(items.len()).map_err(|_| AbiError::ListBounds)?;
    let bytes = size(elem).checked_mul(n).ok_or(AbiError::ListBounds)?;
    let p = allocate(cx, alignment(elem), bytes)?;
    for (i, item) in items.iter().enumerate() {
        store(cx, p + i as u32 * size(elem), item, elem)?;
    }
    Ok((p, n))
}

/// Loads a list of `n` elements of type `elem` at `p`.
pub(crate) fn load_list(
    cx: &mut dyn AbiCx,
    p: u32,
    n: u32,
    elem: &Type,
) -> Result<Vec<Val>, AbiError> {
    let step = size(elem);
    if !p.is_multiple_of(alignment(elem)) {
        return Err(AbiError::Unaligned);
    }
    let len = step.checked_mul(n).ok_or(AbiError::ListBounds)?;
    span(cx.bytes(), p, len).map_err(|_| AbiError::ListBounds)?;
    (0..n).map(|i| load(cx, p + i * step, elem)).collect()
}

fn store_fields<'a>(
    cx: &mut dyn AbiCx,
    ptr: u32,
    tys: impl Iterator<Item = &'a Type>,
    vals: impl Iterator<Item = &'a Val>,
) -> Result<(), AbiError> {
    let mut at = ptr;
    for (t, v) in tys.zip(vals) {
        at = align_to(at, alignment(t));
        store(cx, at, v, t)?;
        at += size(t);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A guest memory whose `realloc` bumps from the end of what is used,
    /// with no handle table.
    pub(crate) struct Bump {
        pub bytes: Vec<u8>,
        pub next: u32,
        pub enc: StringEncoding,
        /// What `realloc` returns instead, if set.
        pub fixed: Option<u32>,
    }

    impl Bump {
        pub(crate) fn new(bytes: Vec<u8>, next: u32) -> Bump {
            Bump {
                bytes,
                next,
                enc: StringEncoding::Utf8,
                fixed: None,
            }
        }
    }

    impl AbiCx for Bump {
        fn bytes(&mut self) -> &mut [u8] {
            &mut self.bytes
        }
        fn realloc(&mut self, align: u32, size: u32) -> Result<u32, AbiError> {
            if let Some(p) = self.fixed {
                return Ok(p);
            }
            let at = self.next.next_multiple_of(align.max(1));
            self.next = at + size;
            Ok(at)
        }
        fn encoding(&self) -> StringEncoding {
            self.enc
        }
        fn lift_handle(&mut self, _: &Type, _: u32) -> Result<Val, AbiError> {
            Err(AbiError::Missing("handle table"))
        }
        fn lower_handle(&mut self, _: &Type, _: &Val) -> Result<u32, AbiError> {
            Err(AbiError::Missing("handle table"))
        }
    }

    fn result(ok: Option<Type>, err: Option<Type>) -> Type {
        Type::Result {
            ok: ok.map(Box::new),
            err: err.map(Box::new),
        }
    }

    #[test]
    fn layouts_follow_the_canonical_abi() {
        let rec = Type::Record(vec![
            ("a".into(), Type::U8),
            ("b".into(), Type::U64),
            ("c".into(), Type::U16),
        ]);
        assert_eq!((alignment(&rec), size(&rec)), (8, 24));
        let opt = Type::Option(Box::new(Type::U32));
        assert_eq!((alignment(&opt), size(&opt)), (4, 8));
        let r = result(Some(Type::String), Some(Type::U8));
        assert_eq!((alignment(&r), size(&r)), (4, 12));
        let big_enum = Type::Enum((0..300).map(|i| format!("e{i}")).collect());
        assert_eq!(
            (alignment(&big_enum), size(&big_enum)),
            (2, 2),
            "a 16-bit discriminant"
        );
        let flags = |n: usize| Type::Flags((0..n).map(|i| format!("f{i}")).collect());
        assert_eq!(
            [
                size(&flags(3)),
                size(&flags(9)),
                size(&flags(17)),
                size(&flags(33))
            ],
            [1, 2, 4, 8]
        );
        let mut flat = Vec::new();
        flatten(
            &Type::Variant(vec![
                ("i".into(), Some(Type::S32)),
                ("f".into(), Some(Type::Float32)),
                ("l".into(), Some(Type::U64)),
            ]),
            &mut flat,
        );
        assert_eq!(
            flat,
            [Flat::I32, Flat::I64],
            "i32, f32 and i64 payloads join to i64"
        );
        flat.clear();
        flatten(&result(Some(Type::Float32), Some(Type::S32)), &mut flat);
        assert_eq!(flat, [Flat::I32, Flat::I32], "f32 and i32 join to i32");
    }

    #[test]
    fn every_type_round_trips_through_memory() {
        let ty = Type::Record(vec![
            ("b".into(), Type::Bool),
            ("s".into(), Type::String),
            (
                "l".into(),
                Type::List(Box::new(Type::Tuple(vec![Type::S16, Type::Char]))),
            ),
            (
                "v".into(),
                Type::Variant(vec![("x".into(), None), ("y".into(), Some(Type::Float64))]),
            ),
            ("e".into(), Type::Enum(vec!["p".into(), "q".into()])),
            ("o".into(), Type::Option(Box::new(Type::S64))),
            ("r".into(), result(None, Some(Type::U32))),
            (
                "f".into(),
                Type::Flags((0..40).map(|i| format!("f{i}")).collect()),
            ),
        ]);
        let val = Val::Record(vec![
            ("b".into(), Val::Bool(true)),
            ("s".into(), Val::String("héllo".into())),
            (
                "l".into(),
                Val::List(vec![Val::Tuple(vec![Val::S16(-2), Val::Char('λ')])]),
            ),
            (
                "v".into(),
                Val::Variant("y".into(), Some(Box::new(Val::Float64(1.5)))),
            ),
            ("e".into(), Val::Enum("q".into())),
            ("o".into(), Val::Option(Some(Box::new(Val::S64(-7))))),
            ("r".into(), Val::Result(Err(Some(Box::new(Val::U32(9)))))),
            ("f".into(), Val::Flags(vec!["f1".into(), "f35".into()])),
        ]);
        for enc in [
            StringEncoding::Utf8,
            StringEncoding::Utf16,
            StringEncoding::Latin1Utf16,
        ] {
            let mut m = Bump::new(vec![0; 1024], 512);
            m.enc = enc;
            store(&mut m, 8, &val, &ty).unwrap();
            assert_eq!(load(&mut m, 8, &ty).unwrap(), val, "{enc:?}");
        }
    }

    #[test]
    fn bad_bytes_trap_with_their_cause() {
        let mut m = Bump::new(vec![0u8; 64], 0);
        assert_eq!(load(&mut m, 2, &Type::U32), Err(AbiError::Unaligned));
        assert_eq!(load(&mut m, 64, &Type::U8), Err(AbiError::OutOfBounds));
        m.bytes[..4].copy_from_slice(&0xd800u32.to_le_bytes());
        assert_eq!(load(&mut m, 0, &Type::Char), Err(AbiError::InvalidChar));
        m.bytes[..4].copy_from_slice(&2u32.to_le_bytes());
        let opt = Type::Option(Box::new(Type::U8));
        assert_eq!(load(&mut m, 0, &opt), Err(AbiError::InvalidDiscriminant));
        m.bytes[8] = 0xff;
        m.bytes[..8].copy_from_slice(&[8, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(
            load(&mut m, 0, &Type::String).unwrap_err().to_string(),
            "invalid utf-8 sequence of 1 bytes from index 0"
        );
        // Latin-1 reads every byte; with the top bit of the length set, UTF-16.
        m.enc = StringEncoding::Latin1Utf16;
        assert_eq!(load(&mut m, 0, &Type::String), Ok(Val::String("ÿ".into())));
        m.bytes[..8].copy_from_slice(&[8, 0, 0, 0, 1, 0, 0, 0x80]);
        m.bytes[8..10].copy_from_slice(&0x263au16.to_le_bytes());
        assert_eq!(load(&mut m, 0, &Type::String), Ok(Val::String("☺".into())));
        m.enc = StringEncoding::Utf8;
        m.bytes[..8].copy_from_slice(&[8, 0, 0, 0, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(
            load(&mut m, 0, &Type::List(Box::new(Type::U64))),
            Err(AbiError::ListBounds)
        );
        m.bytes[..8].copy_from_slice(&[0xf0, 0xff, 0, 0, 0x20, 0, 0, 0]);
        assert_eq!(load(&mut m, 0, &Type::String), Err(AbiError::StringBounds));
        m.bytes[..4].copy_from_slice(&0x7fa0_0001u32.to_le_bytes());
        assert_eq!(
            load(&mut m, 0, &Type::Float32)
                .map(|v| matches!(v, Val::Float32(f) if f.to_bits() == 0x7fc0_0000)),
            Ok(true)
        );
    }

    #[test]
    fn a_bad_realloc_result_is_refused() {
        let mut m = Bump::new(vec![0u8; 64], 0);
        let list = Val::List(vec![Val::U32(1)]);
        let ty = Type::List(Box::new(Type::U32));
        m.fixed = Some(64);
        assert_eq!(store(&mut m, 0, &list, &ty), Err(AbiError::ReallocBounds));
        m.fixed = Some(2);
        assert_eq!(
            store(&mut m, 0, &list, &ty),
            Err(AbiError::ReallocUnaligned)
        );
    }
}
