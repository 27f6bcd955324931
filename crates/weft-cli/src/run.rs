//! `weft run`: instantiate a module and call one of its exports.

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use weft::{Engine, Error, Linker, Module, Store, Val, ValType};

/// Exit status for a trap, as other runtimes use (128 + SIGABRT).
const TRAP_STATUS: u8 = 134;

/// Options of `weft run`.
#[derive(Args)]
pub struct RunArgs {
    /// The export to call (default: `_start` if present).
    #[arg(long)]
    invoke: Option<String>,
    /// The module file.
    file: PathBuf,
    /// Arguments of the invoked function.
    args: Vec<String>,
}

pub fn run(args: RunArgs) -> ExitCode {
    match execute(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Trap(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(TRAP_STATUS)
        }
        Err(Failure::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Trap(Error),
    Usage(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        match e {
            Error::Trap(_) => Failure::Trap(e),
            other => Failure::Usage(other.to_string()),
        }
    }
}

fn execute(args: &RunArgs) -> Result<(), Failure> {
    let engine = Engine::default();
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", args.file.display())))?;
    let module = Module::new(&engine, bytes)
        .map_err(|e| Failure::Usage(format!("{}: {e}", args.file.display())))?;
    let mut store = Store::new(&engine, ());
    let linker = Linker::new(&engine);
    let instance = linker.instantiate(&mut store, &module)?;
    let name = match &args.invoke {
        Some(n) => n.clone(),
        None if instance.get_func(&store, "_start").is_some() => "_start".to_string(),
        None => return Ok(()),
    };
    let func = instance
        .get_func(&store, &name)
        .ok_or_else(|| Failure::Usage(format!("module has no exported function `{name}`")))?;
    let ty = func.ty(&store);
    if ty.params().len() != args.args.len() {
        return Err(Failure::Usage(format!(
            "`{name}` takes {} arguments but {} were given",
            ty.params().len(),
            args.args.len()
        )));
    }
    let params = ty
        .params()
        .iter()
        .zip(&args.args)
        .map(|(t, a)| parse_arg(*t, a))
        .collect::<Result<Vec<_>, _>>()?;
    let mut results: Vec<Val> = ty.results().iter().map(|_| Val::I32(0)).collect();
    func.call(&mut store, &params, &mut results)?;
    for r in &results {
        println!("{}", show(r));
    }
    Ok(())
}

fn parse_arg(ty: ValType, s: &str) -> Result<Val, Failure> {
    let bad = || Failure::Usage(format!("cannot parse `{s}` as {ty}"));
    Ok(match ty {
        ValType::I32 => Val::I32(
            s.parse::<i32>()
                .or_else(|_| s.parse::<u32>().map(|u| u as i32))
                .map_err(|_| bad())?,
        ),
        ValType::I64 => Val::I64(
            s.parse::<i64>()
                .or_else(|_| s.parse::<u64>().map(|u| u as i64))
                .map_err(|_| bad())?,
        ),
        ValType::F32 => Val::from(s.parse::<f32>().map_err(|_| bad())?),
        ValType::F64 => Val::from(s.parse::<f64>().map_err(|_| bad())?),
        _ => {
            return Err(Failure::Usage(format!(
                "cannot pass a {ty} argument from the command line"
            )));
        }
    })
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(f) => {
            if f.is_some() {
                "funcref".into()
            } else {
                "null".into()
            }
        }
        Val::ExternRef(e) => {
            if e.is_some() {
                "externref".into()
            } else {
                "null".into()
            }
        }
        Val::AnyRef(a) => {
            if a.is_some() {
                "anyref".into()
            } else {
                "null".into()
            }
        }
    }
}
