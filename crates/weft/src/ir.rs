//! weft's intermediate representation: how translated function bodies are
//! laid out in memory, and the builder the translator writes them with.
//!
//! A function body is a stream of 64-bit words. Each instruction starts with
//! one word holding its handler (a function pointer); its operands follow as
//! packed 32-bit values: frame slots, immediates and branch offsets. A branch
//! offset is a signed distance in words from the start of the branching
//! instruction. 64-bit immediates take two operands (low half first).

/// A translated function, ready to run.
pub(crate) struct CompiledFunc {
    /// The instruction stream.
    pub code: Box<[u64]>,
    /// Frame slots needed: parameters, locals and temporaries.
    pub frame_size: u32,
    /// Number of parameter slots.
    pub num_params: u32,
    /// Word positions of direct calls to functions of the same module,
    /// whose callee address the module patches in once all are translated.
    pub direct_calls: Box<[u32]>,
    /// Index in the module's function index space.
    pub func_index: u32,
    /// Exception handlers: code regions and what catches there.
    pub handlers: Box<[HandlerEntry]>,
    /// Pairs of (word index, byte offset in the module) at each instruction
    /// that may trap or call, sorted by word index, for backtraces.
    pub offsets: Box<[(u32, u32)]>,
}

impl CompiledFunc {
    /// The module byte offset of the instruction at `word`, if recorded.
    pub(crate) fn offset_of(&self, word: usize) -> Option<u64> {
        let i = self.offsets.partition_point(|&(w, _)| (w as usize) <= word);
        i.checked_sub(1).map(|i| u64::from(self.offsets[i].1))
    }
}

/// A region of a function body (in words) where thrown exceptions are
/// handled, innermost regions having the latest start.
pub(crate) struct HandlerEntry {
    pub start: u32,
    pub end: u32,
    /// The entry whose region encloses this one's, where the search
    /// continues if nothing here matches.
    pub parent: Option<u32>,
    pub action: HandlerAction,
}

/// What a handler region does with an exception.
pub(crate) enum HandlerAction {
    /// Try these clauses in order.
    Catch(Box<[Clause]>),
    /// Legacy `delegate`: continue the search at this entry (or leave the
    /// function if `None`).
    Delegate(Option<u32>),
}

/// One catch clause.
pub(crate) struct Clause {
    /// The module tag caught, or `None` for `catch_all`.
    pub tag: Option<u32>,
    /// Where the landing code starts (word index).
    pub pad: u32,
    /// The first slot the payload is written to.
    pub dest: u32,
    /// Where the exception reference goes, if the clause keeps it.
    pub exn_slot: Option<u32>,
}

/// The type-erased handler pointer stored in the first word of an
/// instruction.
pub(crate) type HandlerAddr = usize;

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
    /// Where the last instruction starts and what `acc` held before it, to
    /// restore when that instruction is removed again.
    acc_before: (usize, Option<u32>),
}

/// Where an instruction starts, for patching branch targets.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct InstrPos(pub usize);

impl CodeBuilder {
    /// The position the next instruction will take.
    pub(crate) fn here(&self) -> InstrPos {
        InstrPos(self.words.len())
    }

    /// The position the next instruction will take, which branches will
    /// target: instructions before it are now fixed.
    pub(crate) fn label(&mut self) -> InstrPos {
        self.floor = self.words.len();
        self.acc = None;
        self.here()
    }

    /// Whether the instruction at `pos` may still be removed or rewritten
    /// (no branch target lies after it).
    pub(crate) fn is_open(&self, pos: InstrPos) -> bool {
        pos.0 >= self.floor
    }

    /// Appends one instruction, which does not pass a known value on in
    /// `acc`.
    pub(crate) fn emit(&mut self, handler: HandlerAddr, ops: &[u32]) -> InstrPos {
        let pos = self.emit_keeping_acc(handler, ops);
        self.acc = None;
        pos
    }

    /// Appends one instruction that passes `acc` on unchanged and writes no
    /// slot but `written` (a constant or copy; `None` for a store).
    pub(crate) fn emit_transparent(
        &mut self,
        handler: HandlerAddr,
        ops: &[u32],
        written: Option<u32>,
    ) -> InstrPos {
        let pos = self.emit_keeping_acc(handler, ops);
        if written.is_some() && self.acc == written {
            self.acc = None;
        }
        pos
    }

    /// Records that the instruction just emitted passes the value it wrote
    /// to `slot` on in `acc`.
    pub(crate) fn passes_on(&mut self, slot: u32) {
        self.acc = Some(slot);
    }

    /// Whether the next instruction will find the value of `slot` in `acc`.
    pub(crate) fn acc_holds(&self, slot: u32) -> bool {
        self.acc == Some(slot)
    }

    /// The last instruction now writes `to` instead of `from`.
    pub(crate) fn retarget_acc(&mut self, from: u32, to: u32) {
        if self.acc == Some(from) {
            self.acc = Some(to);
        }
    }

    fn emit_keeping_acc(&mut self, handler: HandlerAddr, ops: &[u32]) -> InstrPos {
        let pos = self.here();
        self.acc_before = (pos.0, self.acc);
        self.words.push(handler as u64);
        for pair in ops.chunks(2) {
            let lo = pair[0];
            let hi = pair.get(1).copied().unwrap_or(0);
            self.words.push(pack(lo, hi));
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

    /// Overwrites operand `k` of the instruction at `pos`.
    pub(crate) fn patch(&mut self, pos: InstrPos, k: usize, value: u32) {
        patch_operand(&mut self.words, pos, k, value);
    }

    /// Patches operand `k` of the branch at `pos` to jump to `target`.
    pub(crate) fn patch_branch(&mut self, pos: InstrPos, k: usize, target: InstrPos) {
        let rel = target.0 as i64 - pos.0 as i64;
        self.patch(pos, k, rel as i32 as u32);
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
        self.acc = if self.acc_before.0 == pos.0 {
            self.acc_before.1
        } else {
            None
        };
        self.words.truncate(pos.0);
        while self.offsets.last().is_some_and(|o| o.0 as usize >= pos.0) {
            self.offsets.pop();
        }
    }

    /// The finished instruction stream and offset table.
    #[allow(clippy::type_complexity)]
    pub(crate) fn finish(self) -> (Box<[u64]>, Box<[(u32, u32)]>) {
        (self.words.into(), self.offsets.into())
    }
}

/// Overwrites operand `k` of the instruction at `pos` of `code`.
pub(crate) fn patch_operand(code: &mut [u64], pos: InstrPos, k: usize, value: u32) {
    let word = &mut code[pos.0 + 1 + k / 2];
    let (mut lo, mut hi) = unpack(*word);
    if k.is_multiple_of(2) {
        lo = value;
    } else {
        hi = value;
    }
    *word = pack(lo, hi);
}

/// Reads operand `k` of the instruction at `pos` of `code`.
pub(crate) fn read_operand(code: &[u64], pos: InstrPos, k: usize) -> u32 {
    let (lo, hi) = unpack(code[pos.0 + 1 + k / 2]);
    if k.is_multiple_of(2) { lo } else { hi }
}

/// Packs two operands into one word so that reading the word's memory as two
/// `u32`s yields `lo` then `hi` on every host.
fn pack(lo: u32, hi: u32) -> u64 {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&lo.to_ne_bytes());
    b[4..].copy_from_slice(&hi.to_ne_bytes());
    u64::from_ne_bytes(b)
}

fn unpack(w: u64) -> (u32, u32) {
    let b = w.to_ne_bytes();
    (
        u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
    )
}

/// Splits a 64-bit immediate into two operands.
pub(crate) fn imm64(v: u64) -> [u32; 2] {
    [v as u32, (v >> 32) as u32]
}
