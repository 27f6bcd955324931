//! `wasi:io`: errors, pollables (with a `poll` that sleeps or waits on
//! the host's descriptors, never spins) and byte streams. The standard
//! streams read and write the context's descriptors 0–2, as preview 1
//! does; files and sockets plug in their own [`Reader`]/[`Writer`] and
//! readiness.

use super::bindings::wasi::io::{error, poll, streams};
use crate::WasiCtx;
use crate::host::stdio::{Readiness, wait_for_stdin};
#[cfg(unix)]
use rustix::event::PollFlags;
use std::io;
#[cfg(unix)]
use std::os::fd::AsFd;
#[cfg(unix)]
use std::sync::Arc;
use std::time::Instant;
use streams::StreamError;
use weft::{Error, Result};
use weft_component::Resource;

/// Bytes a single `check-write` lets a guest write at once.
const WRITE_BUDGET: u64 = 1 << 20;

/// `wasi:io/error`: what went wrong with a stream, as text.
pub struct IoError {
    pub(crate) message: String,
    /// The host error as an errno, for `filesystem-error-code`.
    pub(crate) errno: Option<crate::Errno>,
}

/// A source of bytes other than stdin (a file, a socket).
pub(crate) trait Reader: Send {
    /// Up to `len` bytes; blocking waits for at least one. `Ok(None)` at
    /// the end.
    fn read(&mut self, len: usize, blocking: bool) -> io::Result<Option<Vec<u8>>>;
    /// What waiting for data means.
    fn subscribe(&self) -> Wait;
}

/// A sink of bytes other than stdout and stderr.
pub(crate) trait Writer: Send {
    /// Writes all of `bytes`.
    fn write(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Flushes what is buffered.
    fn flush(&mut self) -> io::Result<()>;
}

/// What an `input-stream` reads.
#[allow(dead_code, reason = "files and sockets are the other sources")]
pub(crate) enum Source {
    /// The context's descriptor 0.
    Stdin,
    Other(Box<dyn Reader>),
}

/// An `input-stream`.
pub struct InputStream {
    pub(crate) source: Source,
    pub(crate) closed: bool,
}

/// What an `output-stream` writes.
#[allow(dead_code, reason = "files and sockets are the other sinks")]
pub(crate) enum Sink {
    /// The context's descriptor 1 or 2.
    Fd(u32),
    Other(Box<dyn Writer>),
}

/// An `output-stream`.
pub struct OutputStream {
    pub(crate) sink: Sink,
    pub(crate) closed: bool,
}

/// What a pollable waits for.
#[allow(dead_code, reason = "sockets wait on their descriptors")]
pub(crate) enum Wait {
    /// Nothing: ready now.
    Now,
    /// A moment of the monotonic clock.
    At(Instant),
    /// Data on the context's stdin.
    Stdin,
    /// A host socket or file readable (`false`) or writable (`true`).
    #[cfg(unix)]
    Fd(Arc<dyn AsFd + Send + Sync>, bool),
    /// A host socket readable or writable, whichever comes first. A TCP
    /// socket's one pollable serves connect (writable when done) and
    /// accept (readable when a peer waits), and guests make it before
    /// they know which they will wait for.
    #[cfg(unix)]
    FdAny(Arc<dyn AsFd + Send + Sync>),
}

/// A `pollable`.
pub struct Pollable {
    pub(crate) wait: Wait,
}

impl InputStream {
    pub(crate) fn new(source: Source) -> InputStream {
        InputStream {
            source,
            closed: false,
        }
    }
}

impl OutputStream {
    pub(crate) fn new(sink: Sink) -> OutputStream {
        OutputStream {
            sink,
            closed: false,
        }
    }
}

fn table_error(e: weft_component::ResourceTableError) -> Error {
    Error::host(e)
}

impl WasiCtx {
    /// Stores a host resource in the context's table.
    pub(crate) fn push_resource<R: Send + 'static>(&mut self, r: R) -> Result<Resource<R>> {
        self.table.push(r).map_err(table_error)
    }

    /// The host resource behind `r`.
    pub(crate) fn resource<R: 'static>(&mut self, r: &Resource<R>) -> Result<&mut R> {
        self.table.get_mut(r).map_err(table_error)
    }

    /// Removes the host resource behind `r`.
    pub(crate) fn delete_resource<R: 'static>(&mut self, r: Resource<R>) -> Result<R> {
        self.table.delete(r).map_err(table_error)
    }

    /// A stream error carrying `e` as an `error` resource.
    fn stream_failed(&mut self, e: io::Error) -> Result<StreamError> {
        let err = self.push_resource(IoError {
            message: e.to_string(),
            errno: Some(crate::host::errno::from_io_error(&e)),
        })?;
        Ok(StreamError::LastOperationFailed(err))
    }

    fn read_stream(
        &mut self,
        s: &Resource<InputStream>,
        len: u64,
        blocking: bool,
    ) -> Result<std::result::Result<Vec<u8>, StreamError>> {
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(1 << 24);
        let stream = self.table.get_mut(s).map_err(table_error)?;
        if stream.closed {
            return Ok(Err(StreamError::Closed));
        }
        let got = match &mut stream.source {
            Source::Other(r) => r.read(len, blocking),
            Source::Stdin => {
                let Some(Some(d)) = self.fds.first_mut() else {
                    return Ok(Err(StreamError::Closed));
                };
                let crate::host::ctx::Handle::Input(input) = &mut d.handle else {
                    return Ok(Err(StreamError::Closed));
                };
                let mut buf = vec![0; len];
                match input.read(&mut buf, !blocking) {
                    Ok(0) if len > 0 => Ok(None),
                    Ok(n) => {
                        buf.truncate(n);
                        Ok(Some(buf))
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Some(Vec::new())),
                    Err(e) => Err(e),
                }
            }
        };
        match got {
            Ok(Some(bytes)) => Ok(Ok(bytes)),
            Ok(None) => {
                self.resource(s)?.closed = true;
                Ok(Err(StreamError::Closed))
            }
            Err(e) => {
                self.resource(s)?.closed = true;
                Ok(Err(self.stream_failed(e)?))
            }
        }
    }

    fn write_stream(
        &mut self,
        s: &Resource<OutputStream>,
        bytes: &[u8],
        flush: bool,
    ) -> Result<std::result::Result<(), StreamError>> {
        let stream = self.table.get_mut(s).map_err(table_error)?;
        if stream.closed {
            return Ok(Err(StreamError::Closed));
        }
        let done = match &mut stream.sink {
            Sink::Other(w) => w
                .write(bytes)
                .and_then(|()| if flush { w.flush() } else { Ok(()) }),
            Sink::Fd(fd) => match self.fds.get_mut(*fd as usize) {
                Some(Some(d)) => match &mut d.handle {
                    crate::host::ctx::Handle::Output(out) => out
                        .write(&[bytes])
                        .and_then(|_| if flush { out.flush() } else { Ok(()) }),
                    _ => Err(io::Error::other("not an output stream")),
                },
                _ => Err(io::Error::other("the stream's descriptor is closed")),
            },
        };
        match done {
            Ok(()) => Ok(Ok(())),
            Err(e) => {
                self.resource(s)?.closed = true;
                Ok(Err(self.stream_failed(e)?))
            }
        }
    }
}

impl error::HostError for WasiCtx {
    fn to_debug_string(&mut self, e: Resource<IoError>) -> Result<String> {
        Ok(self.resource(&e)?.message.clone())
    }

    fn drop(&mut self, rep: Resource<IoError>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

impl error::Host for WasiCtx {}

impl streams::HostInputStream for WasiCtx {
    fn read(
        &mut self,
        s: Resource<InputStream>,
        len: u64,
    ) -> Result<std::result::Result<Vec<u8>, StreamError>> {
        self.read_stream(&s, len, false)
    }

    fn blocking_read(
        &mut self,
        s: Resource<InputStream>,
        len: u64,
    ) -> Result<std::result::Result<Vec<u8>, StreamError>> {
        self.read_stream(&s, len, true)
    }

    fn skip(
        &mut self,
        s: Resource<InputStream>,
        len: u64,
    ) -> Result<std::result::Result<u64, StreamError>> {
        Ok(self.read_stream(&s, len, false)?.map(|b| b.len() as u64))
    }

    fn blocking_skip(
        &mut self,
        s: Resource<InputStream>,
        len: u64,
    ) -> Result<std::result::Result<u64, StreamError>> {
        Ok(self.read_stream(&s, len, true)?.map(|b| b.len() as u64))
    }

    fn subscribe(&mut self, s: Resource<InputStream>) -> Result<Resource<Pollable>> {
        let wait = match &self.resource(&s)?.source {
            Source::Stdin => Wait::Stdin,
            Source::Other(r) => r.subscribe(),
        };
        self.push_resource(Pollable { wait })
    }

    fn drop(&mut self, rep: Resource<InputStream>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

impl streams::HostOutputStream for WasiCtx {
    fn check_write(
        &mut self,
        s: Resource<OutputStream>,
    ) -> Result<std::result::Result<u64, StreamError>> {
        Ok(if self.resource(&s)?.closed {
            Err(StreamError::Closed)
        } else {
            Ok(WRITE_BUDGET)
        })
    }

    fn write(
        &mut self,
        s: Resource<OutputStream>,
        contents: Vec<u8>,
    ) -> Result<std::result::Result<(), StreamError>> {
        self.write_stream(&s, &contents, false)
    }

    fn blocking_write_and_flush(
        &mut self,
        s: Resource<OutputStream>,
        contents: Vec<u8>,
    ) -> Result<std::result::Result<(), StreamError>> {
        self.write_stream(&s, &contents, true)
    }

    fn flush(&mut self, s: Resource<OutputStream>) -> Result<std::result::Result<(), StreamError>> {
        self.write_stream(&s, &[], true)
    }

    fn blocking_flush(
        &mut self,
        s: Resource<OutputStream>,
    ) -> Result<std::result::Result<(), StreamError>> {
        self.write_stream(&s, &[], true)
    }

    fn subscribe(&mut self, s: Resource<OutputStream>) -> Result<Resource<Pollable>> {
        self.resource(&s)?;
        self.push_resource(Pollable { wait: Wait::Now })
    }

    fn write_zeroes(
        &mut self,
        s: Resource<OutputStream>,
        len: u64,
    ) -> Result<std::result::Result<(), StreamError>> {
        let zeroes = vec![0; usize::try_from(len.min(WRITE_BUDGET)).unwrap_or(0)];
        self.write_stream(&s, &zeroes, false)
    }

    fn blocking_write_zeroes_and_flush(
        &mut self,
        s: Resource<OutputStream>,
        len: u64,
    ) -> Result<std::result::Result<(), StreamError>> {
        let zeroes = vec![0; usize::try_from(len.min(WRITE_BUDGET)).unwrap_or(0)];
        self.write_stream(&s, &zeroes, true)
    }

    fn splice(
        &mut self,
        s: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
    ) -> Result<std::result::Result<u64, StreamError>> {
        self.splice_streams(&s, &src, len, false)
    }

    fn blocking_splice(
        &mut self,
        s: Resource<OutputStream>,
        src: Resource<InputStream>,
        len: u64,
    ) -> Result<std::result::Result<u64, StreamError>> {
        self.splice_streams(&s, &src, len, true)
    }

    fn drop(&mut self, rep: Resource<OutputStream>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

impl WasiCtx {
    fn splice_streams(
        &mut self,
        to: &Resource<OutputStream>,
        from: &Resource<InputStream>,
        len: u64,
        blocking: bool,
    ) -> Result<std::result::Result<u64, StreamError>> {
        let bytes = match self.read_stream(from, len.min(WRITE_BUDGET), blocking)? {
            Ok(b) => b,
            Err(e) => return Ok(Err(e)),
        };
        Ok(self
            .write_stream(to, &bytes, blocking)?
            .map(|()| bytes.len() as u64))
    }
}

impl streams::Host for WasiCtx {}

impl WasiCtx {
    /// Whether `wait` is satisfied now.
    fn is_ready(&self, wait: &Wait) -> bool {
        match wait {
            Wait::Now => true,
            Wait::At(t) => Instant::now() >= *t,
            Wait::Stdin => match self.fds.first() {
                Some(Some(d)) => match &d.handle {
                    crate::host::ctx::Handle::Input(i) => {
                        !matches!(i.readiness(), Readiness::Pending)
                    }
                    _ => true,
                },
                _ => true,
            },
            #[cfg(unix)]
            Wait::Fd(fd, write) => fds_ready(
                &[(&**fd, interest(*write))],
                Some(std::time::Duration::ZERO),
            ),
            #[cfg(unix)]
            Wait::FdAny(fd) => fds_ready(&[(&**fd, ANY)], Some(std::time::Duration::ZERO)),
        }
    }

    /// Blocks until one of `waits` is ready; their indices.
    fn wait_any(&self, waits: &[&Wait]) -> Vec<u32> {
        loop {
            let ready: Vec<u32> = (0..waits.len() as u32)
                .filter(|&i| self.is_ready(waits[i as usize]))
                .collect();
            if !ready.is_empty() {
                return ready;
            }
            let deadline = waits
                .iter()
                .filter_map(|w| match w {
                    Wait::At(t) => Some(*t),
                    _ => None,
                })
                .min();
            #[cfg(unix)]
            {
                let fds: Vec<(&dyn AsFd, PollFlags)> = waits
                    .iter()
                    .filter_map(|w| match w {
                        Wait::Fd(fd, write) => Some((&**fd as &dyn AsFd, interest(*write))),
                        Wait::FdAny(fd) => Some((&**fd as &dyn AsFd, ANY)),
                        _ => None,
                    })
                    .collect();
                if !fds.is_empty() {
                    let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                    // Stdin is served by its thread: check it often.
                    let timeout = if waits.iter().any(|w| matches!(w, Wait::Stdin)) {
                        Some(timeout.map_or(STDIN_SLICE, |t| t.min(STDIN_SLICE)))
                    } else {
                        timeout
                    };
                    fds_ready(&fds, timeout);
                    continue;
                }
            }
            if waits.iter().any(|w| matches!(w, Wait::Stdin)) {
                wait_for_stdin(deadline);
            } else if let Some(d) = deadline {
                std::thread::sleep(d.saturating_duration_since(Instant::now()));
            }
        }
    }
}

/// How long a wait on sockets goes before looking at stdin again.
#[cfg(unix)]
const STDIN_SLICE: std::time::Duration = std::time::Duration::from_millis(10);

/// The poll(2) events of a wait for reading (`false`) or writing (`true`).
#[cfg(unix)]
fn interest(write: bool) -> PollFlags {
    if write { PollFlags::OUT } else { PollFlags::IN }
}

/// The poll(2) events of [`Wait::FdAny`].
#[cfg(unix)]
const ANY: PollFlags = PollFlags::IN.union(PollFlags::OUT);

/// Waits until one of `fds` is ready for its events or `timeout` passes;
/// whether one is.
#[cfg(unix)]
fn fds_ready(fds: &[(&dyn AsFd, PollFlags)], timeout: Option<std::time::Duration>) -> bool {
    use rustix::event::{PollFd, Timespec, poll};
    let mut polls: Vec<PollFd<'_>> = fds
        .iter()
        .map(|(fd, flags)| PollFd::from_borrowed_fd(fd.as_fd(), *flags))
        .collect();
    let timeout = timeout.map(|t| Timespec {
        tv_sec: t.as_secs() as i64,
        tv_nsec: i64::from(t.subsec_nanos()),
    });
    matches!(poll(&mut polls, timeout.as_ref()), Ok(n) if n > 0)
}

impl poll::HostPollable for WasiCtx {
    fn ready(&mut self, p: Resource<Pollable>) -> Result<bool> {
        let p = self.table.get(&p).map_err(table_error)?;
        Ok(self.is_ready(&p.wait))
    }

    fn block(&mut self, p: Resource<Pollable>) -> Result<()> {
        let p = self.table.get(&p).map_err(table_error)?;
        self.wait_any(&[&p.wait]);
        Ok(())
    }

    fn drop(&mut self, rep: Resource<Pollable>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

impl poll::Host for WasiCtx {
    fn poll(&mut self, list: Vec<Resource<Pollable>>) -> Result<Vec<u32>> {
        if list.is_empty() {
            return Err(weft::__component_hooks::host_trap("poll of an empty list"));
        }
        let waits = list
            .iter()
            .map(|p| self.table.get(p).map(|p| &p.wait).map_err(table_error))
            .collect::<Result<Vec<_>>>()?;
        Ok(self.wait_any(&waits))
    }
}
