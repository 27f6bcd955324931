//! `weft`: run WebAssembly modules and spec test scripts from the command line.

mod component;
mod limits;
mod run;
mod values;
mod wasi;
mod wave;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// The weft WebAssembly runtime.
///
/// Runs WebAssembly modules and components (`weft run`) and WebAssembly
/// spec test scripts (`weft wast`).
#[derive(Parser)]
#[command(name = "weft", version, about)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands of `weft`.
#[derive(Subcommand)]
enum Command {
    /// Runs a WebAssembly module (`.wasm` or `.wat`) or calls one of its
    /// exported functions, with WASI preview 1; or calls a component's
    /// function, with its arguments and result in WAVE.
    ///
    /// With `--invoke NAME`, calls that exported function with ARGS and
    /// prints each result on its own line. Without it, runs `_start` if the
    /// module exports it, with ARGS as the program's arguments, and exits
    /// with the program's exit status. A module without `_start` only
    /// runs its start function; without either, weft lists its exported
    /// functions and fails.
    ///
    /// For a component, `--invoke 'NAME(ARGS)'` calls its exported function
    /// NAME with ARGS written in WAVE, the WebAssembly Value Encoding, and
    /// prints the result (if any) in WAVE on one line. Components get no
    /// WASI yet: running one without --invoke is not supported.
    Run(run::RunArgs),
    /// Runs WebAssembly spec test scripts (`.wast`).
    ///
    /// Prints `PATH: N passed, N failed, N skipped` for each script (what
    /// weft does not support yet is skipped), then the totals; exits with
    /// status 0 only if no assertion failed.
    Wast {
        /// The scripts to run.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print every failed assertion.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Prints weft's IR of a module's functions: for each instruction its
    /// word position, handler (which shows fused and `acc` forms),
    /// instruction name, named operands and branch targets.
    Ir {
        /// The module (`.wasm` or `.wat`).
        file: PathBuf,
        /// Only the function with this export or debug name.
        #[arg(long, value_name = "NAME")]
        func: Option<String>,
    },
}

/// Parses the command line and runs the subcommand.
fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Wast { files, verbose } => wast(&files, verbose),
        Command::Ir { file, func } => ir(&file, func.as_deref()),
    }
}

/// Runs `weft ir`: compiles the module keeping listings and prints them.
fn ir(file: &std::path::Path, func: Option<&str>) -> ExitCode {
    let mut config = weft::Config::new();
    config.debug_ir(true);
    let engine = weft::Engine::new(&config);
    let path = file.display();
    let module = match std::fs::read(file)
        .map_err(|e| format!("cannot read {path}: {e}"))
        .and_then(|bytes| {
            weft::Module::from_vec(&engine, bytes).map_err(|e| format!("{path}: {e}"))
        }) {
        Ok(m) => m,
        Err(e) => {
            let _ = writeln!(std::io::stderr().lock(), "error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match module.ir_listing(func) {
        Some(text) => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        None => {
            let _ = writeln!(
                std::io::stderr().lock(),
                "error: {path} has no function named `{}`",
                func.unwrap_or_default()
            );
            ExitCode::FAILURE
        }
    }
}

/// Replaces Rust's panic message with one `error:` line that names the
/// panic as a bug in weft. No input should make weft panic; if a bug does,
/// the user still gets the CLI's usual one-line error (and exit status 101).
fn install_panic_hook() {
    // Developers chasing a bug keep Rust's own report and backtrace.
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown cause");
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let msg = msg.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = writeln!(
            std::io::stderr().lock(),
            "error: internal error, a bug in weft (please report it): {msg}{at}"
        );
    }));
}

/// Runs `weft wast`: each script's counts, then the totals. A script that
/// cannot be read or parsed says why and where on stderr.
fn wast(files: &[PathBuf], verbose: bool) -> ExitCode {
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut out = std::io::stdout().lock();
    for file in files {
        let report = weft_wast::run_file(file);
        if let Some(error) = &report.error {
            let _ = writeln!(std::io::stderr().lock(), "error: {error}");
        }
        // A closed stdout (`weft wast ... | head -1`) must not stop the
        // run: the exit status still reports the outcome.
        let _ = writeln!(
            out,
            "{}: {} passed, {} failed, {} skipped",
            file.display(),
            report.passed,
            report.failed(),
            report.skipped()
        );
        if verbose {
            for f in &report.failures {
                let _ = writeln!(out, "  {f}");
            }
            for s in &report.skipped {
                let _ = writeln!(out, "  skipped: {s}");
            }
        }
        passed += report.passed;
        failed += report.failed();
        skipped += report.skipped();
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed, {skipped} skipped");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
