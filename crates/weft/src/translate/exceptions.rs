//! Translation of exception handling: `try_table` with its catch clauses,
//! `throw`, and the legacy `try`/`catch`/`catch_all`/`delegate`/`rethrow`.
//!
//! A block that catches opens a catch region (`ir::CatchRegion`) over
//! its body. Each clause names landing code: for `try_table`, a small pad
//! before the body that branches to the clause's label (the unwinder has
//! already written the payload into the label's value slots); for a legacy
//! `catch`, the catch body itself, which finds the payload on its operand
//! stack and the caught exception in a slot reserved below the block.

use super::Operand;
use super::Translator;
use super::control::{Kind, Target};
use crate::exec;
use crate::ir::isa::{self, Br, Count, Index, Slot};
use crate::ir::{CatchRegion, Clause, RegionAction, field, h};
use crate::types::ValType;
use wasmparser::{BlockType, Catch, TryTable};

impl Translator<'_> {
    /// Cells of the payload of module tag `tag`.
    fn tag_cells(&self, tag: u32) -> (u32, Vec<ValType>) {
        let ft = self.func_type_of(self.module.tags[tag as usize]);
        let cells = ft
            .params()
            .iter()
            .map(|t| if *t == ValType::V128 { 2 } else { 1 })
            .sum();
        (cells, ft.params().to_vec())
    }

    /// Opens a catch region starting here, nested in the open one.
    fn open_region(&mut self, action: RegionAction) -> u32 {
        let start = self.code.len() as u32;
        let parent = self.open_regions.last().copied();
        self.catch_regions.push(CatchRegion {
            start,
            end: start,
            parent,
            action,
        });
        let index = (self.catch_regions.len() - 1) as u32;
        self.open_regions.push(index);
        index
    }

    /// Ends the protected region of handler `h` here, if still open.
    pub(super) fn close_region(&mut self, h: u32) {
        if self.open_regions.last() == Some(&h) {
            self.open_regions.pop();
            self.catch_regions[h as usize].end = self.code.len() as u32;
        }
    }

    pub(super) fn translate_try_table(&mut self, tt: &TryTable) {
        self.materialize_all();
        // Landing pads come first, jumped over on entry. Clause labels are
        // resolved outside the try_table's own label.
        let skip = self.emit_br();
        let mut clauses = Vec::with_capacity(tt.catches.len());
        for c in &tt.catches {
            let (tag, with_ref, depth) = match *c {
                Catch::One { tag, label } => (Some(tag), false, label),
                Catch::OneRef { tag, label } => (Some(tag), true, label),
                Catch::All { label } => (None, false, label),
                Catch::AllRef { label } => (None, true, label),
            };
            let cells = tag.map_or(0, |t| self.tag_cells(t).0);
            let pad = self.code.len() as u32;
            let dest = match self.target(depth) {
                Target::Return => {
                    self.code.emit(h!(exec::ret), isa::Ret {});
                    0
                }
                Target::Label(i) => {
                    let dest = self.slot_at(self.ctrl[i].dest);
                    let pos = self.emit_br();
                    self.link(pos, field!(Br.target), i, None);
                    dest
                }
            };
            let exn_slot = with_ref.then_some(dest + cells);
            clauses.push(Clause {
                tag,
                pad,
                dest,
                exn_slot,
            });
        }
        let here = self.code.label();
        self.code.patch_branch(skip, field!(Br.target), here);
        self.push_ctrl(Kind::TryTable, tt.ty, true);
        let h = self.open_region(RegionAction::Catch(clauses.into()));
        self.ctrl.last_mut().expect("just pushed").region = Some(h);
        self.last = None;
    }

    pub(super) fn translate_throw(&mut self, tag: u32) {
        let ft = self.func_type_of(self.module.tags[tag as usize]);
        let (cells, _) = self.tag_cells(tag);
        // Making the exception allocates: the payload is live there too.
        let live = self.live_gc_slots(0);
        let base = self.place_args(ft.params().len() as u32);
        let ops = isa::Throw {
            base: Slot(base),
            tag: Index(tag),
            cells: Count(cells),
        };
        self.code.emit(h!(exec::throw), ops);
        self.add_stack_map(live);
        self.finish_call(&ft, true);
    }

    /// Legacy `try`: a block with a slot for the caught exception reserved
    /// just below its parameters. Its results later land on that slot.
    pub(super) fn translate_try(&mut self, bt: BlockType) {
        self.materialize_all();
        let params = match bt {
            BlockType::FuncType(i) => self
                .func_type_of(self.module.types[i as usize])
                .params()
                .len(),
            _ => 0,
        };
        // Shift the parameters up one cell to make room for the slot.
        let moved: Vec<_> = self.stack.split_off(self.stack.len() - params);
        self.stack_shrunk();
        self.push(Operand::Temp, false);
        let exn_slot = self.stack.last().expect("just pushed").slot;
        // The exception a `catch` keeps for `rethrow` is a root.
        self.mark_traced_entry(self.stack.len() - 1);
        let mut shifts = Vec::with_capacity(moved.len());
        for e in &moved {
            let to = self.push_temp(e.wide);
            shifts.push(self.move_of(*e, to));
        }
        self.emit_moves(&shifts);
        self.push_ctrl(Kind::Try, bt, true);
        let h = self.open_region(RegionAction::Catch(Box::new([])));
        let c = self.ctrl.last_mut().expect("just pushed");
        c.dest -= 1;
        c.region = Some(h);
        c.exn_slot = Some(exn_slot);
        self.last = None;
    }

    /// Legacy `catch`/`catch_all`: ends the previous part of the `try` and
    /// starts a catch body, which the unwinder enters with the payload on
    /// the operand stack.
    pub(super) fn translate_catch(&mut self, tag: Option<u32>) {
        if self.reachable {
            self.move_results_of_top();
            let pos = self.emit_br();
            let c = self.ctrl.last_mut().expect("a try");
            c.fixups.push((pos, field!(Br.target)));
        }
        let c = self.ctrl.last_mut().expect("a try");
        let (h, exn_slot, floor) = (c.region.expect("a try"), c.exn_slot, c.dest + 1);
        c.kind = Kind::Catch;
        self.close_region(h);
        self.stack.truncate(floor as usize);
        self.stack_shrunk();
        let dest = self.slot_at(floor);
        if let Some(t) = tag {
            for ty in self.tag_cells(t).1 {
                self.push(Operand::Temp, ty == ValType::V128);
            }
        }
        let pad = self.code.label().0 as u32;
        if let RegionAction::Catch(clauses) = &mut self.catch_regions[h as usize].action {
            let mut all = std::mem::take(clauses).into_vec();
            all.push(Clause {
                tag,
                pad,
                dest,
                exn_slot,
            });
            *clauses = all.into();
        }
        self.reachable = true;
        self.last = None;
        self.begin_basic_block();
    }

    /// Legacy `delegate`: ends the `try`; exceptions from its body continue
    /// at the handlers around label `depth` (outside the `try`).
    pub(super) fn translate_delegate(&mut self, depth: u32) {
        let me = self.ctrl.len() - 1;
        let h = self.ctrl[me].region.expect("a try");
        let t = &self.ctrl[me - 1 - depth as usize];
        let target = match t.kind {
            Kind::Func => None,
            Kind::Try => t.region,
            _ => t.region_at_open,
        };
        self.catch_regions[h as usize].action = RegionAction::Delegate(target);
        self.translate_end();
    }
}
