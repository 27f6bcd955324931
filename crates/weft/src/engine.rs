//! `Engine` and `Config`: the shared, thread-safe compilation environment.

use crate::type_registry::TypeRegistry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Settings for an [`Engine`]: which proposals are enabled and how deep Wasm
/// may recurse.
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) features: wasmparser::WasmFeatures,
    pub(crate) max_wasm_stack: usize,
    pub(crate) consume_fuel: bool,
    pub(crate) epoch_interruption: bool,
    pub(crate) debug_ir: bool,
    pub(crate) max_gc_heap: usize,
    pub(crate) compilation_mode: CompilationMode,
    pub(crate) parallel_compilation: bool,
}

/// When a module's function bodies are translated to weft's IR (the names
/// are wasmi's). Either way [`Module::new`](crate::Module::new) validates
/// the whole module, so an invalid one is rejected up front.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum CompilationMode {
    /// Every body is translated by `Module::new`.
    Eager,
    /// Each body is translated on its function's first call (from any
    /// store or thread, once per module); functions never called are
    /// never translated. The default: a module starts sooner.
    #[default]
    LazyTranslation,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

macro_rules! feature_switches {
    ($($(#[$doc:meta])* $name:ident => $flag:ident,)*) => {
        impl Config {
            $(
                $(#[$doc])*
                pub fn $name(&mut self, enable: bool) -> &mut Self {
                    self.features.set(wasmparser::WasmFeatures::$flag, enable);
                    self
                }
            )*
        }
    };
}

feature_switches! {
    /// Enables multiple memories.
    wasm_multi_memory => MULTI_MEMORY,
    /// Enables 64-bit memories and tables.
    wasm_memory64 => MEMORY64,
    /// Enables `return_call` and friends.
    wasm_tail_call => TAIL_CALL,
    /// Enables typed function references.
    wasm_function_references => FUNCTION_REFERENCES,
    /// Enables extended constant expressions.
    wasm_extended_const => EXTENDED_CONST,
    /// Enables reference types.
    wasm_reference_types => REFERENCE_TYPES,
    /// Enables bulk memory operations.
    wasm_bulk_memory => BULK_MEMORY,
    /// Enables multiple results and block parameters.
    wasm_multi_value => MULTI_VALUE,
    /// Enables SIMD.
    wasm_simd => SIMD,
    /// Enables relaxed SIMD (weft makes one deterministic choice per
    /// instruction).
    wasm_relaxed_simd => RELAXED_SIMD,
    /// Enables GC types and instructions (structs, arrays, i31, casts).
    wasm_gc => GC,
    /// Enables exception handling.
    wasm_exceptions => EXCEPTIONS,
    /// Enables the legacy exception instructions (`try`, `catch`,
    /// `delegate`, `rethrow`); off by default.
    wasm_legacy_exceptions => LEGACY_EXCEPTIONS,
}

impl Config {
    /// The default configuration: every Wasm 3.0 feature weft executes.
    pub fn new() -> Config {
        use wasmparser::WasmFeatures as F;
        let features = F::MUTABLE_GLOBAL
            | F::SATURATING_FLOAT_TO_INT
            | F::SIGN_EXTENSION
            | F::MULTI_VALUE
            | F::REFERENCE_TYPES
            | F::BULK_MEMORY
            | F::FLOATS
            | F::MULTI_MEMORY
            | F::MEMORY64
            | F::TAIL_CALL
            | F::FUNCTION_REFERENCES
            | F::EXTENDED_CONST
            | F::GC_TYPES
            | F::GC
            | F::SIMD
            | F::RELAXED_SIMD
            | F::EXCEPTIONS;
        Config {
            features,
            max_wasm_stack: 8 << 20,
            consume_fuel: false,
            epoch_interruption: false,
            debug_ir: false,
            max_gc_heap: crate::gc::HEAP_LIMIT,
            compilation_mode: CompilationMode::default(),
            parallel_compilation: true,
        }
    }

    /// When function bodies are translated: on each function's first call
    /// ([`CompilationMode::LazyTranslation`], the default) or all by
    /// [`Module::new`](crate::Module::new) ([`CompilationMode::Eager`]).
    /// Validation is always eager.
    pub fn compilation_mode(&mut self, mode: CompilationMode) -> &mut Self {
        self.compilation_mode = mode;
        self
    }

    /// Whether [`Module::new`](crate::Module::new) may share a large code
    /// section's validation (and eager translation) among threads, one per
    /// available core (the default), or must do it all on the calling
    /// thread. Small modules are always checked on the calling thread.
    pub fn parallel_compilation(&mut self, enable: bool) -> &mut Self {
        self.parallel_compilation = enable;
        self
    }

    /// The most bytes a store's GC heap (structs, arrays, `externref`
    /// boxes) may take, at most 1 GiB (the default). When it is full even
    /// after collecting, allocation traps with "GC heap out of memory".
    pub fn max_gc_heap_size(&mut self, bytes: usize) -> &mut Self {
        self.max_gc_heap = bytes.min(crate::gc::HEAP_LIMIT);
        self
    }

    /// The most bytes the Wasm value and call stacks may take together;
    /// deeper recursion traps with "call stack exhausted".
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes.max(4096);
        self
    }

    /// Keeps a listing of each translated function's IR, which
    /// [`Module::ir_listing`](crate::Module::ir_listing) prints (what
    /// `weft ir` shows). For looking at what the translator emits; costs
    /// memory per instruction.
    pub fn debug_ir(&mut self, enable: bool) -> &mut Self {
        self.debug_ir = enable;
        self
    }

    /// Makes Wasm code consume fuel (one unit per instruction, charged per
    /// basic block); running out traps with "all fuel consumed". Set a
    /// store's fuel with [`Store::set_fuel`](crate::Store::set_fuel).
    /// Costs nothing when off.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Self {
        self.consume_fuel = enable;
        self
    }

    /// Makes Wasm code check the engine's epoch at function entries and loop
    /// headers, trapping with "interrupt" once a store's deadline passes
    /// (see [`Engine::increment_epoch`] and
    /// [`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline)).
    /// Costs nothing when off.
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Self {
        self.epoch_interruption = enable;
        self
    }
}

/// The environment modules are compiled in. Cheap to clone and shareable
/// between threads and stores.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    types: RwLock<TypeRegistry>,
    epoch: AtomicU64,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::new())
    }
}

impl Engine {
    /// An engine with the given configuration.
    pub fn new(config: &Config) -> Engine {
        Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                types: RwLock::new(TypeRegistry::default()),
                epoch: AtomicU64::new(0),
            }),
        }
    }

    /// The configuration this engine was made with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Advances the engine's epoch by one. Safe to call from any thread,
    /// for example a timer interrupting long-running Wasm.
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Release);
    }

    /// The engine's current epoch.
    pub fn current_epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    pub(crate) fn epoch_counter(&self) -> &AtomicU64 {
        &self.inner.epoch
    }

    /// Whether two handles name the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    pub(crate) fn types(&self) -> RwLockReadGuard<'_, TypeRegistry> {
        self.inner.types.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn types_mut(&self) -> RwLockWriteGuard<'_, TypeRegistry> {
        self.inner.types.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish()
    }
}
