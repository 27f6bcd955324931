//! weft-wasi: WASI preview 1 (`wasi_snapshot_preview1`) for the weft
//! WebAssembly runtime.
//!
//! A [`WasiCtx`], built by a [`WasiCtxBuilder`], holds what one guest may
//! use: its arguments and environment, its standard streams, and the host
//! directories (and sockets) it was granted. [`add_to_linker`] defines all
//! 46 WASI functions in a [`weft::Linker`]; they find the context in the
//! store's data through the accessor it is given.
//!
//! Files are reached only through `cap-std` directory capabilities: a
//! guest sees nothing of the host that was not pre-opened for it, and
//! neither `..` nor a symbolic link can lead it out of a pre-opened
//! directory (`ENOTCAPABLE`). Every pointer and length a guest passes is
//! bounds-checked: a bad one is `EFAULT`, never a host panic.
//!
//! `proc_exit` ends the guest's run with an error carrying [`I32Exit`]:
//!
//! ```no_run
//! use weft::{Engine, Linker, Module, Store};
//! use weft_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};
//!
//! let engine = Engine::default();
//! let module = Module::from_file(&engine, "app.wasm")?;
//! let mut linker = Linker::new(&engine);
//! weft_wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx)?;
//! let ctx = WasiCtxBuilder::new()
//!     .arg("app.wasm")
//!     .inherit_stdio()
//!     .preopened_dir("data", ".")
//!     .map_err(weft::Error::host)?
//!     .build();
//! let mut store = Store::new(&engine, ctx);
//! let instance = linker.instantiate(&mut store, &module)?;
//! let start = instance.get_typed_func::<(), ()>(&store, "_start")?;
//! let status = match start.call(&mut store, ()) {
//!     Ok(()) => 0,
//!     Err(e) => I32Exit::from_error(&e).ok_or(e)?,
//! };
//! std::process::exit(status);
//! # Ok::<(), weft::Error>(())
//! ```

#![warn(missing_docs)]

mod host;
mod p1;
#[cfg(feature = "p2")]
pub mod p2;

pub use host::ctx::{RandomSource, WasiCtx, WasiCtxBuilder};
pub use host::errno::Errno;
pub use host::stdio::OutputBuffer;
pub use p1::abi;
pub use p1::linker::{FUNCTIONS, add_to_linker};
pub use p1::proc::I32Exit;
