//! GC-heavy programs run by the `weft` CLI and by `wasmtime` 48 (GC on,
//! its default copying collector, no compilation cache), side by side in
//! one run: wall time and peak RSS of the whole process, as medians of
//! interleaved runs, and their ratios (weft / wasmtime).
//!
//! Workloads: binary-trees (depth 18) and a churn of 20 million two-object
//! cycles (`src/workloads/gc/`), sightglass `splay`, and two Kotlin/Wasm
//! programs: `kotlin-lists`, the one of `../shared/programs/kotlin`, and
//! `kotlin-trees`, binary-trees in Kotlin (depth 15, a long-lived tree and
//! a ring of trees; `crates/weft-cli/tests/programs/kotlin/trees.kt`).
//! Each run's stdout must equal the other runtime's (and the expected
//! output where one is given).
//!
//! ```text
//! cargo build --release -p weft-cli
//! cargo install wasmtime-cli@48.0.8 --locked
//! cargo bench -p weft-bench --bench gc            # 5 runs each
//! WEFT_GC_RUNS=9 cargo bench -p weft-bench --bench gc
//! ```
//!
//! `WEFT` and `WASMTIME` name the binaries if they are not
//! `target/release/weft` and `wasmtime` on the `PATH`. Peak RSS comes from
//! GNU time (`/usr/bin/time -f %M`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// One program and how to run it.
struct Workload {
    name: &'static str,
    wasm: PathBuf,
    /// Directory preopened as `.` (and the working directory).
    dir: Option<PathBuf>,
    /// The expected stdout, when the program comes with one.
    expected: Option<PathBuf>,
}

/// A measured run: wall time, peak RSS in KiB, stdout.
struct Run {
    time: Duration,
    rss_kib: u64,
    stdout: String,
}

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let weft = std::env::var_os("WEFT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../../target/release/weft"));
    let wasmtime = std::env::var_os("WASMTIME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("wasmtime"));
    let runs: usize = std::env::var("WEFT_GC_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let scratch = std::env::temp_dir().join(format!("weft-gc-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("a scratch directory");
    let shared = root.join("../../../shared");
    let mut workloads = Vec::new();
    for name in ["binary_trees", "churn"] {
        let wat = root.join(format!("src/workloads/gc/{name}.wat"));
        let bytes = wat::parse_file(&wat).expect("the workload assembles");
        let wasm = scratch.join(format!("{name}.wasm"));
        std::fs::write(&wasm, bytes).expect("the workload is written");
        workloads.push(Workload {
            name,
            wasm,
            dir: None,
            expected: None,
        });
    }
    let splay = shared.join("bench/sightglass/splay");
    workloads.push(Workload {
        name: "splay",
        wasm: splay.join("splay.wasm"),
        dir: Some(splay.clone()),
        expected: Some(splay.join("splay.stdout.expected")),
    });
    let kotlin = shared.join("programs/kotlin");
    workloads.push(Workload {
        name: "kotlin-lists",
        wasm: kotlin.join("lists.wasm"),
        dir: None,
        expected: Some(kotlin.join("lists.stdout.expected")),
    });
    let ours = root.join("../weft-cli/tests/programs/kotlin");
    workloads.push(Workload {
        name: "kotlin-trees",
        wasm: ours.join("trees.wasm"),
        dir: None,
        expected: Some(ours.join("trees.stdout.expected")),
    });

    println!(
        "{:<14} {:>10} {:>10} {:>7} {:>11} {:>11} {:>7}",
        "workload", "weft", "wasmtime", "time", "weft RSS", "wt RSS", "RSS"
    );
    let mut failed = false;
    for w in &workloads {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..runs {
            ours.push(run(&weft_command(&weft, w), w));
            theirs.push(run(&wasmtime_command(&wasmtime, w), w));
        }
        let (Some(ours), Some(theirs)) = (collect(ours), collect(theirs)) else {
            println!("{:<14} failed to run", w.name);
            failed = true;
            continue;
        };
        let expected = w
            .expected
            .as_ref()
            .map(|p| std::fs::read_to_string(p).expect("expected output"));
        let want = expected.unwrap_or_else(|| theirs[0].stdout.clone());
        if ours.iter().chain(&theirs).any(|r| r.stdout != want) {
            println!("{:<14} outputs differ", w.name);
            failed = true;
            continue;
        }
        let (t1, t2) = (median(&ours, |r| r.time), median(&theirs, |r| r.time));
        let (m1, m2) = (median(&ours, |r| r.rss_kib), median(&theirs, |r| r.rss_kib));
        println!(
            "{:<14} {:>9.3}s {:>9.3}s {:>7.2} {:>8} KiB {:>7} KiB {:>7.2}",
            w.name,
            t1.as_secs_f64(),
            t2.as_secs_f64(),
            t1.as_secs_f64() / t2.as_secs_f64(),
            m1,
            m2,
            m1 as f64 / m2 as f64
        );
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn weft_command(weft: &Path, w: &Workload) -> Command {
    let mut c = Command::new(weft);
    c.args(["run", "-W", "unknown-imports-default=y"]);
    if w.dir.is_some() {
        c.args(["--dir", "."]);
    }
    c.arg(&w.wasm);
    c
}

fn wasmtime_command(wasmtime: &Path, w: &Workload) -> Command {
    let mut c = Command::new(wasmtime);
    c.args([
        "run",
        "-W",
        "gc=y,function-references=y,exceptions=y,unknown-imports-default=y",
        "-C",
        "cache=n",
    ]);
    if w.dir.is_some() {
        c.args(["--dir", "."]);
    }
    c.arg(&w.wasm);
    c
}

/// Runs `command` under GNU time in the workload's directory.
fn run(command: &Command, w: &Workload) -> Option<Run> {
    let mut timed = Command::new("/usr/bin/time");
    timed.args(["-f", "%M"]).arg(command.get_program());
    timed.args(command.get_args());
    if let Some(dir) = &w.dir {
        timed.current_dir(dir);
    }
    let start = Instant::now();
    let out = timed.output().ok()?;
    let time = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        eprintln!("{}: {:?} failed: {stderr}", w.name, command.get_program());
        return None;
    }
    let rss_kib = stderr.lines().last()?.trim().parse().ok()?;
    Some(Run {
        time,
        rss_kib,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

fn collect(runs: Vec<Option<Run>>) -> Option<Vec<Run>> {
    runs.into_iter().collect()
}

fn median<T: Ord + Copy>(runs: &[Run], key: impl Fn(&Run) -> T) -> T {
    let mut v: Vec<T> = runs.iter().map(key).collect();
    v.sort();
    v[v.len() / 2]
}
