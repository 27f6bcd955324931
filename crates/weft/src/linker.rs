//! `Linker<T>`: names host functions and store objects so modules can be
//! instantiated by resolving their imports by name.

use crate::engine::Engine;
use crate::error::{Error, LinkError, Result};
use crate::func::{Caller, Func, IntoFunc, dynamic_host_func};
use crate::instance::{Extern, Instance, instantiate};
use crate::module::{ExternType, Module};
use crate::store::{AsContext, AsContextMut, HostFunc};
use crate::types::FuncType;
use crate::values::Val;
use std::collections::HashMap;
use std::sync::Arc;

enum Definition {
    Extern(Extern),
    /// A host function not yet placed in any store.
    Host(FuncType, Arc<HostFunc>),
}

/// Resolves imports by module and field name.
pub struct Linker<T> {
    engine: Engine,
    defs: HashMap<(String, String), Definition>,
    allow_shadowing: bool,
    _marker: std::marker::PhantomData<fn(T)>,
}

impl<T: 'static> Linker<T> {
    /// An empty linker for `engine`.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            defs: HashMap::new(),
            allow_shadowing: false,
            _marker: std::marker::PhantomData,
        }
    }

    /// The engine this linker belongs to.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether a later definition may replace an earlier one of the same name.
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition) -> Result<&mut Self> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            return Err(Error::usage(format!(
                "`{module}::{name}` is already defined"
            )));
        }
        self.defs.insert(key, def);
        Ok(self)
    }

    /// Defines `module::name` as a host function from a Rust closure.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let (ty, host) = f.into_host_func();
        self.insert(module, name, Definition::Host(ty, host))
    }

    /// Defines `module::name` as a host function with a dynamic signature.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        let host = dynamic_host_func(ty.clone(), f);
        self.insert(module, name, Definition::Host(ty, host))
    }

    /// Defines `module::name` as an object of a store.
    pub fn define(
        &mut self,
        _store: impl AsContext,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self> {
        self.insert(module, name, Definition::Extern(item.into()))
    }

    /// Defines every export of `instance` under module name `module`.
    pub fn instance(
        &mut self,
        store: impl AsContext,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self> {
        let cx = store.as_context();
        cx.inner.check(instance.store_id())?;
        for (name, item) in instance.exports(&cx) {
            self.insert(module, &name, Definition::Extern(item))?;
        }
        Ok(self)
    }

    /// Defines every unresolved function import of `module` as a host
    /// function that returns zeros (or nulls).
    pub fn define_unknown_imports_as_default_values(
        &mut self,
        module: &Module,
    ) -> Result<&mut Self> {
        for import in module.imports() {
            let key = (import.module.clone(), import.name.clone());
            if self.defs.contains_key(&key) {
                continue;
            }
            if let ExternType::Func(ty) = import.ty {
                let results = ty.results().to_vec();
                self.func_new(&import.module, &import.name, ty, move |_, _, out| {
                    for (o, t) in out.iter_mut().zip(&results) {
                        *o = Val::default_for(*t).unwrap_or(Val::I32(0));
                    }
                    Ok(())
                })?;
            }
        }
        Ok(self)
    }

    /// The definition of `module::name` in `store`, if any.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let def = self.defs.get(&(module.to_string(), name.to_string()))?;
        Some(match def {
            Definition::Extern(e) => *e,
            Definition::Host(ty, host) => Extern::Func(Func::from_host(
                store.as_context_mut().inner,
                ty,
                host.clone(),
            )),
        })
    }

    /// Instantiates `module`, resolving its imports from this linker.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        let mut imports = Vec::with_capacity(module.inner().imports.len());
        for import in &module.inner().imports {
            let item = self
                .get(&mut store, &import.module, &import.name)
                .ok_or_else(|| {
                    Error::Link(LinkError::UnknownImport {
                        module: import.module.clone(),
                        name: import.name.clone(),
                    })
                })?;
            imports.push(item);
        }
        let cx = store.as_context_mut();
        instantiate(cx.inner, cx.data, module, &imports)
    }

    /// Instantiates `module` and defines its exports under `name`.
    pub fn module(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        name: &str,
        module: &Module,
    ) -> Result<&mut Self> {
        let instance = self.instantiate(&mut store, module)?;
        self.instance(&store, name, instance)
    }
}
