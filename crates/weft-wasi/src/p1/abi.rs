//! Preview 1's numbers (`wasi_snapshot_preview1`): file types, rights,
//! flags, clock ids, event types, and the sizes and field offsets of the
//! structures guests pass by pointer.
//!
//! Names follow the WASI witx definitions (`wasi_snapshot_preview1.witx`).

/// The module name every WASI preview 1 import uses.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// `filetype`: the type of a file descriptor or file.
pub mod filetype {
    /// The type is unknown or not one of the others.
    pub const UNKNOWN: u8 = 0;
    /// A block device.
    pub const BLOCK_DEVICE: u8 = 1;
    /// A character device (a terminal, for example).
    pub const CHARACTER_DEVICE: u8 = 2;
    /// A directory.
    pub const DIRECTORY: u8 = 3;
    /// A regular file.
    pub const REGULAR_FILE: u8 = 4;
    /// A datagram socket.
    pub const SOCKET_DGRAM: u8 = 5;
    /// A byte-stream socket.
    pub const SOCKET_STREAM: u8 = 6;
    /// A symbolic link.
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `rights`: what a file descriptor may be used for.
pub mod rights {
    /// `fd_datasync`.
    pub const FD_DATASYNC: u64 = 1 << 0;
    /// `fd_read` and `sock_recv`.
    pub const FD_READ: u64 = 1 << 1;
    /// `fd_seek` (implies `FD_TELL`).
    pub const FD_SEEK: u64 = 1 << 2;
    /// `fd_fdstat_set_flags`.
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    /// `fd_sync`.
    pub const FD_SYNC: u64 = 1 << 4;
    /// `fd_tell` and `fd_seek` with a zero offset from the current position.
    pub const FD_TELL: u64 = 1 << 5;
    /// `fd_write` and `sock_send`.
    pub const FD_WRITE: u64 = 1 << 6;
    /// `fd_advise`.
    pub const FD_ADVISE: u64 = 1 << 7;
    /// `fd_allocate`.
    pub const FD_ALLOCATE: u64 = 1 << 8;
    /// `path_create_directory`.
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    /// `path_open` with `O_CREAT`.
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    /// `path_link` on the source directory.
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    /// `path_link` on the target directory.
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    /// `path_open`.
    pub const PATH_OPEN: u64 = 1 << 13;
    /// `fd_readdir`.
    pub const FD_READDIR: u64 = 1 << 14;
    /// `path_readlink`.
    pub const PATH_READLINK: u64 = 1 << 15;
    /// `path_rename` on the source directory.
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    /// `path_rename` on the target directory.
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    /// `path_filestat_get`.
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    /// Changing a file's size through a path (`path_open` with `O_TRUNC`).
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    /// `path_filestat_set_times`.
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    /// `fd_filestat_get`.
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    /// `fd_filestat_set_size`.
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    /// `fd_filestat_set_times`.
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    /// `path_symlink`.
    pub const PATH_SYMLINK: u64 = 1 << 24;
    /// `path_remove_directory`.
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    /// `path_unlink_file`.
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    /// `poll_oneoff` subscriptions on the descriptor.
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    /// `sock_shutdown`.
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    /// `sock_accept`.
    pub const SOCK_ACCEPT: u64 = 1 << 29;

    /// Every right.
    pub const ALL: u64 = (1 << 30) - 1;

    /// The rights that apply to regular files.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;

    /// The rights that apply to directories.
    pub const DIRECTORY: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE
        | POLL_FD_READWRITE;

    /// The rights of a readable stream (stdin).
    pub const INPUT: u64 = FD_READ | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;

    /// The rights of a writable stream (stdout, stderr).
    pub const OUTPUT: u64 = FD_WRITE
        | FD_DATASYNC
        | FD_SYNC
        | FD_FDSTAT_SET_FLAGS
        | FD_FILESTAT_GET
        | POLL_FD_READWRITE;

    /// The rights of a listening socket.
    pub const LISTENER: u64 =
        SOCK_ACCEPT | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;

    /// The rights of a connected stream socket.
    pub const STREAM: u64 = FD_READ
        | FD_WRITE
        | SOCK_SHUTDOWN
        | FD_FDSTAT_SET_FLAGS
        | FD_FILESTAT_GET
        | POLL_FD_READWRITE;
}

/// `fdflags`: file descriptor flags.
pub mod fdflags {
    /// Writes append to the end of the file.
    pub const APPEND: u16 = 1 << 0;
    /// Writes complete once the data is on storage.
    pub const DSYNC: u16 = 1 << 1;
    /// Operations do not block.
    pub const NONBLOCK: u16 = 1 << 2;
    /// Reads are synchronized like writes.
    pub const RSYNC: u16 = 1 << 3;
    /// Writes complete once data and metadata are on storage.
    pub const SYNC: u16 = 1 << 4;
    /// Every defined flag.
    pub const ALL: u16 = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
}

/// `oflags`: how `path_open` opens.
pub mod oflags {
    /// Create the file if it does not exist.
    pub const CREAT: u16 = 1 << 0;
    /// Fail unless the path is a directory.
    pub const DIRECTORY: u16 = 1 << 1;
    /// With `CREAT`, fail if the file exists.
    pub const EXCL: u16 = 1 << 2;
    /// Truncate the file to size 0.
    pub const TRUNC: u16 = 1 << 3;
}

/// `lookupflags`: how paths are resolved.
pub mod lookupflags {
    /// Follow a symbolic link in the last component.
    pub const SYMLINK_FOLLOW: u32 = 1 << 0;
}

/// `fstflags`: which timestamps `*_set_times` changes.
pub mod fstflags {
    /// Set the access time to the given value.
    pub const ATIM: u16 = 1 << 0;
    /// Set the access time to now.
    pub const ATIM_NOW: u16 = 1 << 1;
    /// Set the modification time to the given value.
    pub const MTIM: u16 = 1 << 2;
    /// Set the modification time to now.
    pub const MTIM_NOW: u16 = 1 << 3;
}

/// `whence`: where `fd_seek` counts from.
pub mod whence {
    /// From the start of the file.
    pub const SET: u8 = 0;
    /// From the current position.
    pub const CUR: u8 = 1;
    /// From the end of the file.
    pub const END: u8 = 2;
}

/// `clockid`: the clocks.
pub mod clockid {
    /// Wall-clock time since the Unix epoch.
    pub const REALTIME: u32 = 0;
    /// A clock that never goes backwards.
    pub const MONOTONIC: u32 = 1;
    /// CPU time of the process.
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    /// CPU time of the thread.
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// `eventtype`: what a subscription waits for.
pub mod eventtype {
    /// A clock reaching a time.
    pub const CLOCK: u8 = 0;
    /// A descriptor becoming readable.
    pub const FD_READ: u8 = 1;
    /// A descriptor becoming writable.
    pub const FD_WRITE: u8 = 2;
}

/// `subclockflags`.
pub mod subclockflags {
    /// The timeout is an absolute time of the clock, not a duration.
    pub const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1 << 0;
}

/// `eventrwflags`.
pub mod eventrwflags {
    /// The peer of the stream hung up (end of file).
    pub const FD_READWRITE_HANGUP: u16 = 1 << 0;
}

/// `advice` values of `fd_advise`.
pub mod advice {
    /// The largest valid value (`noreuse`).
    pub const MAX: u8 = 5;
}

/// `riflags` of `sock_recv`.
pub mod riflags {
    /// Return data without removing it from the queue.
    pub const RECV_PEEK: u16 = 1 << 0;
    /// Wait until the whole buffer is filled.
    pub const RECV_WAITALL: u16 = 1 << 1;
}

/// `sdflags` of `sock_shutdown`.
pub mod sdflags {
    /// Shut down the receiving side.
    pub const RD: u8 = 1 << 0;
    /// Shut down the sending side.
    pub const WR: u8 = 1 << 1;
}

/// `preopentype`.
pub mod preopentype {
    /// A pre-opened directory.
    pub const DIR: u8 = 0;
}

/// `signal` numbers of `proc_raise`.
pub mod signal {
    /// No signal (`0`).
    pub const NONE: u8 = 0;
    /// The last defined signal (`SIGSYS`).
    pub const MAX: u8 = 30;
    /// `SIGCHLD`, ignored by default.
    pub const CHLD: u8 = 16;
    /// `SIGCONT`, continues by default.
    pub const CONT: u8 = 17;
    /// `SIGSTOP`, stops by default.
    pub const STOP: u8 = 18;
    /// `SIGTSTP`, stops by default.
    pub const TSTP: u8 = 19;
    /// `SIGTTIN`, stops by default.
    pub const TTIN: u8 = 20;
    /// `SIGTTOU`, stops by default.
    pub const TTOU: u8 = 21;
    /// `SIGURG`, ignored by default.
    pub const URG: u8 = 22;
    /// `SIGWINCH`, ignored by default.
    pub const WINCH: u8 = 27;
}

/// Sizes (in bytes) of the structures in guest memory.
pub mod size {
    /// `iovec` / `ciovec`: `buf: u32, buf_len: u32`.
    pub const IOVEC: u32 = 8;
    /// `fdstat`.
    pub const FDSTAT: u32 = 24;
    /// `filestat`.
    pub const FILESTAT: u32 = 64;
    /// `prestat`.
    pub const PRESTAT: u32 = 8;
    /// `dirent` header (the name follows it).
    pub const DIRENT: u32 = 24;
    /// `subscription`.
    pub const SUBSCRIPTION: u32 = 48;
    /// `event`.
    pub const EVENT: u32 = 32;
}
