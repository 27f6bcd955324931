//! WASI preview 1 (`wasi_snapshot_preview1`): the binding of the 46 core
//! module functions onto the host layer (`crate::host`): its constants and
//! layouts, guest memory access, and the `fd_*`, `path_*`, clock and poll,
//! process and socket functions that [`add_to_linker`](linker::add_to_linker)
//! defines.

pub mod abi;
pub(crate) mod fs;
pub(crate) mod linker;
pub(crate) mod memory;
pub(crate) mod path;
pub(crate) mod poll;
pub(crate) mod proc;
pub(crate) mod sock;
