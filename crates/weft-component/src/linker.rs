//! [`Linker`]: the host's definitions a component's imports are resolved
//! from (functions, resource types and instances of them, by name, with
//! interface versions matched by semver compatibility), and
//! [`LinkerInstance`], one named instance being defined.

use crate::component::Component;
use crate::func::{Func, HostFn};
use crate::instance::{Instance, Item, Keys, instantiate, resolve_func};
use crate::resources::ResourceType;
use crate::state::{AnyDtor, HostDtor, state};
use crate::translate::ImportTy;
use crate::values::Val;
use std::sync::Arc;
use weft::{AsContextMut, Engine, Error, Result, StoreContextMut};

/// A host function taking and returning component values.
type DynHostFn<T> =
    Arc<dyn Fn(StoreContextMut<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync>;

/// Checks a host function's Rust signature against an import's type.
type Typecheck = fn(&crate::values::FuncType) -> Result<()>;

enum Def<T> {
    Func(DynHostFn<T>, Option<Typecheck>),
    Instance(Defs<T>),
    Resource(ResourceType, HostDtor<T>),
}

/// Named definitions.
struct Defs<T>(Vec<(String, Def<T>)>);

impl<T> Default for Defs<T> {
    fn default() -> Self {
        Defs(Vec::new())
    }
}

/// A name's package-and-interface part and its version, if any.
fn split_version(name: &str) -> (&str, Option<semver_lite::Version>) {
    match name.rsplit_once('@') {
        Some((base, v)) => match semver_lite::Version::parse(v) {
            Some(v) => (base, Some(v)),
            None => (name, None),
        },
        None => (name, None),
    }
}

impl<T> Defs<T> {
    /// The definition of `name`: exactly, or under a semver-compatible
    /// version of the same interface (`x@0.2.6` and `x@0.2.3`).
    fn lookup(&self, name: &str) -> Option<&Def<T>> {
        self.position(name).map(|i| &self.0[i].1)
    }

    /// Where `lookup` finds `name`.
    fn position(&self, name: &str) -> Option<usize> {
        if let Some(i) = self.0.iter().position(|(n, _)| n == name) {
            return Some(i);
        }
        let (base, Some(want)) = split_version(name) else {
            return None;
        };
        self.0
            .iter()
            .enumerate()
            .filter_map(|(i, (n, _))| match split_version(n) {
                (b, Some(have)) if b == base && have.compatible(&want) => Some((have, i)),
                _ => None,
            })
            .max_by(|(a, _), (b, _)| a.cmp(b))
            .map(|(_, i)| i)
    }

    fn insert(&mut self, name: &str, def: Def<T>) -> Result<()> {
        if self.0.iter().any(|(n, _)| n == name) {
            return Err(Error::Usage(format!("`{name}` is already defined")));
        }
        self.0.push((name.to_string(), def));
        Ok(())
    }
}

/// Minimal semantic versions for import matching: `major.minor.patch`
/// with an optional pre-release, compatible as Cargo's `^` means.
mod semver_lite {
    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub struct Version {
        numbers: [u64; 3],
        pre: String,
    }

    impl Version {
        pub fn parse(s: &str) -> Option<Version> {
            let (core, pre) = s.split_once('-').unwrap_or((s, ""));
            let mut numbers = [0u64; 3];
            let mut parts = core.split('.');
            for n in &mut numbers {
                *n = parts.next()?.parse().ok()?;
            }
            parts.next().is_none().then(|| Version {
                numbers,
                pre: pre.to_string(),
            })
        }

        /// Whether one may stand for the other: same major (same minor
        /// too below 1.0, same patch below 0.1), and no pre-releases.
        pub fn compatible(&self, other: &Version) -> bool {
            let [a, b] = [&self.numbers, &other.numbers];
            self.pre.is_empty()
                && other.pre.is_empty()
                && match (a[0], a[1]) {
                    (0, 0) => a == b,
                    (0, _) => a[..2] == b[..2],
                    _ => a[0] == b[0],
                }
        }
    }
}

/// Resolves a component's imports from host definitions.
pub struct Linker<T> {
    engine: Engine,
    defs: Defs<T>,
}

impl<T: 'static> Linker<T> {
    /// An empty linker for components of `engine`.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            defs: Defs::default(),
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The top level, where imports that are not instances are defined.
    pub fn root(&mut self) -> LinkerInstance<'_, T> {
        LinkerInstance {
            defs: &mut self.defs,
        }
    }

    /// The instance `name` at the top level (made if new).
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>> {
        let defs = &mut self.defs;
        LinkerInstance::nested(defs, name)
    }

    /// Defines every import of `component` this linker does not define as
    /// a function that traps when called (resource types as host types of
    /// their own), so a component that imports more than it uses runs.
    pub fn define_unknown_imports_as_traps(&mut self, component: &Component) -> Result<()> {
        for (name, ty) in component.plan().import_types() {
            stub(&mut self.defs, name, ty, Stub::Traps);
        }
        Ok(())
    }

    /// Defines every function `component` imports and this linker does
    /// not define as one that returns the zero value of its result type
    /// (`Val::default_for`; a call that must return a resource traps), and
    /// every other missing import as `define_unknown_imports_as_traps`
    /// does.
    pub fn define_unknown_imports_as_default_values(
        &mut self,
        component: &Component,
    ) -> Result<()> {
        for (name, ty) in component.plan().import_types() {
            stub(&mut self.defs, name, ty, Stub::Defaults);
        }
        Ok(())
    }

    /// Instantiates `component`, its imports resolved from this linker.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        component: &Component,
    ) -> Result<Instance> {
        let mut cx = store.as_context_mut();
        let exports = instantiate(&mut cx, &self.engine, component.plan(), &self.defs, None)?;
        Ok(Instance::new(exports))
    }
}

/// One instance of definitions in a [`Linker`] (or its top level).
pub struct LinkerInstance<'a, T> {
    defs: &'a mut Defs<T>,
}

impl<T: 'static> LinkerInstance<'_, T> {
    fn nested<'b>(defs: &'b mut Defs<T>, name: &str) -> Result<LinkerInstance<'b, T>> {
        let at = match defs.0.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                defs.0
                    .push((name.to_string(), Def::Instance(Defs::default())));
                defs.0.len() - 1
            }
        };
        match &mut defs.0[at].1 {
            Def::Instance(inner) => Ok(LinkerInstance { defs: inner }),
            _ => Err(Error::Usage(format!(
                "`{name}` is defined, and not as an instance"
            ))),
        }
    }

    /// The nested instance `name` (made if new).
    pub fn instance(&mut self, name: &str) -> Result<LinkerInstance<'_, T>> {
        LinkerInstance::nested(self.defs, name)
    }

    /// Defines function `name` as `f`, which takes and returns component
    /// values; its signature is the one the component imports it with.
    pub fn func_new(
        &mut self,
        name: &str,
        f: impl Fn(StoreContextMut<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<()> {
        self.defs.insert(name, Def::Func(Arc::new(f), None))
    }

    /// Defines function `name` as `f`, which takes its parameters as a
    /// tuple of Rust values `P` and returns its results as `R`; checked at
    /// instantiation against the signature the component imports it with.
    pub fn func_wrap<P, R>(
        &mut self,
        name: &str,
        f: impl Fn(StoreContextMut<'_, T>, P) -> Result<R> + Send + Sync + 'static,
    ) -> Result<()>
    where
        P: crate::LiftList + 'static,
        R: crate::LowerList + 'static,
    {
        let call: DynHostFn<T> = Arc::new(move |mut cx, args, results| {
            let params = P::lift_list(args.to_vec(), &mut crate::ValCx::new(&mut cx))?;
            let out = f(cx.as_context_mut(), params)?;
            let vals = out.lower_list(&mut crate::ValCx::new(&mut cx))?;
            if vals.len() != results.len() {
                return Err(Error::Usage(
                    "the host function's result count is wrong".into(),
                ));
            }
            results.clone_from_slice(&vals);
            Ok(())
        });
        let check: Typecheck = |ty| {
            let params: Vec<_> = ty.params.iter().map(|(_, t)| t.clone()).collect();
            P::typecheck_list(&params)?;
            R::typecheck_list(&ty.result.iter().cloned().collect::<Vec<_>>())
        };
        self.defs.insert(name, Def::Func(call, Some(check)))
    }

    /// Defines resource type `name` as the host type `ty`, destroyed by
    /// `dtor` (given the representation) when a guest drops its last own
    /// handle.
    pub fn resource(
        &mut self,
        name: &str,
        ty: ResourceType,
        dtor: impl Fn(StoreContextMut<'_, T>, u32) -> Result<()> + Send + Sync + 'static,
    ) -> Result<()> {
        if !ty.is_host() {
            return Err(Error::Usage(format!(
                "resource `{name}`: only host resource types are defined in a linker"
            )));
        }
        self.defs.insert(name, Def::Resource(ty, Arc::new(dtor)))
    }
}

impl<T: 'static> crate::instance::ImportSource<T> for Defs<T> {
    fn import(
        &self,
        cx: &mut StoreContextMut<'_, T>,
        name: &str,
        ty: &ImportTy,
        keys: &mut Keys,
    ) -> Result<Item> {
        match (self.lookup(name), ty) {
            (Some(def), _) => build(cx, name, def, ty, keys),
            // A type that is not a resource has no runtime identity.
            (None, ImportTy::Type(None)) => Ok(Item::Type(None)),
            (None, _) => Err(Error::Usage(format!(
                "component import `{name}` has not been defined"
            ))),
        }
    }
}

/// The item a definition makes for an import of type `ty`.
fn build<T: 'static>(
    cx: &mut StoreContextMut<'_, T>,
    name: &str,
    def: &Def<T>,
    ty: &ImportTy,
    keys: &mut Keys,
) -> Result<Item> {
    let mismatch = |what: &str| {
        Error::Usage(format!(
            "component import `{name}` must be {what}, and the linker defines something else"
        ))
    };
    Ok(match (def, ty) {
        (Def::Func(f, check), ImportTy::Func(fty)) => {
            let fty = resolve_func(fty, keys)?;
            if let Some(check) = check {
                check(&fty).map_err(|e| Error::Usage(format!("component import `{name}`: {e}")))?;
            }
            let results = usize::from(fty.result.is_some());
            let f = f.clone();
            let host: HostFn<T> = Arc::new(move |cx, args| {
                let mut out = vec![Val::Bool(false); results];
                f(cx, args, &mut out)?;
                Ok(out.pop())
            });
            Item::Func(Func::host(fty, host))
        }
        (Def::Resource(rt, dtor), ImportTy::Type(key)) => {
            if let Some(k) = key {
                keys.insert(*k, *rt);
            }
            let any: AnyDtor = Arc::new(dtor.clone());
            state(cx).host_dtors.insert(*rt, any);
            Item::Type(Some(*rt))
        }
        (Def::Instance(defs), ImportTy::Instance(tys)) => {
            // Types first: the functions' signatures name them.
            let mut items = Vec::with_capacity(tys.len());
            let (types, rest): (Vec<_>, Vec<_>) = tys
                .iter()
                .partition(|(_, t)| matches!(t, ImportTy::Type(_)));
            for (export, t) in types.into_iter().chain(rest) {
                let path = format!("{name}#{export}");
                // A type the interface uses from another (`use poll.{pollable}`)
                // is the one already bound by that import.
                match t {
                    ImportTy::Type(Some(k)) if keys.contains_key(k) => {
                        items.push((export.clone(), Item::Type(keys.get(k).copied())));
                        continue;
                    }
                    // A type that is not a resource has no runtime identity.
                    ImportTy::Type(None) => {
                        items.push((export.clone(), Item::Type(None)));
                        continue;
                    }
                    _ => {}
                }
                let d = defs.lookup(export).ok_or_else(|| {
                    Error::Usage(format!("component import `{path}` has not been defined"))
                })?;
                items.push((export.clone(), build(cx, &path, d, t, keys)?));
            }
            Item::Instance(Arc::new(crate::instance::Exports(items)))
        }
        (_, ImportTy::Func(_)) => return Err(mismatch("a function")),
        (_, ImportTy::Instance(_)) => return Err(mismatch("an instance")),
        (_, ImportTy::Type(_)) => return Err(mismatch("a resource type")),
        (_, ImportTy::Other) => {
            return Err(Error::Unsupported(format!(
                "components: importing `{name}` (modules, components and values)"
            )));
        }
    })
}

/// What a stubbed function does.
#[derive(Copy, Clone)]
enum Stub {
    Traps,
    Defaults,
}

/// Defines what `defs` lacks of import `name` of type `ty` as stubs.
fn stub<T: 'static>(defs: &mut Defs<T>, name: &str, ty: &ImportTy, how: Stub) {
    let existing = defs.position(name);
    match (existing, ty) {
        (Some(i), ImportTy::Instance(exports)) => {
            if let Def::Instance(inner) = &mut defs.0[i].1 {
                for (export, t) in exports {
                    stub(inner, export, t, how);
                }
            }
        }
        (Some(_), _) => {}
        (None, ImportTy::Func(fty)) => {
            let message = format!("the unknown import `{name}` was called");
            let result = fty.result.clone();
            let f: DynHostFn<T> = Arc::new(move |_, _, out| {
                let zero = match (how, &result) {
                    (Stub::Defaults, None) => return Ok(()),
                    (Stub::Defaults, Some(t)) => Val::default_for(t),
                    (Stub::Traps, _) => None,
                };
                match (zero, out.first_mut()) {
                    (Some(v), Some(slot)) => {
                        *slot = v;
                        Ok(())
                    }
                    _ => Err(weft::__component_hooks::host_trap(message.clone())),
                }
            });
            defs.0.push((name.to_string(), Def::Func(f, None)));
        }
        (None, ImportTy::Instance(exports)) => {
            let mut inner = Defs::default();
            for (export, t) in exports {
                stub(&mut inner, export, t, how);
            }
            defs.0.push((name.to_string(), Def::Instance(inner)));
        }
        (None, ImportTy::Type(_)) => {
            let dtor: HostDtor<T> = Arc::new(|_, _| Ok(()));
            defs.0.push((
                name.to_string(),
                Def::Resource(ResourceType::fresh_host(), dtor),
            ));
        }
        (None, ImportTy::Other) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::semver_lite::Version;
    use super::*;

    /// A component importing `get` from interface `name`, exporting it again.
    fn importer(name: &str) -> String {
        format!(
            r#"(component
                (import "{name}" (instance $i (export "get" (func (result u32)))))
                (alias export $i "get" (func $get))
                (export "get" (func $get)))"#
        )
    }

    fn linked(import: &str, host: &str) -> weft::Result<u32> {
        let engine = Engine::default();
        let component = Component::new(&engine, importer(import))?;
        let mut linker = Linker::<()>::new(&engine);
        linker
            .instance(host)?
            .func_wrap("get", |_, (): ()| Ok((7u32,)))?;
        let mut store = weft::Store::new(&engine, ());
        let instance = linker.instantiate(&mut store, &component)?;
        let get = instance.get_typed_func::<(), (u32,)>(&store, "get")?;
        Ok(get.call(&mut store, ())?.0)
    }

    #[test]
    fn unknown_functions_become_zero_returning_or_trapping_stubs() {
        let engine = Engine::default();
        let component = Component::new(&engine, importer("x:y/z@0.1.0")).unwrap();
        let call = |defaults: bool| -> weft::Result<u32> {
            let mut linker = Linker::<()>::new(&engine);
            if defaults {
                linker.define_unknown_imports_as_default_values(&component)?;
            } else {
                linker.define_unknown_imports_as_traps(&component)?;
            }
            let mut store = weft::Store::new(&engine, ());
            let instance = linker.instantiate(&mut store, &component)?;
            let get = instance.get_typed_func::<(), (u32,)>(&store, "get")?;
            Ok(get.call(&mut store, ())?.0)
        };
        assert_eq!(call(true).unwrap(), 0);
        let err = call(false).unwrap_err();
        assert!(
            err.to_string()
                .contains("the unknown import `get` was called"),
            "{err}"
        );
    }

    #[test]
    fn interfaces_link_by_semver_compatibility() {
        assert_eq!(linked("x:y/z@0.2.6", "x:y/z@0.2.3").unwrap(), 7);
        assert_eq!(linked("x:y/z@0.2.3", "x:y/z@0.2.6").unwrap(), 7);
        assert_eq!(linked("x:y/z", "x:y/z").unwrap(), 7);
        let err = linked("x:y/z@0.3.0", "x:y/z@0.2.6").unwrap_err();
        assert!(
            err.to_string()
                .contains("component import `x:y/z@0.3.0` has not been defined"),
            "{err}"
        );
    }

    #[test]
    fn versions_link_within_their_compatible_range() {
        let v = |s: &str| Version::parse(s).unwrap();
        assert!(v("0.2.6").compatible(&v("0.2.3")));
        assert!(v("0.2.3").compatible(&v("0.2.6")));
        assert!(!v("0.2.3").compatible(&v("0.3.0")));
        assert!(v("1.4.0").compatible(&v("1.0.2")));
        assert!(!v("0.0.1").compatible(&v("0.0.2")));
        assert!(!v("0.2.0-rc").compatible(&v("0.2.0")));
        assert_eq!(Version::parse("0.2"), None);
    }
}
