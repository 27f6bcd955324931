//! Running the sightglass benchmark programs (`../shared/bench/sightglass`)
//! as sightglass does, on weft; shared by `benches/sightglass.rs` (which
//! adds wasmi) and the tests.
//!
//! The run contract (see `SOURCE.md` beside the checkout): a benchmark is a
//! WASI command exporting `_start`; it imports `bench.start` and
//! `bench.end` and calls each once, and the time between the two calls is
//! what is measured. It runs with its folder pre-opened as `.` (its inputs
//! are files there) and an empty stdin, and its stdout and stderr must equal
//! the folder's `<stem>.stdout.expected` and `<stem>.stderr.expected` (else
//! `default.*.expected`) line for line, as sightglass checks them: a final
//! newline is optional and `\r\n` equals `\n`. Benchmarks without these
//! files (hashset, richards, sqlite3) cannot be checked against them.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use weft_wasi::{I32Exit, OutputBuffer, WasiCtx, WasiCtxBuilder};

/// The module name of the timing imports.
pub const BENCH_MODULE: &str = "bench";

/// The export a benchmark runs.
pub const START: &str = "_start";

/// Benchmark folders (or benchmark names) that cannot run on weft, and why.
/// Everything else in the checkout runs.
pub const EXCLUDED: &[(&str, &str)] = &[
    (
        "splay",
        "needs GC, which wasmi 2.0 lacks (weft runs it in the `gc` bench)",
    ),
    (
        "cm-online-stats",
        "a component: wasmi 2.0 runs core modules only (weft's CLI tests run it)",
    ),
    (
        "kotlin-richards",
        "a component: wasmi 2.0 runs core modules only (weft's CLI tests run it)",
    ),
    (
        "image-classification",
        "needs wasi-nn and an OpenVINO model",
    ),
    (
        "rust-protobuf",
        "input missing from the checkout (SOURCE.md)",
    ),
    (
        "hex-simd",
        "input and expected stdout missing from the checkout",
    ),
    (
        "meshoptimizer",
        "input missing from the checkout (SOURCE.md)",
    ),
];

/// One runnable sightglass benchmark: a module and where it runs.
#[derive(Clone, Debug)]
pub struct Benchmark {
    /// The name: the folder for `benchmark.wasm`, else the file stem
    /// (`shootout-fib2`, `libsodium-box`).
    pub name: String,
    /// The `.wasm` file.
    pub wasm: PathBuf,
    /// The benchmark's folder, pre-opened as `.`.
    pub dir: PathBuf,
    /// The expected stdout, if the folder has an expected-output file.
    pub expected_stdout: Option<Vec<u8>>,
    /// The expected stderr, if the folder has an expected-output file.
    pub expected_stderr: Option<Vec<u8>>,
}

impl Benchmark {
    /// Whether both expected-output files exist, so a run can be checked.
    pub fn has_expected(&self) -> bool {
        self.expected_stdout.is_some() && self.expected_stderr.is_some()
    }

    /// Reads the module's bytes.
    ///
    /// # Errors
    ///
    /// If the file cannot be read.
    pub fn bytes(&self) -> io::Result<Vec<u8>> {
        fs::read(&self.wasm)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.wasm.display())))
    }
}

/// A benchmark of the checkout that is not run, and why.
#[derive(Clone, Debug)]
pub struct Excluded {
    /// The benchmark's name, as for [`Benchmark::name`].
    pub name: String,
    /// Why it does not run.
    pub reason: &'static str,
}

/// Every benchmark of a sightglass checkout, split into those weft runs and
/// those it does not.
#[derive(Clone, Debug, Default)]
pub struct Suite {
    /// The runnable benchmarks, sorted by name.
    pub benchmarks: Vec<Benchmark>,
    /// The excluded ones, sorted by name.
    pub excluded: Vec<Excluded>,
}

impl Suite {
    /// Finds every `.wasm` file one folder below `root`.
    ///
    /// # Errors
    ///
    /// If `root` or one of its folders cannot be listed, or an expected
    /// output file cannot be read.
    pub fn discover(root: &Path) -> io::Result<Suite> {
        let mut suite = Suite::default();
        for dir in sorted_entries(root)? {
            if !dir.is_dir() {
                continue;
            }
            let folder = file_name(&dir);
            for wasm in sorted_entries(&dir)? {
                if wasm.extension().is_none_or(|e| e != "wasm") {
                    continue;
                }
                let stem = wasm
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let name = if stem == "benchmark" {
                    folder.clone()
                } else {
                    stem.clone()
                };
                let excluded = EXCLUDED
                    .iter()
                    .find(|(n, _)| *n == folder || *n == name || *n == stem);
                if let Some((_, reason)) = excluded {
                    suite.excluded.push(Excluded { name, reason });
                    continue;
                }
                suite.benchmarks.push(Benchmark {
                    name,
                    expected_stdout: expected(&dir, &stem, "stdout")?,
                    expected_stderr: expected(&dir, &stem, "stderr")?,
                    wasm,
                    dir: dir.clone(),
                });
            }
        }
        suite.benchmarks.sort_by(|a, b| a.name.cmp(&b.name));
        suite.excluded.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(suite)
    }

    /// The benchmark called `name`, if it is runnable.
    pub fn get(&self, name: &str) -> Option<&Benchmark> {
        self.benchmarks.iter().find(|b| b.name == name)
    }
}

/// The entries of `dir`, sorted.
fn sorted_entries(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
        .map(|e| e.map(|e| e.path()))
        .collect::<io::Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

/// The last component of `path`, as text.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The expected `stream` ("stdout" or "stderr") of module `stem` in `dir`,
/// found as sightglass finds it: `<stem>.<stream>.expected`, else
/// `default.<stream>.expected`, else none.
fn expected(dir: &Path, stem: &str, stream: &str) -> io::Result<Option<Vec<u8>>> {
    for base in [stem, "default"] {
        let path = dir.join(format!("{base}.{stream}.expected"));
        match fs::read(&path) {
            Ok(bytes) => return Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
        }
    }
    Ok(None)
}

/// Which benchmarks to run: comma-separated terms, each a substring of a
/// benchmark's name; a term starting with `-` excludes the benchmarks it
/// matches. With no including term, every benchmark is included.
///
/// `shootout,libsodium-box` runs the shootout set and the `libsodium-box*`
/// ones; `-gcc-loops,-pwhash` runs everything else.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl Filter {
    /// Parses the terms of each of `specs` (each comma-separated).
    pub fn parse<S: AsRef<str>>(specs: impl IntoIterator<Item = S>) -> Filter {
        let mut filter = Filter::default();
        for spec in specs {
            for term in spec.as_ref().split(',').map(str::trim) {
                match term.strip_prefix('-') {
                    Some("") => {}
                    Some(t) => filter.exclude.push(t.to_string()),
                    None if term.is_empty() => {}
                    None => filter.include.push(term.to_string()),
                }
            }
        }
        filter
    }

    /// Whether benchmark `name` is to run.
    pub fn matches(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|t| name.contains(t.as_str())))
            && !self.exclude.iter().any(|t| name.contains(t.as_str()))
    }
}

/// Whether `wasm` uses SIMD: it validates with every feature but not
/// without SIMD and relaxed SIMD.
pub fn uses_simd(wasm: &[u8]) -> bool {
    use wasmparser::{Validator, WasmFeatures};
    let all = WasmFeatures::all();
    let no_simd = all - WasmFeatures::SIMD - WasmFeatures::RELAXED_SIMD;
    Validator::new_with_features(all).validate_all(wasm).is_ok()
        && Validator::new_with_features(no_simd)
            .validate_all(wasm)
            .is_err()
}

/// The bytes every run's guest gets from `random_get`, on both runtimes: a
/// fixed splitmix64 stream (the seed is arbitrary), so that a benchmark
/// drawing its work from `random_get` does the same work on each runtime
/// and in each run. The stream does not depend on how the guest splits its
/// requests.
#[derive(Clone, Debug)]
pub struct SeededBytes {
    state: u64,
    word: [u8; 8],
    /// Bytes of `word` already handed out.
    used: usize,
}

impl Default for SeededBytes {
    fn default() -> Self {
        SeededBytes {
            state: 0x005e_ed0f_5167_6c61,
            word: [0; 8],
            used: 8,
        }
    }
}

impl SeededBytes {
    /// Fills `buf` with the next bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            if self.used == 8 {
                self.word = self.next_word().to_le_bytes();
                self.used = 0;
            }
            *b = self.word[self.used];
            self.used += 1;
        }
    }

    fn next_word(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// What a guest's calls of `bench.start` and `bench.end` recorded.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    start: Option<Instant>,
    end: Option<Instant>,
    misuse: Option<&'static str>,
}

impl Marks {
    /// Records a call of `bench.start`.
    pub fn start(&mut self) {
        let now = Instant::now();
        if self.start.is_some() {
            self.misuse
                .get_or_insert("bench.start called more than once");
        } else {
            self.start = Some(now);
        }
    }

    /// Records a call of `bench.end`.
    pub fn end(&mut self) {
        let now = Instant::now();
        if self.start.is_none() {
            self.misuse
                .get_or_insert("bench.end called before bench.start");
        } else if self.end.is_some() {
            self.misuse.get_or_insert("bench.end called more than once");
        } else {
            self.end = Some(now);
        }
    }

    /// The measured region: from `bench.start` to `bench.end`, or to
    /// `finished` (when `_start` returned or exited) for the two programs
    /// (libsodium's `sodium_utils2`/`3`) that never call `bench.end`.
    ///
    /// # Errors
    ///
    /// If `bench.start` was never called, or either was misused.
    pub fn measured(&self, finished: Instant) -> Result<Duration, String> {
        if let Some(misuse) = self.misuse {
            return Err(misuse.to_string());
        }
        let start = self.start.ok_or("bench.start was never called")?;
        Ok(self.end.unwrap_or(finished).duration_since(start))
    }
}

/// How a guest's `_start` ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It returned (status 0) or called `proc_exit` with this status.
    Status(i32),
    /// Anything else: a trap, a link error, a host error.
    Error(String),
}

/// The result of one run of a benchmark on one runtime.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// How `_start` ended.
    pub exit: Exit,
    /// Everything the guest wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything the guest wrote to stderr.
    pub stderr: Vec<u8>,
    /// The timing calls.
    pub marks: Marks,
    /// When `_start` ended.
    pub finished: Instant,
}

impl Outcome {
    /// An outcome for a run that failed before `_start` could be called.
    pub fn failed(msg: impl Into<String>) -> Outcome {
        Outcome {
            exit: Exit::Error(msg.into()),
            stdout: Vec::new(),
            stderr: Vec::new(),
            marks: Marks::default(),
            finished: Instant::now(),
        }
    }

    /// Checks the run against `bench`'s contract: exit status 0, the
    /// expected stdout and stderr (when the folder has them), and proper
    /// timing calls. Returns the measured time.
    ///
    /// # Errors
    ///
    /// What went wrong, in one line.
    pub fn check(&self, bench: &Benchmark) -> Result<Duration, String> {
        match &self.exit {
            Exit::Status(0) => {}
            Exit::Status(n) => return Err(format!("exit status {n}")),
            Exit::Error(e) => return Err(one_line(e)),
        }
        for (stream, got, want) in [
            ("stdout", &self.stdout, &bench.expected_stdout),
            ("stderr", &self.stderr, &bench.expected_stderr),
        ] {
            if let Some(want) = want {
                compare(stream, got, want)?;
            }
        }
        self.marks.measured(self.finished)
    }
}

/// Checks `got` has the lines of `want`, else describes the first
/// difference. Lines are compared as sightglass compares them (Rust's
/// `str::lines`): a final line ending is optional and `\r\n` equals `\n`
/// (libsodium's expected stdout is `0` without a newline, for example).
fn compare(stream: &str, got: &[u8], want: &[u8]) -> Result<(), String> {
    let (got_lines, want_lines) = (lines(got), lines(want));
    if got_lines == want_lines {
        return Ok(());
    }
    let at = got_lines
        .iter()
        .zip(&want_lines)
        .position(|(a, b)| a != b)
        .unwrap_or(got_lines.len().min(want_lines.len()));
    let show = |l: &[&[u8]]| match l.get(at) {
        Some(line) => {
            let text = String::from_utf8_lossy(line);
            let short: String = text.chars().take(60).collect();
            format!("{short:?}")
        }
        None => "end of output".to_string(),
    };
    Err(format!(
        "{stream} differs from the expected at line {} ({} lines vs {} expected): got {}, expected {}",
        at + 1,
        got_lines.len(),
        want_lines.len(),
        show(&got_lines),
        show(&want_lines)
    ))
}

/// The lines of `text` as `str::lines` splits them: at `\n` or `\r\n`,
/// with the final line ending optional.
fn lines(text: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let terminated = lines.len() - 1;
    if text.is_empty() || text.ends_with(b"\n") {
        lines.pop();
    }
    for line in lines.iter_mut().take(terminated) {
        if let Some(l) = line.strip_suffix(b"\r") {
            *line = l;
        }
    }
    lines
}

/// `msg` on one line.
fn one_line(msg: &str) -> String {
    msg.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The store data of a benchmark run on weft.
pub struct WeftHost {
    /// The guest's WASI state.
    pub wasi: WasiCtx,
    /// The timing calls.
    pub marks: Marks,
}

/// A benchmark compiled on weft, ready to run any number of times, each in
/// a fresh store and instance.
pub struct WeftBench {
    module: weft::Module,
    linker: weft::Linker<WeftHost>,
}

impl WeftBench {
    /// Compiles `wasm` (validation and translation of every body, outside
    /// any measured region: eager translation, as wasmi is configured).
    ///
    /// # Errors
    ///
    /// If weft rejects the module.
    pub fn new(wasm: &[u8]) -> weft::Result<WeftBench> {
        let mut config = weft::Config::new();
        config.compilation_mode(weft::CompilationMode::Eager);
        let engine = weft::Engine::new(&config);
        let module = weft::Module::from_binary(&engine, wasm)?;
        let mut linker = weft::Linker::new(&engine);
        weft_wasi::add_to_linker(&mut linker, |h: &mut WeftHost| &mut h.wasi)?;
        linker.func_wrap(
            BENCH_MODULE,
            "start",
            |mut c: weft::Caller<'_, WeftHost>| {
                c.data_mut().marks.start();
            },
        )?;
        linker.func_wrap(BENCH_MODULE, "end", |mut c: weft::Caller<'_, WeftHost>| {
            c.data_mut().marks.end();
        })?;
        Ok(WeftBench { module, linker })
    }

    /// Runs `bench` once: instantiates the module in a fresh store with the
    /// benchmark's folder as `.`, calls `_start`, and collects its output.
    pub fn run(&self, bench: &Benchmark) -> Outcome {
        let (stdout, stderr) = (OutputBuffer::new(), OutputBuffer::new());
        let mut b = WasiCtxBuilder::new();
        let mut random = SeededBytes::default();
        b.arg(file_name(&bench.wasm))
            .stdout(&stdout)
            .stderr(&stderr)
            .random_source(move |buf: &mut [u8]| random.fill(buf));
        if let Err(e) = b.preopened_dir(&bench.dir, ".") {
            return Outcome::failed(format!("cannot open {}: {e}", bench.dir.display()));
        }
        let host = WeftHost {
            wasi: b.build(),
            marks: Marks::default(),
        };
        let mut store = weft::Store::new(self.module.engine(), host);
        let exit = self.call_start(&mut store);
        let finished = Instant::now();
        Outcome {
            exit,
            stdout: stdout.contents(),
            stderr: stderr.contents(),
            marks: store.into_data().marks,
            finished,
        }
    }

    /// Instantiates and calls `_start`.
    fn call_start(&self, store: &mut weft::Store<WeftHost>) -> Exit {
        let result = self
            .linker
            .instantiate(&mut *store, &self.module)
            .and_then(|i| i.get_typed_func::<(), ()>(&*store, START))
            .and_then(|f| f.call(&mut *store, ()));
        match result {
            Ok(()) => Exit::Status(0),
            Err(e) => match I32Exit::from_error(&e) {
                Some(status) => Exit::Status(status),
                None => Exit::Error(e.to_string()),
            },
        }
    }
}

/// A [`Duration`] printed in seconds with 4 significant digits or so.
#[derive(Clone, Copy, Debug)]
pub struct Secs(pub Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.as_secs_f64();
        let text = if s >= 100.0 {
            format!("{s:.1}s")
        } else if s >= 1.0 {
            format!("{s:.3}s")
        } else if s >= 1e-3 {
            format!("{:.3}ms", s * 1e3)
        } else {
            format!("{:.3}us", s * 1e6)
        };
        f.pad(&text)
    }
}

/// The median of `times` (the mean of the middle two for an even count);
/// `None` when empty.
pub fn median(times: &[Duration]) -> Option<Duration> {
    let mut sorted = times.to_vec();
    sorted.sort();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2),
    }
}

/// The geometric mean of `ratios`; `None` when empty.
pub fn geomean(ratios: &[f64]) -> Option<f64> {
    if ratios.is_empty() {
        return None;
    }
    let log_sum: f64 = ratios.iter().map(|r| r.ln()).sum();
    Some((log_sum / ratios.len() as f64).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        let f = Filter::parse(["shootout,libsodium-box", "-fib"]);
        assert!(f.matches("shootout-sieve"));
        assert!(f.matches("libsodium-box_easy"));
        assert!(!f.matches("shootout-fib2"));
        assert!(!f.matches("bz2"));
        let all = Filter::parse([""]);
        assert!(all.matches("bz2"));
        let but = Filter::parse(["-gcc-loops,-pwhash"]);
        assert!(but.matches("bz2"));
        assert!(!but.matches("gcc-loops"));
        assert!(!but.matches("libsodium-pwhash_scrypt"));
    }

    #[test]
    fn statistics() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(3), ms(1), ms(2)]), Some(ms(2)));
        assert_eq!(
            median(&[ms(4), ms(1), ms(2), ms(3)]),
            Some(Duration::from_micros(2500))
        );
        assert_eq!(median(&[]), None);
        let g = geomean(&[2.0, 0.5, 4.0]).unwrap();
        assert!((g - 4f64.powf(1.0 / 3.0)).abs() < 1e-12, "{g}");
        assert_eq!(geomean(&[]), None);
    }

    #[test]
    fn seeded_bytes_do_not_depend_on_request_sizes() {
        let mut whole = [0u8; 37];
        SeededBytes::default().fill(&mut whole);
        let mut pieces = [0u8; 37];
        let mut s = SeededBytes::default();
        let (a, rest) = pieces.split_at_mut(3);
        let (b, c) = rest.split_at_mut(9);
        s.fill(a);
        s.fill(b);
        s.fill(c);
        assert_eq!(whole, pieces);
        // Not a constant: the bytes vary.
        assert!(whole.iter().any(|&x| x != whole[0]));
    }

    #[test]
    fn timing_calls() {
        let mut m = Marks::default();
        assert!(m.measured(Instant::now()).is_err());
        m.start();
        m.end();
        assert!(m.measured(Instant::now()).is_ok());
        m.end();
        assert_eq!(
            m.measured(Instant::now()),
            Err("bench.end called more than once".to_string())
        );
        let mut only_start = Marks::default();
        only_start.start();
        assert!(only_start.measured(Instant::now()).is_ok());
    }

    #[test]
    fn line_splitting_is_str_lines() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\n\n",
            "a\r\nb",
            "a\rb\r",
            "a\r\n\r\n",
            "\r\n",
            "x\ny\r",
        ] {
            let ours: Vec<&[u8]> = lines(text.as_bytes());
            let std: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }

    #[test]
    fn output_differences() {
        assert_eq!(compare("stdout", b"abc", b"abc"), Ok(()));
        assert_eq!(compare("stdout", b"0\n", b"0"), Ok(()));
        assert_eq!(compare("stdout", b"a\r\nb\n", b"a\nb"), Ok(()));
        let e = compare("stdout", b"x\nabd\n", b"x\nabc\n").unwrap_err();
        assert!(e.contains("at line 2 (2 lines vs 2 expected)"), "{e}");
        let e = compare("stderr", b"a\n", b"a\nb\n").unwrap_err();
        assert!(
            e.contains("at line 2 (1 lines vs 2 expected): got end of output"),
            "{e}"
        );
        assert!(compare("stdout", b"\n", b"").is_err());
    }
}
