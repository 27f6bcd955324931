//! Control instructions: branches (plain, conditional, fused with a
//! comparison, tables), calls of every kind, tail calls and returns.

use super::forms::{CallKind, Second, Sense, Source, ZeroTest};
use super::numeric::{BinOp, second};
use super::{
    Ctx, Exit, Fp, Frame, HostCall, InstanceRt, Ip, decode, decode_at, get, next, set, trap,
};
use crate::error::TrapKind;
use crate::ir::FuncEntry;
use crate::ir::GUARD_WORDS;
use crate::ir::isa::{
    Br, BrAddCmp, BrCmp, BrTable, BrZero, Call, CallImport, CallIndirect, CallRef, CheckEpoch,
    ConsumeFuel, Instr, Ret, Ret1, Target, Unreachable, ZeroLocals,
};
use crate::store::FuncKind;

/// The instruction `target` leads to from the instruction at `ip`.
#[inline(always)]
pub(super) fn jump(ip: Ip, target: Target) -> Ip {
    ip.wrapping_offset(target.0 as i32 as isize)
}

/// Unconditional branch.
pub(crate) unsafe fn br(ip: Ip, fp: Fp, mem: *mut u8, len: usize, ctx: &mut Ctx, acc: u64) -> Exit {
    let (o, _) = decode!(ip, Br);
    next!(jump(ip, o.target), fp, mem, len, ctx, acc)
}

/// Branch if the i32 in `cond` (a slot, or `acc` with `ACC`) is zero
/// (with `ZERO`) or nonzero. Like every conditional
/// branch, passes its first operand on in `acc` either way (see
/// `translate::control::br_if`).
pub(crate) unsafe fn br_zero<Z: ZeroTest, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, BrZero);
    let c = if R::ACC { acc } else { get!(fp, ctx, o.cond) };
    let to = if (c == 0) == Z::ZERO {
        jump(ip, o.target)
    } else {
        next.ip()
    };
    next!(to, fp, mem, len, ctx, c)
}

/// Branch if `a OP b` (or its negation, with `NEG`); `b` a slot, or an
/// immediate with `IMM`; `a` a slot, or `acc` with `ACC`. Passes `a` on in
/// `acc`.
pub(crate) unsafe fn br_cmp<O: BinOp, Q: Sense, B: Second, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, BrCmp);
    let a = if R::ACC { acc } else { get!(fp, ctx, o.a) };
    let taken = (O::apply(a, second::<O, B>(o.b, fp, ctx)) == Ok(1)) != Q::NEG;
    let to = if taken { jump(ip, o.target) } else { next.ip() };
    next!(to, fp, mem, len, ctx, a)
}

/// `dst = src A imm`, then branch if `dst OP b` (or its negation): with
/// an add, the increment-and-test that ends most counted loops (or a
/// decrement tested against zero); with an and, a bit test; in one
/// dispatch. `b` a slot, or an immediate with `IMM`. Passes `dst` on in
/// `acc`.
pub(crate) unsafe fn br_add_cmp<A: BinOp, O: BinOp, Q: Sense, B: Second>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    _acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, BrAddCmp);
    let sum = A::apply(get!(fp, ctx, o.src), A::imm(o.imm.0)).unwrap_or(0);
    set!(fp, ctx, o.dst, sum);
    let taken = (O::apply(sum, second::<O, B>(o.b, fp, ctx)) == Ok(1)) != Q::NEG;
    let to = if taken { jump(ip, o.target) } else { next.ip() };
    next!(to, fp, mem, len, ctx, sum)
}

/// Indexed branch, the index in a slot or (with `ACC`) in `acc`; the
/// `count + 1` targets follow the operands (the last is the default).
pub(crate) unsafe fn br_table<R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, targets) = br_table_operands(ip);
    let i = if R::ACC { acc } else { get!(fp, ctx, o.index) } as u32;
    let k = i.min(o.count.0) as usize;
    // SAFETY: `k <= count`, and `count + 1` targets follow.
    let target = unsafe { *targets.add(k) };
    next!(jump(ip, target), fp, mem, len, ctx, acc)
}

/// A `br_table`'s operands and its targets.
#[inline(always)]
fn br_table_operands<'a>(ip: Ip) -> (&'a BrTable, *const Target) {
    // SAFETY: as `decode!`: the instruction at `ip` is a `BrTable`, whose
    // `count` is in its first operand word.
    let count = unsafe { (*(ip.add(1 + GUARD_WORDS) as *const BrTable)).count.0 } as usize;
    let tail_words = (BrTable::OPERANDS + count + 1).div_ceil(2) - BrTable::WORDS;
    // SAFETY: as `decode!`, with the targets' words after the operands.
    let (o, _) = unsafe { decode_at::<BrTable>(ip, tail_words) };
    let targets = (o as *const BrTable).wrapping_add(1) as *const Target;
    (o, targets)
}

/// Traps with "unreachable".
pub(crate) unsafe fn unreachable(
    ip: Ip,
    _fp: Fp,
    _m: *mut u8,
    _l: usize,
    ctx: &mut Ctx,
    _acc: u64,
) -> Exit {
    let _ = decode!(ip, Unreachable);
    trap!(ip, ctx, TrapKind::Unreachable)
}

/// Pops the current frame and continues in the caller. `mem`/`len` are the
/// current view of memory 0, still right if the caller runs in the same
/// instance (anything that changes memory refreshes the view it passes on).
#[inline(always)]
unsafe fn pop_frame(mem: *mut u8, len: usize, ctx: &mut Ctx, acc: u64) -> Exit {
    let frames = &mut ctx.stacks().frames;
    let n = frames.len();
    // SAFETY: every running function has its frame on the stack, so `n >= 1`.
    let frame = unsafe { *frames.as_ptr().add(n - 1) };
    // SAFETY: shrinking the length of a `Copy` vector.
    unsafe { frames.set_len(n - 1) };
    let (mem, len) = if frame.ret_inst == ctx.inst {
        (mem, len)
    } else {
        ctx.inst = frame.ret_inst;
        ctx.mem0()
    };
    next!(frame.ret_ip, frame.ret_fp, mem, len, ctx, acc)
}

/// Returns with results already in place.
pub(crate) unsafe fn ret(
    ip: Ip,
    _fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let _ = decode!(ip, Ret);
    // SAFETY: see `pop_frame`.
    unsafe { pop_frame(mem, len, ctx, acc) }
}

/// Returns one result from slot `src`.
pub(crate) unsafe fn ret1(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, _) = decode!(ip, Ret1);
    let v = get!(fp, ctx, o.src);
    set!(fp, ctx, 0u32, v);
    // SAFETY: see `pop_frame`.
    unsafe { pop_frame(mem, len, ctx, acc) }
}

/// Pushes a frame for `func` at `fp + base` and enters it, or traps if the
/// stacks are full.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn enter(
    ip: Ip,
    next_ip: Ip,
    fp: Fp,
    base: u32,
    func: *const FuncEntry,
    inst: *const InstanceRt,
    mem_len: (*mut u8, usize),
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    // Read before the entry's acquiring load, so that the compiler can see
    // `inst == caller_inst` for calls within an instance.
    let (stack_end, caller_inst) = (ctx.stack_end, ctx.inst);
    // SAFETY: function entries live as long as their module, which the
    // store keeps alive.
    let (code, frame_size) = unsafe { &*func }.entry();
    let new_fp = fp.wrapping_add(base as usize);
    let frames = &mut ctx.stacks().frames;
    let n = frames.len();
    if new_fp.wrapping_add(frame_size as usize) > stack_end || n == frames.capacity() {
        trap!(ip, ctx, TrapKind::StackExhausted);
    }
    // SAFETY: `n < capacity`, so the slot is allocated.
    unsafe {
        frames.as_mut_ptr().add(n).write(Frame {
            ret_ip: next_ip,
            ret_fp: fp,
            ret_inst: caller_inst,
        });
        frames.set_len(n + 1);
    }
    // Within an instance, `ctx.inst` is already the callee's.
    let (mem, len) = if inst != caller_inst {
        ctx.inst = inst;
        ctx.mem0()
    } else {
        mem_len
    };
    next!(code, new_fp, mem, len, ctx, acc)
}

/// Replaces the current frame's function with `func` (a tail call), moving
/// the arguments at `base` to the frame's start.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn enter_tail(
    ip: Ip,
    fp: Fp,
    base: u32,
    func: *const FuncEntry,
    inst: *const InstanceRt,
    mem_len: (*mut u8, usize),
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    // As in `enter`: the caller's instance is read before the entry.
    let caller_inst = ctx.inst;
    // SAFETY: see `enter`.
    let f = unsafe { &*func };
    let (code, frame_size) = f.entry();
    if fp.wrapping_add(frame_size as usize) > ctx.stack_end {
        trap!(ip, ctx, TrapKind::StackExhausted);
    }
    // SAFETY: arguments and destination both lie inside the current frame
    // or the checked extent of the new one; `copy` allows overlap.
    unsafe { std::ptr::copy(fp.add(base as usize), fp, f.num_params as usize) };
    let (mem, len) = if inst != caller_inst {
        ctx.inst = inst;
        ctx.mem0()
    } else {
        mem_len
    };
    next!(code, fp, mem, len, ctx, acc)
}

/// [`enter`], or with `TAIL` [`enter_tail`] (which has no return address).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn enter_as<K: CallKind>(
    ip: Ip,
    next_ip: Ip,
    fp: Fp,
    base: u32,
    func: *const FuncEntry,
    inst: *const InstanceRt,
    mem_len: (*mut u8, usize),
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    if K::TAIL {
        // SAFETY: as the caller promises for `enter_tail`.
        unsafe { enter_tail(ip, fp, base, func, inst, mem_len, ctx, acc) }
    } else {
        // SAFETY: as the caller promises for `enter`.
        unsafe { enter(ip, next_ip, fp, base, func, inst, mem_len, ctx, acc) }
    }
}

/// The code of a function not translated yet (its entry's stub, see
/// `FuncEntry`), entered like the function itself, its frame in place:
/// translates the function (once for its module, whichever store or
/// thread calls first; later calls go straight to the code), checks the
/// frame's real size and continues in the code.
#[cold]
pub(crate) unsafe fn lazy_entry(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, _) = decode!(ip, crate::ir::isa::LazyEntry);
    let index = ctx.inst().index;
    let module: *const crate::module::ModuleInner =
        ctx.store().instances[index as usize].module.inner();
    // SAFETY: the store keeps its instances' modules alive while their
    // code runs, and a module is immutable but for its entries' atomics.
    let module = unsafe { &*module };
    let f = match module.translated(o.func.0) {
        Ok(f) => f,
        Err(e) => panic!("a validated function failed to translate: {e}"),
    };
    let code = f.code.as_ptr();
    if fp.wrapping_add(f.frame_size as usize) > ctx.stack_end {
        trap!(code, ctx, TrapKind::StackExhausted);
    }
    next!(code, fp, mem, len, ctx, acc)
}

/// Calls store function `id` with arguments at `fp + base`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn call_id(
    ip: Ip,
    next_ip: Ip,
    fp: Fp,
    base: u32,
    id: u32,
    tail: bool,
    mem_len: (*mut u8, usize),
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let store = ctx.store();
    // SAFETY (unchecked index): store function ids in instances and tables
    // always name existing functions.
    let entry = &store.funcs[id as usize];
    match &entry.kind {
        &FuncKind::Wasm {
            instance,
            def_index,
        } => {
            let (func, inst) = wasm_entry(store, instance, def_index);
            if tail {
                // SAFETY: see `enter_tail`.
                unsafe { enter_tail(ip, fp, base, func, inst, mem_len, ctx, acc) }
            } else {
                // SAFETY: see `enter`.
                unsafe { enter(ip, next_ip, fp, base, func, inst, mem_len, ctx, acc) }
            }
        }
        FuncKind::Host(_) => {
            ctx.host = HostCall {
                func: id,
                fp,
                base,
                resume: next_ip,
                tail,
                site: ip,
            };
            ctx.exit_ip = ip;
            Exit::HostCall
        }
    }
}

/// Calls (or with `TAIL` tail-calls) a function defined in the same
/// module, whose code address was patched in when the module was complete.
pub(crate) unsafe fn call<K: CallKind>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Call);
    let func = callee(o, ctx);
    let inst = ctx.inst;
    // SAFETY: see `enter` and `enter_tail`.
    unsafe {
        enter_as::<K>(
            ip,
            next.ip(),
            fp,
            o.base.0,
            func,
            inst,
            (mem, len),
            ctx,
            acc,
        )
    }
}

/// The callee of a direct call: the address the module patched in.
#[inline(always)]
fn callee(o: &Call, ctx: &Ctx) -> *const FuncEntry {
    let addr = o.callee.0.get() as usize as *const FuncEntry;
    #[cfg(feature = "checked")]
    assert!(
        std::ptr::eq(addr, ctx.inst().defined[o.func.0 as usize]),
        "direct call patched with the wrong callee"
    );
    let _ = ctx;
    addr
}

/// Charges fuel for the basic block it starts.
pub(crate) unsafe fn consume_fuel(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ConsumeFuel);
    let amount = u64::from(o.amount.0);
    let store = ctx.store();
    match store.fuel.checked_sub(amount) {
        Some(left) => store.fuel = left,
        None => {
            store.fuel = 0;
            trap!(ip, ctx, TrapKind::OutOfFuel)
        }
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// Traps with "interrupt" if the store's epoch deadline has passed. At
/// function entries and loop headers.
pub(crate) unsafe fn check_epoch(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (_, next) = decode!(ip, CheckEpoch);
    if ctx.epoch_now() >= ctx.store().epoch_deadline {
        trap!(ip, ctx, TrapKind::Interrupt);
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// Zeroes `N` of the function's non-parameter locals, by straight-line
/// stores: a function's first instructions (one per [`ZERO_LOCALS_MAX`]
/// locals). A loop over any count would become a `memset` call, which
/// costs saving and restoring every register the chain lives in.
pub(crate) unsafe fn zero_locals<const N: usize>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ZeroLocals);
    #[cfg(feature = "checked")]
    assert_eq!(o.count.0 as usize, N, "zero_locals::<N> with another count");
    let first = o.first.0 as usize;
    for k in 0..N {
        set!(fp, ctx, first + k, 0);
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// The most locals one `zero_locals` zeroes.
pub(crate) const ZERO_LOCALS_MAX: usize = 32;

/// `zero_locals::<N>` for `N` from 1 to [`ZERO_LOCALS_MAX`], at `N - 1`.
pub(crate) const ZERO_LOCALS: [crate::ir::Handler; ZERO_LOCALS_MAX] = {
    use crate::ir::h;
    [
        h!(zero_locals::<1>),
        h!(zero_locals::<2>),
        h!(zero_locals::<3>),
        h!(zero_locals::<4>),
        h!(zero_locals::<5>),
        h!(zero_locals::<6>),
        h!(zero_locals::<7>),
        h!(zero_locals::<8>),
        h!(zero_locals::<9>),
        h!(zero_locals::<10>),
        h!(zero_locals::<11>),
        h!(zero_locals::<12>),
        h!(zero_locals::<13>),
        h!(zero_locals::<14>),
        h!(zero_locals::<15>),
        h!(zero_locals::<16>),
        h!(zero_locals::<17>),
        h!(zero_locals::<18>),
        h!(zero_locals::<19>),
        h!(zero_locals::<20>),
        h!(zero_locals::<21>),
        h!(zero_locals::<22>),
        h!(zero_locals::<23>),
        h!(zero_locals::<24>),
        h!(zero_locals::<25>),
        h!(zero_locals::<26>),
        h!(zero_locals::<27>),
        h!(zero_locals::<28>),
        h!(zero_locals::<29>),
        h!(zero_locals::<30>),
        h!(zero_locals::<31>),
        h!(zero_locals::<32>),
    ]
};

/// Calls (or with `TAIL` tail-calls) an entry of the function index space
/// (imports).
pub(crate) unsafe fn call_import<K: CallKind>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, CallImport);
    let id = ctx.inst().funcs[o.func.0 as usize];
    // SAFETY: see `call_id`.
    unsafe {
        call_id(
            ip,
            next.ip(),
            fp,
            o.base.0,
            id,
            K::TAIL,
            (mem, len),
            ctx,
            acc,
        )
    }
}

/// Resolves a `call_indirect` target: table entry, null and type checks.
#[inline(always)]
fn indirect_target(o: &CallIndirect, fp: Fp, ctx: &mut Ctx) -> Result<u32, TrapKind> {
    let i = get!(fp, ctx, o.index);
    let table = o.table.0 as usize;
    let expected = crate::types::TypeId::new(o.ty.0, crate::types::DefinedKind::Func);
    // SAFETY: table pointers of an instance are live boxes of the store.
    let t = unsafe { &*ctx.inst().tables[table] };
    let cell = *t
        .elems
        .get(usize::try_from(i).unwrap_or(usize::MAX))
        .ok_or(TrapKind::UndefinedElement)?;
    if cell == 0 {
        return Err(TrapKind::UninitializedElement);
    }
    let id = (cell - 1) as u32;
    let store = ctx.store();
    if store.funcs[id as usize].ty != expected && !store.func_matches(id, expected) {
        return Err(TrapKind::IndirectCallTypeMismatch);
    }
    Ok(id)
}

/// `call_indirect`, or with `TAIL` `return_call_indirect`.
///
/// The common case (an in-bounds, non-null entry of exactly the expected
/// type, defined in Wasm) is decided here without calling anything, so the
/// handler keeps the chain's registers where they are; everything else
/// (subtyping, host functions, traps) continues in
/// [`call_indirect_general`].
pub(crate) unsafe fn call_indirect<K: CallKind>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, CallIndirect);
    let Some((func, inst)) = exact_wasm_target(o, fp, ctx) else {
        // SAFETY: the same instruction, handled in full.
        return unsafe { call_indirect_general::<K>(ip, fp, mem, len, ctx, acc) };
    };
    // SAFETY: see `enter` and `enter_tail`.
    unsafe {
        enter_as::<K>(
            ip,
            next.ip(),
            fp,
            o.base.0,
            func,
            inst,
            (mem, len),
            ctx,
            acc,
        )
    }
}

/// The Wasm function a `call_indirect` reaches, if its table entry is in
/// bounds, not null, of exactly the expected type and defined in Wasm.
#[inline(always)]
fn exact_wasm_target(
    o: &CallIndirect,
    fp: Fp,
    ctx: &mut Ctx,
) -> Option<(*const FuncEntry, *const InstanceRt)> {
    let i = get!(fp, ctx, o.index);
    let expected = crate::types::TypeId::new(o.ty.0, crate::types::DefinedKind::Func);
    // SAFETY: table pointers of an instance are live boxes of the store.
    let t = unsafe { &*ctx.inst().tables[o.table.0 as usize] };
    let cell = *t.elems.get(usize::try_from(i).ok()?)?;
    let store = ctx.store();
    let entry = store.funcs.get(cell.checked_sub(1)? as usize)?;
    if entry.ty != expected {
        return None;
    }
    let FuncKind::Wasm {
        instance,
        def_index,
    } = entry.kind
    else {
        return None;
    };
    Some(wasm_entry(store, instance, def_index))
}

/// The entry of defined function `def_index` of store instance
/// `instance`, and that instance.
#[inline(always)]
fn wasm_entry(
    store: &crate::store::StoreInner,
    instance: u32,
    def_index: u32,
) -> (*const FuncEntry, *const InstanceRt) {
    let inst: *const InstanceRt = &*store.exec.instances[instance as usize];
    // SAFETY: `inst` is a live instance; its defined list covers
    // `def_index`.
    (unsafe { (&(*inst).defined)[def_index as usize] }, inst)
}

/// `call_indirect` in full: what [`call_indirect`] leaves to it.
#[cold]
#[inline(never)]
unsafe fn call_indirect_general<K: CallKind>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, CallIndirect);
    match indirect_target(o, fp, ctx) {
        // SAFETY: see `call_id`.
        Ok(id) => unsafe {
            call_id(
                ip,
                next.ip(),
                fp,
                o.base.0,
                id,
                K::TAIL,
                (mem, len),
                ctx,
                acc,
            )
        },
        Err(k) => trap!(ip, ctx, k),
    }
}

/// `call_ref`, or with `TAIL` `return_call_ref`.
pub(crate) unsafe fn call_ref<K: CallKind>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, CallRef);
    let cell = get!(fp, ctx, o.callee);
    if cell == 0 {
        trap!(ip, ctx, TrapKind::NullFunctionReference);
    }
    let id = (cell - 1) as u32;
    // SAFETY: see `call_id`.
    unsafe {
        call_id(
            ip,
            next.ip(),
            fp,
            o.base.0,
            id,
            K::TAIL,
            (mem, len),
            ctx,
            acc,
        )
    }
}
