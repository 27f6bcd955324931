//! The executor's state in a store: the value and frame stacks, each
//! instance's cached view of what its code touches, and the entry-call
//! bookkeeping.

use super::driver::exit_handler;
use super::{Fp, Ip, RawHandler};
use crate::ir::FuncEntry;
use crate::store::{GlobalInstance, MemoryInstance, StoreInner, TableInstance};

/// One activation on weft's frame stack.
#[derive(Copy, Clone)]
pub(crate) struct Frame {
    /// Where the caller continues.
    pub ret_ip: Ip,
    /// The caller's frame pointer.
    pub ret_fp: Fp,
    /// The caller's instance.
    pub ret_inst: *const InstanceRt,
}

/// A Wasm frame suspended in a call to the host.
#[derive(Copy, Clone)]
pub(crate) struct HostSite {
    /// The calling instruction.
    pub site: Ip,
    /// Where the caller continues (its safepoint, for the collector).
    pub resume: Ip,
    /// The caller's frame.
    pub fp: Fp,
    /// The caller's instance.
    pub inst: *const InstanceRt,
}

/// What the executor caches about an instance: raw pointers to the objects
/// its code touches, so a handler needs no lookups through the store.
pub(crate) struct InstanceRt {
    pub index: u32,
    /// Store function ids of the module's function index space.
    pub funcs: Box<[u32]>,
    /// Code of the module's own functions, by defined-function index
    /// (entries in the module, translated or not).
    pub defined: Box<[*const FuncEntry]>,
    pub globals: Box<[*mut GlobalInstance]>,
    /// Store tag ids of the module's tag index space.
    pub tags: Box<[u32]>,
    pub memories: Box<[*mut MemoryInstance]>,
    pub tables: Box<[*mut TableInstance]>,
}

// SAFETY: the pointers in `InstanceRt` point into boxes owned by the same
// store (and into the instance's `Module`, which the store keeps alive); they
// are only dereferenced while the store is mutably borrowed by a call.
unsafe impl Send for InstanceRt {}
// SAFETY: as above; shared references never dereference the pointers.
unsafe impl Sync for InstanceRt {}

/// The value and frame stacks of a store. They stay in the store for its
/// whole life (boxed, so running code can point at them), shared by every
/// call into it, including calls nested in host calls.
pub(crate) struct Stacks {
    pub(super) values: Vec<u64>,
    pub(super) frames: Vec<Frame>,
    /// First free value slot, where the next entry call starts.
    pub(super) top: usize,
    /// Where each active host call was made (innermost last), so
    /// backtraces and the collector can continue past nested entry frames.
    pub(super) host_sites: Vec<HostSite>,
    /// One instruction that leaves the chain: the return address of the
    /// frame an entry call pushes.
    pub(super) exit_code: Box<[u64; 1]>,
}

// SAFETY: frames and host sites hold pointers into code and objects owned
// by the store; they are only followed while a call exclusively borrows the
// store.
unsafe impl Send for Stacks {}
// SAFETY: as above.
unsafe impl Sync for Stacks {}

/// How far nested entries (Wasm calling the host calling Wasm ...) may go
/// down the host stack before the next one traps with "call stack
/// exhausted". Wasm frames live on weft's stacks, but each nesting level
/// also takes host frames; the budget keeps well inside a 2 MiB thread.
pub(super) const HOST_STACK_BUDGET: usize = 384 << 10;

/// The executor's part of a store: its instances' cached views, its
/// stacks and the bookkeeping of entry calls.
pub(crate) struct ExecState {
    // Boxed: frames and `Ctx` point at them while the vector grows.
    #[allow(clippy::vec_box)]
    pub instances: Vec<Box<InstanceRt>>,
    /// The instance whose code is calling the host, during a host call.
    pub caller: Option<u32>,
    stacks: Option<Box<Stacks>>,
    max_stack_bytes: usize,
    /// Entry calls in progress (nested through host calls).
    pub(super) depth: u32,
    /// Host stack address at the outermost entry.
    pub(super) entry_sp: usize,
}

impl ExecState {
    pub(crate) fn new(max_stack_bytes: usize) -> ExecState {
        ExecState {
            instances: Vec::new(),
            caller: None,
            stacks: None,
            max_stack_bytes,
            depth: 0,
            entry_sp: 0,
        }
    }

    /// The stacks while a call is active (frames may be suspended in
    /// calls to the host), for the collector.
    pub(super) fn suspended(&self) -> Option<&Stacks> {
        self.stacks.as_deref().filter(|_| self.depth > 0)
    }

    pub(super) fn stacks(&mut self) -> *mut Stacks {
        let max = self.max_stack_bytes;
        let stacks = self.stacks.get_or_insert_with(|| {
            // Most of the stack is never touched: the allocator hands out
            // zeroed pages lazily, so the limit costs nothing until used.
            let cells = max / 16;
            let frames = (max / 2) / std::mem::size_of::<Frame>();
            Box::new(Stacks {
                values: vec![0; cells],
                frames: Vec::with_capacity(frames.max(16)),
                top: 0,
                host_sites: Vec::new(),
                exit_code: Box::new([exit_handler as RawHandler as usize as u64]),
            })
        });
        &mut **stacks
    }
}

/// Registers a new instance's runtime view; returns nothing, the view's
/// index equals the instance's.
pub(crate) fn register_instance(store: &mut StoreInner, index: u32) {
    let data = &store.instances[index as usize];
    let module = data.module.inner();
    let defined = module.code.iter().map(|f| f as *const FuncEntry).collect();
    let globals = data
        .globals
        .iter()
        .map(|&g| &mut *store.globals[g as usize] as *mut GlobalInstance)
        .collect();
    let memories = data
        .memories
        .iter()
        .map(|&m| &mut *store.memories[m as usize] as *mut MemoryInstance)
        .collect();
    let tables = data
        .tables
        .iter()
        .map(|&t| &mut *store.tables[t as usize] as *mut TableInstance)
        .collect();
    let rt = InstanceRt {
        index,
        funcs: data.funcs.clone().into(),
        defined,
        globals,
        tags: data.tags.clone().into(),
        memories,
        tables,
    };
    debug_assert_eq!(store.exec.instances.len(), index as usize);
    store.exec.instances.push(Box::new(rt));
}
