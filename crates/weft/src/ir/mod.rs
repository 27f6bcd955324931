//! weft's intermediate representation: translated functions, the
//! instruction set ([`isa`]), the builder the translator writes code with,
//! and listings of it.
//!
//! A function body is a stream of 64-bit words. Each instruction starts with
//! one word holding its handler (a function pointer); its operands follow as
//! packed 32-bit values (see [`isa`] for the layout): frame slots,
//! immediates and branch offsets. A branch offset is a signed distance in
//! words from the start of the branching instruction.

mod builder;
pub(crate) mod isa;
mod listing;

pub(crate) use builder::CodeBuilder;
pub(crate) use isa::{Handler, field, h};
pub(crate) use listing::Listing;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

/// A defined function's code as calls find it: the executor holds
/// pointers to these (`InstanceRt::defined`, direct calls' `callee`), one
/// per function of the module, at an address that never changes while the
/// module lives.
///
/// Until the function is translated (`Config::compilation_mode`), `code`
/// points at its lazy stub: one `lazy_entry` instruction that translates
/// the function and continues in its code, so a call needs no test of its
/// own. Translation happens once per module, whichever store or thread
/// calls first ([`OnceLock`]); then `code` points at the translated code,
/// which never moves or is freed while the module lives.
pub(crate) struct FuncEntry {
    /// Where a call continues: the lazy stub or the translated code.
    /// Written (`Release`) after `frame_size`.
    code: AtomicPtr<u64>,
    /// Frame slots the code needs; the parameters' until translated (the
    /// stub checks the real size before it enters the code).
    frame_size: AtomicU32,
    /// Number of parameter slots (known from the type alone).
    pub num_params: u32,
    /// The translated function, or why translation failed (which only a
    /// weft bug can make happen: the body was validated).
    pub compiled: OnceLock<Result<CompiledFunc, String>>,
}

impl FuncEntry {
    /// An entry whose calls go to `stub` until the function is translated.
    pub(crate) fn new(stub: *const u64, num_params: u32) -> FuncEntry {
        FuncEntry {
            code: AtomicPtr::new(stub.cast_mut()),
            frame_size: AtomicU32::new(num_params),
            num_params,
            compiled: OnceLock::new(),
        }
    }

    /// Where a call enters, and the frame slots to check for it. Once
    /// the code is the translated code, the size is its frame's.
    #[inline(always)]
    pub(crate) fn entry(&self) -> (*const u64, u32) {
        let code = self.code.load(Ordering::Acquire);
        (code, self.frame_size.load(Ordering::Relaxed))
    }

    /// The translated function, if it has been translated.
    pub(crate) fn translated(&self) -> Option<&CompiledFunc> {
        self.compiled.get().and_then(|r| r.as_ref().ok())
    }

    /// Points calls at `f`, this entry's translated code. Idempotent, so
    /// every thread that saw the translation may do it.
    pub(crate) fn publish(&self, f: &CompiledFunc) {
        debug_assert_eq!(f.num_params, self.num_params);
        self.frame_size.store(f.frame_size, Ordering::Relaxed);
        self.code
            .store(f.code.as_ptr().cast_mut(), Ordering::Release);
    }
}

/// A translated function, ready to run.
pub(crate) struct CompiledFunc {
    /// The instruction stream.
    pub code: Box<[u64]>,
    /// Frame slots needed: parameters, locals and temporaries.
    pub frame_size: u32,
    /// Number of parameter slots.
    pub num_params: u32,
    /// Direct calls to functions of the same module (word position,
    /// defined-function index), whose callee address the module patches in
    /// once all are translated.
    pub direct_calls: Box<[(u32, u32)]>,
    /// Index in the module's function index space.
    pub func_index: u32,
    /// Code regions where thrown exceptions are caught, and what catches
    /// there.
    pub catch_regions: Box<[CatchRegion]>,
    /// Pairs of (word index, byte offset in the module) at each instruction
    /// that may trap or call, sorted by word index, for backtraces.
    pub offsets: Box<[(u32, u32)]>,
    /// What each instruction is, when the engine keeps listings
    /// (`Config::debug_ir`).
    pub listing: Option<Listing>,
    /// The frame slots holding GC references at each safepoint.
    pub stack_maps: StackMaps,
}

/// Which frame slots hold references the collector traces, at each
/// safepoint of a function (an allocation or a call). A safepoint is named
/// by the word where the instruction after it starts: a caller's return
/// address, or what an allocating handler continues with.
#[derive(Default)]
pub(crate) struct StackMaps {
    /// (end word of the safepoint, end of its slots in `slots`), by word.
    at: Vec<(u32, u32)>,
    slots: Vec<u32>,
}

impl StackMaps {
    /// Adds the map of the safepoint ending at `end` (after every earlier
    /// one).
    pub(crate) fn push(&mut self, end: u32, slots: &[u32]) {
        debug_assert!(self.at.last().is_none_or(|&(w, _)| w < end));
        self.slots.extend_from_slice(slots);
        self.at.push((end, self.slots.len() as u32));
    }

    /// The traced slots at the safepoint ending at word `end`; none if no
    /// reference is live there.
    pub(crate) fn at(&self, end: usize) -> &[u32] {
        match self.at.binary_search_by_key(&end, |&(w, _)| w as usize) {
            Ok(i) => {
                let from = if i == 0 { 0 } else { self.at[i - 1].1 as usize };
                &self.slots[from..self.at[i].1 as usize]
            }
            Err(_) => &[],
        }
    }
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
pub(crate) struct CatchRegion {
    pub start: u32,
    pub end: u32,
    /// The entry whose region encloses this one's, where the search
    /// continues if nothing here matches.
    pub parent: Option<u32>,
    pub action: RegionAction,
}

/// What a catch region does with an exception.
pub(crate) enum RegionAction {
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

/// Where an instruction starts, for patching branch targets.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct InstrPos(pub usize);

/// Words between an instruction's handler word and its operands: the
/// guard word of `checked` builds (see [`isa::guard`]).
pub(crate) const GUARD_WORDS: usize = if cfg!(feature = "checked") { 1 } else { 0 };

/// Overwrites operand `k` of the instruction at `pos` of `code`.
pub(crate) fn patch_operand(code: &mut [u64], pos: InstrPos, k: usize, value: u32) {
    let word = &mut code[pos.0 + 1 + GUARD_WORDS + k / 2];
    let (mut lo, mut hi) = unpack(*word);
    if k.is_multiple_of(2) {
        lo = value;
    } else {
        hi = value;
    }
    *word = pack(lo, hi);
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
