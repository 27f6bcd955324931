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

mod batch;
mod control;
mod exceptions;
mod gc;
mod moves;
mod ops;
mod roots;
mod simd;
mod visit;

use crate::error::Result;
use crate::exec;
use crate::ir::isa::{self, ConsumeFuel, Count, Defines, Imm, Imm64, Index, Slot, SlotOrImm};
use crate::ir::{CatchRegion, CodeBuilder, CompiledFunc, Handler, InstrPos, field, h};
use crate::module::ModuleInner;
use crate::types::{FuncType, TypeId, ValType};
pub(crate) use batch::{PendingBody, check_bodies};
use control::Ctrl;
use moves::{Move, Source};
use wasmparser::{FuncValidator, FunctionBody, Operator, ValidatorResources, VisitOperator};

/// An operand of the virtual stack: where it is, its canonical slot (where
/// it goes when materialised), whether it is a `v128` (two cells), and
/// whether it is a reference the collector traces (set after each operator
/// from the validator's types, see `roots.rs`).
#[derive(Copy, Clone, Debug)]
struct StackEntry {
    op: Operand,
    slot: u32,
    wide: bool,
    gc: bool,
}

impl StackEntry {
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
        info: &'static ops::BinInfo,
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

/// A just-emitted shift left by a constant, `dst = index << shift`: the
/// scaled index of an address add that may follow.
#[derive(Copy, Clone)]
struct ShiftDef {
    pos: InstrPos,
    end: usize,
    dst: u32,
    index: u32,
    shift: u32,
    /// 32 or 64.
    width: u8,
}

/// Where a binary operator's operands are: both in slots, or one an
/// immediate (`b`) on the right or, for operators that do not commute, on
/// the left (a commutative `imm OP a` is emitted as `a OP imm`).
#[derive(Copy, Clone, PartialEq, Eq)]
enum BinForm {
    Slots,
    ImmRight,
    ImmLeft,
}

/// A just-emitted binary operator, `dst = a OP b` (`b` a slot or an
/// immediate), which a following operator taking `dst` from `acc` can
/// chain with (`ops::Chain`).
#[derive(Copy, Clone)]
struct BinDef {
    pos: InstrPos,
    end: usize,
    info: &'static ops::BinInfo,
    dst: u32,
    a: u32,
    b: u32,
    b_is_imm: bool,
}

/// A just-emitted move (`copy`, `const32` or `move2`) whose last write
/// was to `dst`. A one-cell move can join the next move in one `move2`
/// (`join`: its source, a slot or a 32-bit constant, and which); and if a
/// loop starts right after it, its `passing` form passes `dst` on in
/// `acc`, so the loop's header can read it from there
/// (`control::AccSpec`).
#[derive(Copy, Clone)]
struct MoveDef {
    pos: InstrPos,
    end: usize,
    dst: u32,
    join: Option<(u32, bool)>,
    passing: Handler,
}

/// A just-emitted i32 load from 32-bit memory 0, `dst = memory0[addr +
/// offset]`, which a following branch on `dst` can absorb (`load_br`).
#[derive(Copy, Clone)]
struct LoadDef {
    pos: InstrPos,
    end: usize,
    dst: u32,
    addr: u32,
    offset: u64,
    /// The load operator's module offset (a trap in the fused branch is
    /// the load's).
    at: usize,
    /// The `load_br` forms, by [branch when zero].
    tested: [ops::ByAcc; 2],
}

/// A just-emitted instruction that wrote slot `dst`.
#[derive(Copy, Clone)]
struct LastDef {
    pos: InstrPos,
    end: usize,
    dst: u32,
    /// The operand index of `dst` in the instruction.
    dst_field: usize,
    cond: Option<LastCond>,
}

pub(crate) struct Translator<'a> {
    module: &'a ModuleInner,
    /// The function body being written.
    code: CodeBuilder,
    stack: Vec<StackEntry>,
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
    last_shift: Option<ShiftDef>,
    last_bin: Option<BinDef>,
    last_move: Option<MoveDef>,
    last_load: Option<LoadDef>,
    /// Where each move (`copy`, `const32`, `move2`) is and where it ends,
    /// in order: those followed by an instruction in `ops::FOLLOWS` run
    /// it directly, if the move has a form for that.
    moves: Vec<(InstrPos, usize)>,
    /// Whether the operator being translated is a comparison a branch on
    /// it follows (which fuses with the comparison instead of a chain).
    branch_follows: bool,
    /// Byte offset of the operator being translated.
    offset: usize,
    direct_calls: Vec<(u32, u32)>,
    /// Catch regions, and those whose body is being translated.
    catch_regions: Vec<CatchRegion>,
    open_regions: Vec<u32>,
    /// Whether to charge fuel, and the open block's charge instruction.
    fuel: bool,
    fuel_charge: Option<InstrPos>,
    fuel_count: u32,
    /// Whether to check the epoch at function entry and loop headers.
    epoch: bool,
    /// The GC roots of the function's frame at each safepoint (`roots.rs`).
    roots: roots::FrameRoots,
}

/// Translates function `index` of module `m`, validating it with `fv`.
pub(crate) fn translate_function(
    module: &ModuleInner,
    index: u32,
    fv: &mut FuncValidator<ValidatorResources>,
    body: &FunctionBody<'_>,
) -> Result<CompiledFunc> {
    let type_id = module.funcs[index as usize];
    let ft = module.func_type(type_id);
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
        module,
        code: CodeBuilder::new(module.engine.config().debug_ir),
        stack: Vec::new(),
        locals,
        results: ft.results().to_vec(),
        ctrl: Vec::new(),
        temp_base: cells,
        max_cells: 0,
        reachable: true,
        last: None,
        last_add: None,
        last_shift: None,
        last_bin: None,
        last_move: None,
        last_load: None,
        moves: Vec::new(),
        branch_follows: false,
        offset: 0,
        direct_calls: Vec::new(),
        catch_regions: Vec::new(),
        open_regions: Vec::new(),
        fuel: module.engine.config().consume_fuel,
        fuel_charge: None,
        fuel_count: 0,
        epoch: module.engine.config().epoch_interruption,
        roots: roots::FrameRoots::default(),
    };
    t.find_gc_locals(fv);
    // Non-parameter locals start at zero.
    let mut first = param_cells;
    while first < cells {
        let count = (cells - first).min(exec::ZERO_LOCALS_MAX as u32);
        t.code.emit(
            exec::ZERO_LOCALS[count as usize - 1],
            isa::ZeroLocals {
                first: Slot(first),
                count: Count(count),
            },
        );
        first += count;
    }
    t.check_epoch();
    t.begin_basic_block();
    t.ctrl.push(Ctrl::function(ft.results()));
    let mut reader = body.get_operators_reader()?;
    while !reader.eof() {
        let (op, offset) = reader.read_with_offset()?;
        fv.op(offset, &op)?;
        t.code.mark_offset(offset as usize);
        t.branch_follows = is_comparison(&op)
            && matches!(
                reader.clone().read(),
                Ok(Operator::BrIf { .. } | Operator::If { .. })
            );
        t.translate(op, offset as usize)?;
        t.type_new_entries(fv);
    }
    reader.finish()?;
    t.close_basic_block();
    t.join_followers();
    let (code, offsets, listing) = t.code.finish();
    let result_cells: u32 = t.results.iter().map(|r| cells_of(*r)).sum();
    let frame_size = (t.temp_base + t.max_cells)
        .max(result_cells)
        .max(param_cells);
    Ok(CompiledFunc {
        code,
        frame_size,
        num_params: param_cells,
        direct_calls: t.direct_calls.into(),
        catch_regions: t.catch_regions.into(),
        func_index: index,
        offsets,
        listing,
        stack_maps: t.roots.finish(),
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
        let e = StackEntry {
            op,
            slot,
            wide,
            gc: false,
        };
        self.max_cells = self.max_cells.max(slot + e.cells() - self.temp_base);
        self.stack.push(e);
    }

    /// Pushes the result of an instruction and returns its slot.
    fn push_temp(&mut self, wide: bool) -> u32 {
        self.push(Operand::Temp, wide);
        self.stack.last().expect("just pushed").slot
    }

    fn pop(&mut self) -> StackEntry {
        let e = self.stack.pop().unwrap_or(StackEntry {
            op: Operand::Temp,
            slot: self.temp_base,
            wide: false,
            gc: false,
        });
        self.stack_shrunk();
        e
    }

    /// A slot holding entry `e`, materialising a constant into its
    /// canonical slot.
    fn read(&mut self, e: StackEntry) -> u32 {
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
            if self.join_move(dst, c as u32, true) {
                return;
            }
            let ops = isa::Const32 {
                dst: Slot(dst),
                value: Imm(c as u32),
            };
            let pos =
                self.code
                    .emit_transparent(h!(exec::const32::<exec::PassThrough>), ops, Some(dst));
            let passing = h!(exec::const32::<exec::PassOn>);
            self.record_move(pos, dst, Some((c as u32, true)), passing);
        } else {
            let ops = isa::Const64 {
                dst: Slot(dst),
                value: Imm64::new(c),
            };
            self.code
                .emit_transparent(h!(exec::const64), ops, Some(dst));
        }
    }

    /// Emits a copy of slot `src` (one or two cells) to `dst`, if they differ.
    fn emit_copy(&mut self, dst: u32, src: u32, wide: bool) {
        if dst != src {
            let ops = isa::Move {
                dst: Slot(dst),
                src: Slot(src),
            };
            if wide {
                self.code.emit(h!(exec::v_copy), ops);
            } else if !self.join_move(dst, src, false) {
                let pos =
                    self.code
                        .emit_transparent(h!(exec::copy::<exec::PassThrough>), ops, Some(dst));
                let passing = h!(exec::copy::<exec::PassOn>);
                self.record_move(pos, dst, Some((src, false)), passing);
            }
        }
    }

    /// Notes the move just emitted at `pos` (see [`MoveDef`] and
    /// `Translator::moves`).
    fn record_move(
        &mut self,
        pos: InstrPos,
        dst: u32,
        join: Option<(u32, bool)>,
        passing: Handler,
    ) {
        self.moves.push((pos, self.code.len()));
        self.last_move = Some(MoveDef {
            pos,
            end: self.code.len(),
            dst,
            join,
            passing,
        });
    }

    /// The slot a loop starting here is entered with in `acc`: the one
    /// `acc` holds already, or the one the move just emitted wrote, which
    /// then passes it on.
    fn loop_entry_acc(&mut self) -> Option<u32> {
        if let Some(slot) = self.code.acc() {
            return Some(slot);
        }
        let m = self.last_move.filter(|m| self.code.is_last(m.pos, m.end))?;
        self.code.set_handler(m.pos, m.passing);
        Some(m.dst)
    }

    /// Emits move `dst = src` (a slot, or with `src_is_imm` a 32-bit
    /// constant) joined with the one-cell move just emitted, as one
    /// `move2`, if that move is still the last instruction. Returns
    /// whether it did.
    fn join_move(&mut self, dst: u32, src: u32, src_is_imm: bool) -> bool {
        let Some((first, (first_src, first_is_imm))) = self
            .last_move
            .filter(|m| self.code.is_last(m.pos, m.end))
            .and_then(|m| Some((m, m.join?)))
        else {
            return false;
        };
        self.truncate_code(first.pos);
        self.code.mark_offset(self.offset);
        /// By [first source is a constant][second is][passes `dst2` on].
        const FORMS: [[[Handler; 2]; 2]; 2] = [
            [
                [
                    h!(exec::move2::<exec::SlotOperand, exec::SlotOperand, exec::PassThrough>),
                    h!(exec::move2::<exec::SlotOperand, exec::SlotOperand, exec::PassOn>),
                ],
                [
                    h!(exec::move2::<exec::SlotOperand, exec::ImmOperand, exec::PassThrough>),
                    h!(exec::move2::<exec::SlotOperand, exec::ImmOperand, exec::PassOn>),
                ],
            ],
            [
                [
                    h!(exec::move2::<exec::ImmOperand, exec::SlotOperand, exec::PassThrough>),
                    h!(exec::move2::<exec::ImmOperand, exec::SlotOperand, exec::PassOn>),
                ],
                [
                    h!(exec::move2::<exec::ImmOperand, exec::ImmOperand, exec::PassThrough>),
                    h!(exec::move2::<exec::ImmOperand, exec::ImmOperand, exec::PassOn>),
                ],
            ],
        ];
        let [h, passing] = FORMS[usize::from(first_is_imm)][usize::from(src_is_imm)];
        let ops = isa::Move2 {
            dst: Slot(first.dst),
            src: SlotOrImm(first_src),
            dst2: Slot(dst),
            src2: SlotOrImm(src),
        };
        let pos = self.code.emit_transparent(h, ops, Some(dst));
        self.code.clobbers(first.dst);
        self.record_move(pos, dst, None, passing);
        true
    }

    /// Emits a copy of entry `e` into slot `dst`, if it is not there.
    fn emit_move(&mut self, dst: u32, e: StackEntry) {
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
    fn move_of(&self, e: StackEntry, dst: u32) -> Move {
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
    fn emit_def<I: Defines>(
        &mut self,
        h: Handler,
        ops: impl FnOnce(Slot) -> I,
        cond: Option<LastCond>,
    ) {
        self.emit_def_sized(h, ops, cond, false);
    }

    /// As [`Translator::emit_def`] for an instruction that also passes its
    /// result on in `acc`.
    fn emit_value<I: Defines>(
        &mut self,
        h: Handler,
        ops: impl FnOnce(Slot) -> I,
        cond: Option<LastCond>,
    ) {
        self.emit_def(h, ops, cond);
        let dst = self.stack.last().expect("just pushed").slot;
        self.code.passes_on(dst);
    }

    /// The form of `h` that reads its register operand `slot` from `acc`,
    /// if the next instruction will find it there, else the slot form.
    fn by_acc(&mut self, h: ops::ByAcc, slot: u32) -> Handler {
        if self.code.acc_holds(slot) {
            self.note_acc_use(slot, h[0]);
            h[1]
        } else {
            h[0]
        }
    }

    /// As [`Translator::emit_def`] for an instruction producing a `v128`.
    fn emit_def_wide<I: Defines>(&mut self, h: Handler, ops: impl FnOnce(Slot) -> I) {
        self.emit_def_sized(h, ops, None, true);
    }

    fn emit_def_sized<I: Defines>(
        &mut self,
        h: Handler,
        ops: impl FnOnce(Slot) -> I,
        cond: Option<LastCond>,
        wide: bool,
    ) {
        let dst = self.push_temp(wide);
        let pos = self.code.emit(h, ops(Slot(dst)));
        self.last = Some(LastDef {
            pos,
            end: self.code.len(),
            dst,
            dst_field: I::DST,
            cond,
        });
    }

    /// The last instruction, if it is still the last one emitted and wrote
    /// slot `slot`.
    fn last_def_of(&self, slot: u32) -> Option<LastDef> {
        self.last
            .filter(|l| l.dst == slot && self.code.is_last(l.pos, l.end))
    }

    // ----- operators ---------------------------------------------------

    /// Translates one operator: in unreachable code only its nesting
    /// matters; otherwise `visit.rs` says what it becomes.
    fn translate(&mut self, op: Operator<'_>, offset: usize) -> Result<()> {
        self.offset = offset;
        if !self.reachable {
            return self.translate_unreachable(&op);
        }
        self.fuel_count += 1;
        self.visit_operator(&op)
    }

    /// A unary operator on the top operand; `is_eqz` records it as a
    /// condition a following branch can fuse with.
    fn unary(&mut self, h: ops::ByAcc, is_eqz: bool) {
        let e = self.pop();
        let a = self.read(e);
        let cond = is_eqz.then_some(LastCond::Eqz { src: a });
        let h = self.by_acc(h, a);
        self.emit_value(h, |dst| isa::Unary { dst, a: Slot(a) }, cond);
    }

    /// `select`, typed or not: `v128` operands take the wide handler, others
    /// may read the condition from `acc`.
    fn select(&mut self) {
        let c = self.pop_slot();
        let eb = self.pop();
        let bb = self.read(eb);
        let a = self.pop_slot();
        let ops = |dst| isa::Select {
            dst,
            cond: Slot(c),
            a: Slot(a),
            b: Slot(bb),
        };
        if eb.wide {
            self.emit_def_wide(h!(exec::v_select), ops);
        } else {
            let h = self.by_acc(
                [
                    h!(exec::select::<exec::FromSlot>),
                    h!(exec::select::<exec::FromAcc>),
                ],
                c,
            );
            self.emit_value(h, ops, None);
        }
    }

    fn global_is_v128(&self, global: u32) -> bool {
        self.module.globals[global as usize].content == ValType::V128
    }

    /// Pops three operands into slots, returning them bottom first.
    fn pop3(&mut self) -> [u32; 3] {
        let c = self.pop_slot();
        let b = self.pop_slot();
        let a = self.pop_slot();
        [a, b, c]
    }

    fn binary(&mut self, info: &'static ops::BinInfo) {
        let eb = self.pop();
        let ea = self.pop();
        let (ob, oa) = (eb.op, ea.op);
        let imm_of = |o: Operand| match o {
            Operand::Const(c) => info.imm.encode(c),
            _ => None,
        };
        // A 64-bit constant no 32-bit immediate can hold (on the right,
        // or on the left of a commutative operator).
        if let Some(forms) = info.ri64 {
            let wide = match (oa, ob) {
                (_, Operand::Const(c)) if imm_of(ob).is_none() => Some((ea, c)),
                (Operand::Const(c), _) if info.commutative && imm_of(oa).is_none() => Some((eb, c)),
                _ => None,
            };
            if let Some((e, c)) = wide {
                let a = self.read(e);
                let h = self.by_acc(forms, a);
                let ops = |dst| isa::BinImm64 {
                    dst,
                    a: Slot(a),
                    imm: Imm64::new(c),
                };
                self.emit_value(h, ops, None);
                return;
            }
        }
        let (form, a, bb) = if let Some(imm) = imm_of(ob) {
            (BinForm::ImmRight, self.read(ea), imm)
        } else if let Some(imm) = imm_of(oa) {
            let b_slot = self.read(eb);
            // Comparisons fuse only in (slot, imm) order.
            if info.br_rr.is_some() && !info.commutative {
                let a_slot = self.read(ea);
                self.emit_bin(info, BinForm::Slots, a_slot, b_slot);
                return;
            }
            let form = if info.commutative {
                BinForm::ImmRight
            } else {
                BinForm::ImmLeft
            };
            (form, b_slot, imm)
        } else {
            let a = self.read(ea);
            let b = self.read(eb);
            (BinForm::Slots, a, b)
        };
        self.emit_bin(info, form, a, bb);
    }

    /// Emits binary operator `info` on slot `a` and `b`: a slot, or in the
    /// immediate forms the immediate.
    fn emit_bin(&mut self, info: &'static ops::BinInfo, form: BinForm, a: u32, b: u32) {
        if self.chain(info, form, a, b) {
            return;
        }
        let is_imm = form == BinForm::ImmRight;
        let imm = match form {
            BinForm::Slots => None,
            BinForm::ImmRight => Some(info.ri),
            BinForm::ImmLeft => Some(info.ir),
        };
        let cond = info.br_rr.map(|_| LastCond::Cmp {
            info,
            a,
            b,
            b_is_imm: is_imm,
        });
        match imm {
            Some(h) => {
                let h = self.by_acc(h, a);
                let ops = |dst| isa::BinImm {
                    dst,
                    a: Slot(a),
                    imm: Imm(b),
                };
                self.emit_value(h, ops, cond);
            }
            None => {
                let h = if self.code.acc_holds(a) {
                    self.note_acc_use(a, info.rr.slots);
                    info.rr.acc_first
                } else if self.code.acc_holds(b) {
                    self.note_acc_use(b, info.rr.slots);
                    info.rr.acc_second
                } else {
                    info.rr.slots
                };
                let ops = |dst| isa::BinRR {
                    dst,
                    a: Slot(a),
                    b: Slot(b),
                };
                self.emit_value(h, ops, cond);
            }
        }
        // Only `a OP imm` (or a commutative `imm OP a`, emitted that way)
        // and two-slot forms can come first in a chain.
        let chainable = info.br_rr.is_none() && form != BinForm::ImmLeft;
        if let (Some(last), true) = (self.last, chainable) {
            self.last_bin = Some(BinDef {
                pos: last.pos,
                end: last.end,
                info,
                dst: last.dst,
                a,
                b,
                b_is_imm: is_imm,
            });
        }
        if let (Some(width), Some(last), true) = (info.shl_width, self.last, is_imm) {
            self.last_shift = Some(ShiftDef {
                pos: last.pos,
                end: last.end,
                dst: last.dst,
                index: a,
                shift: b & (u32::from(width) - 1),
                width,
            });
        }
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

    /// Emits operator `info` (operands as for [`Translator::emit_bin`])
    /// chained with the operator just emitted, as one `bin2`, if it takes
    /// that operator's result from `acc` as its first operand (or, if it
    /// commutes, its second) and the two make an `ops::Chain`. Returns
    /// whether it did.
    fn chain(&mut self, info: &'static ops::BinInfo, form: BinForm, a: u32, b: u32) -> bool {
        let Some(first) = self.last_bin.filter(|f| self.code.is_last(f.pos, f.end)) else {
            return false;
        };
        if (info.br_rr.is_some() && self.branch_follows) || !self.code.acc_holds(first.dst) {
            return false;
        }
        // The operand besides the first's result.
        let c = match form {
            BinForm::ImmRight | BinForm::Slots if a == first.dst => b,
            BinForm::Slots if b == first.dst && info.commutative => a,
            _ => return false,
        };
        let is_imm = form == BinForm::ImmRight;
        let Some(chain) = ops::Chain::find(first.info, info) else {
            return false;
        };
        self.truncate_code(first.pos);
        // Truncating dropped this operator's offset record: a trap of the
        // second operator needs it.
        self.code.mark_offset(self.offset);
        let forms = chain.forms[usize::from(first.b_is_imm)][usize::from(is_imm)];
        let h = self.by_acc(forms, first.a);
        let ops = |dst| isa::Bin2 {
            dst,
            mid: Slot(first.dst),
            a: Slot(first.a),
            b: SlotOrImm(first.b),
            c: SlotOrImm(c),
        };
        self.emit_value(h, ops, None);
        true
    }

    /// Removes the code from `pos` on, and with it what the fusions knew of
    /// the instructions there.
    fn truncate_code(&mut self, pos: InstrPos) {
        self.code.truncate(pos);
        self.forget_acc_uses_from(pos);
        self.last_bin = None;
        self.last_move = None;
        if self.last_add.is_some_and(|a| a.pos.0 >= pos.0) {
            self.last_add = None;
        }
        if self.last_shift.is_some_and(|s| s.pos.0 >= pos.0) {
            self.last_shift = None;
        }
        if self.last_load.is_some_and(|l| l.pos.0 >= pos.0) {
            self.last_load = None;
        }
        while self.moves.last().is_some_and(|c| c.0.0 >= pos.0) {
            self.moves.pop();
        }
    }

    /// Lets each `copy` and `const32` followed by an instruction that
    /// `ops::FOLLOWS` lists run it without a dispatch (`exec::copy_then`,
    /// `exec::const_then`), once the code is final: until then a fusion
    /// may still replace the follower, or switch the move's form.
    fn join_followers(&mut self) {
        for (pos, end) in std::mem::take(&mut self.moves) {
            let fused = ops::FOLLOWS
                .iter()
                .find(|f| self.code.runs(end, f.next))
                .and_then(|f| {
                    f.leads
                        .iter()
                        .find(|(plain, _)| self.code.runs(pos.0, *plain))
                });
            if let Some(&(_, fused)) = fused {
                self.code.set_handler(pos, fused);
            }
        }
    }

    fn memory_access(&mut self, access: ops::MemAccess) {
        let offset = Imm64::new(access.memarg.offset);
        let wasmparser::MemArgTarget::Memory(mem) = access.memarg.target else {
            unreachable!("array memargs are GC-only")
        };
        let m64 = usize::from(self.module.memories.first().is_some_and(|m| m.memory64));
        if access.h.is_load {
            let e = self.pop();
            if mem == 0
                && let Some(add) = self.take_address_add(&e)
            {
                if let Some((base, index, shift)) = self.take_scaled_index(&add) {
                    let ops = |dst| isa::LoadScaled {
                        dst,
                        base: Slot(base),
                        index: Slot(index),
                        shift: Imm(shift),
                        offset,
                    };
                    self.emit_value(access.h.scaled[m64], ops, None);
                    return;
                }
                let (h, a, b) = self.address_add_form(&access.h.with_add, add);
                let ops = |dst| isa::LoadAdd {
                    dst,
                    a: Slot(a),
                    b: SlotOrImm(b),
                    offset,
                };
                self.emit_value(h, ops, None);
                return;
            }
            if mem == 0
                && let Some(at) = constant_address(&e, access.memarg.offset, m64 == 1)
            {
                let ops = |dst| isa::LoadAt {
                    dst,
                    addr: Imm64::new(at),
                };
                self.emit_value(access.h.at[0], ops, None);
                return;
            }
            let a = self.read(e);
            if mem == 0 {
                let h = self.by_acc(access.h.fast[m64], a);
                let ops = |dst| isa::Load {
                    dst,
                    addr: Slot(a),
                    offset,
                };
                self.emit_value(h, ops, None);
                let last = self.last.expect("just emitted");
                self.last_load = access.h.tested.filter(|_| m64 == 0).map(|tested| LoadDef {
                    pos: last.pos,
                    end: last.end,
                    dst: last.dst,
                    addr: a,
                    offset: access.memarg.offset,
                    at: self.offset,
                    tested,
                });
            } else {
                let ops = |dst| isa::LoadMem {
                    dst,
                    addr: Slot(a),
                    offset,
                    memory: Index(mem),
                };
                self.emit_def(access.h.general, ops, None);
            }
        } else {
            let ve = self.pop();
            let address = self.stack.last().map(|e| e.op);
            if let (Operand::Const(c), 0, Some(forms)) = (ve.op, mem, &access.h.store_imm)
                && let Some(imm) = forms.class.encode(c)
                && !matches!(address, Some(Operand::Const(_)))
            {
                let e = self.pop();
                if let Some(add) = self.take_address_add(&e) {
                    let (h, a, b) = self.address_add_form(&forms.with_add, add);
                    let ops = isa::StoreImmAdd {
                        a: Slot(a),
                        b: SlotOrImm(b),
                        value: Imm(imm),
                        offset,
                    };
                    self.code.emit_transparent(h, ops, None);
                    return;
                }
                let a = self.read(e);
                let h = self.by_acc(forms.plain[m64], a);
                let ops = isa::StoreImm {
                    addr: Slot(a),
                    value: Imm(imm),
                    offset,
                };
                self.code.emit_transparent(h, ops, None);
                return;
            }
            let v = self.read(ve);
            let e = self.pop();
            if mem == 0
                && let Some(at) = constant_address(&e, access.memarg.offset, m64 == 1)
            {
                let h = self.by_acc(access.h.at, v);
                let ops = isa::StoreAt {
                    value: Slot(v),
                    addr: Imm64::new(at),
                };
                self.code.emit_transparent(h, ops, None);
                return;
            }
            if mem == 0
                && let Some(add) = self.take_address_add(&e)
            {
                if let Some((base, index, shift)) = self.take_scaled_index(&add) {
                    let ops = isa::StoreScaled {
                        base: Slot(base),
                        index: Slot(index),
                        shift: Imm(shift),
                        value: Slot(v),
                        offset,
                    };
                    self.code.emit_transparent(access.h.scaled[m64], ops, None);
                    return;
                }
                let (h, a, b) = self.address_add_form(&access.h.with_add, add);
                let ops = isa::StoreAdd {
                    a: Slot(a),
                    b: SlotOrImm(b),
                    value: Slot(v),
                    offset,
                };
                self.code.emit_transparent(h, ops, None);
                return;
            }
            let a = self.read(e);
            if mem == 0 {
                let h = self.by_acc(access.h.fast[m64], v);
                let ops = isa::Store {
                    addr: Slot(a),
                    value: Slot(v),
                    offset,
                };
                self.code.emit_transparent(h, ops, None);
            } else {
                let ops = isa::StoreMem {
                    addr: Slot(a),
                    value: Slot(v),
                    offset,
                    memory: Index(mem),
                };
                self.code.emit_transparent(access.h.general, ops, None);
            }
        }
    }

    /// The handler of an access with address add `add` fused in (from
    /// `with_add`, indexed [64-bit][immediate second operand]), and the
    /// add's operands: swapped (it commutes) when only the second is in
    /// `acc`, so the handler can read it from there.
    fn address_add_form(
        &mut self,
        with_add: &[[ops::ByAcc; 2]; 2],
        add: AddDef,
    ) -> (Handler, u32, u32) {
        let (a, b) = if !add.b_is_imm && !self.code.acc_holds(add.a) && self.code.acc_holds(add.b) {
            (add.b, add.a)
        } else {
            (add.a, add.b)
        };
        let forms = with_add[usize::from(add.width == 64)][usize::from(add.b_is_imm)];
        (self.by_acc(forms, a), a, b)
    }

    /// Removes the add just emitted (another instruction does its work).
    fn drop_last_add(&mut self) {
        if let Some(add) = self.last_add.take() {
            self.truncate_code(add.pos);
            self.last = None;
        }
    }

    /// If address `e` was computed by the instruction just emitted, an add
    /// of memory 0's index width, removes that add so the access can do it.
    fn take_address_add(&mut self, e: &StackEntry) -> Option<AddDef> {
        let width = if self.module.memories.first()?.memory64 {
            64
        } else {
            32
        };
        let add = self.last_add.filter(|a| {
            e.op == Operand::Temp
                && a.dst == e.slot
                && a.width == width
                && self.code.is_last(a.pos, a.end)
        })?;
        self.drop_last_add();
        // Truncating dropped this access's offset record: traps need it.
        self.code.mark_offset(self.offset);
        Some(add)
    }

    /// If one operand of address add `add` (just removed) is a temporary
    /// computed by a shift left by a constant emitted right before the add,
    /// removes the shift too. Returns the add's other operand (the base),
    /// the shift's operand (the index) and the shift count.
    fn take_scaled_index(&mut self, add: &AddDef) -> Option<(u32, u32, u32)> {
        if add.b_is_imm {
            return None;
        }
        let shift = self.last_shift.filter(|s| {
            s.end == add.pos.0
                && s.width == add.width
                && s.dst >= self.temp_base
                && (s.dst == add.a || s.dst == add.b)
                && self.code.is_open(s.pos)
        })?;
        let base = if shift.dst == add.a { add.b } else { add.a };
        if base == shift.dst {
            return None;
        }
        self.truncate_code(shift.pos);
        self.code.mark_offset(self.offset);
        Some((base, shift.index, shift.shift))
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
                self.code.patch(last.pos, last.dst_field, slot);
                self.code.retarget_acc(v.slot, slot);
                if let Some(add) = self.last_add.as_mut().filter(|a| a.pos == last.pos) {
                    add.dst = slot;
                }
                if let Some(bin) = self.last_bin.as_mut().filter(|b| b.pos == last.pos) {
                    bin.dst = slot;
                }
                if let Some(load) = self.last_load.as_mut().filter(|l| l.pos == last.pos) {
                    load.dst = slot;
                }
                // A shift now writes a local, which must keep its value.
                if self.last_shift.is_some_and(|s| s.pos == last.pos) {
                    self.last_shift = None;
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
        self.module.func_type(id)
    }

    /// Starts a basic block: with fuel on, emits its charge, whose amount
    /// is filled in when the block closes.
    fn begin_basic_block(&mut self) {
        if self.fuel {
            self.close_basic_block();
            let ops = isa::ConsumeFuel { amount: Count(0) };
            self.fuel_charge = Some(self.code.emit(h!(exec::consume_fuel), ops));
        }
    }

    /// Fills in the open block's fuel charge with its instruction count.
    fn close_basic_block(&mut self) {
        if let Some(pos) = self.fuel_charge.take() {
            self.code
                .patch(pos, field!(ConsumeFuel.amount), self.fuel_count);
        }
        self.fuel_count = 0;
    }

    /// With epochs on, checks the deadline (at function entry and loop
    /// headers, so every unbounded execution passes one).
    fn check_epoch(&mut self) {
        if self.epoch {
            self.code.emit(h!(exec::check_epoch), isa::CheckEpoch {});
        }
    }

    fn set_unreachable(&mut self) {
        self.reachable = false;
        let floor = self.ctrl.last().map_or(0, |c| c.floor);
        self.stack.truncate(floor as usize);
        self.stack_shrunk();
        self.last = None;
    }
}

/// Whether `op` compares two numbers (into an `i32` a branch may test).
fn is_comparison(op: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        op,
        I32Eq
            | I32Ne
            | I32LtS
            | I32LtU
            | I32GtS
            | I32GtU
            | I32LeS
            | I32LeU
            | I32GeS
            | I32GeU
            | I64Eq
            | I64Ne
            | I64LtS
            | I64LtU
            | I64GtS
            | I64GtU
            | I64LeS
            | I64LeU
            | I64GeS
            | I64GeU
            | F32Eq
            | F32Ne
            | F32Lt
            | F32Gt
            | F32Le
            | F32Ge
            | F64Eq
            | F64Ne
            | F64Lt
            | F64Gt
            | F64Le
            | F64Ge
    )
}

/// The address an access with offset `offset` makes of operand `e`, if
/// `e` is a constant: for a 32-bit memory the 33-bit sum of two 32-bit
/// numbers (no wrap-around, as Wasm defines it); for a 64-bit one, the sum
/// if it does not overflow (an overflowing access is left to trap at run
/// time).
fn constant_address(e: &StackEntry, offset: u64, memory64: bool) -> Option<u64> {
    let Operand::Const(c) = e.op else {
        return None;
    };
    if memory64 {
        c.checked_add(offset)
    } else {
        Some(u64::from(c as u32) + u64::from(offset as u32))
    }
}
