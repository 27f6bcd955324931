//! `Store<T>`: owns every runtime object (functions, memories, tables,
//! globals, instances) and the embedder's host data.
//!
//! Handles such as `Func` or `Memory` are indices tagged with the id of the
//! store that made them; every use checks the tag, so a handle from another
//! store is an error rather than a wrong object.

mod context;
mod growth;
mod objects;

pub use context::{AsContext, AsContextMut, StoreContext, StoreContextMut};
pub use objects::HostFunc;
pub(crate) use objects::*;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::exec::ExecState;
use crate::limits::ResourceLimiter;
use crate::types::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// Identity of a store, carried by every handle it gives out.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct StoreId(u64);

impl StoreId {
    fn fresh() -> StoreId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        StoreId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Everything a store owns apart from the host data.
#[doc(hidden)]
pub struct StoreInner {
    pub(crate) id: StoreId,
    pub(crate) engine: Engine,
    pub(crate) funcs: Vec<FuncEntry>,
    // Boxed so the executor can keep pointers to them while the vectors grow.
    #[allow(clippy::vec_box)]
    pub(crate) memories: Vec<Box<MemoryInstance>>,
    #[allow(clippy::vec_box)]
    pub(crate) tables: Vec<Box<TableInstance>>,
    #[allow(clippy::vec_box)]
    pub(crate) globals: Vec<Box<GlobalInstance>>,
    pub(crate) instances: Vec<InstanceData>,
    /// GC objects and the host data of `externref`s.
    pub(crate) gc: weft_gc::Heap,
    /// The GC references the embedder holds.
    pub(crate) gc_roots: crate::roots::HostRoots,
    pub(crate) tags: Vec<TagInstance>,
    pub(crate) exec: ExecState,
    pub(crate) limiter: Option<Box<dyn ResourceLimiter>>,
    /// Fuel left, when the engine consumes fuel.
    pub(crate) fuel: u64,
    /// The epoch at which running code traps, when epochs are on.
    pub(crate) epoch_deadline: u64,
    /// The component runtime's state in this store (handle tables, call
    /// scopes), kept here for `weft-component`, which defines its type.
    pub(crate) component: Option<Box<dyn std::any::Any + Send>>,
}

impl StoreInner {
    pub(crate) fn check(&self, id: StoreId) -> Result<()> {
        if id == self.id {
            Ok(())
        } else {
            Err(Error::usage("object used with the wrong store"))
        }
    }

    /// The store, after checking that `id` is its own. For accessors that
    /// cannot return an error, so misuse is loud rather than an answer
    /// about some other object.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub(crate) fn owning(&self, id: StoreId) -> &StoreInner {
        assert!(id == self.id, "object used with the wrong store");
        self
    }

    pub(crate) fn push_func(&mut self, entry: FuncEntry) -> u32 {
        self.funcs.push(entry);
        (self.funcs.len() - 1) as u32
    }

    pub(crate) fn push_tag(&mut self, ty: TypeId) -> u32 {
        self.tags.push(TagInstance { ty });
        crate::gc::define_exception_layout(self, ty);
        (self.tags.len() - 1) as u32
    }

    pub(crate) fn push_global(&mut self, g: GlobalInstance) -> u32 {
        self.globals.push(Box::new(g));
        (self.globals.len() - 1) as u32
    }

    /// Whether a store function's type matches `expected` (subtyping).
    pub(crate) fn func_matches(&self, func: u32, expected: TypeId) -> bool {
        let ty = self.funcs[func as usize].ty;
        ty == expected || self.engine.types().is_subtype_id(ty, expected)
    }
}

/// A collection of WebAssembly objects and the host's data `T`.
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    data: T,
}

impl<T: 'static> Store<T> {
    /// A new, empty store for `engine` holding `data`.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let max_stack = engine.config().max_wasm_stack;
        Store {
            inner: StoreInner {
                id: StoreId::fresh(),
                engine: engine.clone(),
                funcs: Vec::new(),
                memories: Vec::new(),
                tables: Vec::new(),
                globals: Vec::new(),
                instances: Vec::new(),
                gc: {
                    let mut heap = weft_gc::Heap::new(engine.config().max_gc_heap);
                    // The store decides when to collect: only it can
                    // name the roots (`exec::roots`).
                    heap.set_auto_collect(false);
                    heap
                },
                gc_roots: Default::default(),
                tags: Vec::new(),
                exec: ExecState::new(max_stack),
                limiter: None,
                fuel: 0,
                epoch_deadline: 0,
                component: None,
            },
            data,
        }
    }

    /// Collects the garbage of the store's GC heap now: frees every
    /// struct, array and `externref` box that neither Wasm globals, tables,
    /// element segments and exceptions nor the embedder's rooted handles
    /// reach (dropping the host data of the boxes). Allocation collects by
    /// itself as the heap fills; this is for an embedder that wants the
    /// memory back at a moment of its choosing.
    pub fn gc(&mut self) -> Result<()> {
        crate::gc::collect_for_host(&mut self.inner)
    }

    /// How many bytes the store's GC heap holds now (what it has grown
    /// to, free space included).
    pub fn gc_heap_capacity(&self) -> usize {
        self.inner.gc.stats().capacity
    }

    /// The engine this store belongs to.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The host data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// Installs a limiter consulted before memories, tables and the GC
    /// heap grow and before instances, memories and tables are created.
    pub fn limiter(&mut self, limiter: impl ResourceLimiter + 'static) {
        self.inner.limiter = Some(Box::new(limiter));
        // From now on the heap grows past what it holds only when asked.
        let held = self.inner.gc.stats().capacity;
        self.inner.gc.set_granted(held);
    }

    /// Sets the fuel left for Wasm code (requires
    /// [`Config::consume_fuel`](crate::Config::consume_fuel)). Fuel can be
    /// added after a call ran out, and the next call runs on it.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.check_fuel_enabled()?;
        self.inner.fuel = fuel;
        Ok(())
    }

    /// The fuel left.
    pub fn get_fuel(&self) -> Result<u64> {
        self.check_fuel_enabled()?;
        Ok(self.inner.fuel)
    }

    fn check_fuel_enabled(&self) -> Result<()> {
        if self.inner.engine.config().consume_fuel {
            Ok(())
        } else {
            Err(Error::usage(
                "fuel is not enabled: use Config::consume_fuel",
            ))
        }
    }

    /// Makes running Wasm code trap with "interrupt" once the engine's
    /// epoch has advanced `ticks` past its current value (requires
    /// [`Config::epoch_interruption`](crate::Config::epoch_interruption)).
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        self.inner.epoch_deadline = self.inner.engine.current_epoch().saturating_add(ticks);
    }

    /// Consumes the store, returning its host data.
    pub fn into_data(self) -> T {
        self.data
    }
}
