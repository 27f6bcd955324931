//! GC instructions: structs, arrays, i31s, reference equality, tests and
//! casts. The heap work is safe code in `weft-gc` and `crate::gc`; these
//! handlers only move cells between frame slots and the heap, and turn
//! heap errors into traps.
//!
//! Each handler decodes, calls one `#[inline(never)]` function that does
//! the work, and continues. The work functions hold what handlers must not:
//! iterators, vectors, references to locals. A local whose address escapes
//! anywhere in a function stops LLVM from turning that function's calls
//! into jumps, and a handler whose `next!` is a real call grows the host
//! stack with every instruction it runs.

use super::roots::collect_in_handler;
use super::{Ctx, Exit, Fp, Ip, decode, get, next, set, trap};
use super::{Extension, FieldWord, Nullability, SegmentKind, Sense};
use crate::error::TrapKind;
use crate::gc::{self, FieldStorage};
use crate::ir::isa::{
    ArrayCopy, ArrayFill, ArrayGet, ArrayInitSegment, ArrayNew, ArrayNewDefault, ArrayNewFixed,
    ArrayNewSegment, ArraySet, BinRR, RefTest, StructGet, StructNew, StructNewDefault, StructSet,
    Unary,
};
use crate::store::StoreInner;
use weft_gc::{GcRef, HeapError, Layout};

/// A result of the heap work of one instruction, or its trap.
type Step<T> = Result<T, TrapKind>;

/// The storage of the elements of array type `ty`.
fn array_elem(store: &StoreInner, ty: u32) -> Step<FieldStorage> {
    match store.gc.layout(ty) {
        Ok(Layout::Array(l)) => Ok(l.elem),
        _ => Err(TrapKind::CorruptedGcHeap),
    }
}

/// Checks a function reference read from the heap against the store's
/// functions, so a corrupted heap cannot name a missing one.
fn check_index_ref(store: &StoreInner, bits: u128, ty: FieldStorage) -> Step<()> {
    if ty == FieldStorage::FuncRef && bits > store.funcs.len() as u128 {
        return Err(TrapKind::CorruptedGcHeap);
    }
    Ok(())
}

/// Allocates with `alloc`, collecting first when the heap asks for it,
/// once more when it is full, and then growing it if the limiter agrees.
/// The frame `fp` is suspended at the allocation, which continues at
/// `resume` (its stack map's key). `alloc` is also given the context, to
/// read the frame's slots.
fn allocate(
    ctx: &mut Ctx,
    resume: Ip,
    fp: Fp,
    mut alloc: impl FnMut(&mut weft_gc::Heap, &Ctx) -> Result<GcRef, HeapError>,
) -> Result<GcRef, HeapError> {
    if ctx.store().gc.should_collect() {
        collect_in_handler(ctx, resume, fp)?;
    }
    let mut collected = false;
    loop {
        // SAFETY: the store outlives the call and nothing else borrows it
        // while this handler runs; `alloc` reads frame slots (and in checked
        // builds the frame's bounds in `ctx`), nothing of the store.
        let heap = unsafe { &mut (*ctx.store).gc };
        match alloc(heap, ctx) {
            Err(HeapError::OutOfMemory) if !collected => {
                collect_in_handler(ctx, resume, fp)?;
                collected = true;
            }
            Err(HeapError::OutOfMemory) if gc::grant_growth(ctx.store()) => {}
            done => return done,
        }
    }
}

/// A new exception of store tag `tag` with the payload `cells`, thrown at
/// the instruction continuing at `resume` in frame `fp` (its safepoint).
pub(super) fn alloc_exception(
    ctx: &mut Ctx,
    resume: Ip,
    fp: Fp,
    tag: u32,
    cells: &[u64],
) -> Step<GcRef> {
    let ty = ctx.store().tags[tag as usize].ty;
    allocate(ctx, resume, fp, |heap, _| {
        gc::new_exception(heap, tag, ty, cells)
    })
    .map_err(|e| gc::trap_of(e, TrapKind::NullReference))
}

/// Allocates a struct of type `ty`.
fn alloc_struct(ctx: &mut Ctx, resume: Ip, fp: Fp, ty: u32) -> Step<GcRef> {
    allocate(ctx, resume, fp, |heap, _| heap.alloc_struct(ty, &mut ())).map_err(struct_trap)
}

/// Allocates an array of `len` elements of type `ty`: "allocation size
/// too large" for a length no heap could hold.
fn alloc_array(ctx: &mut Ctx, resume: Ip, fp: Fp, ty: u32, len: u64) -> Step<GcRef> {
    let elem = array_elem(ctx.store(), ty)?;
    if len.saturating_mul(u64::from(elem.size())) > gc::HEAP_LIMIT as u64 {
        return Err(TrapKind::AllocationTooLarge);
    }
    allocate(ctx, resume, fp, |heap, _| {
        heap.alloc_array(ty, len as u32, &mut ())
    })
    .map_err(array_trap)
}

fn array_trap(e: HeapError) -> TrapKind {
    gc::trap_of(e, TrapKind::NullArrayReference)
}

fn struct_trap(e: HeapError) -> TrapKind {
    gc::trap_of(e, TrapKind::NullStructReference)
}

/// The bits of the value in cell `at` (and the next, for a `v128`) as a
/// field or element of storage `ty`.
///
/// # Safety
/// `at` (and for a `v128` the next slot) is a slot of the frame at `fp`.
#[cfg_attr(not(feature = "checked"), allow(unused_variables))]
unsafe fn value_bits(fp: Fp, ctx: &Ctx, at: u32, ty: FieldStorage) -> u128 {
    let lo = get!(fp, ctx, at);
    let hi = if ty == FieldStorage::V128 {
        get!(fp, ctx, at + 1)
    } else {
        0
    };
    gc::to_field(lo, hi, ty)
}

/// Writes a field or element value read from the heap to `dst` (and the
/// next slot, for a `v128`), checked if it is a function or exception
/// reference and extended as `E` says if it is packed.
///
/// # Safety
/// `dst` (and for a `v128` the next slot) is a slot of the frame at `fp`.
unsafe fn put_value<E: Extension>(
    fp: Fp,
    ctx: &mut Ctx,
    dst: u32,
    bits: u128,
    ty: FieldStorage,
) -> Step<()> {
    check_index_ref(ctx.store(), bits, ty)?;
    let (lo, hi) = gc::from_field(bits, ty, E::SIGNED);
    set!(fp, ctx, dst, lo);
    if ty == FieldStorage::V128 {
        set!(fp, ctx, dst + 1, hi);
    }
    Ok(())
}

/// Leaves with the trap of a failed step, or gives its value.
macro_rules! step {
    ($ip:expr, $ctx:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(k) => trap!($ip, $ctx, k),
        }
    };
}

/// A GC handler whose work, in `$work`, reads its operands and writes its
/// results itself: `$work(fp, ctx, operands, resume) -> Step<()>`, where
/// `resume` is the next instruction (an allocation's safepoint).
macro_rules! gc_handler {
    ($(#[$doc:meta])* $name:ident $(<$($g:ident: $b:ident),*>)?, $instr:ident, $work:ident) => {
        $(#[$doc])*
        pub(crate) unsafe fn $name $(<$($g: $b),*>)? (
            ip: Ip,
            fp: Fp,
            mem: *mut u8,
            len: usize,
            ctx: &mut Ctx,
            acc: u64,
        ) -> Exit {
            let (o, next) = decode!(ip, $instr);
            let next = next.ip();
            // SAFETY: the translator emitted `o`'s slots for this function,
            // whose frame is at `fp`.
            step!(ip, ctx, unsafe { $work $(::<$($g),*>)? (fp, ctx, o, next) });
            next!(next, fp, mem, len, ctx, acc)
        }
    };
}

gc_handler!(
    /// `struct.new`: the fields' values are in consecutive cells (two for
    /// a `v128`).
    struct_new, StructNew, new_struct
);

#[inline(never)]
unsafe fn new_struct(fp: Fp, ctx: &mut Ctx, o: &StructNew, resume: Ip) -> Step<()> {
    let r = allocate(ctx, resume, fp, |heap, frame| {
        let mut cell = o.args.0;
        heap.alloc_struct_with(o.ty.0, &mut (), |_, ty| {
            // SAFETY: the fields' cells follow `args` in this frame.
            let bits = unsafe { value_bits(fp, frame, cell, ty) };
            cell += if ty == FieldStorage::V128 { 2 } else { 1 };
            bits
        })
    })
    .map_err(struct_trap)?;
    set!(fp, ctx, o.dst, u64::from(r.0));
    Ok(())
}

gc_handler!(
    /// `struct.new_default`: a fresh object is all zeroes, every field's
    /// default.
    struct_new_default, StructNewDefault, new_default_struct
);

#[inline(never)]
unsafe fn new_default_struct(fp: Fp, ctx: &mut Ctx, o: &StructNewDefault, resume: Ip) -> Step<()> {
    let r = alloc_struct(ctx, resume, fp, o.ty.0)?;
    set!(fp, ctx, o.dst, u64::from(r.0));
    Ok(())
}

gc_handler!(
    /// `struct.get`, `struct.get_s`, `struct.get_u`.
    struct_get<E: Extension>, StructGet, get_field
);

#[inline(never)]
unsafe fn get_field<E: Extension>(fp: Fp, ctx: &mut Ctx, o: &StructGet, _resume: Ip) -> Step<()> {
    let r = GcRef(get!(fp, ctx, o.obj) as u32);
    let ty = gc::storage_of_code(o.storage.0);
    let bits = ctx
        .store()
        .gc
        .struct_read(r, o.offset.0, ty)
        .map_err(struct_trap)?;
    // SAFETY: `dst` is a slot of this frame, wide enough for the field.
    unsafe { put_value::<E>(fp, ctx, o.dst.0, bits, ty) }
}

/// `struct.get` of a field that is a plain word (see `FieldWord`): the
/// common case, whole in the handler (no out-of-line work: the heap access
/// inlines to a few checks and a load), without the general path's
/// dispatch on storage.
pub(crate) unsafe fn struct_get_word<W: FieldWord>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StructGet);
    let r = GcRef(get!(fp, ctx, o.obj) as u32);
    let heap = &ctx.store().gc;
    let v = if W::WIDE {
        heap.struct_read_u64(r, o.offset.0)
    } else {
        heap.struct_read_u32(r, o.offset.0).map(u64::from)
    };
    match v {
        Ok(v) => set!(fp, ctx, o.dst, v),
        Err(e) => trap!(ip, ctx, struct_trap(e)),
    }
    next!(next.ip(), fp, mem, len, ctx, acc)
}

/// `struct.set` of a field that is a plain word (see `FieldWord`), whole
/// in the handler like `struct_get_word`.
pub(crate) unsafe fn struct_set_word<W: FieldWord>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StructSet);
    let r = GcRef(get!(fp, ctx, o.obj) as u32);
    let v = get!(fp, ctx, o.value);
    let heap = &mut ctx.store().gc;
    let done = if W::WIDE {
        heap.struct_write_u64(r, o.offset.0, v)
    } else {
        heap.struct_write_u32(r, o.offset.0, v as u32)
    };
    if let Err(e) = done {
        trap!(ip, ctx, struct_trap(e));
    }
    next!(next.ip(), fp, mem, len, ctx, acc)
}

gc_handler!(
    /// `struct.set`.
    struct_set, StructSet, set_field
);

#[inline(never)]
unsafe fn set_field(fp: Fp, ctx: &mut Ctx, o: &StructSet, _resume: Ip) -> Step<()> {
    let r = GcRef(get!(fp, ctx, o.obj) as u32);
    let ty = gc::storage_of_code(o.storage.0);
    // SAFETY: `value` is a slot of this frame, wide enough for the field.
    let bits = unsafe { value_bits(fp, ctx, o.value.0, ty) };
    ctx.store()
        .gc
        .struct_write(r, o.offset.0, ty, bits)
        .map_err(struct_trap)
}

gc_handler!(
    /// `array.new`: `len` copies of one value, written as one fill.
    array_new, ArrayNew, new_array
);

#[inline(never)]
unsafe fn new_array(fp: Fp, ctx: &mut Ctx, o: &ArrayNew, resume: Ip) -> Step<()> {
    let n = get!(fp, ctx, o.len) as u32;
    let ty = array_elem(ctx.store(), o.ty.0)?;
    // SAFETY: `value` is a slot of this frame, wide enough for an element.
    let bits = unsafe { value_bits(fp, ctx, o.value.0, ty) };
    let r = alloc_array(ctx, resume, fp, o.ty.0, u64::from(n))?;
    if bits != 0 {
        ctx.store()
            .gc
            .array_fill(r, 0, bits, n)
            .map_err(array_trap)?;
    }
    set!(fp, ctx, o.dst, u64::from(r.0));
    Ok(())
}

gc_handler!(
    /// `array.new_default`.
    array_new_default, ArrayNewDefault, new_default_array
);

#[inline(never)]
unsafe fn new_default_array(fp: Fp, ctx: &mut Ctx, o: &ArrayNewDefault, resume: Ip) -> Step<()> {
    let n = get!(fp, ctx, o.len) as u32;
    let r = alloc_array(ctx, resume, fp, o.ty.0, u64::from(n))?;
    set!(fp, ctx, o.dst, u64::from(r.0));
    Ok(())
}

gc_handler!(
    /// `array.new_fixed`: the elements are in consecutive cells (two for a
    /// `v128`).
    array_new_fixed, ArrayNewFixed, new_fixed_array
);

#[inline(never)]
unsafe fn new_fixed_array(fp: Fp, ctx: &mut Ctx, o: &ArrayNewFixed, resume: Ip) -> Step<()> {
    let ty = array_elem(ctx.store(), o.ty.0)?;
    let r = alloc_array(ctx, resume, fp, o.ty.0, u64::from(o.count.0))?;
    let width = if ty == FieldStorage::V128 { 2 } else { 1 };
    for k in 0..o.count.0 {
        // SAFETY: the elements' cells follow `args` in this frame.
        let bits = unsafe { value_bits(fp, ctx, o.args.0 + k * width, ty) };
        ctx.store().gc.array_set(r, k, bits).map_err(array_trap)?;
    }
    set!(fp, ctx, o.dst, u64::from(r.0));
    Ok(())
}

/// The little-endian bytes of elements `offset .. offset + n` of segment
/// `seg` of the running instance, as elements of storage `ty`: data bytes
/// as they are, element cells as 32-bit references.
fn segment_bytes<K: SegmentKind>(
    ctx: &mut Ctx,
    seg: u32,
    ty: FieldStorage,
    offset: u64,
    n: u64,
) -> Step<Vec<u8>> {
    let index = ctx.inst().index as usize;
    let inst = &ctx.store().instances[index];
    if K::DATA {
        let bytes: &[u8] = if inst.data_dropped[seg as usize] {
            &[]
        } else {
            inst.module.inner().data(seg)
        };
        let size = n
            .checked_mul(u64::from(ty.size()))
            .ok_or(TrapKind::MemoryOutOfBounds)?;
        let end = offset
            .checked_add(size)
            .filter(|&e| e <= bytes.len() as u64)
            .ok_or(TrapKind::MemoryOutOfBounds)?;
        Ok(bytes[offset as usize..end as usize].to_vec())
    } else {
        let items = &inst.elems[seg as usize];
        let end = offset
            .checked_add(n)
            .filter(|&e| e <= items.len() as u64)
            .ok_or(TrapKind::TableOutOfBounds)?;
        Ok(items[offset as usize..end as usize]
            .iter()
            .flat_map(|&c| (c as u32).to_le_bytes())
            .collect())
    }
}

gc_handler!(
    /// `array.new_data`, `array.new_elem`.
    array_new_segment<K: SegmentKind>, ArrayNewSegment, new_segment_array
);

#[inline(never)]
unsafe fn new_segment_array<K: SegmentKind>(
    fp: Fp,
    ctx: &mut Ctx,
    o: &ArrayNewSegment,
    resume: Ip,
) -> Step<()> {
    let offset = get!(fp, ctx, o.offset) as u32;
    let n = get!(fp, ctx, o.len) as u32;
    let ty = array_elem(ctx.store(), o.ty.0)?;
    let bytes = segment_bytes::<K>(ctx, o.segment.0, ty, offset.into(), n.into())?;
    let r = alloc_array(ctx, resume, fp, o.ty.0, u64::from(n))?;
    ctx.store()
        .gc
        .array_write_bytes(r, 0, &bytes)
        .map_err(array_trap)?;
    set!(fp, ctx, o.dst, u64::from(r.0));
    Ok(())
}

gc_handler!(
    /// `array.init_data`, `array.init_elem`.
    array_init_segment<K: SegmentKind>, ArrayInitSegment, init_array
);

#[inline(never)]
unsafe fn init_array<K: SegmentKind>(
    fp: Fp,
    ctx: &mut Ctx,
    o: &ArrayInitSegment,
    _resume: Ip,
) -> Step<()> {
    let r = GcRef(get!(fp, ctx, o.array) as u32);
    let d = get!(fp, ctx, o.offset) as u32;
    let s = get!(fp, ctx, o.src) as u32;
    let n = get!(fp, ctx, o.n) as u32;
    // The array's own bounds come first, then the segment's.
    let l = ctx.store().gc.array_len(r).map_err(array_trap)?;
    if u64::from(d) + u64::from(n) > u64::from(l) {
        return Err(TrapKind::ArrayOutOfBounds);
    }
    let ty = array_elem(ctx.store(), o.ty.0)?;
    let bytes = segment_bytes::<K>(ctx, o.segment.0, ty, s.into(), n.into())?;
    ctx.store()
        .gc
        .array_write_bytes(r, d, &bytes)
        .map_err(array_trap)
}

gc_handler!(
    /// `array.get`, `array.get_s`, `array.get_u`.
    array_get<E: Extension>, ArrayGet, get_element
);

#[inline(never)]
unsafe fn get_element<E: Extension>(fp: Fp, ctx: &mut Ctx, o: &ArrayGet, _resume: Ip) -> Step<()> {
    let r = GcRef(get!(fp, ctx, o.array) as u32);
    let i = get!(fp, ctx, o.index) as u32;
    let store = ctx.store();
    let bits = store.gc.array_get(r, i).map_err(array_trap)?;
    let ty = array_elem(store, o.ty.0)?;
    // SAFETY: `dst` is a slot of this frame, wide enough for an element.
    unsafe { put_value::<E>(fp, ctx, o.dst.0, bits, ty) }
}

gc_handler!(
    /// `array.set`.
    array_set, ArraySet, set_element
);

#[inline(never)]
unsafe fn set_element(fp: Fp, ctx: &mut Ctx, o: &ArraySet, _resume: Ip) -> Step<()> {
    let r = GcRef(get!(fp, ctx, o.array) as u32);
    let i = get!(fp, ctx, o.index) as u32;
    let ty = array_elem(ctx.store(), o.ty.0)?;
    // SAFETY: `value` is a slot of this frame, wide enough for an element.
    let bits = unsafe { value_bits(fp, ctx, o.value.0, ty) };
    ctx.store().gc.array_set(r, i, bits).map_err(array_trap)
}

gc_handler!(
    /// `array.len`.
    array_len, Unary, length
);

#[inline(never)]
unsafe fn length(fp: Fp, ctx: &mut Ctx, o: &Unary, _resume: Ip) -> Step<()> {
    let r = GcRef(get!(fp, ctx, o.a) as u32);
    let n = ctx.store().gc.array_len(r).map_err(array_trap)?;
    set!(fp, ctx, o.dst, u64::from(n));
    Ok(())
}

gc_handler!(
    /// `array.fill`.
    array_fill, ArrayFill, fill
);

#[inline(never)]
unsafe fn fill(fp: Fp, ctx: &mut Ctx, o: &ArrayFill, _resume: Ip) -> Step<()> {
    let r = GcRef(get!(fp, ctx, o.array) as u32);
    let d = get!(fp, ctx, o.offset) as u32;
    let n = get!(fp, ctx, o.n) as u32;
    let ty = array_elem(ctx.store(), o.ty.0)?;
    // SAFETY: `value` is a slot of this frame, wide enough for an element.
    let bits = unsafe { value_bits(fp, ctx, o.value.0, ty) };
    ctx.store().gc.array_fill(r, d, bits, n).map_err(array_trap)
}

gc_handler!(
    /// `array.copy`.
    array_copy, ArrayCopy, copy
);

#[inline(never)]
unsafe fn copy(fp: Fp, ctx: &mut Ctx, o: &ArrayCopy, _resume: Ip) -> Step<()> {
    let dst = GcRef(get!(fp, ctx, o.dst) as u32);
    let d = get!(fp, ctx, o.dst_offset) as u32;
    let src = GcRef(get!(fp, ctx, o.src) as u32);
    let s = get!(fp, ctx, o.src_offset) as u32;
    let n = get!(fp, ctx, o.n) as u32;
    ctx.store()
        .gc
        .array_copy(dst, d, src, s, n)
        .map_err(array_trap)
}

/// `ref.i31`.
pub(crate) unsafe fn ref_i31(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Unary);
    let v = get!(fp, ctx, o.a) as u32;
    set!(fp, ctx, o.dst, u64::from(GcRef::i31(v).0));
    next!(next, fp, mem, len, ctx, acc)
}

/// `i31.get_s`, `i31.get_u`.
pub(crate) unsafe fn i31_get<E: Extension>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Unary);
    let r = GcRef(get!(fp, ctx, o.a) as u32);
    let v = if E::SIGNED {
        r.i31_signed().map(|v| v as u32)
    } else {
        r.i31_unsigned()
    };
    let Some(v) = v else {
        trap!(ip, ctx, TrapKind::NullI31Reference)
    };
    set!(fp, ctx, o.dst, u64::from(v));
    next!(next, fp, mem, len, ctx, acc)
}

/// `ref.eq`: references are equal when their cells are (an object has
/// one index; equal i31s have equal bits).
pub(crate) unsafe fn ref_eq(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    _acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, BinRR);
    let v = u64::from(get!(fp, ctx, o.a) == get!(fp, ctx, o.b));
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// Whether the cell in `a` passes the test of `o` (`N` says whether null
/// passes).
#[inline(never)]
fn passes<N: Nullability>(ctx: &mut Ctx, cell: u64, heap: u32) -> bool {
    gc::ref_matches(ctx.store(), cell, gc::decode_heap_type(heap), N::NULLABLE)
}

/// `ref.test`, and the test of `br_on_cast` (`IfTrue`) and
/// `br_on_cast_fail` (`IfFalse`, the result negated).
pub(crate) unsafe fn ref_test<N: Nullability, S: Sense>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    _acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, RefTest);
    let cell = get!(fp, ctx, o.a);
    let v = u64::from(passes::<N>(ctx, cell, o.heap.0) != S::NEG);
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// `ref.cast`.
pub(crate) unsafe fn ref_cast<N: Nullability>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, RefTest);
    let cell = get!(fp, ctx, o.a);
    if !passes::<N>(ctx, cell, o.heap.0) {
        trap!(ip, ctx, TrapKind::CastFailure)
    }
    set!(fp, ctx, o.dst, cell);
    next!(next, fp, mem, len, ctx, acc)
}
