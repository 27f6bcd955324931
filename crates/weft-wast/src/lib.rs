//! Runs WebAssembly specification test scripts (`.wast`) on weft.
//!
//! Every directive of a script counts as one assertion: it passes when weft
//! does what the script says (a module compiles, a call returns the expected
//! values, a trap of the named kind happens, a bad module is rejected, ...).

mod legacy;
mod values;

use anyhow::{Context, Result, anyhow, bail};
use std::collections::HashMap;
use std::path::Path;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};
use weft::{
    Config, Engine, Error, Extern, Global, GlobalType, Instance, Linker, Memory, MemoryType,
    Module, Mutability, Ref, RefType, Store, Table, TableType, Val, ValType,
};

/// The outcome of one script.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Directives that behaved as the script says.
    pub passed: usize,
    /// Directives that did not, with a line and a reason each.
    pub failures: Vec<String>,
}

impl Report {
    /// Number of failed directives.
    pub fn failed(&self) -> usize {
        self.failures.len()
    }
}

/// Runs the script at `path` with the default configuration.
pub fn run_file(path: &Path) -> Report {
    match std::fs::read_to_string(path) {
        Ok(text) => run_script(&path.display().to_string(), &text, &Config::new()),
        Err(e) => Report {
            passed: 0,
            failures: vec![format!("cannot read {}: {e}", path.display())],
        },
    }
}

/// Runs a script given as text.
pub fn run_script(name: &str, text: &str, config: &Config) -> Report {
    let mut report = Report::default();
    let desugared;
    let text = if text.contains("(do") {
        desugared = legacy::desugar_folded_try(text);
        desugared.as_str()
    } else {
        text
    };
    let mut lexer = wast::lexer::Lexer::new(text);
    // The names test uses bidi and other confusing characters on purpose.
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            report
                .failures
                .push(format!("{name}: cannot lex script: {e}"));
            return report;
        }
    };
    let script = match parser::parse::<Wast>(&buf) {
        Ok(s) => s,
        Err(mut e) => {
            e.set_text(text);
            report
                .failures
                .push(format!("{name}: cannot parse script: {e}"));
            return report;
        }
    };
    let mut runner = match Runner::new(config) {
        Ok(r) => r,
        Err(e) => {
            report
                .failures
                .push(format!("{name}: cannot set up: {e:#}"));
            return report;
        }
    };
    for directive in script.directives {
        let (line, col) = directive.span().linecol_in(text);
        // A panic is a bug in weft; record it as a failure of this directive.
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner.run(directive)));
        match outcome {
            Ok(Ok(())) => report.passed += 1,
            Ok(Err(e)) => report
                .failures
                .push(format!("{name}:{}:{}: {e:#}", line + 1, col + 1)),
            Err(_) => report
                .failures
                .push(format!("{name}:{}:{}: panicked", line + 1, col + 1)),
        }
    }
    report
}

struct Runner {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    current: Option<Instance>,
    named: HashMap<String, Instance>,
    definitions: HashMap<String, Module>,
    externs: values::ExternRefs,
}

impl Runner {
    fn new(config: &Config) -> Result<Runner> {
        let engine = Engine::new(config);
        let mut store = Store::new(&engine, ());
        // Scripts run to completion: with fuel or epochs on (to test the
        // instrumentation), give unlimited fuel and no deadline.
        let _ = store.set_fuel(u64::MAX);
        store.set_epoch_deadline(u64::MAX);
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        define_spectest(&mut linker, &mut store)?;
        Ok(Runner {
            engine,
            store,
            linker,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            externs: values::ExternRefs::default(),
        })
    }

    fn run(&mut self, directive: WastDirective<'_>) -> Result<()> {
        use WastDirective as D;
        match directive {
            D::Module(mut wat) => {
                let name = quote_id(&wat);
                let module = self.compile(&mut wat)?;
                let instance = self.instantiate(&module)?;
                self.current = Some(instance);
                if let Some(name) = name {
                    self.named.insert(name, instance);
                }
            }
            D::ModuleDefinition(mut wat) => {
                let name = quote_id(&wat);
                let module = self.compile(&mut wat)?;
                if let Some(name) = name {
                    self.definitions.insert(name, module);
                }
            }
            D::ModuleInstance {
                instance, module, ..
            } => {
                let def = module.map(|m| m.name().to_string()).unwrap_or_default();
                let module = self
                    .definitions
                    .get(&def)
                    .cloned()
                    .ok_or_else(|| anyhow!("unknown module definition `{def}`"))?;
                let inst = self.instantiate(&module)?;
                self.current = Some(inst);
                if let Some(name) = instance {
                    self.named.insert(name.name().to_string(), inst);
                }
            }
            D::Register { name, module, .. } => {
                let inst = self.instance(module.map(|m| m.name()))?;
                self.linker.instance(&self.store, name, inst)?;
            }
            D::Invoke(invoke) => {
                self.invoke(&invoke)?
                    .map_err(|e| anyhow!("invoke failed: {e}"))?;
            }
            D::AssertReturn { exec, results, .. } => {
                let got = self
                    .execute(exec)?
                    .map_err(|e| anyhow!("expected results, got: {e}"))?;
                self.check_results(&got, &results)?;
            }
            D::AssertTrap { exec, message, .. } => match self.execute(exec)? {
                Ok(vals) => bail!("expected trap `{message}`, got {vals:?}"),
                Err(e) => expect_trap(&e, message)?,
            },
            D::AssertExhaustion { call, message, .. } => match self.invoke(&call)? {
                Ok(vals) => bail!("expected exhaustion `{message}`, got {vals:?}"),
                Err(e) => expect_trap(&e, message)?,
            },
            D::AssertInvalid {
                mut module,
                message,
                ..
            }
            | D::AssertMalformed {
                mut module,
                message,
                ..
            } => {
                let bytes = match module.encode() {
                    Ok(b) => b,
                    // The text itself is malformed: rejected before weft.
                    Err(_) => return Ok(()),
                };
                match Module::from_binary(&self.engine, &bytes) {
                    Ok(_) => bail!("expected module to be rejected: `{message}`"),
                    Err(Error::Invalid { .. }) => {}
                    Err(e) => bail!("module rejected for the wrong reason (`{message}`): {e}"),
                }
            }
            D::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                let bytes = module.encode()?;
                let module = Module::from_binary(&self.engine, &bytes)?;
                match self.linker.instantiate(&mut self.store, &module) {
                    Ok(_) => bail!("expected link failure `{message}`"),
                    Err(Error::Link(_)) => {}
                    Err(e) => bail!("expected link failure `{message}`, got: {e}"),
                }
            }
            D::AssertInvalidCustom { .. } | D::AssertMalformedCustom { .. } => {
                bail!("custom-section assertions are not supported")
            }
            D::AssertException { exec, .. } => match self.execute(exec)? {
                Ok(vals) => bail!("expected an uncaught exception, got {vals:?}"),
                Err(Error::Exception(_)) => {}
                Err(e) => bail!("expected an uncaught exception, got: {e}"),
            },
            D::AssertSuspension { .. } | D::Thread(_) | D::Wait { .. } => {
                bail!("threads and stack switching are not supported")
            }
        }
        Ok(())
    }

    fn compile(&mut self, wat: &mut QuoteWat<'_>) -> Result<Module> {
        if matches!(
            wat,
            QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
        ) {
            bail!("components are not supported by the core runner");
        }
        let bytes = wat.encode().context("encoding module")?;
        Ok(Module::from_binary(&self.engine, &bytes)?)
    }

    fn instantiate(&mut self, module: &Module) -> Result<Instance> {
        Ok(self.linker.instantiate(&mut self.store, module)?)
    }

    fn instance(&self, name: Option<&str>) -> Result<Instance> {
        match name {
            Some(n) => self
                .named
                .get(n)
                .copied()
                .ok_or_else(|| anyhow!("unknown module `{n}`")),
            None => self.current.ok_or_else(|| anyhow!("no current module")),
        }
    }

    /// Runs a call or module; the outer error is a broken script, the inner
    /// one what weft reported.
    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Result<Vec<Val>, Error>> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(mut wat) => {
                let bytes = match &mut wat {
                    Wat::Module(m) => m.encode()?,
                    Wat::Component(_) => bail!("components are not supported"),
                };
                let module = match Module::from_binary(&self.engine, &bytes) {
                    Ok(m) => m,
                    Err(e) => return Ok(Err(e)),
                };
                Ok(self
                    .linker
                    .instantiate(&mut self.store, &module)
                    .map(|_| Vec::new()))
            }
            WastExecute::Get { module, global, .. } => {
                let inst = self.instance(module.map(|m| m.name()))?;
                let g = inst
                    .get_global(&self.store, global)
                    .ok_or_else(|| anyhow!("no global `{global}`"))?;
                Ok(Ok(vec![g.get(&self.store)]))
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Result<Vec<Val>, Error>> {
        let inst = self.instance(invoke.module.map(|m| m.name()))?;
        let func = inst
            .get_func(&self.store, invoke.name)
            .ok_or_else(|| anyhow!("no function `{}`", invoke.name))?;
        let args = invoke
            .args
            .iter()
            .map(|a| match a {
                WastArg::Core(c) => self.externs.arg(&mut self.store, c),
                _ => bail!("component values are not supported"),
            })
            .collect::<Result<Vec<_>>>()?;
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty.results().iter().map(|_| Val::I32(0)).collect();
        Ok(func
            .call(&mut self.store, &args, &mut results)
            .map(|()| results))
    }

    fn check_results(&self, got: &[Val], want: &[WastRet<'_>]) -> Result<()> {
        if got.len() != want.len() {
            bail!(
                "expected {} results, got {}: {got:?}",
                want.len(),
                got.len()
            );
        }
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let WastRet::Core(w) = w else {
                bail!("component results are not supported")
            };
            if !values::matches(&self.store, g, w) {
                bail!("result {i}: expected {w:?}, got {g:?}");
            }
        }
        Ok(())
    }
}

/// The module id of a `(module $id ...)` directive, if any.
fn quote_id(wat: &QuoteWat<'_>) -> Option<String> {
    match wat {
        QuoteWat::Wat(Wat::Module(m)) => m.id.map(|id| id.name().to_string()),
        _ => None,
    }
}

/// Checks that `e` is a trap of the kind the script names.
fn expect_trap(e: &Error, message: &str) -> Result<()> {
    let Some(trap) = e.as_trap() else {
        bail!("expected trap `{message}`, got error: {e}");
    };
    let ours = trap.kind().message();
    if message.starts_with(ours) || ours.starts_with(message) {
        Ok(())
    } else {
        bail!("expected trap `{message}`, got `{ours}`")
    }
}

/// Defines the `spectest` host module the scripts import from.
fn define_spectest(linker: &mut Linker<()>, store: &mut Store<()>) -> Result<()> {
    linker.func_wrap("spectest", "print", || {})?;
    linker.func_wrap("spectest", "print_i32", |_: i32| {})?;
    linker.func_wrap("spectest", "print_i64", |_: i64| {})?;
    linker.func_wrap("spectest", "print_f32", |_: f32| {})?;
    linker.func_wrap("spectest", "print_f64", |_: f64| {})?;
    linker.func_wrap("spectest", "print_i32_f32", |_: i32, _: f32| {})?;
    linker.func_wrap("spectest", "print_f64_f64", |_: f64, _: f64| {})?;
    let globals = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::from(666.6f32)),
        ("global_f64", ValType::F64, Val::from(666.6f64)),
    ];
    for (name, ty, v) in globals {
        let g = Global::new(&mut *store, GlobalType::new(ty, Mutability::Const), v)?;
        linker.define(&*store, "spectest", name, g)?;
    }
    let table = Table::new(
        &mut *store,
        TableType::new(RefType::FUNCREF, 10, Some(20)),
        Ref::Func(None),
    )?;
    linker.define(&*store, "spectest", "table", table)?;
    let mut t64 = TableType::new(RefType::FUNCREF, 10, Some(20));
    t64.table64 = true;
    let table64 = Table::new(&mut *store, t64, Ref::Func(None))?;
    linker.define(&*store, "spectest", "table64", table64)?;
    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define(&*store, "spectest", "memory", Extern::Memory(memory))?;
    Ok(())
}
