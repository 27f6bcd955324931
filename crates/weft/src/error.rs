//! The one error type of the library, and traps with their kind and Wasm
//! backtrace.

use std::fmt;

/// The kinds of trap the specification names, plus the runtime's own limits.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapKind {
    /// `unreachable` was executed.
    Unreachable,
    /// A memory access outside the memory's bounds.
    MemoryOutOfBounds,
    /// A table access outside the table's bounds.
    TableOutOfBounds,
    /// `call_indirect` to a null table entry.
    UninitializedElement,
    /// `call_indirect` index past the end of the table.
    UndefinedElement,
    /// `call_indirect` to a function of the wrong type.
    IndirectCallTypeMismatch,
    /// Signed integer overflow in division or truncation.
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// A float that cannot be converted to an integer.
    InvalidConversionToInteger,
    /// The Wasm call stack exceeded its configured limit.
    StackExhausted,
    /// `call_ref` or `return_call_ref` on a null function reference.
    NullFunctionReference,
    /// A null reference where a non-null one was required.
    NullReference,
    /// A struct access through a null reference.
    NullStructReference,
    /// An array access through a null reference.
    NullArrayReference,
    /// `i31.get_s`/`i31.get_u` of a null reference.
    NullI31Reference,
    /// The store's GC heap cannot hold another object within its limit.
    GcHeapOutOfMemory,
    /// A GC object is not what its reference's type promises: the heap
    /// was corrupted (never by weft's own code).
    CorruptedGcHeap,
    /// A failed reference cast.
    CastFailure,
    /// An out-of-bounds array access.
    ArrayOutOfBounds,
    /// An allocation that exceeds the heap's limits.
    AllocationTooLarge,
    /// A host function reported a failure.
    HostError,
    /// The store ran out of fuel.
    OutOfFuel,
    /// The store's epoch deadline passed.
    Interrupt,
    /// A resource limiter refused to grow a memory or table and asked
    /// for a trap instead of the failure result.
    GrowthRefused,
    /// A component broke a rule of the Canonical ABI (an unaligned
    /// pointer, an invalid string, a misused resource handle, ...); the
    /// trap's detail says which.
    CanonicalAbi,
}

impl TrapKind {
    /// The message the specification's test suite uses for this trap.
    pub fn message(&self) -> &'static str {
        match self {
            TrapKind::Unreachable => "unreachable",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::TableOutOfBounds => "out of bounds table access",
            TrapKind::UninitializedElement => "uninitialized element",
            TrapKind::UndefinedElement => "undefined element",
            TrapKind::IndirectCallTypeMismatch => "indirect call type mismatch",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::IntegerDivisionByZero => "integer divide by zero",
            TrapKind::InvalidConversionToInteger => "invalid conversion to integer",
            TrapKind::StackExhausted => "call stack exhausted",
            TrapKind::NullFunctionReference => "null function reference",
            TrapKind::NullReference => "null reference",
            TrapKind::NullStructReference => "null structure reference",
            TrapKind::NullArrayReference => "null array reference",
            TrapKind::NullI31Reference => "null i31 reference",
            TrapKind::GcHeapOutOfMemory => "GC heap out of memory",
            TrapKind::CorruptedGcHeap => "corrupted GC heap",
            TrapKind::CastFailure => "cast failure",
            TrapKind::ArrayOutOfBounds => "out of bounds array access",
            TrapKind::AllocationTooLarge => "allocation size too large",
            TrapKind::HostError => "host error",
            TrapKind::OutOfFuel => "all fuel consumed",
            TrapKind::Interrupt => "interrupt",
            TrapKind::GrowthRefused => "memory or table growth refused by the resource limiter",
            TrapKind::CanonicalAbi => "canonical ABI violation",
        }
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// One Wasm function on the stack when a trap happened, innermost first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// The name the module gives itself in its name section, if any.
    pub module_name: Option<String>,
    /// The function's index in its module's function index space.
    pub func_index: u32,
    /// The function's name from the name section, if any.
    pub func_name: Option<String>,
    /// The byte offset of the instruction in the module, if known.
    pub offset: Option<u64>,
}

impl fmt::Display for FrameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.module_name {
            write!(f, "{m}!")?;
        }
        match &self.func_name {
            Some(n) => write!(f, "{n}")?,
            None => write!(f, "<wasm function {}>", self.func_index)?,
        }
        if let Some(o) = self.offset {
            write!(f, " @ {o:#x}")?;
        }
        Ok(())
    }
}

/// A trap: the kind and the Wasm frames active when it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    kind: TrapKind,
    backtrace: Vec<FrameInfo>,
    detail: Option<String>,
}

impl Trap {
    pub(crate) fn new(kind: TrapKind) -> Trap {
        Trap {
            kind,
            backtrace: Vec::new(),
            detail: None,
        }
    }

    pub(crate) fn with_detail(kind: TrapKind, detail: String) -> Trap {
        Trap {
            detail: Some(detail),
            ..Trap::new(kind)
        }
    }

    pub(crate) fn with_backtrace(mut self, backtrace: Vec<FrameInfo>) -> Trap {
        self.backtrace = backtrace;
        self
    }

    /// The kind of trap.
    pub fn kind(&self) -> TrapKind {
        self.kind
    }

    /// The Wasm frames active when the trap happened, innermost first.
    pub fn backtrace(&self) -> &[FrameInfo] {
        &self.backtrace
    }

    /// What the trap's kind alone does not say (for a Canonical ABI trap,
    /// the rule that was broken).
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.detail, self.kind) {
            // The broken rule says all there is to say.
            (Some(d), TrapKind::CanonicalAbi) => write!(f, "wasm trap: {d}")?,
            (Some(d), kind) => write!(f, "wasm trap: {kind}: {d}")?,
            (None, kind) => write!(f, "wasm trap: {kind}")?,
        }
        if !self.backtrace.is_empty() {
            f.write_str("\nwasm backtrace:")?;
            for (i, fr) in self.backtrace.iter().enumerate() {
                write!(f, "\n  {i:>3}: {fr}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Trap {}

/// Every way a weft operation can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a well-formed module, or it failed validation.
    #[error("invalid module: {message} (at offset {offset:#x})")]
    Invalid {
        /// The validator's message.
        message: String,
        /// Byte offset of the problem in the module.
        offset: usize,
    },
    /// The text format could not be parsed.
    #[error("{0}")]
    Text(String),
    /// The module uses something weft does not support.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// An import could not be satisfied.
    #[error("{0}")]
    Link(#[from] LinkError),
    /// Execution trapped.
    #[error(transparent)]
    Trap(#[from] Trap),
    /// A Wasm exception escaped to the embedder (its tag and payload are
    /// in the store).
    #[error("{0}")]
    Exception(crate::exception::Exception),
    /// A host function failed.
    #[error("host function failed: {0}")]
    Host(Box<dyn std::error::Error + Send + Sync>),
    /// The embedding API was used wrongly (wrong store, wrong types, ...).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// The exception, if this error is an uncaught Wasm exception.
    pub fn as_exception(&self) -> Option<crate::exception::Exception> {
        match self {
            Error::Exception(e) => Some(*e),
            _ => None,
        }
    }

    /// The trap, if this error is one.
    pub fn as_trap(&self) -> Option<&Trap> {
        match self {
            Error::Trap(t) => Some(t),
            _ => None,
        }
    }

    /// Wraps any error raised by host code.
    pub fn host(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
        Error::Host(e.into())
    }

    pub(crate) fn usage(msg: impl Into<String>) -> Error {
        Error::Usage(msg.into())
    }
}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        Error::Invalid {
            message: e.message().to_string(),
            offset: e.offset() as usize,
        }
    }
}

/// Why an import could not be satisfied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// Nothing is defined under the import's name.
    #[error("unknown import: `{module}::{name}` has not been defined")]
    UnknownImport {
        /// Module name of the import.
        module: String,
        /// Field name of the import.
        name: String,
    },
    /// Something is defined under the name, but of an incompatible type.
    #[error("incompatible import type for `{module}::{name}`: {reason}")]
    IncompatibleType {
        /// Module name of the import.
        module: String,
        /// Field name of the import.
        name: String,
        /// What did not match.
        reason: String,
    },
}

/// Shorthand for results with weft's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
