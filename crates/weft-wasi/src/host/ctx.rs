//! `WasiCtx`, the state of one WASI guest (arguments, environment, open
//! descriptors, random source, network grants, preview 2's resources),
//! and `WasiCtxBuilder`, which grants it what it may reach of the host;
//! both bindings run on it. The descriptor table still states a
//! descriptor's rights and flags in preview 1's terms (`p1::abi`) and its
//! errors as [`Errno`]s.

use crate::host::errno::Errno;
use crate::host::stdio::{Input, Output, OutputBuffer};
use crate::p1::abi::{fdflags, rights};
use cap_std::fs::Dir;
use std::collections::VecDeque;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::path::Path;

/// What a file descriptor refers to.
pub(crate) enum Handle {
    /// A readable stream (stdin).
    Input(Input),
    /// A writable stream (stdout, stderr).
    Output(Output),
    /// A file opened through a directory capability.
    File(cap_std::fs::File),
    /// A directory: the capability to reach what is beneath it.
    Dir(Dir),
    /// A listening TCP socket granted by the embedder.
    Listener(TcpListener),
    /// A connected TCP socket.
    Stream(TcpStream),
}

/// An open file descriptor: the handle, its WASI rights and flags.
pub(crate) struct Descriptor {
    /// What it refers to.
    pub handle: Handle,
    /// The rights of this descriptor.
    pub base: u64,
    /// The rights descriptors opened through it may have.
    pub inheriting: u64,
    /// `fdflags` (append, nonblock, sync flags).
    pub flags: u16,
    /// The guest path of a preopened directory.
    pub preopen: Option<String>,
}

impl Descriptor {
    /// A descriptor of `handle` with the given rights and no flags.
    pub(crate) fn new(handle: Handle, base: u64, inheriting: u64) -> Descriptor {
        Descriptor {
            handle,
            base,
            inheriting,
            flags: 0,
            preopen: None,
        }
    }

    /// `ENOTCAPABLE` unless the descriptor has every right in `needed`.
    pub(crate) fn require(&self, needed: u64) -> Result<(), Errno> {
        if self.base & needed == needed {
            Ok(())
        } else {
            Err(Errno::Notcapable)
        }
    }

    /// The directory, or `ENOTDIR`.
    pub(crate) fn dir(&self) -> Result<&Dir, Errno> {
        match &self.handle {
            Handle::Dir(d) => Ok(d),
            _ => Err(Errno::Notdir),
        }
    }

    /// The regular file, or the error POSIX gives for the descriptor's
    /// kind: `EISDIR` for a directory, `ESPIPE` for streams and sockets.
    pub(crate) fn file(&self) -> Result<&cap_std::fs::File, Errno> {
        match &self.handle {
            Handle::File(f) => Ok(f),
            Handle::Dir(_) => Err(Errno::Isdir),
            _ => Err(Errno::Spipe),
        }
    }
}

/// The state of one WASI guest: its arguments, environment and file
/// descriptor table. Built by [`WasiCtxBuilder`]; put it in the store's
/// data and hand [`add_to_linker`](crate::add_to_linker) a way to reach it.
pub struct WasiCtx {
    /// Each argument, NUL-terminated.
    pub(crate) args: Vec<Vec<u8>>,
    /// Each `NAME=VALUE`, NUL-terminated.
    pub(crate) env: Vec<Vec<u8>>,
    /// The descriptor table: index = fd.
    pub(crate) fds: Vec<Option<Descriptor>>,
    /// Where `random_get` takes its bytes: the host's secure source unless
    /// the embedder chose another.
    pub(crate) random: Option<RandomSource>,
    /// Preview 2's resources: streams, pollables, descriptors, sockets.
    #[cfg(feature = "p2")]
    pub(crate) table: weft_component::ResourceTable,
    /// What of the host's network preview 2's `wasi:sockets` may use.
    #[cfg_attr(not(feature = "p2"), allow(dead_code))]
    pub(crate) net: NetworkGrants,
}

/// What of the host's network a guest was granted: nothing unless the
/// embedder said so. Preview 1 creates no sockets, so only preview 2's
/// `wasi:sockets` looks at these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NetworkGrants {
    /// TCP sockets: create, bind, connect, listen.
    pub tcp: bool,
    /// UDP sockets: create, bind, send.
    pub udp: bool,
    /// Name resolution through the host's resolver.
    pub ip_name_lookup: bool,
}

/// A source of bytes for `random_get` that the embedder chose instead of
/// the host's secure random source (for example a seeded generator, so that
/// runs are reproducible). It fills the whole buffer it is given.
pub type RandomSource = Box<dyn FnMut(&mut [u8]) + Send>;

impl WasiCtx {
    /// A context with nothing: no arguments, environment or descriptors.
    pub(crate) fn empty() -> WasiCtx {
        WasiCtx {
            args: Vec::new(),
            env: Vec::new(),
            fds: Vec::new(),
            random: None,
            #[cfg(feature = "p2")]
            table: weft_component::ResourceTable::new(),
            net: NetworkGrants::default(),
        }
    }

    /// Fills `buf` from the context's random source (the host's secure
    /// one unless the embedder chose another), for both preview 1 and 2.
    pub(crate) fn fill_random(&mut self, buf: &mut [u8]) -> Result<(), getrandom::Error> {
        match &mut self.random {
            Some(source) => {
                source(buf);
                Ok(())
            }
            None => getrandom::fill(buf),
        }
    }

    /// A builder for a new context.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }

    /// The descriptor `fd`, or `EBADF`.
    pub(crate) fn get(&self, fd: u32) -> Result<&Descriptor, Errno> {
        self.fds
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::Badf)
    }

    /// The descriptor `fd`, mutably, or `EBADF`.
    pub(crate) fn get_mut(&mut self, fd: u32) -> Result<&mut Descriptor, Errno> {
        self.fds
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::Badf)
    }

    /// Puts `d` in the lowest free slot and returns its number.
    pub(crate) fn insert(&mut self, d: Descriptor) -> Result<u32, Errno> {
        if let Some(i) = self.fds.iter().position(Option::is_none) {
            self.fds[i] = Some(d);
            return u32::try_from(i).map_err(|_| Errno::Mfile);
        }
        let fd = u32::try_from(self.fds.len()).map_err(|_| Errno::Mfile)?;
        self.fds.push(Some(d));
        Ok(fd)
    }

    /// Removes descriptor `fd`, returning it, or `EBADF`.
    pub(crate) fn remove(&mut self, fd: u32) -> Result<Descriptor, Errno> {
        let d = self
            .fds
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or(Errno::Badf)?;
        while matches!(self.fds.last(), Some(None)) {
            self.fds.pop();
        }
        Ok(d)
    }

    /// Places `d` at `fd`, replacing (and closing) what was there.
    pub(crate) fn place(&mut self, fd: u32, d: Descriptor) {
        let i = fd as usize;
        if self.fds.len() <= i {
            self.fds.resize_with(i + 1, || None);
        }
        self.fds[i] = Some(d);
    }

    /// Grants a pre-opened TCP listener to a context already built,
    /// returning its file descriptor.
    pub fn push_listener(&mut self, listener: TcpListener) -> u32 {
        let d = Descriptor::new(Handle::Listener(listener), rights::LISTENER, 0);
        // A table of 2^32 descriptors cannot exist in memory.
        self.insert(d).unwrap_or(u32::MAX)
    }
}

impl Default for WasiCtx {
    /// The same as `WasiCtxBuilder::new().build()`: no arguments,
    /// environment or preopens; stdin empty, stdout and stderr discarded.
    fn default() -> WasiCtx {
        WasiCtxBuilder::new().build()
    }
}

/// Builds a [`WasiCtx`]: arguments, environment, standard streams and the
/// directories and sockets the guest is granted. Nothing of the host is
/// reachable unless granted here.
///
/// ```no_run
/// use weft_wasi::WasiCtxBuilder;
/// let ctx = WasiCtxBuilder::new()
///     .arg("prog.wasm")
///     .env("HOME", "/")
///     .inherit_stdio()
///     .preopened_dir("/tmp/sandbox", ".")?
///     .build();
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
    preopens: Vec<(Dir, String)>,
    listeners: Vec<TcpListener>,
    random: Option<RandomSource>,
    net: NetworkGrants,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder::new()
    }
}

/// `s` as a C string: its bytes and a NUL (a NUL inside ends it early for
/// the guest, as C strings do).
fn c_string(s: &[u8]) -> Vec<u8> {
    let mut v = s.to_vec();
    v.push(0);
    v
}

impl WasiCtxBuilder {
    /// A builder for a guest with no arguments, environment or preopens,
    /// an empty stdin, and stdout and stderr discarded.
    pub fn new() -> WasiCtxBuilder {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Input::Empty,
            stdout: Output::Null,
            stderr: Output::Null,
            preopens: Vec::new(),
            listeners: Vec::new(),
            random: None,
            net: NetworkGrants::default(),
        }
    }

    /// Appends one argument (the first is the program's name, `argv[0]`).
    pub fn arg(&mut self, arg: impl AsRef<str>) -> &mut Self {
        self.args.push(c_string(arg.as_ref().as_bytes()));
        self
    }

    /// Appends several arguments.
    pub fn args<S: AsRef<str>>(&mut self, args: impl IntoIterator<Item = S>) -> &mut Self {
        for a in args {
            self.arg(a);
        }
        self
    }

    /// Sets environment variable `name` to `value` (a later value for the
    /// same name replaces an earlier one).
    pub fn env(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> &mut Self {
        self.env_bytes(name.as_ref().as_bytes(), value.as_ref().as_bytes());
        self
    }

    fn env_bytes(&mut self, name: &[u8], value: &[u8]) {
        let mut prefix = name.to_vec();
        prefix.push(b'=');
        self.env.retain(|e| !e.starts_with(&prefix));
        let mut entry = prefix;
        entry.extend_from_slice(value);
        self.env.push(c_string(&entry));
    }

    /// Sets several environment variables.
    pub fn envs<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> &mut Self {
        for (k, v) in vars {
            self.env(k, v);
        }
        self
    }

    /// Passes the host process's whole environment to the guest.
    pub fn inherit_env(&mut self) -> &mut Self {
        for (k, v) in std::env::vars_os() {
            self.env_bytes(&os_bytes(&k), &os_bytes(&v));
        }
        self
    }

    /// Connects the guest's stdin to the host's.
    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.stdin = Input::Stdin;
        self
    }

    /// Connects the guest's stdout to the host's.
    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.stdout = Output::Stdout;
        self
    }

    /// Connects the guest's stderr to the host's.
    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.stderr = Output::Stderr;
        self
    }

    /// Connects all three standard streams to the host's.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// Gives the guest `data` as its stdin.
    pub fn stdin_bytes(&mut self, data: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin = Input::Bytes(VecDeque::from(data.into()));
        self
    }

    /// Captures the guest's stdout in `buffer`.
    pub fn stdout(&mut self, buffer: &OutputBuffer) -> &mut Self {
        self.stdout = Output::Buffer(buffer.clone());
        self
    }

    /// Captures the guest's stderr in `buffer`.
    pub fn stderr(&mut self, buffer: &OutputBuffer) -> &mut Self {
        self.stderr = Output::Buffer(buffer.clone());
        self
    }

    /// Grants the guest the host directory `host_path` (and everything
    /// beneath it, but nothing above it) under the name `guest_path`.
    /// Fails if the directory cannot be opened.
    pub fn preopened_dir(
        &mut self,
        host_path: impl AsRef<Path>,
        guest_path: impl AsRef<str>,
    ) -> io::Result<&mut Self> {
        let dir = Dir::open_ambient_dir(host_path.as_ref(), cap_std::ambient_authority())?;
        Ok(self.preopened_dir_handle(dir, guest_path))
    }

    /// Grants the guest an already opened directory capability under the
    /// name `guest_path`.
    pub fn preopened_dir_handle(&mut self, dir: Dir, guest_path: impl AsRef<str>) -> &mut Self {
        self.preopens.push((dir, guest_path.as_ref().to_string()));
        self
    }

    /// Grants the guest a listening TCP socket; it gets the next file
    /// descriptor after the preopened directories, for `sock_accept`.
    pub fn preopened_listener(&mut self, listener: TcpListener) -> &mut Self {
        self.listeners.push(listener);
        self
    }

    /// Makes `random_get` take its bytes from `source` instead of the
    /// host's secure random source. Only for guests that need no secrecy:
    /// a seeded source makes runs reproducible (tests, benchmarks).
    pub fn random_source(&mut self, source: impl FnMut(&mut [u8]) + Send + 'static) -> &mut Self {
        self.random = Some(Box::new(source));
        self
    }

    /// Grants the guest the host's network, every address of it, as
    /// wasmtime's `-S inherit-network` does, and with it everything
    /// `wasi:sockets` offers: TCP, UDP and (which wasmtime grants
    /// separately) name lookup; a later `allow_*(false)` takes one back. Without a grant a guest may still ask for its
    /// `instance-network`, but creating, binding or connecting a socket or
    /// resolving a name fails with `access-denied`. Preview 2 only:
    /// preview 1 guests use only the sockets they were handed.
    pub fn inherit_network(&mut self) -> &mut Self {
        self.net = NetworkGrants {
            tcp: true,
            udp: true,
            ip_name_lookup: true,
        };
        self
    }

    /// Allows or forbids TCP sockets (`wasi:sockets/tcp`) to any address.
    pub fn allow_tcp(&mut self, allow: bool) -> &mut Self {
        self.net.tcp = allow;
        self
    }

    /// Allows or forbids UDP sockets (`wasi:sockets/udp`) to any address.
    pub fn allow_udp(&mut self, allow: bool) -> &mut Self {
        self.net.udp = allow;
        self
    }

    /// Allows or forbids resolving names with the host's resolver
    /// (`wasi:sockets/ip-name-lookup`); a guest may learn through it which
    /// names the host's network knows.
    pub fn allow_ip_name_lookup(&mut self, allow: bool) -> &mut Self {
        self.net.ip_name_lookup = allow;
        self
    }

    /// The context. Descriptors 0, 1 and 2 are stdin, stdout and stderr;
    /// the preopened directories follow in the order they were granted,
    /// then the sockets. The builder is left empty, as from `new`.
    pub fn build(&mut self) -> WasiCtx {
        let b = std::mem::take(self);
        let mut ctx = WasiCtx {
            args: b.args,
            env: b.env,
            random: b.random,
            net: b.net,
            ..WasiCtx::empty()
        };
        let stdio = [
            Descriptor::new(Handle::Input(b.stdin), rights::INPUT, 0),
            Descriptor::new(Handle::Output(b.stdout), rights::OUTPUT, 0),
            Descriptor::new(Handle::Output(b.stderr), rights::OUTPUT, 0),
        ];
        ctx.fds.extend(stdio.into_iter().map(Some));
        for (dir, guest) in b.preopens {
            let mut d = Descriptor::new(
                Handle::Dir(dir),
                rights::DIRECTORY,
                rights::DIRECTORY | rights::FILE,
            );
            d.preopen = Some(guest);
            ctx.fds.push(Some(d));
        }
        for l in b.listeners {
            ctx.push_listener(l);
        }
        ctx
    }
}

/// The bytes of an OS string (lossy UTF-8 where the platform's strings are
/// not bytes).
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        s.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        s.to_string_lossy().into_owned().into_bytes()
    }
}

/// Flags a descriptor may carry: the defined `fdflags` bits.
pub(crate) fn valid_fdflags(flags: u16) -> Result<u16, Errno> {
    if flags & !fdflags::ALL != 0 {
        Err(Errno::Inval)
    } else {
        Ok(flags)
    }
}
