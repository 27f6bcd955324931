//! Starts a WASI command on wasmi 2.0 as `wasmi_cli` would, but with the
//! sightglass `bench.start`/`bench.end` imports defined (as no-ops), which
//! `wasmi_cli` cannot do: the wasmi side of `scripts/startup.py`, which
//! times a process from its start to the first instruction of `_start`.
//!
//! `wasmi_start [--eager] [--fuel N] DIR FILE.wasm`: compiles `FILE.wasm`
//! (lazily unless `--eager`), pre-opens `DIR` as `.`, instantiates and
//! calls `_start` with `N` units of fuel (default 1: running out of fuel at
//! the first instruction ends the process there). Exits with 0 if `_start`
//! returns, 134 on a trap (out of fuel), the guest's status on
//! `proc_exit`, and 1 if the module cannot be run.

use std::process::ExitCode;

use weft_bench::sightglass::{BENCH_MODULE, START};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    let mut eager = false;
    let mut fuel = 1u64;
    while let Some(flag) = args.next_if(|a| a.starts_with("--")) {
        match flag.as_str() {
            "--eager" => eager = true,
            "--fuel" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => fuel = n,
                None => return usage(),
            },
            _ => return usage(),
        }
    }
    let (Some(dir), Some(file), None) = (args.next(), args.next(), args.next()) else {
        return usage();
    };
    match run(eager, fuel, &dir, &file) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wasmi_start: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: wasmi_start [--eager] [--fuel N] DIR FILE.wasm");
    ExitCode::from(2)
}

fn run(eager: bool, fuel: u64, dir: &str, file: &str) -> Result<ExitCode, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let mut config = wasmi::Config::default();
    config.consume_fuel(true).compilation_mode(if eager {
        wasmi::CompilationMode::Eager
    } else {
        wasmi::CompilationMode::LazyTranslation
    });
    let engine = wasmi::Engine::new(&config);
    let module = wasmi::Module::new(&engine, &bytes[..]).map_err(|e| e.to_string())?;

    let mut wasi = wasmi_wasi::WasiCtxBuilder::new();
    wasi.inherit_stdio();
    wasi.arg(file).map_err(|e| e.to_string())?;
    let preopen = wasmi_wasi::Dir::open_ambient_dir(dir, wasmi_wasi::ambient_authority())
        .map_err(|e| format!("cannot open {dir}: {e}"))?;
    wasi.preopened_dir(preopen, ".")
        .map_err(|e| e.to_string())?;
    let mut store = wasmi::Store::new(&engine, wasi.build());
    store.set_fuel(fuel).map_err(|e| e.to_string())?;

    let mut linker = wasmi::Linker::new(&engine);
    wasmi_wasi::add_to_linker(&mut linker, |ctx| ctx).map_err(|e| e.to_string())?;
    for name in ["start", "end"] {
        linker
            .func_wrap(BENCH_MODULE, name, || {})
            .map_err(|e| e.to_string())?;
    }
    let result = linker
        .instantiate_and_start(&mut store, &module)
        .and_then(|i| i.get_typed_func::<(), ()>(&store, START))
        .and_then(|f| f.call(&mut store, ()));
    Ok(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.i32_exit_status() {
            Some(status) => ExitCode::from(status as u8),
            None => {
                eprintln!("wasmi_start: {e}");
                ExitCode::from(134)
            }
        },
    })
}
