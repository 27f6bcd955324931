//! Component-level types and values as the embedder sees them: [`Type`]
//! (what a component function's parameters and results are) and [`Val`]
//! (one value of such a type), and [`FuncType`] (a component function's
//! signature).

use crate::handles::ResourceAny;
use crate::resources::ResourceType;

/// A component value type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// `bool`.
    Bool,
    /// `s8`.
    S8,
    /// `u8`.
    U8,
    /// `s16`.
    S16,
    /// `u16`.
    U16,
    /// `s32`.
    S32,
    /// `u32`.
    U32,
    /// `s64`.
    S64,
    /// `u64`.
    U64,
    /// `f32`.
    Float32,
    /// `f64`.
    Float64,
    /// `char`: a Unicode scalar value.
    Char,
    /// `string`.
    String,
    /// `list<T>`.
    List(Box<Type>),
    /// `record { name: T, ... }`.
    Record(Vec<(String, Type)>),
    /// `tuple<T, ...>`.
    Tuple(Vec<Type>),
    /// `variant { name(T)?, ... }`.
    Variant(Vec<(String, Option<Type>)>),
    /// `enum { name, ... }`.
    Enum(Vec<String>),
    /// `option<T>`.
    Option(Box<Type>),
    /// `result<T?, E?>`.
    Result {
        /// The `ok` payload, if any.
        ok: Option<Box<Type>>,
        /// The `error` payload, if any.
        err: Option<Box<Type>>,
    },
    /// `flags { name, ... }`.
    Flags(Vec<String>),
    /// `map<K, V>`: laid out as `list<tuple<K, V>>`.
    Map(Box<Type>, Box<Type>),
    /// `own<R>`: a handle that owns a resource of type `R`.
    Own(ResourceType),
    /// `borrow<R>`: a handle lent to a call.
    Borrow(ResourceType),
}

/// A component function's signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncType {
    /// The parameters, by name.
    pub params: Vec<(String, Type)>,
    /// The result, if any.
    pub result: Option<Type>,
}

/// A component value.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// A `bool`.
    Bool(bool),
    /// An `s8`.
    S8(i8),
    /// A `u8`.
    U8(u8),
    /// An `s16`.
    S16(i16),
    /// A `u16`.
    U16(u16),
    /// An `s32`.
    S32(i32),
    /// A `u32`.
    U32(u32),
    /// An `s64`.
    S64(i64),
    /// A `u64`.
    U64(u64),
    /// An `f32`.
    Float32(f32),
    /// An `f64`.
    Float64(f64),
    /// A `char`.
    Char(char),
    /// A `string`.
    String(String),
    /// A `list`.
    List(Vec<Val>),
    /// A `record`: its fields by name, in order.
    Record(Vec<(String, Val)>),
    /// A `tuple`.
    Tuple(Vec<Val>),
    /// A `variant` case and its payload.
    Variant(String, Option<Box<Val>>),
    /// An `enum` case.
    Enum(String),
    /// An `option`.
    Option(Option<Box<Val>>),
    /// A `result`.
    Result(Result<Option<Box<Val>>, Option<Box<Val>>>),
    /// The `flags` that are set.
    Flags(Vec<String>),
    /// A `map`: its entries, in order.
    Map(Vec<(Val, Val)>),
    /// An `own` or `borrow` handle.
    Resource(ResourceAny),
}

impl Val {
    /// The zero value of `ty` (false, 0, empty, the first case with its
    /// zero payload, `ok` of the zero value); `None` for a resource, which
    /// has none.
    pub fn default_for(ty: &Type) -> Option<Val> {
        let boxed = |t: &Option<Box<Type>>| -> Option<Option<Box<Val>>> {
            match t {
                Some(t) => Some(Some(Box::new(Val::default_for(t)?))),
                None => Some(None),
            }
        };
        Some(match ty {
            Type::Bool => Val::Bool(false),
            Type::S8 => Val::S8(0),
            Type::U8 => Val::U8(0),
            Type::S16 => Val::S16(0),
            Type::U16 => Val::U16(0),
            Type::S32 => Val::S32(0),
            Type::U32 => Val::U32(0),
            Type::S64 => Val::S64(0),
            Type::U64 => Val::U64(0),
            Type::Float32 => Val::Float32(0.0),
            Type::Float64 => Val::Float64(0.0),
            Type::Char => Val::Char('\0'),
            Type::String => Val::String(String::new()),
            Type::List(_) => Val::List(Vec::new()),
            Type::Map(..) => Val::Map(Vec::new()),
            Type::Record(fs) => Val::Record(
                fs.iter()
                    .map(|(n, t)| Some((n.clone(), Val::default_for(t)?)))
                    .collect::<Option<_>>()?,
            ),
            Type::Tuple(ts) => Val::Tuple(ts.iter().map(Val::default_for).collect::<Option<_>>()?),
            Type::Variant(cs) => {
                let (name, payload) = cs.first()?;
                let payload = payload.clone().map(Box::new);
                Val::Variant(name.clone(), boxed(&payload)?)
            }
            Type::Enum(names) => Val::Enum(names.first()?.clone()),
            Type::Option(_) => Val::Option(None),
            Type::Result { ok, .. } => Val::Result(Ok(boxed(ok)?)),
            Type::Flags(_) => Val::Flags(Vec::new()),
            Type::Own(_) | Type::Borrow(_) => return None,
        })
    }
}
