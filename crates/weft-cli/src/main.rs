//! `weft`: run WebAssembly modules and spec test scripts from the command line.

mod run;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The weft WebAssembly runtime.
#[derive(Parser)]
#[command(name = "weft", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs a WebAssembly module (`.wasm` or `.wat`).
    Run(run::RunArgs),
    /// Runs WebAssembly spec test scripts (`.wast`).
    Wast {
        /// The scripts to run.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print every failed assertion.
        #[arg(short, long)]
        verbose: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Wast { files, verbose } => wast(&files, verbose),
    }
}

fn wast(files: &[PathBuf], verbose: bool) -> ExitCode {
    let (mut passed, mut failed) = (0, 0);
    for file in files {
        let report = weft_wast::run_file(file);
        println!(
            "{}: {} passed, {} failed",
            file.display(),
            report.passed,
            report.failed()
        );
        if verbose {
            for f in &report.failures {
                println!("  {f}");
            }
        }
        passed += report.passed;
        failed += report.failed();
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
