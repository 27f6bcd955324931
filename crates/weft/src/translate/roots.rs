//! Which frame slots hold references the collector traces, at each
//! safepoint (an instruction that may allocate, or a call, after which a
//! callee may have allocated). The collector reads these stack maps to find
//! the roots in Wasm frames precisely: it never guesses from a slot's bits.
//!
//! The translator knows each local's type; for the operand stack it takes
//! each new entry's type from the validator after every operator (the
//! validator's stack and the virtual stack have the same height in
//! reachable code). Entries that only name a local or a constant need no
//! slot of their own: the local is in the map, and a constant reference
//! is null.

use super::{Operand, Translator};
use crate::ir::StackMaps;
use wasmparser::{
    AbstractHeapType as A, CompositeInnerType, FuncValidator, HeapType, UnpackedIndex, ValType,
    ValidatorResources, WasmModuleResources,
};

/// The stack maps of a function being translated, and what they are built
/// from.
#[derive(Default)]
pub(super) struct FrameRoots {
    /// Slots of the locals (parameters included) that are traced.
    locals: Vec<u32>,
    /// Virtual stack entries below this height have their `gc` flag set;
    /// those above it were pushed by the current operator.
    typed: usize,
    maps: StackMaps,
}

impl FrameRoots {
    /// The function's stack maps.
    pub(super) fn finish(self) -> StackMaps {
        self.maps
    }
}

/// Whether values of type `t` are references the collector traces: all
/// but function references (store indices, not heap objects).
fn is_traced(fv: &FuncValidator<ValidatorResources>, t: ValType) -> bool {
    let ValType::Ref(r) = t else {
        return false;
    };
    match r.heap_type() {
        HeapType::Abstract { ty, .. } => matches!(
            ty,
            A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::Extern | A::Exn
        ),
        HeapType::Concrete(i) | HeapType::Exact(i) => {
            let resources = fv.resources();
            let sub = match i {
                UnpackedIndex::Module(m) => resources.sub_type_at(m),
                UnpackedIndex::Id(id) => Some(resources.sub_type_at_id(id)),
                UnpackedIndex::RecGroup(_) => None,
            };
            sub.is_some_and(|s| !matches!(s.composite_type.inner, CompositeInnerType::Func(_)))
        }
    }
}

impl Translator<'_> {
    /// Records which locals are traced.
    pub(super) fn find_gc_locals(&mut self, fv: &FuncValidator<ValidatorResources>) {
        self.roots.locals = (0..self.locals.len() as u32)
            .filter(|&i| fv.get_local_type(i).is_some_and(|t| is_traced(fv, t)))
            .map(|i| self.local_slot(i))
            .collect();
    }

    /// Notes that the virtual stack may have lost entries: those pushed
    /// from now on need their types.
    pub(super) fn stack_shrunk(&mut self) {
        self.roots.typed = self.roots.typed.min(self.stack.len());
    }

    /// After an operator: sets the `gc` flag of the entries it pushed from
    /// the validator's types.
    /// The new entries are on top, so each matches the validator's
    /// operand at its depth from the top (a legacy `try` keeps one entry
    /// of its own further down, typed where it is pushed).
    pub(super) fn type_new_entries(&mut self, fv: &FuncValidator<ValidatorResources>) {
        let len = self.stack.len();
        if self.reachable {
            for h in self.roots.typed..len {
                let t = fv.get_operand_type(len - 1 - h).flatten();
                self.stack[h].gc = t.is_some_and(|t| is_traced(fv, t));
            }
        }
        self.roots.typed = len;
    }

    /// The slots holding traced references now: the traced locals and the
    /// traced operands in slots of their own, leaving out the top
    /// `exclude` operands (a call's arguments, which the callee's frame
    /// covers).
    /// Marks the entry at height `h` (pushed by the current operator) as
    /// traced and typed, for an entry the validator does not know.
    pub(super) fn mark_traced_entry(&mut self, h: usize) {
        self.stack[h].gc = true;
        self.roots.typed = h + 1;
    }

    pub(super) fn live_gc_slots(&self, exclude: u32) -> Vec<u32> {
        let keep = self.stack.len().saturating_sub(exclude as usize);
        let mut slots = self.roots.locals.clone();
        slots.extend(
            self.stack[..keep]
                .iter()
                .filter(|e| e.gc && e.op == Operand::Temp)
                .map(|e| e.slot),
        );
        slots
    }

    /// Records `slots` as the stack map of the instruction just emitted.
    pub(super) fn add_stack_map(&mut self, slots: Vec<u32>) {
        if !slots.is_empty() {
            let end = self.code.here().0 as u32;
            self.roots.maps.push(end, &slots);
        }
    }

    /// Records the stack map of the call just emitted, whose arguments are
    /// the top `args` operands (the callee's frame covers them).
    pub(super) fn call_stack_map(&mut self, args: u32) {
        let slots = self.live_gc_slots(args);
        self.add_stack_map(slots);
    }
}
