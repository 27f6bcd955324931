//! Component functions ([`Func`]) and the two halves of the Canonical ABI's
//! calls: calling a lifted function (lower the arguments into the callee's
//! memory, run its core function, lift the result, run its post-return),
//! and the core function a `canon lower` makes (lift the arguments out of
//! the caller, call the component function, lower the result back). Values
//! cross between the two as [`Val`]s, so a call from one component into
//! another is the same two halves joined.

use crate::abi::{self, AbiCx, AbiError, Flat, MAX_FLAT_PARAMS, MAX_FLAT_RESULTS, StringEncoding};
use crate::flat::{self, FlatVal};
use crate::handles::{Handle, ResourceAny};
use crate::resources::{ResourceError, ScopeId};
use crate::state::state;
use crate::values::{FuncType, Type, Val};
use std::any::Any;
use std::sync::Arc;
use weft::{AsContextMut, Error, Result, StoreContextMut};

/// A host function for stores of data `T`.
pub(crate) type HostFn<T> =
    Arc<dyn Fn(StoreContextMut<'_, T>, &[Val]) -> Result<Option<Val>> + Send + Sync>;

/// A component function: lifted from a core function of an instance, or
/// defined by the host.
#[derive(Clone)]
pub struct Func(Arc<FuncKind>);

impl std::fmt::Debug for Func {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Func").field("ty", self.ty()).finish()
    }
}

pub(crate) enum FuncKind {
    Lifted(Lifted),
    /// `f` is a [`HostFn<T>`] for the store's `T`.
    Host {
        sig: Arc<Signature>,
        f: Arc<dyn Any + Send + Sync>,
    },
}

/// A function type and the shape of its flat form, worked out once.
pub(crate) struct Signature {
    pub ty: FuncType,
    /// The parameters' flat values exceed [`MAX_FLAT_PARAMS`]: they pass
    /// in memory.
    pub params_spill: bool,
    /// Likewise the result.
    pub result_spill: bool,
    /// The result's flat types (when it does not spill).
    pub flat_results: Vec<Flat>,
    /// Lowering the parameters may call the callee's `realloc` (strings,
    /// lists, or a spill): only then must the callee be kept from calling
    /// out meanwhile.
    pub params_realloc: bool,
}

/// Whether storing a value of type `ty` allocates in guest memory.
fn allocates(ty: &Type) -> bool {
    match ty {
        Type::String | Type::List(_) | Type::Map(..) => true,
        Type::Record(fs) => fs.iter().any(|(_, t)| allocates(t)),
        Type::Tuple(ts) => ts.iter().any(allocates),
        Type::Variant(cs) => cs.iter().any(|(_, t)| t.as_ref().is_some_and(allocates)),
        Type::Option(t) => allocates(t),
        Type::Result { ok, err } => {
            ok.as_deref().is_some_and(allocates) || err.as_deref().is_some_and(allocates)
        }
        _ => false,
    }
}

impl Signature {
    pub fn new(ty: FuncType) -> Signature {
        let params: Vec<&Type> = ty.params.iter().map(|(_, t)| t).collect();
        let flat_results = flat_types(&ty.result.iter().collect::<Vec<_>>());
        let params_spill = flat_types(&params).len() > MAX_FLAT_PARAMS;
        Signature {
            params_realloc: params_spill || params.iter().any(|t| allocates(t)),
            params_spill,
            result_spill: flat_results.len() > MAX_FLAT_RESULTS,
            flat_results,
            ty,
        }
    }

    /// The flat types of the results of the core function a lifted
    /// function calls (none, one, or the pointer to a spilled result).
    fn core_results(&self) -> &[Flat] {
        if self.result_spill {
            &[Flat::I32]
        } else {
            &self.flat_results
        }
    }
}

/// A core function lifted with its canonical options, in its instance.
pub(crate) struct Lifted {
    pub core: weft::Func,
    pub sig: Arc<Signature>,
    pub options: Options,
    pub instance: u32,
}

/// Canonical options resolved to store objects.
#[derive(Clone, Default)]
pub(crate) struct Options {
    pub memory: Option<weft::Memory>,
    pub realloc: Option<weft::Func>,
    pub post_return: Option<weft::Func>,
    pub encoding: StringEncoding,
}

fn trap(message: impl Into<String>) -> Error {
    weft::__component_hooks::canonical_abi_trap(message)
}

impl Func {
    pub(crate) fn lifted(l: Lifted) -> Func {
        Func(Arc::new(FuncKind::Lifted(l)))
    }

    pub(crate) fn host<T: 'static>(ty: FuncType, f: HostFn<T>) -> Func {
        Func(Arc::new(FuncKind::Host {
            sig: Arc::new(Signature::new(ty)),
            f: Arc::new(f),
        }))
    }

    fn sig(&self) -> &Signature {
        match &*self.0 {
            FuncKind::Lifted(l) => &l.sig,
            FuncKind::Host { sig, .. } => sig,
        }
    }

    /// The function's signature.
    pub fn ty(&self) -> &FuncType {
        &self.sig().ty
    }

    /// The parameter types.
    pub fn params(&self) -> Vec<Type> {
        self.ty().params.iter().map(|(_, t)| t.clone()).collect()
    }

    /// The result types (none or one).
    pub fn results(&self) -> Vec<Type> {
        self.ty().result.iter().cloned().collect()
    }

    /// Calls the function with `params`, writing its result (if any) to
    /// `results`. A lifted function's post-return runs before this
    /// returns, so the values are copied out first.
    pub fn call<T: 'static>(
        &self,
        mut store: impl AsContextMut<Data = T>,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let ty = self.ty();
        if results.len() != usize::from(ty.result.is_some()) {
            return Err(Error::Usage(format!(
                "expected {} result slots, got {}",
                usize::from(ty.result.is_some()),
                results.len()
            )));
        }
        let mut cx = store.as_context_mut();
        if let Some(v) = self.invoke(&mut cx, params, false)? {
            results[0] = v;
        }
        Ok(())
    }

    /// This function with Rust parameter types `P` and result types `R`,
    /// checked against its signature.
    pub fn typed<P: crate::LowerList, R: crate::LiftList>(&self) -> Result<crate::TypedFunc<P, R>> {
        crate::TypedFunc::new(self.clone())
    }

    /// Does nothing: weft runs a function's post-return at the end of its
    /// call. Kept so code written for other runtimes compiles unchanged.
    pub fn post_return(&self, _store: impl AsContextMut) -> Result<()> {
        Ok(())
    }

    /// Calls the function; `between` says the caller is another component
    /// (which changes nothing but the wording of some traps).
    pub(crate) fn invoke<T: 'static>(
        &self,
        cx: &mut StoreContextMut<'_, T>,
        args: &[Val],
        between: bool,
    ) -> Result<Option<Val>> {
        let ty = self.ty();
        if args.len() != ty.params.len() {
            return Err(Error::Usage(format!(
                "expected {} arguments, got {}",
                ty.params.len(),
                args.len()
            )));
        }
        match &*self.0 {
            FuncKind::Lifted(l) => call_lifted(cx, l, args, between),
            FuncKind::Host { f, .. } => {
                let f = f.downcast_ref::<HostFn<T>>().ok_or_else(|| {
                    Error::Usage("a host function defined for another store data type".into())
                })?;
                let out = f(cx.as_context_mut(), args)?;
                if out.is_some() != ty.result.is_some() {
                    return Err(Error::Usage(
                        "the host function's result count is wrong".into(),
                    ));
                }
                Ok(out)
            }
        }
    }
}

/// The guest side of a call in progress: its options, instance and scope.
struct GuestCx<'a, 'b, T> {
    cx: &'a mut StoreContextMut<'b, T>,
    options: &'a Options,
    instance: u32,
    scope: ScopeId,
    /// An error from Wasm the guest's `realloc` ran, to report as it is.
    failed: Option<Error>,
}

impl<T: 'static> AbiCx for GuestCx<'_, '_, T> {
    fn bytes(&mut self) -> &mut [u8] {
        match self.options.memory {
            Some(m) => m.data_mut(&mut *self.cx),
            None => &mut [],
        }
    }

    fn realloc(&mut self, align: u32, size: u32) -> Result<u32, AbiError> {
        let f = self.options.realloc.ok_or(AbiError::Missing("realloc"))?;
        let args = [0, 0, u64::from(align), u64::from(size)];
        let mut out = [0u64];
        match weft::__component_hooks::call_numeric(self.cx, &f, &args, &mut out) {
            Ok(()) => Ok(out[0] as u32),
            Err(e) => {
                let message = e.to_string();
                self.failed = Some(e);
                Err(AbiError::Other(message))
            }
        }
    }

    fn encoding(&self) -> StringEncoding {
        self.options.encoding
    }

    fn lift_handle(&mut self, ty: &Type, handle: u32) -> Result<Val, AbiError> {
        let (inst, scope) = (self.instance, self.scope);
        let st = state(self.cx);
        let table = &mut st.instances[inst as usize].table;
        Ok(Val::Resource(match ty {
            Type::Own(rt) => {
                let rep = table.lift_own(handle, *rt)?;
                ResourceAny::own(*rt, st.host.new_own(rep, *rt)?)
            }
            Type::Borrow(rt) => {
                let (rep, lent) = table.lift_borrow(handle, *rt)?;
                if lent {
                    st.scopes.record_lend(scope, inst, handle)?;
                }
                ResourceAny::borrow(*rt, rep, scope)
            }
            _ => return Err(AbiError::TypeMismatch(format!("{ty:?}"))),
        }))
    }

    fn lower_handle(&mut self, ty: &Type, val: &Val) -> Result<u32, AbiError> {
        let (inst, scope) = (self.instance, self.scope);
        let st = state(self.cx);
        let mismatch = || AbiError::TypeMismatch(format!("{ty:?}"));
        let Val::Resource(any) = val else {
            return Err(mismatch());
        };
        let (Type::Own(rt) | Type::Borrow(rt)) = ty else {
            return Err(mismatch());
        };
        // What the host holds is the host's to get right: its misuse is an
        // error of the call, not a trap of the guest.
        let host = |e: ResourceError| AbiError::Host(e.to_string());
        if any.ty() != *rt {
            let found = any.ty();
            let other = if found.is_host() == rt.is_host() {
                "a different "
            } else {
                ""
            };
            return Err(AbiError::Host(format!(
                "resource used with the wrong type, expected {rt} but found {other}{found}"
            )));
        }
        match (ty, any.handle()) {
            (Type::Own(_), Handle::Own(h)) => {
                let rep = st.host.lift_own(h, *rt).map_err(host)?;
                Ok(st.instances[inst as usize].table.new_own(rep, *rt)?)
            }
            (Type::Own(_), Handle::Borrow { .. }) => Err(host(ResourceError::OwnFromBorrow)),
            (_, handle) => {
                let rep = match handle {
                    // The host lends what it owns for the call: it cannot
                    // drop or give it away until the call returns.
                    Handle::Own(h) => {
                        let (rep, _) = st.host.lift_borrow(h, *rt).map_err(host)?;
                        st.scopes
                            .record_lend(scope, crate::state::HOST_TABLE, h)
                            .map_err(host)?;
                        rep
                    }
                    Handle::Borrow { rep, scope } => {
                        if scope.is_some_and(|s| !st.scopes.is_open(s)) {
                            return Err(AbiError::Host(
                                "a borrowed resource used after its call returned".into(),
                            ));
                        }
                        rep
                    }
                };
                // The instance that defines the type gets the representation.
                if rt.defined_by(inst) {
                    return Ok(rep);
                }
                let h = st.instances[inst as usize]
                    .table
                    .new_borrow(rep, *rt, scope)?;
                st.scopes.add_borrow(scope)?;
                Ok(h)
            }
        }
    }
}

impl<T: 'static> GuestCx<'_, '_, T> {
    /// `e` as the error the call fails with.
    fn fail(&mut self, e: AbiError, between: bool) -> Error {
        if let Some(inner) = self.failed.take() {
            return inner;
        }
        match e {
            AbiError::TypeMismatch(m) => Error::Usage(format!("value does not match type {m}")),
            AbiError::Host(m) => Error::Usage(m),
            e if between => trap(e.between_components()),
            e => trap(e.to_string()),
        }
    }
}

thread_local! {
    /// A buffer for the flat arguments of a call, kept between calls so
    /// that a call allocates none (a nested call makes its own).
    static FLAT_BUFFER: std::cell::Cell<Vec<FlatVal>> = const { std::cell::Cell::new(Vec::new()) };
}

fn take_buffer() -> Vec<FlatVal> {
    let mut v = FLAT_BUFFER.take();
    v.clear();
    v
}

fn give_buffer(v: Vec<FlatVal>) {
    FLAT_BUFFER.set(v);
}

fn flat_types(tys: &[&Type]) -> Vec<Flat> {
    let mut out = Vec::new();
    for t in tys {
        abi::flatten(t, &mut out);
    }
    out
}

fn to_core(v: FlatVal) -> weft::Val {
    match v.ty {
        Flat::I32 => weft::Val::I32(v.bits as u32 as i32),
        Flat::I64 => weft::Val::I64(v.bits as i64),
        Flat::F32 => weft::Val::F32(v.bits as u32),
        Flat::F64 => weft::Val::F64(v.bits),
    }
}

fn from_core(v: &weft::Val) -> FlatVal {
    let (ty, bits) = match *v {
        weft::Val::I32(x) => (Flat::I32, u64::from(x as u32)),
        weft::Val::I64(x) => (Flat::I64, x as u64),
        weft::Val::F32(x) => (Flat::F32, u64::from(x)),
        weft::Val::F64(x) => (Flat::F64, x),
        _ => (Flat::I32, 0),
    };
    FlatVal { ty, bits }
}

fn core_type(f: Flat) -> weft::ValType {
    match f {
        Flat::I32 => weft::ValType::I32,
        Flat::I64 => weft::ValType::I64,
        Flat::F32 => weft::ValType::F32,
        Flat::F64 => weft::ValType::F64,
    }
}

/// The tuple of `tys`, for values spilled to memory.
fn tuple(tys: &[&Type]) -> Type {
    Type::Tuple(tys.iter().map(|t| (*t).clone()).collect())
}

/// Closes `scope` after a call that ended with `outcome`.
fn close(
    st: &mut crate::state::State,
    scope: ScopeId,
    outcome: Result<Option<Val>>,
) -> Result<Option<Val>> {
    let exit = st.exit_scope(scope);
    let v = outcome?;
    exit.map_err(|e| trap(e.to_string()))?;
    Ok(v)
}

/// Calls lifted function `f` with `args`.
fn call_lifted<T: 'static>(
    cx: &mut StoreContextMut<'_, T>,
    f: &Lifted,
    args: &[Val],
    between: bool,
) -> Result<Option<Val>> {
    let st = state(cx);
    let inst = f.instance as usize;
    if !st.instances[inst].may_enter {
        return Err(trap("cannot enter component instance"));
    }
    let scope = st.scopes.enter();
    st.contexts.push([0; crate::state::CONTEXT_SLOTS]);
    let outcome = run_lifted(cx, f, args, between, scope);
    let st = state(cx);
    st.contexts.pop();
    st.instances[inst].may_leave = true;
    close(st, scope, outcome)
}

fn run_lifted<T: 'static>(
    cx: &mut StoreContextMut<'_, T>,
    f: &Lifted,
    args: &[Val],
    between: bool,
    scope: ScopeId,
) -> Result<Option<Val>> {
    let inst = f.instance as usize;
    let sig = &*f.sig;
    let mut g = GuestCx {
        cx,
        options: &f.options,
        instance: f.instance,
        scope,
        failed: None,
    };
    // Lower the arguments into the callee, which may not call out meanwhile.
    if sig.params_realloc {
        state(g.cx).instances[inst].may_leave = false;
    }
    let mut flat = take_buffer();
    let lowered = if !sig.params_spill {
        sig.ty
            .params
            .iter()
            .zip(args)
            .try_for_each(|((_, t), v)| flat::lower(&mut g, v, t, &mut flat))
    } else {
        let params: Vec<&Type> = sig.ty.params.iter().map(|(_, t)| t).collect();
        let tuple_ty = tuple(&params);
        let ptr = abi::AbiCx::realloc(&mut g, abi::alignment(&tuple_ty), abi::size(&tuple_ty));
        ptr.and_then(|p| {
            check_block(&mut g, p, &tuple_ty)?;
            flat.push(FlatVal {
                ty: Flat::I32,
                bits: u64::from(p),
            });
            abi::store(&mut g, p, &Val::Tuple(args.to_vec()), &tuple_ty)
        })
    };
    if let Err(e) = lowered {
        return Err(g.fail(e, between));
    }
    if sig.params_realloc {
        state(g.cx).instances[inst].may_leave = true;
    }
    // At most 16 flat parameters (or one pointer) and one flat result.
    let mut cells = [0u64; MAX_FLAT_PARAMS];
    for (cell, v) in cells.iter_mut().zip(&flat) {
        *cell = v.bits;
    }
    let n_args = flat.len();
    give_buffer(flat);
    let result_types = sig.core_results();
    let mut out = [0u64; MAX_FLAT_RESULTS];
    let out = &mut out[..result_types.len()];
    weft::__component_hooks::call_numeric(g.cx, &f.core, &cells[..n_args], out)?;
    // Lift the result out of the callee.
    let result = match &sig.ty.result {
        None => None,
        Some(rt) => {
            let lifted = if !sig.result_spill {
                let mut it = out.iter().zip(result_types).map(|(bits, ty)| FlatVal {
                    ty: *ty,
                    bits: *bits,
                });
                flat::lift(&mut g, &mut it, rt)
            } else {
                abi::load(&mut g, out[0] as u32, rt)
            };
            Some(lifted.map_err(|e| g.fail(e, between))?)
        }
    };
    if let Some(post) = f.options.post_return {
        state(g.cx).instances[inst].may_leave = false;
        weft::__component_hooks::call_numeric(g.cx, &post, out, &mut [])?;
        state(g.cx).instances[inst].may_leave = true;
    }
    Ok(result)
}

/// Checks that a block the guest's `realloc` gave for `ty` is aligned and
/// in bounds.
fn check_block(cx: &mut dyn AbiCx, p: u32, ty: &Type) -> Result<(), AbiError> {
    if !p.is_multiple_of(abi::alignment(ty)) {
        return Err(AbiError::ReallocUnaligned);
    }
    let end = u64::from(p) + u64::from(abi::size(ty));
    if end > cx.bytes().len() as u64 {
        return Err(AbiError::ReallocBounds);
    }
    Ok(())
}

/// The core signature of `ty` lowered (`canon lower`).
pub(crate) fn lowered_core_type(ty: &FuncType) -> weft::FuncType {
    let params: Vec<&Type> = ty.params.iter().map(|(_, t)| t).collect();
    let mut core_params: Vec<weft::ValType> =
        flat_types(&params).into_iter().map(core_type).collect();
    if core_params.len() > MAX_FLAT_PARAMS {
        core_params = vec![weft::ValType::I32];
    }
    let mut core_results = Vec::new();
    if let Some(rt) = &ty.result {
        let flat = flat_types(&[rt]);
        if flat.len() > MAX_FLAT_RESULTS {
            core_params.push(weft::ValType::I32);
        } else {
            core_results = flat.into_iter().map(core_type).collect();
        }
    }
    weft::FuncType::new(core_params, core_results)
}

/// The body of a lowered function: `callee` called from core Wasm of
/// component instance `instance` with canonical options `options`.
pub(crate) fn call_lowered<T: 'static>(
    mut cx: StoreContextMut<'_, T>,
    callee: &Func,
    options: &Options,
    instance: u32,
    args: &[weft::Val],
    results: &mut [weft::Val],
) -> Result<()> {
    let st = state(&mut cx);
    let inst = instance as usize;
    if !st.instances[inst].may_leave {
        return Err(trap("cannot leave component instance"));
    }
    let scope = st.scopes.enter();
    let outcome = run_lowered(&mut cx, callee, options, instance, scope, args, results);
    let st = state(&mut cx);
    st.instances[inst].may_enter = true;
    st.instances[inst].may_leave = true;
    close(st, scope, outcome).map(drop)
}

fn run_lowered<T: 'static>(
    cx: &mut StoreContextMut<'_, T>,
    callee: &Func,
    options: &Options,
    instance: u32,
    scope: ScopeId,
    args: &[weft::Val],
    results: &mut [weft::Val],
) -> Result<Option<Val>> {
    let inst = instance as usize;
    let sig = callee.sig();
    let ty = &sig.ty;
    let between = matches!(&*callee.0, FuncKind::Lifted(_));
    let params: Vec<&Type> = ty.params.iter().map(|(_, t)| t).collect();
    let mut g = GuestCx {
        cx,
        options,
        instance,
        scope,
        failed: None,
    };
    // Lift the arguments out of the caller.
    let lifted: Result<Vec<Val>, AbiError> = if sig.params_spill {
        let p = from_core(&args[0]).bits as u32;
        abi::load(&mut g, p, &tuple(&params)).map(|v| match v {
            Val::Tuple(vs) => vs,
            _ => unreachable!("a tuple loads as a tuple"),
        })
    } else {
        let mut it = args.iter().map(from_core);
        params
            .iter()
            .map(|t| flat::lift(&mut g, &mut it, t))
            .collect()
    };
    let vals = lifted.map_err(|e| g.fail(e, between))?;
    state(g.cx).instances[inst].may_enter = false;
    let result = callee.invoke(g.cx, &vals, true)?;
    state(g.cx).instances[inst].may_enter = true;
    // Lower the result into the caller, which may not call out meanwhile.
    if let (Some(rt), Some(v)) = (&ty.result, &result) {
        state(g.cx).instances[inst].may_leave = false;
        let lowered = if !sig.result_spill {
            let mut flat = Vec::new();
            flat::lower(&mut g, v, rt, &mut flat).map(|()| {
                for (slot, f) in results.iter_mut().zip(flat) {
                    *slot = to_core(f);
                }
            })
        } else {
            let retptr = from_core(args.last().expect("the return pointer")).bits as u32;
            abi::store(&mut g, retptr, v, rt)
        };
        lowered.map_err(|e| g.fail(e, between))?;
    }
    Ok(None)
}
