//! WASI 0.2 from the embedder's side: a real component (`wasi-probe`,
//! Rust's wasm32-wasip2) run with `p2::add_to_linker` and `p2::run` on a
//! context built as for preview 1, its output captured.

use std::path::PathBuf;
use weft::{Engine, Store};
use weft_component::{Component, Linker};
use weft_wasi::{OutputBuffer, WasiCtx, WasiCtxBuilder};

fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(path)
}

/// A copy of the program's `run/` folder, which it changes.
fn scratch_copy(from: &std::path::Path) -> PathBuf {
    let to = std::env::temp_dir().join(format!("weft-wasi-p2-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&to);
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().map(Result::unwrap) {
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &to.join(e.file_name()));
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }
    copy(from, &to);
    to
}

#[test]
fn an_embedder_runs_a_wasip2_command_in_a_few_lines() {
    let program = shared("programs/components/wasi-probe");
    let dir = scratch_copy(&program.join("run"));
    let (stdout, stderr) = (OutputBuffer::new(), OutputBuffer::new());

    let engine = Engine::default();
    let component = Component::from_file(&engine, program.join("wasi-probe.wasm")).unwrap();
    let mut linker = Linker::new(&engine);
    weft_wasi::p2::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx).unwrap();
    let ctx = WasiCtxBuilder::new()
        .args(["wasi-probe", "a", "b"])
        .env("GREETING", "hi")
        .stdin_bytes(&b"hello stdin"[..])
        .stdout(&stdout)
        .stderr(&stderr)
        .preopened_dir(&dir, ".")
        .unwrap()
        .build();
    let mut store = Store::new(&engine, ctx);
    let status = weft_wasi::p2::run(&mut store, &component, &linker).unwrap();

    let expected = std::fs::read_to_string(program.join("stdout.expected")).unwrap();
    assert_eq!(stdout.to_string_lossy(), expected);
    assert_eq!(stderr.to_string_lossy(), "to stderr\n");
    assert_eq!(status, 1, "exit(3) is err: status 1");
    let _ = std::fs::remove_dir_all(dir);
}
