//! weft's Component Model runtime, kept out of the executor's crate so that
//! changing it never recompiles the interpreter (see ARCHITECTURE.md).
//!
//! A [`Component`] is validated and translated into a plan of steps; a
//! [`Linker`] instantiates it in a `weft::Store`, its core modules running
//! on weft's executor, and gives an [`Instance`] whose [`Func`]s are called
//! with component [`Val`]s. The Canonical ABI ([`abi`], [`flat`]) lifts and
//! lowers values between the host and guests and between two guests;
//! resources live in per-instance handle tables ([`resources`]) and reach
//! the host as [`ResourceAny`] and [`Resource<T>`].

#![forbid(unsafe_code)]

pub mod abi;
mod component;
pub mod flat;
mod func;
mod handles;
mod instance;
mod linker;
mod resource_table;
pub mod resources;
mod state;
mod translate;
mod typed;
mod typed_func;
mod values;

pub use component::{Component, ItemKind};
pub use func::Func;
pub use handles::{Resource, ResourceAny};
pub use instance::Instance;
pub use linker::{Linker, LinkerInstance};
pub use resource_table::{ResourceTable, ResourceTableError};
pub use resources::ResourceType;
pub use typed::{
    ComponentNamedList, ComponentType, Lift, LiftList, Lower, LowerList, ValCx, bad_value, mismatch,
};
pub use typed_func::TypedFunc;
pub use values::{FuncType, Type, Val};
// The derives for records, variants and enums, `flags!` and `bindgen!`,
// documented in `weft-component-macros` (a crate of its own, as procedural
// macros must be).
pub use weft_component_macros::{ComponentType, Lift, Lower, bindgen, flags};
