//! Resource limits a store enforces on the code it runs: the
//! `ResourceLimiter` hook consulted before memories and tables grow and
//! before objects are created, and `StoreLimits`, a ready-made limiter.

use crate::error::{Error, Result};

/// Decides whether a store may grow memories and tables and create more
/// instances, memories and tables. Install one with
/// [`Store::limiter`](crate::Store::limiter).
pub trait ResourceLimiter: Send {
    /// Whether a memory may grow from `current` to `desired` bytes
    /// (`maximum` is its declared maximum, if any). `Ok(false)` refuses
    /// (`memory.grow` returns -1); `Err` makes the growing Wasm code trap.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// Whether a table may grow from `current` to `desired` elements.
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// Whether the store's GC heap may grow from `current` to `desired`
    /// bytes (`maximum` is the engine's `Config::max_gc_heap_size`). The
    /// heap asks only when a collection did not free enough, and may ask
    /// about a few sizes for one growth (it takes the largest allowed, up
    /// to half as much again as it had). `Ok(false)` or
    /// `Err` refuse: the allocating Wasm code traps with "GC heap out of
    /// memory", a host allocation returns an error. Allows by default.
    fn gc_heap_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool> {
        let _ = (current, desired, maximum);
        Ok(true)
    }

    /// The most instances the store may hold.
    fn instances(&self) -> usize {
        DEFAULT_MAX
    }

    /// The most memories the store may hold.
    fn memories(&self) -> usize {
        DEFAULT_MAX
    }

    /// The most tables the store may hold.
    fn tables(&self) -> usize {
        DEFAULT_MAX
    }
}

/// The object counts allowed when no limit is set.
const DEFAULT_MAX: usize = 10_000;

/// A limiter with fixed caps, built by [`StoreLimitsBuilder`].
#[derive(Clone, Debug)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    gc_heap_size: Option<usize>,
    table_elements: Option<usize>,
    instances: usize,
    memories: usize,
    tables: usize,
    trap_on_grow_failure: bool,
}

/// Builds [`StoreLimits`].
#[derive(Clone, Debug)]
pub struct StoreLimitsBuilder(StoreLimits);

impl Default for StoreLimitsBuilder {
    fn default() -> Self {
        StoreLimitsBuilder::new()
    }
}

impl StoreLimitsBuilder {
    /// No limits beyond the default object counts.
    pub fn new() -> StoreLimitsBuilder {
        StoreLimitsBuilder(StoreLimits {
            memory_size: None,
            gc_heap_size: None,
            table_elements: None,
            instances: DEFAULT_MAX,
            memories: DEFAULT_MAX,
            tables: DEFAULT_MAX,
            trap_on_grow_failure: false,
        })
    }

    /// The largest size in bytes of any one memory.
    pub fn memory_size(mut self, bytes: usize) -> Self {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The largest size in bytes of the store's GC heap.
    pub fn gc_heap_size(mut self, bytes: usize) -> Self {
        self.0.gc_heap_size = Some(bytes);
        self
    }

    /// The most elements of any one table.
    pub fn table_elements(mut self, elements: usize) -> Self {
        self.0.table_elements = Some(elements);
        self
    }

    /// The most instances.
    pub fn instances(mut self, n: usize) -> Self {
        self.0.instances = n;
        self
    }

    /// The most memories.
    pub fn memories(mut self, n: usize) -> Self {
        self.0.memories = n;
        self
    }

    /// The most tables.
    pub fn tables(mut self, n: usize) -> Self {
        self.0.tables = n;
        self
    }

    /// Trap instead of returning -1 when a grow is refused.
    pub fn trap_on_grow_failure(mut self, trap: bool) -> Self {
        self.0.trap_on_grow_failure = trap;
        self
    }

    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}

impl StoreLimits {
    fn allow(&self, desired: usize, cap: Option<usize>, what: &str) -> Result<bool> {
        match cap {
            Some(cap) if desired > cap => {
                if self.trap_on_grow_failure {
                    Err(Error::usage(format!(
                        "{what} growth past the limit of {cap}"
                    )))
                } else {
                    Ok(false)
                }
            }
            _ => Ok(true),
        }
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> Result<bool> {
        self.allow(desired, self.memory_size, "memory")
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> Result<bool> {
        self.allow(desired, self.table_elements, "table")
    }

    fn gc_heap_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> Result<bool> {
        Ok(self.gc_heap_size.is_none_or(|cap| desired <= cap))
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn memories(&self) -> usize {
        self.memories
    }

    fn tables(&self) -> usize {
        self.tables
    }
}
