//! Files and directories beneath cap-std directory capabilities, for
//! both bindings: opening, statting, linking, reading links, changing
//! times and listing, all resolved beneath a `Dir`, so that absolute
//! paths, `..` above the directory and symbolic links that lead outside
//! it fail (a `PermissionDenied` error without an OS error number, which
//! preview 1 reports as `ENOTCAPABLE` and preview 2 as `not-permitted`).
//! Errors are the host's `io::Error`s; each binding maps them.

use crate::host::ctx::Handle;
use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
    SystemTimeSpec,
};
use cap_std::fs::{Dir, FileTypeExt, Metadata, MetadataExt, OpenOptions};
use std::io;
use std::time::SystemTime;

/// The error of a path that would lead outside its directory: what
/// cap-std reports for an escape (`PermissionDenied`, no OS error number).
fn escape() -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        "a path led outside of the filesystem",
    )
}

/// The type of a file, as the host knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// Of a type the host does not say or weft does not know.
    Unknown,
    /// A block device.
    BlockDevice,
    /// A character device.
    CharacterDevice,
    /// A directory.
    Directory,
    /// A named pipe.
    Fifo,
    /// A regular file.
    RegularFile,
    /// A socket.
    Socket,
    /// A symbolic link.
    SymbolicLink,
}

/// The kind of a host file type.
pub(crate) fn kind_of(ft: &cap_std::fs::FileType) -> FileKind {
    if ft.is_symlink() {
        FileKind::SymbolicLink
    } else if ft.is_dir() {
        FileKind::Directory
    } else if ft.is_file() {
        FileKind::RegularFile
    } else if ft.is_block_device() {
        FileKind::BlockDevice
    } else if ft.is_char_device() {
        FileKind::CharacterDevice
    } else if ft.is_fifo() {
        FileKind::Fifo
    } else if ft.is_socket() {
        FileKind::Socket
    } else {
        FileKind::Unknown
    }
}

/// A timestamp change of `*_set_times`: keep, now, or a given time.
pub(crate) enum TimeChange {
    /// Leave the timestamp as it is.
    Keep,
    /// Set it to the current time.
    Now,
    /// Set it to this time.
    At(SystemTime),
}

/// Changes the access and modification times of an open file or
/// directory. Shared with preview 2's `set-times`.
pub(crate) fn set_file_times(file: &std::fs::File, a: TimeChange, m: TimeChange) -> io::Result<()> {
    let now = SystemTime::now();
    let mut times = std::fs::FileTimes::new();
    match a {
        TimeChange::Keep => {}
        TimeChange::Now => times = times.set_accessed(now),
        TimeChange::At(t) => times = times.set_accessed(t),
    }
    match m {
        TimeChange::Keep => {}
        TimeChange::Now => times = times.set_modified(now),
        TimeChange::At(t) => times = times.set_modified(t),
    }
    file.set_times(times)?;
    Ok(())
}

/// The directory `dir` opened as a file (to sync it or set its times).
pub(crate) fn dir_as_file(dir: &cap_std::fs::Dir) -> io::Result<std::fs::File> {
    Ok(dir.try_clone()?.into_std_file())
}

/// One entry of a directory listing.
pub(crate) struct Entry {
    /// The entry's name, as the host's bytes.
    pub(crate) name: Vec<u8>,
    /// Its inode number.
    pub(crate) ino: u64,
    /// Its file type.
    pub(crate) kind: FileKind,
}

/// The entries of `dir`: `.` and `..`, then the others sorted by name
/// (preview 2's `read-directory` lists them without the first two).
pub(crate) fn list_dir(dir: &cap_std::fs::Dir) -> io::Result<Vec<Entry>> {
    let ino = dir.dir_metadata()?.ino();
    let dot = |name: &[u8]| Entry {
        name: name.to_vec(),
        ino,
        kind: FileKind::Directory,
    };
    let mut rest = Vec::new();
    for e in dir.entries()? {
        let e = e?;
        let name = name_bytes(e.file_name());
        let kind = e
            .file_type()
            .map(|t| kind_of(&t))
            .unwrap_or(FileKind::Unknown);
        #[cfg(unix)]
        let ino = rustix::fs::DirEntryExt::ino(&e);
        #[cfg(not(unix))]
        let ino = 0;
        rest.push(Entry { name, ino, kind });
    }
    rest.sort_by(|a, b| a.name.cmp(&b.name));
    let mut all = vec![dot(b"."), dot(b"..")];
    all.extend(rest);
    Ok(all)
}

/// The bytes of a file name.
pub(crate) fn name_bytes(name: std::ffi::OsString) -> Vec<u8> {
    #[cfg(unix)]
    {
        std::os::unix::ffi::OsStringExt::into_vec(name)
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned().into_bytes()
    }
}

/// The metadata of `path` beneath `dir`, or of the link itself when
/// `follow` is false. Shared with preview 2's `stat-at`.
pub(crate) fn stat_at(dir: &Dir, path: &str, follow: bool) -> io::Result<Metadata> {
    Ok(if follow {
        dir.metadata(path)?
    } else {
        dir.symlink_metadata(path)?
    })
}

/// The cap-std form of a timestamp change.
fn time_spec(change: TimeChange) -> Option<SystemTimeSpec> {
    match change {
        TimeChange::Keep => None,
        TimeChange::Now => Some(SystemTimeSpec::SymbolicNow),
        TimeChange::At(t) => Some(SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(t),
        )),
    }
}

/// Changes the access and modification times of `path` beneath `dir`
/// (of the link itself when `follow` is false). Shared with preview 2.
pub(crate) fn set_times_at(
    dir: &Dir,
    path: &str,
    follow: bool,
    a: TimeChange,
    m: TimeChange,
) -> io::Result<()> {
    if follow {
        dir.set_times(path, time_spec(a), time_spec(m))?;
    } else {
        dir.set_symlink_times(path, time_spec(a), time_spec(m))?;
    }
    Ok(())
}

/// Hard-links `old_path` beneath `from` as `new_path` beneath `to`.
/// Following a symbolic link at the source is `EINVAL`: cap-std links the
/// path itself. Shared with preview 2's `link-at`.
pub(crate) fn link_at(
    from: &Dir,
    old_path: &str,
    follow: bool,
    to: &Dir,
    new_path: &str,
) -> io::Result<()> {
    if follow {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    from.hard_link(old_path, to, new_path)?;
    Ok(())
}

/// How to open a path beneath a directory: what each binding's flags
/// (preview 1's `oflags`, rights and `fdflags`, preview 2's open and
/// descriptor flags) ask of the host.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Open {
    /// Open a directory (`O_DIRECTORY`): fail if the path names a file.
    pub directory: bool,
    /// Create the file if it does not exist.
    pub create: bool,
    /// With `create`: fail if it exists.
    pub exclusive: bool,
    /// Truncate the file to length 0.
    pub truncate: bool,
    /// The descriptor will read (or list the directory).
    pub read: bool,
    /// The descriptor will write (or resize the file).
    pub write: bool,
    /// Synchronized writes (`O_SYNC`).
    pub sync: bool,
    /// Synchronized data writes (`O_DSYNC`).
    pub dsync: bool,
    /// Synchronized reads (`O_RSYNC`).
    pub rsync: bool,
    /// Follow a symbolic link in the last component.
    pub follow: bool,
}

/// Opens `path` beneath `dir` as `how` asks: a directory (`directory`, or
/// a path that names one) or a file. Creating, truncating or writing a
/// directory is `InvalidInput` or `IsADirectory`.
pub(crate) fn open_at(dir: &Dir, path: &str, how: &Open) -> io::Result<Handle> {
    if !how.directory {
        return open_file(dir, path, how);
    }
    if how.create || how.exclusive || how.truncate {
        return Err(io::ErrorKind::InvalidInput.into());
    }
    // As POSIX `open(O_DIRECTORY | O_RDWR)`: a directory is never
    // opened for writing.
    if how.write {
        return Err(io::ErrorKind::IsADirectory.into());
    }
    Ok(Handle::Dir(if how.follow {
        dir.open_dir(path)?
    } else {
        dir.open_dir_nofollow(path)?
    }))
}

/// Opens `path` beneath `dir` as a file, or as a directory if it is one.
fn open_file(dir: &Dir, path: &str, how: &Open) -> io::Result<Handle> {
    let read = how.read;
    let mut write = how.write;
    let create = how.create;
    let trunc = how.truncate;
    if trunc {
        // POSIX leaves O_TRUNC without write access undefined; the host
        // needs write access to truncate.
        write = true;
    }
    let mut opts = OpenOptions::new();
    opts.read(read || !write);
    opts.write(write);
    // Append mode is not passed to the host: it is the descriptor's flag,
    // applied by each write (`p1::fs::fd_write`), so that
    // `fd_fdstat_set_flags` can turn it on and off, and so that it combines
    // with `O_TRUNC` (which the host refuses together with append mode).
    opts.truncate(trunc);
    if create && how.exclusive {
        opts.create_new(true);
    } else if create {
        opts.create(true);
    }
    opts.follow(if how.follow {
        FollowSymlinks::Yes
    } else {
        FollowSymlinks::No
    });
    opts.maybe_dir(true);
    opts.sync(how.sync);
    opts.dsync(how.dsync);
    opts.rsync(how.rsync);
    if create && !write {
        // The host creates files only with write access: create it with
        // a separate handle, then open it as asked.
        let mut creator = opts.clone();
        creator.write(true);
        drop(dir.open_with(path, &creator)?);
        opts.create(false).create_new(false);
    }
    let file = dir.open_with(path, &opts)?;
    if file.metadata()?.is_dir() {
        if write {
            return Err(io::ErrorKind::IsADirectory.into());
        }
        return Ok(Handle::Dir(Dir::from_std_file(file.into_std())));
    }
    Ok(Handle::File(file))
}

/// The contents of the symbolic link `path` beneath `dir`, as bytes.
/// Shared with preview 2's `readlink-at`.
pub(crate) fn readlink_at(dir: &Dir, path: &str) -> io::Result<Vec<u8>> {
    Ok(name_bytes(dir.read_link_contents(path)?.into_os_string()))
}

/// Creates `new_path` beneath `dir` pointing at `old_path`. An absolute
/// target is refused (`ENOTCAPABLE`): it could only name something
/// outside the sandbox. Shared with preview 2's `symlink-at`.
pub(crate) fn symlink_at(dir: &Dir, old_path: &str, new_path: &str) -> io::Result<()> {
    if old_path.starts_with('/') {
        return Err(escape());
    }
    dir.symlink(old_path, new_path)?;
    Ok(())
}
