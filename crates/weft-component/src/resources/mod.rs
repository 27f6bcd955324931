//! Resource handles as the Canonical ABI defines them: a [`HandleTable`]
//! per component instance (and one for the host) holds own and borrow
//! handles; [`CallScopes`] tracks, for each lifted call in progress, the
//! borrows given to the callee and the own handles lent for it. Every
//! misuse is a [`ResourceError`] with the specification's meaning, which
//! the runtime turns into a trap (Wasm caused it) or an `Err` (the
//! embedder did).

mod resource_type;
mod scopes;
mod table;

pub use resource_type::ResourceType;
pub use scopes::{CallScopes, ScopeId};
pub use table::{Dropped, HandleTable};

/// Why a handle operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// The index is out of range or names a free slot.
    #[error("unknown handle index {0}")]
    UnknownHandle(u32),
    /// The slot holds a resource of another type than the access names.
    #[error(
        "handle index {index} used with the wrong type, expected {expected} but found {}{found}",
        if expected.origin == found.origin { "a different " } else { "" }
    )]
    WrongType {
        /// The handle.
        index: u32,
        /// The type the access named.
        expected: ResourceType,
        /// The type the slot holds.
        found: ResourceType,
    },
    /// Dropping or passing on an own handle that is lent to a call.
    #[error("cannot remove owned resource while borrowed")]
    Borrowed,
    /// Passing ownership out of a borrow handle.
    #[error("cannot lift own resource from a borrow")]
    OwnFromBorrow,
    /// A call returned while a borrow handle given to it was still live.
    #[error("borrow handles still remain at the end of the call")]
    BorrowsRemain,
    /// The table holds as many handles as a handle can number.
    #[error("cannot allocate another handle")]
    TableFull,
    /// An own handle lent more times than its counter can say.
    #[error("too many borrows of one resource")]
    TooManyLends,
    /// A scope operation on a call scope that is not open.
    #[error("no such call scope")]
    NoScope,
}
