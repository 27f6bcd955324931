//! weft's Component Model runtime, kept out of the executor's crate so that
//! changing it never recompiles the interpreter (see ARCHITECTURE.md).
//!
//! So far: [`Component`] (a component validated by wasmparser, with its
//! top-level imports and exports), and the resource machinery the
//! Canonical ABI's handle operations run on ([`resources`]): per-instance
//! handle tables of own and borrow handles, and the call scopes that tie
//! borrows to the call they were lent for. Instantiation, the `Linker` and
//! lifting/lowering of component values come next (issue 12).

#![forbid(unsafe_code)]

mod component;
pub mod resources;

pub use component::{Component, ItemKind};
