//! Instantiation: running a [`Plan`]'s steps against its imports, building
//! the index spaces of one component instance (core instances made by
//! weft, lifted and lowered functions, nested component instances) and its
//! exports, and [`Instance`], what the embedder gets back.

use crate::component::ItemKind;
use crate::func::{Func, Lifted, Options, Signature, call_lowered, lowered_core_type};
use crate::handles::destroy;
use crate::resources::{Dropped, ResourceType};
use crate::state::state;
use crate::translate::{CoreSort, ImportTy, OptionIndices, Plan, Step};
use crate::values::{FuncType, Type};
use std::collections::HashMap;
use std::sync::Arc;
use weft::{AsContext, Engine, Error, Extern, Result, StoreContextMut};

/// A runtime item of a component-level index space.
#[derive(Clone)]
pub(crate) enum Item {
    Module(weft::Module),
    Component(ComponentRef),
    Instance(Arc<Exports>),
    Func(Func),
    Type(Option<ResourceType>),
}

impl Item {
    fn sort(&self) -> ItemKind {
        match self {
            Item::Module(_) => ItemKind::Module,
            Item::Component(_) => ItemKind::Component,
            Item::Instance(_) => ItemKind::Instance,
            Item::Func(_) => ItemKind::Func,
            Item::Type(_) => ItemKind::Type,
        }
    }
}

/// A component in an index space: its plan, and what it closes over.
#[derive(Clone)]
pub(crate) struct ComponentRef {
    plan: Arc<Plan>,
    env: Option<Arc<Env>>,
}

/// What a nested component closes over: the index spaces of the component
/// that defined it as they were at its definition (which its outer aliases
/// name), the resource types bound there, and that component's own
/// environment in turn.
pub(crate) struct Env {
    modules: Vec<weft::Module>,
    components: Vec<ComponentRef>,
    keys: Keys,
    parent: Option<Arc<Env>>,
}

/// The exports of a component instance, by name.
#[derive(Clone, Default)]
pub(crate) struct Exports(pub Vec<(String, Item)>);

impl Exports {
    pub fn get(&self, name: &str) -> Option<&Item> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, i)| i)
    }
}

/// Where a component's imports come from.
pub(crate) trait ImportSource<T> {
    /// The item for import `name` of type `ty`, binding the resource types
    /// inside it in `keys`.
    fn import(
        &self,
        cx: &mut StoreContextMut<'_, T>,
        name: &str,
        ty: &ImportTy,
        keys: &mut Keys,
    ) -> Result<Item>;
}

/// Resource type keys bound to runtime types.
pub(crate) type Keys = HashMap<u32, ResourceType>;

/// Arguments given by an enclosing component.
struct Given(Vec<(String, Item)>);

impl<T> ImportSource<T> for Given {
    fn import(
        &self,
        _cx: &mut StoreContextMut<'_, T>,
        name: &str,
        ty: &ImportTy,
        keys: &mut Keys,
    ) -> Result<Item> {
        let item = self
            .0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, i)| i.clone())
            .ok_or_else(|| Error::Usage(format!("component import `{name}` was not given")))?;
        bind(&item, ty, keys);
        Ok(item)
    }
}

/// Binds the resource types of `ty` to those of `item`.
fn bind(item: &Item, ty: &ImportTy, keys: &mut Keys) {
    match (item, ty) {
        (Item::Type(Some(rt)), ImportTy::Type(Some(key))) => {
            keys.insert(*key, *rt);
        }
        (Item::Instance(exports), ImportTy::Instance(tys)) => {
            for (name, t) in tys {
                if let Some(i) = exports.get(name) {
                    bind(i, t, keys);
                }
            }
        }
        _ => {}
    }
}

/// `ty` with its resource placeholders replaced by their runtime types.
pub(crate) fn resolve(ty: &Type, keys: &Keys) -> Result<Type> {
    let r = |t: &Type| resolve(t, keys);
    let rt = |res: &ResourceType| -> Result<ResourceType> {
        match res.unresolved_key() {
            None => Ok(*res),
            Some(k) => keys.get(&k).copied().ok_or_else(|| {
                Error::Unsupported("components: a resource type instantiation cannot name".into())
            }),
        }
    };
    Ok(match ty {
        Type::List(t) => Type::List(Box::new(r(t)?)),
        Type::Map(k, v) => Type::Map(Box::new(r(k)?), Box::new(r(v)?)),
        Type::Record(fs) => Type::Record(
            fs.iter()
                .map(|(n, t)| Ok((n.clone(), r(t)?)))
                .collect::<Result<_>>()?,
        ),
        Type::Tuple(ts) => Type::Tuple(ts.iter().map(r).collect::<Result<_>>()?),
        Type::Variant(cs) => Type::Variant(
            cs.iter()
                .map(|(n, t)| Ok((n.clone(), t.as_ref().map(r).transpose()?)))
                .collect::<Result<_>>()?,
        ),
        Type::Option(t) => Type::Option(Box::new(r(t)?)),
        Type::Result { ok, err } => Type::Result {
            ok: ok.as_deref().map(r).transpose()?.map(Box::new),
            err: err.as_deref().map(r).transpose()?.map(Box::new),
        },
        Type::Own(res) => Type::Own(rt(res)?),
        Type::Borrow(res) => Type::Borrow(rt(res)?),
        other => other.clone(),
    })
}

/// A function type with its resources resolved.
pub(crate) fn resolve_func(ty: &FuncType, keys: &Keys) -> Result<FuncType> {
    Ok(FuncType {
        params: ty
            .params
            .iter()
            .map(|(n, t)| Ok((n.clone(), resolve(t, keys)?)))
            .collect::<Result<_>>()?,
        result: ty.result.as_ref().map(|t| resolve(t, keys)).transpose()?,
    })
}

/// A core instance: made by weft, or a bag of core items.
enum CoreInstance {
    Real(weft::Instance),
    Bag(Vec<(String, Extern)>),
}

/// The index spaces of an instance being built.
#[derive(Default)]
struct Spaces {
    modules: Vec<weft::Module>,
    components: Vec<ComponentRef>,
    instances: Vec<Arc<Exports>>,
    funcs: Vec<Func>,
    types: Vec<Option<ResourceType>>,
    core_instances: Vec<CoreInstance>,
    core_funcs: Vec<weft::Func>,
    memories: Vec<weft::Memory>,
    tables: Vec<weft::Table>,
    globals: Vec<weft::Global>,
    tags: Vec<weft::Tag>,
}

fn link_error(what: String) -> Error {
    Error::Usage(what)
}

impl Spaces {
    fn item(&self, sort: ItemKind, index: u32) -> Result<Item> {
        let i = index as usize;
        let missing = || link_error(format!("no {sort:?} {index} in the component"));
        Ok(match sort {
            ItemKind::Module => Item::Module(self.modules.get(i).ok_or_else(missing)?.clone()),
            ItemKind::Component => {
                Item::Component(self.components.get(i).ok_or_else(missing)?.clone())
            }
            ItemKind::Instance => {
                Item::Instance(self.instances.get(i).ok_or_else(missing)?.clone())
            }
            ItemKind::Func => Item::Func(self.funcs.get(i).ok_or_else(missing)?.clone()),
            ItemKind::Type => Item::Type(*self.types.get(i).ok_or_else(missing)?),
            ItemKind::Value => return Err(Error::Unsupported("components: values".into())),
        })
    }

    fn push(&mut self, item: Item) {
        match item {
            Item::Module(m) => self.modules.push(m),
            Item::Component(c) => self.components.push(c),
            Item::Instance(i) => self.instances.push(i),
            Item::Func(f) => self.funcs.push(f),
            Item::Type(t) => self.types.push(t),
        }
    }

    fn core_extern(&self, sort: CoreSort, index: u32) -> Extern {
        let i = index as usize;
        match sort {
            CoreSort::Func => Extern::Func(self.core_funcs[i]),
            CoreSort::Table => Extern::Table(self.tables[i]),
            CoreSort::Memory => Extern::Memory(self.memories[i]),
            CoreSort::Global => Extern::Global(self.globals[i]),
            CoreSort::Tag => Extern::Tag(self.tags[i]),
        }
    }

    fn push_core(&mut self, e: Extern) {
        match e {
            Extern::Func(f) => self.core_funcs.push(f),
            Extern::Table(t) => self.tables.push(t),
            Extern::Memory(m) => self.memories.push(m),
            Extern::Global(g) => self.globals.push(g),
            Extern::Tag(t) => self.tags.push(t),
        }
    }

    fn core_exports<T>(&self, cx: &StoreContextMut<'_, T>, instance: u32) -> Vec<(String, Extern)> {
        match &self.core_instances[instance as usize] {
            CoreInstance::Real(i) => i.exports(cx),
            CoreInstance::Bag(items) => items.clone(),
        }
    }

    fn options(&self, o: &OptionIndices) -> Options {
        Options {
            memory: o.memory.map(|i| self.memories[i as usize]),
            realloc: o.realloc.map(|i| self.core_funcs[i as usize]),
            post_return: o.post_return.map(|i| self.core_funcs[i as usize]),
            encoding: o.encoding,
        }
    }
}

fn core_sort(e: &Extern) -> CoreSort {
    match e {
        Extern::Func(_) => CoreSort::Func,
        Extern::Table(_) => CoreSort::Table,
        Extern::Memory(_) => CoreSort::Memory,
        Extern::Global(_) => CoreSort::Global,
        Extern::Tag(_) => CoreSort::Tag,
    }
}

/// Traps unless instance `id` may call out (every built-in checks first).
fn check_may_leave<T>(cx: &mut StoreContextMut<'_, T>, id: u32) -> Result<()> {
    if state(cx).instances[id as usize].may_leave {
        Ok(())
    } else {
        Err(weft::__component_hooks::canonical_abi_trap(
            "cannot leave component instance",
        ))
    }
}

fn core_trap(e: crate::resources::ResourceError) -> Error {
    weft::__component_hooks::canonical_abi_trap(e.to_string())
}

/// Builds one instance of `plan`, its imports from `imports`, its outer
/// aliases resolved in `env`; its exports.
pub(crate) fn instantiate<T: 'static>(
    cx: &mut StoreContextMut<'_, T>,
    engine: &Engine,
    plan: &Plan,
    imports: &dyn ImportSource<T>,
    env: Option<&Arc<Env>>,
) -> Result<Exports> {
    let id = state(cx).new_instance();
    let mut keys = env.map(|e| e.keys.clone()).unwrap_or_default();
    let mut s = Spaces::default();
    let mut exports = Exports::default();
    for step in &plan.steps {
        match step {
            Step::Import { name, sort, ty } => {
                let item = imports.import(cx, name, ty, &mut keys)?;
                if item.sort() != *sort {
                    return Err(link_error(format!(
                        "component import `{name}` is a {:?}, not a {sort:?}",
                        item.sort()
                    )));
                }
                s.push(item);
            }
            Step::CoreModule(n) => s.modules.push(plan.modules[*n as usize].clone()),
            Step::Component(n) => {
                let closure = Env {
                    modules: s.modules.clone(),
                    components: s.components.clone(),
                    keys: keys.clone(),
                    parent: env.cloned(),
                };
                s.components.push(ComponentRef {
                    plan: plan.components[*n as usize].clone(),
                    env: Some(Arc::new(closure)),
                });
            }
            Step::Outer {
                module,
                count,
                index,
            } => {
                let i = *index as usize;
                let (modules, components) = if *count == 0 {
                    (&s.modules, &s.components)
                } else {
                    let mut at = env;
                    for _ in 1..*count {
                        at = at.and_then(|e| e.parent.as_ref());
                    }
                    let e =
                        at.ok_or_else(|| link_error("an outer alias past the outermost".into()))?;
                    (&e.modules, &e.components)
                };
                let missing = || link_error(format!("no outer item {index}"));
                if *module {
                    let m = modules.get(i).cloned().ok_or_else(missing)?;
                    s.modules.push(m);
                } else {
                    let c = components.get(i).cloned().ok_or_else(missing)?;
                    s.components.push(c);
                }
            }
            Step::CoreInstantiate { module, args } => {
                let mut linker = weft::Linker::<T>::new(engine);
                for (name, instance) in args {
                    for (item, ext) in s.core_exports(cx, *instance) {
                        linker.define(&*cx, name, &item, ext)?;
                    }
                }
                let instance = linker.instantiate(&mut *cx, &s.modules[*module as usize])?;
                s.core_instances.push(CoreInstance::Real(instance));
            }
            Step::CoreFromExports(items) => {
                let bag = items
                    .iter()
                    .map(|(n, sort, i)| (n.clone(), s.core_extern(*sort, *i)))
                    .collect();
                s.core_instances.push(CoreInstance::Bag(bag));
            }
            Step::CoreAlias {
                instance,
                name,
                sort,
            } => {
                let ext = match &s.core_instances[*instance as usize] {
                    CoreInstance::Real(i) => i.get_export(&*cx, name),
                    CoreInstance::Bag(items) => {
                        items.iter().find(|(n, _)| n == name).map(|(_, e)| *e)
                    }
                }
                .ok_or_else(|| link_error(format!("core instance has no export `{name}`")))?;
                if core_sort(&ext) != *sort {
                    return Err(link_error(format!(
                        "core export `{name}` is not a {sort:?}"
                    )));
                }
                s.push_core(ext);
            }
            Step::Alias {
                instance,
                name,
                sort,
                bind: key,
            } => {
                let item = s.instances[*instance as usize]
                    .get(name)
                    .cloned()
                    .ok_or_else(|| link_error(format!("instance has no export `{name}`")))?;
                if item.sort() != *sort {
                    return Err(link_error(format!("export `{name}` is not a {sort:?}")));
                }
                if let (Some(k), Item::Type(Some(rt))) = (key, &item) {
                    keys.insert(*k, *rt);
                }
                s.push(item);
            }
            Step::Type(None) => s.types.push(None),
            Step::Type(Some(def)) if def.outer => s.types.push(keys.get(&def.key).copied()),
            Step::Type(Some(def)) => {
                let rt = ResourceType::fresh_guest(id);
                keys.insert(def.key, rt);
                if let Some(dtor) = def.dtor {
                    let f = s.core_funcs[dtor as usize];
                    state(cx).guest_dtors.insert(rt, f);
                }
                s.types.push(Some(rt));
            }
            Step::Lift {
                core_func,
                ty,
                options,
            } => {
                let sig = Arc::new(Signature::new(resolve_func(ty, &keys)?));
                s.funcs.push(Func::lifted(Lifted {
                    core: s.core_funcs[*core_func as usize],
                    sig,
                    options: s.options(options),
                    instance: id,
                }));
            }
            Step::Lower { func, options } => {
                let callee = s.funcs[*func as usize].clone();
                let options = s.options(options);
                let core_ty = lowered_core_type(callee.ty());
                let f = weft::Func::new(&mut *cx, core_ty, move |mut caller, args, results| {
                    let cx = weft::AsContextMut::as_context_mut(&mut caller);
                    call_lowered(cx, &callee, &options, id, args, results)
                });
                s.core_funcs.push(f);
            }
            Step::Refused { name, ty } => {
                let name = name.clone();
                let f = weft::Func::new(&mut *cx, ty.clone(), move |mut caller, _, _| {
                    let mut cx = weft::AsContextMut::as_context_mut(&mut caller);
                    check_may_leave(&mut cx, id)?;
                    Err(Error::Unsupported(format!(
                        "components: the built-in {name} (asynchronous and threaded components)"
                    )))
                });
                s.core_funcs.push(f);
            }
            Step::ContextGet(slot) | Step::ContextSet(slot) => {
                let (slot, get) = (*slot as usize, matches!(step, Step::ContextGet(_)));
                let ty = if get {
                    weft::FuncType::new([], [weft::ValType::I32])
                } else {
                    weft::FuncType::new([weft::ValType::I32], [])
                };
                let f = weft::Func::new(&mut *cx, ty, move |mut caller, args, results| {
                    let mut cx = weft::AsContextMut::as_context_mut(&mut caller);
                    let context = state(&mut cx).contexts.last_mut().ok_or_else(|| {
                        weft::__component_hooks::canonical_abi_trap(
                            "task storage used outside a task",
                        )
                    })?;
                    let cell = context.get_mut(slot).ok_or_else(|| {
                        weft::__component_hooks::canonical_abi_trap("no such task storage slot")
                    })?;
                    if get {
                        results[0] = weft::Val::I32(*cell as i32);
                    } else {
                        *cell = args[0].i32().unwrap_or(0) as u32;
                    }
                    Ok(())
                });
                s.core_funcs.push(f);
            }
            Step::Backpressure(delta) => {
                let delta = *delta;
                let ty = weft::FuncType::new([], []);
                let f = weft::Func::new(&mut *cx, ty, move |mut caller, _, _| {
                    let mut cx = weft::AsContextMut::as_context_mut(&mut caller);
                    let counter = &mut state(&mut cx).instances[id as usize].backpressure;
                    *counter = counter.checked_add_signed(delta).ok_or_else(|| {
                        weft::__component_hooks::canonical_abi_trap(if delta > 0 {
                            "backpressure counter overflow"
                        } else {
                            "backpressure counter underflow"
                        })
                    })?;
                    Ok(())
                });
                s.core_funcs.push(f);
            }
            Step::ResourceNew(key) => {
                let rt = resource(&keys, *key)?;
                let ty = weft::FuncType::new([weft::ValType::I32], [weft::ValType::I32]);
                let f = weft::Func::new(&mut *cx, ty, move |mut caller, args, results| {
                    let mut cx = weft::AsContextMut::as_context_mut(&mut caller);
                    check_may_leave(&mut cx, id)?;
                    let rep = args[0].i32().unwrap_or(0) as u32;
                    let table = &mut state(&mut cx).instances[id as usize].table;
                    let h = table.new_own(rep, rt).map_err(core_trap)?;
                    results[0] = weft::Val::I32(h as i32);
                    Ok(())
                });
                s.core_funcs.push(f);
            }
            Step::ResourceRep(key) => {
                let rt = resource(&keys, *key)?;
                let ty = weft::FuncType::new([weft::ValType::I32], [weft::ValType::I32]);
                let f = weft::Func::new(&mut *cx, ty, move |mut caller, args, results| {
                    let mut cx = weft::AsContextMut::as_context_mut(&mut caller);
                    let h = args[0].i32().unwrap_or(0) as u32;
                    let table = &mut state(&mut cx).instances[id as usize].table;
                    let rep = table.rep(h, rt).map_err(core_trap)?;
                    results[0] = weft::Val::I32(rep as i32);
                    Ok(())
                });
                s.core_funcs.push(f);
            }
            Step::ResourceDrop(key) => {
                let rt = resource(&keys, *key)?;
                let ty = weft::FuncType::new([weft::ValType::I32], []);
                let f = weft::Func::new(&mut *cx, ty, move |mut caller, args, _| {
                    let mut cx = weft::AsContextMut::as_context_mut(&mut caller);
                    check_may_leave(&mut cx, id)?;
                    let h = args[0].i32().unwrap_or(0) as u32;
                    let st = state(&mut cx);
                    let dropped = st.instances[id as usize]
                        .table
                        .drop_handle(h, rt)
                        .map_err(core_trap)?;
                    match dropped {
                        Dropped::Own { rep } => destroy(&mut cx, rt, rep),
                        Dropped::Borrow { scope } => {
                            st.scopes.remove_borrow(scope).map_err(core_trap)
                        }
                    }
                });
                s.core_funcs.push(f);
            }
            Step::Instantiate { component, args } => {
                let given = args
                    .iter()
                    .map(|(n, sort, i)| Ok((n.clone(), s.item(*sort, *i)?)))
                    .collect::<Result<Vec<_>>>()?;
                let child = s.components[*component as usize].clone();
                let out = instantiate(cx, engine, &child.plan, &Given(given), child.env.as_ref())?;
                s.instances.push(Arc::new(out));
            }
            Step::FromExports(items) => {
                let items = items
                    .iter()
                    .map(|(n, sort, i)| Ok((n.clone(), s.item(*sort, *i)?)))
                    .collect::<Result<Vec<_>>>()?;
                s.instances.push(Arc::new(Exports(items)));
            }
            Step::Export {
                name,
                sort,
                index,
                bind: key,
            } => {
                let item = s.item(*sort, *index)?;
                if let (Some(k), Item::Type(Some(rt))) = (key, &item) {
                    keys.insert(*k, *rt);
                }
                exports.0.push((name.clone(), item.clone()));
                s.push(item);
            }
        }
    }
    Ok(exports)
}

fn resource(keys: &Keys, key: u32) -> Result<ResourceType> {
    keys.get(&key).copied().ok_or_else(|| {
        Error::Unsupported("components: a resource type instantiation cannot name".into())
    })
}

/// An instance of a component.
#[derive(Clone)]
pub struct Instance {
    exports: Arc<Exports>,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.exports.0.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Instance").field("exports", &names).finish()
    }
}

impl Instance {
    pub(crate) fn new(exports: Exports) -> Instance {
        Instance {
            exports: Arc::new(exports),
        }
    }

    /// The export at `path`: a name, or names into exported instances
    /// joined by `#`.
    fn export_at(&self, path: &str) -> Option<&Item> {
        let mut parts = path.split('#');
        let mut item = self.exports.get(parts.next()?)?;
        for part in parts {
            let Item::Instance(inner) = item else {
                return None;
            };
            item = inner.get(part)?;
        }
        Some(item)
    }

    /// The exported function `name`; `name` may also be a path into
    /// exported instances, `"instance#func"` (e.g.
    /// `"wasi:cli/run@0.2.0#run"`).
    pub fn get_func(&self, _store: impl AsContext, name: &str) -> Option<Func> {
        match self.export_at(name)? {
            Item::Func(f) => Some(f.clone()),
            _ => None,
        }
    }

    /// The exported function `name` with Rust parameter types `P` and
    /// result types `R`, checked against its signature.
    pub fn get_typed_func<P, R>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<crate::TypedFunc<P, R>>
    where
        P: crate::LowerList,
        R: crate::LiftList,
    {
        let f = self
            .get_func(store, name)
            .ok_or_else(|| Error::Usage(format!("no exported function `{name}`")))?;
        crate::TypedFunc::new(f)
    }

    /// The exported resource type `name` (a path as for
    /// [`get_func`](Instance::get_func)).
    pub fn get_resource(&self, _store: impl AsContext, name: &str) -> Option<ResourceType> {
        match self.export_at(name)? {
            Item::Type(t) => *t,
            _ => None,
        }
    }

    /// The names of the instance's exports.
    pub fn export_names(&self) -> impl Iterator<Item = &str> {
        self.exports.0.iter().map(|(n, _)| n.as_str())
    }
}
