//! `weft run`: load a module, instantiate it with WASI, and run it as a
//! command (`_start` with the program's arguments) or call one of its
//! exports with arguments taken from the command line.

use crate::values::{parse_arg, show};
use crate::wasi::{
    GuestSetup, Preopen, WasmOptions, build_ctx, parse_dir, parse_env, parse_wasi_options,
    parse_wasm_options,
};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use weft::{Config, Engine, Error, ExternType, FuncType, Linker, Module, Store, Trap, Val};
use weft_wasi::{I32Exit, WasiCtx};

/// Exit status for a trap: 128 + SIGABRT, as other runtimes use.
const TRAP_STATUS: u8 = 134;

/// Exit status for every failure that is not a trap (bad file, invalid
/// module, unknown export, missing import, wrong arguments).
const ERROR_STATUS: u8 = 1;

/// The export `weft run` calls when `--invoke` is not given.
const START: &str = "_start";

/// The export a WASI reactor module initialises itself with.
const INITIALIZE: &str = "_initialize";

/// Options of `weft run`.
#[derive(Args)]
#[command(after_help = "\
Examples:
  weft run --invoke fib examples/fib.wat 20     prints 6765
  weft run --invoke add math.wasm -1 0x10       negative and hex arguments
  weft run app.wasm a b                         runs `_start`, argv = app.wasm a b
  weft run --dir data::. --env K=V app.wasm     grants ./data as `.` and sets K
  weft run --invoke 'echo(\"hi\", [1, 2])' c.wasm a component's function, in WAVE

Modules get WASI preview 1 (wasi_snapshot_preview1) with the host's stdin,
stdout and stderr, and only the directories given with --dir. Without
--invoke, ARGS are the program's arguments after argv[0] (FILE as given), and
weft exits with the guest's exit status (proc_exit, or 0 when `_start`
returns; statuses above 255 are truncated as the OS does).

For a module, --invoke parses ARGS by the parameter types of the function:
i32/i64 take decimal (signed, or unsigned up to the type's width) or
0x-prefixed hex; f32/f64 take decimal, inf, -inf, nan or nan:0xPAYLOAD. Each
result is printed on its own line.

Components (binary, or text starting with `(component`) are run only with
--invoke 'NAME(ARGS)', ARGS in WAVE: numbers, `'c'` chars, `\"text\"` strings,
`[1, 2]` lists, `(1, \"a\")` tuples, `{x: 1, y: 2}` records, `case(payload)`
variants and enum cases, `some(1)`/`none` options, `ok(1)`/`err(\"e\")`
results, `{read, write}` flags, `{\"k\": 1}` maps. Trailing option arguments
may be left out. NAME is a top-level export, a function of an exported
instance as `ns:pkg/iface#func` or `ns:pkg/iface.func@1.0.0`, or a bare name
that one exported instance has. The result, if any, is printed in WAVE on one
line. Components get no WASI yet: every import they call traps. Resources
cannot be passed or printed.

A trap prints its kind and the Wasm backtrace on stderr and exits with status
134; any other error prints one `error:` line and exits with status 1.")]
pub struct RunArgs {
    /// Call this exported function, passing ARGS as its parameters
    /// [default: `_start`]; for a component, a call in WAVE: 'NAME(ARGS)'
    #[arg(long, value_name = "NAME")]
    pub(crate) invoke: Option<String>,
    /// Grant the guest the host directory HOST, named GUEST for the guest
    /// (default: HOST); repeatable
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub(crate) dirs: Vec<String>,
    /// Set an environment variable of the guest (a bare NAME passes the
    /// host's value); repeatable
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub(crate) envs: Vec<String>,
    /// Pass the host's whole environment to the guest (--env still applies
    /// on top)
    #[arg(long)]
    pub(crate) inherit_env: bool,
    /// Runtime option: `unknown-imports-default=y` makes every function
    /// import nothing defines a function returning zeros;
    /// `eager-translation=y` translates every function before running
    /// instead of each on its first call
    #[arg(short = 'W', value_name = "OPTION[=y|n]")]
    pub(crate) options: Vec<String>,
    /// WASI option, for components: `inherit-network` (all networking),
    /// `tcp`, `udp`, `allow-ip-name-lookup`; nothing is granted unless asked
    #[arg(short = 'S', value_name = "OPTION[=y|n]")]
    pub(crate) wasi_options: Vec<String>,
    /// Stop the program after it executes about N Wasm instructions (trap
    /// "all fuel consumed", status 134)
    #[arg(long, value_name = "N")]
    pub(crate) fuel: Option<u64>,
    /// Interrupt the program after DURATION, e.g. 500ms, 10s, 2m (trap
    /// "interrupt", status 134)
    #[arg(long, value_name = "DURATION", value_parser = crate::limits::parse_duration)]
    pub(crate) timeout: Option<std::time::Duration>,
    /// The largest size in bytes any memory may grow to (K, M, G suffixes:
    /// powers of 1024); growing past it fails as `memory.grow` does
    #[arg(long, value_name = "BYTES", value_parser = crate::limits::parse_bytes)]
    pub(crate) max_memory_size: Option<usize>,
    /// The most bytes the Wasm call stack may use; deeper recursion traps
    /// with "call stack exhausted" (status 134)
    #[arg(long, value_name = "BYTES", value_parser = crate::limits::parse_bytes)]
    pub(crate) max_wasm_stack: Option<usize>,
    /// The module or component: a binary `.wasm` or text `.wat` file.
    pub(crate) file: PathBuf,
    /// The program's arguments, or with --invoke the function's, one per
    /// parameter. Everything after FILE is an argument, so negative numbers
    /// need no `--`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub(crate) args: Vec<String>,
}

/// Runs `weft run` and reports its outcome on stderr and in the exit status.
pub fn run(args: &RunArgs) -> ExitCode {
    match execute(args) {
        Ok(()) => ExitCode::SUCCESS,
        // The OS keeps the low 8 bits of a process's exit status.
        Err(Failure::Exit(status)) => ExitCode::from(status as u8),
        Err(Failure::Trap(trap)) => {
            report(&trap.to_string());
            ExitCode::from(TRAP_STATUS)
        }
        Err(Failure::Error(msg)) => {
            report(&msg);
            ExitCode::from(ERROR_STATUS)
        }
    }
}

/// Writes `error: MSG` to stderr. A closed stderr is ignored: there is
/// nowhere left to report it, and the exit status still tells.
fn report(msg: &str) {
    let _ = writeln!(std::io::stderr().lock(), "error: {msg}");
}

/// Why `weft run` failed.
pub(crate) enum Failure {
    /// The guest exited with this status (`proc_exit`).
    Exit(i32),
    /// The Wasm code trapped (exit status 134).
    Trap(Trap),
    /// Anything else, as the one-line message to print (exit status 1).
    Error(String),
}

impl Failure {
    /// Turns a library error into a failure, with `context` before the
    /// message of anything but a trap.
    pub(crate) fn from_weft(e: Error, context: &str) -> Failure {
        if let Some(status) = I32Exit::from_error(&e) {
            return Failure::Exit(status);
        }
        match e {
            Error::Trap(t) => Failure::Trap(t),
            other => Failure::Error(format!("{context}: {}", one_line(&other.to_string()))),
        }
    }
}

/// The function `weft run` calls: its export name and type.
struct Target {
    /// The export's name.
    name: String,
    /// The export's signature.
    ty: FuncType,
}

/// Loads, checks and runs the module as `args` asks.
fn execute(args: &RunArgs) -> Result<(), Failure> {
    let path = show_path(&args.file);
    let options = parse_wasm_options(&args.options).map_err(Failure::Error)?;
    let network = parse_wasi_options(&args.wasi_options).map_err(Failure::Error)?;
    let dirs = args
        .dirs
        .iter()
        .map(|d| parse_dir(d))
        .collect::<Result<Vec<Preopen>, String>>()
        .map_err(Failure::Error)?;
    let env = args
        .envs
        .iter()
        .filter_map(|e| parse_env(e).transpose())
        .collect::<Result<Vec<_>, String>>()
        .map_err(Failure::Error)?;
    let mut config = Config::new();
    config.consume_fuel(args.fuel.is_some());
    config.epoch_interruption(args.timeout.is_some());
    if options.eager_translation {
        config.compilation_mode(weft::CompilationMode::Eager);
    }
    if let Some(bytes) = args.max_wasm_stack {
        config.max_wasm_stack(bytes);
    }
    let engine = Engine::new(&config);
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::Error(format!("cannot read {path}: {e}")))?;
    if crate::component::is_component(&bytes) {
        let guest = GuestSetup {
            argv: std::iter::once(args.file.to_string_lossy().into_owned())
                .chain(args.args.iter().cloned())
                .collect(),
            inherit_env: args.inherit_env,
            env,
            dirs: &dirs,
            network,
        };
        return crate::component::execute(args, options, &engine, &bytes, &path, &guest);
    }
    let module = load(&engine, bytes, &path)?;
    // Everything the command line says is checked against the module before
    // instantiating, so a typo never runs the module's start function.
    let target = target(&module, args)?;
    let params = match &target {
        Some(t) if args.invoke.is_some() => parse_args(t, &args.args)?,
        Some(t) => {
            check_no_params(t)?;
            Vec::new()
        }
        None => Vec::new(),
    };
    // argv[0] is the file as given; the rest are ARGS unless they are the
    // invoked function's parameters.
    let mut argv = vec![args.file.to_string_lossy().into_owned()];
    if args.invoke.is_none() {
        argv.extend(args.args.iter().cloned());
    }
    let ctx = build_ctx(&GuestSetup {
        argv,
        inherit_env: args.inherit_env,
        env,
        dirs: &dirs,
        network,
    })
    .map_err(|e| Failure::Error(show_str(&e)))?;
    let linker = linker(&engine, &module, options)?;
    let mut store = Store::new(&engine, ctx);
    crate::limits::apply(&mut store, args.fuel, args.timeout, args.max_memory_size)
        .map_err(|e| Failure::Error(e.to_string()))?;
    let instance = linker
        .instantiate(&mut store, &module)
        .map_err(|e| match e {
            Error::Link(_) => Failure::Error(format!(
                "{path}: {e} (weft run provides WASI preview 1; \
                 -W unknown-imports-default=y makes other imported functions return zeros)"
            )),
            e => Failure::from_weft(e, &format!("{path}: cannot instantiate")),
        })?;
    let Some(target) = target else {
        return Ok(());
    };
    // A WASI reactor is initialised before any of its other exports runs.
    if args.invoke.is_some()
        && target.name != INITIALIZE
        && let Ok(init) = instance.get_typed_func::<(), ()>(&store, INITIALIZE)
    {
        init.call(&mut store, ())
            .map_err(|e| Failure::from_weft(e, &format!("cannot call `{INITIALIZE}`")))?;
    }
    let name = show_str(&target.name);
    let func = instance
        .get_func(&store, &target.name)
        .ok_or_else(|| Failure::Error(format!("{path}: export `{name}` is not a function")))?;
    let mut results: Vec<Val> = target
        .ty
        .results()
        .iter()
        .map(|t| Val::default_for(*t).unwrap_or(Val::I32(0)))
        .collect();
    func.call(&mut store, &params, &mut results)
        .map_err(|e| Failure::from_weft(e, &format!("cannot call `{name}`")))?;
    print_results(&results).map_err(|e| Failure::Error(format!("cannot write the results: {e}")))
}

/// The linker: WASI, and with `-W unknown-imports-default=y` a
/// zero-returning function for every other function import of `module`.
fn linker(
    engine: &Engine,
    module: &Module,
    options: WasmOptions,
) -> Result<Linker<WasiCtx>, Failure> {
    let mut linker = Linker::new(engine);
    weft_wasi::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx)
        .map_err(|e| Failure::Error(format!("cannot define WASI: {e}")))?;
    if options.unknown_imports_default {
        linker
            .define_unknown_imports_as_default_values(module)
            .map_err(|e| Failure::Error(format!("cannot define unknown imports: {e}")))?;
    }
    Ok(linker)
}

/// Without --invoke, ARGS are the program's: `_start` must take no
/// parameters.
fn check_no_params(target: &Target) -> Result<(), Failure> {
    if target.ty.params().is_empty() {
        return Ok(());
    }
    let name = show_str(&target.name);
    Err(Failure::Error(format!(
        "`{name}` takes parameters ({}): use --invoke {name} to pass them",
        target.ty
    )))
}

/// Compiles the module file's bytes; `path` is its printable name.
fn load(engine: &Engine, bytes: Vec<u8>, path: &str) -> Result<Module, Failure> {
    Module::from_vec(engine, bytes).map_err(|e| match e {
        Error::Text(msg) => Failure::Error(text_error(path, &msg)),
        e => Failure::from_weft(e, path),
    })
}

/// The export to call: `--invoke NAME`, else `_start`, else none for a
/// module with a start function (instantiating it runs that). Errors if the
/// export is missing (naming the functions there are) or is not a function.
fn target(module: &Module, args: &RunArgs) -> Result<Option<Target>, Failure> {
    let find = |name: &str| module.exports().find(|e| e.name == name);
    let export = match &args.invoke {
        Some(name) => find(name).ok_or_else(|| unknown_export(module, name))?,
        None => match find(START) {
            Some(e) => e,
            // A module whose program is its start function.
            None if module.has_start() && args.args.is_empty() => return Ok(None),
            None => {
                return Err(Failure::Error(format!(
                    "nothing to run: the module exports no `{START}` function ({}); \
                     use --invoke NAME to call one",
                    exported_functions(module)
                )));
            }
        },
    };
    match export.ty {
        ExternType::Func(ty) => Ok(Some(Target {
            name: export.name,
            ty,
        })),
        other => Err(Failure::Error(format!(
            "export `{}` is {}, not a function",
            show_str(&export.name),
            kind(&other)
        ))),
    }
}

/// The error for an export that does not exist, listing those that do.
fn unknown_export(module: &Module, name: &str) -> Failure {
    Failure::Error(format!(
        "module has no export named `{}` ({})",
        show_str(name),
        exported_functions(module)
    ))
}

/// "its exported functions: `a`, `b`", or that there are none.
fn exported_functions(module: &Module) -> String {
    let funcs: Vec<String> = module
        .exports()
        .filter(|e| matches!(e.ty, ExternType::Func(_)))
        .map(|e| format!("`{}`", show_str(&e.name)))
        .collect();
    if funcs.is_empty() {
        "it exports no functions".to_string()
    } else {
        format!("its exported functions: {}", funcs.join(", "))
    }
}

/// "a table", "a memory", ...: what a non-function export is.
fn kind(ty: &ExternType) -> &'static str {
    match ty {
        ExternType::Func(_) => "a function",
        ExternType::Table(_) => "a table",
        ExternType::Memory(_) => "a memory",
        ExternType::Global(_) => "a global",
        ExternType::Tag(_) => "a tag",
    }
}

/// Parses the command-line arguments by the target's parameter types.
fn parse_args(target: &Target, args: &[String]) -> Result<Vec<Val>, Failure> {
    let params = target.ty.params();
    let name = show_str(&target.name);
    if params.len() != args.len() {
        let types: Vec<String> = params.iter().map(ToString::to_string).collect();
        return Err(Failure::Error(format!(
            "`{name}` takes {} ({}) but {} given",
            count(params.len(), "argument"),
            types.join(" "),
            match args.len() {
                1 => "1 was".to_string(),
                n => format!("{n} were"),
            }
        )));
    }
    params
        .iter()
        .zip(args)
        .enumerate()
        .map(|(i, (ty, arg))| {
            parse_arg(*ty, arg)
                .map_err(|e| Failure::Error(format!("argument {} of `{name}`: {e}", i + 1)))
        })
        .collect()
}

/// "1 argument", "2 arguments".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Prints each result on its own line.
fn print_results(results: &[Val]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for r in results {
        writeln!(out, "{}", show(r))?;
    }
    out.flush()
}

/// The one-line form of a text-format error: `PATH:LINE:COL: MESSAGE`.
///
/// The library flattens the `wat` parser's error into a multi-line string
/// (message, then a `--> <anon>:LINE:COL` line and a source excerpt); the
/// location is taken from it when present.
pub(crate) fn text_error(path: &str, msg: &str) -> String {
    let mut lines = msg.lines();
    let message = lines.next().unwrap_or("invalid text").trim();
    let location = lines.find_map(|l| {
        let place = l.trim().strip_prefix("--> ")?;
        let mut parts = place.rsplitn(3, ':');
        let col = parts.next()?;
        let line = parts.next()?;
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (numeric(line) && numeric(col)).then(|| format!("{line}:{col}"))
    });
    match location {
        Some(at) => format!("{path}:{at}: {}", one_line(message)),
        None => format!("{path}: {}", one_line(msg)),
    }
}

/// `msg` on one line: line breaks and indentation become single spaces.
pub(crate) fn one_line(msg: &str) -> String {
    msg.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A path as printed in messages: as is, unless it holds control
/// characters (a newline would break the one-line error), then escaped.
fn show_path(path: &Path) -> String {
    show_str(&path.display().to_string())
}

/// A user-given string as printed in messages: escaped if it holds control
/// characters, so every message stays on one line.
pub(crate) fn show_str(s: &str) -> String {
    if s.chars().any(char::is_control) {
        s.escape_debug().to_string()
    } else {
        s.to_string()
    }
}
