//! Preview 1's `fd_*` functions: reading, writing, seeking, statting and
//! listing open descriptors, and the descriptor table operations
//! (`fd_close`, `fd_renumber`, `fd_prestat_*`), with preview 1's file
//! types, `filestat` layout and timestamp flags.

use crate::host::ctx::{Descriptor, Handle, WasiCtx, valid_fdflags};
use crate::host::errno::Errno;
use crate::host::fs::{FileKind, TimeChange, dir_as_file, kind_of, list_dir, set_file_times};
use crate::p1::abi::{advice, fdflags, filetype, fstflags, preopentype, rights, size, whence};
use crate::p1::memory::{GuestMemory, IoVec};
use cap_std::fs::{FileExt, Metadata, MetadataExt};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::time::{Duration, SystemTime};

/// The preview-1 file type of a host file type.
pub(crate) fn filetype_of(ft: &cap_std::fs::FileType) -> u8 {
    filetype_of_kind(kind_of(ft))
}

/// The preview-1 file type of a host file kind (preview 1 has no FIFO
/// type, and reports sockets as stream sockets).
fn filetype_of_kind(kind: FileKind) -> u8 {
    match kind {
        FileKind::SymbolicLink => filetype::SYMBOLIC_LINK,
        FileKind::Directory => filetype::DIRECTORY,
        FileKind::RegularFile => filetype::REGULAR_FILE,
        FileKind::BlockDevice => filetype::BLOCK_DEVICE,
        FileKind::CharacterDevice => filetype::CHARACTER_DEVICE,
        FileKind::Socket => filetype::SOCKET_STREAM,
        FileKind::Fifo | FileKind::Unknown => filetype::UNKNOWN,
    }
}

/// Nanoseconds since the epoch of a `seconds`, `nanoseconds` pair
/// (0 before the epoch, as the type is unsigned).
fn timestamp(secs: i64, nsecs: i64) -> u64 {
    u64::try_from(secs)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|ns| ns.checked_add(u64::try_from(nsecs).unwrap_or(0)))
        .unwrap_or(0)
}

/// Writes a `filestat` for `m` at `ptr`.
pub(crate) fn write_filestat(
    mem: &mut GuestMemory<'_>,
    ptr: u32,
    m: &Metadata,
) -> Result<(), Errno> {
    let stat = FileStat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype_of(&m.file_type()),
        nlink: m.nlink(),
        size: m.len(),
        atim: timestamp(m.atime(), m.atime_nsec()),
        mtim: timestamp(m.mtime(), m.mtime_nsec()),
        ctim: timestamp(m.ctime(), m.ctime_nsec()),
    };
    stat.write(mem, ptr)
}

/// The fields of a WASI `filestat`.
#[derive(Default)]
struct FileStat {
    dev: u64,
    ino: u64,
    filetype: u8,
    nlink: u64,
    size: u64,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

impl FileStat {
    fn write(&self, mem: &mut GuestMemory<'_>, ptr: u32) -> Result<(), Errno> {
        let mut b = [0u8; size::FILESTAT as usize];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&self.size.to_le_bytes());
        b[40..48].copy_from_slice(&self.atim.to_le_bytes());
        b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        mem.write_bytes(ptr, &b)
    }
}

/// `fd_advise(fd, offset, len, advice)`: checked, then a no-op (advice
/// never changes what a program observes).
pub fn fd_advise(
    ctx: &mut WasiCtx,
    fd: u32,
    _offset: u64,
    _len: u64,
    adv: u32,
) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_ADVISE)?;
    if adv > u32::from(advice::MAX) {
        return Err(Errno::Inval);
    }
    d.file()?;
    Ok(())
}

/// `fd_allocate(fd, offset, len)`: makes the file at least `offset + len`
/// bytes long.
pub fn fd_allocate(ctx: &mut WasiCtx, fd: u32, offset: u64, len: u64) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_ALLOCATE)?;
    let f = d.file()?;
    if len == 0 {
        return Err(Errno::Inval);
    }
    let end = offset.checked_add(len).ok_or(Errno::Fbig)?;
    if end > i64::MAX as u64 {
        return Err(Errno::Fbig);
    }
    if f.metadata()?.len() < end {
        f.set_len(end)?;
    }
    Ok(())
}

/// `fd_close(fd)`.
pub fn fd_close(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    ctx.remove(fd).map(drop)
}

/// Flushes or syncs the descriptor: `data` only (`fd_datasync`) or with
/// metadata (`fd_sync`).
fn sync(d: &mut Descriptor, data: bool) -> Result<(), Errno> {
    match &mut d.handle {
        Handle::File(f) if data => f.sync_data()?,
        Handle::File(f) => f.sync_all()?,
        Handle::Dir(dir) => dir_as_file(dir)?.sync_all()?,
        Handle::Output(o) => o.flush()?,
        Handle::Input(_) | Handle::Listener(_) | Handle::Stream(_) => return Err(Errno::Inval),
    }
    Ok(())
}

/// `fd_datasync(fd)`.
pub fn fd_datasync(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    let d = ctx.get_mut(fd)?;
    d.require(rights::FD_DATASYNC)?;
    sync(d, true)
}

/// `fd_sync(fd)`.
pub fn fd_sync(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    let d = ctx.get_mut(fd)?;
    d.require(rights::FD_SYNC)?;
    sync(d, false)
}

/// `fd_fdstat_get(fd, fdstat_ptr)`.
pub fn fd_fdstat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    ptr: u32,
) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    let mut b = [0u8; size::FDSTAT as usize];
    b[0] = filetype(d);
    b[2..4].copy_from_slice(&d.flags.to_le_bytes());
    b[8..16].copy_from_slice(&d.base.to_le_bytes());
    b[16..24].copy_from_slice(&d.inheriting.to_le_bytes());
    mem.write_bytes(ptr, &b)
}

/// `fd_fdstat_set_flags(fd, flags)`. `NONBLOCK` applies to stdin and
/// sockets; `APPEND` makes each write go to the end of a file; the sync
/// flags make each write to a file sync it.
pub fn fd_fdstat_set_flags(ctx: &mut WasiCtx, fd: u32, flags: u32) -> Result<(), Errno> {
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    let flags = valid_fdflags(flags)?;
    let d = ctx.get_mut(fd)?;
    d.require(rights::FD_FDSTAT_SET_FLAGS)?;
    let nonblocking = flags & fdflags::NONBLOCK != 0;
    match &d.handle {
        Handle::Listener(l) => l.set_nonblocking(nonblocking)?,
        Handle::Stream(s) => s.set_nonblocking(nonblocking)?,
        _ => {}
    }
    d.flags = flags;
    Ok(())
}

/// `fd_fdstat_set_rights(fd, base, inheriting)`: rights can only be
/// dropped, never gained (`ENOTCAPABLE`).
pub fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> Result<(), Errno> {
    let d = ctx.get_mut(fd)?;
    if base & !d.base != 0 || inheriting & !d.inheriting != 0 {
        return Err(Errno::Notcapable);
    }
    d.base = base;
    d.inheriting = inheriting;
    Ok(())
}

/// `fd_filestat_get(fd, filestat_ptr)`. Streams and sockets report only
/// their type.
pub fn fd_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    ptr: u32,
) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_FILESTAT_GET)?;
    match &d.handle {
        Handle::File(f) => write_filestat(mem, ptr, &f.metadata()?),
        Handle::Dir(dir) => write_filestat(mem, ptr, &dir.dir_metadata()?),
        _ => FileStat {
            filetype: filetype(d),
            ..FileStat::default()
        }
        .write(mem, ptr),
    }
}

/// `fd_filestat_set_size(fd, size)`.
pub fn fd_filestat_set_size(ctx: &mut WasiCtx, fd: u32, size: u64) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_FILESTAT_SET_SIZE)?;
    if size > i64::MAX as u64 {
        return Err(Errno::Fbig);
    }
    d.file()?.set_len(size)?;
    Ok(())
}

/// The access and modification time changes `fst_flags` asks for
/// (`EINVAL` if a time is both given and "now", or for unknown flags).
pub(crate) fn time_changes(
    atim: u64,
    mtim: u64,
    flags: u32,
) -> Result<(TimeChange, TimeChange), Errno> {
    let known =
        u32::from(fstflags::ATIM | fstflags::ATIM_NOW | fstflags::MTIM | fstflags::MTIM_NOW);
    if flags & !known != 0 {
        return Err(Errno::Inval);
    }
    let flags = flags as u16;
    let one = |set: u16, now: u16, t: u64| match (flags & set != 0, flags & now != 0) {
        (true, true) => Err(Errno::Inval),
        (true, false) => Ok(TimeChange::At(
            SystemTime::UNIX_EPOCH + Duration::from_nanos(t),
        )),
        (false, true) => Ok(TimeChange::Now),
        (false, false) => Ok(TimeChange::Keep),
    };
    Ok((
        one(fstflags::ATIM, fstflags::ATIM_NOW, atim)?,
        one(fstflags::MTIM, fstflags::MTIM_NOW, mtim)?,
    ))
}

/// `fd_filestat_set_times(fd, atim, mtim, fst_flags)`.
pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    fd: u32,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    d.require(rights::FD_FILESTAT_SET_TIMES)?;
    let (a, m) = time_changes(atim, mtim, flags)?;
    let file = match &d.handle {
        Handle::File(f) => f.try_clone()?.into_std(),
        Handle::Dir(dir) => dir_as_file(dir)?,
        _ => return Err(Errno::Badf),
    };
    Ok(set_file_times(&file, a, m)?)
}

/// Reads from `f` at `offset` into each iovec until one is not filled.
fn pread_into(
    f: &cap_std::fs::File,
    mem: &mut GuestMemory<'_>,
    iovs: &[IoVec],
    mut offset: u64,
) -> Result<u32, Errno> {
    let mut total = 0u32;
    for iov in iovs {
        let buf = mem.slice_mut(iov.ptr, iov.len)?;
        let mut filled = 0;
        while filled < buf.len() {
            match f.read_at(&mut buf[filled..], offset) {
                Ok(0) => break,
                Ok(n) => {
                    filled += n;
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if total == 0 && filled == 0 => return Err(e.into()),
                Err(_) => break,
            }
        }
        total += filled as u32;
        if filled < buf.len() {
            break;
        }
    }
    Ok(total)
}

/// `fd_pread(fd, iovs, iovs_len, offset, nread_ptr)`.
pub fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nread: u32,
) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    let f = d.file()?;
    d.require(rights::FD_READ | rights::FD_SEEK)?;
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.check_array(nread, 1, 4)?;
    let n = pread_into(f, mem, &iovs, offset)?;
    mem.write_u32(nread, n)
}

/// `fd_pwrite(fd, iovs, iovs_len, offset, nwritten_ptr)`.
pub fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten: u32,
) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    let f = d.file()?;
    d.require(rights::FD_WRITE | rights::FD_SEEK)?;
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.check_array(nwritten, 1, 4)?;
    let mut at = offset;
    let mut total = 0u32;
    for iov in &iovs {
        let buf = mem.slice(iov.ptr, iov.len)?;
        match f.write_all_at(buf, at) {
            Ok(()) => {}
            Err(e) if total == 0 => return Err(e.into()),
            Err(_) => break,
        }
        at += u64::from(iov.len);
        total += iov.len;
    }
    sync_after_write(d)?;
    mem.write_u32(nwritten, total)
}

/// Syncs a file after a write when its flags ask for it.
fn sync_after_write(d: &Descriptor) -> Result<(), Errno> {
    if let Handle::File(f) = &d.handle {
        if d.flags & fdflags::SYNC != 0 {
            f.sync_all()?;
        } else if d.flags & fdflags::DSYNC != 0 {
            f.sync_data()?;
        }
    }
    Ok(())
}

/// `fd_prestat_get(fd, prestat_ptr)`: `EBADF` unless `fd` is a preopened
/// directory.
pub fn fd_prestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    ptr: u32,
) -> Result<(), Errno> {
    let name = ctx.get(fd)?.preopen.as_ref().ok_or(Errno::Badf)?;
    let len = u32::try_from(name.len()).map_err(|_| Errno::Nametoolong)?;
    let mut b = [0u8; size::PRESTAT as usize];
    b[0] = preopentype::DIR;
    b[4..8].copy_from_slice(&len.to_le_bytes());
    mem.write_bytes(ptr, &b)
}

/// `fd_prestat_dir_name(fd, path, path_len)`: the preopen's guest name,
/// without a NUL; `ENAMETOOLONG` if the buffer is too small.
pub fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let name = ctx.get(fd)?.preopen.as_ref().ok_or(Errno::Badf)?;
    if (path_len as usize) < name.len() {
        return Err(Errno::Nametoolong);
    }
    mem.write_bytes(path, name.as_bytes())
}

/// `fd_read(fd, iovs, iovs_len, nread_ptr)`.
pub fn fd_read(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nread: u32,
) -> Result<(), Errno> {
    let d = ctx.get_mut(fd)?;
    d.require(rights::FD_READ)?;
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.check_array(nread, 1, 4)?;
    let nonblocking = d.flags & fdflags::NONBLOCK != 0;
    let n = match &mut d.handle {
        Handle::File(f) => read_file(f, mem, &iovs)?,
        Handle::Input(input) => read_once(mem, &iovs, |b| input.read(b, nonblocking))?,
        Handle::Stream(s) => read_once(mem, &iovs, |b| s.read(b))?,
        Handle::Dir(_) => return Err(Errno::Isdir),
        Handle::Output(_) | Handle::Listener(_) => return Err(Errno::Badf),
    };
    mem.write_u32(nread, n)
}

/// Reads a file at its position into each iovec until one is not filled.
fn read_file(
    mut f: &cap_std::fs::File,
    mem: &mut GuestMemory<'_>,
    iovs: &[IoVec],
) -> Result<u32, Errno> {
    let mut total = 0u32;
    for iov in iovs {
        let buf = mem.slice_mut(iov.ptr, iov.len)?;
        let mut filled = 0;
        while filled < buf.len() {
            match f.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if total == 0 && filled == 0 => return Err(e.into()),
                Err(_) => break,
            }
        }
        total += filled as u32;
        if filled < buf.len() {
            break;
        }
    }
    Ok(total)
}

/// One read of a stream into the first non-empty iovec (a short read, as
/// streams give: the guest asks again for more).
fn read_once(
    mem: &mut GuestMemory<'_>,
    iovs: &[IoVec],
    mut read: impl FnMut(&mut [u8]) -> io::Result<usize>,
) -> Result<u32, Errno> {
    let Some(iov) = iovs.iter().find(|v| v.len > 0) else {
        return Ok(0);
    };
    let buf = mem.slice_mut(iov.ptr, iov.len)?;
    loop {
        match read(buf) {
            Ok(n) => return Ok(n as u32),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// `fd_readdir(fd, buf, buf_len, cookie, bufused_ptr)`: the directory's
/// entries from position `cookie` on, as `dirent` headers each followed by
/// the name, cut off at the end of the buffer (the guest sees a full
/// buffer and asks again with a larger one or a later cookie). The order
/// is `.`, `..`, then by name, the same on every call.
pub fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused: u32,
) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    let dir = d.dir()?;
    d.require(rights::FD_READDIR)?;
    mem.slice(buf, buf_len)?;
    mem.check_array(bufused, 1, 4)?;
    let entries = list_dir(dir)?;
    let mut out = Vec::with_capacity(buf_len as usize);
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (i, e) in entries.iter().enumerate().skip(start) {
        if out.len() >= buf_len as usize {
            break;
        }
        let mut header = [0u8; size::DIRENT as usize];
        header[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        header[8..16].copy_from_slice(&e.ino.to_le_bytes());
        header[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        header[20] = filetype_of_kind(e.kind);
        out.extend_from_slice(&header);
        out.extend_from_slice(&e.name);
    }
    out.truncate(buf_len as usize);
    mem.write_bytes(buf, &out)?;
    mem.write_u32(bufused, out.len() as u32)
}

/// `fd_renumber(from, to)`: moves descriptor `from` to number `to`,
/// closing what `to` was. Both must be open.
pub fn fd_renumber(ctx: &mut WasiCtx, from: u32, to: u32) -> Result<(), Errno> {
    ctx.get(from)?;
    ctx.get(to)?;
    if from == to {
        return Ok(());
    }
    let d = ctx.remove(from)?;
    ctx.place(to, d);
    Ok(())
}

/// `fd_seek(fd, offset, whence, newoffset_ptr)`.
pub fn fd_seek(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: i64,
    wh: u32,
    newoffset: u32,
) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    let mut f = d.file()?;
    let tell_only = wh == u32::from(whence::CUR) && offset == 0;
    d.require(if tell_only {
        rights::FD_TELL
    } else {
        rights::FD_SEEK
    })?;
    mem.check_array(newoffset, 1, 8)?;
    let pos = match u8::try_from(wh).map_err(|_| Errno::Inval)? {
        whence::SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        whence::CUR => SeekFrom::Current(offset),
        whence::END => SeekFrom::End(offset),
        _ => return Err(Errno::Inval),
    };
    let at = f.seek(pos)?;
    mem.write_u64(newoffset, at)
}

/// `fd_tell(fd, offset_ptr)`.
pub fn fd_tell(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    ptr: u32,
) -> Result<(), Errno> {
    let d = ctx.get(fd)?;
    let mut f = d.file()?;
    d.require(rights::FD_TELL)?;
    mem.check_array(ptr, 1, 8)?;
    let at = f.stream_position()?;
    mem.write_u64(ptr, at)
}

/// `fd_write(fd, iovs, iovs_len, nwritten_ptr)`.
pub fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten: u32,
) -> Result<(), Errno> {
    let d = ctx.get_mut(fd)?;
    d.require(rights::FD_WRITE)?;
    let iovs = mem.iovecs(iovs, iovs_len)?;
    mem.check_array(nwritten, 1, 4)?;
    let bufs: Vec<&[u8]> = iovs
        .iter()
        .map(|v| mem.slice(v.ptr, v.len))
        .collect::<Result<_, _>>()?;
    let append = d.flags & fdflags::APPEND != 0;
    let n = match &mut d.handle {
        Handle::Output(o) => o.write(&bufs)?,
        Handle::File(f) => {
            if append {
                f.seek(SeekFrom::End(0))?;
            }
            write_bufs(f, &bufs)?
        }
        Handle::Stream(s) => write_bufs(s, &bufs)?,
        Handle::Dir(_) => return Err(Errno::Isdir),
        Handle::Input(_) | Handle::Listener(_) => return Err(Errno::Badf),
    };
    sync_after_write(d)?;
    mem.write_u32(nwritten, n as u32)
}

/// Writes each buffer whole; an error after some bytes were written ends
/// the write short instead of failing it.
fn write_bufs(out: &mut impl Write, bufs: &[&[u8]]) -> Result<usize, Errno> {
    let mut total = 0;
    for b in bufs {
        match out.write_all(b) {
            Ok(()) => total += b.len(),
            Err(e) if total == 0 => return Err(e.into()),
            Err(_) => break,
        }
    }
    Ok(total)
}

/// The preview-1 file type of descriptor `d` (the context knows no ABI:
/// this mapping is preview 1's).
pub(crate) fn filetype(d: &Descriptor) -> u8 {
    match &d.handle {
        Handle::Input(i) if i.is_terminal() => filetype::CHARACTER_DEVICE,
        Handle::Output(o) if o.is_terminal() => filetype::CHARACTER_DEVICE,
        Handle::Input(_) | Handle::Output(_) => filetype::UNKNOWN,
        Handle::File(f) => f
            .metadata()
            .map(|m| filetype_of(&m.file_type()))
            .unwrap_or(filetype::REGULAR_FILE),
        Handle::Dir(_) => filetype::DIRECTORY,
        Handle::Listener(_) | Handle::Stream(_) => filetype::SOCKET_STREAM,
    }
}
