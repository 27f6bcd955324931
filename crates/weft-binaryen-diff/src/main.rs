//! `weft-binaryen-diff`: a differential check of weft against binaryen's
//! interpreter. For each seed it makes random bytes, has
//! `wasm-opt -ttf --fuzz-exec-before` turn them into a module (GC,
//! exceptions, SIMD, ...) and run it, runs the same module in weft with
//! the same host imports, compares the two event by event, and prints a
//! summary. See README.md.

mod compare;
mod generate;
mod patch;
mod reference;
mod run;
mod values;

use anyhow::{Context, Result, bail};
use clap::Parser;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Differential check of weft against binaryen's interpreter on modules
/// from `wasm-opt -ttf`.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The seeds to check, `A..B` (B excluded) or a single seed `A`.
    #[arg(long, default_value = "0..100", value_parser = parse_seeds)]
    seeds: Range<u64>,
    /// Keep each failing case (module, both outputs) in this directory.
    #[arg(long)]
    keep: Option<PathBuf>,
    /// binaryen's `wasm-opt` (e.g. node_modules/.bin/wasm-opt of the npm
    /// package `binaryen`).
    #[arg(long, default_value = "wasm-opt")]
    wasm_opt: PathBuf,
    /// Cases checked at once.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Fuel (roughly, instructions) for instantiation and for each export
    /// call in weft.
    #[arg(long, default_value_t = 200_000_000)]
    fuel: u64,
    /// The largest random input, in bytes (inputs are 1 KiB and up).
    #[arg(long, default_value_t = 16 << 10)]
    max_input: usize,
    /// Seconds before a `wasm-opt` run is killed.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Do not recheck a disagreement on the module with binaryen's
    /// `--denan` pass applied (see `generate::generate_denanned`).
    #[arg(long)]
    no_denan_recheck: bool,
    /// Print both outputs of every disagreement.
    #[arg(long)]
    verbose: bool,
    /// Instead of generating modules, check this one (`.wasm` or `.wat`,
    /// e.g. a reduced reproducer) and print both runs' events.
    #[arg(long)]
    module: Option<PathBuf>,
}

fn parse_seeds(s: &str) -> Result<Range<u64>, String> {
    let parse = |t: &str| t.trim().parse::<u64>().map_err(|e| format!("{t:?}: {e}"));
    match s.split_once("..") {
        Some((a, b)) => Ok(parse(a)?..parse(b)?),
        None => {
            let a = parse(s)?;
            Ok(a..a + 1)
        }
    }
}

/// What became of one seed.
enum Verdict {
    /// Both runs printed the same events (up to a binaryen host limit, if
    /// `host_limit`).
    Agreed { host_limit: bool },
    /// weft refused to compile or link the module.
    Rejected(String),
    /// `wasm-opt` failed or timed out.
    GenFailed(String),
    /// The runs differ.
    Disagreed(compare::Mismatch),
    /// The runs differ, but agree once `--denan` removed every NaN: the
    /// difference is in NaN bits, which the specification leaves open.
    NanBits(compare::Mismatch),
    /// weft panicked.
    Panicked(String),
}

/// One seed's result.
struct Outcome {
    seed: u64,
    verdict: Verdict,
    trap_pairs: Vec<(String, String)>,
    exports: usize,
    events: usize,
}

/// Checks one seed.
fn check(args: &Args, dir: &Path, seed: u64) -> Outcome {
    let mut outcome = Outcome {
        seed,
        verdict: Verdict::Agreed { host_limit: false },
        trap_pairs: Vec::new(),
        exports: 0,
        events: 0,
    };
    let input = generate::input_bytes(seed, args.max_input);
    let case = match generate::generate(
        &args.wasm_opt,
        dir,
        seed,
        &input,
        Duration::from_secs(args.timeout),
    ) {
        Ok(c) => c,
        Err(e) => {
            outcome.verdict = Verdict::GenFailed(format!("{e:#}"));
            return outcome;
        }
    };
    let reference = reference::parse(&case.stdout);
    let patched = match patch::export_tags(&case.wasm) {
        Ok(p) => p,
        Err(e) => {
            outcome.verdict = Verdict::Rejected(format!("patch: {e:#}"));
            return outcome;
        }
    };
    let lines = match run_weft(&patched, args.fuel) {
        Ok(Ok(lines)) => lines,
        Ok(Err(run::Rejected(reason))) => {
            outcome.verdict = Verdict::Rejected(reason);
            return outcome;
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            outcome.verdict = Verdict::Panicked(msg);
            keep_case(args, seed, &case, &reference, &[]);
            return outcome;
        }
    };
    outcome.exports = lines
        .iter()
        .filter(|l| matches!(l, run::Line::Export(_)))
        .count();
    outcome.events = lines.len();
    let c = compare::compare(&reference, &lines);
    outcome.trap_pairs = c.trap_pairs;
    outcome.verdict = match c.mismatch {
        Some(m) => {
            keep_case(args, seed, &case, &reference, &lines);
            if args.verbose {
                eprintln!(
                    "seed {seed}: {} at event {}\n--- binaryen\n{}--- weft\n{}",
                    m.class,
                    m.index,
                    render(&reference),
                    render(&lines)
                );
            }
            if !args.no_denan_recheck && agrees_without_nans(args, dir, seed, &input) {
                Verdict::NanBits(m)
            } else {
                Verdict::Disagreed(m)
            }
        }
        None => Verdict::Agreed {
            host_limit: c.host_limit_at.is_some(),
        },
    };
    outcome
}

/// Whether the seed's module, with every NaN turned into 0 by binaryen's
/// `--denan`, runs the same in both.
fn agrees_without_nans(args: &Args, dir: &Path, seed: u64, input: &[u8]) -> bool {
    let timeout = Duration::from_secs(args.timeout);
    let Ok(case) = generate::generate_denanned(&args.wasm_opt, dir, seed, input, timeout) else {
        return false;
    };
    let Ok(patched) = patch::export_tags(&case.wasm) else {
        return false;
    };
    match run_weft(&patched, args.fuel) {
        Ok(Ok(lines)) => compare::compare(&reference::parse(&case.stdout), &lines)
            .mismatch
            .is_none(),
        _ => false,
    }
}

/// Runs a module in weft (a fresh engine for each, so no type registry
/// grows over thousands of modules), catching a panic.
fn run_weft(
    patched: &patch::Patched,
    fuel: u64,
) -> std::thread::Result<Result<Vec<run::Line>, run::Rejected>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut config = weft::Config::new();
        config
            .wasm_legacy_exceptions(true)
            .wasm_relaxed_simd(false)
            .consume_fuel(true);
        let engine = weft::Engine::new(&config);
        run::run(&engine, patched, fuel)
    }))
}

/// `--module FILE`: both runs of one module, printed, and whether they
/// agree.
fn check_module(args: &Args, file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let binary = wat::parse_bytes(&bytes).context("parsing the text format")?;
    let patched = patch::export_tags(&binary)?;
    let stdout = generate::reference_run(&args.wasm_opt, file, Duration::from_secs(args.timeout))?;
    let reference = reference::parse(&stdout);
    println!("--- binaryen\n{}", render(&reference));
    let lines = match run_weft(&patched, args.fuel) {
        Ok(Ok(lines)) => lines,
        Ok(Err(run::Rejected(r))) => bail!("weft rejected the module: {r}"),
        Err(_) => bail!("weft panicked"),
    };
    println!("--- weft\n{}", render(&lines));
    match compare::compare(&reference, &lines).mismatch {
        Some(m) => {
            println!("DISAGREE ({}) at event {}", m.class, m.index);
            std::process::exit(1);
        }
        None => println!("agree"),
    }
    Ok(())
}

/// Events, one per line.
fn render<T: std::fmt::Display>(lines: &[T]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// Writes a failing case to `--keep`'s directory: the module, binaryen's
/// raw output and weft's events.
fn keep_case(
    args: &Args,
    seed: u64,
    case: &generate::Case,
    reference: &[reference::RefLine],
    weft: &[run::Line],
) {
    let Some(dir) = &args.keep else { return };
    let write = || -> Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(format!("seed-{seed}.wasm")), &case.wasm)?;
        std::fs::write(
            dir.join(format!("seed-{seed}.binaryen.txt")),
            render(reference),
        )?;
        std::fs::write(dir.join(format!("seed-{seed}.weft.txt")), render(weft))?;
        Ok(())
    };
    if let Err(e) = write() {
        eprintln!("seed {seed}: cannot keep the case: {e:#}");
    }
}

/// The figures of a run.
#[derive(Default)]
struct Summary {
    modules: usize,
    gen_failed: BTreeMap<String, Vec<u64>>,
    rejected: BTreeMap<String, Vec<u64>>,
    agreed: usize,
    host_limited: usize,
    disagreed: BTreeMap<String, Vec<u64>>,
    nan_bits: BTreeMap<String, Vec<u64>>,
    panicked: BTreeMap<String, Vec<u64>>,
    /// Each pair of trap messages: how often, and the first seed.
    traps: BTreeMap<(String, String), (usize, u64)>,
    exports: usize,
    events: usize,
}

impl Summary {
    fn add(&mut self, o: Outcome) {
        self.modules += 1;
        match o.verdict {
            Verdict::Agreed { host_limit } => {
                self.agreed += 1;
                self.host_limited += usize::from(host_limit);
            }
            Verdict::Rejected(r) => self.rejected.entry(r).or_default().push(o.seed),
            Verdict::GenFailed(r) => self.gen_failed.entry(r).or_default().push(o.seed),
            Verdict::Disagreed(m) => self.disagreed.entry(m.class).or_default().push(o.seed),
            Verdict::NanBits(m) => self.nan_bits.entry(m.class).or_default().push(o.seed),
            Verdict::Panicked(m) => self.panicked.entry(m).or_default().push(o.seed),
        }
        for pair in o.trap_pairs {
            self.traps.entry(pair).or_insert((0, o.seed)).0 += 1;
        }
        self.exports += o.exports;
        self.events += o.events;
    }

    fn print(&self, args: &Args, elapsed: Duration) {
        let count = |m: &BTreeMap<String, Vec<u64>>| m.values().map(Vec::len).sum::<usize>();
        let groups = |title: &str, m: &BTreeMap<String, Vec<u64>>| {
            println!("{title}: {}", count(m));
            for (k, seeds) in m {
                let shown: Vec<String> = seeds.iter().take(8).map(u64::to_string).collect();
                let more = if seeds.len() > 8 { " ..." } else { "" };
                println!(
                    "  {:>5}  {k}  (seeds {}{more})",
                    seeds.len(),
                    shown.join(", ")
                );
            }
        };
        println!(
            "weft-binaryen-diff: seeds {}..{}, {} modules in {:.0} s ({} jobs)",
            args.seeds.start,
            args.seeds.end,
            self.modules,
            elapsed.as_secs_f64(),
            args.jobs
        );
        groups("wasm-opt failed", &self.gen_failed);
        groups("rejected by weft", &self.rejected);
        println!(
            "agreed: {} (of which {} compared up to a binaryen host limit)",
            self.agreed, self.host_limited
        );
        groups("disagreed", &self.disagreed);
        groups(
            "differed only in NaN bits (agreed after binaryen's --denan)",
            &self.nan_bits,
        );
        groups("weft panicked", &self.panicked);
        println!(
            "exports and global exports run: {}, events compared: {}",
            self.exports, self.events
        );
        println!("trap pairs (binaryen message => weft trap):");
        for ((b, w), (n, seed)) in &self.traps {
            println!("  {n:>6}  {b} => {w}  (e.g. seed {seed})");
        }
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(file) = &args.module {
        return check_module(&args, file);
    }
    if args.seeds.is_empty() {
        bail!("no seeds in {:?}", args.seeds);
    }
    let dir = std::env::temp_dir().join(format!("weft-binaryen-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let start = Instant::now();
    let next = AtomicU64::new(args.seeds.start);
    let (tx, rx) = mpsc::channel();
    let mut summary = Summary::default();
    std::thread::scope(|s| -> Result<()> {
        for _ in 0..args.jobs.max(1) {
            let tx = tx.clone();
            let (args, dir, next) = (&args, &dir, &next);
            // Host calls nest (an import calling an export), each on the
            // host stack: give the workers room.
            std::thread::Builder::new()
                .stack_size(256 << 20)
                .spawn_scoped(s, move || {
                    loop {
                        let seed = next.fetch_add(1, Ordering::Relaxed);
                        if seed >= args.seeds.end {
                            return;
                        }
                        if tx.send(check(args, dir, seed)).is_err() {
                            return;
                        }
                    }
                })
                .context("spawning a worker")?;
        }
        drop(tx);
        let total = args.seeds.end - args.seeds.start;
        for outcome in rx {
            match &outcome.verdict {
                Verdict::Disagreed(m) => eprintln!(
                    "seed {}: DISAGREE ({}) at event {}: binaryen {:?} / weft {:?}",
                    outcome.seed,
                    m.class,
                    m.index,
                    m.binaryen.as_ref().map(ToString::to_string),
                    m.weft.as_ref().map(ToString::to_string)
                ),
                Verdict::NanBits(m) => eprintln!(
                    "seed {}: differs only in NaN bits ({}) at event {}",
                    outcome.seed, m.class, m.index
                ),
                Verdict::Panicked(p) => eprintln!("seed {}: weft PANICKED: {p}", outcome.seed),
                _ => {}
            }
            summary.add(outcome);
            if summary.modules % 100 == 0 {
                eprintln!(
                    "[{}/{total}] {:.0} s, {} disagreements so far",
                    summary.modules,
                    start.elapsed().as_secs_f64(),
                    summary.disagreed.values().map(Vec::len).sum::<usize>()
                );
            }
        }
        Ok(())
    })?;
    let _ = std::fs::remove_dir_all(&dir);
    summary.print(&args, start.elapsed());
    if !summary.disagreed.is_empty() || !summary.panicked.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
