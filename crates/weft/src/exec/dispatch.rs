//! How a handler reads its instruction and continues: decoding operands in
//! place (`decode!`, with the `checked` guard check), frame slot access
//! (`get!`, `set!`), the tail call to the next handler (`next!`) and
//! leaving with a trap (`trap!`).

use super::Ip;
use crate::ir::GUARD_WORDS;
use crate::ir::isa::{Instr, Slot, SlotOrImm};

/// The operands of the instruction at `ip`, read in place as instruction
/// `I` (see `ir::isa` for the layout), and where the instruction after it
/// starts. In `checked` builds, first compares the guard word with `I` and
/// `extra_words` (the words of a variable tail, for `br_table`).
///
/// # Safety
///
/// `ip` is the start of an instruction the translator emitted as an `I`
/// with `extra_words` words after its operands, in code that outlives `'a`.
#[inline(always)]
pub(crate) unsafe fn decode_at<'a, I: Instr>(ip: Ip, extra_words: usize) -> (&'a I, After<I>) {
    #[cfg(feature = "checked")]
    {
        // SAFETY: every instruction has its guard right after the handler
        // word, so this word is part of the instruction at `ip`.
        let guard = unsafe { *ip.add(1) };
        assert_eq!(
            guard,
            crate::ir::isa::guard(I::ID, I::WORDS + extra_words),
            "handler decodes `{}` ({} words) where the translator emitted something else",
            I::NAME,
            I::WORDS + extra_words
        );
    }
    // SAFETY: as the caller promises, an `I`'s operands follow the handler
    // (and guard) word, `u32`s laid out as `I` is and 4-byte aligned (code
    // words are 8-byte aligned).
    let ops = unsafe { &*(ip.add(1 + GUARD_WORDS) as *const I) };
    (ops, After(ip, extra_words, std::marker::PhantomData))
}

/// Where the instruction after an `I` at a given address starts, worked
/// out where it is used (so the compiler computes it on the path that
/// continues there, not before a trap check).
pub(crate) struct After<I>(Ip, usize, std::marker::PhantomData<I>);

impl<I: Instr> After<I> {
    /// The address of the next instruction.
    #[inline(always)]
    pub(crate) fn ip(self) -> Ip {
        // SAFETY: the instruction (its guard, operands and tail) lies in
        // code that continues after it, or ends with a jump that never
        // falls through to here.
        unsafe { self.0.add(1 + GUARD_WORDS + I::WORDS + self.1) }
    }
}

/// An instruction address: where `next!` continues.
pub(crate) trait NextIp {
    fn ip(self) -> Ip;
}

impl NextIp for Ip {
    #[inline(always)]
    fn ip(self) -> Ip {
        self
    }
}

impl<I: Instr> NextIp for After<I> {
    #[inline(always)]
    fn ip(self) -> Ip {
        After::ip(self)
    }
}

/// `let (ops, next) = decode!(ip, I)`: the operands of the instruction at
/// `ip`, which the running handler executes as instruction `I`, and the
/// next instruction's address.
macro_rules! decode {
    ($ip:expr, $instr:ty) => {{
        // SAFETY: a handler runs only at instructions the translator emitted
        // with it, as the instruction type the handler decodes (what
        // `checked` builds verify in `decode_at`).
        #[allow(unused_unsafe)]
        let r = unsafe { $crate::exec::decode_at::<$instr>($ip, 0) };
        r
    }};
}

/// A frame slot number: an instruction's [`Slot`] operand, or a slot a
/// handler computed.
pub(crate) trait SlotIndex {
    fn index(self) -> usize;
}

impl SlotIndex for Slot {
    #[inline(always)]
    fn index(self) -> usize {
        self.0 as usize
    }
}

impl SlotIndex for SlotOrImm {
    #[inline(always)]
    fn index(self) -> usize {
        self.0 as usize
    }
}

impl SlotIndex for u32 {
    #[inline(always)]
    fn index(self) -> usize {
        self as usize
    }
}

impl SlotIndex for usize {
    #[inline(always)]
    fn index(self) -> usize {
        self
    }
}

/// Reads frame slot `s`.
macro_rules! get {
    ($fp:expr, $ctx:expr, $s:expr) => {{
        let s = $crate::exec::SlotIndex::index($s);
        #[cfg(feature = "checked")]
        $ctx.check_slot($fp, s);
        // SAFETY: every slot operand is below the frame size, and the frame
        // fits the value stack (checked when the frame was pushed).
        unsafe { *$fp.add(s) }
    }};
}

/// Writes frame slot `s`.
macro_rules! set {
    ($fp:expr, $ctx:expr, $s:expr, $v:expr) => {{
        let s = $crate::exec::SlotIndex::index($s);
        let v: u64 = $v;
        #[cfg(feature = "checked")]
        $ctx.check_slot($fp, s);
        // SAFETY: as for `get!`.
        unsafe { *$fp.add(s) = v }
    }};
}

/// Continues with the instruction at `ip` (a tail call), handing it `acc`.
///
/// `acc` travels in a register from handler to handler: an instruction
/// that computes a scalar passes its result on, and the translator lets
/// the instruction right after it (and only that one, with no branch
/// target between them) read that operand from `acc` instead of from its
/// slot. The chain of a computation then runs through registers instead of
/// a store and a reload per step; every result is still written to its
/// slot. Handlers with nothing to pass on pass on what they received.
macro_rules! next {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr) => {{
        let ip: $crate::exec::Ip = $crate::exec::NextIp::ip($ip);
        let acc: u64 = $acc;
        // SAFETY: `ip` is the start of an instruction of the running
        // function, whose first word is a handler address written by the
        // translator.
        let h: $crate::exec::RawHandler = unsafe { std::mem::transmute::<usize, _>(*ip as usize) };
        return unsafe { h(ip, $fp, $mem, $len, $ctx, acc) };
    }};
}

/// Leaves the chain with a trap of the given kind at `ip`.
macro_rules! trap {
    ($ip:expr, $ctx:expr, $kind:expr) => {{
        return $crate::exec::raise($ip, $ctx, $kind);
    }};
}

pub(crate) use {decode, get, next, set, trap};

/// `checked` builds verify the contract between translator and executor:
/// a handler decodes exactly the instruction the translator emitted.
#[cfg(all(test, feature = "checked"))]
mod checked_tests {
    use super::decode_at;
    use crate::ir::isa::{Move, Slot, Unary};
    use crate::ir::{CodeBuilder, h};

    fn code_with_unary() -> Box<[u64]> {
        let mut b = CodeBuilder::default();
        let ops = Unary {
            dst: Slot(0),
            a: Slot(1),
        };
        b.emit(h!(crate::exec::copy::<crate::exec::PassThrough>), ops);
        b.finish().0
    }

    #[test]
    fn decoding_the_emitted_instruction_reads_its_operands_and_length() {
        let code = code_with_unary();
        // SAFETY: the code holds one `Unary`.
        let (o, next) = unsafe { decode_at::<Unary>(code.as_ptr(), 0) };
        assert_eq!((o.dst, o.a), (Slot(0), Slot(1)));
        assert_eq!(next.ip(), code.as_ptr().wrapping_add(code.len()));
    }

    #[test]
    #[should_panic(expected = "handler decodes `move`")]
    fn decoding_another_instruction_panics() {
        let code = code_with_unary();
        // The layouts agree (two slots), but the instruction does not.
        // SAFETY: a `Move` has the same size; the guard check panics first.
        let _ = unsafe { decode_at::<Move>(code.as_ptr(), 0) };
    }
}
