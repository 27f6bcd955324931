//! Throwing and catching exceptions: the `throw` and `throw_ref` handlers
//! and the unwinder that finds the catching clause, popping frames of
//! functions that do not handle the exception.
//!
//! Each function has a table of catch regions (see `ir::CatchRegion`).
//! The unwinder looks for the innermost region around the current
//! instruction, tries its clauses, follows the chain of enclosing regions,
//! and when none matches, continues in the caller at its call instruction.
//! An exception that unwinds past the entry frame leaves the chain.

use super::backtrace::function_at;
use super::gc::alloc_exception;
use super::{Ctx, Exit, Fp, InstanceRt, Ip, decode, get, next, trap};
use crate::error::TrapKind;
use crate::ir::isa::{Throw, ThrowRef};
use crate::ir::{Clause, CompiledFunc, RegionAction};
use weft_gc::GcRef;

/// `throw`: makes an exception of a tag with the payload at `base`.
pub(crate) unsafe fn throw(
    ip: Ip,
    fp: Fp,
    _m: *mut u8,
    _l: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Throw);
    // SAFETY: the payload's cells are slots of this frame.
    let made = unsafe { new_exception(ip, next.ip(), fp, ctx, o) };
    let exn = match made {
        Ok(r) => r.0,
        Err(k) => trap!(ip, ctx, k),
    };
    // SAFETY: see `raise_exception`.
    unsafe { raise_exception(ip, fp, exn, ctx, acc) }
}

/// The exception `throw` makes, allocated at its safepoint (`resume`).
///
/// # Safety
///
/// `o`'s payload cells are slots of the frame at `fp`.
#[inline(never)]
unsafe fn new_exception(
    _ip: Ip,
    resume: Ip,
    fp: Fp,
    ctx: &mut Ctx,
    o: &Throw,
) -> Result<GcRef, TrapKind> {
    let (base, n) = (o.base.0 as usize, o.cells.0 as usize);
    let payload: Vec<u64> = (base..base + n).map(|s| get!(fp, ctx, s)).collect();
    let tag = ctx.inst().tags[o.tag.0 as usize];
    alloc_exception(ctx, resume, fp, tag, &payload)
}

/// `throw_ref`: rethrows the exception in a slot.
pub(crate) unsafe fn throw_ref(
    ip: Ip,
    fp: Fp,
    _m: *mut u8,
    _l: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, _) = decode!(ip, ThrowRef);
    let cell = get!(fp, ctx, o.exn);
    if cell == 0 {
        trap!(ip, ctx, TrapKind::NullReference);
    }
    // SAFETY: see `raise_exception`.
    unsafe { raise_exception(ip, fp, cell as u32, ctx, acc) }
}

/// Unwinds to the handler of exception `exn` thrown at `ip` and continues
/// there, or leaves the chain if nothing in this activation catches it.
///
/// # Safety
///
/// `ip` and `fp` are the current instruction and frame.
#[inline(never)]
pub(crate) unsafe fn raise_exception(ip: Ip, fp: Fp, exn: u32, ctx: &mut Ctx, acc: u64) -> Exit {
    match unwind(ctx, ip, fp, exn) {
        Some((ip, fp)) => {
            let (mem, len) = ctx.mem0();
            next!(ip, fp, mem, len, ctx, acc)
        }
        None => {
            ctx.thrown = Some(exn);
            Exit::Throw
        }
    }
}

/// Finds where exception `exn`, raised at `ip` in frame `fp`, is caught:
/// writes its payload (and reference) where the clause wants them, and
/// returns the landing code and its frame. Pops the frames it unwinds;
/// `None` if the exception leaves the entry frame.
pub(crate) fn unwind(ctx: &mut Ctx, mut ip: Ip, mut fp: Fp, exn: u32) -> Option<(Ip, Fp)> {
    loop {
        // SAFETY: `ctx.inst` is the live instance of the running function.
        let rt: &InstanceRt = unsafe { &*ctx.inst };
        if let Some((f, word)) = function_at(rt, ip)
            && let Some(clause) = find_clause(ctx, rt, f, word as u32, exn)
        {
            land(ctx, fp, clause, exn);
            // SAFETY: `pad` is an instruction of `f` (translator-made).
            return Some((unsafe { f.code.as_ptr().add(clause.pad as usize) }, fp));
        }
        let exit = ctx.stacks().exit_code.as_ptr();
        let frame = ctx.stacks().frames.pop()?;
        if frame.ret_ip == exit {
            return None;
        }
        // Continue in the caller, at its call instruction.
        ip = frame.ret_ip.wrapping_sub(1);
        fp = frame.ret_fp;
        ctx.inst = frame.ret_inst;
    }
}

/// The clause of `f` that catches `exn` at `word`, if any.
fn find_clause<'f>(
    ctx: &mut Ctx,
    rt: &InstanceRt,
    f: &'f CompiledFunc,
    word: u32,
    exn: u32,
) -> Option<&'f Clause> {
    // A corrupted heap gives no tag: then only `catch_all` catches.
    let tag = crate::gc::exception_tag(&ctx.store().gc, GcRef(exn)).unwrap_or(u32::MAX);
    // The innermost region around `word` starts last.
    let mut entry = f
        .catch_regions
        .iter()
        .enumerate()
        .filter(|(_, e)| e.start <= word && word < e.end)
        .max_by_key(|(_, e)| e.start)
        .map(|(i, _)| i as u32);
    while let Some(i) = entry {
        let e = &f.catch_regions[i as usize];
        match &e.action {
            RegionAction::Catch(clauses) => {
                let hit = clauses
                    .iter()
                    .find(|c| c.tag.is_none_or(|t| rt.tags[t as usize] == tag));
                if hit.is_some() {
                    return hit;
                }
                entry = e.parent;
            }
            RegionAction::Delegate(target) => entry = *target,
        }
    }
    None
}

/// Writes the payload and reference of `exn` into the catching frame.
#[inline(never)]
fn land(ctx: &mut Ctx, fp: Fp, clause: &Clause, exn: u32) {
    let payload = crate::gc::exception_payload(&ctx.store().gc, GcRef(exn)).unwrap_or_default();
    let cells = if clause.tag.is_some() {
        &payload[..]
    } else {
        &[][..]
    };
    for (k, &c) in cells.iter().enumerate() {
        super::set!(fp, ctx, clause.dest as usize + k, c);
    }
    if let Some(s) = clause.exn_slot {
        super::set!(fp, ctx, s, u64::from(exn));
    }
}
