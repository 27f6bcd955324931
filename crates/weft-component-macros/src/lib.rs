//! Procedural macros for weft's Component Model runtime, used through
//! their re-exports in `weft_component` (`weft_component::bindgen!`,
//! `weft_component::flags!`, `#[derive(weft_component::ComponentType,
//! weft_component::Lift, weft_component::Lower)]`). They are a crate of
//! their own because Rust requires procedural macros to be; generated code
//! names only `::weft_component` and `::weft`, so a crate that uses them
//! depends on those two.
//!
//! - The derives ([`ComponentType`], [`Lift`], [`Lower`]) make a Rust
//!   struct or enum stand for a component record, variant or enum, so it
//!   can be a parameter or result of a `TypedFunc` or `func_wrap`.
//! - [`flags!`] makes a bit-set type for a component `flags` type.
//! - [`bindgen!`] reads a WIT world and generates all of the above for its
//!   types, traits for the host to implement its imports, and a struct to
//!   instantiate a component of the world and call its exports.
//!
//! # Records, variants and enums
//!
//! ```
//! use weft_component::{ComponentType, Lift, Lower, Type};
//!
//! #[derive(ComponentType, Lift, Lower, Debug, PartialEq)]
//! #[component(record)]
//! struct Point {
//!     x: i32,
//!     // The WIT name is the field's, kebab-cased, unless given.
//!     #[component(name = "y-coord")]
//!     y: i32,
//! }
//!
//! #[derive(ComponentType, Lift, Lower, Debug, PartialEq)]
//! #[component(variant)]
//! enum Shape {
//!     Circle(f64),
//!     Rect(Point),
//!     Empty,
//! }
//!
//! #[derive(ComponentType, Lift, Lower, Debug, PartialEq)]
//! #[component(enum)]
//! enum Color {
//!     Red,
//!     #[component(name = "leaf-green")]
//!     Green,
//! }
//!
//! let point = Type::Record(vec![("x".into(), Type::S32), ("y-coord".into(), Type::S32)]);
//! Point::typecheck(&point).unwrap();
//! let shape = Type::Variant(vec![
//!     ("circle".into(), Some(Type::Float64)),
//!     ("rect".into(), Some(point)),
//!     ("empty".into(), None),
//! ]);
//! Shape::typecheck(&shape).unwrap();
//! let err = Color::typecheck(&Type::Enum(vec!["red".into(), "green".into()])).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "type mismatch: enum `Color` has cases `red, leaf-green`, and the component's has `red, green`"
//! );
//! ```
//!
//! # Flags
//!
//! ```
//! weft_component::flags! {
//!     pub Perms {
//!         const READ;
//!         const WRITE;
//!     }
//! }
//! assert_eq!((Perms::READ | Perms::WRITE).bits(), 0b11);
//! ```
//!
//! # Bindings of a WIT world
//!
//! A host resource mapped to the embedder's type with `with`, so that a
//! `ResourceTable` hands out the handles the generated traits take (see
//! [`bindgen!`] for everything generated):
//!
//! ```
//! mod bindings {
//!     weft_component::bindgen!({
//!         inline: "
//!             package example:kv;
//!             interface store {
//!                 resource bucket {
//!                     constructor(name: string);
//!                     get: func(key: string) -> option<string>;
//!                     set: func(key: string, value: string);
//!                 }
//!             }
//!             world app {
//!                 import store;
//!                 export run: func() -> u32;
//!             }
//!         ",
//!         with: { "example:kv/store/bucket": crate::Bucket },
//!     });
//! }
//!
//! use bindings::example::kv::store::{Host, HostBucket};
//! use std::collections::HashMap;
//! use weft::Error;
//! use weft_component::{Linker, Resource, ResourceTable};
//!
//! pub struct Bucket(HashMap<String, String>);
//!
//! #[derive(Default)]
//! struct State {
//!     table: ResourceTable,
//! }
//!
//! impl HostBucket for State {
//!     fn new(&mut self, _name: String) -> weft::Result<Resource<Bucket>> {
//!         self.table.push(Bucket(HashMap::new())).map_err(Error::host)
//!     }
//!     fn get(&mut self, b: Resource<Bucket>, key: String) -> weft::Result<Option<String>> {
//!         Ok(self.table.get(&b).map_err(Error::host)?.0.get(&key).cloned())
//!     }
//!     fn set(&mut self, b: Resource<Bucket>, key: String, value: String) -> weft::Result<()> {
//!         self.table.get_mut(&b).map_err(Error::host)?.0.insert(key, value);
//!         Ok(())
//!     }
//!     fn drop(&mut self, b: Resource<Bucket>) -> weft::Result<()> {
//!         self.table.delete(b).map_err(Error::host)?;
//!         Ok(())
//!     }
//! }
//!
//! impl Host for State {}
//!
//! fn main() -> weft::Result<()> {
//!     let engine = weft::Engine::default();
//!     let mut linker = Linker::<State>::new(&engine);
//!     bindings::App::add_to_linker(&mut linker, |s: &mut State| s)?;
//!     // Then, with a component of world `app`:
//!     // let app = bindings::App::instantiate(&mut store, &component, &linker)?;
//!     // let n = app.call_run(&mut store)?;
//!     Ok(())
//! }
//! ```

mod bindgen;
mod derive;
mod flags;
mod names;

use proc_macro::TokenStream;

fn derive_with(
    input: TokenStream,
    expand: fn(&derive::Item) -> proc_macro2::TokenStream,
) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match derive::parse(input) {
        Ok(item) => expand(&item).into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Derives `weft_component::ComponentType`: which component type a Rust
/// struct or enum stands for, checked by name and in order.
///
/// The item says what it is:
///
/// - `#[component(record)]` on a struct with named fields: a record whose
///   fields are the struct's, named by the field names in kebab-case
///   (`max_size` → `max-size`);
/// - `#[component(variant)]` on an enum whose variants have no field or
///   one unnamed field: a variant whose cases are the Rust variants, named
///   in kebab-case (`BigRect` → `big-rect`), with the field as payload;
/// - `#[component(enum)]` on an enum of unit variants: an enum.
///
/// `#[component(name = "...")]` on a field or variant gives its WIT name.
/// Type parameters must stand for component types too.
///
/// `typecheck` fails with a message naming what differs: the kind, the
/// list of names (both lists shown), a payload present on one side only,
/// or, prefixed by the record and field (or variant and case), the
/// member's own type mismatch:
///
/// ```
/// use weft_component::{ComponentType, Lift, Lower, Type};
///
/// #[derive(ComponentType, Lift, Lower)]
/// #[component(record)]
/// struct Point {
///     x: i32,
///     y: i64,
/// }
///
/// let ty = Type::Record(vec![("x".into(), Type::S32), ("y".into(), Type::S32)]);
/// let err = Point::typecheck(&ty).unwrap_err().to_string();
/// assert_eq!(
///     err,
///     "record `Point`, field `y`: type mismatch: `i64` does not stand for component type S32"
/// );
/// ```
#[proc_macro_derive(ComponentType, attributes(component))]
pub fn derive_component_type(input: TokenStream) -> TokenStream {
    derive_with(input, derive::component_type)
}

/// Derives `weft_component::Lift`: the Rust value of a component value
/// (`Val::Record`, `Val::Variant` or `Val::Enum` with the WIT names). See
/// [`ComponentType`](derive@ComponentType) for the attributes.
#[proc_macro_derive(Lift, attributes(component))]
pub fn derive_lift(input: TokenStream) -> TokenStream {
    derive_with(input, derive::lift)
}

/// Derives `weft_component::Lower`: the component value of a Rust value.
/// See [`ComponentType`](derive@ComponentType) for the attributes.
///
/// ```
/// use weft::{AsContextMut, Engine, Store};
/// use weft_component::{Lift, Lower, Val, ValCx};
/// # use weft_component::ComponentType;
///
/// #[derive(ComponentType, Lift, Lower, Debug, PartialEq)]
/// #[component(variant)]
/// enum Shape {
///     Circle(f64),
///     Empty,
/// }
///
/// let mut store = Store::new(&Engine::default(), ());
/// let mut cx = store.as_context_mut();
/// let mut cx = ValCx::new(&mut cx);
/// let val = Shape::Circle(2.0).lower(&mut cx).unwrap();
/// assert_eq!(val, Val::Variant("circle".into(), Some(Box::new(Val::Float64(2.0)))));
/// assert_eq!(Shape::lift(val, &mut cx).unwrap(), Shape::Circle(2.0));
/// ```
#[proc_macro_derive(Lower, attributes(component))]
pub fn derive_lower(input: TokenStream) -> TokenStream {
    derive_with(input, derive::lower)
}

/// Defines a Rust type for a component `flags` type.
///
/// The form is a type name, optionally with attributes (docs) and a
/// visibility before it, and its flags as `const` items in WIT order;
/// several types may be defined in one invocation:
///
/// ```
/// weft_component::flags! {
///     /// What a caller may do.
///     pub Perms {
///         #[component(name = "read")]
///         const READ;
///         const WRITE;
///         /// The WIT name defaults to the constant's, kebab-cased.
///         const NO_EXEC;
///     }
/// }
///
/// let p = Perms::READ | Perms::WRITE;
/// assert_eq!(p.bits(), 0b011);
/// assert!(p.contains(Perms::WRITE) && !p.contains(Perms::NO_EXEC));
/// assert_eq!(!p, Perms::NO_EXEC);
/// assert_eq!(p - Perms::READ, Perms::WRITE);
/// assert_eq!(Perms::NAMES, ["read", "write", "no-exec"]);
/// assert_eq!(format!("{p:?}"), "Perms(READ | WRITE)");
/// ```
///
/// The type is a `u32` of bits, flag `i` being bit `i` as in the
/// Canonical ABI (so at most 32 flags). It has a constant per flag,
/// `NAMES` (the WIT names), `empty`, `all`, `bits`, `from_bits` (refusing
/// bits that name no flag), `from_bits_truncate`, `is_empty`, `contains`,
/// `insert`, `remove`, the operators `|`, `&`, `^`, `-` (difference), `!`
/// (complement within the flags) and their assigning forms, `Debug`,
/// `Default` (empty), `Copy`, `Eq` and `Hash`, and implements
/// `ComponentType` (the WIT names must be the same, in order), `Lift` and
/// `Lower` (`Val::Flags` of the names set).
#[proc_macro]
pub fn flags(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as flags::Input);
    let types = input.0.iter().map(flags::expand);
    quote::quote!(#(#types)*).into()
}

/// Generates Rust bindings of a WIT world: its types, a trait per
/// imported interface for the host to implement, and a struct to
/// instantiate a component of the world and call its exports.
///
/// # Input
///
/// `bindgen!("world")` reads the WIT package in the crate's `wit` folder;
/// options in braces say more:
///
/// - `world: "name"`: the world (may be left out when the package has
///   one), `"ns:pkg/name"` for another package's;
/// - `path: "wit"`: a WIT folder (with its `deps`) or file, relative to
///   the crate's `CARGO_MANIFEST_DIR`;
/// - `inline: "package ...;"`: WIT text, the main package (any `path` is
///   then read first, for the packages it uses);
/// - `with: { "ns:pkg/interface/resource": path::To::Type }`: the
///   embedder's own Rust type for an imported resource (see below); the
///   name may have the package version or not.
///
/// The WIT files read become dependencies of the crate, so editing one
/// rebuilds it.
///
/// # Output
///
/// Invoke `bindgen!` in a module of its own (`mod bindings {
/// weft_component::bindgen!(...); }`): it makes a module per package
/// namespace (`weft`, `wasi`, ...), which could clash with the names of
/// crates used beside it.
///
/// For a world `test` that imports interface `weft:test/host-log` and
/// exports `weft:test/types` and a function `run`:
///
/// - Each imported interface gets a module `weft::test::host_log` (by
///   namespace, package and interface; an interface imported by a plain
///   name `foo` gets `foo`) with:
///   - its types: records, variants and enums as Rust structs and enums
///     with `#[derive(ComponentType, Lift, Lower)]`, flags through
///     [`flags!`], type aliases as `type` aliases; names in Rust case
///     (`echo-list` → `echo_list`, `point` → `Point`, a keyword gets a
///     `_` suffix);
///   - for each resource `logger`: a type `Logger` whose handles are
///     `Resource<Logger>`, and a trait `HostLogger` with a method per
///     constructor (`new`), method (taking `self_: Resource<Logger>`, a
///     borrow) and static function, and `drop(&mut self, rep:
///     Resource<Logger>) -> Result<()>`, called when the guest drops the
///     last own handle. `Logger` is an uninhabited marker (`enum Logger
///     {}`), the host keeping the data where it likes by `rep()`; with
///     `with: { "weft:test/host-log/logger": crate::MyLogger }` it is an
///     alias of `MyLogger`, so that `ResourceTable::push(MyLogger { .. })`
///     gives the `Resource<Logger>` to return directly;
///   - a trait `Host` (with every `HostLogger` as supertrait) with a
///     method per function, taking `&mut self` and the parameters and
///     returning `weft::Result<R>` (an `Err` traps the guest);
///   - `add_to_linker<T, U: Host>(linker: &mut Linker<T>, get: fn(&mut T)
///     -> &mut U) -> Result<()>`, defining the interface's resources and
///     functions (with `LinkerInstance::resource` and `func_wrap`) under
///     its full name, `weft:test/host-log@1.2.0` if the package has a
///     version.
/// - The world's own imported functions (and resources) get the same at
///   the top, the trait being named `TestImports` (the world's name,
///   UpperCamelCase, then `Imports`) so it cannot clash with an
///   interface's `Host`.
/// - Each exported interface gets a module `exports::weft::test::types`
///   with its types, a struct `Guest` with `call_<function>(&self, store,
///   args...) -> Result<R>` for each function, and for each resource
///   `counter` an accessor `counter()` returning a `GuestCounter` with
///   `call_constructor`, `call_<method>` and `call_<static>`; guest
///   resource handles are `ResourceAny`, dropped with
///   `ResourceAny::resource_drop`.
/// - The world struct `Test` has `add_to_linker` (every import's),
///   `instantiate(store, &component, &linker)` (instantiates, then looks
///   up and type-checks every export once, as a `TypedFunc`), `new(store,
///   &instance)` for an instance made otherwise, an accessor per exported
///   interface named by namespace, package and interface
///   (`weft_test_types()`, or the plain name), and `call_<function>` for
///   each exported function.
///
/// Only synchronous functions are supported; `future`, `stream`,
/// `error-context`, `map` and fixed-length lists are refused.
///
/// # Example
///
/// ```
/// mod bindings {
///     weft_component::bindgen!({
///         inline: "
///             package example:calc@1.0.0;
///             interface log {
///                 enum level { info, warn }
///                 log: func(level: level, msg: string);
///             }
///             world calc {
///                 import log;
///                 export add: func(a: u32, b: u32) -> u32;
///             }
///         ",
///     });
/// }
///
/// use bindings::example::calc::log::{Host, Level};
///
/// #[derive(Default)]
/// struct State {
///     lines: Vec<String>,
/// }
///
/// impl Host for State {
///     fn log(&mut self, level: Level, msg: String) -> weft::Result<()> {
///         self.lines.push(format!("{level:?}: {msg}"));
///         Ok(())
///     }
/// }
///
/// let engine = weft::Engine::default();
/// let mut linker = weft_component::Linker::<State>::new(&engine);
/// bindings::Calc::add_to_linker(&mut linker, |s: &mut State| s).unwrap();
/// // With a component of world `calc`:
/// // let calc = bindings::Calc::instantiate(&mut store, &component, &linker)?;
/// // assert_eq!(calc.call_add(&mut store, 1, 2)?, 3);
/// ```
#[proc_macro]
pub fn bindgen(input: TokenStream) -> TokenStream {
    match bindgen::expand(input.into()) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}
