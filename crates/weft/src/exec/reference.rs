//! Globals, tables and reference instructions.
//!
//! A reference cell is 0 for null; a function reference is its store
//! function id plus one; an extern reference is its store extern index plus
//! one.

use super::{Ctx, Exit, Fp, Ip, get, next, op, set, trap};
use crate::error::TrapKind;
use crate::store::TableInstance;

/// `global.get`. Operands: dst, global.
pub(crate) unsafe fn global_get(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    _acc: u64,
) -> Exit {
    let g = ctx.inst().globals[op!(ip, 1) as usize];
    // SAFETY: global pointers of an instance are live boxes of the store.
    let v = unsafe { (*g).value };
    set!(fp, ctx, op!(ip, 0), v);
    // SAFETY: 2 operands take 1 word.
    next!(unsafe { ip.add(2) }, fp, mem, len, ctx, v)
}

/// `global.set`. Operands: global, src.
pub(crate) unsafe fn global_set(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let g = ctx.inst().globals[op!(ip, 0) as usize];
    let v = get!(fp, ctx, op!(ip, 1));
    // SAFETY: as for `global_get`; nothing else references the global now.
    unsafe { (*g).value = v };
    // SAFETY: 2 operands take 1 word.
    next!(unsafe { ip.add(2) }, fp, mem, len, ctx, acc)
}

/// `global.get` of a `v128`. Operands: dst, global.
pub(crate) unsafe fn global_get_v128(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let g = ctx.inst().globals[op!(ip, 1) as usize];
    // SAFETY: global pointers of an instance are live boxes of the store.
    let (lo, hi) = unsafe { ((*g).value, (*g).hi) };
    set!(fp, ctx, op!(ip, 0), lo);
    set!(fp, ctx, op!(ip, 0) + 1, hi);
    // SAFETY: 2 operands take 1 word.
    next!(unsafe { ip.add(2) }, fp, mem, len, ctx, acc)
}

/// `global.set` of a `v128`. Operands: global, src.
pub(crate) unsafe fn global_set_v128(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let g = ctx.inst().globals[op!(ip, 0) as usize];
    let (lo, hi) = (get!(fp, ctx, op!(ip, 1)), get!(fp, ctx, op!(ip, 1) + 1));
    // SAFETY: as for `global_get_v128`.
    unsafe {
        (*g).value = lo;
        (*g).hi = hi;
    }
    // SAFETY: 2 operands take 1 word.
    next!(unsafe { ip.add(2) }, fp, mem, len, ctx, acc)
}

/// `ref.func`. Operands: dst, func.
pub(crate) unsafe fn ref_func(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let id = ctx.inst().funcs[op!(ip, 1) as usize];
    set!(fp, ctx, op!(ip, 0), u64::from(id) + 1);
    // SAFETY: 2 operands take 1 word.
    next!(unsafe { ip.add(2) }, fp, mem, len, ctx, acc)
}

/// `ref.is_null`. Operands: dst, src.
pub(crate) unsafe fn ref_is_null(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let v = get!(fp, ctx, op!(ip, 1));
    set!(fp, ctx, op!(ip, 0), u64::from(v == 0));
    // SAFETY: 2 operands take 1 word.
    next!(unsafe { ip.add(2) }, fp, mem, len, ctx, acc)
}

/// `ref.as_non_null`. Operands: dst, src.
pub(crate) unsafe fn ref_as_non_null(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let v = get!(fp, ctx, op!(ip, 1));
    if v == 0 {
        trap!(ip, ctx, TrapKind::NullReference);
    }
    set!(fp, ctx, op!(ip, 0), v);
    // SAFETY: 2 operands take 1 word.
    next!(unsafe { ip.add(2) }, fp, mem, len, ctx, acc)
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

/// `table.get`. Operands: dst, table, index.
pub(crate) unsafe fn table_get(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let i = get!(fp, ctx, op!(ip, 2));
    let t = table(ctx, op!(ip, 1));
    match elem_index(i, t.elems.len()) {
        Ok(i) => {
            let v = t.elems[i];
            set!(fp, ctx, op!(ip, 0), v);
        }
        Err(k) => trap!(ip, ctx, k),
    }
    // SAFETY: 3 operands take 2 words.
    next!(unsafe { ip.add(3) }, fp, mem, len, ctx, acc)
}

/// `table.set`. Operands: table, index, value.
pub(crate) unsafe fn table_set(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let i = get!(fp, ctx, op!(ip, 1));
    let v = get!(fp, ctx, op!(ip, 2));
    let t = table(ctx, op!(ip, 0));
    match elem_index(i, t.elems.len()) {
        Ok(i) => t.elems[i] = v,
        Err(k) => trap!(ip, ctx, k),
    }
    // SAFETY: 3 operands take 2 words.
    next!(unsafe { ip.add(3) }, fp, mem, len, ctx, acc)
}

/// `table.size`. Operands: dst, table.
pub(crate) unsafe fn table_size(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let n = table(ctx, op!(ip, 1)).elems.len() as u64;
    set!(fp, ctx, op!(ip, 0), n);
    // SAFETY: 2 operands take 1 word.
    next!(unsafe { ip.add(2) }, fp, mem, len, ctx, acc)
}

/// `table.grow`. Operands: dst, table, init, delta.
pub(crate) unsafe fn table_grow(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let init = get!(fp, ctx, op!(ip, 2));
    let delta = get!(fp, ctx, op!(ip, 3));
    let is64 = table(ctx, op!(ip, 1)).ty.table64;
    let index = ctx.inst().index as usize;
    let store = ctx.store();
    let id = store.instances[index].tables[op!(ip, 1) as usize];
    let r = match store.grow_table(id, delta, init) {
        Ok(Some(old)) => old,
        Ok(None) if is64 => u64::MAX,
        Ok(None) => u64::from(u32::MAX),
        Err(k) => trap!(ip, ctx, k),
    };
    set!(fp, ctx, op!(ip, 0), r);
    // SAFETY: 4 operands take 2 words.
    next!(unsafe { ip.add(3) }, fp, mem, len, ctx, acc)
}

/// `table.fill`. Operands: table, start, value, n.
pub(crate) unsafe fn table_fill(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let i = get!(fp, ctx, op!(ip, 1));
    let v = get!(fp, ctx, op!(ip, 2));
    let n = get!(fp, ctx, op!(ip, 3));
    let t = table(ctx, op!(ip, 0));
    match span(i, n, t.elems.len()) {
        Ok(r) => t.elems[r].fill(v),
        Err(k) => trap!(ip, ctx, k),
    }
    // SAFETY: 4 operands take 2 words.
    next!(unsafe { ip.add(3) }, fp, mem, len, ctx, acc)
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

/// `table.copy`. Operands: dst table, src table, dst, src, n, pad.
pub(crate) unsafe fn table_copy(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let d = get!(fp, ctx, op!(ip, 2));
    let s = get!(fp, ctx, op!(ip, 3));
    let n = get!(fp, ctx, op!(ip, 4));
    if let Err(k) = copy(ctx, op!(ip, 0), op!(ip, 1), d, s, n) {
        trap!(ip, ctx, k)
    }
    // SAFETY: 6 operands take 3 words.
    next!(unsafe { ip.add(4) }, fp, mem, len, ctx, acc)
}

/// `table.init`. Operands: table, segment, dst, src, n, pad.
pub(crate) unsafe fn table_init(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let d = get!(fp, ctx, op!(ip, 2));
    let s = get!(fp, ctx, op!(ip, 3));
    let n = get!(fp, ctx, op!(ip, 4));
    if let Err(k) = init(ctx, op!(ip, 0), op!(ip, 1), d, s, n) {
        trap!(ip, ctx, k)
    }
    // SAFETY: 6 operands take 3 words.
    next!(unsafe { ip.add(4) }, fp, mem, len, ctx, acc)
}

/// `elem.drop`. Operands: segment.
pub(crate) unsafe fn elem_drop(
    ip: Ip,
    fp: Fp,
    mem: *mut u8,
    len: usize,
    ctx: &mut Ctx,
    acc: u64,
) -> Exit {
    let index = ctx.inst().index as usize;
    let seg = op!(ip, 0) as usize;
    ctx.store().instances[index].elems[seg] = Vec::new().into();
    // SAFETY: 1 operand takes 1 word.
    next!(unsafe { ip.add(2) }, fp, mem, len, ctx, acc)
}
