//! `wasi:sockets/tcp` and `tcp-create-socket`: TCP sockets through WASI's
//! state machine (unbound, bound, listening, connecting, connected,
//! closed). Binding and listening happen in `start-*`, so their `finish-*`
//! only moves the state on; a connect is the native non-blocking one,
//! finished when poll(2) finds the socket writable.

use super::{
    Network, SockResult, SockResultInner, check_address, check_remote, error_code, new_socket,
    send_flags, to_guest, to_host,
};
use crate::WasiCtx;
use crate::p2::bindings::wasi::sockets::{tcp, tcp_create_socket};
use crate::p2::io::{InputStream, OutputStream, Pollable, Reader, Sink, Source, Wait, Writer};
use rustix::io::Errno;
use rustix::net::{SocketType, sockopt};
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;
use tcp::{ErrorCode, IpAddressFamily, IpSocketAddress, ShutdownType};
use weft::Result;
use weft_component::Resource;

/// The listen backlog until the guest asks for another.
const DEFAULT_BACKLOG: i32 = 128;

/// The largest keep-alive time and count Linux takes (`MAX_TCP_KEEPIDLE`,
/// `MAX_TCP_KEEPINTVL`, `MAX_TCP_KEEPCNT`); larger values are clamped
/// rather than refused, as WASI asks.
const MAX_KEEPALIVE_SECS: u64 = 32767;
const MAX_KEEPALIVE_COUNT: u32 = 127;

/// Where a TCP socket is in WASI's state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Unbound,
    BindStarted,
    Bound,
    ListenStarted,
    Listening,
    /// `start-connect` went; `finish-connect` has not yet seen it done.
    Connecting,
    /// Connected, by `finish-connect` or `accept`.
    Connected,
    /// A connect failed: only `drop` is left.
    Closed,
}

/// A `tcp-socket`: a host socket shared with the streams it hands out, so
/// a guest may drop the socket before its streams (or the reverse).
pub struct TcpSocket {
    fd: Arc<OwnedFd>,
    family: IpAddressFamily,
    state: State,
    backlog: i32,
}

impl TcpSocket {
    fn new(fd: OwnedFd, family: IpAddressFamily, state: State) -> TcpSocket {
        TcpSocket {
            fd: Arc::new(fd),
            family,
            state,
            backlog: DEFAULT_BACKLOG,
        }
    }
}

/// The reading half of a connection.
struct TcpReader {
    fd: Arc<OwnedFd>,
}

/// The writing half of a connection.
struct TcpWriter {
    fd: Arc<OwnedFd>,
}

/// Waits until `fd` is readable (`write` false) or writable.
fn wait_for(fd: &OwnedFd, write: bool) -> io::Result<()> {
    use rustix::event::{PollFd, PollFlags, poll};
    let flags = if write { PollFlags::OUT } else { PollFlags::IN };
    loop {
        match poll(&mut [PollFd::new(fd, flags)], None) {
            Err(Errno::INTR) => {}
            r => return r.map(drop).map_err(io::Error::from),
        }
    }
}

impl Reader for TcpReader {
    fn read(&mut self, len: usize, blocking: bool) -> io::Result<Option<Vec<u8>>> {
        let mut buf = vec![0; len.min(1 << 20)];
        loop {
            match rustix::net::recv(&*self.fd, &mut buf[..], rustix::net::RecvFlags::empty()) {
                Ok((0, _)) if !buf.is_empty() => return Ok(None),
                Ok((n, _)) => {
                    buf.truncate(n);
                    return Ok(Some(buf));
                }
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) if blocking => wait_for(&self.fd, false)?,
                Err(Errno::AGAIN) => return Ok(Some(Vec::new())),
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn subscribe(&self) -> Wait {
        Wait::Fd(self.fd.clone(), false)
    }
}

impl Writer for TcpWriter {
    fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        // The stream promises the guest its whole write (`check-write`
        // allows much more than a socket buffer holds): wait in poll(2)
        // while the peer catches up.
        while !bytes.is_empty() {
            match rustix::net::send(&*self.fd, bytes, send_flags()) {
                Ok(n) => bytes = &bytes[n..],
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => wait_for(&self.fd, true)?,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Sends go straight to the kernel: nothing is buffered here.
        Ok(())
    }
}

impl WasiCtx {
    /// The socket behind `s`.
    fn tcp(&mut self, s: &Resource<TcpSocket>) -> Result<&mut TcpSocket> {
        self.resource(s)
    }

    /// `access-denied` unless TCP was granted.
    fn tcp_granted(&self) -> SockResultInner<()> {
        if self.net.tcp {
            Ok(())
        } else {
            Err(ErrorCode::AccessDenied)
        }
    }

    /// The input and output streams of a connected socket.
    fn tcp_streams(
        &mut self,
        fd: &Arc<OwnedFd>,
    ) -> Result<(Resource<InputStream>, Resource<OutputStream>)> {
        let input = self.push_resource(InputStream::new(Source::Other(Box::new(TcpReader {
            fd: fd.clone(),
        }))))?;
        let output = self.push_resource(OutputStream::new(Sink::Other(Box::new(TcpWriter {
            fd: fd.clone(),
        }))))?;
        Ok((input, output))
    }
}

impl tcp_create_socket::Host for WasiCtx {
    fn create_tcp_socket(&mut self, family: IpAddressFamily) -> SockResult<Resource<TcpSocket>> {
        if let Err(e) = self.tcp_granted() {
            return Ok(Err(e));
        }
        match new_socket(family, SocketType::STREAM) {
            Ok(fd) => Ok(Ok(self.push_resource(TcpSocket::new(
                fd,
                family,
                State::Unbound,
            ))?)),
            Err(e) => Ok(Err(e)),
        }
    }
}

impl tcp::HostTcpSocket for WasiCtx {
    fn start_bind(
        &mut self,
        s: Resource<TcpSocket>,
        network: Resource<Network>,
        local_address: IpSocketAddress,
    ) -> SockResult<()> {
        self.resource(&network)?;
        let granted = self.tcp_granted();
        let sock = self.tcp(&s)?;
        Ok((|| {
            granted?;
            match sock.state {
                State::Unbound => {}
                State::BindStarted => return Err(ErrorCode::ConcurrencyConflict),
                _ => return Err(ErrorCode::InvalidState),
            }
            let addr = to_host(local_address);
            check_address(sock.family, &addr)?;
            // WASI asks that a recently closed socket's TIME_WAIT not stop
            // a bind to its port: SO_REUSEADDR does that on Unix.
            if addr.port() != 0 {
                sockopt::set_socket_reuseaddr(&*sock.fd, true).map_err(error_code)?;
            }
            rustix::net::bind(&*sock.fd, &addr).map_err(|e| match e {
                // An address of the wrong family for this socket.
                Errno::AFNOSUPPORT => ErrorCode::InvalidArgument,
                e => error_code(e),
            })?;
            sock.state = State::BindStarted;
            Ok(())
        })())
    }

    fn finish_bind(&mut self, s: Resource<TcpSocket>) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        Ok(if sock.state == State::BindStarted {
            sock.state = State::Bound;
            Ok(())
        } else {
            Err(ErrorCode::NotInProgress)
        })
    }

    fn start_connect(
        &mut self,
        s: Resource<TcpSocket>,
        network: Resource<Network>,
        remote_address: IpSocketAddress,
    ) -> SockResult<()> {
        self.resource(&network)?;
        let granted = self.tcp_granted();
        let sock = self.tcp(&s)?;
        Ok((|| {
            granted?;
            match sock.state {
                State::Unbound | State::Bound => {}
                State::BindStarted | State::ListenStarted | State::Connecting => {
                    return Err(ErrorCode::ConcurrencyConflict);
                }
                _ => return Err(ErrorCode::InvalidState),
            }
            let addr = to_host(remote_address);
            check_remote(sock.family, &addr)?;
            match rustix::net::connect(&*sock.fd, &addr) {
                // Loopback may connect at once; `finish-connect` sees it
                // writable and finishes just the same.
                Ok(()) | Err(Errno::INPROGRESS) | Err(Errno::INTR) => {
                    sock.state = State::Connecting;
                    Ok(())
                }
                Err(e) => {
                    sock.state = State::Closed;
                    Err(error_code(e))
                }
            }
        })())
    }

    fn finish_connect(
        &mut self,
        s: Resource<TcpSocket>,
    ) -> SockResult<(Resource<InputStream>, Resource<OutputStream>)> {
        let sock = self.tcp(&s)?;
        if sock.state != State::Connecting {
            return Ok(Err(ErrorCode::NotInProgress));
        }
        // POSIX's way to finish a non-blocking connect: writable (or in
        // error) means done, and SO_ERROR says how it went.
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        let mut fds = [PollFd::new(&*sock.fd, PollFlags::OUT)];
        match poll(&mut fds, Some(&zero)) {
            Ok(0) | Err(Errno::INTR) => return Ok(Err(ErrorCode::WouldBlock)),
            Ok(_) => {}
            Err(e) => {
                sock.state = State::Closed;
                return Ok(Err(error_code(e)));
            }
        }
        match sockopt::socket_error(&*sock.fd) {
            Ok(Ok(())) => {}
            Ok(Err(e)) | Err(e) => {
                sock.state = State::Closed;
                return Ok(Err(error_code(e)));
            }
        }
        sock.state = State::Connected;
        let fd = sock.fd.clone();
        Ok(Ok(self.tcp_streams(&fd)?))
    }

    fn start_listen(&mut self, s: Resource<TcpSocket>) -> SockResult<()> {
        let granted = self.tcp_granted();
        let sock = self.tcp(&s)?;
        Ok((|| {
            granted?;
            match sock.state {
                State::Bound => {}
                State::BindStarted | State::ListenStarted | State::Connecting => {
                    return Err(ErrorCode::ConcurrencyConflict);
                }
                _ => return Err(ErrorCode::InvalidState),
            }
            rustix::net::listen(&*sock.fd, sock.backlog).map_err(error_code)?;
            sock.state = State::ListenStarted;
            Ok(())
        })())
    }

    fn finish_listen(&mut self, s: Resource<TcpSocket>) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        Ok(if sock.state == State::ListenStarted {
            sock.state = State::Listening;
            Ok(())
        } else {
            Err(ErrorCode::NotInProgress)
        })
    }

    #[allow(clippy::type_complexity)] // The WIT's own result.
    fn accept(
        &mut self,
        s: Resource<TcpSocket>,
    ) -> SockResult<(
        Resource<TcpSocket>,
        Resource<InputStream>,
        Resource<OutputStream>,
    )> {
        let sock = self.tcp(&s)?;
        if sock.state != State::Listening {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let family = sock.family;
        let fd = loop {
            match rustix::net::accept(&*sock.fd) {
                Err(Errno::INTR) => {}
                Ok(fd) => break fd,
                Err(e) => return Ok(Err(error_code(e))),
            }
        };
        if let Err(e) = super::prepare(&fd) {
            return Ok(Err(error_code(e)));
        }
        // The options WASI says a client socket inherits (keep-alive, hop
        // limit, buffer sizes) come from the listener in the kernel.
        let client = TcpSocket::new(fd, family, State::Connected);
        let fd = client.fd.clone();
        let client = self.push_resource(client)?;
        let (input, output) = self.tcp_streams(&fd)?;
        Ok(Ok((client, input, output)))
    }

    fn local_address(&mut self, s: Resource<TcpSocket>) -> SockResult<IpSocketAddress> {
        let sock = self.tcp(&s)?;
        Ok(match sock.state {
            State::Unbound | State::BindStarted | State::Closed => Err(ErrorCode::InvalidState),
            _ => super::local_address(&*sock.fd).map(to_guest),
        })
    }

    fn remote_address(&mut self, s: Resource<TcpSocket>) -> SockResult<IpSocketAddress> {
        let sock = self.tcp(&s)?;
        Ok(match sock.state {
            State::Connected => super::remote_address(&*sock.fd).map(to_guest),
            _ => Err(ErrorCode::InvalidState),
        })
    }

    fn is_listening(&mut self, s: Resource<TcpSocket>) -> Result<bool> {
        Ok(self.tcp(&s)?.state == State::Listening)
    }

    fn address_family(&mut self, s: Resource<TcpSocket>) -> Result<IpAddressFamily> {
        Ok(self.tcp(&s)?.family)
    }

    fn set_listen_backlog_size(&mut self, s: Resource<TcpSocket>, value: u64) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        if matches!(sock.state, State::Connecting | State::Connected) {
            return Ok(Err(ErrorCode::InvalidState));
        }
        sock.backlog = i32::try_from(value).unwrap_or(i32::MAX);
        if matches!(sock.state, State::ListenStarted | State::Listening) {
            // Linux and the BSDs take a second listen(2) as a new backlog.
            if rustix::net::listen(&*sock.fd, sock.backlog).is_err() {
                return Ok(Err(ErrorCode::NotSupported));
            }
        }
        Ok(Ok(()))
    }

    fn keep_alive_enabled(&mut self, s: Resource<TcpSocket>) -> SockResult<bool> {
        let sock = self.tcp(&s)?;
        Ok(sockopt::socket_keepalive(&*sock.fd).map_err(error_code))
    }

    fn set_keep_alive_enabled(&mut self, s: Resource<TcpSocket>, value: bool) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        Ok(sockopt::set_socket_keepalive(&*sock.fd, value).map_err(error_code))
    }

    fn keep_alive_idle_time(&mut self, s: Resource<TcpSocket>) -> SockResult<u64> {
        let sock = self.tcp(&s)?;
        Ok(sockopt::tcp_keepidle(&*sock.fd)
            .map(nanos)
            .map_err(error_code))
    }

    fn set_keep_alive_idle_time(&mut self, s: Resource<TcpSocket>, value: u64) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        Ok(keepalive_time(value)
            .and_then(|t| sockopt::set_tcp_keepidle(&*sock.fd, t).map_err(error_code)))
    }

    fn keep_alive_interval(&mut self, s: Resource<TcpSocket>) -> SockResult<u64> {
        let sock = self.tcp(&s)?;
        Ok(sockopt::tcp_keepintvl(&*sock.fd)
            .map(nanos)
            .map_err(error_code))
    }

    fn set_keep_alive_interval(&mut self, s: Resource<TcpSocket>, value: u64) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        Ok(keepalive_time(value)
            .and_then(|t| sockopt::set_tcp_keepintvl(&*sock.fd, t).map_err(error_code)))
    }

    fn keep_alive_count(&mut self, s: Resource<TcpSocket>) -> SockResult<u32> {
        let sock = self.tcp(&s)?;
        Ok(sockopt::tcp_keepcnt(&*sock.fd).map_err(error_code))
    }

    fn set_keep_alive_count(&mut self, s: Resource<TcpSocket>, value: u32) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        if value == 0 {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        Ok(sockopt::set_tcp_keepcnt(&*sock.fd, value.min(MAX_KEEPALIVE_COUNT)).map_err(error_code))
    }

    fn hop_limit(&mut self, s: Resource<TcpSocket>) -> SockResult<u8> {
        let sock = self.tcp(&s)?;
        Ok(super::hop_limit(&*sock.fd, sock.family))
    }

    fn set_hop_limit(&mut self, s: Resource<TcpSocket>, value: u8) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        Ok(super::set_hop_limit(&*sock.fd, sock.family, value))
    }

    fn receive_buffer_size(&mut self, s: Resource<TcpSocket>) -> SockResult<u64> {
        let sock = self.tcp(&s)?;
        Ok(super::buffer_size(&*sock.fd, false))
    }

    fn set_receive_buffer_size(&mut self, s: Resource<TcpSocket>, value: u64) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        Ok(super::set_buffer_size(&*sock.fd, false, value))
    }

    fn send_buffer_size(&mut self, s: Resource<TcpSocket>) -> SockResult<u64> {
        let sock = self.tcp(&s)?;
        Ok(super::buffer_size(&*sock.fd, true))
    }

    fn set_send_buffer_size(&mut self, s: Resource<TcpSocket>, value: u64) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        Ok(super::set_buffer_size(&*sock.fd, true, value))
    }

    fn subscribe(&mut self, s: Resource<TcpSocket>) -> Result<Resource<Pollable>> {
        // Readable or writable: a connect is done when the socket becomes
        // writable, an accept can go on when it becomes readable, and an
        // unconnected socket reports a hang-up at once (nothing to wait
        // for). One pollable serves all the socket's life, as WASI wants.
        let fd = self.tcp(&s)?.fd.clone();
        self.push_resource(Pollable {
            wait: Wait::FdAny(fd),
        })
    }

    fn shutdown(&mut self, s: Resource<TcpSocket>, how: ShutdownType) -> SockResult<()> {
        let sock = self.tcp(&s)?;
        if sock.state != State::Connected {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let how = match how {
            ShutdownType::Receive => rustix::net::Shutdown::Read,
            ShutdownType::Send => rustix::net::Shutdown::Write,
            ShutdownType::Both => rustix::net::Shutdown::Both,
        };
        Ok(match rustix::net::shutdown(&*sock.fd, how) {
            // The peer already went: shutting down again is a no-op.
            Ok(()) | Err(Errno::NOTCONN) => Ok(()),
            Err(e) => Err(error_code(e)),
        })
    }

    fn drop(&mut self, rep: Resource<TcpSocket>) -> Result<()> {
        // The socket closes when its streams are gone too.
        self.delete_resource(rep).map(drop)
    }
}

impl tcp::Host for WasiCtx {}

/// A keep-alive time as nanoseconds.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A keep-alive time in nanoseconds as the whole seconds the kernel takes,
/// at least 1 and at most what it accepts; 0 is invalid.
fn keepalive_time(ns: u64) -> SockResultInner<Duration> {
    if ns == 0 {
        return Err(ErrorCode::InvalidArgument);
    }
    let secs = ns.div_ceil(1_000_000_000).clamp(1, MAX_KEEPALIVE_SECS);
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{borrow, denied, granted, loopback};
    use super::*;
    use crate::p2::bindings::wasi::io::poll::{Host as _, HostPollable};
    use crate::p2::bindings::wasi::io::streams::{HostInputStream, HostOutputStream};
    use crate::p2::bindings::wasi::sockets::instance_network::Host as _;
    use tcp::HostTcpSocket;
    use tcp_create_socket::Host as _;

    /// Waits on the socket's pollable, as a guest does between a
    /// `would-block` and its retry.
    fn block_on(ctx: &mut WasiCtx, s: &Resource<TcpSocket>) {
        let p = HostTcpSocket::subscribe(ctx, borrow(s)).unwrap();
        ctx.poll(vec![Resource::new_borrow(p.rep())]).unwrap();
        HostPollable::drop(ctx, p).unwrap();
    }

    /// A socket of `ctx` bound to loopback port 0 and listening.
    fn listener(ctx: &mut WasiCtx, family: IpAddressFamily) -> Resource<TcpSocket> {
        let net = ctx.instance_network().unwrap();
        let l = ctx.create_tcp_socket(family).unwrap().unwrap();
        ctx.start_bind(borrow(&l), borrow(&net), loopback(family, 0))
            .unwrap()
            .unwrap();
        ctx.finish_bind(borrow(&l)).unwrap().unwrap();
        ctx.start_listen(borrow(&l)).unwrap().unwrap();
        ctx.finish_listen(borrow(&l)).unwrap().unwrap();
        assert!(ctx.is_listening(borrow(&l)).unwrap());
        l
    }

    /// A connected socket and its streams.
    type Connection = (
        Resource<TcpSocket>,
        Resource<InputStream>,
        Resource<OutputStream>,
    );

    /// Connects a new socket to `to`, waiting on its pollable.
    fn connect(
        ctx: &mut WasiCtx,
        family: IpAddressFamily,
        to: IpSocketAddress,
    ) -> SockResultInner<Connection> {
        let net = ctx.instance_network().unwrap();
        let c = ctx.create_tcp_socket(family).unwrap().unwrap();
        ctx.start_connect(borrow(&c), borrow(&net), to).unwrap()?;
        loop {
            match ctx.finish_connect(borrow(&c)).unwrap() {
                Ok((i, o)) => return Ok((c, i, o)),
                Err(ErrorCode::WouldBlock) => block_on(ctx, &c),
                Err(e) => return Err(e),
            }
        }
    }

    /// Everything the input stream gives until it closes.
    fn read_to_end(ctx: &mut WasiCtx, i: &Resource<InputStream>) -> Vec<u8> {
        let mut all = Vec::new();
        while let Ok(bytes) = ctx.blocking_read(borrow(i), 1024).unwrap() {
            all.extend(bytes);
        }
        all
    }

    /// What tcp-echo does: bind port 0, listen, connect to itself,
    /// accept, send one way with a half-close, answer, close.
    fn echo(family: IpAddressFamily) {
        let mut ctx = granted();
        let l = listener(&mut ctx, family);
        let addr = ctx.local_address(borrow(&l)).unwrap().unwrap();
        assert_ne!(to_host(addr.clone()).port(), 0);
        assert!(to_host(addr.clone()).ip().is_loopback());

        // Nothing waits yet: accept would block.
        assert_eq!(
            ctx.accept(borrow(&l)).unwrap().err(),
            Some(ErrorCode::WouldBlock)
        );
        let (client, ci, co) = connect(&mut ctx, family, addr.clone()).unwrap();
        let (server, si, so) = loop {
            match ctx.accept(borrow(&l)).unwrap() {
                Ok(accepted) => break accepted,
                Err(ErrorCode::WouldBlock) => block_on(&mut ctx, &l),
                Err(e) => panic!("accept: {e:?}"),
            }
        };
        let peer = ctx.remote_address(borrow(&server)).unwrap().unwrap();
        assert_eq!(peer, ctx.local_address(borrow(&client)).unwrap().unwrap());
        assert_eq!(ctx.remote_address(borrow(&client)).unwrap().unwrap(), addr);

        ctx.blocking_write_and_flush(borrow(&co), b"ping over wasi sockets".to_vec())
            .unwrap()
            .unwrap();
        ctx.shutdown(borrow(&client), ShutdownType::Send)
            .unwrap()
            .unwrap();
        let got = read_to_end(&mut ctx, &si);
        assert_eq!(got, b"ping over wasi sockets");
        ctx.blocking_write_and_flush(borrow(&so), got.to_ascii_uppercase())
            .unwrap()
            .unwrap();
        // Closing the accepted socket is dropping it and its streams.
        HostInputStream::drop(&mut ctx, si).unwrap();
        HostOutputStream::drop(&mut ctx, so).unwrap();
        HostTcpSocket::drop(&mut ctx, server).unwrap();
        assert_eq!(read_to_end(&mut ctx, &ci), b"PING OVER WASI SOCKETS");
        HostInputStream::drop(&mut ctx, ci).unwrap();
        HostOutputStream::drop(&mut ctx, co).unwrap();
        HostTcpSocket::drop(&mut ctx, client).unwrap();
        HostTcpSocket::drop(&mut ctx, l).unwrap();
    }

    #[test]
    fn echo_over_loopback_v4() {
        echo(IpAddressFamily::Ipv4);
    }

    #[test]
    fn echo_over_loopback_v6() {
        // Hosts without IPv6 loopback (some containers) cannot run this.
        if std::net::TcpListener::bind("[::1]:0").is_err() {
            return;
        }
        echo(IpAddressFamily::Ipv6);
    }

    #[test]
    fn connect_to_a_closed_port_is_refused() {
        let mut ctx = granted();
        // A port just freed: nothing listens on it.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let to = loopback(IpAddressFamily::Ipv4, port);
        assert_eq!(
            connect(&mut ctx, IpAddressFamily::Ipv4, to).err(),
            Some(ErrorCode::ConnectionRefused)
        );
    }

    #[test]
    fn nothing_granted_is_access_denied() {
        let mut ctx = denied();
        assert_eq!(
            ctx.create_tcp_socket(IpAddressFamily::Ipv4).unwrap().err(),
            Some(ErrorCode::AccessDenied)
        );
        // A socket made while TCP was granted is refused bind and connect
        // once it is not.
        ctx.net.tcp = true;
        let s = ctx
            .create_tcp_socket(IpAddressFamily::Ipv4)
            .unwrap()
            .unwrap();
        ctx.net.tcp = false;
        let net = ctx.instance_network().unwrap();
        let any = loopback(IpAddressFamily::Ipv4, 0);
        assert_eq!(
            ctx.start_bind(borrow(&s), borrow(&net), any).unwrap().err(),
            Some(ErrorCode::AccessDenied)
        );
        let to = loopback(IpAddressFamily::Ipv4, 1);
        assert_eq!(
            ctx.start_connect(borrow(&s), borrow(&net), to)
                .unwrap()
                .err(),
            Some(ErrorCode::AccessDenied)
        );
        // And a TCP grant alone gives no UDP.
        let ctx = crate::WasiCtxBuilder::new().allow_tcp(true).build();
        assert!(ctx.net.tcp && !ctx.net.udp && !ctx.net.ip_name_lookup);
    }

    #[test]
    fn the_state_machine_is_followed() {
        let mut ctx = granted();
        let net = ctx.instance_network().unwrap();
        let v4 = IpAddressFamily::Ipv4;
        let s = ctx.create_tcp_socket(v4).unwrap().unwrap();
        assert_eq!(ctx.address_family(borrow(&s)).unwrap(), v4);
        let err = |r: SockResult<()>| r.unwrap().err();
        assert_eq!(
            err(ctx.finish_bind(borrow(&s))),
            Some(ErrorCode::NotInProgress)
        );
        assert_eq!(
            err(ctx.start_listen(borrow(&s))),
            Some(ErrorCode::InvalidState)
        );
        assert_eq!(
            ctx.local_address(borrow(&s)).unwrap().err(),
            Some(ErrorCode::InvalidState)
        );
        assert_eq!(
            err(ctx.start_bind(borrow(&s), borrow(&net), loopback(IpAddressFamily::Ipv6, 0))),
            Some(ErrorCode::InvalidArgument)
        );
        assert_eq!(
            err(ctx.start_connect(borrow(&s), borrow(&net), loopback(v4, 0))),
            Some(ErrorCode::InvalidArgument)
        );
        ctx.start_bind(borrow(&s), borrow(&net), loopback(v4, 0))
            .unwrap()
            .unwrap();
        assert_eq!(
            err(ctx.start_bind(borrow(&s), borrow(&net), loopback(v4, 0))),
            Some(ErrorCode::ConcurrencyConflict)
        );
        ctx.finish_bind(borrow(&s)).unwrap().unwrap();
        assert_eq!(
            err(ctx.start_bind(borrow(&s), borrow(&net), loopback(v4, 0))),
            Some(ErrorCode::InvalidState)
        );
        assert_eq!(
            err(ctx.shutdown(borrow(&s), ShutdownType::Both)),
            Some(ErrorCode::InvalidState)
        );
        assert_eq!(
            ctx.remote_address(borrow(&s)).unwrap().err(),
            Some(ErrorCode::InvalidState)
        );
        assert_eq!(
            err(ctx.finish_listen(borrow(&s))),
            Some(ErrorCode::NotInProgress)
        );
        assert_eq!(
            ctx.accept(borrow(&s)).unwrap().err(),
            Some(ErrorCode::InvalidState)
        );
    }

    #[test]
    fn options_are_set_and_read() {
        let mut ctx = granted();
        let s = ctx
            .create_tcp_socket(IpAddressFamily::Ipv4)
            .unwrap()
            .unwrap();
        let b = || borrow(&s);
        ctx.set_keep_alive_enabled(b(), true).unwrap().unwrap();
        assert!(ctx.keep_alive_enabled(b()).unwrap().unwrap());
        ctx.set_keep_alive_idle_time(b(), 30_000_000_000)
            .unwrap()
            .unwrap();
        assert_eq!(
            ctx.keep_alive_idle_time(b()).unwrap().unwrap(),
            30_000_000_000
        );
        // Beyond what the kernel takes: clamped, not refused.
        ctx.set_keep_alive_interval(b(), u64::MAX).unwrap().unwrap();
        assert_eq!(
            ctx.keep_alive_interval(b()).unwrap().unwrap(),
            MAX_KEEPALIVE_SECS * 1_000_000_000
        );
        ctx.set_keep_alive_count(b(), 5).unwrap().unwrap();
        assert_eq!(ctx.keep_alive_count(b()).unwrap().unwrap(), 5);
        ctx.set_hop_limit(b(), 42).unwrap().unwrap();
        assert_eq!(ctx.hop_limit(b()).unwrap().unwrap(), 42);
        ctx.set_receive_buffer_size(b(), 1 << 16).unwrap().unwrap();
        assert!(ctx.receive_buffer_size(b()).unwrap().unwrap() >= 1 << 16);
        ctx.set_send_buffer_size(b(), u64::MAX).unwrap().unwrap();
        assert!(ctx.send_buffer_size(b()).unwrap().unwrap() > 0);
        ctx.set_listen_backlog_size(b(), 10).unwrap().unwrap();
        for zero in [
            ctx.set_keep_alive_idle_time(b(), 0),
            ctx.set_keep_alive_interval(b(), 0),
            ctx.set_keep_alive_count(b(), 0),
            ctx.set_hop_limit(b(), 0),
            ctx.set_receive_buffer_size(b(), 0),
            ctx.set_send_buffer_size(b(), 0),
            ctx.set_listen_backlog_size(b(), 0),
        ] {
            assert_eq!(zero.unwrap().err(), Some(ErrorCode::InvalidArgument));
        }
    }
}
