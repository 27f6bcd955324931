//! Runs the sightglass benchmark programs (`../shared/bench/sightglass`) on
//! weft and on wasmi 2.0 (with `wasmi_wasi`) in one run, checks every run's
//! stdout and stderr against the benchmark's expected-output files, and
//! prints a table of the measured times (the region between the guest's
//! `bench.start` and `bench.end` calls; compilation and instantiation are
//! outside it) with the ratio weft/wasmi and its geometric means.
//!
//! ```sh
//! export CARGO_TARGET_DIR=...   # as usual
//! cargo bench -p weft-bench --bench sightglass                       # everything
//! cargo bench -p weft-bench --bench sightglass -- shootout,bz2       # a subset
//! WEFT_SIGHTGLASS=-gcc-loops,-pwhash cargo bench -p weft-bench --bench sightglass
//! WEFT_SIGHTGLASS_QUICK=1 cargo bench -p weft-bench --bench sightglass  # smoke test
//! ```
//!
//! - **Filter**: `WEFT_SIGHTGLASS` and the command-line arguments are
//!   comma-separated substrings of benchmark names (`shootout-fib2`,
//!   `libsodium-box`, `bz2`); a term starting with `-` excludes what it
//!   matches. No including term means every benchmark.
//! - **Runs**: `WEFT_SIGHTGLASS_RUNS=N` (default 3) runs per runtime; the
//!   weft and wasmi runs alternate (weft first on even rounds, wasmi first
//!   on odd ones) to spread machine noise over both, and the table shows
//!   the median of each runtime's measured times.
//! - **Quick**: `WEFT_SIGHTGLASS_QUICK=1` runs each benchmark once, on weft
//!   only, and checks its output: a correctness smoke test. The process
//!   exits with status 1 if any benchmark failed, in either mode.
//!
//! Each run gets a fresh store and instance, the benchmark's folder
//! pre-opened as `.`, `argv = [FILE.wasm]`, no environment and an empty
//! stdin. A benchmark is FAILED (and left out of the geometric means) if a
//! run traps, exits with a non-zero status, misuses the timing calls, or
//! writes anything but the expected stdout/stderr, compared line for line
//! as sightglass does (libsodium's expected stdout is `0` without its
//! newline). The three without expected files (hashset, richards,
//! sqlite3) are "unchecked", as in sightglass: their output cannot be
//! compared, not even between runtimes (hashset and sqlite3 print
//! timings). libsodium's `sodium_utils2`/`3` never call `bench.end`: their
//! region ends when `_start` does. `random_get` gives both runtimes
//! the same fixed stream (`SeededBytes`). Even so libsodium's `box_easy2`
//! and `secretbox_easy2` do different work in each run: their generator
//! also stirs in the clock, and they draw their message sizes from it
//! (measured times vary by up to 10x). The SIMD set is found by
//! validation (a module that does not validate without SIMD): blake3-simd,
//! intgemm-simd and the libsodium programs except `sodium_utils2`/`3`.
//! Ratios of regions under 1 ms (noop, shootout-nestedloop, a few libsodium
//! tests) are shown in parentheses and kept out of the geometric means.
//!
//! Both runtimes translate every function before instantiating (wasmi in
//! `CompilationMode::Eager`, not its lazy default), so no translation
//! happens inside the measured region; wasmi gets weft's 8 MiB stack
//! limit, as its default is too small for shootout-ackermann.
//!
//! Not run (see `weft_bench::sightglass::EXCLUDED`): splay (GC) and
//! cm-online-stats and kotlin-richards (components), which wasmi 2.0
//! cannot run (weft runs them elsewhere), image-classification
//! (wasi-nn), and rust-protobuf, hex-simd and meshoptimizer (inputs missing
//! from the checkout).
//!
//! **Duration** (release build, default 3 runs per runtime, on a quiet
//! 2-core machine): about 35 minutes for everything (48 at load average
//! 4-5). The libsodium set takes about 15 of them, the shootout set 12
//! (seqhash and ed25519 most of those), gcc-loops 8 and sqlite3 1.5; all
//! the others together well under a minute. Leaving out the slowest,
//! `WEFT_SIGHTGLASS=-gcc-loops,-seqhash,-shootout-ed25519`, saves about 17
//! minutes. A quick run takes about 7 minutes. Progress, with each run's
//! time, goes to stderr as it happens; the table goes to stdout at the end.

mod wasmi_runner;

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use wasmi_runner::WasmiBench;
use weft_bench::sightglass::{
    Benchmark, Filter, Outcome, Secs, Suite, WeftBench, geomean, median, uses_simd,
};

/// The default number of runs per runtime.
const DEFAULT_RUNS: usize = 3;

/// Measured regions shorter than this (on either runtime) are a few host
/// calls, not a workload (noop, shootout-nestedloop, the libsodium tests
/// that skip for lack of AES): their ratios are shown in parentheses and
/// left out of the geometric means.
const MIN_GEOMEAN_TIME: Duration = Duration::from_millis(1);

fn main() -> ExitCode {
    let started = Instant::now();
    // `cargo bench` passes `--bench`; anything else not starting with `-`
    // is a filter.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let filter = Filter::parse(
        std::env::var("WEFT_SIGHTGLASS")
            .ok()
            .into_iter()
            .chain(args),
    );
    let quick = std::env::var("WEFT_SIGHTGLASS_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let runs = if quick {
        1
    } else {
        std::env::var("WEFT_SIGHTGLASS_RUNS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(DEFAULT_RUNS)
            .max(1)
    };

    let root = weft_bench::sightglass_dir();
    let suite = match Suite::discover(&root) {
        Ok(suite) => suite,
        Err(e) => {
            eprintln!("cannot read the sightglass checkout: {e}");
            return ExitCode::FAILURE;
        }
    };
    let selected: Vec<&Benchmark> = suite
        .benchmarks
        .iter()
        .filter(|b| filter.matches(&b.name))
        .collect();
    eprintln!(
        "sightglass: {} of {} runnable benchmarks selected; {}",
        selected.len(),
        suite.benchmarks.len(),
        if quick {
            "quick mode: one run each, weft only".to_string()
        } else {
            format!("{runs} runs per runtime, weft and wasmi interleaved")
        }
    );
    for e in &suite.excluded {
        eprintln!("  not run: {} ({})", e.name, e.reason);
    }

    let mut rows = Vec::new();
    for (i, bench) in selected.iter().enumerate() {
        eprint!("[{:>3}/{}] {:<40}", i + 1, selected.len(), bench.name);
        let row = measure(bench, runs, quick);
        eprintln!("  {}", row.summary());
        rows.push(row);
    }

    print_table(&rows, quick, runs);
    println!("total time: {}", Secs(started.elapsed()));
    if rows.iter().any(|r| r.failure.is_some()) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The result of one benchmark on both runtimes.
struct Row {
    name: String,
    simd: bool,
    /// weft's measured times, one per run.
    weft: Vec<Duration>,
    /// wasmi's measured times (none in quick mode).
    wasmi: Vec<Duration>,
    /// Whether the outputs were checked against expected-output files.
    checked: bool,
    /// Why the benchmark failed, if it did.
    failure: Option<String>,
}

impl Row {
    /// The ratio of weft's median time to wasmi's, when both succeeded.
    fn ratio(&self) -> Option<f64> {
        if self.failure.is_some() {
            return None;
        }
        let (w, p) = (median(&self.weft)?, median(&self.wasmi)?);
        Some(w.as_secs_f64() / p.as_secs_f64())
    }

    /// Whether both medians are at least [`MIN_GEOMEAN_TIME`], so the
    /// ratio counts in the geometric means.
    fn long_enough(&self) -> bool {
        [&self.weft, &self.wasmi]
            .iter()
            .all(|t| median(t).is_some_and(|d| d >= MIN_GEOMEAN_TIME))
    }

    /// One line for the progress output.
    fn summary(&self) -> String {
        let show = |t: &[Duration]| median(t).map_or("-".to_string(), |d| Secs(d).to_string());
        let mut s = format!("=> weft {}", show(&self.weft));
        if !self.wasmi.is_empty() {
            s += &format!(", wasmi {}", show(&self.wasmi));
        }
        if let Some(r) = self.ratio() {
            s += &format!(", ratio {r:.2}");
        }
        if let Some(f) = &self.failure {
            s += &format!("  FAILED: {f}");
        }
        s
    }

    /// The output column of the table.
    fn output(&self) -> &'static str {
        match (&self.failure, self.checked) {
            (Some(_), _) => "FAILED",
            (None, true) => "OK",
            (None, false) => "unchecked*",
        }
    }
}

/// One runtime's compiled benchmark.
enum Runner {
    Weft(WeftBench),
    Wasmi(WasmiBench),
}

impl Runner {
    fn name(&self) -> &'static str {
        match self {
            Runner::Weft(_) => "weft",
            Runner::Wasmi(_) => "wasmi",
        }
    }

    fn run(&self, bench: &Benchmark) -> Outcome {
        match self {
            Runner::Weft(w) => w.run(bench),
            Runner::Wasmi(w) => w.run(bench),
        }
    }
}

/// Compiles `bench` on each runtime and runs it `runs` times on each,
/// interleaved, printing each run's time as it ends.
fn measure(bench: &Benchmark, runs: usize, quick: bool) -> Row {
    let mut row = Row {
        name: bench.name.clone(),
        simd: false,
        weft: Vec::new(),
        wasmi: Vec::new(),
        checked: bench.has_expected(),
        failure: None,
    };
    let bytes = match bench.bytes() {
        Ok(b) => b,
        Err(e) => {
            row.failure = Some(e.to_string());
            return row;
        }
    };
    row.simd = uses_simd(&bytes);
    let weft = match WeftBench::new(&bytes) {
        Ok(w) => Runner::Weft(w),
        Err(e) => {
            row.failure = Some(format!("weft: cannot compile: {e}"));
            return row;
        }
    };
    let wasmi = if quick {
        None
    } else {
        match WasmiBench::new(&bytes) {
            Ok(w) => Some(Runner::Wasmi(w)),
            Err(e) => {
                row.failure = Some(format!("wasmi: cannot compile: {e}"));
                return row;
            }
        }
    };
    drop(bytes);

    for round in 0..runs {
        let mut order: Vec<(usize, &Runner)> = vec![(0, &weft)];
        if let Some(w) = &wasmi {
            order.push((1, w));
        }
        if round % 2 == 1 {
            order.reverse();
        }
        for (k, runner) in order {
            let outcome = runner.run(bench);
            match outcome.check(bench) {
                Ok(t) => {
                    eprint!(" {} {}", runner.name(), Secs(t));
                    let _ = std::io::stderr().flush();
                    if k == 0 {
                        row.weft.push(t);
                    } else {
                        row.wasmi.push(t);
                    }
                }
                Err(e) => {
                    row.failure = Some(format!("{}: {e}", runner.name()));
                    return row;
                }
            }
        }
    }
    row
}

/// Prints the table of all rows and the geometric means.
fn print_table(rows: &[Row], quick: bool, runs: usize) {
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(9).max(9);
    println!();
    if quick {
        println!("sightglass on weft (quick mode: one run, weft only)");
    } else {
        println!(
            "sightglass, weft vs wasmi 2.0: median of {runs} measured regions (bench.start..bench.end)\n\
             (ratio = weft / wasmi; below 1.0 means weft is faster)"
        );
    }
    println!(
        "{:<width$}  {:>4}  {:>10}  {:>10}  {:>6}  output",
        "benchmark", "simd", "weft", "wasmi", "ratio"
    );
    let show = |t: &[Duration]| median(t).map_or("-".to_string(), |d| Secs(d).to_string());
    for r in rows {
        let ratio = match r.ratio() {
            None => "-".to_string(),
            Some(x) if r.long_enough() => format!("{x:.2}"),
            Some(x) => format!("({x:.2})"),
        };
        println!(
            "{:<width$}  {:>4}  {:>10}  {:>10}  {:>6}  {}",
            r.name,
            if r.simd { "simd" } else { "" },
            show(&r.weft),
            show(&r.wasmi),
            ratio,
            r.output()
        );
    }
    if rows.iter().any(|r| r.failure.is_none() && !r.checked) {
        println!(
            "* no expected-output files, so only the exit status and timing calls were checked \
             (as sightglass does; hashset and sqlite3 print timings)"
        );
    }

    if !quick {
        println!();
        let groups = [
            ("all", None),
            ("SIMD", Some(true)),
            ("non-SIMD", Some(false)),
        ];
        for (label, simd) in groups {
            let ratios: Vec<f64> = rows
                .iter()
                .filter(|r| simd.is_none_or(|s| r.simd == s) && r.long_enough())
                .filter_map(Row::ratio)
                .collect();
            match geomean(&ratios) {
                Some(g) => println!(
                    "geometric mean of weft/wasmi, {label:<8}: {g:.3} ({} benchmarks)",
                    ratios.len()
                ),
                None => println!("geometric mean of weft/wasmi, {label:<8}: - (no benchmarks)"),
            }
        }
        let short: Vec<f64> = rows
            .iter()
            .filter(|r| !r.long_enough())
            .filter_map(Row::ratio)
            .collect();
        if !short.is_empty() {
            let every: Vec<f64> = rows.iter().filter_map(Row::ratio).collect();
            println!(
                "(ratios in parentheses: a region under {} on one runtime, left out above; \
                 with those {}, all: {:.3})",
                Secs(MIN_GEOMEAN_TIME),
                short.len(),
                geomean(&every).unwrap_or(f64::NAN)
            );
        }
    }

    let failed: Vec<&Row> = rows.iter().filter(|r| r.failure.is_some()).collect();
    if !failed.is_empty() {
        println!();
        println!("{} FAILED:", failed.len());
        for r in failed {
            println!("  {}: {}", r.name, r.failure.as_deref().unwrap_or(""));
        }
    }
}
