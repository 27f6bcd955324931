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

pub use engine::{Config, Engine};
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

    /// The slot where the component runtime keeps its per-store state.
    pub fn component_state<'a, T>(
        store: &'a mut StoreContextMut<'_, T>,
    ) -> &'a mut Option<Box<dyn Any + Send>> {
        &mut store.inner.component
    }
}
