//! `Store<T>`: owns every runtime object (functions, memories, tables,
//! globals, instances) and the embedder's host data.
//!
//! Handles such as `Func` or `Memory` are indices tagged with the id of the
//! store that made them; every use checks the tag, so a handle from another
//! store is an error rather than a wrong object.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::exec::Runtime;
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
    pub ty: GlobalType,
}

/// An instantiated module's view of the store.
pub(crate) struct InstanceData {
    pub module: Module,
    pub funcs: Vec<u32>,
    pub tables: Vec<u32>,
    pub memories: Vec<u32>,
    pub globals: Vec<u32>,
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
    pub(crate) rt: Runtime,
}

impl StoreInner {
    pub(crate) fn check(&self, id: StoreId) -> Result<()> {
        if id == self.id {
            Ok(())
        } else {
            Err(Error::usage("object used with the wrong store"))
        }
    }

    pub(crate) fn push_func(&mut self, entry: FuncEntry) -> u32 {
        self.funcs.push(entry);
        (self.funcs.len() - 1) as u32
    }

    pub(crate) fn push_memory(&mut self, m: MemoryInstance) -> u32 {
        self.memories.push(Box::new(m));
        (self.memories.len() - 1) as u32
    }

    pub(crate) fn push_table(&mut self, t: TableInstance) -> u32 {
        self.tables.push(Box::new(t));
        (self.tables.len() - 1) as u32
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
                rt: Runtime::new(max_stack),
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
