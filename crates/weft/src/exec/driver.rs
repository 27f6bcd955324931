//! Entering and leaving the dispatch chain: entry calls from the API
//! (`invoke`), the driver loop that runs handlers, and the host calls it
//! makes for them, with the stacks lent back to the store so host code can
//! re-enter Wasm.

use super::backtrace::{backtrace, with_backtrace};
use super::state::{ExecState, Frame, HOST_STACK_BUDGET, HostSite, InstanceRt, Stacks};
use super::{Ctx, Exit, Fp, HostCall, Ip, RawHandler, unwind};
use crate::error::{Trap, TrapKind};
use crate::exception::Exception;
use crate::ir::FuncEntry;
use crate::store::{FuncKind, StoreInner};
use crate::{Error, Result};
use std::any::Any;

/// Runs a closure when dropped, also during unwinding: restores executor
/// state whatever way a call ends.
struct OnExit<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnExit<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// The return address of an entry frame: leaves the chain.
pub(super) unsafe fn exit_handler(
    _ip: Ip,
    _fp: Fp,
    _m: *mut u8,
    _l: usize,
    _ctx: &mut Ctx,
    _acc: u64,
) -> Exit {
    Exit::Done
}

/// Calls store function `func` with `args` (cells), writing result cells to
/// `results`. `host` is the store's host data, handed to host functions;
/// `caller` is the instance host functions see as calling them.
pub(crate) fn invoke(
    store: &mut StoreInner,
    host: &mut dyn Any,
    func: u32,
    caller: Option<u32>,
    args: &[u64],
    results: &mut [u64],
) -> Result<()> {
    let exec: *mut ExecState = &mut store.exec;
    let marker = 0u8;
    let here = &marker as *const u8 as usize;
    let stacks = store.exec.stacks();
    if store.exec.depth == 0 {
        // Nothing is running: whatever an earlier call left behind (it may
        // have been unwound by a host panic) is stale.
        // SAFETY: no call is active, so nothing else uses the stacks.
        let s = unsafe { &mut *stacks };
        s.frames.clear();
        s.host_sites.clear();
        s.top = 0;
        store.exec.caller = None;
        store.exec.entry_sp = here;
    } else if store.exec.entry_sp.abs_diff(here) > HOST_STACK_BUDGET {
        return Err(Trap::new(TrapKind::StackExhausted).into());
    }
    store.exec.depth += 1;
    // SAFETY: the executor state lives in the store, which outlives this
    // call.
    let _depth = OnExit(|| unsafe { (*exec).depth -= 1 });
    let entry = store.funcs[func as usize].clone();
    match entry.kind {
        FuncKind::Host(h) => {
            let mut buf = vec![0u64; h.num_params.max(h.num_results)];
            buf[..args.len()].copy_from_slice(args);
            let outer = std::mem::replace(&mut store.exec.caller, caller);
            // SAFETY: as above.
            let _caller = OnExit(|| unsafe { (*exec).caller = outer });
            (h.callback)(store, host, &mut buf)?;
            results.copy_from_slice(&buf[..results.len()]);
            Ok(())
        }
        FuncKind::Wasm {
            instance,
            def_index,
        } => run_entry(store, host, stacks, instance, def_index, args, results),
    }
}

fn run_entry(
    store: &mut StoreInner,
    host: &mut dyn Any,
    stacks: *mut Stacks,
    inst_index: u32,
    def_index: u32,
    args: &[u64],
    results: &mut [u64],
) -> Result<()> {
    let inst: *const InstanceRt = &*store.exec.instances[inst_index as usize];
    // SAFETY: `inst` points into a box the store owns.
    let func: *const FuncEntry = unsafe { (&(*inst).defined)[def_index as usize] };
    // SAFETY: function entries live in modules the store keeps alive.
    let f = match unsafe { &*func }.translated() {
        Some(f) => f,
        None => {
            let module = store.instances[inst_index as usize].module.clone();
            module
                .inner()
                .translated(def_index)
                .map_err(|e| Error::Unsupported(e.to_string()))?;
            // SAFETY: as above; now translated.
            unsafe { &*func }.translated().expect("translated")
        }
    };
    // SAFETY: the stacks box lives as long as the store; no handler runs.
    let s = unsafe { &mut *stacks };
    let base = s.top;
    let needed = (f.frame_size as usize).max(results.len()).max(args.len());
    let frames_before = s.frames.len();
    if base + needed > s.values.len() || frames_before == s.frames.capacity() {
        return Err(Trap::new(TrapKind::StackExhausted).into());
    }
    s.values[base..base + args.len()].copy_from_slice(args);
    let fp: Fp = s.values[base..].as_mut_ptr();
    let stack_end = s.values.as_mut_ptr_range().end;
    s.frames.push(Frame {
        ret_ip: s.exit_code.as_ptr(),
        ret_fp: fp,
        ret_inst: inst,
    });
    // However the call ends, the frames it pushed are gone afterwards.
    // SAFETY: as above.
    let _frames = OnExit(|| unsafe { (*stacks).frames.truncate(frames_before) });
    let mut ctx = Ctx {
        store,
        inst,
        stacks,
        stack_end,
        trap: None,
        thrown: None,
        epoch: store.engine.epoch_counter(),
        exit_ip: std::ptr::null(),
        host: HostCall {
            func: 0,
            fp,
            base: 0,
            resume: std::ptr::null(),
            tail: false,
            site: std::ptr::null(),
        },
    };
    drive(&mut ctx, host, f.code.as_ptr(), fp)?;
    // SAFETY: the entry frame's results are in its first slots.
    let out = unsafe { std::slice::from_raw_parts(fp, results.len()) };
    results.copy_from_slice(out);
    Ok(())
}

/// Runs the chain from `ip`, making host calls when asked, until the entry
/// frame returns or a trap.
fn drive(ctx: &mut Ctx, host: &mut dyn Any, mut ip: Ip, mut fp: Fp) -> Result<()> {
    loop {
        let (mem, len) = ctx.mem0();
        // SAFETY: `ip` is the start of an instruction and `fp` the frame of
        // the function it belongs to.
        let h: RawHandler = unsafe { std::mem::transmute::<usize, RawHandler>(*ip as usize) };
        match unsafe { h(ip, fp, mem, len, ctx, 0) } {
            Exit::Done => return Ok(()),
            Exit::Trap => {
                let kind = ctx.trap.take().unwrap_or(TrapKind::Unreachable);
                let trap = Trap::new(kind).with_backtrace(backtrace(ctx));
                return Err(trap.into());
            }
            Exit::Throw => {
                let exn = ctx.thrown.take().unwrap_or(0);
                let e = Exception::from_ref(ctx.store(), weft_gc::GcRef(exn));
                return Err(Error::Exception(e));
            }
            Exit::HostCall => {
                let call = ctx.host;
                let results = match host_call(ctx, host, &call) {
                    Ok(n) => n,
                    // A host function threw: unwind from its call site.
                    Err(Error::Exception(e)) if e.cell(ctx.store()).is_ok() => {
                        let exn = e.cell(ctx.store()).unwrap_or(0) as u32;
                        match unwind(ctx, call.site, call.fp, exn) {
                            Some((to, frame)) => {
                                (ip, fp) = (to, frame);
                                continue;
                            }
                            None => return Err(Error::Exception(e)),
                        }
                    }
                    Err(e) => return Err(with_backtrace(e, ctx)),
                };
                if call.tail {
                    (ip, fp) = return_from(ctx, call.fp, call.base, results);
                } else {
                    (ip, fp) = (call.resume, call.fp);
                }
            }
        }
    }
}

/// Makes a host call on behalf of a handler: arguments from the caller's
/// frame in, results back into it. Returns the number of results.
fn host_call(ctx: &mut Ctx, host: &mut dyn Any, call: &HostCall) -> Result<usize> {
    let store = ctx.store();
    let FuncKind::Host(h) = store.funcs[call.func as usize].kind.clone() else {
        unreachable!("host call to a Wasm function");
    };
    let n = h.num_params.max(h.num_results);
    // SAFETY: the arguments are the top of the caller's frame, inside the
    // value stack; the results fit the caller's frame too (the translator
    // sized it for them). The value stack never moves (fixed capacity).
    let args = unsafe { std::slice::from_raw_parts_mut(call.fp.add(call.base as usize), n) };
    let mut buf = args.to_vec();
    // Calls the host function makes back into Wasm start above the
    // caller's arguments; the call site continues their backtraces.
    let stacks: *mut Stacks = ctx.stacks;
    let site = HostSite {
        site: ctx.exit_ip,
        resume: call.resume,
        fp: call.fp,
        inst: ctx.inst,
    };
    let caller_index = ctx.inst().index;
    let s = ctx.stacks();
    let base_index = (args.as_ptr() as usize - s.values.as_ptr() as usize) / 8;
    let (outer_top, outer_sites) = (s.top, s.host_sites.len());
    s.top = base_index + n;
    s.host_sites.push(site);
    let exec: *mut ExecState = &mut ctx.store().exec;
    // SAFETY: the executor state lives in the store, which outlives this
    // call.
    let outer_caller = unsafe { (*exec).caller.replace(caller_index) };
    let _restore = OnExit(|| {
        // SAFETY: store and stacks outlive the call; no handler runs now.
        unsafe {
            (*stacks).top = outer_top;
            (*stacks).host_sites.truncate(outer_sites);
            (*exec).caller = outer_caller;
        }
    });
    (h.callback)(ctx.store(), host, &mut buf)?;
    // SAFETY: as above; re-derived after the host had the store.
    let out = unsafe { std::slice::from_raw_parts_mut(call.fp.add(call.base as usize), n) };
    out[..h.num_results].copy_from_slice(&buf[..h.num_results]);
    Ok(h.num_results)
}

/// Copies a tail-called host function's `n` results to the frame's first
/// slots and returns to the caller.
fn return_from(ctx: &mut Ctx, fp: Fp, base: u32, n: usize) -> (Ip, Fp) {
    let frame = ctx.stacks().frames.pop().expect("a frame to return from");
    // SAFETY: a tail call happens inside a function whose frame holds its
    // own results (the translator sized it so) and the callee's arguments.
    unsafe { std::ptr::copy(fp.add(base as usize), fp, n) };
    ctx.inst = frame.ret_inst;
    (frame.ret_ip, frame.ret_fp)
}
