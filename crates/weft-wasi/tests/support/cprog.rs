//! Builds the C test programs of `crates/weft-wasi/tests/c/` to WASI
//! modules with clang and wasi-libc (installed by `.ci/run`), once per
//! program: a module newer than its source is reused.
//!
//! Shared by the tests of weft-wasi and weft-cli (included with `#[path]`).
//! `WASI_CC` overrides the compiler (default `clang`), `WASI_SYSROOT` the
//! sysroot (default: the compiler's, which on Debian finds wasi-libc), and
//! `WASI_TARGET` the target (default `wasm32-wasi`, which old and new clang
//! both know; newer ones also call it `wasm32-wasip1`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The directory of the C sources.
pub fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../weft-wasi/tests/c")
}

/// The compiled module for `tests/c/NAME.c`, building it if it is missing
/// or older than its source. Panics with the compiler's output if the
/// build fails.
pub fn wasm(name: &str) -> PathBuf {
    // One build at a time: tests run on several threads.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = source_dir().join(format!("{name}.c"));
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasi-c");
    std::fs::create_dir_all(&out_dir).expect("cannot create the output directory");
    let out = out_dir.join(format!("{name}.wasm"));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let src_time = modified(&src).unwrap_or_else(|| panic!("no source {}", src.display()));
    if modified(&out).is_some_and(|t| t >= src_time) {
        return out;
    }
    let cc = std::env::var("WASI_CC").unwrap_or_else(|_| "clang".into());
    let target = std::env::var("WASI_TARGET").unwrap_or_else(|_| "wasm32-wasi".into());
    // Build to a temporary name, then rename: a module is whole or absent.
    let tmp = out_dir.join(format!("{name}.{}.tmp", std::process::id()));
    let mut cmd = Command::new(&cc);
    cmd.arg(format!("--target={target}"))
        .args(["-O2", "-Wall", "-Wextra"])
        .arg(&src)
        .arg("-o")
        .arg(&tmp);
    if let Ok(sysroot) = std::env::var("WASI_SYSROOT") {
        cmd.arg(format!("--sysroot={sysroot}"));
    }
    let result = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run the C compiler `{cc}` ({e}): install clang, lld, wasi-libc and \
             libclang-rt-dev-wasm32 (see .ci/run) or set WASI_CC"
        )
    });
    assert!(
        result.status.success(),
        "building {} failed:\n{}{}",
        src.display(),
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::rename(&tmp, &out).expect("cannot move the built module into place");
    out
}
