//! The official WASI test suite's preview-1 programs
//! (`../shared/testsuite/wasi`: AssemblyScript, C and Rust), run as its
//! specification says: for `NAME.wasm`, `NAME.json` (if present) gives the
//! arguments, the environment, the directory to preopen as the guest's `/`
//! (`root`, copied afresh for each program, since programs create and delete
//! files there), and the expected exit code, stdout and stderr.

use super::run_module;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite/wasi")
}

/// What `NAME.json` asks for, with the specification's defaults.
struct Spec {
    args: Vec<String>,
    env: Vec<(String, String)>,
    root: Option<String>,
    exit_code: i32,
    stdout: Option<String>,
    stderr: Option<String>,
}

fn read_spec(wasm: &Path) -> Spec {
    let json = wasm.with_extension("json");
    let v: Value = match std::fs::read_to_string(&json) {
        Ok(text) => serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: bad JSON: {e}", json.display())),
        Err(_) => Value::Object(Default::default()),
    };
    let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    Spec {
        args: v
            .get("args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(Into::into))
                    .collect()
            })
            .unwrap_or_default(),
        env: v
            .get("env")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        root: text("root"),
        exit_code: v.get("exit_code").and_then(Value::as_i64).unwrap_or(0) as i32,
        stdout: text("stdout"),
        stderr: text("stderr"),
    }
}

/// Copies directory `from` to `to`, symbolic links as links.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let ty = entry.file_type().unwrap();
        if ty.is_symlink() {
            let target = std::fs::read_link(&src).unwrap();
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &dst).unwrap();
            #[cfg(not(unix))]
            let _ = target;
        } else if ty.is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Runs one program; `Err` says how it differed from its specification.
fn run_one(wasm: &Path, scratch: &Path) -> Result<(), String> {
    let spec = read_spec(wasm);
    let root = spec.root.as_ref().map(|r| {
        let copy = scratch.join("root");
        let _ = std::fs::remove_dir_all(&copy);
        copy_tree(&wasm.parent().unwrap().join(r), &copy);
        copy
    });
    let name = wasm.file_name().unwrap().to_string_lossy().into_owned();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_module(wasm, |b| {
            b.arg(&name).args(&spec.args);
            for (k, v) in &spec.env {
                b.env(k, v);
            }
            if let Some(root) = &root {
                b.preopened_dir(root, "/").expect("the copy opens");
            }
        })
    }))
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })?;
    let mut problems = Vec::new();
    if outcome.status != spec.exit_code {
        problems.push(format!(
            "exit code {}, expected {}",
            outcome.status, spec.exit_code
        ));
    }
    if let Some(want) = &spec.stdout
        && &outcome.stdout != want
    {
        problems.push(format!("stdout {:?}, expected {want:?}", outcome.stdout));
    }
    if let Some(want) = &spec.stderr
        && &outcome.stderr != want
    {
        problems.push(format!("stderr {:?}, expected {want:?}", outcome.stderr));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} (stderr: {:?})",
            problems.join("; "),
            outcome.stderr
        ))
    }
}

#[test]
fn official_wasi_suite_passes() {
    let mut programs: Vec<PathBuf> = ["assemblyscript", "c", "rust"]
        .iter()
        .flat_map(|lang| {
            let dir = suite_dir().join(lang).join("wasm32-wasip1");
            std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
                .collect::<Vec<_>>()
        })
        .collect();
    programs.sort();
    assert_eq!(programs.len(), 72, "the suite has 72 preview-1 programs");
    let scratch = super::scratch("official-suite");
    let failures: Vec<String> = programs
        .iter()
        .filter_map(|p| {
            run_one(p, &scratch)
                .err()
                .map(|why| format!("{}: {why}", p.display()))
        })
        .collect();
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "WASI suite: {} passed, {} failed",
        programs.len() - failures.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
