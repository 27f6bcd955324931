//! `wasi:sockets/udp` and `udp-create-socket`: UDP sockets, bound in
//! `start-bind`, and the datagram streams `stream` hands out, optionally
//! tied to one peer with a connect(2).

use super::{
    Network, SockResult, SockResultInner, check_address, check_remote, error_code, new_socket,
    send_flags, to_guest, to_host,
};
use crate::WasiCtx;
use crate::p2::bindings::wasi::sockets::{udp, udp_create_socket};
use crate::p2::io::{Pollable, Wait};
use rustix::io::Errno;
use rustix::net::{RecvFlags, SocketType};
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use udp::{ErrorCode, IncomingDatagram, IpAddressFamily, IpSocketAddress, OutgoingDatagram};
use weft::Result;
use weft_component::Resource;

/// The most datagrams one `receive` returns, and one `check-send` allows:
/// a bound on the memory a single call may take.
const MAX_BATCH: u64 = 64;

/// No UDP payload is longer (the kernel refuses smaller ones that do
/// not fit its family's headers with `EMSGSIZE`, `datagram-too-large`).
const MAX_DATAGRAM: usize = 65_535;

/// A `udp-socket`.
pub struct UdpSocket {
    fd: Arc<OwnedFd>,
    family: IpAddressFamily,
    state: State,
    /// Whether a `stream` call tied it to a peer.
    connected: bool,
    /// Bumped by each `stream`: only the streams of the latest call work.
    generation: Arc<AtomicU64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Unbound,
    BindStarted,
    Bound,
}

/// What both datagram streams of one `stream` call share.
struct Channel {
    fd: Arc<OwnedFd>,
    family: IpAddressFamily,
    /// The peer given to `stream`, if any.
    remote: Option<SocketAddr>,
    generation: Arc<AtomicU64>,
    /// The socket's generation when these streams were made.
    made_in: u64,
}

impl Channel {
    /// Whether a later `stream` call replaced these streams.
    fn stale(&self) -> bool {
        self.generation.load(Ordering::Relaxed) != self.made_in
    }
}

/// An `incoming-datagram-stream`.
pub struct IncomingDatagramStream {
    channel: Channel,
}

/// An `outgoing-datagram-stream`.
pub struct OutgoingDatagramStream {
    channel: Channel,
    /// How many datagrams the last `check-send` allowed and `send` has
    /// not yet used.
    permitted: u64,
}

impl WasiCtx {
    /// `access-denied` unless UDP was granted.
    fn udp_granted(&self) -> SockResultInner<()> {
        if self.net.udp {
            Ok(())
        } else {
            Err(ErrorCode::AccessDenied)
        }
    }
}

impl udp_create_socket::Host for WasiCtx {
    fn create_udp_socket(&mut self, family: IpAddressFamily) -> SockResult<Resource<UdpSocket>> {
        if let Err(e) = self.udp_granted() {
            return Ok(Err(e));
        }
        match new_socket(family, SocketType::DGRAM) {
            Ok(fd) => Ok(Ok(self.push_resource(UdpSocket {
                fd: Arc::new(fd),
                family,
                state: State::Unbound,
                connected: false,
                generation: Arc::new(AtomicU64::new(0)),
            })?)),
            Err(e) => Ok(Err(e)),
        }
    }
}

impl udp::HostUdpSocket for WasiCtx {
    fn start_bind(
        &mut self,
        s: Resource<UdpSocket>,
        network: Resource<Network>,
        local_address: IpSocketAddress,
    ) -> SockResult<()> {
        self.resource(&network)?;
        let granted = self.udp_granted();
        let sock = self.resource(&s)?;
        Ok((|| {
            granted?;
            match sock.state {
                State::Unbound => {}
                State::BindStarted => return Err(ErrorCode::ConcurrencyConflict),
                State::Bound => return Err(ErrorCode::InvalidState),
            }
            let addr = to_host(local_address);
            check_address(sock.family, &addr)?;
            rustix::net::bind(&*sock.fd, &addr).map_err(|e| match e {
                Errno::AFNOSUPPORT => ErrorCode::InvalidArgument,
                e => error_code(e),
            })?;
            sock.state = State::BindStarted;
            Ok(())
        })())
    }

    fn finish_bind(&mut self, s: Resource<UdpSocket>) -> SockResult<()> {
        let sock = self.resource(&s)?;
        Ok(if sock.state == State::BindStarted {
            sock.state = State::Bound;
            Ok(())
        } else {
            Err(ErrorCode::NotInProgress)
        })
    }

    #[allow(clippy::type_complexity)] // The WIT's own result.
    fn stream(
        &mut self,
        s: Resource<UdpSocket>,
        remote_address: Option<IpSocketAddress>,
    ) -> SockResult<(
        Resource<IncomingDatagramStream>,
        Resource<OutgoingDatagramStream>,
    )> {
        let granted = self.udp_granted();
        let sock = self.resource(&s)?;
        let remote = match (|| {
            granted?;
            if sock.state != State::Bound {
                return Err(ErrorCode::InvalidState);
            }
            let remote = remote_address.map(to_host);
            if let Some(addr) = &remote {
                check_remote(sock.family, addr)?;
            }
            if sock.connected {
                disconnect(&sock.fd)?;
                sock.connected = false;
            }
            if let Some(addr) = &remote {
                rustix::net::connect(&*sock.fd, addr).map_err(error_code)?;
                sock.connected = true;
            }
            Ok(remote)
        })() {
            Ok(remote) => remote,
            Err(e) => return Ok(Err(e)),
        };
        let made_in = sock.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let channel = || Channel {
            fd: sock.fd.clone(),
            family: sock.family,
            remote,
            generation: sock.generation.clone(),
            made_in,
        };
        let (incoming, outgoing) = (
            IncomingDatagramStream { channel: channel() },
            OutgoingDatagramStream {
                channel: channel(),
                permitted: 0,
            },
        );
        let incoming = self.push_resource(incoming)?;
        let outgoing = self.push_resource(outgoing)?;
        Ok(Ok((incoming, outgoing)))
    }

    fn local_address(&mut self, s: Resource<UdpSocket>) -> SockResult<IpSocketAddress> {
        let sock = self.resource(&s)?;
        Ok(match sock.state {
            State::Bound => super::local_address(&*sock.fd).map(to_guest),
            _ => Err(ErrorCode::InvalidState),
        })
    }

    fn remote_address(&mut self, s: Resource<UdpSocket>) -> SockResult<IpSocketAddress> {
        let sock = self.resource(&s)?;
        Ok(super::remote_address(&*sock.fd).map(to_guest))
    }

    fn address_family(&mut self, s: Resource<UdpSocket>) -> Result<IpAddressFamily> {
        Ok(self.resource(&s)?.family)
    }

    fn unicast_hop_limit(&mut self, s: Resource<UdpSocket>) -> SockResult<u8> {
        let sock = self.resource(&s)?;
        Ok(super::hop_limit(&*sock.fd, sock.family))
    }

    fn set_unicast_hop_limit(&mut self, s: Resource<UdpSocket>, value: u8) -> SockResult<()> {
        let sock = self.resource(&s)?;
        Ok(super::set_hop_limit(&*sock.fd, sock.family, value))
    }

    fn receive_buffer_size(&mut self, s: Resource<UdpSocket>) -> SockResult<u64> {
        let sock = self.resource(&s)?;
        Ok(super::buffer_size(&*sock.fd, false))
    }

    fn set_receive_buffer_size(&mut self, s: Resource<UdpSocket>, value: u64) -> SockResult<()> {
        let sock = self.resource(&s)?;
        Ok(super::set_buffer_size(&*sock.fd, false, value))
    }

    fn send_buffer_size(&mut self, s: Resource<UdpSocket>) -> SockResult<u64> {
        let sock = self.resource(&s)?;
        Ok(super::buffer_size(&*sock.fd, true))
    }

    fn set_send_buffer_size(&mut self, s: Resource<UdpSocket>, value: u64) -> SockResult<()> {
        let sock = self.resource(&s)?;
        Ok(super::set_buffer_size(&*sock.fd, true, value))
    }

    fn subscribe(&mut self, s: Resource<UdpSocket>) -> Result<Resource<Pollable>> {
        // Binding finishes at once: a UDP socket has nothing to wait for
        // (its streams have their own pollables).
        self.resource(&s)?;
        self.push_resource(Pollable { wait: Wait::Now })
    }

    fn drop(&mut self, rep: Resource<UdpSocket>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

impl udp::HostIncomingDatagramStream for WasiCtx {
    fn receive(
        &mut self,
        s: Resource<IncomingDatagramStream>,
        max_results: u64,
    ) -> SockResult<Vec<IncomingDatagram>> {
        let channel = &self.resource(&s)?.channel;
        if channel.stale() {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let mut got = Vec::new();
        let mut buf = vec![0; MAX_DATAGRAM];
        while (got.len() as u64) < max_results.min(MAX_BATCH) {
            match rustix::net::recvfrom(&*channel.fd, &mut buf[..], RecvFlags::empty()) {
                Ok((n, _, Some(from))) => {
                    let Ok(from) = SocketAddr::try_from(from) else {
                        continue;
                    };
                    // The kernel filters a connected socket's peers; this
                    // guards against a datagram queued before `stream`.
                    if channel.remote.is_some_and(|r| r != from) {
                        continue;
                    }
                    got.push(IncomingDatagram {
                        data: buf[..n.min(buf.len())].to_vec(),
                        remote_address: to_guest(from),
                    });
                }
                Ok((_, _, None)) | Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => break,
                Err(e) if got.is_empty() => return Ok(Err(error_code(e))),
                Err(_) => break,
            }
        }
        Ok(Ok(got))
    }

    fn subscribe(&mut self, s: Resource<IncomingDatagramStream>) -> Result<Resource<Pollable>> {
        let fd = self.resource(&s)?.channel.fd.clone();
        self.push_resource(Pollable {
            wait: Wait::Fd(fd, false),
        })
    }

    fn drop(&mut self, rep: Resource<IncomingDatagramStream>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

impl udp::HostOutgoingDatagramStream for WasiCtx {
    fn check_send(&mut self, s: Resource<OutgoingDatagramStream>) -> SockResult<u64> {
        let out = self.resource(&s)?;
        if out.channel.stale() {
            return Ok(Err(ErrorCode::InvalidState));
        }
        // The kernel queues or drops datagrams without blocking a
        // non-blocking send for long: a batch is always allowed, and a
        // full buffer shows as a short `send`.
        out.permitted = MAX_BATCH;
        Ok(Ok(MAX_BATCH))
    }

    fn send(
        &mut self,
        s: Resource<OutgoingDatagramStream>,
        datagrams: Vec<OutgoingDatagram>,
    ) -> SockResult<u64> {
        let out = self.resource(&s)?;
        if datagrams.len() as u64 > out.permitted {
            return Err(weft::__component_hooks::host_trap(
                "outgoing-datagram-stream.send of more datagrams than check-send permitted",
            ));
        }
        out.permitted -= datagrams.len() as u64;
        let channel = &out.channel;
        if channel.stale() {
            return Ok(Err(ErrorCode::InvalidState));
        }
        let mut sent = 0u64;
        for d in datagrams {
            match send_one(channel, d) {
                Ok(true) => sent += 1,
                // The buffer is full: the rest waits for the pollable.
                Ok(false) => break,
                Err(e) if sent == 0 => return Ok(Err(e)),
                Err(_) => break,
            }
        }
        Ok(Ok(sent))
    }

    fn subscribe(&mut self, s: Resource<OutgoingDatagramStream>) -> Result<Resource<Pollable>> {
        let fd = self.resource(&s)?.channel.fd.clone();
        self.push_resource(Pollable {
            wait: Wait::Fd(fd, true),
        })
    }

    fn drop(&mut self, rep: Resource<OutgoingDatagramStream>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

/// Forgets a UDP socket's peer. Linux also forgets a port the kernel
/// chose when the socket was bound to port 0, which would make the guest's
/// bound socket send from another port: it is bound again to the port it
/// had.
fn disconnect(fd: &OwnedFd) -> SockResultInner<()> {
    let local = super::local_address(fd)?;
    match rustix::net::connect_unspec(fd) {
        Ok(()) | Err(Errno::AFNOSUPPORT) => {}
        Err(e) => return Err(error_code(e)),
    }
    if super::local_address(fd).map(|now| now.port()) != Ok(local.port()) {
        rustix::net::bind(fd, &local).map_err(error_code)?;
    }
    Ok(())
}

/// Sends one datagram; `false` if the socket's buffer is full.
fn send_one(channel: &Channel, d: OutgoingDatagram) -> SockResultInner<bool> {
    if d.data.len() > MAX_DATAGRAM {
        return Err(ErrorCode::DatagramTooLarge);
    }
    let to = d.remote_address.map(to_host);
    let result = match (channel.remote, to) {
        (Some(peer), Some(to)) if peer != to => return Err(ErrorCode::InvalidArgument),
        (Some(_), _) => rustix::net::send(&*channel.fd, &d.data, send_flags()),
        (None, None) => return Err(ErrorCode::InvalidArgument),
        (None, Some(to)) => {
            check_remote(channel.family, &to)?;
            rustix::net::sendto(&*channel.fd, &d.data, send_flags(), &to)
        }
    };
    match result {
        Ok(_) => Ok(true),
        Err(Errno::AGAIN) => Ok(false),
        Err(e) => Err(error_code(e)),
    }
}

impl udp::Host for WasiCtx {}

#[cfg(test)]
mod tests {
    use super::super::tests::{borrow, denied, granted, loopback};
    use super::*;
    use crate::p2::bindings::wasi::io::poll::Host as _;
    use crate::p2::bindings::wasi::sockets::instance_network::Host as _;
    use udp::{HostIncomingDatagramStream, HostOutgoingDatagramStream, HostUdpSocket};
    use udp_create_socket::Host as _;

    /// A UDP socket bound to loopback port 0.
    fn bound(ctx: &mut WasiCtx) -> Resource<UdpSocket> {
        let net = ctx.instance_network().unwrap();
        let s = ctx
            .create_udp_socket(IpAddressFamily::Ipv4)
            .unwrap()
            .unwrap();
        ctx.start_bind(borrow(&s), borrow(&net), loopback(IpAddressFamily::Ipv4, 0))
            .unwrap()
            .unwrap();
        ctx.finish_bind(borrow(&s)).unwrap().unwrap();
        s
    }

    #[test]
    fn send_and_receive_on_loopback() {
        let mut ctx = granted();
        let a = bound(&mut ctx);
        let b = bound(&mut ctx);
        let a_addr = ctx.local_address(borrow(&a)).unwrap().unwrap();
        let b_addr = ctx.local_address(borrow(&b)).unwrap().unwrap();

        // `a` sends to whoever it names; `b` hears only `a`.
        let (a_in, a_out) = ctx.stream(borrow(&a), None).unwrap().unwrap();
        let (b_in, b_out) = ctx
            .stream(borrow(&b), Some(a_addr.clone()))
            .unwrap()
            .unwrap();
        assert_eq!(
            ctx.remote_address(borrow(&b)).unwrap().unwrap(),
            a_addr.clone()
        );
        assert_eq!(
            ctx.remote_address(borrow(&a)).unwrap().err(),
            Some(ErrorCode::InvalidState)
        );
        assert_eq!(ctx.receive(borrow(&b_in), 10).unwrap().unwrap(), vec![]);

        // `send` before `check-send` traps.
        let hello = || OutgoingDatagram {
            data: b"hello".to_vec(),
            remote_address: Some(b_addr.clone()),
        };
        assert!(ctx.send(borrow(&a_out), vec![hello()]).is_err());
        assert!(ctx.check_send(borrow(&a_out)).unwrap().unwrap() >= 2);
        let unaddressed = OutgoingDatagram {
            data: Vec::new(),
            remote_address: None,
        };
        assert_eq!(
            ctx.send(borrow(&a_out), vec![unaddressed]).unwrap().err(),
            Some(ErrorCode::InvalidArgument)
        );
        assert_eq!(
            ctx.send(borrow(&a_out), vec![hello(), hello()])
                .unwrap()
                .unwrap(),
            2
        );

        let mut got = Vec::new();
        while got.len() < 2 {
            let p = HostIncomingDatagramStream::subscribe(&mut ctx, borrow(&b_in)).unwrap();
            ctx.poll(vec![borrow(&p)]).unwrap();
            got.extend(ctx.receive(borrow(&b_in), 10).unwrap().unwrap());
        }
        for d in &got {
            assert_eq!(d.data, b"hello");
            assert_eq!(d.remote_address, a_addr);
        }

        // And back, on `b`'s connected stream, without an address.
        ctx.check_send(borrow(&b_out)).unwrap().unwrap();
        let reply = OutgoingDatagram {
            data: b"back".to_vec(),
            remote_address: None,
        };
        assert_eq!(ctx.send(borrow(&b_out), vec![reply]).unwrap().unwrap(), 1);
        let p = HostIncomingDatagramStream::subscribe(&mut ctx, borrow(&a_in)).unwrap();
        ctx.poll(vec![borrow(&p)]).unwrap();
        let got = ctx.receive(borrow(&a_in), 1).unwrap().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].data, b"back");
        assert_eq!(got[0].remote_address, b_addr);

        // Dissolving `b`'s connection keeps its port.
        let (_b_in2, _b_out2) = ctx.stream(borrow(&b), None).unwrap().unwrap();
        assert_eq!(ctx.local_address(borrow(&b)).unwrap().unwrap(), b_addr);
        assert_eq!(
            ctx.remote_address(borrow(&b)).unwrap().err(),
            Some(ErrorCode::InvalidState)
        );

        // A second `stream` call retires the first pair.
        let (_in2, _out2) = ctx.stream(borrow(&a), None).unwrap().unwrap();
        assert_eq!(
            ctx.receive(borrow(&a_in), 1).unwrap().err(),
            Some(ErrorCode::InvalidState)
        );
        HostIncomingDatagramStream::drop(&mut ctx, a_in).unwrap();
        HostOutgoingDatagramStream::drop(&mut ctx, a_out).unwrap();
        HostUdpSocket::drop(&mut ctx, a).unwrap();
    }

    #[test]
    fn stream_needs_a_bound_socket() {
        let mut ctx = granted();
        let s = ctx
            .create_udp_socket(IpAddressFamily::Ipv4)
            .unwrap()
            .unwrap();
        assert_eq!(
            ctx.stream(borrow(&s), None).unwrap().err(),
            Some(ErrorCode::InvalidState)
        );
        assert_eq!(
            ctx.finish_bind(borrow(&s)).unwrap().err(),
            Some(ErrorCode::NotInProgress)
        );
    }

    #[test]
    fn nothing_granted_is_access_denied() {
        let mut ctx = denied();
        assert_eq!(
            ctx.create_udp_socket(IpAddressFamily::Ipv4).unwrap().err(),
            Some(ErrorCode::AccessDenied)
        );
        ctx.net.udp = true;
        let s = ctx
            .create_udp_socket(IpAddressFamily::Ipv4)
            .unwrap()
            .unwrap();
        ctx.net.udp = false;
        let net = ctx.instance_network().unwrap();
        let any = loopback(IpAddressFamily::Ipv4, 0);
        assert_eq!(
            ctx.start_bind(borrow(&s), borrow(&net), any).unwrap().err(),
            Some(ErrorCode::AccessDenied)
        );
        assert_eq!(
            ctx.stream(borrow(&s), Some(loopback(IpAddressFamily::Ipv4, 1)))
                .unwrap()
                .err(),
            Some(ErrorCode::AccessDenied)
        );
    }
}
