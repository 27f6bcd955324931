//! Preview 1's arguments, environment and end of the guest: `args_*`,
//! `environ_*`, `proc_exit`, `proc_raise`, and the [`I32Exit`] error that
//! carries an exit status out of the interpreter.

use crate::host::ctx::WasiCtx;
use crate::host::errno::Errno;
use crate::p1::abi::signal;
use crate::p1::memory::GuestMemory;
use std::fmt;

/// The error a WASI host function returns to stop the guest with an exit
/// status (`proc_exit`, or a terminating `proc_raise`). It reaches the
/// embedder wrapped in [`weft::Error::Host`]; [`I32Exit::from_error`]
/// recognises it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct I32Exit(pub i32);

impl I32Exit {
    /// The exit status, if `err` is a guest's exit rather than a failure.
    ///
    /// ```
    /// let err = weft::Error::host(weft_wasi::I32Exit(3));
    /// assert_eq!(weft_wasi::I32Exit::from_error(&err), Some(3));
    /// ```
    pub fn from_error(err: &weft::Error) -> Option<i32> {
        match err {
            weft::Error::Host(e) => e.downcast_ref::<I32Exit>().map(|e| e.0),
            _ => None,
        }
    }
}

impl fmt::Display for I32Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guest exited with status {}", self.0)
    }
}

impl std::error::Error for I32Exit {}

/// Writes the sizes of a list of C strings: their number at `count_ptr`,
/// their total length (with NULs) at `size_ptr`.
fn sizes(
    list: &[Vec<u8>],
    mem: &mut GuestMemory<'_>,
    count_ptr: u32,
    size_ptr: u32,
) -> Result<(), Errno> {
    let count = u32::try_from(list.len()).map_err(|_| Errno::Overflow)?;
    let size: usize = list.iter().map(Vec::len).sum();
    let size = u32::try_from(size).map_err(|_| Errno::Overflow)?;
    mem.write_u32(count_ptr, count)?;
    mem.write_u32(size_ptr, size)
}

/// Writes a list of C strings: their bytes one after another at `buf`,
/// and a pointer to each at `ptrs`.
fn strings(list: &[Vec<u8>], mem: &mut GuestMemory<'_>, ptrs: u32, buf: u32) -> Result<(), Errno> {
    let count = u32::try_from(list.len()).map_err(|_| Errno::Overflow)?;
    mem.check_array(ptrs, count, 4)?;
    let mut at = buf;
    for (i, s) in list.iter().enumerate() {
        mem.write_bytes(at, s)?;
        mem.write_u32(ptrs + 4 * i as u32, at)?;
        at = at.checked_add(s.len() as u32).ok_or(Errno::Fault)?;
    }
    Ok(())
}

/// `args_sizes_get(argc_ptr, argv_buf_size_ptr)`.
pub fn args_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    argc: u32,
    buf_size: u32,
) -> Result<(), Errno> {
    sizes(&ctx.args, mem, argc, buf_size)
}

/// `args_get(argv, argv_buf)`.
pub fn args_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    argv: u32,
    buf: u32,
) -> Result<(), Errno> {
    strings(&ctx.args, mem, argv, buf)
}

/// `environ_sizes_get(count_ptr, buf_size_ptr)`.
pub fn environ_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    count: u32,
    buf_size: u32,
) -> Result<(), Errno> {
    sizes(&ctx.env, mem, count, buf_size)
}

/// `environ_get(environ, environ_buf)`.
pub fn environ_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    environ: u32,
    buf: u32,
) -> Result<(), Errno> {
    strings(&ctx.env, mem, environ, buf)
}

/// What `proc_raise(sig)` does.
#[derive(Debug, PartialEq, Eq)]
pub enum Raise {
    /// Nothing (signal 0, or one ignored by default).
    Ignore,
    /// The guest terminates with this exit status (128 + the signal, as a
    /// shell reports a process killed by a signal).
    Terminate(i32),
}

/// `proc_raise(sig)`: the default action of the signal, since a guest
/// cannot install handlers. Stop signals are `ENOTSUP` (a guest cannot be
/// suspended), unknown numbers `EINVAL`.
pub fn proc_raise(sig: u32) -> Result<Raise, Errno> {
    let sig = u8::try_from(sig).map_err(|_| Errno::Inval)?;
    match sig {
        signal::NONE | signal::CHLD | signal::CONT | signal::URG | signal::WINCH => {
            Ok(Raise::Ignore)
        }
        signal::STOP | signal::TSTP | signal::TTIN | signal::TTOU => Err(Errno::Notsup),
        s if s <= signal::MAX => Ok(Raise::Terminate(128 + i32::from(s))),
        _ => Err(Errno::Inval),
    }
}
