//! GC instructions: structs, arrays, i31s, reference equality, tests and
//! casts. The heap work is safe code in `weft-gc` and `crate::gc`; these
//! handlers only move cells between frame slots and the heap, and turn
//! heap errors into traps.

use super::{Ctx, Exit, Fp, Ip, decode, get, next, set, trap};
use super::{Extension, Nullability, SegmentKind, Sense};
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

/// The storage of each field of struct type `ty`.
fn struct_fields(store: &StoreInner, ty: u32) -> Step<Vec<FieldStorage>> {
    match store.gc.layout(ty) {
        Ok(Layout::Struct(l)) => Ok(l.fields.iter().map(|f| f.ty).collect()),
        _ => Err(TrapKind::CorruptedGcHeap),
    }
}

/// The storage of the elements of array type `ty`.
fn array_elem(store: &StoreInner, ty: u32) -> Step<FieldStorage> {
    match store.gc.layout(ty) {
        Ok(Layout::Array(l)) => Ok(l.elem),
        _ => Err(TrapKind::CorruptedGcHeap),
    }
}

/// Checks a function or exception reference read from the heap against
/// the store's tables, so a corrupted heap cannot name a missing one.
fn check_index_ref(store: &StoreInner, bits: u128, ty: FieldStorage) -> Step<()> {
    let limit = match ty {
        FieldStorage::FuncRef => store.funcs.len(),
        FieldStorage::ExnRef => store.exceptions.len(),
        _ => return Ok(()),
    };
    if bits as usize > limit {
        return Err(TrapKind::CorruptedGcHeap);
    }
    Ok(())
}

/// Allocates an array of `len` elements of type `ty`: "allocation size
/// too large" for a length no heap could hold.
fn alloc_array(store: &mut StoreInner, ty: u32, len: u64) -> Step<GcRef> {
    let elem = array_elem(store, ty)?;
    if len.saturating_mul(u64::from(elem.size())) > gc::HEAP_LIMIT as u64 {
        return Err(TrapKind::AllocationTooLarge);
    }
    store
        .gc
        .alloc_array(ty, len as u32, &mut ())
        .map_err(|e| gc::trap_of(e, TrapKind::NullArrayReference))
}

fn array_trap(e: HeapError) -> TrapKind {
    gc::trap_of(e, TrapKind::NullArrayReference)
}

fn struct_trap(e: HeapError) -> TrapKind {
    gc::trap_of(e, TrapKind::NullStructReference)
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

/// `struct.new`: the fields' values are in consecutive cells (two for a
/// `v128`).
pub(crate) unsafe fn struct_new(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StructNew);
    let fields = step!(ip, ctx, struct_fields(ctx.store(), o.ty.0));
    let r = step!(
        ip,
        ctx,
        ctx.store()
            .gc
            .alloc_struct(o.ty.0, &mut ())
            .map_err(struct_trap)
    );
    let mut cell = o.args.0;
    for (i, ty) in fields.into_iter().enumerate() {
        let lo = get!(fp, ctx, cell);
        let hi = if ty == FieldStorage::V128 {
            cell += 1;
            get!(fp, ctx, cell)
        } else {
            0
        };
        cell += 1;
        let bits = gc::to_field(lo, hi, ty);
        step!(
            ip,
            ctx,
            ctx.store()
                .gc
                .struct_set(r, i as u32, bits)
                .map_err(struct_trap)
        );
    }
    set!(fp, ctx, o.dst, u64::from(r.0));
    next!(next, fp, mem, len, ctx, acc)
}

/// `struct.new_default`: a fresh object is all zeroes, every field's
/// default.
pub(crate) unsafe fn struct_new_default(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StructNewDefault);
    let r = step!(
        ip,
        ctx,
        ctx.store()
            .gc
            .alloc_struct(o.ty.0, &mut ())
            .map_err(struct_trap)
    );
    set!(fp, ctx, o.dst, u64::from(r.0));
    next!(next, fp, mem, len, ctx, acc)
}

/// The cells of a field value read from the heap, checked if it is a
/// function or exception reference.
fn field_cells<E: Extension>(store: &StoreInner, bits: u128, ty: FieldStorage) -> Step<(u64, u64)> {
    check_index_ref(store, bits, ty)?;
    Ok(gc::from_field(bits, ty, E::SIGNED))
}

/// `struct.get`, `struct.get_s`, `struct.get_u`.
pub(crate) unsafe fn struct_get<E: Extension>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StructGet);
    let r = GcRef(get!(fp, ctx, o.obj) as u32);
    let store = ctx.store();
    let read = store
        .gc
        .struct_get(r, o.field.0)
        .map_err(struct_trap)
        .and_then(|bits| {
            let ty = struct_fields(store, o.ty.0)?[o.field.0 as usize];
            Ok((field_cells::<E>(store, bits, ty)?, ty))
        });
    let ((lo, hi), ty) = step!(ip, ctx, read);
    set!(fp, ctx, o.dst, lo);
    if ty == FieldStorage::V128 {
        set!(fp, ctx, o.dst.0 + 1, hi);
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `struct.set`.
pub(crate) unsafe fn struct_set(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, StructSet);
    let r = GcRef(get!(fp, ctx, o.obj) as u32);
    let lo = get!(fp, ctx, o.value);
    let ty = step!(ip, ctx, struct_fields(ctx.store(), o.ty.0))[o.field.0 as usize];
    let hi = if ty == FieldStorage::V128 {
        get!(fp, ctx, o.value.0 + 1)
    } else {
        0
    };
    let bits = gc::to_field(lo, hi, ty);
    step!(
        ip,
        ctx,
        ctx.store()
            .gc
            .struct_set(r, o.field.0, bits)
            .map_err(struct_trap)
    );
    next!(next, fp, mem, len, ctx, acc)
}

/// The value in cell `at` (and the next, for a `v128`) as element bits.
macro_rules! elem_bits {
    ($fp:expr, $ctx:expr, $at:expr, $ty:expr) => {{
        let lo = get!($fp, $ctx, $at);
        let hi = if $ty == FieldStorage::V128 {
            get!($fp, $ctx, $at + 1)
        } else {
            0
        };
        gc::to_field(lo, hi, $ty)
    }};
}

/// `array.new`: `len` copies of one value, written as one fill.
pub(crate) unsafe fn array_new(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ArrayNew);
    let n = get!(fp, ctx, o.len) as u32;
    let ty = step!(ip, ctx, array_elem(ctx.store(), o.ty.0));
    let bits = elem_bits!(fp, ctx, o.value.0, ty);
    let store = ctx.store();
    let made = alloc_array(store, o.ty.0, u64::from(n)).and_then(|r| {
        if bits != 0 {
            store.gc.array_fill(r, 0, bits, n).map_err(array_trap)?;
        }
        Ok(r)
    });
    let r = step!(ip, ctx, made);
    set!(fp, ctx, o.dst, u64::from(r.0));
    next!(next, fp, mem, len, ctx, acc)
}

/// `array.new_default`.
pub(crate) unsafe fn array_new_default(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ArrayNewDefault);
    let n = get!(fp, ctx, o.len) as u32;
    let r = step!(ip, ctx, alloc_array(ctx.store(), o.ty.0, u64::from(n)));
    set!(fp, ctx, o.dst, u64::from(r.0));
    next!(next, fp, mem, len, ctx, acc)
}

/// `array.new_fixed`: the elements are in consecutive cells (two for a
/// `v128`).
pub(crate) unsafe fn array_new_fixed(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ArrayNewFixed);
    let ty = step!(ip, ctx, array_elem(ctx.store(), o.ty.0));
    let width = if ty == FieldStorage::V128 { 2 } else { 1 };
    let mut bytes = Vec::with_capacity(o.count.0 as usize * ty.size() as usize);
    for k in 0..o.count.0 {
        let bits = elem_bits!(fp, ctx, o.args.0 + k * width, ty);
        bytes.extend_from_slice(&bits.to_le_bytes()[..ty.size() as usize]);
    }
    let store = ctx.store();
    let made = alloc_array(store, o.ty.0, u64::from(o.count.0)).and_then(|r| {
        store
            .gc
            .array_write_bytes(r, 0, &bytes)
            .map_err(array_trap)?;
        Ok(r)
    });
    let r = step!(ip, ctx, made);
    set!(fp, ctx, o.dst, u64::from(r.0));
    next!(next, fp, mem, len, ctx, acc)
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
            &inst.module.inner().datas[seg as usize].bytes
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

/// `array.new_data`, `array.new_elem`.
pub(crate) unsafe fn array_new_segment<K: SegmentKind>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ArrayNewSegment);
    let offset = get!(fp, ctx, o.offset) as u32;
    let n = get!(fp, ctx, o.len) as u32;
    let ty = step!(ip, ctx, array_elem(ctx.store(), o.ty.0));
    let bytes = step!(
        ip,
        ctx,
        segment_bytes::<K>(ctx, o.segment.0, ty, offset.into(), n.into())
    );
    let store = ctx.store();
    let made = alloc_array(store, o.ty.0, u64::from(n)).and_then(|r| {
        store
            .gc
            .array_write_bytes(r, 0, &bytes)
            .map_err(array_trap)?;
        Ok(r)
    });
    let r = step!(ip, ctx, made);
    set!(fp, ctx, o.dst, u64::from(r.0));
    next!(next, fp, mem, len, ctx, acc)
}

/// `array.init_data`, `array.init_elem`.
pub(crate) unsafe fn array_init_segment<K: SegmentKind>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ArrayInitSegment);
    let r = GcRef(get!(fp, ctx, o.array) as u32);
    let d = get!(fp, ctx, o.offset) as u32;
    let s = get!(fp, ctx, o.src) as u32;
    let n = get!(fp, ctx, o.n) as u32;
    // The array's own bounds come first, then the segment's.
    let ty = step!(
        ip,
        ctx,
        ctx.store()
            .gc
            .array_len(r)
            .map_err(array_trap)
            .and_then(|l| {
                if u64::from(d) + u64::from(n) > u64::from(l) {
                    return Err(TrapKind::ArrayOutOfBounds);
                }
                array_elem(ctx.store(), o.ty.0)
            })
    );
    let bytes = step!(
        ip,
        ctx,
        segment_bytes::<K>(ctx, o.segment.0, ty, s.into(), n.into())
    );
    step!(
        ip,
        ctx,
        ctx.store()
            .gc
            .array_write_bytes(r, d, &bytes)
            .map_err(array_trap)
    );
    next!(next, fp, mem, len, ctx, acc)
}

/// `array.get`, `array.get_s`, `array.get_u`.
pub(crate) unsafe fn array_get<E: Extension>(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ArrayGet);
    let r = GcRef(get!(fp, ctx, o.array) as u32);
    let i = get!(fp, ctx, o.index) as u32;
    let store = ctx.store();
    let read = store
        .gc
        .array_get(r, i)
        .map_err(array_trap)
        .and_then(|bits| {
            let ty = array_elem(store, o.ty.0)?;
            Ok((field_cells::<E>(store, bits, ty)?, ty))
        });
    let ((lo, hi), ty) = step!(ip, ctx, read);
    set!(fp, ctx, o.dst, lo);
    if ty == FieldStorage::V128 {
        set!(fp, ctx, o.dst.0 + 1, hi);
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `array.set`.
pub(crate) unsafe fn array_set(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ArraySet);
    let r = GcRef(get!(fp, ctx, o.array) as u32);
    let i = get!(fp, ctx, o.index) as u32;
    let ty = step!(ip, ctx, array_elem(ctx.store(), o.ty.0));
    let bits = elem_bits!(fp, ctx, o.value.0, ty);
    step!(
        ip,
        ctx,
        ctx.store().gc.array_set(r, i, bits).map_err(array_trap)
    );
    next!(next, fp, mem, len, ctx, acc)
}

/// `array.len`.
pub(crate) unsafe fn array_len(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Unary);
    let r = GcRef(get!(fp, ctx, o.a) as u32);
    let n = step!(ip, ctx, ctx.store().gc.array_len(r).map_err(array_trap));
    set!(fp, ctx, o.dst, u64::from(n));
    next!(next, fp, mem, len, ctx, acc)
}

/// `array.fill`.
pub(crate) unsafe fn array_fill(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ArrayFill);
    let r = GcRef(get!(fp, ctx, o.array) as u32);
    let d = get!(fp, ctx, o.offset) as u32;
    let n = get!(fp, ctx, o.n) as u32;
    let ty = step!(ip, ctx, array_elem(ctx.store(), o.ty.0));
    let bits = elem_bits!(fp, ctx, o.value.0, ty);
    step!(
        ip,
        ctx,
        ctx.store().gc.array_fill(r, d, bits, n).map_err(array_trap)
    );
    next!(next, fp, mem, len, ctx, acc)
}

/// `array.copy`.
pub(crate) unsafe fn array_copy(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ArrayCopy);
    let dst = GcRef(get!(fp, ctx, o.dst) as u32);
    let d = get!(fp, ctx, o.dst_offset) as u32;
    let src = GcRef(get!(fp, ctx, o.src) as u32);
    let s = get!(fp, ctx, o.src_offset) as u32;
    let n = get!(fp, ctx, o.n) as u32;
    step!(
        ip,
        ctx,
        ctx.store()
            .gc
            .array_copy(dst, d, src, s, n)
            .map_err(array_trap)
    );
    next!(next, fp, mem, len, ctx, acc)
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
    let target = gc::decode_heap_type(o.heap.0);
    let v = u64::from(gc::ref_matches(ctx.store(), cell, target, N::NULLABLE) != S::NEG);
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
    let target = gc::decode_heap_type(o.heap.0);
    if !gc::ref_matches(ctx.store(), cell, target, N::NULLABLE) {
        trap!(ip, ctx, TrapKind::CastFailure)
    }
    set!(fp, ctx, o.dst, cell);
    next!(next, fp, mem, len, ctx, acc)
}
