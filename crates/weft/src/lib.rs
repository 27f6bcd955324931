//! weft: an embeddable WebAssembly runtime.
//!
//! The API mirrors the names Rust users of WebAssembly know: an [`Engine`]
//! configured by a [`Config`] compiles [`Module`]s; a [`Store`] owns
//! runtime objects and the host's data; a [`Linker`] resolves imports and
//! makes [`Instance`]s, whose exported [`Func`]s are called with [`Val`]s or
//! through a [`TypedFunc`].
//!
//! ```
//! use weft::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"(module
//!     (func (export "add") (param i32 i32) (result i32)
//!         local.get 0 local.get 1 i32.add))"#)?;
//! let mut store = Store::new(&engine, ());
//! let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
//! let add = instance.get_typed_func::<(i32, i32), i32>(&store, "add")?;
//! assert_eq!(add.call(&mut store, (2, 3))?, 5);
//! # Ok::<(), weft::Error>(())
//! ```

mod const_expr;
mod engine;
mod error;
mod exception;
mod exec;
mod externals;
mod func;
mod gc;
mod gc_objects;
mod instance;
mod ir;
mod limits;
mod linker;
mod module;
mod refs;
mod roots;
mod store;
mod translate;
mod type_registry;
mod types;
mod values;

pub use engine::{CompilationMode, Config, Engine};
pub use error::{Error, FrameInfo, LinkError, Result, Trap, TrapKind};
pub use exception::{Exception, Tag};
pub use externals::{Global, Memory, Table};
pub use func::{Caller, Func, IntoFunc, TypedFunc, WasmParams, WasmResults, WasmRet, WasmTy};
pub use gc_objects::{ArrayRef, ArrayRefPre, ArrayType, StructRef, StructRefPre, StructType};
pub use instance::{Extern, Instance};
pub use limits::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
pub use linker::Linker;
pub use module::{ExportType, ExternType, ImportType, Module};
pub use refs::{EqRef, I31};
pub use roots::{OwnedRooted, RootScope, Rooted};
pub use store::{AsContext, AsContextMut, Store, StoreContext, StoreContextMut};
pub use types::{
    CompositeType, DefinedKind, FieldType, FuncType, GlobalType, HeapType, MemoryType, Mutability,
    RefType, StorageType, SubType, TableType, TagType, TypeId, ValType,
};
pub use values::{AnyRef, ExternRef, Ref, Val};

/// Explicitly internal: what `weft-component` needs of the engine that the
/// embedding API does not show. Not part of weft's stable API.
#[doc(hidden)]
pub mod __component_hooks {
    use crate::{Engine, Error, StoreContextMut, Trap, TrapKind};
    use std::any::Any;

    /// The core Wasm features the engine validates and runs.
    pub fn wasm_features(engine: &Engine) -> wasmparser::WasmFeatures {
        engine.config().features
    }

    /// A trap for breaking a Canonical ABI rule, described by `message`.
    pub fn canonical_abi_trap(message: impl Into<String>) -> Error {
        Error::Trap(Trap::with_detail(TrapKind::CanonicalAbi, message.into()))
    }

    /// A trap raised on the host's side (e.g. an import that was stubbed
    /// out was called), described by `message`.
    pub fn host_trap(message: impl Into<String>) -> Error {
        Error::Trap(Trap::with_detail(TrapKind::HostError, message.into()))
    }

    /// Calls `func` with its arguments and results as raw cells (the bits
    /// of each `i32`, `i64`, `f32` or `f64`), for the component runtime's
    /// calls of core functions whose types it knows: no `Val`s, no type
    /// copies. A function with other parameter or result types, or counts
    /// that differ from the cells given, is refused.
    pub fn call_numeric<T: 'static>(
        store: &mut StoreContextMut<'_, T>,
        func: &crate::Func,
        args: &[u64],
        results: &mut [u64],
    ) -> crate::Result<()> {
        use crate::ValType;
        store.inner.check(func.store)?;
        let index = func.index;
        let fits = {
            let id = store.inner.funcs[index as usize].ty;
            let types = store.inner.engine.types();
            let numeric = |t: &ValType| {
                matches!(t, ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64)
            };
            types.func_type(id).is_some_and(|ty| {
                ty.params().len() == args.len()
                    && ty.results().len() == results.len()
                    && ty.params().iter().all(numeric)
                    && ty.results().iter().all(numeric)
            })
        };
        if !fits {
            return Err(Error::Usage(
                "a core function called with cells that do not fit its type".into(),
            ));
        }
        crate::exec::invoke(store.inner, store.data, index, None, args, results)
    }

    /// The slot where the component runtime keeps its per-store state.
    pub fn component_state<'a, T>(
        store: &'a mut StoreContextMut<'_, T>,
    ) -> &'a mut Option<Box<dyn Any + Send>> {
        &mut store.inner.component
    }
}
