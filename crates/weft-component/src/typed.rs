//! Rust types as component types: [`ComponentType`] (which component
//! types a Rust type stands for), [`Lower`] and [`Lift`] (to and from
//! component [`Val`]s), implemented for the standard types and derivable
//! for records, variants, enums and flags (`weft-component-macros`); and
//! the list forms the parameters and results of typed functions use.

use crate::handles::{Handle, Resource, ResourceAny};
use crate::resources::ResourceType;
use crate::state::State;
use crate::values::{Type, Val};
use weft::{Error, Result, StoreContextMut};

/// The store's component state while values convert (resources move in
/// and out of the host's table).
pub struct ValCx<'a> {
    pub(crate) state: &'a mut State,
}

impl<'a> ValCx<'a> {
    /// The conversion context of the store behind `cx`.
    pub fn new<T>(cx: &'a mut StoreContextMut<'_, T>) -> ValCx<'a> {
        ValCx {
            state: crate::state::state(cx),
        }
    }
}

/// A type error: the Rust type does not stand for component type `ty`.
pub fn mismatch<R: ?Sized>(ty: &Type) -> Error {
    Error::Usage(format!(
        "type mismatch: `{}` does not stand for component type {ty:?}",
        std::any::type_name::<R>()
    ))
}

/// A value error: `val` is not a value of Rust type `R`.
pub fn bad_value<R: ?Sized>(val: &Val) -> Error {
    Error::Usage(format!(
        "type mismatch: {val:?} is not a `{}`",
        std::any::type_name::<R>()
    ))
}

/// A Rust type that stands for component types.
pub trait ComponentType {
    /// Whether this is `()`, the absent payload of a `result` case.
    #[doc(hidden)]
    const IS_UNIT: bool = false;

    /// Checks that this type stands for component type `ty`.
    fn typecheck(ty: &Type) -> Result<()>;
}

/// A Rust value that can become a component value.
pub trait Lower: ComponentType {
    /// The component value.
    fn lower(&self, cx: &mut ValCx<'_>) -> Result<Val>;
}

/// A Rust value that can be made from a component value.
pub trait Lift: ComponentType + Sized {
    /// The Rust value of `val`.
    fn lift(val: Val, cx: &mut ValCx<'_>) -> Result<Self>;
}

macro_rules! primitive {
    ($($rust:ty => $variant:ident),* $(,)?) => {$(
        impl ComponentType for $rust {
            fn typecheck(ty: &Type) -> Result<()> {
                match ty {
                    Type::$variant => Ok(()),
                    _ => Err(mismatch::<Self>(ty)),
                }
            }
        }
        impl Lower for $rust {
            fn lower(&self, _: &mut ValCx<'_>) -> Result<Val> {
                Ok(Val::$variant(*self))
            }
        }
        impl Lift for $rust {
            fn lift(val: Val, _: &mut ValCx<'_>) -> Result<Self> {
                match val {
                    Val::$variant(v) => Ok(v),
                    other => Err(bad_value::<Self>(&other)),
                }
            }
        }
    )*};
}

primitive! {
    bool => Bool, i8 => S8, u8 => U8, i16 => S16, u16 => U16, i32 => S32, u32 => U32,
    i64 => S64, u64 => U64, f32 => Float32, f64 => Float64, char => Char,
}

impl ComponentType for String {
    fn typecheck(ty: &Type) -> Result<()> {
        str::typecheck(ty)
    }
}

impl Lower for String {
    fn lower(&self, _: &mut ValCx<'_>) -> Result<Val> {
        Ok(Val::String(self.clone()))
    }
}

impl Lift for String {
    fn lift(val: Val, _: &mut ValCx<'_>) -> Result<Self> {
        match val {
            Val::String(s) => Ok(s),
            other => Err(bad_value::<Self>(&other)),
        }
    }
}

impl ComponentType for str {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::String => Ok(()),
            _ => Err(mismatch::<Self>(ty)),
        }
    }
}

impl Lower for str {
    fn lower(&self, _: &mut ValCx<'_>) -> Result<Val> {
        Ok(Val::String(self.to_string()))
    }
}

impl<T: ComponentType + ?Sized> ComponentType for &T {
    fn typecheck(ty: &Type) -> Result<()> {
        T::typecheck(ty)
    }
}

impl<T: Lower + ?Sized> Lower for &T {
    fn lower(&self, cx: &mut ValCx<'_>) -> Result<Val> {
        (**self).lower(cx)
    }
}

impl<T: ComponentType> ComponentType for [T] {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::List(elem) => T::typecheck(elem),
            _ => Err(mismatch::<Self>(ty)),
        }
    }
}

impl<T: Lower> Lower for [T] {
    fn lower(&self, cx: &mut ValCx<'_>) -> Result<Val> {
        Ok(Val::List(
            self.iter().map(|v| v.lower(cx)).collect::<Result<_>>()?,
        ))
    }
}

impl<T: ComponentType> ComponentType for Vec<T> {
    fn typecheck(ty: &Type) -> Result<()> {
        <[T]>::typecheck(ty)
    }
}

impl<T: Lower> Lower for Vec<T> {
    fn lower(&self, cx: &mut ValCx<'_>) -> Result<Val> {
        self.as_slice().lower(cx)
    }
}

impl<T: Lift> Lift for Vec<T> {
    fn lift(val: Val, cx: &mut ValCx<'_>) -> Result<Self> {
        match val {
            Val::List(items) => items.into_iter().map(|v| T::lift(v, cx)).collect(),
            other => Err(bad_value::<Self>(&other)),
        }
    }
}

impl<T: ComponentType> ComponentType for Option<T> {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Option(t) => T::typecheck(t),
            _ => Err(mismatch::<Self>(ty)),
        }
    }
}

impl<T: Lower> Lower for Option<T> {
    fn lower(&self, cx: &mut ValCx<'_>) -> Result<Val> {
        Ok(Val::Option(
            self.as_ref()
                .map(|v| v.lower(cx).map(Box::new))
                .transpose()?,
        ))
    }
}

impl<T: Lift> Lift for Option<T> {
    fn lift(val: Val, cx: &mut ValCx<'_>) -> Result<Self> {
        match val {
            Val::Option(v) => v.map(|v| T::lift(*v, cx)).transpose(),
            other => Err(bad_value::<Self>(&other)),
        }
    }
}

impl ComponentType for () {
    const IS_UNIT: bool = true;

    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Tuple(ts) if ts.is_empty() => Ok(()),
            _ => Err(mismatch::<Self>(ty)),
        }
    }
}

impl Lower for () {
    fn lower(&self, _: &mut ValCx<'_>) -> Result<Val> {
        Ok(Val::Tuple(Vec::new()))
    }
}

impl Lift for () {
    fn lift(_: Val, _: &mut ValCx<'_>) -> Result<Self> {
        Ok(())
    }
}

/// Checks a `result` case's payload type against Rust type `T` (`()` for
/// none).
fn payload_typecheck<T: ComponentType>(ty: &Option<Box<Type>>) -> Result<()> {
    match ty {
        None if T::IS_UNIT => Ok(()),
        Some(t) => T::typecheck(t),
        None => Err(Error::Usage(format!(
            "type mismatch: a result case without a payload for `{}`",
            std::any::type_name::<T>()
        ))),
    }
}

fn payload_lower<T: Lower>(v: &T, cx: &mut ValCx<'_>) -> Result<Option<Box<Val>>> {
    if T::IS_UNIT {
        Ok(None)
    } else {
        v.lower(cx).map(|v| Some(Box::new(v)))
    }
}

fn payload_lift<T: Lift>(v: Option<Box<Val>>, cx: &mut ValCx<'_>) -> Result<T> {
    T::lift(v.map(|v| *v).unwrap_or(Val::Tuple(Vec::new())), cx)
}

impl<T: ComponentType, E: ComponentType> ComponentType for std::result::Result<T, E> {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Result { ok, err } => {
                payload_typecheck::<T>(ok)?;
                payload_typecheck::<E>(err)
            }
            _ => Err(mismatch::<Self>(ty)),
        }
    }
}

impl<T: Lower, E: Lower> Lower for std::result::Result<T, E> {
    fn lower(&self, cx: &mut ValCx<'_>) -> Result<Val> {
        Ok(Val::Result(match self {
            Ok(v) => Ok(payload_lower(v, cx)?),
            Err(e) => Err(payload_lower(e, cx)?),
        }))
    }
}

impl<T: Lift, E: Lift> Lift for std::result::Result<T, E> {
    fn lift(val: Val, cx: &mut ValCx<'_>) -> Result<Self> {
        match val {
            Val::Result(Ok(v)) => Ok(Ok(payload_lift(v, cx)?)),
            Val::Result(Err(e)) => Ok(Err(payload_lift(e, cx)?)),
            other => Err(bad_value::<Self>(&other)),
        }
    }
}

/// A list of parameters or results, as a tuple of Rust types.
pub trait ComponentNamedList {
    /// Checks the list against component types `tys`.
    fn typecheck_list(tys: &[Type]) -> Result<()>;
}

/// A parameter or result list that can become component values.
pub trait LowerList: ComponentNamedList {
    /// The component values.
    fn lower_list(&self, cx: &mut ValCx<'_>) -> Result<Vec<Val>>;
}

/// A parameter or result list that can be made from component values.
pub trait LiftList: ComponentNamedList + Sized {
    /// The Rust values of `vals`.
    fn lift_list(vals: Vec<Val>, cx: &mut ValCx<'_>) -> Result<Self>;

    /// The Rust values of a function's result (none or one).
    fn lift_result(val: Option<Val>, cx: &mut ValCx<'_>) -> Result<Self> {
        Self::lift_list(val.into_iter().collect(), cx)
    }
}

macro_rules! tuples {
    ($(($($t:ident $i:tt),*))*) => {$(
        impl<$($t: ComponentType),*> ComponentType for ($($t,)*) {
            fn typecheck(ty: &Type) -> Result<()> {
                match ty {
                    Type::Tuple(ts) => <Self as ComponentNamedList>::typecheck_list(ts),
                    _ => Err(mismatch::<Self>(ty)),
                }
            }
        }

        impl<$($t: Lower),*> Lower for ($($t,)*) {
            fn lower(&self, cx: &mut ValCx<'_>) -> Result<Val> {
                Ok(Val::Tuple(self.lower_list(cx)?))
            }
        }

        impl<$($t: Lift),*> Lift for ($($t,)*) {
            fn lift(val: Val, cx: &mut ValCx<'_>) -> Result<Self> {
                match val {
                    Val::Tuple(vs) => <Self as LiftList>::lift_list(vs, cx),
                    other => Err(bad_value::<Self>(&other)),
                }
            }
        }

        impl<$($t: ComponentType),*> ComponentNamedList for ($($t,)*) {
            fn typecheck_list(tys: &[Type]) -> Result<()> {
                let want = [$(stringify!($t)),*].len();
                if tys.len() != want {
                    return Err(Error::Usage(format!(
                        "type mismatch: {} values where {want} were expected",
                        tys.len()
                    )));
                }
                $($t::typecheck(&tys[$i])?;)*
                Ok(())
            }
        }

        impl<$($t: Lower),*> LowerList for ($($t,)*) {
            #[allow(unused_variables)]
            fn lower_list(&self, cx: &mut ValCx<'_>) -> Result<Vec<Val>> {
                Ok(vec![$(self.$i.lower(cx)?),*])
            }
        }

    )*};
}

/// `LiftList` for tuples of two or more (one is the common case of a
/// function's result, written out below without a list).
macro_rules! lift_lists {
    ($(($($t:ident $i:tt),*))*) => {$(
        impl<$($t: Lift),*> LiftList for ($($t,)*) {
            #[allow(unused_variables, unused_mut)]
            fn lift_list(vals: Vec<Val>, cx: &mut ValCx<'_>) -> Result<Self> {
                let want = [$(stringify!($t)),*].len();
                if vals.len() != want {
                    return Err(Error::Usage(format!(
                        "type mismatch: {} values where {want} were expected",
                        vals.len()
                    )));
                }
                let mut it = vals.into_iter();
                Ok(($($t::lift(it.next().expect("counted above"), cx)?,)*))
            }
        }
    )*};
}

impl ComponentNamedList for () {
    fn typecheck_list(tys: &[Type]) -> Result<()> {
        if tys.is_empty() {
            Ok(())
        } else {
            Err(Error::Usage(format!(
                "type mismatch: {} values where none were expected",
                tys.len()
            )))
        }
    }
}

impl LowerList for () {
    fn lower_list(&self, _: &mut ValCx<'_>) -> Result<Vec<Val>> {
        Ok(Vec::new())
    }
}

impl<A: Lift> LiftList for (A,) {
    fn lift_list(vals: Vec<Val>, cx: &mut ValCx<'_>) -> Result<Self> {
        let mut it = vals.into_iter();
        match (it.next(), it.next()) {
            (Some(v), None) => Self::lift_result(Some(v), cx),
            _ => Err(Error::Usage("type mismatch: one value was expected".into())),
        }
    }

    fn lift_result(val: Option<Val>, cx: &mut ValCx<'_>) -> Result<Self> {
        match val {
            Some(v) => Ok((A::lift(v, cx)?,)),
            None => Err(Error::Usage("type mismatch: one value was expected".into())),
        }
    }
}

impl LiftList for () {
    fn lift_list(vals: Vec<Val>, _: &mut ValCx<'_>) -> Result<Self> {
        if vals.is_empty() {
            Ok(())
        } else {
            Err(Error::Usage(format!(
                "type mismatch: {} values where none were expected",
                vals.len()
            )))
        }
    }
}

lift_lists! {
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
}

tuples! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8)
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9)
}

impl<T: 'static> ComponentType for Resource<T> {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Own(rt) | Type::Borrow(rt) if *rt == ResourceType::host::<T>() => Ok(()),
            _ => Err(mismatch::<Self>(ty)),
        }
    }
}

impl<T: 'static> Lower for Resource<T> {
    fn lower(&self, cx: &mut ValCx<'_>) -> Result<Val> {
        let ty = ResourceType::host::<T>();
        Ok(Val::Resource(if self.owned() {
            let h = cx
                .state
                .host
                .new_own(self.rep(), ty)
                .map_err(|e| Error::Usage(e.to_string()))?;
            ResourceAny::own(ty, h)
        } else {
            ResourceAny::host_borrow(ty, self.rep())
        }))
    }
}

impl<T: 'static> Lift for Resource<T> {
    fn lift(val: Val, cx: &mut ValCx<'_>) -> Result<Self> {
        let any = match val {
            Val::Resource(any) if any.ty() == ResourceType::host::<T>() => any,
            other => return Err(bad_value::<Self>(&other)),
        };
        match any.handle() {
            Handle::Own(h) => {
                let rep = cx
                    .state
                    .host
                    .lift_own(h, any.ty())
                    .map_err(|e| Error::Usage(e.to_string()))?;
                Ok(Resource::new_own(rep))
            }
            Handle::Borrow { rep, .. } => Ok(Resource::new_borrow(rep)),
        }
    }
}

impl ComponentType for ResourceAny {
    fn typecheck(ty: &Type) -> Result<()> {
        match ty {
            Type::Own(_) | Type::Borrow(_) => Ok(()),
            _ => Err(mismatch::<Self>(ty)),
        }
    }
}

impl Lower for ResourceAny {
    fn lower(&self, _: &mut ValCx<'_>) -> Result<Val> {
        Ok(Val::Resource(*self))
    }
}

impl Lift for ResourceAny {
    fn lift(val: Val, _: &mut ValCx<'_>) -> Result<Self> {
        match val {
            Val::Resource(any) => Ok(any),
            other => Err(bad_value::<Self>(&other)),
        }
    }
}

/// A component value stands for any component type (checked when used).
impl ComponentType for Val {
    fn typecheck(_: &Type) -> Result<()> {
        Ok(())
    }
}

impl Lower for Val {
    fn lower(&self, _: &mut ValCx<'_>) -> Result<Val> {
        Ok(self.clone())
    }
}

impl Lift for Val {
    fn lift(val: Val, _: &mut ValCx<'_>) -> Result<Self> {
        Ok(val)
    }
}
