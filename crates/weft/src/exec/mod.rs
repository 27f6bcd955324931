//! The executor: runs translated code with threaded dispatch on weft's own
//! stacks.
//!
//! Every instruction's handler finishes by tail-calling the next one's, so
//! with optimisation on a Wasm function body runs as a chain of jumps. A
//! Wasm call pushes a [`Frame`] on weft's frame stack and continues in the
//! same chain: nothing recurses on the host stack, and exceeding the
//! configured stack is the trap "call stack exhausted". Handlers leave the
//! chain (returning an [`Exit`]) only to finish, to trap, or to call the host.
//!
//! This is the only module with `unsafe` code. Its invariants are set up by
//! the translator (every slot operand is below the function's frame size,
//! every branch lands on an instruction, operand types match) and by the
//! store (runtime objects never move or die while the store lives). The
//! `checked` feature checks every slot access against the frame and every
//! decoded instruction against the guard word the translator wrote.

mod control;
mod exception;
mod memory;
mod numeric;
mod reference;
mod simd;

pub(crate) use control::*;
pub(crate) use exception::*;
pub(crate) use memory::*;
pub(crate) use numeric::*;
pub(crate) use reference::*;
pub(crate) use simd::*;

use crate::error::{FrameInfo, Trap, TrapKind};
use crate::exception::Exception;
use crate::ir::isa::{Instr, Slot, SlotOrImm};
use crate::ir::{CompiledFunc, GUARD_WORDS};
use crate::store::{FuncKind, GlobalInstance, MemoryInstance, StoreInner, TableInstance};
use crate::{Error, Result};
use std::any::Any;

/// Why a handler left the dispatch chain.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Exit {
    /// The entry function returned.
    Done,
    /// A trap; the kind is in [`Ctx::trap`].
    Trap,
    /// A call to a host function, described in [`Ctx::host`].
    HostCall,
    /// An exception no frame of this activation catches, in [`Ctx::thrown`].
    Throw,
}

/// Instruction pointer: the first word of the current instruction.
pub(crate) type Ip = *const u64;
/// Frame pointer: slot 0 of the current frame.
pub(crate) type Fp = *mut u64;

/// The signature every handler shares, so each can tail-call the next.
pub(crate) type RawHandler = unsafe fn(Ip, Fp, *mut u8, usize, &mut Ctx, u64) -> Exit;

/// The operands of the instruction at `ip`, read in place as instruction
/// `I` (see `ir::isa` for the layout), and where the instruction after it
/// starts. In `checked` builds, first compares the guard word with `I` and
/// `extra_words` (the words of a variable tail, for `br_table`).
///
/// # Safety
///
/// `ip` is the start of an instruction the translator emitted as an `I`
/// with `extra_words` words after its operands, in code that outlives `'a`.
#[inline(always)]
pub(crate) unsafe fn decode_at<'a, I: Instr>(ip: Ip, extra_words: usize) -> (&'a I, After<I>) {
    #[cfg(feature = "checked")]
    {
        // SAFETY: every instruction has its guard right after the handler
        // word, so this word is part of the instruction at `ip`.
        let guard = unsafe { *ip.add(1) };
        assert_eq!(
            guard,
            crate::ir::isa::guard(I::ID, I::WORDS + extra_words),
            "handler decodes `{}` ({} words) where the translator emitted something else",
            I::NAME,
            I::WORDS + extra_words
        );
    }
    // SAFETY: as the caller promises, an `I`'s operands follow the handler
    // (and guard) word, `u32`s laid out as `I` is and 4-byte aligned (code
    // words are 8-byte aligned).
    let ops = unsafe { &*(ip.add(1 + GUARD_WORDS) as *const I) };
    (ops, After(ip, extra_words, std::marker::PhantomData))
}

/// Where the instruction after an `I` at a given address starts, worked
/// out where it is used (so the compiler computes it on the path that
/// continues there, not before a trap check).
pub(crate) struct After<I>(Ip, usize, std::marker::PhantomData<I>);

impl<I: Instr> After<I> {
    /// The address of the next instruction.
    #[inline(always)]
    pub(crate) fn ip(self) -> Ip {
        // SAFETY: the instruction (its guard, operands and tail) lies in
        // code that continues after it, or ends with a jump that never
        // falls through to here.
        unsafe { self.0.add(1 + GUARD_WORDS + I::WORDS + self.1) }
    }
}

/// An instruction address: where `next!` continues.
pub(crate) trait NextIp {
    fn ip(self) -> Ip;
}

impl NextIp for Ip {
    #[inline(always)]
    fn ip(self) -> Ip {
        self
    }
}

impl<I: Instr> NextIp for After<I> {
    #[inline(always)]
    fn ip(self) -> Ip {
        After::ip(self)
    }
}

/// `let (ops, next) = decode!(ip, I)`: the operands of the instruction at
/// `ip`, which the running handler executes as instruction `I`, and the
/// next instruction's address.
macro_rules! decode {
    ($ip:expr, $instr:ty) => {{
        // SAFETY: a handler runs only at instructions the translator emitted
        // with it, as the instruction type the handler decodes (what
        // `checked` builds verify in `decode_at`).
        #[allow(unused_unsafe)]
        let r = unsafe { $crate::exec::decode_at::<$instr>($ip, 0) };
        r
    }};
}

/// A frame slot number: an instruction's [`Slot`] operand, or a slot a
/// handler computed.
pub(crate) trait SlotIndex {
    fn index(self) -> usize;
}

impl SlotIndex for Slot {
    #[inline(always)]
    fn index(self) -> usize {
        self.0 as usize
    }
}

impl SlotIndex for SlotOrImm {
    #[inline(always)]
    fn index(self) -> usize {
        self.0 as usize
    }
}

impl SlotIndex for u32 {
    #[inline(always)]
    fn index(self) -> usize {
        self as usize
    }
}

impl SlotIndex for usize {
    #[inline(always)]
    fn index(self) -> usize {
        self
    }
}

/// Reads frame slot `s`.
macro_rules! get {
    ($fp:expr, $ctx:expr, $s:expr) => {{
        let s = $crate::exec::SlotIndex::index($s);
        #[cfg(feature = "checked")]
        $ctx.check_slot($fp, s);
        // SAFETY: every slot operand is below the frame size, and the frame
        // fits the value stack (checked when the frame was pushed).
        unsafe { *$fp.add(s) }
    }};
}

/// Writes frame slot `s`.
macro_rules! set {
    ($fp:expr, $ctx:expr, $s:expr, $v:expr) => {{
        let s = $crate::exec::SlotIndex::index($s);
        let v: u64 = $v;
        #[cfg(feature = "checked")]
        $ctx.check_slot($fp, s);
        // SAFETY: as for `get!`.
        unsafe { *$fp.add(s) = v }
    }};
}

/// Continues with the instruction at `ip` (a tail call), handing it `acc`.
///
/// `acc` travels in a register from handler to handler: an instruction
/// that computes a scalar passes its result on, and the translator lets
/// the instruction right after it (and only that one, with no branch
/// target between them) read that operand from `acc` instead of from its
/// slot. The chain of a computation then runs through registers instead of
/// a store and a reload per step; every result is still written to its
/// slot. Handlers with nothing to pass on pass on what they received.
macro_rules! next {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr) => {{
        let ip: $crate::exec::Ip = $crate::exec::NextIp::ip($ip);
        let acc: u64 = $acc;
        // SAFETY: `ip` is the start of an instruction of the running
        // function, whose first word is a handler address written by the
        // translator.
        let h: $crate::exec::RawHandler = unsafe { std::mem::transmute::<usize, _>(*ip as usize) };
        return unsafe { h(ip, $fp, $mem, $len, $ctx, acc) };
    }};
}

/// Leaves the chain with a trap of the given kind at `ip`.
macro_rules! trap {
    ($ip:expr, $ctx:expr, $kind:expr) => {{
        return $crate::exec::raise($ip, $ctx, $kind);
    }};
}

pub(crate) use {decode, get, next, set, trap};

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

/// What the executor caches about an instance: raw pointers to the objects
/// its code touches, so a handler needs no lookups through the store.
pub(crate) struct InstanceRt {
    pub index: u32,
    /// Store function ids of the module's function index space.
    pub funcs: Box<[u32]>,
    /// Code of the module's own functions, by defined-function index.
    pub defined: Box<[*const CompiledFunc]>,
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
    values: Vec<u64>,
    frames: Vec<Frame>,
    /// First free value slot, where the next entry call starts.
    top: usize,
    /// Where each active host call was made (innermost last), so
    /// backtraces can continue past nested entry frames.
    host_sites: Vec<(Ip, *const InstanceRt)>,
    /// One instruction that leaves the chain: the return address of the
    /// frame an entry call pushes.
    exit_code: Box<[u64; 1]>,
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
const HOST_STACK_BUDGET: usize = 384 << 10;

/// The executor's part of a store.
pub(crate) struct Runtime {
    // Boxed: frames and `Ctx` point at them while the vector grows.
    #[allow(clippy::vec_box)]
    pub instances: Vec<Box<InstanceRt>>,
    /// The instance whose code is calling the host, during a host call.
    pub caller: Option<u32>,
    stacks: Option<Box<Stacks>>,
    max_stack_bytes: usize,
    /// Entry calls in progress (nested through host calls).
    depth: u32,
    /// Host stack address at the outermost entry.
    entry_sp: usize,
}

impl Runtime {
    pub(crate) fn new(max_stack_bytes: usize) -> Runtime {
        Runtime {
            instances: Vec::new(),
            caller: None,
            stacks: None,
            max_stack_bytes,
            depth: 0,
            entry_sp: 0,
        }
    }

    fn stacks(&mut self) -> *mut Stacks {
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

/// Runs a closure when dropped, also during unwinding: restores executor
/// state whatever way a call ends.
struct OnExit<F: FnMut()>(F);

impl<F: FnMut()> Drop for OnExit<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}

/// The state handlers share while running.
pub(crate) struct Ctx {
    pub store: *mut StoreInner,
    /// The running function's instance.
    pub inst: *const InstanceRt,
    /// The store's stacks.
    stacks: *mut Stacks,
    /// One past the last usable value slot.
    pub stack_end: *mut u64,
    pub trap: Option<TrapKind>,
    pub trap_ip: Ip,
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
    ctx.trap_ip = ip;
    // Opaque, so callers cannot fold the result and must tail-call this:
    // a real call would make every handler with a trap path save registers.
    std::hint::black_box(Exit::Trap)
}

/// The return address of an entry frame: leaves the chain.
unsafe fn exit_handler(
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
    let rt: *mut Runtime = &mut store.rt;
    let marker = 0u8;
    let here = &marker as *const u8 as usize;
    let stacks = store.rt.stacks();
    if store.rt.depth == 0 {
        // Nothing is running: whatever an earlier call left behind (it may
        // have been unwound by a host panic) is stale.
        // SAFETY: no call is active, so nothing else uses the stacks.
        let s = unsafe { &mut *stacks };
        s.frames.clear();
        s.host_sites.clear();
        s.top = 0;
        store.rt.caller = None;
        store.rt.entry_sp = here;
    } else if store.rt.entry_sp.abs_diff(here) > HOST_STACK_BUDGET {
        return Err(Trap::new(TrapKind::StackExhausted).into());
    }
    store.rt.depth += 1;
    // SAFETY: the runtime lives in the store, which outlives this call.
    let _depth = OnExit(|| unsafe { (*rt).depth -= 1 });
    let entry = store.funcs[func as usize].clone();
    match entry.kind {
        FuncKind::Host(h) => {
            let mut buf = vec![0u64; h.num_params.max(h.num_results)];
            buf[..args.len()].copy_from_slice(args);
            let outer = std::mem::replace(&mut store.rt.caller, caller);
            // SAFETY: as above.
            let _caller = OnExit(|| unsafe { (*rt).caller = outer });
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
    let inst: *const InstanceRt = &*store.rt.instances[inst_index as usize];
    // SAFETY: `inst` points into a box the store owns.
    let func: *const CompiledFunc = unsafe { (&(*inst).defined)[def_index as usize] };
    // SAFETY: compiled functions live in modules the store keeps alive.
    let f = unsafe { &*func };
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
        trap_ip: std::ptr::null(),
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
                let store = ctx.store().id;
                return Err(Error::Exception(Exception::from_raw(store, exn)));
            }
            Exit::HostCall => {
                let call = ctx.host;
                let results = match host_call(ctx, host, &call) {
                    Ok(n) => n,
                    // A host function threw: unwind from its call site.
                    Err(Error::Exception(e)) if ctx.store().check(e.store).is_ok() => {
                        match unwind(ctx, call.site, call.fp, e.index) {
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
    let site = (ctx.trap_ip, ctx.inst);
    let caller_index = ctx.inst().index;
    let s = ctx.stacks();
    let base_index = (args.as_ptr() as usize - s.values.as_ptr() as usize) / 8;
    let (outer_top, outer_sites) = (s.top, s.host_sites.len());
    s.top = base_index + n;
    s.host_sites.push(site);
    let rt: *mut Runtime = &mut ctx.store().rt;
    // SAFETY: the runtime lives in the store, which outlives this call.
    let outer_caller = unsafe { (*rt).caller.replace(caller_index) };
    let _restore = OnExit(|| {
        // SAFETY: store and stacks outlive the call; no handler runs now.
        unsafe {
            (*stacks).top = outer_top;
            (*stacks).host_sites.truncate(outer_sites);
            (*rt).caller = outer_caller;
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

fn with_backtrace(e: Error, ctx: &mut Ctx) -> Error {
    match e {
        Error::Trap(t) if t.backtrace().is_empty() => Error::Trap(t.with_backtrace(backtrace(ctx))),
        other => other,
    }
}

/// The Wasm frames of the running call, innermost first. Each frame's
/// function is found from an address inside its code: the trapping
/// instruction for the innermost, the return address for the others.
fn backtrace(ctx: &mut Ctx) -> Vec<FrameInfo> {
    let mut out = Vec::new();
    let mut ip = ctx.trap_ip;
    let mut inst = ctx.inst;
    let s = ctx.stacks();
    let frames: Vec<Frame> = s.frames.iter().rev().copied().collect();
    let mut sites: Vec<(Ip, *const InstanceRt)> = s.host_sites.clone();
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
                Some((site_ip, site_inst)) => (ip, inst) = (site_ip, site_inst),
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
fn function_at(rt: &InstanceRt, ip: Ip) -> Option<(&CompiledFunc, usize)> {
    rt.defined.iter().find_map(|&f| {
        // SAFETY: compiled functions live as long as their module.
        let f = unsafe { &*f };
        let start = f.code.as_ptr() as usize;
        let word = (ip as usize).wrapping_sub(start) / 8;
        (ip as usize >= start && word < f.code.len()).then_some((f, word))
    })
}

/// Registers a new instance's runtime view; returns nothing, the view's
/// index equals the instance's.
pub(crate) fn register_instance(store: &mut StoreInner, index: u32) {
    let data = &store.instances[index as usize];
    let module = data.module.inner();
    let defined = module
        .compiled
        .iter()
        .map(|f| f as *const CompiledFunc)
        .collect();
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
    debug_assert_eq!(store.rt.instances.len(), index as usize);
    store.rt.instances.push(Box::new(rt));
}

/// `checked` builds verify the contract between translator and executor:
/// a handler decodes exactly the instruction the translator emitted.
#[cfg(all(test, feature = "checked"))]
mod checked_tests {
    use super::decode_at;
    use crate::ir::isa::{Move, Slot, Unary};
    use crate::ir::{CodeBuilder, h};

    fn code_with_unary() -> Box<[u64]> {
        let mut b = CodeBuilder::default();
        let ops = Unary {
            dst: Slot(0),
            a: Slot(1),
        };
        b.emit(h!(super::copy), ops);
        b.finish().0
    }

    #[test]
    fn decoding_the_emitted_instruction_reads_its_operands_and_length() {
        let code = code_with_unary();
        // SAFETY: the code holds one `Unary`.
        let (o, next) = unsafe { decode_at::<Unary>(code.as_ptr(), 0) };
        assert_eq!((o.dst, o.a), (Slot(0), Slot(1)));
        assert_eq!(next.ip(), code.as_ptr().wrapping_add(code.len()));
    }

    #[test]
    #[should_panic(expected = "handler decodes `move`")]
    fn decoding_another_instruction_panics() {
        let code = code_with_unary();
        // The layouts agree (two slots), but the instruction does not.
        // SAFETY: a `Move` has the same size; the guard check panics first.
        let _ = unsafe { decode_at::<Move>(code.as_ptr(), 0) };
    }
}
