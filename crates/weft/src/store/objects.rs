//! The runtime objects a store owns (functions, memories, tables, globals,
//! tags) and each instance's view of them.

use super::StoreInner;
use crate::error::{Error, Result};
use crate::module::Module;
use crate::types::*;
use std::any::Any;
use std::sync::Arc;

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
        if self.data.is_empty() {
            self.data = crate::exec::zeroed_bytes(bytes)?;
        } else {
            self.data.try_reserve_exact(bytes - self.data.len()).ok()?;
            self.data.resize(bytes, 0);
        }
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
