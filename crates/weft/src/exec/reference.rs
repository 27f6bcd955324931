//! Globals, tables and reference instructions.
//!
//! A reference cell is 0 for null; a function reference is its store
//! function id plus one; an extern reference is its store extern index plus
//! one.

use super::{Ctx, Exit, Fp, Ip, decode, get, next, set, trap};
use crate::error::TrapKind;
use crate::ir::isa::{
    ElemDrop, GlobalGet, GlobalSet, RefFunc, TableCopy, TableFill, TableGet, TableGrow, TableInit,
    TableSet, TableSize, Unary,
};
use crate::store::TableInstance;

/// `global.get`.
pub(crate) unsafe fn global_get(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    _acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, GlobalGet);
    let g = ctx.inst().globals[o.global.0 as usize];
    // SAFETY: global pointers of an instance are live boxes of the store.
    let v = unsafe { (*g).value };
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, v)
}

/// `global.set`.
pub(crate) unsafe fn global_set(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, GlobalSet);
    let g = ctx.inst().globals[o.global.0 as usize];
    let v = get!(fp, ctx, o.src);
    // SAFETY: as for `global_get`; nothing else references the global now.
    unsafe { (*g).value = v };
    next!(next, fp, mem, len, ctx, acc)
}

/// `global.get` of a `v128`.
pub(crate) unsafe fn global_get_v128(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, GlobalGet);
    let g = ctx.inst().globals[o.global.0 as usize];
    // SAFETY: global pointers of an instance are live boxes of the store.
    let (lo, hi) = unsafe { ((*g).value, (*g).hi) };
    set!(fp, ctx, o.dst, lo);
    set!(fp, ctx, o.dst.0 + 1, hi);
    next!(next, fp, mem, len, ctx, acc)
}

/// `global.set` of a `v128`.
pub(crate) unsafe fn global_set_v128(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, GlobalSet);
    let g = ctx.inst().globals[o.global.0 as usize];
    let (lo, hi) = (get!(fp, ctx, o.src), get!(fp, ctx, o.src.0 + 1));
    // SAFETY: as for `global_get_v128`.
    unsafe {
        (*g).value = lo;
        (*g).hi = hi;
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `ref.func`.
pub(crate) unsafe fn ref_func(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, RefFunc);
    let id = ctx.inst().funcs[o.func.0 as usize];
    set!(fp, ctx, o.dst, u64::from(id) + 1);
    next!(next, fp, mem, len, ctx, acc)
}

/// `ref.as_non_null`.
pub(crate) unsafe fn ref_as_non_null(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, Unary);
    let v = get!(fp, ctx, o.a);
    if v == 0 {
        trap!(ip, ctx, TrapKind::NullReference);
    }
    set!(fp, ctx, o.dst, v);
    next!(next, fp, mem, len, ctx, acc)
}

#[inline(always)]
fn table(ctx: &mut Ctx, index: u32) -> &mut TableInstance {
    // SAFETY: table pointers of an instance are live boxes of the store, and
    // no other reference to the table is alive while a handler runs.
    unsafe { &mut *ctx.inst().tables[index as usize] }
}

fn elem_index(i: u64, len: usize) -> Result<usize, TrapKind> {
    match usize::try_from(i) {
        Ok(i) if i < len => Ok(i),
        _ => Err(TrapKind::TableOutOfBounds),
    }
}

fn span(start: u64, n: u64, len: usize) -> Result<std::ops::Range<usize>, TrapKind> {
    match start.checked_add(n) {
        Some(end) if end <= len as u64 => Ok(start as usize..end as usize),
        _ => Err(TrapKind::TableOutOfBounds),
    }
}

/// `table.get`.
pub(crate) unsafe fn table_get(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, TableGet);
    let i = get!(fp, ctx, o.index);
    let t = table(ctx, o.table.0);
    match elem_index(i, t.elems.len()) {
        Ok(i) => {
            let v = t.elems[i];
            set!(fp, ctx, o.dst, v);
        }
        Err(k) => trap!(ip, ctx, k),
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `table.set`.
pub(crate) unsafe fn table_set(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, TableSet);
    let i = get!(fp, ctx, o.index);
    let v = get!(fp, ctx, o.value);
    let t = table(ctx, o.table.0);
    match elem_index(i, t.elems.len()) {
        Ok(i) => t.elems[i] = v,
        Err(k) => trap!(ip, ctx, k),
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `table.size`.
pub(crate) unsafe fn table_size(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, TableSize);
    let n = table(ctx, o.table.0).elems.len() as u64;
    set!(fp, ctx, o.dst, n);
    next!(next, fp, mem, len, ctx, acc)
}

/// `table.grow`.
pub(crate) unsafe fn table_grow(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, TableGrow);
    let init = get!(fp, ctx, o.init);
    let delta = get!(fp, ctx, o.delta);
    let is64 = table(ctx, o.table.0).ty.table64;
    let index = ctx.inst().index as usize;
    let store = ctx.store();
    let id = store.instances[index].tables[o.table.0 as usize];
    let r = match store.grow_table(id, delta, init) {
        Ok(Some(old)) => old,
        Ok(None) if is64 => u64::MAX,
        Ok(None) => u64::from(u32::MAX),
        Err(k) => trap!(ip, ctx, k),
    };
    set!(fp, ctx, o.dst, r);
    next!(next, fp, mem, len, ctx, acc)
}

/// `table.fill`.
pub(crate) unsafe fn table_fill(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, TableFill);
    let i = get!(fp, ctx, o.start);
    let v = get!(fp, ctx, o.value);
    let n = get!(fp, ctx, o.n);
    let t = table(ctx, o.table.0);
    match span(i, n, t.elems.len()) {
        Ok(r) => t.elems[r].fill(v),
        Err(k) => trap!(ip, ctx, k),
    }
    next!(next, fp, mem, len, ctx, acc)
}

fn copy(ctx: &mut Ctx, dt: u32, st: u32, d: u64, s: u64, n: u64) -> Result<(), TrapKind> {
    let src: Vec<u64> = {
        let t = table(ctx, st);
        let r = span(s, n, t.elems.len())?;
        t.elems[r].to_vec()
    };
    let t = table(ctx, dt);
    let r = span(d, n, t.elems.len())?;
    t.elems[r].copy_from_slice(&src);
    Ok(())
}

fn init(ctx: &mut Ctx, ti: u32, seg: u32, d: u64, s: u64, n: u64) -> Result<(), TrapKind> {
    let index = ctx.inst().index as usize;
    let items = ctx.store().instances[index].elems[seg as usize].clone();
    let src = span(s, n, items.len())?;
    let t = table(ctx, ti);
    let dst = span(d, n, t.elems.len())?;
    t.elems[dst].copy_from_slice(&items[src]);
    Ok(())
}

/// `table.copy`.
pub(crate) unsafe fn table_copy(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, TableCopy);
    let d = get!(fp, ctx, o.dst);
    let s = get!(fp, ctx, o.src);
    let n = get!(fp, ctx, o.n);
    if let Err(k) = copy(ctx, o.dst_table.0, o.src_table.0, d, s, n) {
        trap!(ip, ctx, k)
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `table.init`.
pub(crate) unsafe fn table_init(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, TableInit);
    let d = get!(fp, ctx, o.dst);
    let s = get!(fp, ctx, o.src);
    let n = get!(fp, ctx, o.n);
    if let Err(k) = init(ctx, o.table.0, o.segment.0, d, s, n) {
        trap!(ip, ctx, k)
    }
    next!(next, fp, mem, len, ctx, acc)
}

/// `elem.drop`.
pub(crate) unsafe fn elem_drop(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let (o, next) = decode!(ip, ElemDrop);
    let index = ctx.inst().index as usize;
    let seg = o.segment.0 as usize;
    ctx.store().instances[index].elems[seg] = Vec::new().into();
    next!(next, fp, mem, len, ctx, acc)
}
