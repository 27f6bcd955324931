//! WAVE, the WebAssembly Value Encoding (crate `wasm-wave`), for component
//! values: `weft run --invoke 'f(ARGS)'` parses a component function's
//! arguments and prints its result in it.
//!
//! wasm-wave reads and writes values through its `WasmType` and
//! `WasmValue` traits. [`WaveType`] and [`WaveVal`] implement them over
//! weft-component's [`Type`] and [`Val`]: wrappers, because the orphan rule
//! forbids implementing another crate's traits on another crate's types.
//!
//! Resources (`own<R>`, `borrow<R>`) have no WAVE form: they are
//! `WasmTypeKind::Unsupported`, which wasm-wave refuses in both directions.
//! [`has_resource`] lets the caller refuse them up front, with a clearer
//! message.

use std::borrow::Cow;
use wasm_wave::wasm::{WasmType, WasmTypeKind, WasmValue, WasmValueError};
use weft_component::{Type, Val};

/// A component type as wasm-wave sees it.
#[derive(Clone, Debug)]
pub struct WaveType(pub Type);

/// A component value as wasm-wave sees it.
#[derive(Clone, Debug)]
pub struct WaveVal(pub Val);

/// Whether `ty` is, or holds, a resource handle (which WAVE cannot write).
pub fn has_resource(ty: &Type) -> bool {
    match ty {
        Type::Own(_) | Type::Borrow(_) => true,
        Type::List(t) | Type::Option(t) => has_resource(t),
        Type::Map(k, v) => has_resource(k) || has_resource(v),
        Type::Record(fields) => fields.iter().any(|(_, t)| has_resource(t)),
        Type::Tuple(ts) => ts.iter().any(has_resource),
        Type::Variant(cases) => cases
            .iter()
            .filter_map(|(_, t)| t.as_ref())
            .any(has_resource),
        Type::Result { ok, err } => ok.iter().chain(err).any(|t| has_resource(t)),
        _ => false,
    }
}

/// `ty` in WIT's syntax, for messages. wasm-wave's own `DisplayType` would
/// print resources as `<<UNSUPPORTED>>`; resource types carry no name, so
/// they are `own<resource>` and `borrow<resource>` here.
pub fn type_name(ty: &Type) -> String {
    let list = |ts: &mut dyn Iterator<Item = String>| ts.collect::<Vec<_>>().join(", ");
    match ty {
        Type::Bool => "bool".into(),
        Type::S8 => "s8".into(),
        Type::U8 => "u8".into(),
        Type::S16 => "s16".into(),
        Type::U16 => "u16".into(),
        Type::S32 => "s32".into(),
        Type::U32 => "u32".into(),
        Type::S64 => "s64".into(),
        Type::U64 => "u64".into(),
        Type::Float32 => "f32".into(),
        Type::Float64 => "f64".into(),
        Type::Char => "char".into(),
        Type::String => "string".into(),
        Type::List(t) => format!("list<{}>", type_name(t)),
        Type::Record(fields) => format!(
            "record {{ {} }}",
            list(&mut fields.iter().map(|(n, t)| format!("{n}: {}", type_name(t))))
        ),
        Type::Tuple(ts) => format!("tuple<{}>", list(&mut ts.iter().map(type_name))),
        Type::Variant(cases) => format!(
            "variant {{ {} }}",
            list(&mut cases.iter().map(|(n, t)| match t {
                Some(t) => format!("{n}({})", type_name(t)),
                None => n.clone(),
            }))
        ),
        Type::Enum(cases) => format!("enum {{ {} }}", cases.join(", ")),
        Type::Option(t) => format!("option<{}>", type_name(t)),
        Type::Result { ok, err } => match (ok, err) {
            (None, None) => "result".into(),
            (Some(ok), None) => format!("result<{}>", type_name(ok)),
            (None, Some(err)) => format!("result<_, {}>", type_name(err)),
            (Some(ok), Some(err)) => format!("result<{}, {}>", type_name(ok), type_name(err)),
        },
        Type::Flags(names) => format!("flags {{ {} }}", names.join(", ")),
        Type::Map(k, v) => format!("map<{}, {}>", type_name(k), type_name(v)),
        Type::Own(_) => "own<resource>".into(),
        Type::Borrow(_) => "borrow<resource>".into(),
    }
}

/// A boxed iterator, as wasm-wave's traits return them.
type Iter<'a, T> = Box<dyn Iterator<Item = T> + 'a>;

/// The error for a value made for a type of another kind. wasm-wave only
/// makes values by their types, so this is a bug if it ever shows.
fn wrong_kind(ty: &WaveType, kind: WasmTypeKind) -> WasmValueError {
    WasmValueError::WrongTypeKind {
        kind,
        ty: type_name(&ty.0),
    }
}

impl WasmType for WaveType {
    fn kind(&self) -> WasmTypeKind {
        match &self.0 {
            Type::Bool => WasmTypeKind::Bool,
            Type::S8 => WasmTypeKind::S8,
            Type::U8 => WasmTypeKind::U8,
            Type::S16 => WasmTypeKind::S16,
            Type::U16 => WasmTypeKind::U16,
            Type::S32 => WasmTypeKind::S32,
            Type::U32 => WasmTypeKind::U32,
            Type::S64 => WasmTypeKind::S64,
            Type::U64 => WasmTypeKind::U64,
            Type::Float32 => WasmTypeKind::F32,
            Type::Float64 => WasmTypeKind::F64,
            Type::Char => WasmTypeKind::Char,
            Type::String => WasmTypeKind::String,
            Type::List(_) => WasmTypeKind::List,
            Type::Record(_) => WasmTypeKind::Record,
            Type::Tuple(_) => WasmTypeKind::Tuple,
            Type::Variant(_) => WasmTypeKind::Variant,
            Type::Enum(_) => WasmTypeKind::Enum,
            Type::Option(_) => WasmTypeKind::Option,
            Type::Result { .. } => WasmTypeKind::Result,
            Type::Flags(_) => WasmTypeKind::Flags,
            Type::Map(..) => WasmTypeKind::Map,
            Type::Own(_) | Type::Borrow(_) => WasmTypeKind::Unsupported,
        }
    }

    fn list_element_type(&self) -> Option<Self> {
        match &self.0 {
            Type::List(t) => Some(WaveType((**t).clone())),
            _ => None,
        }
    }

    fn record_fields(&self) -> Iter<'_, (Cow<'_, str>, Self)> {
        match &self.0 {
            Type::Record(fields) => Box::new(
                fields
                    .iter()
                    .map(|(n, t)| (Cow::Borrowed(n.as_str()), WaveType(t.clone()))),
            ),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn tuple_element_types(&self) -> Iter<'_, Self> {
        match &self.0 {
            Type::Tuple(ts) => Box::new(ts.iter().cloned().map(WaveType)),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn variant_cases(&self) -> Iter<'_, (Cow<'_, str>, Option<Self>)> {
        match &self.0 {
            Type::Variant(cases) => Box::new(
                cases
                    .iter()
                    .map(|(n, t)| (Cow::Borrowed(n.as_str()), t.clone().map(WaveType))),
            ),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn enum_cases(&self) -> Iter<'_, Cow<'_, str>> {
        match &self.0 {
            Type::Enum(cases) => Box::new(cases.iter().map(|n| Cow::Borrowed(n.as_str()))),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn option_some_type(&self) -> Option<Self> {
        match &self.0 {
            Type::Option(t) => Some(WaveType((**t).clone())),
            _ => None,
        }
    }

    fn result_types(&self) -> Option<(Option<Self>, Option<Self>)> {
        match &self.0 {
            Type::Result { ok, err } => Some((
                ok.as_deref().cloned().map(WaveType),
                err.as_deref().cloned().map(WaveType),
            )),
            _ => None,
        }
    }

    fn flags_names(&self) -> Iter<'_, Cow<'_, str>> {
        match &self.0 {
            Type::Flags(names) => Box::new(names.iter().map(|n| Cow::Borrowed(n.as_str()))),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn map_key_value_types(&self) -> Option<(Self, Self)> {
        match &self.0 {
            Type::Map(k, v) => Some((WaveType((**k).clone()), WaveType((**v).clone()))),
            _ => None,
        }
    }
}

/// The payload of `v`, when its kind has been checked (wasm-wave calls an
/// `unwrap_*` method only for a value of that kind; anything else is a
/// bug, and the trait says to panic).
macro_rules! unwrap {
    ($v:expr, $pat:pat => $out:expr) => {
        match &$v.0 {
            $pat => $out,
            other => panic!("wasm-wave unwrapped a value of another kind: {other:?}"),
        }
    };
}

/// A child value as wasm-wave's `unwrap_*` methods return it. Children are
/// `Val`s, not `WaveVal`s, and a `&Val` cannot become a `&WaveVal` without
/// unsafe code, so each is copied: printing copies a value once per level
/// of nesting, which is nothing next to the call that made it.
fn child(v: &Val) -> Cow<'_, WaveVal> {
    Cow::Owned(WaveVal(v.clone()))
}

impl WasmValue for WaveVal {
    type Type = WaveType;

    fn kind(&self) -> WasmTypeKind {
        match &self.0 {
            Val::Bool(_) => WasmTypeKind::Bool,
            Val::S8(_) => WasmTypeKind::S8,
            Val::U8(_) => WasmTypeKind::U8,
            Val::S16(_) => WasmTypeKind::S16,
            Val::U16(_) => WasmTypeKind::U16,
            Val::S32(_) => WasmTypeKind::S32,
            Val::U32(_) => WasmTypeKind::U32,
            Val::S64(_) => WasmTypeKind::S64,
            Val::U64(_) => WasmTypeKind::U64,
            Val::Float32(_) => WasmTypeKind::F32,
            Val::Float64(_) => WasmTypeKind::F64,
            Val::Char(_) => WasmTypeKind::Char,
            Val::String(_) => WasmTypeKind::String,
            Val::List(_) => WasmTypeKind::List,
            Val::Record(_) => WasmTypeKind::Record,
            Val::Tuple(_) => WasmTypeKind::Tuple,
            Val::Variant(..) => WasmTypeKind::Variant,
            Val::Enum(_) => WasmTypeKind::Enum,
            Val::Option(_) => WasmTypeKind::Option,
            Val::Result(_) => WasmTypeKind::Result,
            Val::Flags(_) => WasmTypeKind::Flags,
            Val::Map(_) => WasmTypeKind::Map,
            Val::Resource(_) => WasmTypeKind::Unsupported,
        }
    }

    fn make_bool(val: bool) -> Self {
        WaveVal(Val::Bool(val))
    }
    fn make_s8(val: i8) -> Self {
        WaveVal(Val::S8(val))
    }
    fn make_s16(val: i16) -> Self {
        WaveVal(Val::S16(val))
    }
    fn make_s32(val: i32) -> Self {
        WaveVal(Val::S32(val))
    }
    fn make_s64(val: i64) -> Self {
        WaveVal(Val::S64(val))
    }
    fn make_u8(val: u8) -> Self {
        WaveVal(Val::U8(val))
    }
    fn make_u16(val: u16) -> Self {
        WaveVal(Val::U16(val))
    }
    fn make_u32(val: u32) -> Self {
        WaveVal(Val::U32(val))
    }
    fn make_u64(val: u64) -> Self {
        WaveVal(Val::U64(val))
    }
    fn make_f32(val: f32) -> Self {
        WaveVal(Val::Float32(val))
    }
    fn make_f64(val: f64) -> Self {
        WaveVal(Val::Float64(val))
    }
    fn make_char(val: char) -> Self {
        WaveVal(Val::Char(val))
    }
    fn make_string(val: Cow<'_, str>) -> Self {
        WaveVal(Val::String(val.into_owned()))
    }

    fn make_list(
        ty: &Self::Type,
        vals: impl IntoIterator<Item = Self>,
    ) -> Result<Self, WasmValueError> {
        match &ty.0 {
            Type::List(_) => Ok(WaveVal(Val::List(vals.into_iter().map(|v| v.0).collect()))),
            _ => Err(wrong_kind(ty, WasmTypeKind::List)),
        }
    }

    fn make_record<'a>(
        ty: &Self::Type,
        fields: impl IntoIterator<Item = (&'a str, Self)>,
    ) -> Result<Self, WasmValueError> {
        let Type::Record(types) = &ty.0 else {
            return Err(wrong_kind(ty, WasmTypeKind::Record));
        };
        let mut given: Vec<(&str, Option<Val>)> =
            fields.into_iter().map(|(n, v)| (n, Some(v.0))).collect();
        if let Some((name, _)) = given
            .iter()
            .find(|(n, _)| !types.iter().any(|(t, _)| t == n))
        {
            return Err(WasmValueError::UnknownField(name.to_string()));
        }
        // The fields come in any order; the Canonical ABI lays them out in
        // the type's order, which is the order `Val::Record` keeps.
        let fields = types
            .iter()
            .map(|(name, _)| {
                given
                    .iter_mut()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, v)| v.take())
                    .map(|v| (name.clone(), v))
                    .ok_or_else(|| WasmValueError::MissingField(name.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(WaveVal(Val::Record(fields)))
    }

    fn make_tuple(
        ty: &Self::Type,
        vals: impl IntoIterator<Item = Self>,
    ) -> Result<Self, WasmValueError> {
        let Type::Tuple(types) = &ty.0 else {
            return Err(wrong_kind(ty, WasmTypeKind::Tuple));
        };
        let vals: Vec<Val> = vals.into_iter().map(|v| v.0).collect();
        if vals.len() != types.len() {
            return Err(WasmValueError::WrongNumberOfTupleValues {
                want: types.len(),
                got: vals.len(),
            });
        }
        Ok(WaveVal(Val::Tuple(vals)))
    }

    fn make_variant(
        ty: &Self::Type,
        case: &str,
        val: Option<Self>,
    ) -> Result<Self, WasmValueError> {
        let Type::Variant(cases) = &ty.0 else {
            return Err(wrong_kind(ty, WasmTypeKind::Variant));
        };
        let (_, payload) = cases
            .iter()
            .find(|(n, _)| n == case)
            .ok_or_else(|| WasmValueError::UnknownCase(case.to_string()))?;
        match (payload, val) {
            (Some(_), None) => Err(WasmValueError::MissingPayload(case.to_string())),
            (None, Some(_)) => Err(WasmValueError::UnexpectedPayload(case.to_string())),
            (_, val) => Ok(WaveVal(Val::Variant(
                case.to_string(),
                val.map(|v| Box::new(v.0)),
            ))),
        }
    }

    fn make_enum(ty: &Self::Type, case: &str) -> Result<Self, WasmValueError> {
        let Type::Enum(cases) = &ty.0 else {
            return Err(wrong_kind(ty, WasmTypeKind::Enum));
        };
        if cases.iter().any(|c| c == case) {
            Ok(WaveVal(Val::Enum(case.to_string())))
        } else {
            Err(WasmValueError::UnknownCase(case.to_string()))
        }
    }

    fn make_option(ty: &Self::Type, val: Option<Self>) -> Result<Self, WasmValueError> {
        match &ty.0 {
            Type::Option(_) => Ok(WaveVal(Val::Option(val.map(|v| Box::new(v.0))))),
            _ => Err(wrong_kind(ty, WasmTypeKind::Option)),
        }
    }

    fn make_result(
        ty: &Self::Type,
        val: Result<Option<Self>, Option<Self>>,
    ) -> Result<Self, WasmValueError> {
        let Type::Result { ok, err } = &ty.0 else {
            return Err(wrong_kind(ty, WasmTypeKind::Result));
        };
        let (case, want, got) = match &val {
            Ok(v) => ("ok", ok.is_some(), v.is_some()),
            Err(v) => ("err", err.is_some(), v.is_some()),
        };
        match (want, got) {
            (true, false) => return Err(WasmValueError::MissingPayload(case.into())),
            (false, true) => return Err(WasmValueError::UnexpectedPayload(case.into())),
            _ => {}
        }
        let boxed = |v: Option<Self>| v.map(|v| Box::new(v.0));
        Ok(WaveVal(Val::Result(val.map(boxed).map_err(boxed))))
    }

    fn make_flags<'a>(
        ty: &Self::Type,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, WasmValueError> {
        let Type::Flags(all) = &ty.0 else {
            return Err(wrong_kind(ty, WasmTypeKind::Flags));
        };
        let set: Vec<&str> = names.into_iter().collect();
        if let Some(unknown) = set.iter().find(|n| !all.iter().any(|a| a == *n)) {
            return Err(WasmValueError::Other(format!("unknown flag {unknown:?}")));
        }
        // Kept in the type's order, so a result prints its flags in the
        // order the type declares them.
        let flags = all
            .iter()
            .filter(|a| set.contains(&a.as_str()))
            .cloned()
            .collect();
        Ok(WaveVal(Val::Flags(flags)))
    }

    fn make_map(
        ty: &Self::Type,
        entries: impl IntoIterator<Item = (Self, Self)>,
    ) -> Result<Self, WasmValueError> {
        match &ty.0 {
            Type::Map(..) => Ok(WaveVal(Val::Map(
                entries.into_iter().map(|(k, v)| (k.0, v.0)).collect(),
            ))),
            _ => Err(wrong_kind(ty, WasmTypeKind::Map)),
        }
    }

    fn unwrap_bool(&self) -> bool {
        unwrap!(self, Val::Bool(v) => *v)
    }
    fn unwrap_s8(&self) -> i8 {
        unwrap!(self, Val::S8(v) => *v)
    }
    fn unwrap_s16(&self) -> i16 {
        unwrap!(self, Val::S16(v) => *v)
    }
    fn unwrap_s32(&self) -> i32 {
        unwrap!(self, Val::S32(v) => *v)
    }
    fn unwrap_s64(&self) -> i64 {
        unwrap!(self, Val::S64(v) => *v)
    }
    fn unwrap_u8(&self) -> u8 {
        unwrap!(self, Val::U8(v) => *v)
    }
    fn unwrap_u16(&self) -> u16 {
        unwrap!(self, Val::U16(v) => *v)
    }
    fn unwrap_u32(&self) -> u32 {
        unwrap!(self, Val::U32(v) => *v)
    }
    fn unwrap_u64(&self) -> u64 {
        unwrap!(self, Val::U64(v) => *v)
    }
    fn unwrap_f32(&self) -> f32 {
        unwrap!(self, Val::Float32(v) => *v)
    }
    fn unwrap_f64(&self) -> f64 {
        unwrap!(self, Val::Float64(v) => *v)
    }
    fn unwrap_char(&self) -> char {
        unwrap!(self, Val::Char(v) => *v)
    }
    fn unwrap_string(&self) -> Cow<'_, str> {
        unwrap!(self, Val::String(v) => Cow::Borrowed(v.as_str()))
    }
    fn unwrap_list(&self) -> Iter<'_, Cow<'_, Self>> {
        unwrap!(self, Val::List(vs) => Box::new(vs.iter().map(child)))
    }
    fn unwrap_record(&self) -> Iter<'_, (Cow<'_, str>, Cow<'_, Self>)> {
        unwrap!(self, Val::Record(fields) => Box::new(
            fields.iter().map(|(n, v)| (Cow::Borrowed(n.as_str()), child(v)))
        ))
    }
    fn unwrap_tuple(&self) -> Iter<'_, Cow<'_, Self>> {
        unwrap!(self, Val::Tuple(vs) => Box::new(vs.iter().map(child)))
    }
    fn unwrap_variant(&self) -> (Cow<'_, str>, Option<Cow<'_, Self>>) {
        unwrap!(self, Val::Variant(case, payload) => (
            Cow::Borrowed(case.as_str()),
            payload.as_deref().map(child),
        ))
    }
    fn unwrap_enum(&self) -> Cow<'_, str> {
        unwrap!(self, Val::Enum(case) => Cow::Borrowed(case.as_str()))
    }
    fn unwrap_option(&self) -> Option<Cow<'_, Self>> {
        unwrap!(self, Val::Option(v) => v.as_deref().map(child))
    }
    fn unwrap_result(&self) -> Result<Option<Cow<'_, Self>>, Option<Cow<'_, Self>>> {
        unwrap!(self, Val::Result(r) => match r {
            Ok(v) => Ok(v.as_deref().map(child)),
            Err(v) => Err(v.as_deref().map(child)),
        })
    }
    fn unwrap_flags(&self) -> Iter<'_, Cow<'_, str>> {
        unwrap!(self, Val::Flags(names) => Box::new(
            names.iter().map(|n| Cow::Borrowed(n.as_str()))
        ))
    }
    fn unwrap_map(&self) -> Iter<'_, (Cow<'_, Self>, Cow<'_, Self>)> {
        unwrap!(self, Val::Map(entries) => Box::new(
            entries.iter().map(|(k, v)| (child(k), child(v)))
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(ty: &Type, text: &str) -> Result<Val, String> {
        wasm_wave::from_str::<WaveVal>(&WaveType(ty.clone()), text)
            .map(|v| v.0)
            .map_err(|e| e.to_string())
    }

    fn print(v: Val) -> String {
        wasm_wave::to_string(&WaveVal(v)).unwrap()
    }

    /// Every kind of value parses by its type and prints back as WAVE
    /// writes it (records and flags in the type's order).
    #[test]
    fn values_round_trip() {
        let point = Type::Record(vec![("x".into(), Type::S32), ("y".into(), Type::S32)]);
        let shape = Type::Variant(vec![
            ("circle".into(), Some(Type::Float64)),
            ("empty".into(), None),
        ]);
        let perms = Type::Flags(vec!["read".into(), "write".into(), "exec".into()]);
        let cases: Vec<(Type, &str, &str)> = vec![
            (Type::Bool, "true", "true"),
            (Type::S8, "-128", "-128"),
            (Type::U64, "18446744073709551615", "18446744073709551615"),
            (Type::Float32, "1.5", "1.5"),
            (Type::Float64, "-inf", "-inf"),
            (Type::Float64, "nan", "nan"),
            (Type::Char, "'\\n'", "'\\n'"),
            (Type::String, "\"a\\\"b\"", "\"a\\\"b\""),
            (Type::List(Box::new(Type::U8)), "[1, 2]", "[1, 2]"),
            (point.clone(), "{y: 2, x: 1}", "{x: 1, y: 2}"),
            (
                Type::Tuple(vec![Type::String, Type::Char]),
                "(\"a\", 'b')",
                "(\"a\", 'b')",
            ),
            (shape.clone(), "circle(2.5)", "circle(2.5)"),
            (shape, "empty", "empty"),
            (
                Type::Enum(vec!["red".into(), "green".into()]),
                "green",
                "green",
            ),
            (Type::Option(Box::new(Type::U32)), "some(3)", "some(3)"),
            (Type::Option(Box::new(Type::U32)), "none", "none"),
            (
                Type::Result {
                    ok: None,
                    err: Some(Box::new(Type::String)),
                },
                "err(\"no\")",
                "err(\"no\")",
            ),
            (
                Type::Result {
                    ok: None,
                    err: None,
                },
                "ok",
                "ok",
            ),
            (perms.clone(), "{exec, read}", "{read, exec}"),
            (perms, "{}", "{}"),
            (
                Type::Map(Box::new(Type::String), Box::new(Type::U32)),
                "{\"a\": 1, \"b\": 2}",
                "{\"a\": 1, \"b\": 2}",
            ),
        ];
        for (ty, text, printed) in cases {
            let v = parse(&ty, text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(print(v), printed, "{text} as {}", type_name(&ty));
        }
    }

    /// Values that are not of their type are errors naming the problem.
    #[test]
    fn mismatches_are_errors() {
        let point = Type::Record(vec![("x".into(), Type::S32), ("y".into(), Type::S32)]);
        let flags = Type::Flags(vec!["a".into()]);
        let color = Type::Enum(vec!["red".into()]);
        for (ty, text, needle) in [
            (Type::U8, "256", "invalid value"),
            (Type::U8, "\"1\"", "invalid value type"),
            (point.clone(), "{x: 1}", "missing field \"y\""),
            (point, "{x: 1, y: 2, z: 3}", "invalid value"),
            (flags, "{b}", "unknown flag \"b\""),
            (color, "blue", "unknown case \"blue\""),
            (Type::Char, "'ab'", "invalid token"),
        ] {
            let err = parse(&ty, text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn resources_are_found_and_named() {
        let rt = weft_component::ResourceType::host::<u8>();
        let ty = Type::List(Box::new(Type::Option(Box::new(Type::Borrow(rt)))));
        assert!(has_resource(&ty));
        assert_eq!(type_name(&ty), "list<option<borrow<resource>>>");
        assert!(!has_resource(&Type::Result {
            ok: Some(Box::new(Type::String)),
            err: None
        }));
        assert!(parse(&Type::Own(rt), "1").is_err());
    }
}
