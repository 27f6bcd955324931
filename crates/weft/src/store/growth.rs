//! Creating and growing memories and tables under the store's
//! `ResourceLimiter`, for Wasm and the host API alike.

use super::{MemoryInstance, StoreInner, TableInstance};
use crate::error::{Error, Result, TrapKind};
use crate::types::*;

impl StoreInner {
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
}
