//! The choices a handler's variants are made of, as types: a generic
//! handler takes one of each kind it needs (`load::<Load32, Addr32,
//! FromAcc>`), so its instantiations, and the names listings print, say
//! what they do.

/// Declares a two-way choice: a trait with one `bool` constant, and the
/// two types that make it (`true` first).
macro_rules! choice {
    ($(#[$doc:meta])* $trait:ident::$flag:ident,
     $(#[$yes_doc:meta])* $yes:ident,
     $(#[$no_doc:meta])* $no:ident) => {
        $(#[$doc])*
        pub(crate) trait $trait {
            /// Which of the two it is.
            const $flag: bool;
        }
        $(#[$yes_doc])*
        pub(crate) struct $yes;
        $(#[$no_doc])*
        pub(crate) struct $no;
        impl $trait for $yes {
            const $flag: bool = true;
        }
        impl $trait for $no {
            const $flag: bool = false;
        }
    };
}

choice!(
    /// Where a handler's register operand comes from: `ACC` for `acc`, the
    /// previous instruction's result (see `next!`).
    Source::ACC,
    /// The operand is the previous instruction's result, in `acc`.
    FromAcc,
    /// The operand is read from its slot.
    FromSlot
);

choice!(
    /// What a `SlotOrImm` operand holds.
    Second::IMM,
    /// A 32-bit immediate.
    ImmOperand,
    /// A slot.
    SlotOperand
);

choice!(
    /// What a move passes on in `acc`: with `ON`, the value it wrote last
    /// (right before a loop whose header reads it from there), else the
    /// `acc` it received.
    Passing::ON,
    /// Passes the moved value on.
    PassOn,
    /// Passes `acc` through.
    PassThrough
);

choice!(
    /// Which side of a binary operator an immediate is on.
    ImmSide::FIRST,
    /// `imm OP a`.
    ImmLeft,
    /// `a OP imm`.
    ImmRight
);

choice!(
    /// When a conditional branch is taken: with `NEG`, when its condition
    /// does not hold.
    Sense::NEG,
    /// Taken when the condition does not hold.
    IfFalse,
    /// Taken when the condition holds.
    IfTrue
);

choice!(
    /// What `br_zero` branches on.
    ZeroTest::ZERO,
    /// Branch if zero.
    OnZero,
    /// Branch if nonzero.
    OnNonZero
);

choice!(
    /// A call, or a tail call replacing the caller's frame.
    CallKind::TAIL,
    /// A tail call (`return_call*`).
    Tail,
    /// A call that returns here.
    Plain
);

choice!(
    /// The index width of memory 0.
    Width::M64,
    /// A 64-bit memory.
    Addr64,
    /// A 32-bit memory.
    Addr32
);

choice!(
    /// How a packed (`i8`/`i16`) field or an i31 widens to an `i32`.
    Extension::SIGNED,
    /// Sign-extended (`struct.get_s`, `array.get_s`, `i31.get_s`).
    SignExtend,
    /// Zero-extended (`_u`, and every unpacked field).
    ZeroExtend
);

choice!(
    /// The width of a field read or written as a plain word: an `i32`,
    /// `f32` or GC reference field (4 bytes) or an `i64`/`f64` one (8):
    /// nothing to extend and nothing to check.
    FieldWord::WIDE,
    /// An 8-byte field.
    Word64,
    /// A 4-byte field.
    Word32
);

choice!(
    /// Whether a reference test or cast lets null through.
    Nullability::NULLABLE,
    /// `(ref null ht)`: null passes.
    OrNull,
    /// `(ref ht)`: null fails.
    NonNull
);

choice!(
    /// Which kind of segment `array.new_*`/`array.init_*` read.
    SegmentKind::DATA,
    /// A data segment (`array.new_data`, `array.init_data`).
    DataSegment,
    /// An element segment (`array.new_elem`, `array.init_elem`).
    ElemSegment
);

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
