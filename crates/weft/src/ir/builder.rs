//! The builder the translator writes a function body with: appends
//! instructions (handler and operand struct), patches branch targets, and
//! tracks what the `acc` register holds.

use super::isa::{Handler, Instr};
use super::listing::{Listing, ListingEntry};
use super::{InstrPos, patch_operand};

/// Appends instructions to a function body.
#[derive(Default)]
pub(crate) struct CodeBuilder {
    words: Vec<u64>,
    offsets: Vec<(u32, u32)>,
    /// Where the last branch target is: code before it may be reached from
    /// elsewhere, so no fusion may remove or rewrite it.
    floor: usize,
    /// The slot whose value the next instruction finds in `acc` (see
    /// `exec::next!`): set by [`CodeBuilder::passes_on`] right after an
    /// instruction that passes its result on, kept by instructions that pass
    /// `acc` through without writing that slot, forgotten at anything else
    /// and at branch targets.
    acc: Option<u32>,
    /// Counts the assignments to `acc`: the same count means `acc` still
    /// holds what one assignment put there.
    acc_gen: u32,
    /// Where the last instruction starts and what `acc` held before it
    /// (and its count), to restore when that instruction is removed again.
    acc_before: (usize, Option<u32>, u32),
    /// What each instruction is, if listings are kept.
    listing: Option<Vec<ListingEntry>>,
}

impl CodeBuilder {
    /// A builder that records a listing of what it emits.
    pub(crate) fn new(keep_listing: bool) -> CodeBuilder {
        CodeBuilder {
            listing: keep_listing.then(Vec::new),
            ..CodeBuilder::default()
        }
    }

    /// The position the next instruction will take.
    pub(crate) fn here(&self) -> InstrPos {
        InstrPos(self.words.len())
    }

    /// The position the next instruction will take, which branches will
    /// target: instructions before it are now fixed.
    pub(crate) fn label(&mut self) -> InstrPos {
        self.floor = self.words.len();
        self.set_acc(None);
        self.here()
    }

    /// Whether the instruction at `pos` may still be removed or rewritten
    /// (no branch target lies after it).
    pub(crate) fn is_open(&self, pos: InstrPos) -> bool {
        pos.0 >= self.floor
    }

    /// Whether the instruction at `pos`, ending at word `end`, is still the
    /// last one emitted and may be rewritten (what every fusion checks of
    /// the instruction it would take in).
    pub(crate) fn is_last(&self, pos: InstrPos, end: usize) -> bool {
        end == self.words.len() && self.is_open(pos)
    }

    /// Appends instruction `ops` run by `handler`, which does not pass a
    /// known value on in `acc`.
    pub(crate) fn emit<I: Instr>(&mut self, handler: Handler, ops: I) -> InstrPos {
        let pos = self.append(handler, ops, 0);
        self.set_acc(None);
        pos
    }

    /// As [`CodeBuilder::emit`], followed by `targets` branch targets (all
    /// to be patched; operand indices `I`'s operands and on).
    pub(crate) fn emit_with_targets<I: Instr>(
        &mut self,
        handler: Handler,
        ops: I,
        targets: usize,
    ) -> InstrPos {
        let pos = self.append(handler, ops, targets);
        self.set_acc(None);
        pos
    }

    /// Appends an instruction that passes `acc` on unchanged and writes no
    /// slot but `written` (a constant or copy; `None` for a store).
    pub(crate) fn emit_transparent<I: Instr>(
        &mut self,
        handler: Handler,
        ops: I,
        written: Option<u32>,
    ) -> InstrPos {
        let pos = self.append(handler, ops, 0);
        if written.is_some() && self.acc == written {
            self.set_acc(None);
        }
        pos
    }

    /// Records that the instruction just emitted (one that passes `acc`
    /// on) also wrote `slot`.
    pub(crate) fn clobbers(&mut self, slot: u32) {
        if self.acc == Some(slot) {
            self.set_acc(None);
        }
    }

    /// Records that the instruction just emitted passes the value it wrote
    /// to `slot` on in `acc`.
    pub(crate) fn passes_on(&mut self, slot: u32) {
        self.set_acc(Some(slot));
    }

    fn set_acc(&mut self, acc: Option<u32>) {
        self.acc = acc;
        self.acc_gen = self.acc_gen.wrapping_add(1);
    }

    /// Which assignment to `acc` the value in it comes from (see
    /// `acc_gen`).
    pub(crate) fn acc_gen(&self) -> u32 {
        self.acc_gen
    }

    /// The slot whose value the next instruction will find in `acc`.
    pub(crate) fn acc(&self) -> Option<u32> {
        self.acc
    }

    /// Whether the next instruction will find the value of `slot` in `acc`.
    pub(crate) fn acc_holds(&self, slot: u32) -> bool {
        self.acc == Some(slot)
    }

    /// The last instruction now writes `to` instead of `from`.
    pub(crate) fn retarget_acc(&mut self, from: u32, to: u32) {
        if self.acc == Some(from) {
            self.set_acc(Some(to));
        }
    }

    /// Appends the handler word, the guard word of `checked` builds, the
    /// operands and `tail` zero operands, keeping `acc` as it is.
    fn append<I: Instr>(&mut self, handler: Handler, ops: I, tail: usize) -> InstrPos {
        let pos = self.here();
        self.acc_before = (pos.0, self.acc, self.acc_gen);
        self.words.push(handler.addr() as u64);
        if cfg!(feature = "checked") {
            let words = (I::OPERANDS + tail).div_ceil(2);
            self.words.push(super::isa::guard(I::ID, words));
        }
        ops.append_to(&mut self.words, tail);
        if let Some(listing) = &mut self.listing {
            listing.push(ListingEntry::new::<I>(pos.0, handler, I::OPERANDS + tail));
        }
        pos
    }

    /// Records the module offset of the instruction about to be emitted.
    pub(crate) fn mark_offset(&mut self, offset: usize) {
        let w = self.words.len() as u32;
        let off = offset as u32;
        match self.offsets.last_mut() {
            Some(last) if last.0 == w => last.1 = off,
            _ => self.offsets.push((w, off)),
        }
    }

    /// Overwrites operand `k` of the instruction at `pos` (`k` from
    /// [`field!`](super::field)).
    pub(crate) fn patch(&mut self, pos: InstrPos, k: usize, value: u32) {
        patch_operand(&mut self.words, pos, k, value);
    }

    /// Makes the instruction at `pos` run `handler`, one with the same
    /// operands (another form of the same instruction).
    /// Whether the instruction starting at word `pos` (if one does) runs
    /// `handler`'s machine code.
    pub(crate) fn runs(&self, pos: usize, handler: Handler) -> bool {
        self.words.get(pos) == Some(&(handler.addr() as u64))
    }

    pub(crate) fn set_handler(&mut self, pos: InstrPos, handler: Handler) {
        self.words[pos.0] = handler.addr() as u64;
        if let Some(listing) = &mut self.listing
            && let Some(entry) = listing.iter_mut().rev().find(|e| e.pos == pos.0)
        {
            entry.set_handler(handler);
        }
    }

    /// Patches operand `k` of the branch at `pos` to jump to `target`.
    pub(crate) fn patch_branch(&mut self, pos: InstrPos, k: usize, target: InstrPos) {
        self.patch(pos, k, Self::rel(pos, target));
    }

    /// The relative offset from `pos` to `target`, as an operand.
    pub(crate) fn rel(pos: InstrPos, target: InstrPos) -> u32 {
        (target.0 as i64 - pos.0 as i64) as i32 as u32
    }

    /// Number of words emitted so far.
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }

    /// Removes everything from `pos` on (to replace just-emitted code by a
    /// fused instruction).
    ///
    /// # Panics
    ///
    /// If a branch target lies after `pos`: the fusions check `is_open`
    /// first, so this would be a translator bug, and continuing would make
    /// branches land inside other instructions.
    pub(crate) fn truncate(&mut self, pos: InstrPos) {
        assert!(
            self.is_open(pos),
            "translator bug: removing code before a branch target"
        );
        if self.acc_before.0 == pos.0 {
            (self.acc, self.acc_gen) = (self.acc_before.1, self.acc_before.2);
        } else {
            self.set_acc(None);
        }
        self.words.truncate(pos.0);
        while self.offsets.last().is_some_and(|o| o.0 as usize >= pos.0) {
            self.offsets.pop();
        }
        if let Some(listing) = &mut self.listing {
            listing.retain(|e| e.pos < pos.0);
        }
    }

    /// The finished instruction stream, offset table and listing.
    #[allow(clippy::type_complexity)]
    pub(crate) fn finish(self) -> (Box<[u64]>, Box<[(u32, u32)]>, Option<Listing>) {
        let listing = self.listing.map(|entries| Listing {
            entries: entries.into(),
        });
        (self.words.into(), self.offsets.into(), listing)
    }
}
