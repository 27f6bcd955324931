//! WASI preview 2 for components: every interface of
//! `wasi:cli/imports@0.2` (any 0.2.x a component imports links by semver),
//! on the same [`WasiCtx`] preview 1 uses: the same arguments, environment,
//! standard streams, preopened directories and random source.
//!
//! ```no_run
//! use weft::{Engine, Store};
//! use weft_component::{Component, Linker};
//! use weft_wasi::WasiCtxBuilder;
//!
//! let engine = Engine::default();
//! let component = Component::from_file(&engine, "app.wasm")?;
//! let mut linker = Linker::new(&engine);
//! weft_wasi::p2::add_to_linker(&mut linker, |ctx: &mut weft_wasi::WasiCtx| ctx)?;
//! let ctx = WasiCtxBuilder::new().arg("app").inherit_stdio().build();
//! let mut store = Store::new(&engine, ctx);
//! let status = weft_wasi::p2::run(&mut store, &component, &linker)?;
//! std::process::exit(status);
//! # Ok::<(), weft::Error>(())
//! ```
//!
//! The host's resources (streams, pollables, descriptors, sockets) live
//! in the context's [`ResourceTable`](weft_component::ResourceTable).

mod cli;
mod clocks;
pub(crate) mod filesystem;
pub(crate) mod io;
mod random;
mod sockets;

use crate::WasiCtx;
use weft::{AsContextMut, Result};
use weft_component::{Component, Linker};

/// The bindings `bindgen!` makes of weft's world (`wit/world.wit`), with
/// the host's own types for the resources it keeps.
#[allow(missing_docs, clippy::all, dead_code)]
pub(crate) mod bindings {
    weft_component::bindgen!({
        world: "weft:wasi/wasi-host",
        path: "wit",
        with: {
            "wasi:filesystem/types/descriptor": crate::p2::filesystem::Descriptor,
            "wasi:filesystem/types/directory-entry-stream": crate::p2::filesystem::DirectoryEntryStream,
            "wasi:io/error/error": crate::p2::io::IoError,
            "wasi:io/poll/pollable": crate::p2::io::Pollable,
            "wasi:io/streams/input-stream": crate::p2::io::InputStream,
            "wasi:io/streams/output-stream": crate::p2::io::OutputStream,
            "wasi:sockets/network/network": crate::p2::sockets::Network,
            "wasi:sockets/tcp/tcp-socket": crate::p2::sockets::TcpSocket,
            "wasi:sockets/udp/udp-socket": crate::p2::sockets::UdpSocket,
            "wasi:sockets/udp/incoming-datagram-stream": crate::p2::sockets::IncomingDatagramStream,
            "wasi:sockets/udp/outgoing-datagram-stream": crate::p2::sockets::OutgoingDatagramStream,
            "wasi:sockets/ip-name-lookup/resolve-address-stream": crate::p2::sockets::ResolveAddressStream,
        },
    });
}

/// Defines every WASI 0.2 interface in `linker`; `get` finds the
/// [`WasiCtx`] in the store's data.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut WasiCtx,
) -> Result<()> {
    use bindings::wasi;
    wasi::cli::environment::add_to_linker(linker, get)?;
    wasi::cli::exit::add_to_linker(linker, get)?;
    wasi::cli::stdin::add_to_linker(linker, get)?;
    wasi::cli::stdout::add_to_linker(linker, get)?;
    wasi::cli::stderr::add_to_linker(linker, get)?;
    wasi::cli::terminal_input::add_to_linker(linker, get)?;
    wasi::cli::terminal_output::add_to_linker(linker, get)?;
    wasi::cli::terminal_stdin::add_to_linker(linker, get)?;
    wasi::cli::terminal_stdout::add_to_linker(linker, get)?;
    wasi::cli::terminal_stderr::add_to_linker(linker, get)?;
    wasi::io::error::add_to_linker(linker, get)?;
    wasi::io::poll::add_to_linker(linker, get)?;
    wasi::io::streams::add_to_linker(linker, get)?;
    wasi::clocks::monotonic_clock::add_to_linker(linker, get)?;
    wasi::clocks::wall_clock::add_to_linker(linker, get)?;
    wasi::filesystem::types::add_to_linker(linker, get)?;
    wasi::filesystem::preopens::add_to_linker(linker, get)?;
    wasi::random::random::add_to_linker(linker, get)?;
    wasi::random::insecure::add_to_linker(linker, get)?;
    wasi::random::insecure_seed::add_to_linker(linker, get)?;
    wasi::sockets::network::add_to_linker(linker, get)?;
    wasi::sockets::instance_network::add_to_linker(linker, get)?;
    wasi::sockets::tcp::add_to_linker(linker, get)?;
    wasi::sockets::tcp_create_socket::add_to_linker(linker, get)?;
    wasi::sockets::udp::add_to_linker(linker, get)?;
    wasi::sockets::udp_create_socket::add_to_linker(linker, get)?;
    wasi::sockets::ip_name_lookup::add_to_linker(linker, get)?;
    Ok(())
}

/// Instantiates `component` and calls its `wasi:cli/run` export: the exit
/// status (0 for `ok`, 1 for `err`, or what `exit-with-code` gave).
pub fn run<T: 'static>(
    mut store: impl AsContextMut<Data = T>,
    component: &Component,
    linker: &Linker<T>,
) -> Result<i32> {
    let instance = linker.instantiate(&mut store, component)?;
    // Whichever 0.2.x of `wasi:cli/run` the component exports.
    let run = instance
        .export_names()
        .find(|n| n.starts_with("wasi:cli/run@0.2."))
        .and_then(|name| instance.get_func(&store, &format!("{name}#run")))
        .ok_or_else(|| {
            weft::Error::Usage("the component exports no `wasi:cli/run@0.2` `run`".into())
        })?;
    let run = run.typed::<(), (std::result::Result<(), ()>,)>()?;
    match run.call(&mut store, ()) {
        Ok((Ok(()),)) => Ok(0),
        Ok((Err(()),)) => Ok(1),
        Err(e) => crate::I32Exit::from_error(&e).ok_or(e),
    }
}
