//! Translation of structured control flow, branches, calls and returns.
//!
//! Each label has value slots: the canonical slots of heights
//! `dest .. dest + arity`. A branch moves its values there and jumps; the
//! code after a block's `end` finds the block's results there. Forward
//! branches are patched when their block ends.

use super::moves::Move;
use super::{LastCond, Operand, Translator, ops};
use crate::error::Result;
use crate::exec;
use crate::ir::isa::{
    self, Br, BrAddCmp, BrCmp, BrZero, CodeAddr, Count, Imm, Imm64, Index, LoadBr, Slot, SlotOrImm,
};
use crate::ir::{CodeBuilder, Handler, InstrPos, field, h};
use crate::types::{FuncType, ValType};
use wasmparser::{BlockType, Operator};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Func,
    Block,
    Loop,
    If,
    Else,
    /// `try_table`.
    TryTable,
    /// Legacy `try`, in its body.
    Try,
    /// Legacy `try`, in a `catch` or `catch_all` body.
    Catch,
}

/// A control frame of the translator.
pub(super) struct Ctrl {
    pub kind: Kind,
    /// Stack height where this block's own operands begin.
    pub floor: u32,
    /// Height of the label's value slots.
    pub dest: u32,
    params: u32,
    results: u32,
    /// Which results are `v128`s.
    result_wide: Box<[bool]>,
    /// Start of a loop's body.
    head: InstrPos,
    /// Forward branches to the block's end: (instruction, operand).
    pub fixups: Vec<(InstrPos, usize)>,
    /// An `if`'s branch to its `else`.
    else_fixup: Option<(InstrPos, usize)>,
    /// Whether the block was entered from reachable code.
    pub live: bool,
    /// For a loop that begins with a test branching out of it: the test,
    /// the label it exits to, and its length in words.
    head_exit: Option<(CondJump, usize, usize)>,
    /// The catch region this block opened (`try_table`, legacy `try`).
    pub region: Option<u32>,
    /// The innermost catch region open when the block started.
    pub region_at_open: Option<u32>,
    /// Legacy `try`: the slot holding the caught exception.
    pub exn_slot: Option<u32>,
    /// For a loop entered with a slot's value in `acc`: that slot, while
    /// every branch back to the header passes it too.
    spec: Option<AccSpec>,
}

/// A loop header that reads a slot from `acc` (its first instructions take
/// their `acc` forms), entered with that slot's value there: the loop is
/// entered right after an instruction that passes it on, and the branches
/// back pass it on too (a conditional branch passes its first operand: the
/// loop variable a bottom test checks). The value then reaches the next
/// iteration in a register instead of through its frame slot. Until the
/// loop ends, a branch back that passes anything else turns every
/// instruction that read the slot from `acc` back into its slot form
/// (always right: slots are written through).
pub(super) struct AccSpec {
    slot: u32,
    /// The assignment to `acc` at the header (`CodeBuilder::acc_gen`):
    /// reads of `acc` while it still holds that one read the speculated
    /// value.
    assignment: u32,
    /// The instructions that read `slot` from `acc`, and their slot forms.
    uses: Vec<(InstrPos, Handler)>,
}

/// The most `acc` reads a loop header's speculation records; one more
/// ends it.
const ACC_SPEC_USES: usize = 16;

impl Ctrl {
    pub(super) fn function(results: &[ValType]) -> Ctrl {
        Ctrl {
            kind: Kind::Func,
            floor: 0,
            dest: 0,
            params: 0,
            results: results.len() as u32,
            result_wide: results.iter().map(|t| *t == ValType::V128).collect(),
            head: InstrPos(0),
            fixups: Vec::new(),
            else_fixup: None,
            live: true,
            head_exit: None,
            region: None,
            region_at_open: None,
            exn_slot: None,
            spec: None,
        }
    }

    /// How many values a branch to this label carries.
    pub(super) fn arity(&self) -> u32 {
        if self.kind == Kind::Loop {
            self.params
        } else {
            self.results
        }
    }
}

/// Where a branch's values must go.
pub(super) enum Target {
    /// Return from the function.
    Return,
    /// The label at this control depth.
    Label(usize),
}

impl Translator<'_> {
    /// A block type's parameter count and which of its results are wide.
    fn block_arity(&self, bt: BlockType) -> (u32, Box<[bool]>) {
        match bt {
            BlockType::Empty => (0, Box::new([])),
            BlockType::Type(t) => (0, Box::new([t == wasmparser::ValType::V128])),
            BlockType::FuncType(i) => {
                let ft = self.func_type_of(self.module.types[i as usize]);
                let wide = ft.results().iter().map(|t| *t == ValType::V128).collect();
                (ft.params().len() as u32, wide)
            }
        }
    }

    pub(super) fn push_ctrl(&mut self, kind: Kind, bt: BlockType, live: bool) {
        let (params, result_wide) = self.block_arity(bt);
        let floor = self.height().saturating_sub(params);
        let entry_acc = if kind == Kind::Loop {
            self.loop_entry_acc()
        } else {
            None
        };
        self.ctrl.push(Ctrl {
            kind,
            floor,
            dest: floor,
            params,
            results: result_wide.len() as u32,
            result_wide,
            head: if kind == Kind::Loop {
                self.code.label()
            } else {
                self.code.here()
            },
            fixups: Vec::new(),
            else_fixup: None,
            live,
            head_exit: None,
            region: None,
            region_at_open: self.open_regions.last().copied(),
            exn_slot: None,
            spec: None,
        });
        if let Some(slot) = entry_acc {
            self.code.passes_on(slot);
            let assignment = self.code.acc_gen();
            self.ctrl.last_mut().expect("just pushed").spec = Some(AccSpec {
                slot,
                assignment,
                uses: Vec::new(),
            });
        }
    }

    /// Notes that the instruction about to be emitted reads `slot` from
    /// `acc` in place of `slot_form`: if `acc` still holds what a loop
    /// header's speculation put there, the speculation may have to take
    /// the read back.
    pub(super) fn note_acc_use(&mut self, slot: u32, slot_form: Handler) {
        let here = self.code.here();
        for i in 0..self.ctrl.len() {
            let assignment = self.code.acc_gen();
            let Some(spec) = self.ctrl[i]
                .spec
                .as_mut()
                .filter(|s| s.slot == slot && s.assignment == assignment)
            else {
                continue;
            };
            spec.uses.push((here, slot_form));
            if spec.uses.len() > ACC_SPEC_USES {
                self.end_acc_spec(i);
            }
        }
    }

    /// Forgets the `acc` reads noted at `pos` and after (that code is being
    /// removed).
    pub(super) fn forget_acc_uses_from(&mut self, pos: InstrPos) {
        for c in &mut self.ctrl {
            if let Some(spec) = &mut c.spec {
                spec.uses.retain(|(at, _)| at.0 < pos.0);
            }
        }
    }

    /// Ends loop `i`'s speculation: its header's reads of the slot from
    /// `acc` read the slot instead.
    fn end_acc_spec(&mut self, i: usize) {
        if let Some(spec) = self.ctrl[i].spec.take() {
            for (pos, slot_form) in spec.uses {
                self.code.set_handler(pos, slot_form);
            }
        }
    }

    /// Operators seen in unreachable code: only nesting matters.
    pub(super) fn translate_unreachable(&mut self, op: &Operator<'_>) -> Result<()> {
        match op {
            Operator::Block { blockty }
            | Operator::Loop { blockty }
            | Operator::If { blockty }
            | Operator::Try { blockty } => {
                let bt = *blockty;
                self.push_ctrl(Kind::Block, bt, false);
            }
            Operator::TryTable { try_table } => {
                let bt = try_table.ty;
                self.push_ctrl(Kind::Block, bt, false);
            }
            Operator::Catch { tag_index } if self.ctrl.last().is_some_and(|c| c.live) => {
                self.translate_catch(Some(*tag_index));
            }
            Operator::CatchAll if self.ctrl.last().is_some_and(|c| c.live) => {
                self.translate_catch(None);
            }
            Operator::Delegate { relative_depth } => {
                if self.ctrl.last().is_some_and(|c| c.live) {
                    self.translate_delegate(*relative_depth);
                } else {
                    self.ctrl.pop();
                }
            }
            Operator::Else => {
                let c = self.ctrl.last().expect("validated");
                if c.live {
                    self.translate_else();
                }
            }
            Operator::End => {
                let live = self.ctrl.last().is_some_and(|c| c.live);
                if live {
                    self.translate_end();
                } else {
                    self.ctrl.pop();
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(super) fn translate_if(&mut self, bt: BlockType) {
        let mut cond = self.pop_branch_cond();
        if self.stack.iter().any(|e| e.op != Operand::Temp) {
            // Materialising emits code after the comparison, which then can
            // no longer be replaced by the branch.
            cond = cond.unfused();
        }
        self.materialize_all();
        self.push_ctrl(Kind::If, bt, true);
        let fix = self.emit_cond_branch(cond, true);
        let c = self.ctrl.last_mut().expect("just pushed");
        c.else_fixup = Some(fix);
        self.copy_if_params();
        self.begin_basic_block();
    }

    /// An `if` with parameters runs each arm on copies of them placed above
    /// the originals, so the `else` arm still finds the originals intact.
    fn copy_if_params(&mut self) {
        let c = self.ctrl.last().expect("an if");
        let (dest, p) = (c.dest, c.params);
        if p == 0 {
            return;
        }
        for k in 0..p {
            let original = self.stack[(dest + k) as usize];
            let copy = self.push_temp(original.wide);
            self.emit_copy(copy, original.slot, original.wide);
        }
        self.ctrl.last_mut().expect("an if").floor = dest + p;
    }

    pub(super) fn translate_else(&mut self) {
        if self.reachable {
            self.move_results_of_top();
            let pos = self.emit_br();
            self.ctrl
                .last_mut()
                .expect("an if")
                .fixups
                .push((pos, field!(Br.target)));
        }
        let c = self.ctrl.last_mut().expect("an if");
        c.kind = Kind::Else;
        let fix = c.else_fixup.take();
        let dest = c.dest;
        let params = c.params;
        if let Some((pos, k)) = fix {
            let here = self.code.label();
            self.code.patch_branch(pos, k, here);
        }
        self.stack.truncate((dest + params) as usize);
        self.stack_shrunk();
        self.ctrl.last_mut().expect("an if").floor = dest;
        self.copy_if_params_for_else();
        self.reachable = true;
        self.last = None;
        self.begin_basic_block();
    }

    fn copy_if_params_for_else(&mut self) {
        let c = self.ctrl.last().expect("an else");
        if c.params > 0 {
            self.copy_if_params();
        }
    }

    /// Moves the results of the innermost block into its label slots.
    pub(super) fn move_results_of_top(&mut self) {
        let c = self.ctrl.last().expect("a block");
        let (n, dest) = (c.results, c.dest);
        self.move_top_to(n, dest);
    }

    pub(super) fn translate_end(&mut self) {
        let c = self.ctrl.last().expect("validated");
        if c.kind == Kind::Func {
            if self.reachable {
                self.emit_return();
            }
            self.ctrl.pop();
            return;
        }
        if self.reachable {
            self.move_results_of_top();
        }
        let c = self.ctrl.pop().expect("validated");
        if let Some(h) = c.region {
            self.close_region(h);
        }
        let here = self.code.label();
        for (pos, k) in &c.fixups {
            self.code.patch_branch(*pos, *k, here);
        }
        // An `if` without `else` falls through with its parameters as
        // results; they are already in the label slots.
        let mut reachable = self.reachable || !c.fixups.is_empty();
        if let Some((pos, k)) = c.else_fixup {
            self.code.patch_branch(pos, k, here);
            reachable = true;
        }
        self.stack.truncate(c.dest as usize);
        self.stack_shrunk();
        for wide in c.result_wide.iter() {
            self.push(Operand::Temp, *wide);
        }
        self.reachable = reachable;
        self.last = None;
        if reachable {
            self.begin_basic_block();
        }
    }

    /// Moves the top `n` operands to the canonical slots of heights
    /// `dest..dest + n`.
    fn move_top_to(&mut self, n: u32, dest: u32) {
        let base = self.slot_at(dest);
        self.move_top_to_slots(n, base);
    }

    /// Moves the top `n` operands, as one parallel move, to consecutive
    /// cells from slot `base` on. The virtual stack stays as it was.
    fn move_top_to_slots(&mut self, n: u32, base: u32) {
        let h0 = (self.height() - n) as usize;
        let mut dst = base;
        let moves: Vec<Move> = self.stack[h0..]
            .iter()
            .map(|e| {
                let m = self.move_of(*e, dst);
                dst += e.cells();
                m
            })
            .collect();
        self.emit_moves(&moves);
    }

    pub(super) fn target(&self, depth: u32) -> Target {
        let i = self.ctrl.len() - 1 - depth as usize;
        if self.ctrl[i].kind == Kind::Func {
            Target::Return
        } else {
            Target::Label(i)
        }
    }

    /// Whether branching to `t` needs no moves.
    fn values_in_place(&self, t: &Target) -> bool {
        match t {
            Target::Return => false,
            Target::Label(i) => {
                let c = &self.ctrl[*i];
                let n = c.arity();
                let h0 = self.height() - n;
                (0..n).all(|k| {
                    self.stack[(h0 + k) as usize].op == Operand::Temp && h0 + k == c.dest + k
                })
            }
        }
    }

    /// Emits a jump to label `i` (operand `k` of the instruction at `pos`
    /// holds the offset), taken with the value of slot `passes` in `acc`
    /// if the branch is known to pass one on.
    pub(super) fn link(&mut self, pos: InstrPos, k: usize, i: usize, passes: Option<u32>) {
        let c = &mut self.ctrl[i];
        if c.kind == Kind::Loop {
            let head = c.head;
            self.code.patch_branch(pos, k, head);
            if c.spec.as_ref().is_some_and(|s| passes != Some(s.slot)) {
                self.end_acc_spec(i);
            }
        } else {
            c.fixups.push((pos, k));
        }
    }

    /// Moves the branch values for `t` and jumps there.
    fn emit_jump_to(&mut self, t: Target) {
        match t {
            Target::Return => self.emit_return(),
            Target::Label(i) => {
                let (n, dest) = (self.ctrl[i].arity(), self.ctrl[i].dest);
                self.move_top_to(n, dest);
                if let Some((cj, exit, words)) = self.ctrl[i].head_exit.clone() {
                    // Loop inversion: test here and go straight to the body,
                    // so an iteration takes one branch instead of two.
                    let body = InstrPos(self.ctrl[i].head.0 + words);
                    // The loop's increment usually comes right before: fuse it.
                    let fused = cj.with_add.and_then(|(handlers, width)| {
                        self.last_add
                            .filter(|add| {
                                add.b_is_imm
                                    && add.dst == cj.ops.first()
                                    && add.width == width
                                    && self.code.is_last(add.pos, add.end)
                            })
                            .and_then(|add| {
                                let CondOps::Cmp { b, .. } = cj.ops else {
                                    return None;
                                };
                                Some(CondJump::new(handlers, CondOps::add_cmp(&add, b)))
                            })
                    });
                    let (pos, k) = match fused {
                        Some(fj) => {
                            self.drop_last_add();
                            self.emit_cond(&fj, false)
                        }
                        None => self.emit_cond(&cj, false),
                    };
                    self.code.patch_branch(pos, k, body);
                    let pos = self.emit_br();
                    self.link(pos, field!(Br.target), exit, None);
                    return;
                }
                let passes = self.code.acc();
                let pos = self.emit_br();
                self.link(pos, field!(Br.target), i, passes);
            }
        }
    }

    /// Emits an unconditional branch with an unpatched target.
    pub(super) fn emit_br(&mut self) -> InstrPos {
        self.code.emit(
            h!(exec::br),
            isa::Br {
                target: isa::Target(0),
            },
        )
    }

    /// Emits `h`, a `br_zero` form testing `slot`, with an unpatched target.
    fn emit_br_zero(&mut self, h: Handler, slot: u32) -> InstrPos {
        let ops = isa::BrZero {
            cond: Slot(slot),
            target: isa::Target(0),
        };
        self.code.emit(h, ops)
    }

    /// An unconditional branch to relative depth `depth`.
    pub(super) fn branch(&mut self, depth: u32) {
        let t = self.target(depth);
        self.emit_jump_to(t);
    }

    /// Returns with the top operands as results.
    pub(super) fn emit_return(&mut self) {
        let n = self.results.len() as u32;
        let h0 = self.height() - n;
        if n == 1 && !self.stack[h0 as usize].wide {
            let e = self.stack[h0 as usize];
            let s = self.read(e);
            self.code.emit(h!(exec::ret1), isa::Ret1 { src: Slot(s) });
            return;
        }
        // Results go to the frame's first cells, in order, which may be
        // where the locals they are read from live.
        self.move_top_to_slots(n, 0);
        self.code.emit(h!(exec::ret), isa::Ret {});
    }

    /// Pops a branch condition, noting whether the instruction that
    /// computed it can be fused into the branch.
    fn pop_branch_cond(&mut self) -> BranchCond {
        // Only a value the last instruction computed (a `Temp`) can be its
        // result: a constant or local pushed after a dropped comparison
        // has that comparison's slot but not its value.
        let top = self
            .stack
            .last()
            .filter(|e| e.op == Operand::Temp)
            .map_or(u32::MAX, |e| e.slot);
        let fused = self
            .last_def_of(top)
            .and_then(|l| l.cond.map(|c| (l.pos, c)));
        let slot = self.pop_slot();
        match fused {
            Some((pos, cond)) => BranchCond::Fused { pos, cond, slot },
            None => BranchCond::Slot(slot),
        }
    }

    /// Turns a popped condition into a branch ready to emit, replacing the
    /// instructions that computed it where a fused handler can (a
    /// comparison, `eqz`, or an add-immediate followed by a comparison).
    fn cond_jump(&mut self, cond: BranchCond) -> CondJump {
        match cond {
            BranchCond::Slot(s) => self.slot_test(s, false),
            BranchCond::Fused { pos, cond, .. } => {
                self.last = None;
                match cond {
                    LastCond::Eqz { src } => {
                        self.truncate_code(pos);
                        self.slot_test(src, true)
                    }
                    LastCond::Cmp {
                        info,
                        a,
                        b,
                        b_is_imm,
                    } => {
                        let add = self.last_add.filter(|add| {
                            add.b_is_imm
                                && add.end == pos.0
                                && add.dst == a
                                && info.cmp_width == Some(add.width)
                                && self.code.is_open(add.pos)
                        });
                        let (table, fused_table) = if b_is_imm {
                            (info.br_ri, info.add_br_ri)
                        } else {
                            (info.br_rr, info.add_br_rr)
                        };
                        match (add, fused_table) {
                            (Some(add), Some(handlers)) => {
                                self.drop_last_add();
                                CondJump::new(handlers, CondOps::add_cmp(&add, b))
                            }
                            _ => {
                                if let Some(cj) = self.masked_branch(pos, info, a, b, b_is_imm) {
                                    return cj;
                                }
                                self.truncate_code(pos);
                                let [slot_form, acc_form] = table.expect("a comparison");
                                let mut cj = CondJump::new(slot_form, CondOps::Cmp { a, b });
                                cj.acc_handlers = Some(acc_form);
                                cj.with_add = fused_table.zip(info.cmp_width);
                                cj
                            }
                        }
                    }
                }
            }
        }
    }

    /// The comparison `a OP b` emitted at `pos` fused with the mask
    /// `a = x & imm` emitted right before it, if `ops::MaskedBranch` has
    /// the pair: both removed.
    fn masked_branch(
        &mut self,
        pos: InstrPos,
        cmp: &'static ops::BinInfo,
        a: u32,
        b: u32,
        b_is_imm: bool,
    ) -> Option<CondJump> {
        let mask = self
            .last_bin
            .filter(|m| m.b_is_imm && m.end == pos.0 && m.dst == a && self.code.is_open(m.pos))?;
        let fused = ops::MaskedBranch::find(mask.info, cmp)?;
        self.truncate_code(mask.pos);
        let ops = CondOps::AddCmp {
            dst: mask.dst,
            src: mask.a,
            imm: mask.b,
            b,
        };
        Some(CondJump::new(fused.forms[usize::from(b_is_imm)], ops))
    }

    /// The branch on the i32 in `slot` being nonzero, or (with `zero`)
    /// zero; with the instruction that just computed it fused in, where
    /// there is a form for it: a load (`load_br`), an add of a constant
    /// (`br_add_cmp`, testing the sum against zero).
    fn slot_test(&mut self, slot: u32, zero: bool) -> CondJump {
        if let Some(add) = self.last_add.filter(|a| {
            a.b_is_imm && a.width == 32 && a.dst == slot && self.code.is_last(a.pos, a.end)
        }) {
            self.drop_last_add();
            let nonzero = [
                h!(exec::br_add_cmp::<exec::I32Add, exec::I32Ne, exec::IfTrue, exec::ImmOperand>),
                h!(exec::br_add_cmp::<exec::I32Add, exec::I32Ne, exec::IfFalse, exec::ImmOperand>),
            ];
            let [yes, no] = nonzero;
            let handlers = if zero { [no, yes] } else { [yes, no] };
            return CondJump::new(handlers, CondOps::add_cmp(&add, 0));
        }
        let Some(load) = self
            .last_load
            .filter(|l| l.dst == slot && self.code.is_last(l.pos, l.end))
        else {
            return CondJump::on_slot(slot, zero);
        };
        self.truncate_code(load.pos);
        self.last = None;
        let [nz, z] = load.tested;
        let (yes, no) = if zero { (z, nz) } else { (nz, z) };
        let ops = CondOps::Load {
            dst: load.dst,
            addr: load.addr,
            offset: load.offset,
            at: load.at,
        };
        let mut cj = CondJump::new([yes[0], no[0]], ops);
        cj.acc_handlers = Some([yes[1], no[1]]);
        cj
    }

    /// Emits `cj` as a branch taken when the condition equals `when`, with
    /// an unpatched target; returns the fixup.
    fn emit_cond(&mut self, cj: &CondJump, when: bool) -> (InstrPos, usize) {
        let read = cj.ops.register_operand();
        let handlers = match cj.acc_handlers {
            Some(acc_form) if self.code.acc_holds(read) => {
                self.note_acc_use(read, cj.handlers[usize::from(!when)]);
                acc_form
            }
            _ => cj.handlers,
        };
        let h = handlers[usize::from(!when)];
        let target = isa::Target(0);
        match cj.ops {
            CondOps::Zero { cond } => {
                let ops = isa::BrZero {
                    cond: Slot(cond),
                    target,
                };
                (self.code.emit(h, ops), field!(BrZero.target))
            }
            CondOps::Cmp { a, b } => {
                let ops = isa::BrCmp {
                    a: Slot(a),
                    b: SlotOrImm(b),
                    target,
                };
                (self.code.emit(h, ops), field!(BrCmp.target))
            }
            CondOps::AddCmp { dst, src, imm, b } => {
                let ops = isa::BrAddCmp {
                    dst: Slot(dst),
                    src: Slot(src),
                    imm: Imm(imm),
                    b: SlotOrImm(b),
                    target,
                };
                (self.code.emit(h, ops), field!(BrAddCmp.target))
            }
            CondOps::Load {
                dst,
                addr,
                offset,
                at,
            } => {
                // A trap here is the load's (this may be a copy of the
                // test at a loop's end, or replace the load).
                self.code.mark_offset(at);
                let ops = isa::LoadBr {
                    dst: Slot(dst),
                    addr: Slot(addr),
                    offset: Imm64::new(offset),
                    target,
                };
                (self.code.emit(h, ops), field!(LoadBr.target))
            }
        }
    }

    /// Emits a conditional branch with an unpatched target; `negate`
    /// branches when the condition is false. Returns the fixup.
    fn emit_cond_branch(&mut self, cond: BranchCond, negate: bool) -> (InstrPos, usize) {
        let cj = self.cond_jump(cond);
        self.emit_cond(&cj, !negate)
    }

    pub(super) fn br_if(&mut self, depth: u32) {
        let cond = self.pop_branch_cond();
        let t = self.target(depth);
        if self.values_in_place(&t) {
            let Target::Label(i) = t else {
                unreachable!("returns need moves")
            };
            let cj = self.cond_jump(cond);
            let loop_head = self
                .ctrl
                .last()
                .filter(|c| c.kind == Kind::Loop && c.params == 0 && c.head == self.code.here());
            // Only value-less exits: at the loop's end the operand stack
            // differs from the header's.
            let exits_loop =
                loop_head.is_some() && self.ctrl[i].kind != Kind::Loop && self.ctrl[i].arity() == 0;
            let (pos, k) = self.emit_cond(&cj, true);
            self.link(pos, k, i, Some(cj.ops.first()));
            if exits_loop {
                // The loop starts with its exit test: branches back to it
                // can run a copy of the test instead (see `emit_jump_to`).
                let words = self.code.len() - pos.0;
                let tested = cj.ops.first();
                self.ctrl.last_mut().expect("a loop").head_exit = Some((cj, i, words));
                // The inverted copy at the loop's end jumps here.
                self.code.label();
                // The body is entered only by falling through this test or
                // from a copy of it, and conditional branches pass their
                // first operand on: the loop variable, if it is one.
                self.code.passes_on(tested);
            }
        } else {
            let (skip, k) = self.emit_cond_branch(cond, true);
            self.emit_jump_to(t);
            let here = self.code.label();
            self.code.patch_branch(skip, k, here);
        }
        self.last = None;
    }

    pub(super) fn br_table(&mut self, depths: &[u32], default: u32) {
        let idx = self.pop_slot();
        let n = depths.len();
        let h = self.by_acc(
            [
                h!(exec::br_table::<exec::FromSlot>),
                h!(exec::br_table::<exec::FromAcc>),
            ],
            idx,
        );
        let ops = isa::BrTable {
            index: Slot(idx),
            count: Count(n as u32),
        };
        let pos = self.code.emit_with_targets(h, ops, n + 1);
        let all: Vec<u32> = depths.iter().copied().chain([default]).collect();
        for (k, depth) in all.into_iter().enumerate() {
            let t = self.target(depth);
            if self.values_in_place(&t) {
                let Target::Label(i) = t else {
                    unreachable!("returns need moves")
                };
                self.link(pos, isa::BrTable::target_operand(k), i, None);
            } else {
                let stub = self.code.label();
                let rel = CodeBuilder::rel(pos, stub);
                self.code.patch(pos, isa::BrTable::target_operand(k), rel);
                self.emit_jump_to(t);
            }
        }
        self.set_unreachable();
    }

    pub(super) fn br_on_null(&mut self, depth: u32) {
        let e = self.pop();
        let r = self.read(e);
        let t = self.target(depth);
        if self.values_in_place(&t) {
            let Target::Label(i) = t else {
                unreachable!("returns need moves")
            };
            let pos = self.emit_br_zero(h!(exec::br_zero::<exec::OnZero, exec::FromSlot>), r);
            self.link(pos, field!(BrZero.target), i, None);
        } else {
            let skip = self.emit_br_zero(h!(exec::br_zero::<exec::OnNonZero, exec::FromSlot>), r);
            self.emit_jump_to(t);
            let here = self.code.label();
            self.code.patch_branch(skip, field!(BrZero.target), here);
        }
        // The (now known non-null) reference stays where it was read from.
        let op = if let Operand::Local(i) = e.op {
            Operand::Local(i)
        } else {
            Operand::Temp
        };
        self.push(op, false);
        self.last = None;
    }

    pub(super) fn br_on_non_null(&mut self, depth: u32) {
        let e = *self.stack.last().expect("validated");
        let r = self.read(e);
        let t = self.target(depth);
        if self.values_in_place(&t) {
            let Target::Label(i) = t else {
                unreachable!("returns need moves")
            };
            let pos = self.emit_br_zero(h!(exec::br_zero::<exec::OnNonZero, exec::FromSlot>), r);
            self.link(pos, field!(BrZero.target), i, None);
        } else {
            let skip = self.emit_br_zero(h!(exec::br_zero::<exec::OnZero, exec::FromSlot>), r);
            self.emit_jump_to(t);
            let here = self.code.label();
            self.code.patch_branch(skip, field!(BrZero.target), here);
        }
        self.pop();
        self.last = None;
    }

    /// Places the top `np` operands as arguments; returns the base slot.
    pub(super) fn place_args(&mut self, np: u32) -> u32 {
        self.materialize_top(np);
        self.slot_at(self.height() - np)
    }

    /// Pops a call's arguments and pushes its results (of type `ft`).
    pub(super) fn finish_call(&mut self, ft: &FuncType, tail: bool) {
        for _ in ft.params() {
            self.pop();
        }
        if tail {
            self.set_unreachable();
        } else {
            for r in ft.results() {
                self.push(Operand::Temp, *r == ValType::V128);
            }
            self.last = None;
        }
    }

    pub(super) fn call(&mut self, func: u32, tail: bool) {
        let ft = self.func_type_of(self.module.funcs[func as usize]);
        let np = ft.params().len() as u32;
        let base = self.place_args(np);
        let imported = self.module.num_imported_funcs;
        if func >= imported {
            let h = if tail {
                h!(exec::call::<exec::Tail>)
            } else {
                h!(exec::call::<exec::Plain>)
            };
            let ops = isa::Call {
                base: Slot(base),
                func: Index(func - imported),
                callee: CodeAddr(Imm64::new(0)),
            };
            let pos = self.code.emit(h, ops);
            self.call_stack_map(np);
            self.direct_calls.push((pos.0 as u32, func - imported));
        } else {
            let h = if tail {
                h!(exec::call_import::<exec::Tail>)
            } else {
                h!(exec::call_import::<exec::Plain>)
            };
            let ops = isa::CallImport {
                base: Slot(base),
                func: Index(func),
            };
            self.code.emit(h, ops);
            self.call_stack_map(np);
        }
        self.finish_call(&ft, tail);
    }

    pub(super) fn call_indirect(&mut self, type_index: u32, table: u32, tail: bool) {
        let type_id = self.module.types[type_index as usize];
        let ft = self.func_type_of(type_id);
        let np = ft.params().len() as u32;
        let idx = self.pop_slot();
        let base = self.place_args(np);
        let h = if tail {
            h!(exec::call_indirect::<exec::Tail>)
        } else {
            h!(exec::call_indirect::<exec::Plain>)
        };
        let ops = isa::CallIndirect {
            base: Slot(base),
            index: Slot(idx),
            table: Index(table),
            ty: Index(type_id.index()),
        };
        self.code.emit(h, ops);
        self.call_stack_map(np);
        self.finish_call(&ft, tail);
    }

    pub(super) fn call_ref(&mut self, type_index: u32, tail: bool) {
        let ft = self.func_type_of(self.module.types[type_index as usize]);
        let np = ft.params().len() as u32;
        let r = self.pop_slot();
        let base = self.place_args(np);
        let h = if tail {
            h!(exec::call_ref::<exec::Tail>)
        } else {
            h!(exec::call_ref::<exec::Plain>)
        };
        let ops = isa::CallRef {
            base: Slot(base),
            callee: Slot(r),
        };
        self.code.emit(h, ops);
        self.call_stack_map(np);
        self.finish_call(&ft, tail);
    }
}

/// A branch condition ready to emit either way round.
#[derive(Clone)]
pub(super) struct CondJump {
    /// Handlers branching when the condition holds, and when it does not.
    handlers: [Handler; 2],
    /// The same reading their first operand from `acc`, if they have such
    /// a form.
    acc_handlers: Option<[Handler; 2]>,
    /// What the condition tests.
    ops: CondOps,
    /// For an integer comparison: the same test fused with an
    /// add-immediate to its first operand, and the integer width.
    with_add: Option<([Handler; 2], u8)>,
}

/// The operands of a conditional branch (all but its target).
#[derive(Copy, Clone)]
pub(super) enum CondOps {
    /// The i32 in slot `cond` (`isa::BrZero`).
    Zero { cond: u32 },
    /// `a OP b`, `b` a slot or an immediate (`isa::BrCmp`).
    Cmp { a: u32, b: u32 },
    /// `dst = src + imm; dst OP b` (`isa::BrAddCmp`).
    AddCmp {
        dst: u32,
        src: u32,
        imm: u32,
        b: u32,
    },
    /// The i32 `dst = memory0[addr + offset]`, loaded by the operator at
    /// module offset `at` (`isa::LoadBr`).
    Load {
        dst: u32,
        addr: u32,
        offset: u64,
        at: usize,
    },
}

impl CondOps {
    /// The first operand, which the branch passes on in `acc`.
    fn first(&self) -> u32 {
        match *self {
            CondOps::Zero { cond } => cond,
            CondOps::Cmp { a, .. } => a,
            CondOps::AddCmp { dst, .. } => dst,
            CondOps::Load { dst, .. } => dst,
        }
    }

    /// The operand the `acc` forms of the branch read from `acc`.
    fn register_operand(&self) -> u32 {
        match *self {
            CondOps::Load { addr, .. } => addr,
            _ => self.first(),
        }
    }

    /// The comparison with `b` of the add-immediate `add`'s result.
    fn add_cmp(add: &super::AddDef, b: u32) -> CondOps {
        CondOps::AddCmp {
            dst: add.dst,
            src: add.a,
            imm: add.b,
            b,
        }
    }
}

impl CondJump {
    fn new(handlers: [Handler; 2], ops: CondOps) -> CondJump {
        CondJump {
            handlers,
            acc_handlers: None,
            ops,
            with_add: None,
        }
    }

    /// The branch on the i32 in `slot` being nonzero, or (with `zero`)
    /// zero.
    fn on_slot(slot: u32, zero: bool) -> CondJump {
        let nz = [
            h!(exec::br_zero::<exec::OnNonZero, exec::FromSlot>),
            h!(exec::br_zero::<exec::OnNonZero, exec::FromAcc>),
        ];
        let z = [
            h!(exec::br_zero::<exec::OnZero, exec::FromSlot>),
            h!(exec::br_zero::<exec::OnZero, exec::FromAcc>),
        ];
        let (yes, no) = if zero { (z, nz) } else { (nz, z) };
        let mut cj = CondJump::new([yes[0], no[0]], CondOps::Zero { cond: slot });
        cj.acc_handlers = Some([yes[1], no[1]]);
        cj
    }
}

/// A popped branch condition.
// Short-lived (popped and consumed by one branch), so boxing the larger
// variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(super) enum BranchCond {
    /// An i32 in a slot.
    Slot(u32),
    /// The comparison computed by the instruction at `pos` into `slot`,
    /// to be replaced by the branch.
    Fused {
        pos: InstrPos,
        cond: LastCond,
        slot: u32,
    },
}

impl BranchCond {
    /// The condition as a plain boolean slot, keeping the comparison.
    fn unfused(self) -> BranchCond {
        match self {
            BranchCond::Fused { slot, .. } => BranchCond::Slot(slot),
            plain => plain,
        }
    }
}
