//! Tests of weft-wasi: real C programs built for WASI (hello world,
//! arguments and environment, files, escapes from the sandbox, clocks,
//! random, exit codes, stdin), and hand-written modules that call WASI
//! functions with wild pointers and lengths, bad descriptors and bad
//! flags, or use sockets.

#[cfg(feature = "p2")]
#[path = "../support/component.rs"]
mod component;
#[path = "../support/cprog.rs"]
mod cprog;
#[cfg(feature = "p2")]
mod p2;
mod suite;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;
use weft::{Engine, Instance, Linker, Memory, Module, Store, Val};
use weft_wasi::{Errno, I32Exit, OutputBuffer, WasiCtx, WasiCtxBuilder};

/// What running a program produced.
#[derive(Debug)]
struct Outcome {
    /// The exit status: `proc_exit`'s, or 0 when `_start` returned.
    status: i32,
    stdout: String,
    stderr: String,
}

/// Runs the module at `path` as a WASI command with the context `setup`
/// builds (stdout and stderr are captured).
fn run_module(path: &Path, setup: impl FnOnce(&mut WasiCtxBuilder)) -> Outcome {
    let engine = Engine::default();
    let module = Module::from_file(&engine, path).expect("the module compiles");
    let (out, err) = (OutputBuffer::new(), OutputBuffer::new());
    let mut b = WasiCtxBuilder::new();
    b.stdout(&out).stderr(&err);
    setup(&mut b);
    let mut linker = Linker::new(&engine);
    weft_wasi::add_to_linker(&mut linker, |c: &mut WasiCtx| c).unwrap();
    let mut store = Store::new(&engine, b.build());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
    let status = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => I32Exit::from_error(&e).unwrap_or_else(|| panic!("the program failed: {e}")),
    };
    Outcome {
        status,
        stdout: out.to_string_lossy(),
        stderr: err.to_string_lossy(),
    }
}

/// Runs C program `name` with argv[0] = `name.wasm`.
fn run_c(name: &str, setup: impl FnOnce(&mut WasiCtxBuilder)) -> Outcome {
    run_module(&cprog::wasm(name), |b| {
        b.arg(format!("{name}.wasm"));
        setup(b);
    })
}

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("weft-wasi-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn hello_world() {
    let r = run_c("hello", |_| {});
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(r.stdout, "hello, world\n");
    assert_eq!(r.stderr, "to stderr\n");
}

#[test]
fn arguments_and_environment() {
    let r = run_c("args_env", |b| {
        b.args(["one", "two words", ""])
            .env("GREETING", "hello")
            .env("EMPTY", "")
            .env("GREETING", "replaced");
    });
    assert_eq!(r.status, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        "argc=4\nargv[0]=args_env.wasm\nargv[1]=one\nargv[2]=two words\nargv[3]=\n\
         env EMPTY=\nenv GREETING=replaced\n"
    );
}

#[test]
fn inherited_environment() {
    // PATH is set in any test environment.
    let path = std::env::var("PATH").unwrap();
    let r = run_c("args_env", |b| {
        b.inherit_env();
    });
    assert!(r.stdout.contains(&format!("env PATH={path}\n")), "{r:?}");
}

#[test]
fn files_in_a_preopened_directory() {
    let dir = scratch("files");
    std::fs::write(dir.join("input.txt"), "from the host\n").unwrap();
    let r = run_c("files", |b| {
        b.preopened_dir(&dir, ".").unwrap();
    });
    assert_eq!(r.status, 0, "{}", r.stdout);
    assert!(r.stdout.ends_with("all passed\n"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("listing: . .. input.txt pio.bin renamed.txt sub\n"),
        "{}",
        r.stdout
    );
    // The program removed what it made, and left the host's file alone.
    let mut left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["input.txt"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn escapes_from_the_preopen_are_refused() {
    let root = scratch("escape");
    let sandbox = root.join("sandbox");
    std::fs::create_dir_all(sandbox.join("sub")).unwrap();
    std::fs::write(root.join("secret.txt"), "secret\n").unwrap();
    std::fs::write(sandbox.join("inside.txt"), "inside\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink("inside.txt", sandbox.join("link_in")).unwrap();
        symlink(root.join("secret.txt"), sandbox.join("link_out_abs")).unwrap();
        symlink("../secret.txt", sandbox.join("link_out_rel")).unwrap();
    }
    let r = run_c("escape", |b| {
        b.preopened_dir(&sandbox, ".").unwrap();
    });
    assert_eq!(r.status, 0, "{}", r.stdout);
    assert!(r.stdout.ends_with("all refused\n"), "{}", r.stdout);
    assert!(!r.stdout.contains("ESCAPED"), "{}", r.stdout);
    // Every refusal through the host is ENOTCAPABLE.
    assert_eq!(r.stdout.matches("-> errno 76").count(), 6, "{}", r.stdout);
    assert!(!sandbox.join("new_abs_link").exists());
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn nothing_is_reachable_without_a_preopen() {
    // The files program fails at once: there is no directory to open in.
    let r = run_c("files", |_| {});
    assert_eq!(r.status, 1);
    assert!(r.stdout.starts_with("FAIL create out.txt"), "{}", r.stdout);
}

#[test]
fn clocks_sleep_and_random() {
    let r = run_c("clocks", |_| {});
    assert_eq!(r.status, 0, "{}", r.stdout);
    assert!(r.stdout.ends_with("all passed\n"), "{}", r.stdout);
}

#[test]
fn exit_codes() {
    for (arg, status) in [("3", 3), ("0", 0), ("255", 255)] {
        let r = run_c("exit_code", |b| {
            b.arg(arg);
        });
        assert_eq!(r.status, status);
        // Output written before the exit is not lost.
        assert_eq!(r.stdout, format!("exiting with {status}\n"));
    }
}

#[test]
fn stdin_from_bytes() {
    let r = run_c("stdin_echo", |b| {
        b.stdin_bytes(b"abc\ndef".to_vec());
    });
    assert_eq!(r.status, 0);
    assert_eq!(r.stdout, "ABC\nDEF7 bytes\n");
    let r = run_c("stdin_echo", |_| {});
    assert_eq!(r.stdout, "0 bytes\n");
}

// ---------------------------------------------------------------------
// Hand-written modules: every WASI function behind an export of the same
// name, called with chosen (often wild) arguments.
// ---------------------------------------------------------------------

/// Each WASI function and its parameters: `i` is i32, `I` is i64.
const SIGNATURES: &[(&str, &str)] = &[
    ("args_get", "ii"),
    ("args_sizes_get", "ii"),
    ("environ_get", "ii"),
    ("environ_sizes_get", "ii"),
    ("clock_res_get", "ii"),
    ("clock_time_get", "iIi"),
    ("fd_advise", "iIIi"),
    ("fd_allocate", "iII"),
    ("fd_close", "i"),
    ("fd_datasync", "i"),
    ("fd_fdstat_get", "ii"),
    ("fd_fdstat_set_flags", "ii"),
    ("fd_fdstat_set_rights", "iII"),
    ("fd_filestat_get", "ii"),
    ("fd_filestat_set_size", "iI"),
    ("fd_filestat_set_times", "iIIi"),
    ("fd_pread", "iiiIi"),
    ("fd_prestat_get", "ii"),
    ("fd_prestat_dir_name", "iii"),
    ("fd_pwrite", "iiiIi"),
    ("fd_read", "iiii"),
    ("fd_readdir", "iiiIi"),
    ("fd_renumber", "ii"),
    ("fd_seek", "iIii"),
    ("fd_sync", "i"),
    ("fd_tell", "ii"),
    ("fd_write", "iiii"),
    ("path_create_directory", "iii"),
    ("path_filestat_get", "iiiii"),
    ("path_filestat_set_times", "iiiiIIi"),
    ("path_link", "iiiiiii"),
    ("path_open", "iiiiiIIii"),
    ("path_readlink", "iiiiii"),
    ("path_remove_directory", "iii"),
    ("path_rename", "iiiiii"),
    ("path_symlink", "iiiii"),
    ("path_unlink_file", "iii"),
    ("poll_oneoff", "iiii"),
    ("proc_raise", "i"),
    ("sched_yield", ""),
    ("random_get", "ii"),
    ("sock_accept", "iii"),
    ("sock_recv", "iiiiii"),
    ("sock_send", "iiiii"),
    ("sock_shutdown", "ii"),
];

/// A module importing every WASI function and exporting a wrapper of each
/// under its own name, plus `proc_exit`, and one page of memory.
fn all_functions_module() -> String {
    let ty = |c: char| if c == 'I' { "i64" } else { "i32" };
    let mut imports = String::new();
    let mut wrappers = String::new();
    for (name, params) in SIGNATURES {
        let ps: Vec<&str> = params.chars().map(ty).collect();
        let plist = if ps.is_empty() {
            String::new()
        } else {
            format!("(param {})", ps.join(" "))
        };
        imports.push_str(&format!(
            "(import \"wasi_snapshot_preview1\" \"{name}\" (func ${name} {plist} (result i32)))\n"
        ));
        let gets: String = (0..ps.len()).map(|i| format!("local.get {i} ")).collect();
        wrappers.push_str(&format!(
            "(func (export \"{name}\") {plist} (result i32) {gets} call ${name})\n"
        ));
    }
    format!(
        "(module\n{imports}\
         (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))\n\
         (memory (export \"memory\") 1)\n{wrappers}\
         (func (export \"proc_exit\") (param i32) local.get 0 call $proc_exit))"
    )
}

/// An instance of [`all_functions_module`] with its context.
struct Guest {
    store: Store<WasiCtx>,
    instance: Instance,
    memory: Memory,
}

/// A large address: the memory is one page (64 KiB).
const WILD: i64 = 0xffff_fff0;
/// The size of the guest's memory.
const PAGE: i64 = 65536;

impl Guest {
    fn new(ctx: WasiCtx) -> Guest {
        let engine = Engine::default();
        let module = Module::new(&engine, all_functions_module()).unwrap();
        let mut linker = Linker::new(&engine);
        weft_wasi::add_to_linker(&mut linker, |c: &mut WasiCtx| c).unwrap();
        let mut store = Store::new(&engine, ctx);
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let memory = instance.get_memory(&store, "memory").unwrap();
        Guest {
            store,
            instance,
            memory,
        }
    }

    /// Calls WASI function `name` with `args` (as its parameter types).
    fn call(&mut self, name: &str, args: &[i64]) -> i32 {
        let (_, params) = SIGNATURES.iter().find(|(n, _)| *n == name).unwrap();
        assert_eq!(params.len(), args.len(), "{name}");
        let vals: Vec<Val> = params
            .chars()
            .zip(args)
            .map(|(t, a)| {
                if t == 'I' {
                    Val::I64(*a)
                } else {
                    Val::I32(*a as i32)
                }
            })
            .collect();
        let f = self.instance.get_func(&self.store, name).unwrap();
        let mut out = [Val::I32(0)];
        f.call(&mut self.store, &vals, &mut out)
            .unwrap_or_else(|e| panic!("{name} failed: {e}"));
        out[0].i32().unwrap()
    }

    fn write(&mut self, at: usize, bytes: &[u8]) {
        self.memory.write(&mut self.store, at, bytes).unwrap();
    }

    fn read(&self, at: usize, len: usize) -> Vec<u8> {
        let mut buf = vec![0; len];
        self.memory.read(&self.store, at, &mut buf).unwrap();
        buf
    }

    fn u32_at(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.read(at, 4).try_into().unwrap())
    }

    fn u64_at(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.read(at, 8).try_into().unwrap())
    }

    /// Writes an iovec array of `(ptr, len)` at `at`.
    fn iovecs(&mut self, at: usize, iovs: &[(u32, u32)]) {
        let mut bytes = Vec::new();
        for (p, l) in iovs {
            bytes.extend_from_slice(&p.to_le_bytes());
            bytes.extend_from_slice(&l.to_le_bytes());
        }
        self.write(at, &bytes);
    }

    /// Opens `path` in the preopen (fd 3) with all rights; the new fd.
    fn open(&mut self, path: &str, oflags: i64) -> i32 {
        self.write(1000, path.as_bytes());
        let e = self.call(
            "path_open",
            &[3, 1, 1000, path.len() as i64, oflags, -1, -1, 0, 900],
        );
        assert_eq!(e, 0, "open {path}");
        self.u32_at(900) as i32
    }
}

const EFAULT: i32 = Errno::Fault as i32;
const EINVAL: i32 = Errno::Inval as i32;
const EBADF: i32 = Errno::Badf as i32;

#[test]
fn every_wasi_function_is_defined() {
    assert_eq!(SIGNATURES.len() + 1, weft_wasi::FUNCTIONS.len());
    for name in weft_wasi::FUNCTIONS {
        assert!(
            name == "proc_exit" || SIGNATURES.iter().any(|(n, _)| *n == name),
            "{name}"
        );
    }
    // The module importing all of them instantiates.
    Guest::new(WasiCtx::default());
}

#[test]
fn wild_pointers_are_efault() {
    let dir = scratch("wild");
    std::fs::write(dir.join("f.txt"), "data").unwrap();
    let ctx = WasiCtxBuilder::new()
        .args(["prog", "arg"])
        .env("A", "B")
        .preopened_dir(&dir, ".")
        .unwrap()
        .build();
    let mut g = Guest::new(ctx);
    g.write(1000, b"f.txt");
    let cases: &[(&str, &[i64])] = &[
        ("args_sizes_get", &[WILD, 0]),
        ("args_sizes_get", &[0, PAGE - 2]),
        ("args_get", &[WILD, 0]),
        ("args_get", &[0, PAGE - 3]),
        ("args_get", &[PAGE - 4, 0]),
        ("environ_sizes_get", &[PAGE, 0]),
        ("environ_get", &[0, WILD]),
        ("clock_res_get", &[0, PAGE - 7]),
        ("clock_time_get", &[1, 0, WILD]),
        ("random_get", &[PAGE - 10, 11]),
        ("random_get", &[WILD, 0x7fff_ffff]),
        ("fd_write", &[1, WILD, 1, 0]),
        ("fd_write", &[1, 0, 0x2000_0000, 0]),
        ("fd_write", &[1, 0, 1, PAGE]),
        ("fd_read", &[0, PAGE - 4, 1, 0]),
        ("fd_fdstat_get", &[1, PAGE - 23]),
        ("fd_filestat_get", &[3, WILD]),
        ("fd_prestat_get", &[3, PAGE - 1]),
        ("fd_prestat_dir_name", &[3, PAGE, 1]),
        ("fd_readdir", &[3, PAGE - 10, 100, 0, 0]),
        ("fd_readdir", &[3, 0, 100, 0, WILD]),
        ("fd_pread", &[4, WILD, 1, 0, 0]),
        ("fd_pwrite", &[4, 0, 1, 0, PAGE]),
        ("fd_seek", &[4, 0, 0, PAGE - 4]),
        ("fd_tell", &[4, WILD]),
        ("path_open", &[3, 0, WILD, 5, 0, -1, -1, 0, 0]),
        ("path_open", &[3, 0, 1000, 0x7fff_ffff, 0, -1, -1, 0, 0]),
        ("path_open", &[3, 0, 1000, 5, 0, -1, -1, 0, WILD]),
        ("path_filestat_get", &[3, 0, 1000, 5, PAGE - 63]),
        ("path_create_directory", &[3, PAGE - 2, 5]),
        ("path_readlink", &[3, WILD, 3, 0, 10, 0]),
        ("path_rename", &[3, 1000, 5, 3, WILD, 5]),
        ("path_symlink", &[WILD, 1, 3, 1000, 5]),
        ("path_unlink_file", &[3, WILD, 1]),
        ("path_remove_directory", &[3, 1000, 0xffff_ffff]),
        ("path_link", &[3, 0, 1000, 5, 3, WILD, 1]),
        ("path_filestat_set_times", &[3, 0, WILD, 5, 0, 0, 0]),
        ("poll_oneoff", &[WILD, 0, 1, 0]),
        ("poll_oneoff", &[0, 0, 0x1000_0000, 0]),
        ("poll_oneoff", &[0, PAGE - 31, 1, 0]),
    ];
    // fd 4: a file to read, write and seek.
    assert_eq!(g.open("f.txt", 0), 4);
    // An iovec whose buffer is wild.
    g.iovecs(0, &[(0xffff_0000, 0x10000)]);
    for (name, args) in cases {
        let e = g.call(name, args);
        assert_eq!(e, EFAULT, "{name}{args:?} returned {e}");
    }
    g.iovecs(0, &[(0xffff_0000, 0x10000)]);
    assert_eq!(g.call("fd_write", &[1, 0, 1, 100]), EFAULT);
    assert_eq!(g.call("fd_read", &[4, 0, 1, 100]), EFAULT);
    assert_eq!(
        g.call("sock_send", &[4, 0, 1, 0, 100]),
        Errno::Notsock as i32
    );
    // The file is untouched, and the instance still works.
    assert_eq!(std::fs::read(dir.join("f.txt")).unwrap(), b"data");
    assert_eq!(g.call("args_sizes_get", &[0, 4]), 0);
    assert_eq!((g.u32_at(0), g.u32_at(4)), (2, 9));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_arguments_are_einval_or_ebadf() {
    let dir = scratch("einval");
    std::fs::write(dir.join("f.txt"), "data").unwrap();
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .preopened_dir(&dir, ".")
            .unwrap()
            .build(),
    );
    assert_eq!(g.open("f.txt", 0), 4);
    g.write(1000, b"\xff\xfe");
    let cases: &[(&str, &[i64], i32)] = &[
        ("clock_time_get", &[99, 0, 0], EINVAL),
        ("clock_res_get", &[4, 0], EINVAL),
        ("fd_seek", &[4, 0, 3, 0], EINVAL),
        ("fd_seek", &[4, -1, 0, 0], EINVAL),
        ("fd_advise", &[4, 0, 0, 6], EINVAL),
        ("fd_fdstat_set_flags", &[4, 0x20], EINVAL),
        ("fd_filestat_set_times", &[4, 0, 0, 0x3], EINVAL),
        ("poll_oneoff", &[0, 100, 0, 0], EINVAL),
        (
            "path_open",
            &[3, 0, 1000, 2, 0, -1, -1, 0, 0],
            Errno::Ilseq as i32,
        ),
        ("path_open", &[3, 2, 1000, 2, 0, -1, -1, 0, 0], EINVAL),
        ("path_open", &[3, 0, 1000, 2, 0x10, -1, -1, 0, 0], EINVAL),
        ("proc_raise", &[99], EINVAL),
        ("proc_raise", &[18], Errno::Notsup as i32),
        ("sock_shutdown", &[4, 1], Errno::Notsock as i32),
        ("sock_accept", &[3, 0, 0], Errno::Notsock as i32),
        ("fd_write", &[99, 0, 0, 0], EBADF),
        ("fd_read", &[-1, 0, 0, 0], EBADF),
        ("fd_close", &[99], EBADF),
        ("fd_renumber", &[4, 99], EBADF),
        ("fd_prestat_get", &[4, 0], EBADF),
        ("fd_readdir", &[4, 0, 10, 0, 20], Errno::Notdir as i32),
        ("fd_seek", &[1, 0, 0, 0], Errno::Spipe as i32),
        (
            "path_open",
            &[4, 0, 1000, 1, 0, -1, -1, 0, 0],
            Errno::Notdir as i32,
        ),
        ("fd_prestat_dir_name", &[3, 0, 0], Errno::Nametoolong as i32),
    ];
    for (name, args, errno) in cases {
        let e = g.call(name, args);
        assert_eq!(e, *errno, "{name}{args:?} returned {e}");
    }
    // Two iovecs whose lengths overflow 32 bits.
    g.iovecs(0, &[(100, 0x8000_0000), (100, 0x8000_0000)]);
    assert!(matches!(
        g.call("fd_write", &[1, 0, 2, 50]),
        EINVAL | EFAULT
    ));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn descriptors_rights_and_renumbering() {
    let dir = scratch("rights");
    std::fs::write(dir.join("f.txt"), "0123456789").unwrap();
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .preopened_dir(&dir, "/sandbox")
            .unwrap()
            .build(),
    );
    // The preopen and its name.
    assert_eq!(g.call("fd_prestat_get", &[3, 0]), 0);
    assert_eq!((g.read(0, 1)[0], g.u32_at(4)), (0, 8));
    assert_eq!(g.call("fd_prestat_dir_name", &[3, 16, 8]), 0);
    assert_eq!(g.read(16, 8), b"/sandbox");
    // fdstat: a regular file with the rights asked for, within the file's.
    let fd = g.open("f.txt", 0);
    assert_eq!(g.call("fd_fdstat_get", &[fd as i64, 0]), 0);
    assert_eq!(g.read(0, 1)[0], 4, "regular file");
    let rights = g.u64_at(8);
    assert_ne!(rights & 2, 0, "FD_READ");
    assert_eq!(rights & (1 << 13), 0, "no PATH_OPEN on a file");
    // Dropping FD_READ makes reads ENOTCAPABLE; rights never come back.
    assert_eq!(
        g.call(
            "fd_fdstat_set_rights",
            &[fd as i64, (rights & !2) as i64, 0]
        ),
        0
    );
    g.iovecs(0, &[(100, 4)]);
    assert_eq!(
        g.call("fd_read", &[fd as i64, 0, 1, 50]),
        Errno::Notcapable as i32
    );
    assert_eq!(
        g.call("fd_fdstat_set_rights", &[fd as i64, rights as i64, 0]),
        Errno::Notcapable as i32
    );
    // A second file, renumbered over the first.
    let fd2 = g.open("f.txt", 0);
    assert_eq!(g.call("fd_seek", &[fd2 as i64, 4, 0, 200]), 0);
    assert_eq!(g.u64_at(200), 4);
    assert_eq!(g.call("fd_renumber", &[fd2 as i64, fd as i64]), 0);
    assert_eq!(g.call("fd_close", &[fd2 as i64]), EBADF);
    assert_eq!(g.call("fd_read", &[fd as i64, 0, 1, 50]), 0);
    assert_eq!((g.u32_at(50), g.read(100, 4)), (4, b"4567".to_vec()));
    assert_eq!(g.call("fd_tell", &[fd as i64, 60]), 0);
    assert_eq!(g.u64_at(60), 8);
    // pread does not move the position.
    assert_eq!(g.call("fd_pread", &[fd as i64, 0, 1, 1, 50]), 0);
    assert_eq!(g.read(100, 4), b"1234");
    assert_eq!(g.call("fd_tell", &[fd as i64, 60]), 0);
    assert_eq!(g.u64_at(60), 8);
    assert_eq!(g.call("fd_close", &[fd as i64]), 0);
    // stdout is a stream: no seeking.
    assert_eq!(g.call("fd_tell", &[1, 0]), Errno::Spipe as i32);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn file_metadata_times_and_sizes() {
    let dir = scratch("meta");
    std::fs::write(dir.join("f.txt"), "0123456789").unwrap();
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .preopened_dir(&dir, ".")
            .unwrap()
            .build(),
    );
    let fd = g.open("f.txt", 0) as i64;
    // Set the times (2 s and 3 s after the epoch), then read them back.
    assert_eq!(
        g.call(
            "fd_filestat_set_times",
            &[fd, 2_000_000_000, 3_000_000_000, 1 | 4]
        ),
        0
    );
    assert_eq!(g.call("fd_filestat_get", &[fd, 0]), 0);
    assert_eq!(g.read(16, 1)[0], 4);
    assert_eq!(g.u64_at(32), 10, "size");
    assert_eq!((g.u64_at(40), g.u64_at(48)), (2_000_000_000, 3_000_000_000));
    // Grow with fd_allocate, shrink with fd_filestat_set_size.
    assert_eq!(g.call("fd_allocate", &[fd, 10, 90]), 0);
    assert_eq!(std::fs::metadata(dir.join("f.txt")).unwrap().len(), 100);
    assert_eq!(g.call("fd_filestat_set_size", &[fd, 5]), 0);
    assert_eq!(std::fs::read(dir.join("f.txt")).unwrap(), b"01234");
    assert_eq!(g.call("fd_sync", &[fd]), 0);
    assert_eq!(g.call("fd_datasync", &[fd]), 0);
    assert_eq!(g.call("fd_advise", &[fd, 0, 0, 1]), 0);
    // By path: set the modification time to now, no follow.
    g.write(1000, b"f.txt");
    assert_eq!(
        g.call("path_filestat_set_times", &[3, 0, 1000, 5, 0, 0, 8]),
        0
    );
    assert_eq!(g.call("path_filestat_get", &[3, 0, 1000, 5, 0]), 0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    assert!(
        now.abs_diff(g.u64_at(48)) < 60_000_000_000,
        "mtime near now"
    );
    // Links: symlink, readlink, hard link, unlink.
    g.write(1100, b"f.txt");
    g.write(1200, b"sym");
    assert_eq!(g.call("path_symlink", &[1100, 5, 3, 1200, 3]), 0);
    assert_eq!(g.call("path_readlink", &[3, 1200, 3, 2000, 3, 2100]), 0);
    assert_eq!((g.read(2000, 3), g.u32_at(2100)), (b"f.t".to_vec(), 3));
    assert_eq!(g.call("path_filestat_get", &[3, 0, 1200, 3, 0]), 0);
    assert_eq!(g.read(16, 1)[0], 7, "symbolic link");
    assert_eq!(g.call("path_filestat_get", &[3, 1, 1200, 3, 0]), 0);
    assert_eq!(g.read(16, 1)[0], 4, "followed");
    g.write(1300, b"hard");
    assert_eq!(g.call("path_link", &[3, 0, 1000, 5, 3, 1300, 4]), 0);
    assert_eq!(g.call("path_filestat_get", &[3, 0, 1300, 4, 0]), 0);
    assert_eq!(g.u64_at(24), 2, "two links");
    assert_eq!(g.call("path_unlink_file", &[3, 1300, 4]), 0);
    assert_eq!(g.call("path_unlink_file", &[3, 1200, 3]), 0);
    assert_eq!(
        g.call("path_unlink_file", &[3, 1200, 3]),
        Errno::Noent as i32
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn readdir_in_small_buffers() {
    let dir = scratch("readdir");
    for name in ["a", "bb", "ccc"] {
        std::fs::write(dir.join(name), name).unwrap();
    }
    let mut g = Guest::new(
        WasiCtxBuilder::new()
            .preopened_dir(&dir, ".")
            .unwrap()
            .build(),
    );
    // Read one entry at a time by cookie, with a buffer that fits one.
    let mut names = Vec::new();
    let mut cookie = 0i64;
    loop {
        assert_eq!(g.call("fd_readdir", &[3, 0, 64, cookie, 100]), 0);
        let used = g.u32_at(100) as usize;
        if used == 0 {
            break;
        }
        let next = g.u64_at(0) as i64;
        let namlen = g.u32_at(16) as usize;
        names.push(String::from_utf8(g.read(24, namlen)).unwrap());
        cookie = next;
    }
    assert_eq!(names, [".", "..", "a", "bb", "ccc"]);
    // A buffer too small for a whole entry is filled completely.
    assert_eq!(g.call("fd_readdir", &[3, 0, 10, 0, 100]), 0);
    assert_eq!(g.u32_at(100), 10);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn proc_exit_and_raise_stop_the_guest() {
    let mut g = Guest::new(WasiCtx::default());
    let f = g.instance.get_func(&g.store, "proc_exit").unwrap();
    let err = f.call(&mut g.store, &[Val::I32(42)], &mut []).unwrap_err();
    assert_eq!(I32Exit::from_error(&err), Some(42));
    let f = g.instance.get_func(&g.store, "proc_raise").unwrap();
    let err = f
        .call(&mut g.store, &[Val::I32(6)], &mut [Val::I32(0)])
        .unwrap_err();
    assert_eq!(I32Exit::from_error(&err), Some(128 + 6));
    // Ignored signals return 0; the store is still usable.
    assert_eq!(g.call("proc_raise", &[16]), 0);
    assert_eq!(g.call("sched_yield", &[]), 0);
}

#[test]
fn random_get_uses_the_embedders_source() {
    // A counter as the source: each call continues where the last stopped,
    // and the guest sees exactly the bytes it produced.
    let mut next = 0u8;
    let ctx = WasiCtx::builder()
        .random_source(move |buf: &mut [u8]| {
            for b in buf {
                *b = next;
                next = next.wrapping_add(1);
            }
        })
        .build();
    let mut g = Guest::new(ctx);
    assert_eq!(g.call("random_get", &[100, 5]), 0);
    assert_eq!(g.call("random_get", &[105, 3]), 0);
    assert_eq!(g.read(100, 8), [0, 1, 2, 3, 4, 5, 6, 7]);
    // Bounds are still checked before the source runs.
    assert_eq!(g.call("random_get", &[PAGE - 2, 3]), EFAULT);
    assert_eq!(g.call("random_get", &[108, 1]), 0);
    assert_eq!(g.read(108, 1), [8]);
}

#[test]
fn poll_on_stdin_and_clocks() {
    // Stdin from bytes is ready at once, with its length.
    let mut g = Guest::new(WasiCtxBuilder::new().stdin_bytes(b"hello".to_vec()).build());
    let mut sub = vec![0u8; 96];
    sub[0..8].copy_from_slice(&7u64.to_le_bytes());
    sub[8] = 1; // fd_read
    sub[16..20].copy_from_slice(&0u32.to_le_bytes());
    // A one-hour relative clock that must not fire.
    sub[48..56].copy_from_slice(&8u64.to_le_bytes());
    sub[56] = 0;
    sub[64..68].copy_from_slice(&1u32.to_le_bytes());
    sub[72..80].copy_from_slice(&3_600_000_000_000u64.to_le_bytes());
    g.write(0, &sub);
    assert_eq!(g.call("poll_oneoff", &[0, 200, 2, 300]), 0);
    assert_eq!(g.u32_at(300), 1);
    assert_eq!(g.u64_at(200), 7);
    assert_eq!(g.read(210, 1)[0], 1, "fd_read event");
    assert_eq!(g.u64_at(216), 5, "5 bytes ready");
    // A subscription on a bad fd reports EBADF in its event.
    g.write(16, &99u32.to_le_bytes());
    assert_eq!(g.call("poll_oneoff", &[0, 200, 1, 300]), 0);
    assert_eq!(g.read(208, 2), (EBADF as u16).to_le_bytes());
}

#[test]
fn sockets_accept_receive_send_shutdown() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut g = Guest::new(WasiCtxBuilder::new().preopened_listener(listener).build());
    let client = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"ping").unwrap();
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).unwrap();
        reply
    });
    // The listener is fd 3; the accepted stream becomes fd 4.
    assert_eq!(g.call("sock_accept", &[3, 0, 0]), 0);
    let fd = g.u32_at(0) as i64;
    assert_eq!(fd, 4);
    assert_eq!(g.call("fd_fdstat_get", &[fd, 0]), 0);
    assert_eq!(g.read(0, 1)[0], 6, "socket stream");
    g.iovecs(0, &[(100, 4)]);
    // Peek, then receive all four bytes.
    assert_eq!(g.call("sock_recv", &[fd, 0, 1, 1, 50, 60]), 0);
    assert!(g.u32_at(50) >= 1);
    assert_eq!(g.call("sock_recv", &[fd, 0, 1, 2, 50, 60]), 0);
    assert_eq!((g.u32_at(50), g.read(100, 4)), (4, b"ping".to_vec()));
    g.write(100, b"pong");
    assert_eq!(g.call("sock_send", &[fd, 0, 1, 0, 50]), 0);
    assert_eq!(g.u32_at(50), 4);
    assert_eq!(g.call("sock_shutdown", &[fd, 2]), 0);
    assert_eq!(g.call("sock_shutdown", &[fd, 0]), EINVAL);
    assert_eq!(client.join().unwrap(), b"pong");
    assert_eq!(
        g.call("sock_recv", &[3, 0, 1, 0, 50, 60]),
        Errno::Notconn as i32
    );
}

#[test]
fn a_module_without_memory_fails_cleanly() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "wasi_snapshot_preview1" "args_sizes_get" (func $f (param i32 i32) (result i32)))
            (func (export "_start") (drop (call $f (i32.const 0) (i32.const 4)))))"#,
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    weft_wasi::add_to_linker(&mut linker, |c: &mut WasiCtx| c).unwrap();
    let mut store = Store::new(&engine, WasiCtx::default());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
    let err = start.call(&mut store, ()).unwrap_err();
    assert!(err.to_string().contains("exports no memory"), "{err}");
    assert_eq!(I32Exit::from_error(&err), None);
}
