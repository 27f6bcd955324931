//! What a running handler sees: the `Ctx` of the call (store, instance,
//! stacks, pending trap, host call or exception) and raising a trap.

use super::state::{InstanceRt, Stacks};
use super::{Exit, Fp, Ip};
use crate::error::TrapKind;
use crate::store::StoreInner;

/// The state handlers share while running.
pub(crate) struct Ctx {
    pub store: *mut StoreInner,
    /// The running function's instance.
    pub inst: *const InstanceRt,
    /// The store's stacks.
    pub(super) stacks: *mut Stacks,
    /// One past the last usable value slot.
    pub stack_end: *mut u64,
    pub trap: Option<TrapKind>,
    /// The instruction that left the chain: where a trap happened or a
    /// host call was made (the innermost frame of a backtrace).
    pub exit_ip: Ip,
    /// An exception leaving the activation (store exception index).
    pub thrown: Option<u32>,
    /// The engine's epoch counter (shared with other threads).
    pub epoch: *const std::sync::atomic::AtomicU64,
    /// A pending host call.
    pub host: HostCall,
}

/// A host call a handler asked the driver to make.
#[derive(Copy, Clone)]
pub(crate) struct HostCall {
    pub func: u32,
    /// Frame of the calling Wasm function and the slot of the first argument.
    pub fp: Fp,
    pub base: u32,
    /// Where the caller continues.
    pub resume: Ip,
    /// Whether this was a tail call: the caller returns right after.
    pub tail: bool,
    /// The calling instruction.
    pub site: Ip,
}

impl Ctx {
    #[cfg(feature = "checked")]
    pub(crate) fn check_slot(&self, fp: Fp, s: usize) {
        // SAFETY: see `stacks`.
        let base = unsafe { (*self.stacks).values.as_ptr() } as usize;
        let at = fp as usize + s * 8;
        assert!(
            at >= base && at < self.stack_end as usize,
            "slot {s} outside the value stack"
        );
    }

    /// The current instance.
    #[inline(always)]
    pub(crate) fn inst(&self) -> &InstanceRt {
        // SAFETY: `inst` always points at a live instance of this store
        // while code runs (set at entry and on every call and return).
        unsafe { &*self.inst }
    }

    /// Base and length of the current instance's memory 0.
    #[inline(always)]
    pub(crate) fn mem0(&self) -> (*mut u8, usize) {
        match self.inst().memories.first() {
            // SAFETY: memory boxes live as long as the store.
            Some(&m) => unsafe { ((*m).data.as_mut_ptr(), (*m).data.len()) },
            None => (std::ptr::null_mut(), 0),
        }
    }

    /// The store's stacks.
    #[inline(always)]
    pub(crate) fn stacks(&mut self) -> &mut Stacks {
        // SAFETY: the stacks box lives as long as the store, and while a
        // handler runs nothing else references it.
        unsafe { &mut *self.stacks }
    }

    /// The engine's current epoch.
    #[inline(always)]
    pub(crate) fn epoch_now(&self) -> u64 {
        // SAFETY: the engine outlives every call into its stores (the
        // store holds it), and the counter is an atomic.
        unsafe { (*self.epoch).load(std::sync::atomic::Ordering::Relaxed) }
    }

    /// The store, for slow paths.
    #[inline(always)]
    pub(crate) fn store(&mut self) -> &mut StoreInner {
        // SAFETY: the store is exclusively borrowed by the running call, and
        // no other reference into it is alive while a handler runs.
        unsafe { &mut *self.store }
    }
}

/// Records a trap and leaves the chain.
#[cold]
#[inline(never)]
pub(crate) fn raise(ip: Ip, ctx: &mut Ctx, kind: TrapKind) -> Exit {
    ctx.trap = Some(kind);
    ctx.exit_ip = ip;
    // Opaque, so callers cannot fold the result and must tail-call this:
    // a real call would make every handler with a trap path save registers.
    std::hint::black_box(Exit::Trap)
}
