//! Wasm backtraces: the frames of the running call, innermost first, found
//! from the instruction that left the chain and each frame's return
//! address.

use super::state::{Frame, HostSite, InstanceRt};
use super::{Ctx, Ip};
use crate::Error;
use crate::error::FrameInfo;
use crate::ir::CompiledFunc;

pub(super) fn with_backtrace(e: Error, ctx: &mut Ctx) -> Error {
    match e {
        Error::Trap(t) if t.backtrace().is_empty() => Error::Trap(t.with_backtrace(backtrace(ctx))),
        other => other,
    }
}

/// The Wasm frames of the running call, innermost first. Each frame's
/// function is found from an address inside its code: the trapping
/// instruction for the innermost, the return address for the others.
pub(super) fn backtrace(ctx: &mut Ctx) -> Vec<FrameInfo> {
    let mut out = Vec::new();
    let mut ip = ctx.exit_ip;
    let mut inst = ctx.inst;
    let s = ctx.stacks();
    let frames: Vec<Frame> = s.frames.iter().rev().copied().collect();
    let mut sites: Vec<HostSite> = s.host_sites.clone();
    let exit = s.exit_code.as_ptr();
    for frame in frames {
        // SAFETY: frames point at live instances of this store.
        let rt = unsafe { &*inst };
        if let Some((f, word)) = function_at(rt, ip) {
            let module = &ctx.store().instances[rt.index as usize].module;
            out.push(FrameInfo {
                module_name: module.name().map(str::to_string),
                func_index: f.func_index,
                func_name: module.func_name(f.func_index).map(str::to_string),
                offset: f.offset_of(word),
            });
        }
        if frame.ret_ip == exit {
            // An entry frame: the Wasm code below it made a host call.
            match sites.pop() {
                Some(site) => (ip, inst) = (site.site, site.inst),
                None => break,
            }
        } else {
            // The return address is the instruction after the call.
            ip = frame.ret_ip.wrapping_sub(1);
            inst = frame.ret_inst;
        }
    }
    out
}

/// The function of `rt` whose code contains `ip`, and the word index of
/// `ip` in it.
pub(super) fn function_at(rt: &InstanceRt, ip: Ip) -> Option<(&CompiledFunc, usize)> {
    rt.defined.iter().find_map(|&f| {
        // SAFETY: function entries live as long as their module. (A
        // function not translated yet has no frames.)
        let f = unsafe { &*f }.translated()?;
        let start = f.code.as_ptr() as usize;
        let word = (ip as usize).wrapping_sub(start) / 8;
        (ip as usize >= start && word < f.code.len()).then_some((f, word))
    })
}
