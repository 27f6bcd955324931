//! `Store<T>`: owns every runtime object (functions, memories, tables,
//! globals, instances) and the embedder's host data.
//!
//! Handles such as `Func` or `Memory` are indices tagged with the id of the
//! store that made them; every use checks the tag, so a handle from another
//! store is an error rather than a wrong object.

use crate::engine::Engine;
use crate::error::{Error, Result, TrapKind};
use crate::exec::Runtime;
use crate::limits::ResourceLimiter;
use crate::module::Module;
use crate::types::*;
use std::any::Any;
use std::sync::Arc;
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

/// A host function as the executor sees it: raw 64-bit cells in (the
/// parameters) and out (the results, written from the start of the same
/// buffer, which is as long as the longer of the two lists).
pub(crate) type HostCallback =
    dyn Fn(&mut StoreInner, &mut dyn Any, &mut [u64]) -> Result<()> + Send + Sync;

/// A host function's behaviour and arity.
#[doc(hidden)]
pub struct HostFunc {
    pub(crate) callback: Box<HostCallback>,
    pub(crate) num_params: usize,
    pub(crate) num_results: usize,
}

/// What a function in the store is.
#[derive(Clone)]
pub(crate) enum FuncKind {
    /// A function defined by a module, in an instance.
    Wasm { instance: u32, def_index: u32 },
    /// A function provided by the host.
    Host(Arc<HostFunc>),
}

/// A function in the store.
#[derive(Clone)]
pub(crate) struct FuncEntry {
    pub ty: TypeId,
    pub kind: FuncKind,
}

/// A linear memory's bytes and type.
pub(crate) struct MemoryInstance {
    pub data: Vec<u8>,
    pub ty: MemoryType,
}

impl MemoryInstance {
    pub(crate) fn new(ty: MemoryType) -> Result<MemoryInstance> {
        let mut m = MemoryInstance {
            data: Vec::new(),
            ty,
        };
        if m.grow(ty.minimum).is_none() {
            return Err(Error::usage("cannot allocate the memory's minimum size"));
        }
        m.ty.minimum = ty.minimum;
        Ok(m)
    }

    pub(crate) fn page_size(&self) -> u64 {
        1u64 << self.ty.page_size_log2
    }

    /// The current size in pages.
    pub(crate) fn pages(&self) -> u64 {
        self.data.len() as u64 >> self.ty.page_size_log2
    }

    /// Grows by `delta` pages; the old size in pages, or `None` if refused.
    pub(crate) fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        let max = self
            .ty
            .maximum
            .unwrap_or(u64::MAX)
            .min(self.ty.max_pages_by_index());
        if new > max {
            return None;
        }
        let bytes = usize::try_from(new.checked_mul(self.page_size())?).ok()?;
        // Refuse memories the host cannot address rather than aborting.
        if bytes > isize::MAX as usize / 2 {
            return None;
        }
        let extra = bytes - self.data.len();
        self.data.try_reserve_exact(extra).ok()?;
        self.data.resize(bytes, 0);
        Some(old)
    }
}

/// A table's elements (reference cells) and type.
pub(crate) struct TableInstance {
    pub elems: Vec<u64>,
    pub ty: TableType,
}

impl TableInstance {
    /// Grows by `delta` elements set to `init`; the old size, or `None`.
    pub(crate) fn grow(&mut self, delta: u64, init: u64) -> Option<u64> {
        let old = self.elems.len() as u64;
        let new = old.checked_add(delta)?;
        let index_max = if self.ty.table64 {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
        if new > self.ty.maximum.unwrap_or(index_max).min(index_max) || new > (1 << 28) {
            return None;
        }
        self.elems.try_reserve_exact(delta as usize).ok()?;
        self.elems.resize(new as usize, init);
        Some(old)
    }
}

/// A global's value cells and type.
pub(crate) struct GlobalInstance {
    pub value: u64,
    /// The high half of a `v128` global.
    pub hi: u64,
    pub ty: GlobalType,
}

/// An exception tag: the type of its payload.
pub(crate) struct TagInstance {
    pub ty: TypeId,
}

/// A thrown exception: its tag and payload cells.
pub(crate) struct ExnObject {
    pub tag: u32,
    pub payload: Box<[u64]>,
}

/// An instantiated module's view of the store.
pub(crate) struct InstanceData {
    pub module: Module,
    pub funcs: Vec<u32>,
    pub tables: Vec<u32>,
    pub memories: Vec<u32>,
    pub globals: Vec<u32>,
    pub tags: Vec<u32>,
    /// Element segments, as reference cells; emptied by `elem.drop`.
    pub elems: Vec<Arc<[u64]>>,
    /// Whether each data segment was dropped.
    pub data_dropped: Vec<bool>,
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
    pub(crate) externs: Vec<Box<dyn Any + Send + Sync>>,
    pub(crate) tags: Vec<TagInstance>,
    /// Every exception thrown so far; an `exnref` is an index in here plus
    /// one. Kept for the store's life until the GC heap collects them.
    pub(crate) exceptions: Vec<ExnObject>,
    pub(crate) rt: Runtime,
    pub(crate) limiter: Option<Box<dyn ResourceLimiter>>,
    /// Fuel left, when the engine consumes fuel.
    pub(crate) fuel: u64,
    /// The epoch at which running code traps, when epochs are on.
    pub(crate) epoch_deadline: u64,
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

    /// Creates a memory, if the limiter allows another one of its size.
    pub(crate) fn new_memory(&mut self, ty: MemoryType) -> Result<u32> {
        let bytes = usize::try_from(ty.minimum.saturating_mul(1 << ty.page_size_log2))
            .unwrap_or(usize::MAX);
        let max = ty.maximum.map(|m| {
            usize::try_from(m.saturating_mul(1 << ty.page_size_log2)).unwrap_or(usize::MAX)
        });
        if let Some(l) = self.limiter.as_mut() {
            if self.memories.len() >= l.memories() {
                return Err(Error::usage("resource limit exceeded: too many memories"));
            }
            if !l.memory_growing(0, bytes, max)? {
                return Err(Error::usage(
                    "resource limit exceeded: memory's minimum size refused",
                ));
            }
        }
        self.memories.push(Box::new(MemoryInstance::new(ty)?));
        Ok((self.memories.len() - 1) as u32)
    }

    /// Creates a table of `ty.minimum` elements set to `init`, if allowed.
    pub(crate) fn new_table(&mut self, ty: TableType, init: u64) -> Result<u32> {
        let n = usize::try_from(ty.minimum).unwrap_or(usize::MAX);
        let max = ty.maximum.map(|m| usize::try_from(m).unwrap_or(usize::MAX));
        if let Some(l) = self.limiter.as_mut() {
            if self.tables.len() >= l.tables() {
                return Err(Error::usage("resource limit exceeded: too many tables"));
            }
            if !l.table_growing(0, n, max)? {
                return Err(Error::usage(
                    "resource limit exceeded: table's minimum size refused",
                ));
            }
        }
        let mut t = TableInstance {
            elems: Vec::new(),
            ty,
        };
        t.grow(ty.minimum, init)
            .ok_or_else(|| Error::usage("cannot allocate the table's minimum size"))?;
        self.tables.push(Box::new(t));
        Ok((self.tables.len() - 1) as u32)
    }

    /// Whether the limiter allows one more instance.
    pub(crate) fn check_instance_limit(&self) -> Result<()> {
        match &self.limiter {
            Some(l) if self.instances.len() >= l.instances() => {
                Err(Error::usage("resource limit exceeded: too many instances"))
            }
            _ => Ok(()),
        }
    }

    /// Grows memory `index` by `delta` pages: the old size, `None` if
    /// refused, or a trap if the limiter asks for one.
    pub(crate) fn grow_memory(&mut self, index: u32, delta: u64) -> Result<Option<u64>, TrapKind> {
        let m = &self.memories[index as usize];
        let page = m.page_size();
        let current = m.data.len();
        let desired = m
            .pages()
            .checked_add(delta)
            .and_then(|p| p.checked_mul(page));
        let max =
            m.ty.maximum
                .map(|x| usize::try_from(x.saturating_mul(page)).unwrap_or(usize::MAX));
        if let (Some(l), Some(desired)) = (self.limiter.as_mut(), desired) {
            let desired = usize::try_from(desired).unwrap_or(usize::MAX);
            match l.memory_growing(current, desired, max) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(_) => return Err(TrapKind::GrowthRefused),
            }
        }
        Ok(self.memories[index as usize].grow(delta))
    }

    /// Grows table `index` by `delta` elements set to `init`, as
    /// [`StoreInner::grow_memory`] does for memories.
    pub(crate) fn grow_table(
        &mut self,
        index: u32,
        delta: u64,
        init: u64,
    ) -> Result<Option<u64>, TrapKind> {
        let t = &self.tables[index as usize];
        let current = t.elems.len();
        let desired = usize::try_from((current as u64).saturating_add(delta)).unwrap_or(usize::MAX);
        let max =
            t.ty.maximum
                .map(|x| usize::try_from(x).unwrap_or(usize::MAX));
        if let Some(l) = self.limiter.as_mut() {
            match l.table_growing(current, desired, max) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(_) => return Err(TrapKind::GrowthRefused),
            }
        }
        Ok(self.tables[index as usize].grow(delta, init))
    }

    pub(crate) fn push_tag(&mut self, ty: TypeId) -> u32 {
        self.tags.push(TagInstance { ty });
        (self.tags.len() - 1) as u32
    }

    /// Records a thrown exception; returns its index.
    pub(crate) fn push_exception(&mut self, tag: u32, payload: Box<[u64]>) -> u32 {
        self.exceptions.push(ExnObject { tag, payload });
        (self.exceptions.len() - 1) as u32
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
                externs: Vec::new(),
                tags: Vec::new(),
                exceptions: Vec::new(),
                rt: Runtime::new(max_stack),
                limiter: None,
                fuel: 0,
                epoch_deadline: 0,
            },
            data,
        }
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

    /// Installs a limiter consulted before memories and tables grow and
    /// before instances, memories and tables are created.
    pub fn limiter(&mut self, limiter: impl ResourceLimiter + 'static) {
        self.inner.limiter = Some(Box::new(limiter));
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

/// A borrowed view of a store: its objects and its host data.
pub struct StoreContext<'a, T> {
    pub(crate) inner: &'a StoreInner,
    pub(crate) data: &'a T,
}

/// A mutably borrowed view of a store.
pub struct StoreContextMut<'a, T> {
    pub(crate) inner: &'a mut StoreInner,
    pub(crate) data: &'a mut T,
}

impl<T> StoreContext<'_, T> {
    /// The host data.
    pub fn data(&self) -> &T {
        self.data
    }
}

impl<T> StoreContextMut<'_, T> {
    /// The host data.
    pub fn data(&self) -> &T {
        self.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        self.data
    }
}

/// Anything that can lend a store for reading: `Store`, `Caller` and the
/// context types.
pub trait AsContext {
    /// The host data type.
    type Data;
    /// Borrows the store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Anything that can lend a store for writing.
pub trait AsContextMut: AsContext {
    /// Borrows the store mutably.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext {
            inner: &self.inner,
            data: &self.data,
        }
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut {
            inner: &mut self.inner,
            data: &mut self.data,
        }
    }
}

impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext {
            inner: self.inner,
            data: self.data,
        }
    }
}

impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext {
            inner: self.inner,
            data: self.data,
        }
    }
}

impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut {
            inner: self.inner,
            data: self.data,
        }
    }
}

impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}
