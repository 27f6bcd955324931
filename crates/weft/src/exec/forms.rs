//! The choices a handler's variants are made of, as types: a generic
//! handler takes one of each kind it needs (`load::<Load32, Addr32,
//! FromAcc>`), so its instantiations, and the names listings print, say
//! what they do.

/// Where a handler's register operand comes from: [`FromSlot`] or
/// [`FromAcc`] (the previous instruction's result, see `next!`).
pub(crate) trait Source {
    /// Whether it comes from `acc`.
    const ACC: bool;
}

/// The operand is read from its slot.
pub(crate) struct FromSlot;
/// The operand is the previous instruction's result, in `acc`.
pub(crate) struct FromAcc;

impl Source for FromSlot {
    const ACC: bool = false;
}
impl Source for FromAcc {
    const ACC: bool = true;
}

/// Which operand of a binary operator, if any, a handler reads from `acc`
/// instead of its slot: one of [`Slots`], [`AccFirst`], [`AccSecond`].
pub(crate) trait AccOperand {
    /// The first operand comes from `acc`.
    const FIRST: bool;
    /// The second operand comes from `acc`.
    const SECOND: bool;
}

/// Both operands from their slots.
pub(crate) struct Slots;
/// The first operand from `acc`.
pub(crate) struct AccFirst;
/// The second operand from `acc`.
pub(crate) struct AccSecond;

impl AccOperand for Slots {
    const FIRST: bool = false;
    const SECOND: bool = false;
}
impl AccOperand for AccFirst {
    const FIRST: bool = true;
    const SECOND: bool = false;
}
impl AccOperand for AccSecond {
    const FIRST: bool = false;
    const SECOND: bool = true;
}

/// What a `SlotOrImm` operand holds: [`SlotOperand`] or [`ImmOperand`].
pub(crate) trait Second {
    /// Whether it is an immediate.
    const IMM: bool;
}

/// The operand is a slot.
pub(crate) struct SlotOperand;
/// The operand is a 32-bit immediate.
pub(crate) struct ImmOperand;

impl Second for SlotOperand {
    const IMM: bool = false;
}
impl Second for ImmOperand {
    const IMM: bool = true;
}

/// Which side of a binary operator an immediate is on: [`ImmRight`]
/// (`a OP imm`) or [`ImmLeft`] (`imm OP a`).
pub(crate) trait ImmSide {
    /// Whether the immediate is the first operand.
    const FIRST: bool;
}

/// `a OP imm`.
pub(crate) struct ImmRight;
/// `imm OP a`.
pub(crate) struct ImmLeft;

impl ImmSide for ImmRight {
    const FIRST: bool = false;
}
impl ImmSide for ImmLeft {
    const FIRST: bool = true;
}

/// When a conditional branch is taken: [`IfTrue`] or [`IfFalse`].
pub(crate) trait Sense {
    /// Whether it is taken when its condition is false.
    const NEG: bool;
}

/// Taken when the condition holds.
pub(crate) struct IfTrue;
/// Taken when the condition does not hold.
pub(crate) struct IfFalse;

impl Sense for IfTrue {
    const NEG: bool = false;
}
impl Sense for IfFalse {
    const NEG: bool = true;
}

/// What `br_zero` tests for: [`OnZero`] or [`OnNonZero`].
pub(crate) trait ZeroTest {
    /// Whether it branches on zero.
    const ZERO: bool;
}

/// Branch if zero.
pub(crate) struct OnZero;
/// Branch if nonzero.
pub(crate) struct OnNonZero;

impl ZeroTest for OnZero {
    const ZERO: bool = true;
}
impl ZeroTest for OnNonZero {
    const ZERO: bool = false;
}

/// A call, or a tail call replacing the caller's frame: [`Plain`] or
/// [`Tail`].
pub(crate) trait CallKind {
    /// Whether it is a tail call.
    const TAIL: bool;
}

/// A call that returns here.
pub(crate) struct Plain;
/// A tail call (`return_call*`).
pub(crate) struct Tail;

impl CallKind for Plain {
    const TAIL: bool = false;
}
impl CallKind for Tail {
    const TAIL: bool = true;
}

/// The index width of memory 0: [`Addr32`] or [`Addr64`].
pub(crate) trait Width {
    /// Whether it is a 64-bit memory.
    const M64: bool;
}

/// A 32-bit memory.
pub(crate) struct Addr32;
/// A 64-bit memory.
pub(crate) struct Addr64;

impl Width for Addr32 {
    const M64: bool = false;
}
impl Width for Addr64 {
    const M64: bool = true;
}
