//! Makes the test cases: random bytes from a seed, turned by
//! `wasm-opt -ttf` into a module that binaryen also runs, printing its
//! reference output.

use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The proposals weft implements, which binaryen may use.
pub const ENABLE: &[&str] = &[
    "sign-ext",
    "mutable-globals",
    "nontrapping-float-to-int",
    "simd",
    "bulk-memory",
    "bulk-memory-opt",
    "call-indirect-overlong",
    "exception-handling",
    "tail-call",
    "reference-types",
    "multivalue",
    "gc",
    "memory64",
    "extended-const",
    "multimemory",
];

/// The proposals binaryen must not use: weft lacks them (threads,
/// shared-everything, strings, stack switching, fp16, custom descriptors,
/// multibyte array access, custom page sizes, wide arithmetic, compact
/// imports, acquire/release and relaxed atomics), or their results are
/// implementation-defined (relaxed SIMD: binaryen's interpreter and weft
/// may both be right and still differ).
pub const DISABLE: &[&str] = &[
    "threads",
    "relaxed-simd",
    "strings",
    "stack-switching",
    "shared-everything",
    "fp16",
    "custom-descriptors",
    "multibyte",
    "acquire-release-atomics",
    "custom-page-sizes",
    "wide-arithmetic",
    "compact-imports",
    "relaxed-atomics",
];

/// The splitmix64 generator: a fixed, well-mixed sequence per seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The random input for `seed`: between 1 KiB and `max_len` bytes (the
/// length is drawn too, so modules come in many sizes).
pub fn input_bytes(seed: u64, max_len: usize) -> Vec<u8> {
    let mut rng = SplitMix(seed);
    let max_len = max_len.max(1024);
    let len = 1024 + (rng.next() % (max_len - 1024 + 1) as u64) as usize;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A module and binaryen's run of it.
pub struct Case {
    /// The module (with a name section: `-g`).
    pub wasm: Vec<u8>,
    /// What `--fuzz-exec-before` printed to standard output.
    pub stdout: String,
}

/// The feature flags for `wasm-opt`.
fn feature_args(cmd: &mut Command) {
    for f in ENABLE {
        cmd.arg(format!("--enable-{f}"));
    }
    for f in DISABLE {
        cmd.arg(format!("--disable-{f}"));
    }
}

/// Runs `cmd`, killing it after `timeout`; its standard output, or why it
/// failed.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Result<String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().context("running wasm-opt")?;
    // Read both pipes on threads so a chatty child cannot block.
    let mut so = child.stdout.take().context("stdout")?;
    let mut se = child.stderr.take().context("stderr")?;
    let so_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let se_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            bail!("timeout");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = so_t.join().unwrap_or_default();
    let stderr = se_t.join().unwrap_or_default();
    if !status.success() {
        // The last line that names an error (node ends with its version).
        let mut lines = stderr.lines().rev().map(str::trim);
        let last = lines
            .clone()
            .find(|l| l.contains("Error") || l.starts_with("Fatal") || l.starts_with("Aborted"))
            .or_else(|| lines.find(|l| !l.is_empty()))
            .unwrap_or("");
        bail!(
            "wasm-opt failed ({status}): {}",
            last.chars().take(100).collect::<String>()
        );
    }
    Ok(stdout)
}

/// Runs `wasm-opt INPUT -ttf ... --fuzz-exec-before -g -o OUT` in `dir`,
/// killing it after `timeout`.
pub fn generate(
    wasm_opt: &Path,
    dir: &Path,
    seed: u64,
    input: &[u8],
    timeout: Duration,
) -> Result<Case> {
    let (made, out) = make_module(
        wasm_opt,
        dir,
        &format!("seed-{seed}"),
        input,
        "--fuzz-exec-before",
        timeout,
    )?;
    finish(made, out)
}

/// The same case with binaryen's `--denan` pass applied after `-ttf` (every
/// float result that is a NaN becomes 0), run by a second `wasm-opt`:
/// `--fuzz-exec-before` runs before any pass. Used to tell a disagreement
/// that comes only from NaN bits (binaryen's interpreter makes every NaN
/// it computes canonical, weft keeps hardware NaN payloads; the
/// specification allows both) from a real one.
pub fn generate_denanned(
    wasm_opt: &Path,
    dir: &Path,
    seed: u64,
    input: &[u8],
    timeout: Duration,
) -> Result<Case> {
    let (made, out) = make_module(
        wasm_opt,
        dir,
        &format!("seed-{seed}-denan"),
        input,
        "--denan",
        timeout,
    )?;
    let stdout = made.and_then(|_| reference_run(wasm_opt, &out, timeout));
    finish(stdout, out)
}

/// Runs `wasm-opt NAME.dat -ttf ... PASS -g -o NAME.wasm` in `dir` with
/// `input` as the random bytes: what it printed, and where the module is.
fn make_module(
    wasm_opt: &Path,
    dir: &Path,
    name: &str,
    input: &[u8],
    pass: &str,
    timeout: Duration,
) -> Result<(Result<String>, PathBuf)> {
    let dat = dir.join(format!("{name}.dat"));
    let out = dir.join(format!("{name}.wasm"));
    std::fs::write(&dat, input).context("writing the input")?;
    let mut cmd = Command::new(wasm_opt);
    cmd.arg(&dat).arg("-ttf");
    feature_args(&mut cmd);
    cmd.args([pass, "-g", "-o"]).arg(&out);
    let made = run_with_timeout(cmd, timeout);
    let _ = std::fs::remove_file(&dat);
    Ok((made, out))
}

/// The case of binaryen's output `stdout` and the module at `out` (which
/// is removed).
fn finish(stdout: Result<String>, out: PathBuf) -> Result<Case> {
    let wasm = std::fs::read(&out);
    let _ = std::fs::remove_file(&out);
    Ok(Case {
        stdout: stdout?,
        wasm: wasm.context("reading wasm-opt's output")?,
    })
}

/// binaryen's run of an existing module (binary or text):
/// `wasm-opt FILE ... --fuzz-exec-before`.
pub fn reference_run(wasm_opt: &Path, file: &Path, timeout: Duration) -> Result<String> {
    let mut cmd = Command::new(wasm_opt);
    cmd.arg(file);
    feature_args(&mut cmd);
    cmd.arg("--fuzz-exec-before");
    run_with_timeout(cmd, timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_deterministic_and_sized() {
        let a = input_bytes(7, 4096);
        assert_eq!(a, input_bytes(7, 4096));
        assert_ne!(a, input_bytes(8, 4096));
        assert!((1024..=4096).contains(&a.len()));
    }
}
