//! `add_to_linker`: defines every `wasi_snapshot_preview1` function in a
//! `weft::Linker<T>`, each a host function that finds the guest's memory
//! and its `WasiCtx` and calls the implementation.

use crate::host::ctx::WasiCtx;
use crate::host::errno::Errno;
use crate::p1::abi::MODULE;
use crate::p1::memory::GuestMemory;
use crate::p1::proc::{I32Exit, Raise};
use crate::p1::{fs, path, poll, proc, sock};
use std::sync::Arc;
use weft::{Caller, Extern, Linker};

/// How the host functions reach the `WasiCtx` in the store's data.
type Getter<T> = Arc<dyn Fn(&mut T) -> &mut WasiCtx + Send + Sync>;

/// The value a WASI function returns: 0, or the error number.
fn errno(result: Result<(), Errno>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => e.raw(),
    }
}

/// Runs `f` with the guest's `WasiCtx` and its exported memory `memory`.
///
/// The context is moved out of the store's data for the call (a cheap,
/// allocation-free swap), so that `f` can hold it and the memory's bytes
/// at once; WASI functions never call back into Wasm, so nothing can see
/// the empty context left in its place.
fn with_memory<T>(
    caller: &mut Caller<'_, T>,
    get: &Getter<T>,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> Result<(), Errno>,
) -> weft::Result<i32> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(weft::Error::host(
            "a WASI function was called by a module that exports no memory named `memory`",
        ));
    };
    let mut ctx = std::mem::replace(get(caller.data_mut()), WasiCtx::empty());
    let result = f(&mut ctx, &mut GuestMemory::new(memory.data_mut(caller)));
    *get(caller.data_mut()) = ctx;
    Ok(errno(result))
}

/// Runs `f` with the guest's `WasiCtx` (for functions without pointers).
fn with_ctx<T>(
    caller: &mut Caller<'_, T>,
    get: &Getter<T>,
    f: impl FnOnce(&mut WasiCtx) -> Result<(), Errno>,
) -> weft::Result<i32> {
    Ok(errno(f(get(caller.data_mut()))))
}

/// Defines every function of `wasi_snapshot_preview1` in `linker`.
/// `get` finds the [`WasiCtx`] in the store's data.
///
/// `proc_exit` (and a terminating `proc_raise`) stops the guest with an
/// error that [`I32Exit::from_error`] turns back into the exit status.
/// A module calling a WASI function with pointers must export its memory
/// as `memory`, as WASI requires; otherwise the call fails with a host
/// error.
///
/// ```
/// use weft::{Engine, Linker, Module, Store};
/// use weft_wasi::{OutputBuffer, WasiCtx, WasiCtxBuilder};
///
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module
///     (import "wasi_snapshot_preview1" "fd_write"
///         (func $fd_write (param i32 i32 i32 i32) (result i32)))
///     (memory (export "memory") 1)
///     (data (i32.const 8) "hi\n")
///     (func (export "_start")
///         (i32.store (i32.const 0) (i32.const 8))
///         (i32.store (i32.const 4) (i32.const 3))
///         (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))"#)?;
/// let out = OutputBuffer::new();
/// let mut linker = Linker::new(&engine);
/// weft_wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx)?;
/// let mut store = Store::new(&engine, WasiCtxBuilder::new().stdout(&out).build());
/// let instance = linker.instantiate(&mut store, &module)?;
/// instance.get_typed_func::<(), ()>(&store, "_start")?.call(&mut store, ())?;
/// assert_eq!(out.contents(), b"hi\n");
/// # Ok::<(), weft::Error>(())
/// ```
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + 'static,
) -> weft::Result<()> {
    let get: Getter<T> = Arc::new(get);

    // A function whose arguments include guest pointers.
    macro_rules! mem {
        ($name:literal, $imp:path, ($($arg:ident: $ty:ty),*)) => {{
            let get = get.clone();
            linker.func_wrap(
                MODULE,
                $name,
                move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> weft::Result<i32> {
                    with_memory(&mut caller, &get, |ctx, mem| $imp(ctx, mem, $($arg),*))
                },
            )?;
        }};
    }
    // A function without guest pointers.
    macro_rules! plain {
        ($name:literal, $imp:path, ($($arg:ident: $ty:ty),*)) => {{
            let get = get.clone();
            linker.func_wrap(
                MODULE,
                $name,
                move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> weft::Result<i32> {
                    with_ctx(&mut caller, &get, |ctx| $imp(ctx, $($arg),*))
                },
            )?;
        }};
    }

    mem!("args_get", proc::args_get, (argv: u32, buf: u32));
    mem!("args_sizes_get", proc::args_sizes_get, (argc: u32, size: u32));
    mem!("environ_get", proc::environ_get, (env: u32, buf: u32));
    mem!("environ_sizes_get", proc::environ_sizes_get, (count: u32, size: u32));
    mem!("clock_res_get", poll::clock_res_get, (id: u32, ptr: u32));
    mem!("clock_time_get", poll::clock_time_get, (id: u32, precision: u64, ptr: u32));
    mem!("random_get", poll::random_get, (buf: u32, len: u32));
    mem!("poll_oneoff", poll::poll_oneoff, (input: u32, output: u32, n: u32, nevents: u32));
    plain!("sched_yield", poll::sched_yield, ());

    plain!("fd_advise", fs::fd_advise, (fd: u32, offset: u64, len: u64, advice: u32));
    plain!("fd_allocate", fs::fd_allocate, (fd: u32, offset: u64, len: u64));
    plain!("fd_close", fs::fd_close, (fd: u32));
    plain!("fd_datasync", fs::fd_datasync, (fd: u32));
    mem!("fd_fdstat_get", fs::fd_fdstat_get, (fd: u32, ptr: u32));
    plain!("fd_fdstat_set_flags", fs::fd_fdstat_set_flags, (fd: u32, flags: u32));
    plain!("fd_fdstat_set_rights", fs::fd_fdstat_set_rights, (fd: u32, base: u64, inheriting: u64));
    mem!("fd_filestat_get", fs::fd_filestat_get, (fd: u32, ptr: u32));
    plain!("fd_filestat_set_size", fs::fd_filestat_set_size, (fd: u32, size: u64));
    plain!("fd_filestat_set_times", fs::fd_filestat_set_times, (fd: u32, atim: u64, mtim: u64, flags: u32));
    mem!("fd_pread", fs::fd_pread, (fd: u32, iovs: u32, len: u32, offset: u64, nread: u32));
    mem!("fd_prestat_get", fs::fd_prestat_get, (fd: u32, ptr: u32));
    mem!("fd_prestat_dir_name", fs::fd_prestat_dir_name, (fd: u32, path: u32, len: u32));
    mem!("fd_pwrite", fs::fd_pwrite, (fd: u32, iovs: u32, len: u32, offset: u64, nwritten: u32));
    mem!("fd_read", fs::fd_read, (fd: u32, iovs: u32, len: u32, nread: u32));
    mem!("fd_readdir", fs::fd_readdir, (fd: u32, buf: u32, len: u32, cookie: u64, bufused: u32));
    plain!("fd_renumber", fs::fd_renumber, (from: u32, to: u32));
    mem!("fd_seek", fs::fd_seek, (fd: u32, offset: i64, whence: u32, newoffset: u32));
    plain!("fd_sync", fs::fd_sync, (fd: u32));
    mem!("fd_tell", fs::fd_tell, (fd: u32, ptr: u32));
    mem!("fd_write", fs::fd_write, (fd: u32, iovs: u32, len: u32, nwritten: u32));

    mem!("path_create_directory", path::path_create_directory, (fd: u32, path: u32, len: u32));
    mem!("path_filestat_get", path::path_filestat_get, (fd: u32, flags: u32, path: u32, len: u32, buf: u32));
    mem!(
        "path_filestat_set_times",
        path::path_filestat_set_times,
        (fd: u32, flags: u32, path: u32, len: u32, atim: u64, mtim: u64, fst_flags: u32)
    );
    mem!(
        "path_link",
        path::path_link,
        (old_fd: u32, old_flags: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32, new_len: u32)
    );
    mem!(
        "path_open",
        path::path_open,
        (
            fd: u32,
            dirflags: u32,
            path: u32,
            len: u32,
            oflags: u32,
            base: u64,
            inheriting: u64,
            fdflags: u32,
            opened: u32
        )
    );
    mem!(
        "path_readlink",
        path::path_readlink,
        (fd: u32, path: u32, len: u32, buf: u32, buf_len: u32, bufused: u32)
    );
    mem!("path_remove_directory", path::path_remove_directory, (fd: u32, path: u32, len: u32));
    mem!(
        "path_rename",
        path::path_rename,
        (fd: u32, old_path: u32, old_len: u32, new_fd: u32, new_path: u32, new_len: u32)
    );
    mem!(
        "path_symlink",
        path::path_symlink,
        (old_path: u32, old_len: u32, fd: u32, new_path: u32, new_len: u32)
    );
    mem!("path_unlink_file", path::path_unlink_file, (fd: u32, path: u32, len: u32));

    mem!("sock_accept", sock::sock_accept, (fd: u32, flags: u32, fd_ptr: u32));
    mem!(
        "sock_recv",
        sock::sock_recv,
        (fd: u32, iovs: u32, len: u32, flags: u32, datalen: u32, oflags: u32)
    );
    mem!("sock_send", sock::sock_send, (fd: u32, iovs: u32, len: u32, flags: u32, datalen: u32));
    plain!("sock_shutdown", sock::sock_shutdown, (fd: u32, how: u32));

    linker.func_wrap(MODULE, "proc_exit", |code: u32| -> weft::Result<()> {
        Err(weft::Error::host(I32Exit(code as i32)))
    })?;
    linker.func_wrap(MODULE, "proc_raise", |sig: u32| -> weft::Result<i32> {
        match proc::proc_raise(sig) {
            Ok(Raise::Ignore) => Ok(0),
            Ok(Raise::Terminate(status)) => Err(weft::Error::host(I32Exit(status))),
            Err(e) => Ok(e.raw()),
        }
    })?;
    Ok(())
}

/// The names of every function [`add_to_linker`] defines.
pub const FUNCTIONS: [&str; 46] = [
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "random_get",
    "poll_oneoff",
    "sched_yield",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "sock_accept",
    "sock_recv",
    "sock_send",
    "sock_shutdown",
    "proc_exit",
    "proc_raise",
];
