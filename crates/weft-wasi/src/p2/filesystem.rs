//! `wasi:filesystem`: descriptors of files and directories, and the
//! context's preopened directories.
//!
//! Paths are resolved by the host layer preview 1 uses too
//! (`crate::host::fs`): beneath a cap-std directory capability, so that
//! absolute paths, `..` above the directory and symbolic links leading
//! out of it fail (`not-permitted`, preview 1's `ENOTCAPABLE`). Host
//! errors map to `error-code` through the host's errno mapping
//! (`crate::host::errno`) and one table, [`error_code`].
//!
//! What a descriptor may do is its `descriptor-flags`: `read` and `write`
//! for files, `mutate-directory` for directories. A preopened directory
//! gets them from the rights preview 1 gave it.

use super::bindings::wasi::clocks::wall_clock::Datetime;
use super::bindings::wasi::filesystem::{preopens, types};
use super::io::{InputStream, IoError, OutputStream, Reader, Sink, Source, Wait, Writer};
use crate::host::ctx::{Handle, WasiCtx};
use crate::host::errno::Errno;
use crate::host::fs::{Entry, FileKind, Open, TimeChange, kind_of};
use crate::p1::abi::rights;
use cap_fs_ext::DirExt;
use cap_std::fs::{Dir, File, FileExt, Metadata, MetadataExt};
use std::hash::{BuildHasher, RandomState};
use std::io;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};
use types::{
    Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};
use weft::{Error, Result};
use weft_component::Resource;

/// The most bytes one `read` (of a descriptor or of a file's stream)
/// returns, so that a guest asking for a huge length does not make the
/// host allocate it; a shorter read is always allowed.
const MAX_READ: u64 = 1 << 20;

/// The preview-1 rights a preopened directory needs for preview 2's
/// `mutate-directory`: every right that changes what is beneath it.
const MUTATING: u64 = rights::PATH_CREATE_DIRECTORY
    | rights::PATH_CREATE_FILE
    | rights::PATH_LINK_SOURCE
    | rights::PATH_LINK_TARGET
    | rights::PATH_RENAME_SOURCE
    | rights::PATH_RENAME_TARGET
    | rights::PATH_SYMLINK
    | rights::PATH_REMOVE_DIRECTORY
    | rights::PATH_UNLINK_FILE;

/// A `descriptor`: an open file or directory and what it may do.
#[derive(Clone)]
pub struct Descriptor {
    kind: Kind,
    flags: DescriptorFlags,
}

/// What a descriptor refers to. Shared (`Arc`) so that the streams made
/// from a file keep it open without duplicating the host descriptor.
#[derive(Clone)]
enum Kind {
    File(Arc<File>),
    Dir(Arc<Dir>),
}

/// A `directory-entry-stream`: a directory's entries, listed when
/// `read-directory` was called.
pub struct DirectoryEntryStream {
    entries: std::vec::IntoIter<Entry>,
}

/// Why a filesystem function failed: an `error-code` for the guest, or a
/// trap (a handle that names no resource).
enum Failure {
    Code(ErrorCode),
    Trap(Error),
}

impl From<ErrorCode> for Failure {
    fn from(c: ErrorCode) -> Failure {
        Failure::Code(c)
    }
}

impl From<Errno> for Failure {
    fn from(e: Errno) -> Failure {
        Failure::Code(error_code(e))
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Errno::from(e).into()
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Trap(e)
    }
}

type Fs<T> = std::result::Result<T, Failure>;

/// `r` as the bindings return it: an error code is the function's
/// result, a trap ends the call.
fn done<T>(r: Fs<T>) -> Result<std::result::Result<T, ErrorCode>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(Failure::Code(c)) => Ok(Err(c)),
        Err(Failure::Trap(e)) => Err(e),
    }
}

/// The `error-code` of a preview-1 errno: the one table between the two,
/// so that both previews report a host error alike.
pub(crate) fn error_code(e: Errno) -> ErrorCode {
    use Errno as E;
    use ErrorCode as C;
    match e {
        E::Acces => C::Access,
        E::Again => C::WouldBlock,
        E::Already => C::Already,
        E::Badf => C::BadDescriptor,
        E::Busy => C::Busy,
        E::Deadlk => C::Deadlock,
        E::Dquot => C::Quota,
        E::Exist => C::Exist,
        E::Fbig => C::FileTooLarge,
        E::Ilseq => C::IllegalByteSequence,
        E::Inprogress => C::InProgress,
        E::Intr => C::Interrupted,
        E::Inval => C::Invalid,
        E::Io => C::Io,
        E::Isdir => C::IsDirectory,
        E::Loop => C::Loop,
        E::Mlink => C::TooManyLinks,
        E::Msgsize => C::MessageSize,
        E::Nametoolong => C::NameTooLong,
        E::Nodev => C::NoDevice,
        E::Noent => C::NoEntry,
        E::Nolck => C::NoLock,
        E::Nomem | E::Nobufs => C::InsufficientMemory,
        E::Nospc => C::InsufficientSpace,
        E::Notdir => C::NotDirectory,
        E::Notempty => C::NotEmpty,
        E::Notrecoverable => C::NotRecoverable,
        E::Notsup | E::Nosys => C::Unsupported,
        E::Notty => C::NoTty,
        E::Nxio => C::NoSuchDevice,
        E::Overflow => C::Overflow,
        // `ENOTCAPABLE` is a path leading out of a preopen or a missing
        // right: preview 2 calls both `not-permitted`.
        E::Perm | E::Notcapable => C::NotPermitted,
        E::Pipe => C::Pipe,
        E::Rofs => C::ReadOnly,
        E::Spipe => C::InvalidSeek,
        E::Txtbsy => C::TextFileBusy,
        E::Xdev => C::CrossDevice,
        // Socket, process and memory errors have no file-system code.
        _ => C::Io,
    }
}

impl Descriptor {
    /// The file, or `is-directory`.
    fn file(&self) -> Fs<&Arc<File>> {
        match &self.kind {
            Kind::File(f) => Ok(f),
            Kind::Dir(_) => Err(Errno::Isdir.into()),
        }
    }

    /// The file, if the descriptor may read it (`bad-descriptor` if not,
    /// as POSIX reading a descriptor opened write-only).
    fn readable(&self) -> Fs<&Arc<File>> {
        let f = self.file()?;
        if !self.flags.contains(DescriptorFlags::READ) {
            return Err(ErrorCode::BadDescriptor.into());
        }
        Ok(f)
    }

    /// The file, if the descriptor may write it (`bad-descriptor` if not).
    fn writable(&self) -> Fs<&Arc<File>> {
        let f = self.file()?;
        if !self.flags.contains(DescriptorFlags::WRITE) {
            return Err(ErrorCode::BadDescriptor.into());
        }
        Ok(f)
    }

    /// The directory, or `not-directory`.
    fn dir(&self) -> Fs<&Dir> {
        match &self.kind {
            Kind::Dir(d) => Ok(d),
            Kind::File(_) => Err(Errno::Notdir.into()),
        }
    }

    /// The directory, if the descriptor may change what is beneath it
    /// (`not-permitted` if not, as preview 1's missing right).
    fn mutable_dir(&self) -> Fs<&Dir> {
        let d = self.dir()?;
        if !self.flags.contains(DescriptorFlags::MUTATE_DIRECTORY) {
            return Err(ErrorCode::NotPermitted.into());
        }
        Ok(d)
    }

    fn metadata(&self) -> io::Result<Metadata> {
        match &self.kind {
            Kind::File(f) => f.metadata(),
            Kind::Dir(d) => d.dir_metadata(),
        }
    }

    /// The file or directory as a host file, to sync it or set its times.
    fn std_file(&self) -> Fs<std::fs::File> {
        Ok(match &self.kind {
            Kind::File(f) => f.try_clone()?.into_std(),
            Kind::Dir(d) => crate::host::fs::dir_as_file(d)?,
        })
    }

    /// Opens `path` beneath this directory, as `open-at` asks.
    fn open_at(
        &self,
        path_flags: PathFlags,
        path: &str,
        open_flags: OpenFlags,
        flags: DescriptorFlags,
    ) -> Fs<Descriptor> {
        let dir = self.dir()?;
        let mutation = DescriptorFlags::WRITE | DescriptorFlags::MUTATE_DIRECTORY;
        let changes = !(flags & mutation).is_empty()
            || !(open_flags & (OpenFlags::CREATE | OpenFlags::TRUNCATE)).is_empty();
        if changes && !self.flags.contains(DescriptorFlags::MUTATE_DIRECTORY) {
            return Err(ErrorCode::ReadOnly.into());
        }
        let how = Open {
            directory: open_flags.contains(OpenFlags::DIRECTORY),
            create: open_flags.contains(OpenFlags::CREATE),
            exclusive: open_flags.contains(OpenFlags::EXCLUSIVE),
            truncate: open_flags.contains(OpenFlags::TRUNCATE),
            read: flags.contains(DescriptorFlags::READ),
            write: flags.contains(DescriptorFlags::WRITE),
            sync: flags.contains(DescriptorFlags::FILE_INTEGRITY_SYNC),
            dsync: flags.contains(DescriptorFlags::DATA_INTEGRITY_SYNC),
            rsync: flags.contains(DescriptorFlags::REQUESTED_WRITE_SYNC),
            follow: path_flags.contains(PathFlags::SYMLINK_FOLLOW),
        };
        let kind = match crate::host::fs::open_at(dir, path, &how)? {
            Handle::File(f) => Kind::File(Arc::new(f)),
            Handle::Dir(d) => Kind::Dir(Arc::new(d)),
            // `host::fs::open_at` opens only files and directories.
            _ => return Err(ErrorCode::Io.into()),
        };
        let kept = match kind {
            Kind::File(_) => !DescriptorFlags::MUTATE_DIRECTORY,
            Kind::Dir(_) => DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY,
        };
        Ok(Descriptor {
            kind,
            flags: flags & kept,
        })
    }
}

/// Reads a file from an offset on, for `read-via-stream`.
struct FileReader {
    file: Arc<File>,
    offset: u64,
}

impl Reader for FileReader {
    fn read(&mut self, len: usize, _blocking: bool) -> io::Result<Option<Vec<u8>>> {
        if len == 0 {
            return Ok(Some(Vec::new()));
        }
        let mut buf = vec![0; len.min(MAX_READ as usize)];
        let n = read_at(&self.file, &mut buf, self.offset)?;
        if n == 0 {
            return Ok(None);
        }
        buf.truncate(n);
        self.offset = self.offset.saturating_add(n as u64);
        Ok(Some(buf))
    }

    /// A regular file is always ready, as `poll` reports it on POSIX.
    fn subscribe(&self) -> Wait {
        Wait::Now
    }
}

/// One positioned read, retried when interrupted.
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    loop {
        match file.read_at(buf, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            r => return r,
        }
    }
}

/// Writes a file from an offset on, or at its end (`at: None`), for
/// `write-via-stream` and `append-via-stream`.
struct FileWriter {
    file: Arc<File>,
    at: Option<u64>,
}

impl Writer for FileWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.at {
            Some(at) => {
                self.file.write_all_at(bytes, *at)?;
                *at = at.saturating_add(bytes.len() as u64);
            }
            // Positioned writes leave the descriptor's shared cursor (and
            // the host's append mode, which weft never sets) alone.
            None => {
                let end = self.file.metadata()?.len();
                self.file.write_all_at(bytes, end)?;
            }
        }
        Ok(())
    }

    /// Each write went to the host already: nothing is buffered.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The preview-2 type of a host file type.
fn descriptor_type(ft: &cap_std::fs::FileType) -> DescriptorType {
    type_of(kind_of(ft))
}

/// The preview-2 type of a host file kind.
fn type_of(kind: FileKind) -> DescriptorType {
    match kind {
        FileKind::BlockDevice => DescriptorType::BlockDevice,
        FileKind::CharacterDevice => DescriptorType::CharacterDevice,
        FileKind::Directory => DescriptorType::Directory,
        FileKind::Fifo => DescriptorType::Fifo,
        FileKind::RegularFile => DescriptorType::RegularFile,
        FileKind::Socket => DescriptorType::Socket,
        FileKind::SymbolicLink => DescriptorType::SymbolicLink,
        FileKind::Unknown => DescriptorType::Unknown,
    }
}

/// A host timestamp as a `datetime`; none before the epoch, which the
/// type cannot hold.
fn datetime(secs: i64, nsecs: i64) -> Option<Datetime> {
    Some(Datetime {
        seconds: u64::try_from(secs).ok()?,
        nanoseconds: u32::try_from(nsecs).ok()?,
    })
}

fn stat_of(m: &Metadata) -> DescriptorStat {
    DescriptorStat {
        type_: descriptor_type(&m.file_type()),
        link_count: m.nlink(),
        size: m.len(),
        data_access_timestamp: datetime(m.atime(), m.atime_nsec()),
        data_modification_timestamp: datetime(m.mtime(), m.mtime_nsec()),
        status_change_timestamp: datetime(m.ctime(), m.ctime_nsec()),
    }
}

/// A `new-timestamp` as preview 1's time change (`invalid` for
/// nanoseconds past a second, `overflow` for a time the host cannot
/// hold).
fn time_change(t: NewTimestamp) -> Fs<TimeChange> {
    Ok(match t {
        NewTimestamp::NoChange => TimeChange::Keep,
        NewTimestamp::Now => TimeChange::Now,
        NewTimestamp::Timestamp(d) => {
            if d.nanoseconds >= 1_000_000_000 {
                return Err(ErrorCode::Invalid.into());
            }
            let since = Duration::new(d.seconds, d.nanoseconds);
            TimeChange::At(
                SystemTime::UNIX_EPOCH
                    .checked_add(since)
                    .ok_or(ErrorCode::Overflow)?,
            )
        }
    })
}

/// A hash of what changes when a file is modified or replaced: device,
/// inode, size and times. Keyed by two secrets of this process so that
/// the hash does not reveal them and stays the same across calls.
fn metadata_hash(m: &Metadata) -> MetadataHashValue {
    static KEYS: OnceLock<[RandomState; 2]> = OnceLock::new();
    let [lower, upper] = KEYS.get_or_init(|| [RandomState::new(), RandomState::new()]);
    let fields = (
        m.dev(),
        m.ino(),
        m.len(),
        (m.mtime(), m.mtime_nsec()),
        (m.ctime(), m.ctime_nsec()),
    );
    MetadataHashValue {
        lower: lower.hash_one(fields),
        upper: upper.hash_one(fields),
    }
}

impl WasiCtx {
    /// The descriptor behind `r` (a trap if there is none). A clone: its
    /// handles are shared, so a function may hold two descriptors at once.
    fn descriptor(&self, r: &Resource<Descriptor>) -> Result<Descriptor> {
        self.table.get(r).cloned().map_err(Error::host)
    }

    /// Stores `r`'s resource, or passes its failure on.
    fn push_fs<R: Send + 'static>(
        &mut self,
        r: Fs<R>,
    ) -> Result<std::result::Result<Resource<R>, ErrorCode>> {
        match r {
            Ok(v) => Ok(Ok(self.push_resource(v)?)),
            Err(e) => done(Err(e)),
        }
    }
}

impl types::HostDescriptor for WasiCtx {
    fn read_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: u64,
    ) -> Result<std::result::Result<Resource<InputStream>, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        let stream = d.readable().map(|f| {
            InputStream::new(Source::Other(Box::new(FileReader {
                file: f.clone(),
                offset,
            })))
        });
        self.push_fs(stream)
    }

    fn write_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: u64,
    ) -> Result<std::result::Result<Resource<OutputStream>, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        let stream = d.writable().map(|f| {
            OutputStream::new(Sink::Other(Box::new(FileWriter {
                file: f.clone(),
                at: Some(offset),
            })))
        });
        self.push_fs(stream)
    }

    fn append_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<std::result::Result<Resource<OutputStream>, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        let stream = d.writable().map(|f| {
            OutputStream::new(Sink::Other(Box::new(FileWriter {
                file: f.clone(),
                at: None,
            })))
        });
        self.push_fs(stream)
    }

    /// Checked, then a no-op, as preview 1's `fd_advise`: advice never
    /// changes what a program observes.
    fn advise(
        &mut self,
        fd: Resource<Descriptor>,
        _offset: u64,
        _length: u64,
        _advice: Advice,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(d.file().map(drop))
    }

    fn sync_data(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(d.std_file().and_then(|f| Ok(f.sync_data()?)))
    }

    fn get_flags(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<std::result::Result<DescriptorFlags, ErrorCode>> {
        Ok(Ok(self.descriptor(&fd)?.flags))
    }

    fn get_type(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<std::result::Result<DescriptorType, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(match &d.kind {
            Kind::File(f) => f
                .metadata()
                .map(|m| descriptor_type(&m.file_type()))
                .map_err(Failure::from),
            Kind::Dir(_) => Ok(DescriptorType::Directory),
        })
    }

    fn set_size(
        &mut self,
        fd: Resource<Descriptor>,
        size: u64,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(d.writable().and_then(|f| {
            if size > i64::MAX as u64 {
                return Err(ErrorCode::FileTooLarge.into());
            }
            Ok(f.set_len(size)?)
        }))
    }

    fn set_times(
        &mut self,
        fd: Resource<Descriptor>,
        atim: NewTimestamp,
        mtim: NewTimestamp,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done((|| {
            let (a, m) = (time_change(atim)?, time_change(mtim)?);
            Ok(crate::host::fs::set_file_times(&d.std_file()?, a, m)?)
        })())
    }

    /// Up to `length` bytes at `offset` (fewer past `MAX_READ`), and
    /// whether the end of the file came first.
    fn read(
        &mut self,
        fd: Resource<Descriptor>,
        length: u64,
        offset: u64,
    ) -> Result<std::result::Result<(Vec<u8>, bool), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(d.readable().and_then(|f| {
            let mut buf = vec![0; length.min(MAX_READ) as usize];
            let mut filled = 0;
            while filled < buf.len() {
                let at = offset.saturating_add(filled as u64);
                match read_at(f, &mut buf[filled..], at)? {
                    0 => break,
                    n => filled += n,
                }
            }
            let end = filled < buf.len();
            buf.truncate(filled);
            Ok((buf, end))
        }))
    }

    fn write(
        &mut self,
        fd: Resource<Descriptor>,
        buffer: Vec<u8>,
        offset: u64,
    ) -> Result<std::result::Result<u64, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(d.writable().and_then(|f| {
            f.write_all_at(&buffer, offset)?;
            Ok(buffer.len() as u64)
        }))
    }

    fn read_directory(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<std::result::Result<Resource<DirectoryEntryStream>, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        let stream = d.dir().and_then(|dir| {
            if !d.flags.contains(DescriptorFlags::READ) {
                return Err(ErrorCode::NotPermitted.into());
            }
            let mut entries = crate::host::fs::list_dir(dir)?.into_iter();
            // Preview 2 lists neither `.` nor `..`.
            entries.nth(1);
            Ok(DirectoryEntryStream { entries })
        });
        self.push_fs(stream)
    }

    fn sync(&mut self, fd: Resource<Descriptor>) -> Result<std::result::Result<(), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(d.std_file().and_then(|f| Ok(f.sync_all()?)))
    }

    fn create_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(d.mutable_dir().and_then(|dir| Ok(dir.create_dir(&path)?)))
    }

    fn stat(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<std::result::Result<DescriptorStat, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(d.metadata().map(|m| stat_of(&m)).map_err(Failure::from))
    }

    fn stat_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> Result<std::result::Result<DescriptorStat, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        done(d.dir().and_then(|dir| {
            let m = crate::host::fs::stat_at(dir, &path, follow)?;
            Ok(stat_of(&m))
        }))
    }

    fn set_times_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        atim: NewTimestamp,
        mtim: NewTimestamp,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        done((|| {
            let dir = d.mutable_dir()?;
            let (a, m) = (time_change(atim)?, time_change(mtim)?);
            Ok(crate::host::fs::set_times_at(dir, &path, follow, a, m)?)
        })())
    }

    fn link_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path_flags: PathFlags,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let from = self.descriptor(&fd)?;
        let to = self.descriptor(&new_descriptor)?;
        let follow = old_path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        done((|| {
            let (from, to) = (from.dir()?, to.mutable_dir()?);
            Ok(crate::host::fs::link_at(
                from, &old_path, follow, to, &new_path,
            )?)
        })())
    }

    fn open_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
        open_flags: OpenFlags,
        flags: DescriptorFlags,
    ) -> Result<std::result::Result<Resource<Descriptor>, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        let opened = d.open_at(path_flags, &path, open_flags, flags);
        self.push_fs(opened)
    }

    /// The link's contents; `not-permitted` for an absolute one, as the
    /// interface asks (it could only name something outside the sandbox).
    fn readlink_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<std::result::Result<String, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(d.dir().and_then(|dir| {
            let target = crate::host::fs::readlink_at(dir, &path)?;
            if target.starts_with(b"/") {
                return Err(ErrorCode::NotPermitted.into());
            }
            String::from_utf8(target).map_err(|_| ErrorCode::IllegalByteSequence.into())
        }))
    }

    fn remove_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(d.mutable_dir().and_then(|dir| Ok(dir.remove_dir(&path)?)))
    }

    fn rename_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_descriptor: Resource<Descriptor>,
        new_path: String,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let from = self.descriptor(&fd)?;
        let to = self.descriptor(&new_descriptor)?;
        done((|| {
            let (from, to) = (from.mutable_dir()?, to.mutable_dir()?);
            Ok(from.rename(&old_path, to, &new_path)?)
        })())
    }

    fn symlink_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(
            d.mutable_dir()
                .and_then(|dir| Ok(crate::host::fs::symlink_at(dir, &old_path, &new_path)?)),
        )
    }

    fn unlink_file_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> Result<std::result::Result<(), ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(
            d.mutable_dir()
                .and_then(|dir| Ok(dir.remove_file_or_symlink(&path)?)),
        )
    }

    /// Whether both have the same device and inode; `false` if either
    /// cannot be statted.
    fn is_same_object(
        &mut self,
        fd: Resource<Descriptor>,
        other: Resource<Descriptor>,
    ) -> Result<bool> {
        let (a, b) = (self.descriptor(&fd)?, self.descriptor(&other)?);
        Ok(match (a.metadata(), b.metadata()) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        })
    }

    fn metadata_hash(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> Result<std::result::Result<MetadataHashValue, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        done(
            d.metadata()
                .map(|m| metadata_hash(&m))
                .map_err(Failure::from),
        )
    }

    fn metadata_hash_at(
        &mut self,
        fd: Resource<Descriptor>,
        path_flags: PathFlags,
        path: String,
    ) -> Result<std::result::Result<MetadataHashValue, ErrorCode>> {
        let d = self.descriptor(&fd)?;
        let follow = path_flags.contains(PathFlags::SYMLINK_FOLLOW);
        done(d.dir().and_then(|dir| {
            let m = crate::host::fs::stat_at(dir, &path, follow)?;
            Ok(metadata_hash(&m))
        }))
    }

    fn drop(&mut self, rep: Resource<Descriptor>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

impl types::HostDirectoryEntryStream for WasiCtx {
    /// The next entry; `illegal-byte-sequence` for a name that is not
    /// UTF-8, which a WIT string cannot carry.
    fn read_directory_entry(
        &mut self,
        s: Resource<DirectoryEntryStream>,
    ) -> Result<std::result::Result<Option<DirectoryEntry>, ErrorCode>> {
        let Some(e) = self.resource(&s)?.entries.next() else {
            return Ok(Ok(None));
        };
        Ok(match String::from_utf8(e.name) {
            Ok(name) => Ok(Some(DirectoryEntry {
                type_: type_of(e.kind),
                name,
            })),
            Err(_) => Err(ErrorCode::IllegalByteSequence),
        })
    }

    fn drop(&mut self, rep: Resource<DirectoryEntryStream>) -> Result<()> {
        self.delete_resource(rep).map(drop)
    }
}

impl types::Host for WasiCtx {
    /// The code of a stream's host error (file streams keep it when they
    /// fail).
    fn filesystem_error_code(&mut self, err: Resource<IoError>) -> Result<Option<ErrorCode>> {
        Ok(self.resource(&err)?.errno.map(error_code))
    }
}

impl preopens::Host for WasiCtx {
    /// A descriptor of each preopened directory (a new host handle of
    /// it), with its guest path, in the order preview 1 numbers them.
    fn get_directories(&mut self) -> Result<Vec<(Resource<Descriptor>, String)>> {
        let mut found = Vec::new();
        for d in self.fds.iter().flatten() {
            let (Some(guest), Handle::Dir(dir)) = (&d.preopen, &d.handle) else {
                continue;
            };
            let mut flags = DescriptorFlags::empty();
            if d.base & rights::FD_READDIR != 0 {
                flags |= DescriptorFlags::READ;
            }
            // Files opened through it must be writable too.
            if d.base & MUTATING == MUTATING && d.inheriting & rights::FD_WRITE != 0 {
                flags |= DescriptorFlags::MUTATE_DIRECTORY;
            }
            let dir = dir.try_clone().map_err(|e| {
                Error::host(io::Error::new(
                    e.kind(),
                    format!("cannot reopen the preopened directory {guest}: {e}"),
                ))
            })?;
            let desc = Descriptor {
                kind: Kind::Dir(Arc::new(dir)),
                flags,
            };
            found.push((desc, guest.clone()));
        }
        found
            .into_iter()
            .map(|(d, guest)| Ok((self.push_resource(d)?, guest)))
            .collect()
    }
}

#[cfg(test)]
#[path = "filesystem_tests.rs"]
mod tests;
