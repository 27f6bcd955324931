//! Preview 1's sockets: `sock_accept`, `sock_recv`, `sock_send` and `sock_shutdown`
//! on TCP sockets the embedder granted (see
//! [`WasiCtxBuilder::preopened_listener`](crate::WasiCtxBuilder::preopened_listener)).
//! A guest cannot create sockets of its own; on any other descriptor these
//! functions fail with `ENOTSOCK`.

use crate::host::ctx::{Descriptor, Handle, WasiCtx};
use crate::host::errno::Errno;
use crate::p1::abi::{fdflags, riflags, rights, sdflags};
use crate::p1::memory::GuestMemory;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};

/// The connected stream of descriptor `fd` after checking `needed`:
/// `ENOTSOCK` if it is not a socket, `ENOTCONN` if it is a listener.
fn stream(ctx: &WasiCtx, fd: u32, needed: u64) -> Result<&TcpStream, Errno> {
    let d = ctx.get(fd)?;
    match &d.handle {
        Handle::Stream(s) => {
            d.require(needed)?;
            Ok(s)
        }
        Handle::Listener(_) => Err(Errno::Notconn),
        _ => Err(Errno::Notsock),
    }
}

/// `sock_accept(fd, flags, fd_ptr)`: accepts a connection on a listening
/// socket. `flags` may only hold `NONBLOCK`, which the new socket gets.
pub fn sock_accept(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    fd_ptr: u32,
) -> Result<(), Errno> {
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    if flags & !fdflags::NONBLOCK != 0 {
        return Err(Errno::Inval);
    }
    let d = ctx.get(fd)?;
    let Handle::Listener(l) = &d.handle else {
        return Err(match d.handle {
            Handle::Stream(_) => Errno::Inval,
            _ => Errno::Notsock,
        });
    };
    d.require(rights::SOCK_ACCEPT)?;
    mem.check_array(fd_ptr, 1, 4)?;
    let (s, _) = l.accept()?;
    s.set_nonblocking(flags & fdflags::NONBLOCK != 0)?;
    let mut desc = Descriptor::new(Handle::Stream(s), rights::STREAM, 0);
    desc.flags = flags;
    let new_fd = ctx.insert(desc)?;
    mem.write_u32(fd_ptr, new_fd)
}

/// `sock_recv(fd, ri_data, ri_data_len, ri_flags, ro_datalen_ptr,
/// ro_flags_ptr)`: receives into the iovecs. `RECV_PEEK` leaves the data
/// queued; `RECV_WAITALL` waits until the buffers are full or the peer
/// closes. The output flags are always 0 (streams never truncate).
#[allow(clippy::too_many_arguments)] // The WASI signature.
pub fn sock_recv(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    flags: u32,
    datalen: u32,
    oflags: u32,
) -> Result<(), Errno> {
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    if flags & !(riflags::RECV_PEEK | riflags::RECV_WAITALL) != 0 {
        return Err(Errno::Inval);
    }
    let s = stream(ctx, fd, rights::FD_READ)?;
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.check_array(datalen, 1, 4)?;
    mem.check_array(oflags, 1, 2)?;
    let mut total = 0u32;
    if flags & riflags::RECV_PEEK != 0 {
        // A peek sees the queue from its start: fill one buffer with it.
        if let Some(iov) = iovs.iter().find(|v| v.len > 0) {
            let buf = mem.slice_mut(iov.ptr, iov.len)?;
            total = retry(|| s.peek(buf))? as u32;
        }
    } else {
        let mut s = s;
        let waitall = flags & riflags::RECV_WAITALL != 0;
        for iov in &iovs {
            let buf = mem.slice_mut(iov.ptr, iov.len)?;
            let mut filled = 0;
            let mut done = false;
            while filled < buf.len() && !done {
                match s.read(&mut buf[filled..]) {
                    Ok(0) => done = true,
                    Ok(n) => {
                        filled += n;
                        done = !waitall;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if total == 0 && filled == 0 => return Err(e.into()),
                    Err(_) => done = true,
                }
            }
            total += filled as u32;
            if done {
                break;
            }
        }
    }
    mem.write_u32(datalen, total)?;
    mem.write_u16(oflags, 0)
}

/// Runs `op` again while it is interrupted.
fn retry(mut op: impl FnMut() -> io::Result<usize>) -> Result<usize, Errno> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            r => return r.map_err(Errno::from),
        }
    }
}

/// `sock_send(fd, si_data, si_data_len, si_flags, so_datalen_ptr)`: sends
/// the iovecs. `si_flags` has no defined bits and must be 0.
pub fn sock_send(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    flags: u32,
    datalen: u32,
) -> Result<(), Errno> {
    if flags != 0 {
        return Err(Errno::Inval);
    }
    let mut s = stream(ctx, fd, rights::FD_WRITE)?;
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.check_array(datalen, 1, 4)?;
    let mut total = 0u32;
    for iov in &iovs {
        let buf = mem.slice(iov.ptr, iov.len)?;
        match s.write_all(buf) {
            Ok(()) => total += iov.len,
            Err(e) if total == 0 => return Err(e.into()),
            Err(_) => break,
        }
    }
    mem.write_u32(datalen, total)
}

/// `sock_shutdown(fd, how)`: shuts down receiving (`RD`), sending (`WR`)
/// or both.
pub fn sock_shutdown(ctx: &mut WasiCtx, fd: u32, how: u32) -> Result<(), Errno> {
    let s = stream(ctx, fd, rights::SOCK_SHUTDOWN)?;
    let how = match u8::try_from(how).map_err(|_| Errno::Inval)? {
        sdflags::RD => Shutdown::Read,
        sdflags::WR => Shutdown::Write,
        h if h == sdflags::RD | sdflags::WR => Shutdown::Both,
        _ => return Err(Errno::Inval),
    };
    s.shutdown(how)?;
    Ok(())
}
