//! `wasi:sockets/ip-name-lookup`: names resolved by the host's resolver
//! (getaddrinfo through the standard library) on a thread of their own,
//! since `resolve-addresses` must not block; the stream's pollable waits
//! for that thread to finish.

use super::{Network, SockResult, SockResultInner, ip_to_guest};
use crate::WasiCtx;
use crate::p2::bindings::wasi::sockets::ip_name_lookup;
use crate::p2::io::{Pollable, Wait};
use ip_name_lookup::{ErrorCode, IpAddress};
use std::collections::VecDeque;
use std::net::{IpAddr, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, mpsc};
use weft::Result;
use weft_component::Resource;

/// The longest name DNS can carry.
const MAX_NAME: usize = 253;

/// A `resolve-address-stream`: a lookup under way, or its addresses.
pub struct ResolveAddressStream {
    state: Lookup,
}

enum Lookup {
    /// The resolver thread will send its answer on `answer` and then
    /// close its end of `done`, which makes `done` readable: something
    /// poll(2) can wait on.
    Pending {
        answer: mpsc::Receiver<SockResultInner<Vec<IpAddress>>>,
        done: Arc<UnixStream>,
    },
    /// The addresses not yet taken, or why there are none.
    Done(SockResultInner<VecDeque<IpAddress>>),
}

/// Whether `name` may be a domain name: ASCII labels of letters, digits,
/// `-` and `_`, none empty or over 63 bytes (a final `.` is allowed).
/// Names beyond ASCII would need IDNA, which weft does not do: they are
/// refused rather than handed to the resolver as they are.
fn valid_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Resolves `name` with the host's resolver: its addresses in the
/// resolver's order, each once.
fn resolve(name: &str) -> SockResultInner<Vec<IpAddress>> {
    match (name, 0u16).to_socket_addrs() {
        Ok(addrs) => {
            let mut ips: Vec<IpAddress> = Vec::new();
            for a in addrs {
                let ip = ip_to_guest(a.ip());
                if !ips.contains(&ip) {
                    ips.push(ip);
                }
            }
            if ips.is_empty() {
                Err(ErrorCode::NameUnresolvable)
            } else {
                Ok(ips)
            }
        }
        // The standard library keeps getaddrinfo's code only in its
        // message; EAI_AGAIN's is the one a guest should retry.
        Err(e) if e.to_string().contains("Temporary failure") => {
            Err(ErrorCode::TemporaryResolverFailure)
        }
        Err(_) => Err(ErrorCode::NameUnresolvable),
    }
}

impl ip_name_lookup::Host for WasiCtx {
    fn resolve_addresses(
        &mut self,
        network: Resource<Network>,
        name: String,
    ) -> SockResult<Resource<ResolveAddressStream>> {
        self.resource(&network)?;
        if !self.net.ip_name_lookup {
            return Ok(Err(ErrorCode::AccessDenied));
        }
        // An address is its own answer, with no request made.
        let literal = name.strip_prefix('[').and_then(|n| n.strip_suffix(']'));
        if let Ok(ip) = literal.unwrap_or(&name).parse::<IpAddr>() {
            return Ok(Ok(self.push_resource(ResolveAddressStream {
                state: Lookup::Done(Ok(VecDeque::from([ip_to_guest(ip)]))),
            })?));
        }
        if !valid_name(&name) {
            return Ok(Err(ErrorCode::InvalidArgument));
        }
        let state = match UnixStream::pair() {
            Ok((done, finished)) => {
                let (send, answer) = mpsc::channel();
                let lookup = name.clone();
                let spawned = std::thread::Builder::new()
                    .name("weft-ip-name-lookup".into())
                    .spawn(move || {
                        // The guest may have dropped the stream: nobody
                        // hears the answer then, which is fine.
                        let _ = send.send(resolve(&lookup));
                        drop(finished);
                    });
                match spawned {
                    Ok(_) => Lookup::Pending {
                        answer,
                        done: Arc::new(done),
                    },
                    // No thread to spare: resolve here, late but right.
                    Err(_) => Lookup::Done(resolve(&name).map(VecDeque::from)),
                }
            }
            Err(_) => Lookup::Done(resolve(&name).map(VecDeque::from)),
        };
        Ok(Ok(self.push_resource(ResolveAddressStream { state })?))
    }
}

impl ip_name_lookup::HostResolveAddressStream for WasiCtx {
    fn resolve_next_address(
        &mut self,
        s: Resource<ResolveAddressStream>,
    ) -> SockResult<Option<IpAddress>> {
        let stream = self.resource(&s)?;
        if let Lookup::Pending { answer, .. } = &stream.state {
            stream.state = match answer.try_recv() {
                Ok(got) => Lookup::Done(got.map(VecDeque::from)),
                Err(mpsc::TryRecvError::Empty) => return Ok(Err(ErrorCode::WouldBlock)),
                // The thread ended without an answer (it panicked).
                Err(mpsc::TryRecvError::Disconnected) => Lookup::Done(Err(ErrorCode::Unknown)),
            };
        }
        Ok(match &mut stream.state {
            Lookup::Done(Ok(addrs)) => Ok(addrs.pop_front()),
            Lookup::Done(Err(e)) => Err(*e),
            Lookup::Pending { .. } => Err(ErrorCode::WouldBlock),
        })
    }

    fn subscribe(&mut self, s: Resource<ResolveAddressStream>) -> Result<Resource<Pollable>> {
        let wait = match &self.resource(&s)?.state {
            Lookup::Pending { done, .. } => Wait::Fd(done.clone(), false),
            Lookup::Done(_) => Wait::Now,
        };
        self.push_resource(Pollable { wait })
    }

    fn drop(&mut self, rep: Resource<ResolveAddressStream>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{borrow, denied, granted};
    use super::*;
    use crate::p2::bindings::wasi::io::poll::Host as _;
    use crate::p2::bindings::wasi::sockets::instance_network::Host as _;
    use ip_name_lookup::{Host as _, HostResolveAddressStream};

    /// All the addresses of `name`, waiting on the stream's pollable.
    fn lookup(ctx: &mut WasiCtx, name: &str) -> SockResultInner<Vec<IpAddress>> {
        let net = ctx.instance_network().unwrap();
        let s = ctx.resolve_addresses(borrow(&net), name.into()).unwrap()?;
        let mut all = Vec::new();
        loop {
            match ctx.resolve_next_address(borrow(&s)).unwrap() {
                Ok(Some(ip)) => all.push(ip),
                Ok(None) => break,
                Err(ErrorCode::WouldBlock) => {
                    let p = ctx.subscribe(borrow(&s)).unwrap();
                    ctx.poll(vec![borrow(&p)]).unwrap();
                }
                Err(e) => return Err(e),
            }
        }
        HostResolveAddressStream::drop(ctx, s).unwrap();
        Ok(all)
    }

    #[test]
    fn localhost_is_loopback() {
        let mut ctx = granted();
        let ips = lookup(&mut ctx, "localhost").unwrap();
        assert!(!ips.is_empty());
        for ip in ips {
            assert!(
                ip == IpAddress::Ipv4((127, 0, 0, 1))
                    || ip == IpAddress::Ipv6((0, 0, 0, 0, 0, 0, 0, 1)),
                "{ip:?}"
            );
        }
    }

    #[test]
    fn addresses_need_no_lookup() {
        let mut ctx = granted();
        assert_eq!(
            lookup(&mut ctx, "192.0.2.7"),
            Ok(vec![IpAddress::Ipv4((192, 0, 2, 7))])
        );
        assert_eq!(
            lookup(&mut ctx, "[::1]"),
            Ok(vec![IpAddress::Ipv6((0, 0, 0, 0, 0, 0, 0, 1))])
        );
    }

    #[test]
    fn bad_names_are_invalid() {
        let mut ctx = granted();
        for name in ["", "a..b", "white space", "no/slash", &"x".repeat(64)] {
            assert_eq!(
                lookup(&mut ctx, name),
                Err(ErrorCode::InvalidArgument),
                "{name:?}"
            );
        }
    }

    #[test]
    fn lookup_without_a_grant_is_access_denied() {
        let mut ctx = denied();
        assert_eq!(lookup(&mut ctx, "localhost"), Err(ErrorCode::AccessDenied));
        let mut ctx = crate::WasiCtxBuilder::new()
            .inherit_network()
            .allow_ip_name_lookup(false)
            .build();
        assert_eq!(lookup(&mut ctx, "127.0.0.1"), Err(ErrorCode::AccessDenied));
    }
}
