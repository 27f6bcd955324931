//! The `path_*` functions: opening, creating, removing, renaming, linking
//! and statting paths relative to a directory descriptor.
//!
//! Every path is resolved by cap-std beneath its directory capability:
//! absolute paths, `..` above the directory and symbolic links that lead
//! outside it fail with `ENOTCAPABLE`, so a guest reaches nothing of the
//! host it was not granted.

use crate::abi::{fdflags, lookupflags, oflags, rights};
use crate::ctx::{Descriptor, Handle, WasiCtx, valid_fdflags};
use crate::errno::Errno;
use crate::fs::{TimeChange, time_changes, write_filestat};
use crate::memory::GuestMemory;
use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
    SystemTimeSpec,
};
use cap_std::fs::{Dir, Metadata, OpenOptions};

/// The directory of descriptor `fd`, after checking it has `needed`.
fn dir_with(ctx: &WasiCtx, fd: u32, needed: u64) -> Result<&Dir, Errno> {
    let d = ctx.get(fd)?;
    let dir = d.dir()?;
    d.require(needed)?;
    Ok(dir)
}

/// Whether lookup `flags` follow a symbolic link in the last component
/// (`EINVAL` for unknown flags).
fn follow(flags: u32) -> Result<bool, Errno> {
    if flags & !lookupflags::SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
    }
    Ok(flags & lookupflags::SYMLINK_FOLLOW != 0)
}

/// `path_create_directory(fd, path, path_len)`.
pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let dir = dir_with(ctx, fd, rights::PATH_CREATE_DIRECTORY)?;
    let path = mem.read_str(path, path_len)?;
    dir.create_dir(path)?;
    Ok(())
}

/// `path_filestat_get(fd, flags, path, path_len, filestat_ptr)`.
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    buf: u32,
) -> Result<(), Errno> {
    let dir = dir_with(ctx, fd, rights::PATH_FILESTAT_GET)?;
    let follow = follow(flags)?;
    let path = mem.read_str(path, path_len)?;
    write_filestat(mem, buf, &stat_at(dir, path, follow)?)
}

/// The metadata of `path` beneath `dir`, or of the link itself when
/// `follow` is false. Shared with preview 2's `stat-at`.
pub(crate) fn stat_at(dir: &Dir, path: &str, follow: bool) -> Result<Metadata, Errno> {
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

/// `path_filestat_set_times(fd, flags, path, path_len, atim, mtim, fst_flags)`.
#[allow(clippy::too_many_arguments)] // The WASI signature.
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> Result<(), Errno> {
    let dir = dir_with(ctx, fd, rights::PATH_FILESTAT_SET_TIMES)?;
    let follow = follow(flags)?;
    let (a, m) = time_changes(atim, mtim, fst_flags)?;
    let path = mem.read_str(path, path_len)?;
    set_times_at(dir, path, follow, a, m)
}

/// Changes the access and modification times of `path` beneath `dir`
/// (of the link itself when `follow` is false). Shared with preview 2.
pub(crate) fn set_times_at(
    dir: &Dir,
    path: &str,
    follow: bool,
    a: TimeChange,
    m: TimeChange,
) -> Result<(), Errno> {
    if follow {
        dir.set_times(path, time_spec(a), time_spec(m))?;
    } else {
        dir.set_symlink_times(path, time_spec(a), time_spec(m))?;
    }
    Ok(())
}

/// `path_link(old_fd, old_flags, old_path, old_path_len, new_fd, new_path,
/// new_path_len)`: a hard link. Following a symbolic link at the source
/// (`SYMLINK_FOLLOW`) is `EINVAL`: cap-std links the path itself.
#[allow(clippy::too_many_arguments)] // The WASI signature.
pub fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_fd: u32,
    old_flags: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> Result<(), Errno> {
    let from = dir_with(ctx, old_fd, rights::PATH_LINK_SOURCE)?;
    let to = dir_with(ctx, new_fd, rights::PATH_LINK_TARGET)?;
    let follow = follow(old_flags)?;
    let old_path = mem.read_str(old_path, old_len)?;
    let new_path = mem.read_str(new_path, new_len)?;
    link_at(from, old_path, follow, to, new_path)
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
) -> Result<(), Errno> {
    if follow {
        return Err(Errno::Inval);
    }
    from.hard_link(old_path, to, new_path)?;
    Ok(())
}

/// `path_open(fd, dirflags, path, path_len, oflags, fs_rights_base,
/// fs_rights_inheriting, fdflags, opened_fd_ptr)`.
///
/// The new descriptor's rights are those asked for, limited to what the
/// directory lets descriptors opened through it have; it is opened for
/// reading if it may read and for writing if it may write. A directory is
/// opened as one whether or not `O_DIRECTORY` was given.
#[allow(clippy::too_many_arguments)] // The WASI signature.
pub fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    o: u32,
    base: u64,
    inheriting: u64,
    fdf: u32,
    opened: u32,
) -> Result<(), Errno> {
    let o = u16::try_from(o).map_err(|_| Errno::Inval)?;
    let all_oflags = oflags::CREAT | oflags::DIRECTORY | oflags::EXCL | oflags::TRUNC;
    if o & !all_oflags != 0 {
        return Err(Errno::Inval);
    }
    let fdf = valid_fdflags(u16::try_from(fdf).map_err(|_| Errno::Inval)?)?;
    let follow = follow(dirflags)?;
    let d = ctx.get(fd)?;
    let mut needed = rights::PATH_OPEN;
    if o & oflags::CREAT != 0 {
        needed |= rights::PATH_CREATE_FILE;
    }
    if o & oflags::TRUNC != 0 {
        needed |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let dir = d.dir()?;
    d.require(needed)?;
    let (base, inheriting) = (base & d.inheriting, inheriting & d.inheriting);
    mem.check_array(opened, 1, 4)?;
    let path = mem.read_str(path, path_len)?;
    let handle = open_at(dir, path, o, base, fdf, follow)?;
    let mut desc = match handle {
        Handle::Dir(d) => Descriptor::new(
            Handle::Dir(d),
            base & rights::DIRECTORY,
            inheriting & (rights::DIRECTORY | rights::FILE),
        ),
        h => Descriptor::new(h, base & rights::FILE, inheriting & rights::FILE),
    };
    desc.flags = fdf;
    let new_fd = ctx.insert(desc)?;
    mem.write_u32(opened, new_fd)
}

/// Opens `path` beneath `dir` with open flags `o` (valid ones: the caller
/// checked), for the access rights `base` asks for and with descriptor
/// flags `fdf`: a directory (`O_DIRECTORY`, or a path that names one) or a
/// file. Shared with preview 2's `open-at`, which states its flags in
/// these terms.
pub(crate) fn open_at(
    dir: &Dir,
    path: &str,
    o: u16,
    base: u64,
    fdf: u16,
    follow: bool,
) -> Result<Handle, Errno> {
    if o & oflags::DIRECTORY == 0 {
        return open_file(dir, path, o, base, fdf, follow);
    }
    if o & (oflags::CREAT | oflags::EXCL | oflags::TRUNC) != 0 {
        return Err(Errno::Inval);
    }
    // As POSIX `open(O_DIRECTORY | O_RDWR)`: a directory is never
    // opened for writing.
    if base & rights::FD_WRITE != 0 {
        return Err(Errno::Isdir);
    }
    Ok(Handle::Dir(if follow {
        dir.open_dir(path)?
    } else {
        dir.open_dir_nofollow(path)?
    }))
}

/// Opens `path` beneath `dir` as a file, or as a directory if it is one.
fn open_file(
    dir: &Dir,
    path: &str,
    o: u16,
    base: u64,
    fdf: u16,
    follow: bool,
) -> Result<Handle, Errno> {
    let read = base & (rights::FD_READ | rights::FD_READDIR) != 0;
    let mut write =
        base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE) != 0;
    let create = o & oflags::CREAT != 0;
    let trunc = o & oflags::TRUNC != 0;
    if trunc {
        // POSIX leaves O_TRUNC without write access undefined; the host
        // needs write access to truncate.
        write = true;
    }
    let mut opts = OpenOptions::new();
    opts.read(read || !write);
    opts.write(write);
    // `APPEND` is not passed to the host: it is the descriptor's flag,
    // applied by each write (`fs::fd_write`), so that
    // `fd_fdstat_set_flags` can turn it on and off, and so that it combines
    // with `O_TRUNC` (which the host refuses together with append mode).
    opts.truncate(trunc);
    if create && o & oflags::EXCL != 0 {
        opts.create_new(true);
    } else if create {
        opts.create(true);
    }
    opts.follow(if follow {
        FollowSymlinks::Yes
    } else {
        FollowSymlinks::No
    });
    opts.maybe_dir(true);
    opts.sync(fdf & fdflags::SYNC != 0);
    opts.dsync(fdf & fdflags::DSYNC != 0);
    opts.rsync(fdf & fdflags::RSYNC != 0);
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
            return Err(Errno::Isdir);
        }
        return Ok(Handle::Dir(Dir::from_std_file(file.into_std())));
    }
    Ok(Handle::File(file))
}

/// `path_readlink(fd, path, path_len, buf, buf_len, bufused_ptr)`: the
/// link's contents, cut to the buffer's size.
#[allow(clippy::too_many_arguments)] // The WASI signature.
pub fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    bufused: u32,
) -> Result<(), Errno> {
    let dir = dir_with(ctx, fd, rights::PATH_READLINK)?;
    let path = mem.read_str(path, path_len)?;
    mem.slice(buf, buf_len)?;
    mem.check_array(bufused, 1, 4)?;
    let target = readlink_at(dir, path)?;
    let n = target.len().min(buf_len as usize);
    mem.write_bytes(buf, &target[..n])?;
    mem.write_u32(bufused, n as u32)
}

/// The contents of the symbolic link `path` beneath `dir`, as bytes.
/// Shared with preview 2's `readlink-at`.
pub(crate) fn readlink_at(dir: &Dir, path: &str) -> Result<Vec<u8>, Errno> {
    Ok(crate::fs::name_bytes(
        dir.read_link_contents(path)?.into_os_string(),
    ))
}

/// `path_remove_directory(fd, path, path_len)`.
pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let dir = dir_with(ctx, fd, rights::PATH_REMOVE_DIRECTORY)?;
    let path = mem.read_str(path, path_len)?;
    dir.remove_dir(path)?;
    Ok(())
}

/// `path_rename(fd, old_path, old_path_len, new_fd, new_path, new_path_len)`.
#[allow(clippy::too_many_arguments)] // The WASI signature.
pub fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    old_path: u32,
    old_len: u32,
    new_fd: u32,
    new_path: u32,
    new_len: u32,
) -> Result<(), Errno> {
    let from = dir_with(ctx, fd, rights::PATH_RENAME_SOURCE)?;
    let to = dir_with(ctx, new_fd, rights::PATH_RENAME_TARGET)?;
    let old_path = mem.read_str(old_path, old_len)?;
    let new_path = mem.read_str(new_path, new_len)?;
    from.rename(old_path, to, new_path)?;
    Ok(())
}

/// `path_symlink(old_path, old_path_len, fd, new_path, new_path_len)`:
/// creates `new_path` pointing at `old_path`. An absolute target is
/// refused (`ENOTCAPABLE`): it could only name something outside the
/// sandbox.
pub fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_path: u32,
    old_len: u32,
    fd: u32,
    new_path: u32,
    new_len: u32,
) -> Result<(), Errno> {
    let dir = dir_with(ctx, fd, rights::PATH_SYMLINK)?;
    let old_path = mem.read_str(old_path, old_len)?;
    let new_path = mem.read_str(new_path, new_len)?;
    symlink_at(dir, old_path, new_path)
}

/// Creates `new_path` beneath `dir` pointing at `old_path`. An absolute
/// target is refused (`ENOTCAPABLE`): it could only name something
/// outside the sandbox. Shared with preview 2's `symlink-at`.
pub(crate) fn symlink_at(dir: &Dir, old_path: &str, new_path: &str) -> Result<(), Errno> {
    if old_path.starts_with('/') {
        return Err(Errno::Notcapable);
    }
    dir.symlink(old_path, new_path)?;
    Ok(())
}

/// `path_unlink_file(fd, path, path_len)`.
pub fn path_unlink_file(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let dir = dir_with(ctx, fd, rights::PATH_UNLINK_FILE)?;
    let path = mem.read_str(path, path_len)?;
    dir.remove_file_or_symlink(path)?;
    Ok(())
}
