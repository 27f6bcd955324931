//! The sightglass runner (`weft_bench::sightglass` and
//! `benches/sightglass/`) on the checkout: which benchmarks it finds, and a
//! few quick ones run on weft and on wasmi with exactly the checks of the
//! benchmark run (exit status, expected stdout/stderr, timing calls).

#[path = "../benches/sightglass/wasmi_runner.rs"]
mod wasmi_runner;

use std::time::Instant;

use wasmi_runner::WasmiBench;
use weft_bench::sightglass::{Benchmark, Outcome, Suite, WeftBench, uses_simd};

/// The checkout's benchmarks.
fn suite() -> Suite {
    Suite::discover(&weft_bench::sightglass_dir()).expect("the sightglass checkout")
}

/// The runnable benchmark `name`, which has expected-output files.
fn get<'a>(suite: &'a Suite, name: &str) -> &'a Benchmark {
    let bench = suite
        .get(name)
        .unwrap_or_else(|| panic!("{name} is not runnable"));
    assert!(bench.has_expected(), "{name} has expected-output files");
    bench
}

/// Checks `outcome` of `bench` on `runtime` as the benchmark run does.
fn assert_ok(runtime: &str, bench: &Benchmark, outcome: &Outcome) {
    if let Err(e) = outcome.check(bench) {
        panic!(
            "{} on {runtime}: {e}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            bench.name,
            String::from_utf8_lossy(&outcome.stdout),
            String::from_utf8_lossy(&outcome.stderr)
        );
    }
}

/// Runs `name` once on weft and checks it as the benchmark run does.
fn run_checked(suite: &Suite, name: &str) {
    let bench = get(suite, name);
    let started = Instant::now();
    let weft = WeftBench::new(&bench.bytes().unwrap()).expect("weft compiles it");
    assert_ok("weft", bench, &weft.run(bench));
    eprintln!("{name} on weft: {:?} in all", started.elapsed());
}

#[test]
fn finds_every_benchmark_and_excludes_the_unsupported() {
    let suite = suite();
    let excluded: Vec<&str> = suite.excluded.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        excluded,
        [
            "cm-online-stats",
            "hex-simd",
            "image-classification-benchmark",
            "kotlin-richards",
            "meshoptimizer",
            "rust-protobuf",
            "splay",
        ]
    );
    assert_eq!(suite.benchmarks.len(), 118);
    let unchecked: Vec<&str> = suite
        .benchmarks
        .iter()
        .filter(|b| !b.has_expected())
        .map(|b| b.name.as_str())
        .collect();
    assert_eq!(unchecked, ["hashset", "richards", "sqlite3"]);
    // libsodium's programs share `default.*.expected`, except two.
    let utils2 = suite.get("libsodium-sodium_utils2").unwrap();
    assert_eq!(utils2.expected_stdout.as_deref(), Some(&b""[..]));
    let box_ = suite.get("libsodium-box").unwrap();
    assert_eq!(box_.expected_stdout.as_deref(), Some(&b"0"[..]));
}

#[test]
fn simd_is_detected() {
    let suite = suite();
    let simd = |name: &str| uses_simd(&suite.get(name).unwrap().bytes().unwrap());
    assert!(simd("libsodium-sodium_version"));
    assert!(!simd("libsodium-sodium_utils3"));
    assert!(!simd("shootout-gimli"));
}

#[test]
fn noop_runs_as_expected() {
    run_checked(&suite(), "noop");
}

#[test]
fn quick_benchmarks_run_as_expected() {
    let suite = suite();
    // ackermann and bz2 read their inputs from the pre-opened folder;
    // keccak, xblabla20 and blind-sig (64-bit hashing and RSA arithmetic)
    // run the most chained operators (`bin2`).
    for name in [
        "shootout-gimli",
        "shootout-ackermann",
        "shootout-xchacha20",
        "shootout-xblabla20",
        "shootout-keccak",
        "libsodium-sodium_version",
        "bz2",
        "blind-sig",
    ] {
        run_checked(&suite, name);
    }
}

/// The wasmi side of the benchmark run (unoptimised in the test profile,
/// so only the quickest programs).
#[test]
fn wasmi_runs_as_expected() {
    let suite = suite();
    for name in ["noop", "libsodium-sodium_version"] {
        let bench = get(&suite, name);
        let started = Instant::now();
        let wasmi = WasmiBench::new(&bench.bytes().unwrap()).expect("wasmi compiles it");
        assert_ok("wasmi", bench, &wasmi.run(bench));
        eprintln!("{name} on wasmi: {:?} in all", started.elapsed());
    }
}
