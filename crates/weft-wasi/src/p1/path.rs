//! Preview 1's `path_*` functions: opening, creating, removing, renaming,
//! linking and statting paths relative to a directory descriptor, checked
//! against its rights, then done by the host layer (`host::fs`).
//!
//! Every path is resolved by cap-std beneath its directory capability:
//! absolute paths, `..` above the directory and symbolic links that lead
//! outside it fail with `ENOTCAPABLE`, so a guest reaches nothing of the
//! host it was not granted.

use crate::host::ctx::{Descriptor, Handle, WasiCtx, valid_fdflags};
use crate::host::errno::Errno;
use crate::host::fs::{Open, link_at, open_at, readlink_at, set_times_at, stat_at, symlink_at};
use crate::p1::abi::{fdflags, lookupflags, oflags, rights};
use crate::p1::fs::{time_changes, write_filestat};
use crate::p1::memory::GuestMemory;
use cap_fs_ext::DirExt;
use cap_std::fs::Dir;

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
    Ok(set_times_at(dir, path, follow, a, m)?)
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
    Ok(link_at(from, old_path, follow, to, new_path)?)
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
    let how = Open {
        directory: o & oflags::DIRECTORY != 0,
        create: o & oflags::CREAT != 0,
        exclusive: o & oflags::EXCL != 0,
        truncate: o & oflags::TRUNC != 0,
        read: base & (rights::FD_READ | rights::FD_READDIR) != 0,
        write: base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE) != 0,
        sync: fdf & fdflags::SYNC != 0,
        dsync: fdf & fdflags::DSYNC != 0,
        rsync: fdf & fdflags::RSYNC != 0,
        follow,
    };
    let handle = open_at(dir, path, &how)?;
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
    Ok(symlink_at(dir, old_path, new_path)?)
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
