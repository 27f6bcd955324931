//! Linear-memory instructions: loads and stores (memory 0 through the
//! cached base and length, other memories through the instance), and the
//! size, grow and bulk operations.
//!
//! Every access is bounds-checked in 64-bit (or wider) arithmetic, so the
//! same handlers serve 32- and 64-bit memories.

use super::control::jump;
use super::forms::{Addr32, Addr64, Second, Source, Width, ZeroTest};
use super::numeric::{BinOp, second};
use super::{Ctx, Exit, Fp, Ip, decode, get, next, set, trap};
use crate::error::TrapKind;
use crate::ir::isa::{
    DataDrop, Load, LoadAdd, LoadAt, LoadBr, LoadMem, LoadScaled, MemoryCopy, MemoryFill,
    MemoryGrow, MemoryInit, MemorySize, Slot, SlotOrImm, Store, StoreAdd, StoreAt, StoreImm,
    StoreImmAdd, StoreMem, StoreScaled,
};
use crate::store::MemoryInstance;

/// `len` zero bytes freshly allocated, or `None` if the allocator refuses:
/// a linear memory's first bytes.
///
/// Zeroed allocation (`calloc`), not a fill: the allocator hands out large
/// blocks as fresh pages the kernel zeroes on first touch, so a memory
/// costs neither a pass over its bytes at instantiation nor resident memory
/// for pages the program never touches. (Safe Rust has no fallible zeroed
/// allocation; `vec![0; n]` aborts when refused.) Later growth reallocates
/// and fills the new part, which lets the allocator move a large block's
/// pages instead of copying them.
pub(crate) fn zeroed_bytes(len: usize) -> Option<Vec<u8>> {
    if len == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(len).ok()?;
    // SAFETY: `layout` has a nonzero size.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was allocated by the global allocator with `u8`'s
    // alignment and a size of exactly `len` bytes (the capacity), all of
    // them initialised to zero (the length).
    Some(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// A load: how many bytes and how they become a cell.
pub(crate) trait LoadOp {
    const SIZE: usize;
    fn decode(bytes: &[u8]) -> u64;

    /// Reads `SIZE` bytes at `p`.
    ///
    /// # Safety
    ///
    /// `p..p + SIZE` must be readable.
    unsafe fn read(p: *const u8) -> u64;
}

/// A store: how many bytes a cell becomes.
pub(crate) trait StoreOp {
    const SIZE: usize;
    fn encode(v: u64, out: &mut [u8]);

    /// Writes `SIZE` bytes at `p`.
    ///
    /// # Safety
    ///
    /// `p..p + SIZE` must be writable.
    unsafe fn write(p: *mut u8, v: u64);

    /// Decodes a 32-bit immediate value (sign-extended for 8-byte stores).
    fn imm(x: u32) -> u64 {
        if Self::SIZE == 8 {
            x as i32 as i64 as u64
        } else {
            u64::from(x)
        }
    }
}

macro_rules! loads {
    ($($name:ident, $n:literal, |$b:ident| $body:expr;)*) => {$(
        pub(crate) struct $name;
        impl LoadOp for $name {
            const SIZE: usize = $n;
            #[inline(always)]
            fn decode($b: &[u8]) -> u64 {
                let $b: [u8; $n] = $b.try_into().unwrap_or([0; $n]);
                $body
            }
            #[inline(always)]
            unsafe fn read(p: *const u8) -> u64 {
                // SAFETY: the caller guarantees `$n` readable bytes.
                let $b: [u8; $n] = unsafe { p.cast::<[u8; $n]>().read_unaligned() };
                $body
            }
        }
    )*};
}

macro_rules! stores {
    ($($name:ident, $n:literal, |$v:ident| $body:expr;)*) => {$(
        pub(crate) struct $name;
        impl StoreOp for $name {
            const SIZE: usize = $n;
            #[inline(always)]
            fn encode($v: u64, out: &mut [u8]) {
                let bytes: [u8; $n] = $body;
                out.copy_from_slice(&bytes);
            }
            #[inline(always)]
            unsafe fn write(p: *mut u8, $v: u64) {
                let bytes: [u8; $n] = $body;
                // SAFETY: the caller guarantees `$n` writable bytes.
                unsafe { p.cast::<[u8; $n]>().write_unaligned(bytes) };
            }
        }
    )*};
}

loads! {
    Load32, 4, |b| u64::from(u32::from_le_bytes(b));
    Load64, 8, |b| u64::from_le_bytes(b);
    Load8S32, 1, |b| u64::from(b[0] as i8 as i32 as u32);
    Load8U, 1, |b| u64::from(b[0]);
    Load16S32, 2, |b| u64::from(i16::from_le_bytes(b) as i32 as u32);
    Load16U, 2, |b| u64::from(u16::from_le_bytes(b));
    Load8S64, 1, |b| b[0] as i8 as i64 as u64;
    Load16S64, 2, |b| i16::from_le_bytes(b) as i64 as u64;
    Load32S64, 4, |b| i32::from_le_bytes(b) as i64 as u64;
}

stores! {
    Store8, 1, |v| [v as u8];
    Store16, 2, |v| (v as u16).to_le_bytes();
    Store32, 4, |v| (v as u32).to_le_bytes();
    Store64, 8, |v| v.to_le_bytes();
}

/// The start of the `size`-byte access at `addr + offset`, if in bounds.
/// (A sum past `u64::MAX` is past any memory's length, so checked 64-bit
/// adds are exact; with a constant offset of 0 one add remains.)
#[inline(always)]
pub(super) fn effective(addr: u64, offset: u64, size: usize, len: usize) -> Option<usize> {
    let start = addr.checked_add(offset)?;
    match start.checked_add(size as u64) {
        Some(end) if end <= len as u64 => Some(start as usize),
        _ => None,
    }
}

/// [`effective`] for a memory whose index type is known: for a 32-bit
/// memory, address and offset both fit in 32 bits (masked, so a broken
/// invariant cannot overflow), and the check is exact in 64-bit arithmetic.
#[inline(always)]
pub(super) fn effective_for<W: Width>(
    addr: u64,
    offset: u64,
    size: usize,
    len: usize,
) -> Option<usize> {
    if W::M64 {
        effective(addr, offset, size, len)
    } else {
        let end = u64::from(addr as u32) + u64::from(offset as u32) + size as u64;
        if end <= len as u64 {
            Some((end - size as u64) as usize)
        } else {
            None
        }
    }
}

/// The `L` at `addr + offset` in memory 0 (bounds-checked as `W` says),
/// or `None` past its end.
///
/// # Safety
///
/// `mem` and `len` describe memory 0 of the running instance: a handler's
/// own arguments (refreshed after anything that can grow it).
#[inline(always)]
unsafe fn read<L: LoadOp, W: Width>(
    mem: *mut u8,
    len: usize,
    addr: u64,
    offset: u64,
) -> Option<u64> {
    let ea = effective_for::<W>(addr, offset, L::SIZE, len)?;
    // SAFETY: `ea + SIZE <= len`, and `mem`/`len` describe memory 0 (the
    // caller's promise). A raw unaligned read: slice helpers can carry
    // checks that defeat the tail call.
    Some(unsafe { L::read(mem.add(ea)) })
}

/// Writes `v` as an `S` at `addr + offset` in memory 0 (bounds-checked as
/// `W` says), or returns `None` past its end.
///
/// # Safety
///
/// As for [`read`].
#[inline(always)]
unsafe fn write<S: StoreOp, W: Width>(
    mem: *mut u8,
    len: usize,
    addr: u64,
    offset: u64,
    v: u64,
) -> Option<()> {
    let ea = effective_for::<W>(addr, offset, S::SIZE, len)?;
    // SAFETY: as in `read`.
    unsafe { S::write(mem.add(ea), v) };
    Some(())
}

/// Load from memory 0, the address in a slot or (with `ACC`) in `acc`.
/// Passes the value on in `acc`.
pub(crate) unsafe fn load<L: LoadOp, W: Width, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Load);
    let addr = if R::ACC { acc } else { get!(fp, ctx, o.addr) };
    // SAFETY: `mem` and `len` are the handler's.
    let Some(v) = (unsafe { read::<L, W>(mem, len, addr, o.offset.get()) }) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// Load an i32 from 32-bit memory 0, then branch if it is zero (with
/// `ZERO`) or nonzero: a `br_if` or `if` on a value just loaded (a list
/// walk's `p = p->next` test, a string's terminator) in one dispatch. The
/// address in a slot or (with `ACC`) in `acc`; passes the value on in
/// `acc`, as every conditional branch passes its operand.
pub(crate) unsafe fn load_br<L: LoadOp, Z: ZeroTest, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, LoadBr);
    let addr = if R::ACC { acc } else { get!(fp, ctx, o.addr) };
    // SAFETY: `mem` and `len` are the handler's.
    let Some(v) = (unsafe { read::<L, Addr32>(mem, len, addr, o.offset.get()) }) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    set!(fp, ctx, o.dst, v);
    let to = if (v == 0) == Z::ZERO {
        jump(ip, o.target)
    } else {
        next.ip()
    };
    next!(to, fp, mem, len, ctx, v)
}

/// Store to memory 0, the value in a slot or (with `ACC`) in `acc`.
pub(crate) unsafe fn store<S: StoreOp, W: Width, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Store);
    let addr = get!(fp, ctx, o.addr);
    let v = if R::ACC { acc } else { get!(fp, ctx, o.value) };
    // SAFETY: `mem` and `len` are the handler's.
    if unsafe { write::<S, W>(mem, len, addr, o.offset.get(), v) }.is_none() {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// The address `a + b` of an access with its address add fused in: `a`
/// from its slot or (with `ACC`) from `acc`, `b` a slot or an immediate;
/// `A` is the index width's wrapping add, which never fails.
#[inline(always)]
fn added_address<A: BinOp, B: Second, R: Source>(
    a: Slot,
    b: SlotOrImm,
    fp: Fp,
    ctx: &Ctx,
    acc: u64,
) -> u64 {
    let a = if R::ACC { acc } else { get!(fp, ctx, a) };
    A::apply(a, second::<A, B>(b, fp, ctx)).unwrap_or(0)
}

/// Load from memory 0 at `a + b` (an `i32.add`/`i64.add` fused in, with
/// its wrap-around). Passes the value on in `acc`.
pub(crate) unsafe fn load_add<L: LoadOp, A: BinOp, B: Second, W: Width, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, LoadAdd);
    let addr = added_address::<A, B, R>(o.a, o.b, fp, ctx, acc);
    // SAFETY: `mem` and `len` are the handler's.
    let Some(v) = (unsafe { read::<L, W>(mem, len, addr, o.offset.get()) }) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// Store to memory 0 at `a + b`.
pub(crate) unsafe fn store_add<S: StoreOp, A: BinOp, B: Second, W: Width, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StoreAdd);
    let addr = added_address::<A, B, R>(o.a, o.b, fp, ctx, acc);
    let v = get!(fp, ctx, o.value);
    // SAFETY: `mem` and `len` are the handler's.
    if unsafe { write::<S, W>(mem, len, addr, o.offset.get(), v) }.is_none() {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// Store of an immediate to memory 0, the address in a slot or (with `ACC`)
/// in `acc`.
pub(crate) unsafe fn store_imm<S: StoreOp, W: Width, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StoreImm);
    let addr = if R::ACC { acc } else { get!(fp, ctx, o.addr) };
    // SAFETY: `mem` and `len` are the handler's.
    if unsafe { write::<S, W>(mem, len, addr, o.offset.get(), S::imm(o.value.0)) }.is_none() {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `base + (index << shift)` in memory 0's index width, as the `shl` and
/// `add` a scaled access replaces compute it.
#[inline(always)]
fn scaled<W: Width>(base: u64, index: u64, shift: u32) -> u64 {
    if W::M64 {
        base.wrapping_add(index.wrapping_shl(shift))
    } else {
        u64::from((base as u32).wrapping_add((index as u32).wrapping_shl(shift)))
    }
}

/// Load from memory 0 at `base + (index << shift)`: an array element,
/// where the address would otherwise take a shift and an add of its own.
/// Passes the value on in `acc`.
pub(crate) unsafe fn load_scaled<L: LoadOp, W: Width>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    _acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, LoadScaled);
    let addr = scaled::<W>(get!(fp, ctx, o.base), get!(fp, ctx, o.index), o.shift.0);
    // SAFETY: `mem` and `len` are the handler's.
    let Some(v) = (unsafe { read::<L, W>(mem, len, addr, o.offset.get()) }) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// Store to memory 0 at `base + (index << shift)`.
pub(crate) unsafe fn store_scaled<S: StoreOp, W: Width>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StoreScaled);
    let addr = scaled::<W>(get!(fp, ctx, o.base), get!(fp, ctx, o.index), o.shift.0);
    let v = get!(fp, ctx, o.value);
    // SAFETY: `mem` and `len` are the handler's.
    if unsafe { write::<S, W>(mem, len, addr, o.offset.get(), v) }.is_none() {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// Load from memory 0 at a constant address: a C global, say, where the
/// address would otherwise be one instruction and the load another.
/// Passes the value on in `acc`.
pub(crate) unsafe fn load_at<L: LoadOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    _acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, LoadAt);
    // SAFETY: `mem` and `len` are the handler's.
    let Some(v) = (unsafe { read::<L, Addr64>(mem, len, o.addr.get(), 0) }) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// Store to memory 0 at a constant address, the value in a slot or (with
/// `ACC`) in `acc`.
pub(crate) unsafe fn store_at<S: StoreOp, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StoreAt);
    let v = if R::ACC { acc } else { get!(fp, ctx, o.value) };
    // SAFETY: `mem` and `len` are the handler's.
    if unsafe { write::<S, Addr64>(mem, len, o.addr.get(), 0, v) }.is_none() {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// Store a constant to memory 0 at `a + b` (an `i32.add`/`i64.add` fused
/// in, with its wrap-around): clearing or setting an array element.
pub(crate) unsafe fn store_imm_add<S: StoreOp, A: BinOp, B: Second, W: Width, R: Source>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StoreImmAdd);
    let addr = added_address::<A, B, R>(o.a, o.b, fp, ctx, acc);
    // SAFETY: `mem` and `len` are the handler's.
    if unsafe { write::<S, W>(mem, len, addr, o.offset.get(), S::imm(o.value.0)) }.is_none() {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    }
    next!(next, fp, mem, len, ctx, acc)
}

#[inline(always)]
fn memory(ctx: &mut Ctx, index: u32) -> &mut MemoryInstance {
    // SAFETY: memory pointers of an instance are live boxes of the store, and
    // no other reference to the memory is alive while a handler runs.
    unsafe { &mut *ctx.inst().memories[index as usize] }
}

/// Load from any memory.
pub(crate) unsafe fn load_m<L: LoadOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, LoadMem);
    let addr = get!(fp, ctx, o.addr);
    let m = memory(ctx, o.memory.0);
    let Some(ea) = effective(addr, o.offset.get(), L::SIZE, m.data.len()) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    let v = L::decode(&m.data[ea..ea + L::SIZE]);
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, acc)
}

/// Store to any memory.
pub(crate) unsafe fn store_m<S: StoreOp>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StoreMem);
    let addr = get!(fp, ctx, o.addr);
    let v = get!(fp, ctx, o.value);
    let m = memory(ctx, o.memory.0);
    let Some(ea) = effective(addr, o.offset.get(), S::SIZE, m.data.len()) else {
        trap!(ip, ctx, TrapKind::MemoryOutOfBounds)
    };
    S::encode(v, &mut m.data[ea..ea + S::SIZE]);
    next!(next, fp, mem, len, ctx, acc)
}

/// `memory.size`.
pub(crate) unsafe fn memory_size(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, MemorySize);
    let pages = memory(ctx, o.memory.0).pages();
    set!(fp, ctx, o.dst, pages);
    next!(next, fp, mem, len, ctx, acc)
}

/// `memory.grow`.
pub(crate) unsafe fn memory_grow(
    ip: Ip,
    fp: Fp,
    _m: *mut u8,
    _l: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, MemoryGrow);
    let delta = get!(fp, ctx, o.delta);
    let is64 = memory(ctx, o.memory.0).ty.memory64;
    let index = ctx.inst().index as usize;
    let store = ctx.store();
    let id = store.instances[index].memories[o.memory.0 as usize];
    let result = match store.grow_memory(id, delta) {
        Ok(Some(old)) => old,
        Ok(None) if is64 => u64::MAX,
        Ok(None) => u64::from(u32::MAX),
        Err(k) => trap!(ip, ctx, k),
    };
    set!(fp, ctx, o.dst, result);
    let (mem, len) = ctx.mem0();
    next!(next, fp, mem, len, ctx, acc)
}

/// Checks that `[start, start + n)` lies within `len`.
#[inline(always)]
fn range(start: u64, n: u64, len: usize) -> Result<std::ops::Range<usize>, TrapKind> {
    match start.checked_add(n) {
        Some(end) if end <= len as u64 => Ok(start as usize..end as usize),
        _ => Err(TrapKind::MemoryOutOfBounds),
    }
}

fn fill(ctx: &mut Ctx, mi: u32, d: u64, v: u8, n: u64) -> Result<(), TrapKind> {
    let m = memory(ctx, mi);
    let r = range(d, n, m.data.len())?;
    m.data[r].fill(v);
    Ok(())
}

fn copy(ctx: &mut Ctx, dst_mem: u32, src_mem: u32, d: u64, s: u64, n: u64) -> Result<(), TrapKind> {
    if dst_mem == src_mem {
        let m = memory(ctx, dst_mem);
        let src = range(s, n, m.data.len())?;
        let dst = range(d, n, m.data.len())?;
        m.data.copy_within(src, dst.start);
    } else {
        let sm: *const MemoryInstance = memory(ctx, src_mem);
        // SAFETY: distinct memories are distinct boxes.
        let sm = unsafe { &*sm };
        let src = range(s, n, sm.data.len())?;
        let dm = memory(ctx, dst_mem);
        let dst = range(d, n, dm.data.len())?;
        dm.data[dst].copy_from_slice(&sm.data[src]);
    }
    Ok(())
}

fn init(ctx: &mut Ctx, mi: u32, seg: u32, d: u64, s: u64, n: u64) -> Result<(), TrapKind> {
    let index = ctx.inst().index as usize;
    let store = ctx.store();
    let inst = &store.instances[index];
    let bytes: &[u8] = if inst.data_dropped[seg as usize] {
        &[]
    } else {
        inst.module.inner().data(seg)
    };
    let src = range(s, n, bytes.len())?;
    let src: Vec<u8> = bytes[src].to_vec();
    let m = memory(ctx, mi);
    let dst = range(d, n, m.data.len())?;
    m.data[dst].copy_from_slice(&src);
    Ok(())
}

/// `memory.fill`.
pub(crate) unsafe fn memory_fill(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, MemoryFill);
    let d = get!(fp, ctx, o.dst);
    let v = get!(fp, ctx, o.value) as u8;
    let n = get!(fp, ctx, o.n);
    if let Err(k) = fill(ctx, o.memory.0, d, v, n) {
        trap!(ip, ctx, k)
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `memory.copy`.
pub(crate) unsafe fn memory_copy(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, MemoryCopy);
    let d = get!(fp, ctx, o.dst);
    let s = get!(fp, ctx, o.src);
    let n = get!(fp, ctx, o.n);
    if let Err(k) = copy(ctx, o.dst_memory.0, o.src_memory.0, d, s, n) {
        trap!(ip, ctx, k)
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `memory.init`.
pub(crate) unsafe fn memory_init(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, MemoryInit);
    let d = get!(fp, ctx, o.dst);
    let s = get!(fp, ctx, o.src);
    let n = get!(fp, ctx, o.n);
    if let Err(k) = init(ctx, o.memory.0, o.segment.0, d, s, n) {
        trap!(ip, ctx, k)
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `data.drop`.
pub(crate) unsafe fn data_drop(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, DataDrop);
    let index = ctx.inst().index as usize;
    let seg = o.segment.0 as usize;
    ctx.store().instances[index].data_dropped[seg] = true;
    next!(next, fp, mem, len, ctx, acc)
}
