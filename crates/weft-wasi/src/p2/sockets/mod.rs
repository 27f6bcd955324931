//! `wasi:sockets`: the network handle, TCP and UDP sockets and name
//! lookup, on the host's own non-blocking sockets.
//!
//! Nothing of the host's network is reachable unless the embedder granted
//! it (see [`WasiCtxBuilder::inherit_network`](crate::WasiCtxBuilder::inherit_network)):
//! a guest may always take its `instance-network`, but creating, binding
//! or connecting a socket, or resolving a name, is refused with
//! `access-denied` when its kind was not granted.
//!
//! Every socket is non-blocking, as WASI requires; the guest waits through
//! pollables that poll(2) the socket itself, never by spinning.

mod lookup;
mod tcp;
mod udp;

pub use lookup::ResolveAddressStream;
pub use tcp::TcpSocket;
pub use udp::{IncomingDatagramStream, OutgoingDatagramStream, UdpSocket};

use super::bindings::wasi::sockets::{instance_network, network};
use crate::WasiCtx;
use network::{ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress};
use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketType};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsFd, OwnedFd};
use weft::Result;
use weft_component::Resource;

/// What a socket operation gives the guest: the value or a WASI error code
/// (the outer `Result` is for the host's own failures, which trap).
pub(crate) type SockResult<T> = Result<std::result::Result<T, ErrorCode>>;

/// `wasi:sockets/network`: the guest's handle to the host's network. It
/// carries no rights of its own; what the guest may do with it is decided
/// by the context's grants when it is used.
pub struct Network {
    _private: (),
}

impl network::HostNetwork for WasiCtx {
    fn drop(&mut self, rep: Resource<Network>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

impl network::Host for WasiCtx {}

impl instance_network::Host for WasiCtx {
    fn instance_network(&mut self) -> Result<Resource<Network>> {
        // Handed out even without a grant: the guest learns nothing from
        // it, and each use is checked against the grants.
        self.push_resource(Network { _private: () })
    }
}

/// The WASI error code of a failed socket call.
pub(crate) fn error_code(e: Errno) -> ErrorCode {
    match e {
        Errno::ACCESS | Errno::PERM => ErrorCode::AccessDenied,
        Errno::OPNOTSUPP | Errno::NOSYS | Errno::AFNOSUPPORT | Errno::PROTONOSUPPORT => {
            ErrorCode::NotSupported
        }
        Errno::INVAL | Errno::DESTADDRREQ => ErrorCode::InvalidArgument,
        Errno::NOMEM | Errno::NOBUFS => ErrorCode::OutOfMemory,
        Errno::TIMEDOUT => ErrorCode::Timeout,
        Errno::ALREADY => ErrorCode::ConcurrencyConflict,
        Errno::AGAIN | Errno::INPROGRESS => ErrorCode::WouldBlock,
        Errno::ISCONN | Errno::NOTCONN => ErrorCode::InvalidState,
        Errno::MFILE | Errno::NFILE => ErrorCode::NewSocketLimit,
        Errno::ADDRINUSE => ErrorCode::AddressInUse,
        Errno::ADDRNOTAVAIL => ErrorCode::AddressNotBindable,
        Errno::HOSTUNREACH | Errno::HOSTDOWN | Errno::NETUNREACH | Errno::NETDOWN => {
            ErrorCode::RemoteUnreachable
        }
        Errno::CONNREFUSED => ErrorCode::ConnectionRefused,
        Errno::CONNRESET | Errno::PIPE => ErrorCode::ConnectionReset,
        Errno::CONNABORTED => ErrorCode::ConnectionAborted,
        Errno::MSGSIZE => ErrorCode::DatagramTooLarge,
        _ => ErrorCode::Unknown,
    }
}

/// A guest's socket address as the host's.
pub(crate) fn to_host(a: IpSocketAddress) -> SocketAddr {
    match a {
        IpSocketAddress::Ipv4(a) => {
            let (b0, b1, b2, b3) = a.address;
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(b0, b1, b2, b3), a.port))
        }
        IpSocketAddress::Ipv6(a) => {
            let (s0, s1, s2, s3, s4, s5, s6, s7) = a.address;
            SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::new(s0, s1, s2, s3, s4, s5, s6, s7),
                a.port,
                a.flow_info,
                a.scope_id,
            ))
        }
    }
}

/// A host socket address as the guest's.
pub(crate) fn to_guest(a: SocketAddr) -> IpSocketAddress {
    match a {
        SocketAddr::V4(a) => IpSocketAddress::Ipv4(network::Ipv4SocketAddress {
            port: a.port(),
            address: ipv4_tuple(*a.ip()),
        }),
        SocketAddr::V6(a) => IpSocketAddress::Ipv6(network::Ipv6SocketAddress {
            port: a.port(),
            flow_info: a.flowinfo(),
            address: ipv6_tuple(*a.ip()),
            scope_id: a.scope_id(),
        }),
    }
}

fn ipv4_tuple(ip: Ipv4Addr) -> network::Ipv4Address {
    let [b0, b1, b2, b3] = ip.octets();
    (b0, b1, b2, b3)
}

fn ipv6_tuple(ip: Ipv6Addr) -> network::Ipv6Address {
    let [s0, s1, s2, s3, s4, s5, s6, s7] = ip.segments();
    (s0, s1, s2, s3, s4, s5, s6, s7)
}

/// A host IP address as the guest's; an IPv4-mapped IPv6 address becomes
/// the IPv4 address it maps, as `ip-name-lookup` promises.
pub(crate) fn ip_to_guest(ip: IpAddr) -> IpAddress {
    match ip {
        IpAddr::V4(v4) => IpAddress::Ipv4(ipv4_tuple(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddress::Ipv4(ipv4_tuple(v4)),
            None => IpAddress::Ipv6(ipv6_tuple(v6)),
        },
    }
}

/// The family of a host address.
pub(crate) fn family_of(a: &SocketAddr) -> IpAddressFamily {
    match a {
        SocketAddr::V4(_) => IpAddressFamily::Ipv4,
        SocketAddr::V6(_) => IpAddressFamily::Ipv6,
    }
}

/// Checks an address a guest gives a socket of `family`: the same family,
/// and not an IPv4-mapped IPv6 address (WASI sockets are IPv6-only, so
/// such an address would reach IPv4 through the back door).
pub(crate) fn check_address(
    family: IpAddressFamily,
    a: &SocketAddr,
) -> std::result::Result<(), ErrorCode> {
    if family_of(a) != family {
        return Err(ErrorCode::InvalidArgument);
    }
    if let SocketAddr::V6(v6) = a
        && v6.ip().to_ipv4_mapped().is_some()
    {
        return Err(ErrorCode::InvalidArgument);
    }
    if a.ip().is_multicast() {
        return Err(ErrorCode::InvalidArgument);
    }
    Ok(())
}

/// Checks an address a guest sends or connects to: a usable family, a
/// unicast address that is not "any", and a port that is not 0.
pub(crate) fn check_remote(
    family: IpAddressFamily,
    a: &SocketAddr,
) -> std::result::Result<(), ErrorCode> {
    check_address(family, a)?;
    let broadcast = matches!(a.ip(), IpAddr::V4(v4) if v4.is_broadcast());
    if a.ip().is_unspecified() || a.port() == 0 || broadcast {
        return Err(ErrorCode::InvalidArgument);
    }
    Ok(())
}

/// A new non-blocking socket of `family` and type `ty`; IPv6 sockets are
/// IPv6-only, as WASI specifies.
pub(crate) fn new_socket(
    family: IpAddressFamily,
    ty: SocketType,
) -> std::result::Result<OwnedFd, ErrorCode> {
    let af = match family {
        IpAddressFamily::Ipv4 => AddressFamily::INET,
        IpAddressFamily::Ipv6 => AddressFamily::INET6,
    };
    let fd = rustix::net::socket(af, ty, None).map_err(error_code)?;
    prepare(&fd).map_err(error_code)?;
    if family == IpAddressFamily::Ipv6 {
        rustix::net::sockopt::set_ipv6_v6only(&fd, true).map_err(error_code)?;
    }
    Ok(fd)
}

/// Makes a new socket non-blocking, closed on exec (a host's child
/// processes must not inherit the guest's sockets) and, where sends
/// cannot say so per call, free of SIGPIPE.
pub(crate) fn prepare(fd: &OwnedFd) -> rustix::io::Result<()> {
    use rustix::io::{FdFlags, fcntl_getfd, fcntl_setfd};
    rustix::io::ioctl_fionbio(fd, true)?;
    fcntl_setfd(fd, fcntl_getfd(fd)? | FdFlags::CLOEXEC)?;
    #[cfg(target_vendor = "apple")]
    rustix::net::sockopt::set_socket_nosigpipe(fd, true)?;
    Ok(())
}

/// Flags for every send: a peer that went away is an error for the guest,
/// never a SIGPIPE that would kill the host.
pub(crate) fn send_flags() -> rustix::net::SendFlags {
    #[cfg(not(target_vendor = "apple"))]
    {
        rustix::net::SendFlags::NOSIGNAL
    }
    #[cfg(target_vendor = "apple")]
    {
        rustix::net::SendFlags::empty()
    }
}

/// The socket's local address.
pub(crate) fn local_address(fd: impl AsFd) -> std::result::Result<SocketAddr, ErrorCode> {
    let a = rustix::net::getsockname(fd).map_err(error_code)?;
    SocketAddr::try_from(a).map_err(|_| ErrorCode::Unknown)
}

/// The socket's peer address; `invalid-state` when it has none.
pub(crate) fn remote_address(fd: impl AsFd) -> std::result::Result<SocketAddr, ErrorCode> {
    match rustix::net::getpeername(fd).map_err(error_code)? {
        Some(a) => SocketAddr::try_from(a).map_err(|_| ErrorCode::Unknown),
        None => Err(ErrorCode::InvalidState),
    }
}

/// The IP_TTL or IPV6_UNICAST_HOPS of a socket.
pub(crate) fn hop_limit(fd: impl AsFd, family: IpAddressFamily) -> SockResultInner<u8> {
    use rustix::net::sockopt;
    match family {
        IpAddressFamily::Ipv4 => sockopt::ip_ttl(fd)
            .map(|ttl| u8::try_from(ttl).unwrap_or(u8::MAX))
            .map_err(error_code),
        IpAddressFamily::Ipv6 => sockopt::ipv6_unicast_hops(fd).map_err(error_code),
    }
}

/// Sets the IP_TTL or IPV6_UNICAST_HOPS of a socket; 0 is invalid.
pub(crate) fn set_hop_limit(
    fd: impl AsFd,
    family: IpAddressFamily,
    value: u8,
) -> SockResultInner<()> {
    use rustix::net::sockopt;
    if value == 0 {
        return Err(ErrorCode::InvalidArgument);
    }
    match family {
        IpAddressFamily::Ipv4 => sockopt::set_ip_ttl(fd, u32::from(value)),
        IpAddressFamily::Ipv6 => sockopt::set_ipv6_unicast_hops(fd, Some(value)),
    }
    .map_err(error_code)
}

/// SO_RCVBUF (`send` false) or SO_SNDBUF (`send` true).
pub(crate) fn buffer_size(fd: impl AsFd, send: bool) -> SockResultInner<u64> {
    use rustix::net::sockopt;
    let size = if send {
        sockopt::socket_send_buffer_size(fd)
    } else {
        sockopt::socket_recv_buffer_size(fd)
    };
    size.map(|s| s as u64).map_err(error_code)
}

/// Sets SO_RCVBUF or SO_SNDBUF: 0 is invalid, and a size beyond what the
/// kernel takes (an `int`) is clamped, since WASI says any other value
/// never fails.
pub(crate) fn set_buffer_size(fd: impl AsFd, send: bool, value: u64) -> SockResultInner<()> {
    use rustix::net::sockopt;
    if value == 0 {
        return Err(ErrorCode::InvalidArgument);
    }
    let value = usize::try_from(value.min(i32::MAX as u64 / 2)).unwrap_or(1 << 20);
    if send {
        sockopt::set_socket_send_buffer_size(fd, value)
    } else {
        sockopt::set_socket_recv_buffer_size(fd, value)
    }
    .map_err(error_code)
}

/// A socket result without the host's outer `Result`.
pub(crate) type SockResultInner<T> = std::result::Result<T, ErrorCode>;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::WasiCtxBuilder;

    /// A context granted the whole network.
    pub(crate) fn granted() -> WasiCtx {
        WasiCtxBuilder::new().inherit_network().build()
    }

    /// A context granted nothing.
    pub(crate) fn denied() -> WasiCtx {
        WasiCtxBuilder::new().build()
    }

    /// A borrow of the resource `r` owns, as a guest passes it.
    pub(crate) fn borrow<T: 'static>(r: &Resource<T>) -> Resource<T> {
        Resource::new_borrow(r.rep())
    }

    /// The loopback address of `family` at `port`.
    pub(crate) fn loopback(family: IpAddressFamily, port: u16) -> IpSocketAddress {
        to_guest(match family {
            IpAddressFamily::Ipv4 => SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            IpAddressFamily::Ipv6 => SocketAddr::from((Ipv6Addr::LOCALHOST, port)),
        })
    }

    #[test]
    fn addresses_round_trip() {
        for a in [
            "127.0.0.1:80".parse::<SocketAddr>().unwrap(),
            "[fe80::1%3]:8080".parse().unwrap(),
        ] {
            assert_eq!(to_host(to_guest(a)), a);
        }
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(ip_to_guest(mapped), IpAddress::Ipv4((10, 0, 0, 1)));
    }

    #[test]
    fn addresses_are_checked() {
        let v4 = IpAddressFamily::Ipv4;
        let v6 = IpAddressFamily::Ipv6;
        let a = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(check_remote(v4, &a("127.0.0.1:1")), Ok(()));
        assert_eq!(
            check_remote(v6, &a("127.0.0.1:1")),
            Err(ErrorCode::InvalidArgument)
        );
        assert_eq!(
            check_remote(v4, &a("0.0.0.0:1")),
            Err(ErrorCode::InvalidArgument)
        );
        assert_eq!(
            check_remote(v4, &a("127.0.0.1:0")),
            Err(ErrorCode::InvalidArgument)
        );
        assert_eq!(
            check_address(v6, &a("[::ffff:127.0.0.1]:1")),
            Err(ErrorCode::InvalidArgument)
        );
        assert_eq!(check_address(v4, &a("0.0.0.0:0")), Ok(()));
    }

    #[test]
    fn instance_network_without_a_grant() {
        use instance_network::Host;
        use network::HostNetwork;
        let mut ctx = denied();
        let net = ctx.instance_network().unwrap();
        HostNetwork::drop(&mut ctx, net).unwrap();
    }
}
