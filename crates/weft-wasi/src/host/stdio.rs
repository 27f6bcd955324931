//! The guest's standard streams, for both bindings: the host's own
//! stdin/stdout/stderr, an in-memory input, capture buffers for tests, or
//! nothing.
//!
//! The host's stdin is read by one background thread per process, and only
//! when a guest asks for data (a read, or a poll for readiness): a poll can
//! then wait for input with a timeout, and a non-blocking read can say
//! `EAGAIN`, without the host having a portable `poll(2)`.

use std::collections::VecDeque;
use std::io::{self, IsTerminal, Read, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

/// A shared, growable buffer that captures what a guest writes to stdout or
/// stderr. Clones share the same bytes.
#[derive(Clone, Debug, Default)]
pub struct OutputBuffer(Arc<Mutex<Vec<u8>>>);

impl OutputBuffer {
    /// An empty buffer.
    pub fn new() -> OutputBuffer {
        OutputBuffer::default()
    }

    /// A copy of everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        lock(&self.0).clone()
    }

    /// Everything written so far, as (lossy) UTF-8 text.
    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&lock(&self.0)).into_owned()
    }

    fn append(&self, data: &[u8]) {
        lock(&self.0).extend_from_slice(data);
    }
}

/// Locks `m`, ignoring poisoning (the data is plain bytes and stays valid).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where a guest's output stream goes.
pub(crate) enum Output {
    /// The host process's stdout.
    Stdout,
    /// The host process's stderr.
    Stderr,
    /// A capture buffer.
    Buffer(OutputBuffer),
    /// Nowhere: writes succeed and are dropped.
    Null,
}

impl Output {
    /// Writes all of `bufs`, returning the number of bytes written.
    pub(crate) fn write(&mut self, bufs: &[&[u8]]) -> io::Result<usize> {
        let total = bufs.iter().map(|b| b.len()).sum();
        match self {
            Output::Stdout => write_all(&mut io::stdout().lock(), bufs)?,
            Output::Stderr => write_all(&mut io::stderr().lock(), bufs)?,
            Output::Buffer(b) => bufs.iter().for_each(|d| b.append(d)),
            Output::Null => {}
        }
        Ok(total)
    }

    /// Flushes what the host buffered.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Stdout => io::stdout().flush(),
            Output::Stderr => io::stderr().flush(),
            Output::Buffer(_) | Output::Null => Ok(()),
        }
    }

    /// Whether the stream is a terminal.
    pub(crate) fn is_terminal(&self) -> bool {
        match self {
            Output::Stdout => io::stdout().is_terminal(),
            Output::Stderr => io::stderr().is_terminal(),
            Output::Buffer(_) | Output::Null => false,
        }
    }
}

/// Writes each buffer in turn, then flushes: the guest's libc buffers, so
/// each `fd_write` is meant to reach the stream now.
fn write_all(out: &mut impl Write, bufs: &[&[u8]]) -> io::Result<()> {
    for b in bufs {
        out.write_all(b)?;
    }
    out.flush()
}

/// Where a guest's input stream comes from.
pub(crate) enum Input {
    /// The host process's stdin, through the stdin thread.
    Stdin,
    /// Bytes given by the embedder.
    Bytes(VecDeque<u8>),
    /// Nothing: always at end of file.
    Empty,
}

/// Whether an input stream can be read without blocking.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Readiness {
    /// A read returns now: `nbytes` are available; `hangup` at end of file.
    Ready {
        /// Bytes available now.
        nbytes: u64,
        /// Whether the stream is at its end.
        hangup: bool,
    },
    /// A read would block.
    Pending,
}

impl Input {
    /// Reads into `buf`. A non-blocking read with nothing available is
    /// `WouldBlock`; 0 means end of file.
    pub(crate) fn read(&mut self, buf: &mut [u8], nonblocking: bool) -> io::Result<usize> {
        match self {
            Input::Stdin => stdin().read(buf, nonblocking),
            Input::Bytes(data) => data.read(buf),
            Input::Empty => Ok(0),
        }
    }

    /// Whether a read would return now (asking the stdin thread for data
    /// if not).
    pub(crate) fn readiness(&self) -> Readiness {
        match self {
            Input::Stdin => stdin().readiness(),
            Input::Bytes(data) => Readiness::Ready {
                nbytes: data.len() as u64,
                hangup: data.is_empty(),
            },
            Input::Empty => Readiness::Ready {
                nbytes: 0,
                hangup: true,
            },
        }
    }

    /// Whether the stream is a terminal.
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(self, Input::Stdin) && io::stdin().is_terminal()
    }
}

/// Blocks until the host's stdin has data or reaches its end, or until
/// `deadline`. Returns at once if nothing asked for stdin data.
pub(crate) fn wait_for_stdin(deadline: Option<Instant>) {
    stdin().wait(deadline);
}

/// The process's stdin reader.
struct StdinThread {
    state: Mutex<StdinState>,
    changed: Condvar,
}

/// What the stdin thread has read and been asked for.
#[derive(Default)]
struct StdinState {
    /// Bytes read and not yet consumed by a guest.
    data: VecDeque<u8>,
    /// The host's stdin reached its end.
    eof: bool,
    /// The last read failed: reported once to the next reader.
    error: Option<io::ErrorKind>,
    /// A guest is waiting for data.
    wanted: bool,
}

/// The process-wide stdin thread, started on first use.
fn stdin() -> &'static StdinThread {
    static STDIN: OnceLock<&'static StdinThread> = OnceLock::new();
    STDIN.get_or_init(|| {
        let t: &'static StdinThread = Box::leak(Box::new(StdinThread {
            state: Mutex::new(StdinState::default()),
            changed: Condvar::new(),
        }));
        let spawned = std::thread::Builder::new()
            .name("weft-wasi-stdin".into())
            .spawn(move || t.run());
        if spawned.is_err() {
            // Without a thread, stdin reads as an error once, then as empty.
            let mut s = lock(&t.state);
            s.error = Some(io::ErrorKind::OutOfMemory);
            s.eof = true;
        }
        t
    })
}

impl StdinThread {
    /// The thread's loop: whenever a guest wants data and none is buffered,
    /// read one chunk from the host's stdin.
    fn run(&self) {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            {
                let mut s = lock(&self.state);
                while !(s.wanted && s.data.is_empty() && !s.eof) {
                    s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
                }
            }
            let got = io::stdin().lock().read(&mut chunk);
            let mut s = lock(&self.state);
            match got {
                Ok(0) => s.eof = true,
                Ok(n) => s.data.extend(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => s.error = Some(e.kind()),
            }
            s.wanted = false;
            self.changed.notify_all();
        }
    }

    fn read(&self, buf: &mut [u8], nonblocking: bool) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut s = lock(&self.state);
        loop {
            if let Some(kind) = s.error.take() {
                return Err(kind.into());
            }
            if !s.data.is_empty() {
                return s.data.read(buf);
            }
            if s.eof {
                return Ok(0);
            }
            s.wanted = true;
            self.changed.notify_all();
            if nonblocking {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn readiness(&self) -> Readiness {
        let mut s = lock(&self.state);
        if !s.data.is_empty() || s.eof || s.error.is_some() {
            return Readiness::Ready {
                nbytes: s.data.len() as u64,
                hangup: s.eof && s.data.is_empty(),
            };
        }
        s.wanted = true;
        self.changed.notify_all();
        Readiness::Pending
    }

    fn wait(&self, deadline: Option<Instant>) {
        let mut s = lock(&self.state);
        while s.wanted && s.data.is_empty() && !s.eof && s.error.is_none() {
            match deadline {
                None => s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return;
                    }
                    s = self
                        .changed
                        .wait_timeout(s, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }
}
