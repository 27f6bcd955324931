//! Translation of a function body from Wasm's stack machine into weft's
//! register IR, in one pass, validating each operator as it goes.
//!
//! The Wasm operand stack becomes frame slots: the operand at stack height
//! `h` lives in slot `temp_base + h` (its *canonical* slot), after the
//! function's parameters and locals. The translator keeps a virtual stack of
//! where each operand really is: a local (for `local.get`, no copy made), a
//! constant (folded into an immediate when consumed), or its canonical slot.
//! Operands are moved into canonical slots only where control flow merges
//! (block entries, branches, calls), so straight-line code needs no copies.

mod control;
mod exceptions;
mod moves;
mod ops;
mod simd;
pub(crate) mod simd_ops;

use crate::error::Result;
use crate::exec::{self as x, addr};
use crate::ir::{CodeBuilder, CompiledFunc, HandlerAddr, HandlerEntry, InstrPos, imm64};
use crate::module::ModuleInner;
use crate::types::{FuncType, TypeId, ValType};
use control::Ctrl;
use moves::{Move, Source};
use wasmparser::{FuncValidator, FunctionBody, Operator, ValidatorResources};

/// An operand of the virtual stack: where it is, its canonical slot (where
/// it goes when materialised), and whether it is a `v128` (two cells).
#[derive(Copy, Clone, Debug)]
struct Entry {
    op: Operand,
    slot: u32,
    wide: bool,
}

impl Entry {
    fn cells(&self) -> u32 {
        if self.wide { 2 } else { 1 }
    }
}

/// Where an operand of the virtual stack is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Operand {
    /// In local (or parameter) slot `i`.
    Local(u32),
    /// A known constant cell.
    Const(u64),
    /// In its canonical slot.
    Temp,
}

/// The condition a just-emitted instruction computed, so a following
/// branch can test it directly instead of materialising a boolean.
#[derive(Copy, Clone)]
enum LastCond {
    /// A comparison of slot `a` with slot or immediate `b`.
    Cmp {
        info: ops::BinInfo,
        a: u32,
        b: u32,
        b_is_imm: bool,
    },
    /// `i32.eqz` (or `i64.eqz`) of slot `src`.
    Eqz { src: u32 },
}

/// A just-emitted integer add (`dst = a + b`, `b` a slot or an
/// immediate), which a following memory access of `dst`, or comparison of
/// `dst` and branch, can absorb.
#[derive(Copy, Clone)]
struct AddDef {
    pos: InstrPos,
    end: usize,
    dst: u32,
    a: u32,
    b: u32,
    b_is_imm: bool,
    /// 32 or 64.
    width: u8,
}

/// A just-emitted instruction whose operand 0 is its destination slot.
#[derive(Copy, Clone)]
struct LastDef {
    pos: InstrPos,
    end: usize,
    dst: u32,
    cond: Option<LastCond>,
}

pub(crate) struct Translator<'a> {
    m: &'a ModuleInner,
    b: CodeBuilder,
    stack: Vec<Entry>,
    /// Each local's slot and whether it is a `v128`.
    locals: Vec<(u32, bool)>,
    /// Types of the function's results.
    results: Vec<ValType>,
    ctrl: Vec<Ctrl>,
    temp_base: u32,
    /// The most temporary cells in use at once.
    max_cells: u32,
    reachable: bool,
    last: Option<LastDef>,
    last_add: Option<AddDef>,
    /// Byte offset of the operator being translated.
    offset: usize,
    direct_calls: Vec<u32>,
    /// Exception handler regions, and those whose body is being translated.
    handlers: Vec<HandlerEntry>,
    open_handlers: Vec<u32>,
    /// Whether to charge fuel, and the open block's charge instruction.
    fuel: bool,
    fuel_charge: Option<InstrPos>,
    fuel_count: u32,
    /// Whether to check the epoch at function entry and loop headers.
    epoch: bool,
}

/// Translates function `index` of module `m`, validating it with `fv`.
pub(crate) fn translate_function(
    m: &ModuleInner,
    index: u32,
    fv: &mut FuncValidator<ValidatorResources>,
    body: &FunctionBody<'_>,
) -> Result<CompiledFunc> {
    let type_id = m.funcs[index as usize];
    let ft = m.func_type(type_id);
    let mut locals = body.get_locals_reader()?;
    for _ in 0..locals.get_count() {
        let offset = locals.original_position();
        let (count, ty) = locals.read()?;
        fv.define_locals(offset, count, ty)?;
    }
    // Locals take one cell each, a v128 two; temporaries follow them.
    let mut locals = Vec::with_capacity(fv.len_locals() as usize);
    let mut cells = 0u32;
    let mut param_cells = 0;
    for i in 0..fv.len_locals() {
        let wide = fv.get_local_type(i) == Some(wasmparser::ValType::V128);
        if i == ft.params().len() as u32 {
            param_cells = cells;
        }
        locals.push((cells, wide));
        cells = cells
            .checked_add(if wide { 2 } else { 1 })
            .ok_or_else(|| crate::Error::Unsupported("too many locals".into()))?;
    }
    if ft.params().len() as u32 == fv.len_locals() {
        param_cells = cells;
    }
    let mut t = Translator {
        m,
        b: CodeBuilder::default(),
        stack: Vec::new(),
        locals,
        results: ft.results().to_vec(),
        ctrl: Vec::new(),
        temp_base: cells,
        max_cells: 0,
        reachable: true,
        last: None,
        last_add: None,
        offset: 0,
        direct_calls: Vec::new(),
        handlers: Vec::new(),
        open_handlers: Vec::new(),
        fuel: m.engine.config().consume_fuel,
        fuel_charge: None,
        fuel_count: 0,
        epoch: m.engine.config().epoch_interruption,
    };
    if cells > param_cells {
        t.b.emit(addr(x::zero_locals), &[param_cells, cells - param_cells]);
    }
    t.check_epoch();
    t.begin_basic_block();
    t.ctrl.push(Ctrl::function(ft.results()));
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let (op, offset) = reader.read_with_offset()?;
        fv.op(offset, &op)?;
        t.b.mark_offset(offset as usize);
        t.translate(op, offset as usize)?;
    }
    reader.finish()?;
    t.close_basic_block();
    let (code, offsets) = t.b.finish();
    let result_cells: u32 = t.results.iter().map(|r| cells_of(*r)).sum();
    let frame_size = (t.temp_base + t.max_cells)
        .max(result_cells)
        .max(param_cells);
    Ok(CompiledFunc {
        code,
        frame_size,
        num_params: param_cells,
        direct_calls: t.direct_calls.into(),
        handlers: t.handlers.into(),
        func_index: index,
        offsets,
    })
}

/// How many cells a value of type `t` takes.
fn cells_of(t: ValType) -> u32 {
    if t == ValType::V128 { 2 } else { 1 }
}

impl<'a> Translator<'a> {
    // ----- the virtual stack -------------------------------------------

    fn height(&self) -> u32 {
        self.stack.len() as u32
    }

    /// The canonical slot of the next operand pushed.
    fn next_slot(&self) -> u32 {
        self.stack
            .last()
            .map_or(self.temp_base, |e| e.slot + e.cells())
    }

    /// The canonical slot of stack height `h` (at most the current height).
    fn slot_at(&self, h: u32) -> u32 {
        self.stack
            .get(h as usize)
            .map_or_else(|| self.next_slot(), |e| e.slot)
    }

    /// The slot of local `i`.
    fn local_slot(&self, i: u32) -> u32 {
        self.locals[i as usize].0
    }

    fn push(&mut self, op: Operand, wide: bool) {
        let slot = self.next_slot();
        let e = Entry { op, slot, wide };
        self.max_cells = self.max_cells.max(slot + e.cells() - self.temp_base);
        self.stack.push(e);
    }

    /// Pushes the result of an instruction and returns its slot.
    fn push_temp(&mut self, wide: bool) -> u32 {
        self.push(Operand::Temp, wide);
        self.stack.last().expect("just pushed").slot
    }

    fn pop(&mut self) -> Entry {
        self.stack.pop().unwrap_or(Entry {
            op: Operand::Temp,
            slot: self.temp_base,
            wide: false,
        })
    }

    /// A slot holding entry `e`, materialising a constant into its
    /// canonical slot.
    fn read(&mut self, e: Entry) -> u32 {
        match e.op {
            Operand::Local(i) => self.local_slot(i),
            Operand::Temp => e.slot,
            Operand::Const(c) => {
                self.emit_const(e.slot, c);
                e.slot
            }
        }
    }

    /// Pops an operand and returns a slot holding it.
    fn pop_slot(&mut self) -> u32 {
        let e = self.pop();
        self.read(e)
    }

    fn emit_const(&mut self, dst: u32, c: u64) {
        if c <= u64::from(u32::MAX) {
            self.b
                .emit_transparent(addr(x::const32), &[dst, c as u32], Some(dst));
        } else {
            let [lo, hi] = imm64(c);
            self.b
                .emit_transparent(addr(x::const64), &[dst, 0, lo, hi], Some(dst));
        }
    }

    /// Emits a copy of slot `src` (one or two cells) to `dst`, if they differ.
    fn emit_copy(&mut self, dst: u32, src: u32, wide: bool) {
        if dst != src {
            if wide {
                self.b.emit(addr(x::v_copy), &[dst, src]);
            } else {
                self.b
                    .emit_transparent(addr(x::copy), &[dst, src], Some(dst));
            }
        }
    }

    /// Emits a copy of entry `e` into slot `dst`, if it is not there.
    fn emit_move(&mut self, dst: u32, e: Entry) {
        let m = self.move_of(e, dst);
        self.emit_moves(&[m]);
    }

    /// Moves the operand at height `h` into its canonical slot.
    fn materialize_at(&mut self, h: u32) {
        let e = self.stack[h as usize];
        if e.op != Operand::Temp {
            self.emit_move(e.slot, e);
            self.stack[h as usize].op = Operand::Temp;
        }
    }

    /// Moves every operand into its canonical slot (before control flow
    /// merges, so every path agrees on where values are).
    fn materialize_all(&mut self) {
        self.materialize_from(0);
    }

    /// Materialises the top `n` operands (call arguments).
    fn materialize_top(&mut self, n: u32) {
        self.materialize_from(self.height() - n);
    }

    /// Moves the operands from height `h0` up into their canonical slots.
    fn materialize_from(&mut self, h0: u32) {
        let moves: Vec<Move> = self.stack[h0 as usize..]
            .iter()
            .map(|e| self.move_of(*e, e.slot))
            .collect();
        self.emit_moves(&moves);
        for e in &mut self.stack[h0 as usize..] {
            e.op = Operand::Temp;
        }
    }

    /// The move of operand `e` into slot `dst`.
    fn move_of(&self, e: Entry, dst: u32) -> Move {
        let src = match e.op {
            Operand::Local(i) => Source::Slot(self.local_slot(i)),
            Operand::Temp => Source::Slot(e.slot),
            Operand::Const(c) => Source::Const(c),
        };
        Move {
            dst,
            src,
            wide: e.wide,
        }
    }

    /// Performs `moves` as if all at once (see `moves`), with the cells
    /// above the operand stack as scratch space. Changes nothing in the
    /// virtual stack, so it may be emitted on one path of a branch only.
    fn emit_moves(&mut self, moves: &[Move]) {
        let scratch = self.next_slot();
        let (seq, used) = moves::sequence(moves, scratch);
        self.max_cells = self.max_cells.max(scratch + used - self.temp_base);
        for m in seq {
            match m.src {
                Source::Slot(s) => self.emit_copy(m.dst, s, m.wide),
                Source::Const(c) => {
                    debug_assert!(!m.wide, "constants are single cells");
                    self.emit_const(m.dst, c);
                }
            }
        }
    }

    /// Emits an instruction that writes a new top operand, recording it so
    /// that `local.set` can retarget it and branches can fuse with it.
    fn emit_def(&mut self, h: HandlerAddr, ops: &mut [u32], cond: Option<LastCond>) {
        self.emit_def_sized(h, ops, cond, false);
    }

    /// As [`Translator::emit_def`] for an instruction that also passes its
    /// result on in `acc`.
    fn emit_value(&mut self, h: HandlerAddr, ops: &mut [u32], cond: Option<LastCond>) {
        self.emit_def(h, ops, cond);
        self.b.passes_on(ops[0]);
    }

    /// The form of `h` that reads its register operand `slot` from `acc`,
    /// if the next instruction will find it there, else the slot form.
    fn by_acc(&self, h: ops::ByAcc, slot: u32) -> HandlerAddr {
        h[usize::from(self.b.acc_holds(slot))]
    }

    /// As [`Translator::emit_def`] for an instruction producing a `v128`.
    fn emit_def_wide(&mut self, h: HandlerAddr, ops: &mut [u32]) {
        self.emit_def_sized(h, ops, None, true);
    }

    fn emit_def_sized(
        &mut self,
        h: HandlerAddr,
        ops: &mut [u32],
        cond: Option<LastCond>,
        wide: bool,
    ) {
        let dst = self.push_temp(wide);
        ops[0] = dst;
        let pos = self.b.emit(h, ops);
        self.last = Some(LastDef {
            pos,
            end: self.b.len(),
            dst,
            cond,
        });
    }

    /// The last instruction, if it is still the last one emitted and wrote
    /// slot `slot`.
    fn last_def_of(&self, slot: u32) -> Option<LastDef> {
        self.last
            .filter(|l| l.end == self.b.len() && l.dst == slot && self.b.is_open(l.pos))
    }

    // ----- operators ---------------------------------------------------

    fn translate(&mut self, op: Operator<'_>, offset: usize) -> Result<()> {
        self.offset = offset;
        if !self.reachable {
            return self.translate_unreachable(&op);
        }
        self.fuel_count += 1;
        if let Some(info) = ops::binary(&op) {
            self.binary(info);
            return Ok(());
        }
        if let Some(h) = ops::unary(&op) {
            let e = self.pop();
            let a = self.read(e);
            let is_eqz = matches!(op, Operator::I32Eqz | Operator::I64Eqz);
            let cond = is_eqz.then_some(LastCond::Eqz { src: a });
            let h = self.by_acc(h, a);
            self.emit_value(h, &mut [0, a], cond);
            return Ok(());
        }
        if let Some(access) = ops::memory_access(&op) {
            self.memory_access(access);
            return Ok(());
        }
        if self.translate_simd(&op) {
            return Ok(());
        }
        use Operator as O;
        match op {
            O::Nop => {}
            O::Unreachable => {
                self.b.emit(addr(x::unreachable), &[]);
                self.set_unreachable();
            }
            O::I32Const { value } => self.push(Operand::Const(u64::from(value as u32)), false),
            O::I64Const { value } => self.push(Operand::Const(value as u64), false),
            O::F32Const { value } => self.push(Operand::Const(u64::from(value.bits())), false),
            O::F64Const { value } => self.push(Operand::Const(value.bits()), false),
            O::I32ReinterpretF32
            | O::F32ReinterpretI32
            | O::I64ReinterpretF64
            | O::F64ReinterpretI64 => {}
            O::LocalGet { local_index } => {
                let wide = self.locals[local_index as usize].1;
                self.push(Operand::Local(local_index), wide);
            }
            O::LocalSet { local_index } => self.local_set(local_index, false),
            O::LocalTee { local_index } => self.local_set(local_index, true),
            O::GlobalGet { global_index } => {
                if self.m.globals[global_index as usize].content == ValType::V128 {
                    self.emit_def_wide(addr(x::global_get_v128), &mut [0, global_index]);
                } else {
                    self.emit_value(addr(x::global_get), &mut [0, global_index], None);
                }
            }
            O::GlobalSet { global_index } => {
                let v = self.pop_slot();
                let h = if self.m.globals[global_index as usize].content == ValType::V128 {
                    addr(x::global_set_v128)
                } else {
                    addr(x::global_set)
                };
                self.b.emit(h, &[global_index, v]);
            }
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let c = self.pop_slot();
                let eb = self.pop();
                let bb = self.read(eb);
                let a = self.pop_slot();
                if eb.wide {
                    self.emit_def_wide(addr(x::v_select), &mut [0, c, a, bb]);
                } else {
                    let h = self.by_acc([addr(x::select::<false>), addr(x::select::<true>)], c);
                    self.emit_value(h, &mut [0, c, a, bb], None);
                }
            }
            O::RefNull { .. } => self.push(Operand::Const(0), false),
            O::RefIsNull => {
                let a = self.pop_slot();
                self.emit_def(addr(x::ref_is_null), &mut [0, a], None);
            }
            O::RefFunc { function_index } => {
                self.emit_def(addr(x::ref_func), &mut [0, function_index], None);
            }
            O::RefAsNonNull => {
                let a = self.pop_slot();
                self.emit_def(addr(x::ref_as_non_null), &mut [0, a], None);
            }
            O::MemorySize { mem } => self.emit_def(addr(x::memory_size), &mut [0, mem], None),
            O::MemoryGrow { mem } => {
                let d = self.pop_slot();
                self.emit_def(addr(x::memory_grow), &mut [0, d, mem], None);
            }
            O::MemoryFill { mem } => {
                let [d, v, n] = self.pop3();
                self.b.emit(addr(x::memory_fill), &[mem, d, v, n]);
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                let [d, s, n] = self.pop3();
                self.b
                    .emit(addr(x::memory_copy), &[dst_mem, src_mem, d, s, n, 0]);
            }
            O::MemoryInit { data_index, mem } => {
                let [d, s, n] = self.pop3();
                self.b
                    .emit(addr(x::memory_init), &[mem, data_index, d, s, n, 0]);
            }
            O::DataDrop { data_index } => {
                self.b.emit(addr(x::data_drop), &[data_index]);
            }
            O::TableGet { table } => {
                let i = self.pop_slot();
                self.emit_def(addr(x::table_get), &mut [0, table, i], None);
            }
            O::TableSet { table } => {
                let v = self.pop_slot();
                let i = self.pop_slot();
                self.b.emit(addr(x::table_set), &[table, i, v]);
            }
            O::TableSize { table } => self.emit_def(addr(x::table_size), &mut [0, table], None),
            O::TableGrow { table } => {
                let delta = self.pop_slot();
                let init = self.pop_slot();
                self.emit_def(addr(x::table_grow), &mut [0, table, init, delta], None);
            }
            O::TableFill { table } => {
                let [i, v, n] = self.pop3();
                self.b.emit(addr(x::table_fill), &[table, i, v, n]);
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let [d, s, n] = self.pop3();
                self.b
                    .emit(addr(x::table_copy), &[dst_table, src_table, d, s, n, 0]);
            }
            O::TableInit { elem_index, table } => {
                let [d, s, n] = self.pop3();
                self.b
                    .emit(addr(x::table_init), &[table, elem_index, d, s, n, 0]);
            }
            O::ElemDrop { elem_index } => {
                self.b.emit(addr(x::elem_drop), &[elem_index]);
            }
            other => return self.translate_control(other, offset),
        }
        Ok(())
    }

    /// Pops three operands into slots, returning them bottom first.
    fn pop3(&mut self) -> [u32; 3] {
        let c = self.pop_slot();
        let b = self.pop_slot();
        let a = self.pop_slot();
        [a, b, c]
    }

    fn binary(&mut self, info: ops::BinInfo) {
        let eb = self.pop();
        let ea = self.pop();
        let (ob, oa) = (eb.op, ea.op);
        let imm_of = |o: Operand| match o {
            Operand::Const(c) => info.imm.encode(c),
            _ => None,
        };
        let (h, a, bb, is_imm) = if let Some(imm) = imm_of(ob) {
            (Some(info.ri), self.read(ea), imm, true)
        } else if let Some(imm) = imm_of(oa) {
            let b_slot = self.read(eb);
            let h = if info.commutative { info.ri } else { info.ir };
            // Comparisons fuse only in (slot, imm) order.
            if info.br_rr.is_some() && !info.commutative {
                let a_slot = self.read(ea);
                self.emit_bin(info, None, a_slot, b_slot, false);
                return;
            }
            (Some(h), b_slot, imm, info.commutative)
        } else {
            let a = self.read(ea);
            let b = self.read(eb);
            (None, a, b, false)
        };
        self.emit_bin(info, h, a, bb, is_imm);
    }

    /// Emits binary operator `info` on slot `a` and `b`: a slot, or with
    /// `imm` the immediate form `imm` (`ri` or `ir`) with `b` the immediate.
    fn emit_bin(
        &mut self,
        info: ops::BinInfo,
        imm: Option<ops::ByAcc>,
        a: u32,
        b: u32,
        is_imm: bool,
    ) {
        let cond = info.br_rr.map(|_| LastCond::Cmp {
            info,
            a,
            b,
            b_is_imm: is_imm,
        });
        let h = match imm {
            Some(h) => self.by_acc(h, a),
            None if self.b.acc_holds(a) => info.rr[usize::from(x::src::ACC_A)],
            None if self.b.acc_holds(b) => info.rr[usize::from(x::src::ACC_B)],
            None => info.rr[usize::from(x::src::SLOTS)],
        };
        self.emit_value(h, &mut [0, a, b], cond);
        if let (Some(width), Some(last)) = (info.add_width, self.last) {
            self.last_add = Some(AddDef {
                pos: last.pos,
                end: last.end,
                dst: last.dst,
                a,
                b,
                b_is_imm: is_imm,
                width,
            });
        }
    }

    fn memory_access(&mut self, access: ops::MemAccess) {
        let [lo, hi] = imm64(access.memarg.offset);
        let wasmparser::MemArgTarget::Memory(mem) = access.memarg.target else {
            unreachable!("array memargs are GC-only")
        };
        let m64 = usize::from(self.m.memories.first().is_some_and(|m| m.memory64));
        if access.is_load {
            let e = self.pop();
            if mem == 0
                && let Some(add) = self.take_address_add(&e)
            {
                let (h, a, b) = self.address_add_form(&access, add);
                self.emit_value(h, &mut [0, a, b, lo, hi], None);
                return;
            }
            let a = self.read(e);
            if mem == 0 {
                let h = self.by_acc(access.fast[m64], a);
                self.emit_value(h, &mut [0, a, lo, hi], None);
            } else {
                self.emit_def(access.general, &mut [0, a, lo, hi, mem, 0], None);
            }
        } else {
            let ve = self.pop();
            if let (Operand::Const(c), 0, Some((h, class))) = (ve.op, mem, access.store_imm)
                && let Some(imm) = class.encode(c)
            {
                let a = self.pop_slot();
                let h = self.by_acc(h[m64], a);
                self.b.emit_transparent(h, &[a, imm, lo, hi], None);
                return;
            }
            let v = self.read(ve);
            let e = self.pop();
            if mem == 0
                && let Some(add) = self.take_address_add(&e)
            {
                let (h, a, b) = self.address_add_form(&access, add);
                self.b.emit_transparent(h, &[a, b, v, lo, hi], None);
                return;
            }
            let a = self.read(e);
            if mem == 0 {
                let h = self.by_acc(access.fast[m64], v);
                self.b.emit_transparent(h, &[a, v, lo, hi], None);
            } else {
                self.b
                    .emit_transparent(access.general, &[a, v, lo, hi, mem, 0], None);
            }
        }
    }

    /// The handler of `access` with address add `add` fused in, and the
    /// add's operands: swapped (it commutes) when only the second is in
    /// `acc`, so the handler can read it from there.
    fn address_add_form(&self, access: &ops::MemAccess, add: AddDef) -> (HandlerAddr, u32, u32) {
        let (a, b) = if !add.b_is_imm && !self.b.acc_holds(add.a) && self.b.acc_holds(add.b) {
            (add.b, add.a)
        } else {
            (add.a, add.b)
        };
        let forms = access.with_add[usize::from(add.width == 64)][usize::from(add.b_is_imm)];
        (self.by_acc(forms, a), a, b)
    }

    /// Removes the add just emitted (another instruction does its work).
    fn drop_last_add(&mut self) {
        if let Some(add) = self.last_add.take() {
            self.b.truncate(add.pos);
            self.last = None;
        }
    }

    /// If address `e` was computed by the instruction just emitted, an add
    /// of memory 0's index width, removes that add so the access can do it.
    fn take_address_add(&mut self, e: &Entry) -> Option<AddDef> {
        let width = if self.m.memories.first()?.memory64 {
            64
        } else {
            32
        };
        let add = self.last_add.filter(|a| {
            e.op == Operand::Temp
                && a.end == self.b.len()
                && a.dst == e.slot
                && a.width == width
                && self.b.is_open(a.pos)
        })?;
        self.drop_last_add();
        // Truncating dropped this access's offset record: traps need it.
        self.b.mark_offset(self.offset);
        Some(add)
    }

    fn local_set(&mut self, local: u32, tee: bool) {
        let v = self.pop();
        // Operands that still refer to the local's old value must be
        // copied out before it changes.
        for i in 0..self.stack.len() {
            if matches!(self.stack[i].op, Operand::Local(l) if l == local) {
                self.materialize_at(i as u32);
            }
        }
        let slot = self.local_slot(local);
        match v.op {
            Operand::Temp if self.last_def_of(v.slot).is_some() => {
                // Retarget the instruction that computed the value.
                let last = self.last.take().expect("checked above");
                self.b.patch(last.pos, 0, slot);
                self.b.retarget_acc(v.slot, slot);
                if let Some(add) = self.last_add.as_mut().filter(|a| a.pos == last.pos) {
                    add.dst = slot;
                }
            }
            _ => self.emit_move(slot, v),
        }
        self.last = None;
        if tee {
            self.push(Operand::Local(local), v.wide);
        }
    }

    fn func_type_of(&self, id: TypeId) -> FuncType {
        self.m.func_type(id)
    }

    /// Starts a basic block: with fuel on, emits its charge, whose amount
    /// is filled in when the block closes.
    fn begin_basic_block(&mut self) {
        if self.fuel {
            self.close_basic_block();
            self.fuel_charge = Some(self.b.emit(addr(x::consume_fuel), &[0]));
        }
    }

    /// Fills in the open block's fuel charge with its instruction count.
    fn close_basic_block(&mut self) {
        if let Some(pos) = self.fuel_charge.take() {
            self.b.patch(pos, 0, self.fuel_count);
        }
        self.fuel_count = 0;
    }

    /// With epochs on, checks the deadline (at function entry and loop
    /// headers, so every unbounded execution passes one).
    fn check_epoch(&mut self) {
        if self.epoch {
            self.b.emit(addr(x::check_epoch), &[]);
        }
    }

    fn set_unreachable(&mut self) {
        self.reachable = false;
        let floor = self.ctrl.last().map_or(0, |c| c.floor);
        self.stack.truncate(floor as usize);
        self.last = None;
    }
}
