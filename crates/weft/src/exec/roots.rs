//! The GC roots in Wasm frames, and collection with every root: each
//! frame of the running call is stopped at a safepoint (the innermost at
//! the allocation that collects, or at a call to the host that collects,
//! the others at calls), and the translator's stack map of that safepoint
//! says which of the frame's slots hold references.

use super::backtrace::function_at;
use super::state::{Frame, HostSite, InstanceRt, Stacks};
use super::{Ctx, Fp, Ip};
use crate::store::StoreInner;
use weft_gc::{GcRef, HeapError};

/// Appends the references in the frames of `stacks` to `out`, the
/// innermost frame being `fp` of instance `inst`, suspended at the
/// safepoint it leaves for `resume`; `sites` are the host calls the
/// activations below it were made from.
fn frame_roots(
    stacks: &Stacks,
    sites: &[HostSite],
    (resume, fp, inst): (Ip, Fp, *const InstanceRt),
    out: &mut Vec<GcRef>,
) {
    let (mut ip, mut fp, mut inst) = (resume, fp, inst);
    let mut sites = sites.to_vec();
    let exit = stacks.exit_code.as_ptr();
    for frame in stacks.frames.iter().rev().copied() {
        let frame: Frame = frame;
        // SAFETY: frames point at live instances of this store.
        let rt = unsafe { &*inst };
        // The function is found from the safepoint instruction itself (the
        // word before where the code continues): a safepoint may be the
        // last instruction of its function, continuing at the end of it.
        if let Some((f, last)) = function_at(rt, ip.wrapping_sub(1)) {
            for &slot in f.stack_maps.at(last + 1) {
                // SAFETY: the stack map lists slots of this function's
                // frame, which lies inside the value stack while the
                // function is suspended at this safepoint.
                let cell = unsafe { *fp.add(slot as usize) };
                out.push(GcRef(cell as u32));
            }
        }
        if frame.ret_ip == exit {
            // An entry frame: the Wasm code below it made a host call.
            match sites.pop() {
                Some(site) => (ip, fp, inst) = (site.resume, site.fp, site.inst),
                None => break,
            }
        } else {
            (ip, fp, inst) = (frame.ret_ip, frame.ret_fp, frame.ret_inst);
        }
    }
}

/// Collects the store's heap from a handler: the innermost frame is `fp`,
/// suspended at the allocation that continues at `resume`.
#[inline(never)]
pub(super) fn collect_in_handler(ctx: &mut Ctx, resume: Ip, fp: Fp) -> Result<(), HeapError> {
    let mut roots = Vec::new();
    let (stacks, inst) = (ctx.stacks, ctx.inst);
    // SAFETY: the stacks live as long as the store; a handler runs, so
    // nothing else uses them.
    let stacks = unsafe { &*stacks };
    frame_roots(stacks, &stacks.host_sites, (resume, fp, inst), &mut roots);
    collect_with(ctx.store(), roots)
}

/// Collects the store's heap from host code: Wasm frames, if any, are all
/// suspended in calls to the host, the innermost at the last host site.
pub(crate) fn collect_from_host(store: &mut StoreInner) -> Result<(), HeapError> {
    let mut roots = Vec::new();
    if let Some(stacks) = store.exec.suspended()
        && let Some((site, below)) = stacks.host_sites.split_last()
    {
        frame_roots(stacks, below, (site.resume, site.fp, site.inst), &mut roots);
    }
    collect_with(store, roots)
}

/// Collects with `roots` (from frames) and everything the store holds.
fn collect_with(store: &mut StoreInner, mut roots: Vec<GcRef>) -> Result<(), HeapError> {
    crate::gc::store_roots(store, &mut roots);
    store.gc.collect(&mut roots)
}
