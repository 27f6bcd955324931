//! Functions: `Func` handles, host functions from Rust closures (`Caller`,
//! typed parameters and results), and `TypedFunc` for calls without `Val`
//! boxing.

use crate::error::{Error, Result};
use crate::exception::Exception;
use crate::exec;
use crate::gc_objects::{ArrayRef, StructRef};
use crate::instance::{Extern, Instance};
use crate::refs::{EqRef, I31};
use crate::store::{
    AsContext, AsContextMut, FuncEntry, FuncKind, HostCallback, HostFunc, StoreContext,
    StoreContextMut, StoreId, StoreInner,
};
use crate::types::{FuncType, HeapType, RefType, ValType};
use crate::values::{AnyRef, ExternRef, Val};
use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;
use weft_gc::GcRef;

/// A function in a store: defined by Wasm or by the host.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Func {
    pub(crate) store: StoreId,
    pub(crate) index: u32,
}

/// The view a host function gets of the store while Wasm calls it.
pub struct Caller<'a, T> {
    pub(crate) inner: &'a mut StoreInner,
    pub(crate) data: &'a mut T,
    /// The instance whose code made the call, if any.
    pub(crate) instance: Option<u32>,
}

impl<T> Caller<'_, T> {
    /// The host data.
    pub fn data(&self) -> &T {
        self.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.data
    }

    /// An export of the calling instance (for example its `memory`).
    pub fn get_export(&mut self, name: &str) -> Option<Extern> {
        let index = self.instance?;
        Instance::from_raw(self.inner.id, index).export_in(self.inner, name)
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext {
            inner: self.inner,
            data: self.data,
        }
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut {
            inner: self.inner,
            data: self.data,
        }
    }
}

impl Func {
    pub(crate) fn from_raw(store: StoreId, index: u32) -> Func {
        Func { store, index }
    }

    /// A host function with a dynamic signature.
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        let host = dynamic_host_func(ty.clone(), f);
        let cx = store.as_context_mut();
        Func::from_host(cx.inner, &ty, host)
    }

    /// A host function from a Rust closure whose parameter and result types
    /// give the Wasm signature.
    pub fn wrap<T: 'static, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let (ty, host) = f.into_host_func();
        let cx = store.as_context_mut();
        Func::from_host(cx.inner, &ty, host)
    }

    pub(crate) fn from_host(store: &mut StoreInner, ty: &FuncType, host: Arc<HostFunc>) -> Func {
        let type_id = store.engine.types_mut().register_func(ty.clone());
        let index = store.push_func(FuncEntry {
            ty: type_id,
            kind: FuncKind::Host(host),
        });
        Func {
            store: store.id,
            index,
        }
    }

    /// The function's signature.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let cx = store.as_context();
        let id = cx.inner.owning(self.store).funcs[self.index as usize].ty;
        cx.inner
            .engine
            .types()
            .func_type(id)
            .cloned()
            .unwrap_or_else(|| FuncType::new([], []))
    }

    /// Calls the function with `params`, writing its results to `results`.
    pub fn call(
        &self,
        mut store: impl AsContextMut<Data: 'static>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let cx = store.as_context_mut();
        cx.inner.check(self.store)?;
        let ty = self.ty(&StoreContext {
            inner: cx.inner,
            data: &(),
        });
        if params.len() != ty.params().len() {
            return Err(Error::usage(format!(
                "expected {} arguments, got {}",
                ty.params().len(),
                params.len()
            )));
        }
        if results.len() != ty.results().len() {
            return Err(Error::usage(format!(
                "expected room for {} results, got {}",
                ty.results().len(),
                results.len()
            )));
        }
        let mut args = Vec::with_capacity(params.len());
        for (i, (p, t)) in params.iter().zip(ty.params()).enumerate() {
            if !p.matches(*t, cx.inner) {
                return Err(Error::usage(format!("argument {i} is not of type {t}")));
            }
            p.push_cells(cx.inner, &mut args)?;
        }
        let mut out = vec![0u64; Val::cell_count(ty.results())];
        exec::invoke(cx.inner, cx.data, self.index, None, &args, &mut out)?;
        for (r, v) in results
            .iter_mut()
            .zip(Val::all_from_cells(&out, ty.results(), cx.inner))
        {
            *r = v;
        }
        Ok(())
    }

    /// A typed view of this function, checking its signature: each Rust
    /// result type must be a supertype of the function's result, and each
    /// Rust parameter type a subtype of the function's parameter; or, for
    /// references, a supertype, in which case each call checks the
    /// argument's dynamic type (as `Func::call` does).
    pub fn typed<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<P, R>> {
        let cx = store.as_context();
        cx.inner.check(self.store)?;
        let ty = self.ty(&cx);
        let (params, results) = (P::types(), R::types());
        let mismatch = || {
            Error::usage(format!(
                "function type {ty} does not match the requested typed signature"
            ))
        };
        if ty.params().len() != params.len() || ty.results().len() != results.len() {
            return Err(mismatch());
        }
        let types = cx.inner.engine.types();
        let mut param_checks = 0u64;
        for (i, (&wasm, &host)) in ty.params().iter().zip(&params).enumerate() {
            if types.is_val_subtype(host, wasm) {
                continue;
            }
            let narrower_ref = matches!(wasm, ValType::Ref(_)) && types.is_val_subtype(wasm, host);
            if !narrower_ref || i >= 64 {
                return Err(mismatch());
            }
            param_checks |= 1 << i;
        }
        if !ty
            .results()
            .iter()
            .zip(&results)
            .all(|(&wasm, &host)| types.is_val_subtype(wasm, host))
        {
            return Err(mismatch());
        }
        Ok(TypedFunc {
            func: *self,
            param_checks,
            _marker: PhantomData,
        })
    }
}

/// Wraps a `Val`-based closure as a host function.
pub(crate) fn dynamic_host_func<T: 'static>(
    ty: FuncType,
    f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
) -> Arc<HostFunc> {
    let (np, nr) = (Val::cell_count(ty.params()), Val::cell_count(ty.results()));
    let callback: Box<HostCallback> = Box::new(move |store, data, cells| {
        let params = Val::all_from_cells(cells, ty.params(), store);
        let mut results: Vec<Val> = ty
            .results()
            .iter()
            .map(|t| Val::default_for(*t).unwrap_or(Val::I32(0)))
            .collect();
        let caller = caller(store, data)?;
        f(caller, &params, &mut results)?;
        let mut out = Vec::with_capacity(nr);
        for (i, (r, t)) in results.iter().zip(ty.results()).enumerate() {
            if !r.matches(*t, store) {
                return Err(Error::usage(format!(
                    "host function result {i} is not of type {t}"
                )));
            }
            r.push_cells(store, &mut out)?;
        }
        cells[..nr].copy_from_slice(&out);
        Ok(())
    });
    Arc::new(HostFunc {
        callback,
        num_params: np,
        num_results: nr,
    })
}

/// The `Caller` for a host call on `store` with host data `data`.
fn caller<'a, T: 'static>(
    store: &'a mut StoreInner,
    data: &'a mut dyn Any,
) -> Result<Caller<'a, T>> {
    let instance = store.exec.caller;
    let data = data
        .downcast_mut::<T>()
        .ok_or_else(|| Error::usage("host function used with a store of another data type"))?;
    Ok(Caller {
        inner: store,
        data,
        instance,
    })
}

/// A function with a statically known signature.
pub struct TypedFunc<P, R> {
    func: Func,
    /// Parameters whose Rust type is wider than the function's reference
    /// type: bit `i` set means argument `i` is checked on every call.
    param_checks: u64,
    _marker: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// Calls the function.
    pub fn call(&self, mut store: impl AsContextMut<Data: 'static>, params: P) -> Result<R> {
        let cx = store.as_context_mut();
        cx.inner.check(self.func.store)?;
        let mut args = Vec::with_capacity(8);
        params.into_cells(cx.inner, &mut args)?;
        if self.param_checks != 0 {
            self.check_args(cx.inner, &args)?;
        }
        let mut out = [0u64; 16];
        let n = R::count();
        if n > out.len() {
            let mut big = vec![0u64; n];
            exec::invoke(cx.inner, cx.data, self.func.index, None, &args, &mut big)?;
            return Ok(R::from_cells(&big, cx.inner));
        }
        exec::invoke(
            cx.inner,
            cx.data,
            self.func.index,
            None,
            &args,
            &mut out[..n],
        )?;
        Ok(R::from_cells(&out[..n], cx.inner))
    }

    /// Checks the arguments whose Rust types are wider than the
    /// function's parameter types against the latter.
    fn check_args(&self, store: &StoreInner, args: &[u64]) -> Result<()> {
        let ty = store.funcs[self.func.index as usize].ty;
        let types = store.engine.types();
        let params = types.func_type(ty).map(FuncType::params).unwrap_or(&[]);
        for (i, (&cell, &param)) in args.iter().zip(params).enumerate() {
            if self.param_checks & (1 << i) == 0 {
                continue;
            }
            if let ValType::Ref(r) = param
                && !crate::gc::ref_matches(store, cell, r.heap, r.nullable)
            {
                return Err(Error::usage(format!("argument {i} is not of type {param}")));
            }
        }
        Ok(())
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }
}

/// A Rust type that corresponds to one Wasm value type.
pub trait WasmTy: Sized + Send + 'static {
    /// The Wasm type.
    fn valtype() -> ValType;
    #[doc(hidden)]
    fn into_cell(self, store: &StoreInner) -> Result<u64>;
    #[doc(hidden)]
    fn from_cell(cell: u64, store: &StoreInner) -> Self;
}

macro_rules! num_ty {
    ($($t:ty => $vt:ident, |$s:ident| $to:expr, |$c:ident| $from:expr;)*) => {$(
        impl WasmTy for $t {
            fn valtype() -> ValType { ValType::$vt }
            fn into_cell($s, _: &StoreInner) -> Result<u64> { Ok($to) }
            fn from_cell($c: u64, _: &StoreInner) -> Self { $from }
        }
    )*};
}

num_ty! {
    i32 => I32, |self| u64::from(self as u32), |c| c as u32 as i32;
    u32 => I32, |self| u64::from(self), |c| c as u32;
    i64 => I64, |self| self as u64, |c| c as i64;
    u64 => I64, |self| self, |c| c;
    f32 => F32, |self| u64::from(self.to_bits()), |c| f32::from_bits(c as u32);
    f64 => F64, |self| self.to_bits(), |c| f64::from_bits(c);
}

impl WasmTy for Option<Func> {
    fn valtype() -> ValType {
        ValType::FUNCREF
    }
    fn into_cell(self, store: &StoreInner) -> Result<u64> {
        Val::FuncRef(self).to_cell(store)
    }
    fn from_cell(cell: u64, store: &StoreInner) -> Self {
        (cell != 0).then(|| Func::from_raw(store.id, (cell - 1) as u32))
    }
}

/// GC references as typed parameters and results: `Option<T>` is the
/// nullable reference type, `T` the non-nullable one. The handle types
/// guarantee their heap type, so no check is needed on the way in.
macro_rules! gc_ref_ty {
    ($($t:ident => $heap:ident;)*) => {$(
        impl WasmTy for Option<$t> {
            fn valtype() -> ValType {
                ValType::Ref(RefType { nullable: true, heap: HeapType::$heap })
            }
            fn into_cell(self, store: &StoreInner) -> Result<u64> {
                self.map_or(Ok(0), |r| r.cell(store))
            }
            fn from_cell(cell: u64, store: &StoreInner) -> Self {
                (cell != 0).then(|| $t::from_ref(store, GcRef(cell as u32)))
            }
        }

        impl WasmTy for $t {
            fn valtype() -> ValType {
                ValType::Ref(RefType { nullable: false, heap: HeapType::$heap })
            }
            fn into_cell(self, store: &StoreInner) -> Result<u64> {
                self.cell(store)
            }
            fn from_cell(cell: u64, store: &StoreInner) -> Self {
                $t::from_ref(store, GcRef(cell as u32))
            }
        }
    )*};
}

gc_ref_ty! {
    ExternRef => Extern;
    AnyRef => Any;
    EqRef => Eq;
    StructRef => Struct;
    ArrayRef => Array;
}

impl WasmTy for I31 {
    fn valtype() -> ValType {
        ValType::Ref(RefType {
            nullable: false,
            heap: HeapType::I31,
        })
    }
    fn into_cell(self, _: &StoreInner) -> Result<u64> {
        Ok(u64::from(GcRef::i31(self.get_u32()).0))
    }
    fn from_cell(cell: u64, _: &StoreInner) -> Self {
        I31::wrapping_u32(GcRef(cell as u32).i31_unsigned().unwrap_or(0))
    }
}

impl WasmTy for Option<I31> {
    fn valtype() -> ValType {
        ValType::Ref(RefType {
            nullable: true,
            heap: HeapType::I31,
        })
    }
    fn into_cell(self, store: &StoreInner) -> Result<u64> {
        self.map_or(Ok(0), |v| v.into_cell(store))
    }
    fn from_cell(cell: u64, store: &StoreInner) -> Self {
        (cell != 0).then(|| I31::from_cell(cell, store))
    }
}

impl WasmTy for Option<Exception> {
    fn valtype() -> ValType {
        ValType::Ref(RefType::EXNREF)
    }
    fn into_cell(self, store: &StoreInner) -> Result<u64> {
        Val::ExnRef(self).to_cell(store)
    }
    fn from_cell(cell: u64, store: &StoreInner) -> Self {
        match Val::from_cell(cell, ValType::Ref(RefType::EXNREF), store) {
            Val::ExnRef(e) => e,
            _ => None,
        }
    }
}

/// Parameter lists of typed functions: `()`, one `WasmTy`, or a tuple.
pub trait WasmParams: Send {
    /// The Wasm types.
    fn types() -> Vec<ValType>;
    #[doc(hidden)]
    fn into_cells(self, store: &StoreInner, out: &mut Vec<u64>) -> Result<()>;
}

/// Result lists of typed functions: `()`, one `WasmTy`, or a tuple.
pub trait WasmResults: Sized {
    /// The Wasm types.
    fn types() -> Vec<ValType>;
    #[doc(hidden)]
    fn count() -> usize;
    #[doc(hidden)]
    fn from_cells(cells: &[u64], store: &StoreInner) -> Self;
    #[doc(hidden)]
    fn into_cells(self, store: &StoreInner, out: &mut [u64]) -> Result<()>;
}

impl<A: WasmTy> WasmParams for A {
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn into_cells(self, store: &StoreInner, out: &mut Vec<u64>) -> Result<()> {
        out.push(self.into_cell(store)?);
        Ok(())
    }
}

impl<A: WasmTy> WasmResults for A {
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn count() -> usize {
        1
    }
    fn from_cells(cells: &[u64], store: &StoreInner) -> Self {
        A::from_cell(cells[0], store)
    }
    fn into_cells(self, store: &StoreInner, out: &mut [u64]) -> Result<()> {
        out[0] = self.into_cell(store)?;
        Ok(())
    }
}

macro_rules! tuples {
    ($(($($t:ident $i:tt),*);)*) => {$(
        impl<$($t: WasmTy),*> WasmParams for ($($t,)*) {
            fn types() -> Vec<ValType> { vec![$($t::valtype()),*] }
            #[allow(unused_variables)]
            fn into_cells(self, store: &StoreInner, out: &mut Vec<u64>) -> Result<()> {
                $(out.push(self.$i.into_cell(store)?);)*
                Ok(())
            }
        }
        impl<$($t: WasmTy),*> WasmResults for ($($t,)*) {
            fn types() -> Vec<ValType> { vec![$($t::valtype()),*] }
            fn count() -> usize { 0 $(+ { let _ = stringify!($t); 1 })* }
            #[allow(unused_variables, clippy::unused_unit)]
            fn from_cells(cells: &[u64], store: &StoreInner) -> Self {
                ($($t::from_cell(cells[$i], store),)*)
            }
            #[allow(unused_variables)]
            fn into_cells(self, store: &StoreInner, out: &mut [u64]) -> Result<()> {
                $(out[$i] = self.$i.into_cell(store)?;)*
                Ok(())
            }
        }
    )*};
}

tuples! {
    ();
    (A 0);
    (A 0, B 1);
    (A 0, B 1, C 2);
    (A 0, B 1, C 2, D 3);
    (A 0, B 1, C 2, D 3, E 4);
    (A 0, B 1, C 2, D 3, E 4, F 5);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
    (A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
}

/// What a host closure may return: results, or a `Result` of them.
pub trait WasmRet {
    /// The results.
    type Ok: WasmResults;
    #[doc(hidden)]
    fn into_result(self) -> Result<Self::Ok>;
}

impl<R: WasmResults> WasmRet for R {
    type Ok = R;
    fn into_result(self) -> Result<R> {
        Ok(self)
    }
}

impl<R: WasmResults> WasmRet for Result<R> {
    type Ok = R;
    fn into_result(self) -> Result<R> {
        self
    }
}

/// Rust closures usable as host functions: `Fn(A, B, ..) -> R` or
/// `Fn(Caller<T>, A, B, ..) -> R`.
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_host_func(self) -> (FuncType, Arc<HostFunc>);
}

macro_rules! into_func {
    ($(($($t:ident $i:tt),*);)*) => {$(
        impl<T: 'static, F, R, $($t: WasmTy),*> IntoFunc<T, ($($t,)*), R> for F
        where
            F: Fn($($t),*) -> R + Send + Sync + 'static,
            R: WasmRet,
        {
            fn into_host_func(self) -> (FuncType, Arc<HostFunc>) {
                let f = move |_: Caller<'_, T>, $($i: $t),*| self($($i),*);
                IntoFunc::<T, (Caller<'static, T>, $($t,)*), R>::into_host_func(f)
            }
        }

        impl<T: 'static, F, R, $($t: WasmTy),*> IntoFunc<T, (Caller<'static, T>, $($t,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($t),*) -> R + Send + Sync + 'static,
            R: WasmRet,
        {
            #[allow(unused_variables, unused_mut)]
            fn into_host_func(self) -> (FuncType, Arc<HostFunc>) {
                let params = vec![$($t::valtype()),*];
                let results = <R::Ok as WasmResults>::types();
                let ty = FuncType::new(params.clone(), results.clone());
                let callback: Box<HostCallback> = Box::new(move |store, data, cells| {
                    let mut k = 0;
                    $(let $i = $t::from_cell(cells[k], store); k += 1;)*
                    let _ = k;
                    let out = {
                        let caller = caller::<T>(store, data)?;
                        self(caller, $($i),*).into_result()?
                    };
                    out.into_cells(store, cells)
                });
                let host = HostFunc { callback, num_params: params.len(), num_results: results.len() };
                (ty, Arc::new(host))
            }
        }
    )*};
}

into_func! {
    ();
    (A1 a1);
    (A1 a1, A2 a2);
    (A1 a1, A2 a2, A3 a3);
    (A1 a1, A2 a2, A3 a3, A4 a4);
    (A1 a1, A2 a2, A3 a3, A4 a4, A5 a5);
    (A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6);
    (A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7);
    (A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7, A8 a8);
    (A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7, A8 a8, A9 a9);
    (A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7, A8 a8, A9 a9, A10 a10);
}
