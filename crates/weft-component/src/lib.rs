//! weft's Component Model runtime, kept out of the executor's crate so that
//! changing it never recompiles the interpreter (see ARCHITECTURE.md).
//!
//! So far: [`Component`] (a component validated by wasmparser, with its
//! top-level imports and exports), component [`Type`]s and [`Val`]ues with
//! their Canonical ABI layout in memory ([`abi`]), and the resource machinery the
//! Canonical ABI's handle operations run on ([`resources`]): per-instance
//! handle tables of own and borrow handles, and the call scopes that tie
//! borrows to the call they were lent for. Instantiation, the `Linker` and
//! lifting/lowering of component values come next (issue 12).

#![forbid(unsafe_code)]

pub mod abi;
mod component;
pub mod flat;
pub mod resources;
mod values;

pub use component::{Component, ItemKind};
pub use values::{Type, Val};
