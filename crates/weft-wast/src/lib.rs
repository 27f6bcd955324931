//! Runs WebAssembly specification test scripts (`.wast`) on weft.
//!
//! Every directive of a script counts as one assertion: it passes when weft
//! does what the script says (a module compiles, a call returns the expected
//! values, a trap of the named kind happens, a bad module is rejected, ...).
//! Component scripts run the same way, with component values. A directive
//! weft does not support (threads, custom-section assertions, asynchronous
//! components) is counted as skipped, with its reason, never as passed; so
//! is every directive that uses what such a directive defined.

mod components;
mod legacy;
mod values;

use anyhow::{Context, Result, anyhow, bail};
use components::{Def, Got, Inst};
use std::collections::HashMap;
use std::path::Path;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};
use weft::{
    Config, Engine, Error, Extern, Global, GlobalType, Linker, Memory, MemoryType, Module,
    Mutability, Ref, RefType, Store, Table, TableType, Val, ValType,
};
use weft_component::Component;

/// The outcome of one script.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Directives that behaved as the script says.
    pub passed: usize,
    /// Directives that did not, with a line and a reason each.
    pub failures: Vec<String>,
    /// Directives not run because weft does not support what they need,
    /// with a line and a reason each.
    pub skipped: Vec<String>,
    /// Why the script as a whole could not run (unreadable, unparsable),
    /// with its place (`FILE:line:col` where there is one). Also counted as
    /// a failure.
    pub error: Option<String>,
}

impl Report {
    /// Number of failed directives.
    pub fn failed(&self) -> usize {
        self.failures.len()
    }

    /// Number of skipped directives.
    pub fn skipped(&self) -> usize {
        self.skipped.len()
    }

    fn broken(error: String) -> Report {
        Report {
            failures: vec![error.clone()],
            error: Some(error),
            ..Report::default()
        }
    }
}

/// Runs the script at `path` with the default configuration.
pub fn run_file(path: &Path) -> Report {
    match std::fs::read_to_string(path) {
        Ok(text) => run_script(&path.display().to_string(), &text, &Config::new()),
        Err(e) => Report::broken(format!("{}: cannot read: {e}", path.display())),
    }
}

/// What a directive came to, when weft did what the script says or could
/// not try.
enum Verdict {
    Pass,
    Skip(String),
}

/// A module directive's outcome, for the directives that use it later.
#[derive(Clone)]
enum Defined<T> {
    Ok(T),
    /// It failed: later uses fail with this cause.
    Failed(String),
    /// It needs what weft does not support: later uses are skipped too.
    Skipped(String),
}

impl<T> Defined<T> {
    /// The item, or the verdict (a skip, or an error with the cause) for a
    /// directive that needs it.
    fn into_item(self) -> Result<std::result::Result<T, Verdict>> {
        match self {
            Defined::Ok(t) => Ok(Ok(t)),
            Defined::Failed(why) => Err(anyhow!("{why}")),
            Defined::Skipped(why) => Ok(Err(Verdict::Skip(why))),
        }
    }
}

/// Returns early with a skip verdict, or the error, if `$defined` is not a
/// usable item.
macro_rules! usable {
    ($defined:expr) => {
        match $defined.into_item()? {
            Ok(item) => item,
            Err(skip) => return Ok(skip),
        }
    };
}

/// How many directives the script at `path` has (for scripts that are
/// counted, as skipped, without being run): its top-level forms, counted
/// by the lexer alone, so that a script the parser no longer accepts is
/// still counted.
pub fn count_directives(path: &Path) -> Result<usize> {
    use wast::lexer::TokenKind;
    let text = std::fs::read_to_string(path)?;
    let mut lexer = wast::lexer::Lexer::new(&text);
    lexer.allow_confusing_unicode(true);
    let (mut depth, mut count) = (0usize, 0);
    for token in lexer.iter(0) {
        match token.map_err(|e| anyhow!("{e}"))?.kind {
            TokenKind::LParen => {
                count += usize::from(depth == 0);
                depth += 1;
            }
            TokenKind::RParen => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(count)
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
    let at = |span: wast::token::Span| {
        let (line, col) = span.linecol_in(text);
        format!("{name}:{}:{}", line + 1, col + 1)
    };
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            return Report::broken(format!(
                "{}: cannot lex script: {}",
                at(e.span()),
                e.message()
            ));
        }
    };
    let script = match parser::parse::<Wast>(&buf) {
        Ok(s) => s,
        Err(e) => {
            return Report::broken(format!(
                "{}: cannot parse script: {}",
                at(e.span()),
                e.message()
            ));
        }
    };
    let mut runner = match Runner::new(config) {
        Ok(r) => r,
        Err(e) => return Report::broken(format!("{name}: cannot set up: {e:#}")),
    };
    for directive in script.directives {
        let (line, col) = directive.span().linecol_in(text);
        let (line, col) = (line + 1, col + 1);
        // A panic is a bug in weft; record it as a failure of this directive.
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner.run(directive, line)));
        match outcome {
            Ok(Ok(Verdict::Pass)) => report.passed += 1,
            Ok(Ok(Verdict::Skip(why))) => {
                report.skipped.push(format!("{name}:{line}:{col}: {why}"))
            }
            Ok(Err(e)) => report.failures.push(format!("{name}:{line}:{col}: {e:#}")),
            Err(_) => report
                .failures
                .push(format!("{name}:{line}:{col}: panicked")),
        }
    }
    report
}

struct Runner {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    /// Component scripts import nothing: an empty component linker.
    components: weft_component::Linker<()>,
    /// The most recent module, which unnamed directives use.
    current: Option<Defined<Inst>>,
    named: HashMap<String, Defined<Inst>>,
    definitions: HashMap<String, Defined<Def>>,
    /// The most recent `(module definition ...)`, which an unnamed
    /// `(module instance)` instantiates.
    last_definition: Option<Defined<Def>>,
    externs: values::ExternRefs,
}

impl Runner {
    fn new(config: &Config) -> Result<Runner> {
        // `WEFT_COMPILATION_MODE=eager` (or `lazy`) runs scripts with that
        // translation mode, so CI can run the suites in both.
        let mut config = config.clone();
        match std::env::var("WEFT_COMPILATION_MODE").as_deref() {
            Ok("eager") => {
                config.compilation_mode(weft::CompilationMode::Eager);
            }
            Ok("lazy") => {
                config.compilation_mode(weft::CompilationMode::LazyTranslation);
            }
            _ => {}
        }
        let engine = Engine::new(&config);
        let mut store = Store::new(&engine, ());
        // Scripts run to completion: with fuel or epochs on (to test the
        // instrumentation), give unlimited fuel and no deadline.
        let _ = store.set_fuel(u64::MAX);
        store.set_epoch_deadline(u64::MAX);
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        define_spectest(&mut linker, &mut store)?;
        Ok(Runner {
            components: weft_component::Linker::new(&engine),
            engine,
            store,
            linker,
            current: None,
            named: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            externs: values::ExternRefs::default(),
        })
    }

    /// Runs the directive at `line`.
    fn run(&mut self, directive: WastDirective<'_>, line: usize) -> Result<Verdict> {
        use WastDirective as D;
        match directive {
            D::Module(mut wat) => {
                let name = quote_id(&wat);
                let outcome = self
                    .compile(&mut wat)
                    .and_then(|m| self.instantiate(&m).map(Some));
                let (defined, verdict) = settle(outcome, line);
                self.current = Some(defined.clone());
                if let Some(name) = name {
                    self.named.insert(name, defined);
                }
                return verdict;
            }
            D::ModuleDefinition(mut wat) => {
                let name = quote_id(&wat);
                let (defined, verdict) = settle(self.compile(&mut wat).map(Some), line);
                self.last_definition = Some(defined.clone());
                if let Some(name) = name {
                    self.definitions.insert(name, defined);
                }
                return verdict;
            }
            D::ModuleInstance {
                instance, module, ..
            } => {
                let def = match module {
                    Some(m) => self
                        .definitions
                        .get(m.name())
                        .cloned()
                        .ok_or_else(|| anyhow!("unknown module definition `{}`", m.name()))?,
                    None => self
                        .last_definition
                        .clone()
                        .ok_or_else(|| anyhow!("no module definition before this line"))?,
                };
                // An instance of a definition that failed or was skipped is
                // failed or skipped too, and so are the directives using it.
                let (defined, verdict) = match def {
                    Defined::Ok(module) => settle(self.instantiate(&module).map(Some), line),
                    Defined::Failed(why) => (Defined::Failed(why.clone()), Err(anyhow!("{why}"))),
                    Defined::Skipped(why) => {
                        (Defined::Skipped(why.clone()), Ok(Verdict::Skip(why)))
                    }
                };
                self.current = Some(defined.clone());
                if let Some(name) = instance {
                    self.named.insert(name.name().to_string(), defined);
                }
                return verdict;
            }
            D::Register { name, module, .. } => {
                let Inst::Core(inst) = usable!(self.instance(module.map(|m| m.name()))?) else {
                    bail!("only core module instances can be registered");
                };
                self.linker.instance(&self.store, name, inst)?;
            }
            D::Invoke(invoke) => {
                usable!(self.invoke(&invoke)?).map_err(|e| anyhow!("invoke failed: {e}"))?;
            }
            D::AssertReturn { exec, results, .. } => {
                let got = usable!(self.execute(exec)?)
                    .map_err(|e| anyhow!("expected results, got: {e}"))?;
                self.check_results(&got, &results)?;
            }
            D::AssertTrap { exec, message, .. } => match usable!(self.execute(exec)?) {
                Ok(vals) => bail!("expected trap `{message}`, got {vals:?}"),
                Err(e) => expect_trap(&e, message)?,
            },
            D::AssertExhaustion { call, message, .. } => match usable!(self.invoke(&call)?) {
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
                    // The text itself is malformed: weft's text front end
                    // (the same parser) rejects it before validation.
                    Err(_) => return Ok(Verdict::Pass),
                };
                let outcome = if is_component(&module) {
                    Component::from_binary(&self.engine, &bytes).map(drop)
                } else {
                    Module::from_binary(&self.engine, &bytes).map(drop)
                };
                match outcome {
                    Ok(()) => bail!("expected module to be rejected: `{message}`"),
                    // Rejected only for using what weft leaves out: whether
                    // the script's reason holds is not known.
                    Err(e) if unsupported(&e) => {
                        return Ok(Verdict::Skip(e.to_string()));
                    }
                    Err(Error::Invalid { .. }) => {}
                    Err(e) => bail!("module rejected for the wrong reason (`{message}`): {e}"),
                }
            }
            D::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                let outcome = match module {
                    Wat::Module(ref mut m) => {
                        let module = Module::from_binary(&self.engine, &m.encode()?)?;
                        self.linker.instantiate(&mut self.store, &module).map(drop)
                    }
                    Wat::Component(ref mut c) => {
                        let c = match Component::from_binary(&self.engine, &c.encode()?) {
                            Err(e) if unsupported(&e) => return Ok(Verdict::Skip(e.to_string())),
                            other => other?,
                        };
                        self.components.instantiate(&mut self.store, &c).map(drop)
                    }
                };
                match outcome {
                    Ok(()) => bail!("expected link failure `{message}`"),
                    Err(Error::Link(_) | Error::Usage(_)) => {}
                    Err(e) => bail!("expected link failure `{message}`, got: {e}"),
                }
            }
            D::AssertInvalidCustom { .. } | D::AssertMalformedCustom { .. } => {
                return Ok(Verdict::Skip(
                    "custom-section assertions are not supported yet".into(),
                ));
            }
            D::AssertException { exec, .. } => match usable!(self.execute(exec)?) {
                Ok(vals) => bail!("expected an uncaught exception, got {vals:?}"),
                Err(Error::Exception(_)) => {}
                Err(e) => bail!("expected an uncaught exception, got: {e}"),
            },
            D::AssertSuspension { .. } | D::Thread(_) | D::Wait { .. } => {
                return Ok(Verdict::Skip(
                    "threads and stack switching are not supported".into(),
                ));
            }
        }
        Ok(Verdict::Pass)
    }

    /// Compiles a module or component directive.
    fn compile(&mut self, wat: &mut QuoteWat<'_>) -> Result<Def> {
        let bytes = wat.encode().context("encoding module")?;
        if is_component(wat) {
            return match Component::from_binary(&self.engine, &bytes) {
                Err(e) if unsupported(&e) => Err(anyhow!(Unsupported(e.to_string()))),
                other => Ok(Def::Component(other?)),
            };
        }
        Ok(Def::Core(Module::from_binary(&self.engine, &bytes)?))
    }

    fn instantiate(&mut self, def: &Def) -> Result<Inst> {
        match def {
            Def::Core(m) => Ok(Inst::Core(self.linker.instantiate(&mut self.store, m)?)),
            Def::Component(c) => match self.components.instantiate(&mut self.store, c) {
                Err(e) if unsupported(&e) => Err(anyhow!(Unsupported(e.to_string()))),
                other => Ok(Inst::Component(other?)),
            },
        }
    }

    fn instance(&self, name: Option<&str>) -> Result<Defined<Inst>> {
        match name {
            Some(n) => self
                .named
                .get(n)
                .cloned()
                .ok_or_else(|| anyhow!("unknown module `{n}`")),
            None => self
                .current
                .clone()
                .ok_or_else(|| anyhow!("no current module")),
        }
    }

    /// Runs a call or module: the outer error is a broken script (or a
    /// module it uses that failed), the inner one what weft reported.
    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Defined<Result<Got, Error>>> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(mut wat) => {
                let outcome = match &mut wat {
                    Wat::Module(m) => {
                        Module::from_binary(&self.engine, &m.encode()?).and_then(|module| {
                            self.linker.instantiate(&mut self.store, &module).map(drop)
                        })
                    }
                    Wat::Component(c) => match Component::from_binary(&self.engine, &c.encode()?) {
                        Err(e) if unsupported(&e) => return Ok(Defined::Skipped(e.to_string())),
                        other => other.and_then(|c| {
                            self.components.instantiate(&mut self.store, &c).map(drop)
                        }),
                    },
                };
                Ok(Defined::Ok(outcome.map(|()| Got::Core(Vec::new()))))
            }
            WastExecute::Get { module, global, .. } => {
                let inst = match self.instance(module.map(|m| m.name()))? {
                    Defined::Ok(Inst::Core(inst)) => inst,
                    Defined::Ok(Inst::Component(_)) => bail!("components have no globals"),
                    Defined::Failed(why) => return Ok(Defined::Failed(why)),
                    Defined::Skipped(why) => return Ok(Defined::Skipped(why)),
                };
                let g = inst
                    .get_global(&self.store, global)
                    .ok_or_else(|| anyhow!("no global `{global}`"))?;
                Ok(Defined::Ok(Ok(Got::Core(vec![g.get(&self.store)]))))
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Defined<Result<Got, Error>>> {
        let inst = match self.instance(invoke.module.map(|m| m.name()))? {
            Defined::Ok(inst) => inst,
            Defined::Failed(why) => return Ok(Defined::Failed(why)),
            Defined::Skipped(why) => return Ok(Defined::Skipped(why)),
        };
        let inst = match inst {
            Inst::Core(inst) => inst,
            Inst::Component(inst) => {
                return components::invoke(&mut self.store, &inst, invoke).map(Defined::Ok);
            }
        };
        let func = inst
            .get_func(&self.store, invoke.name)
            .ok_or_else(|| anyhow!("no function `{}`", invoke.name))?;
        let mut args = Vec::with_capacity(invoke.args.len());
        for a in &invoke.args {
            match a {
                WastArg::Core(c) => args.push(self.externs.arg(&mut self.store, c)?),
                _ => bail!("a component value passed to a core function"),
            }
        }
        let ty = func.ty(&self.store);
        let mut results: Vec<Val> = ty.results().iter().map(|_| Val::I32(0)).collect();
        Ok(Defined::Ok(
            func.call(&mut self.store, &args, &mut results)
                .map(|()| Got::Core(results)),
        ))
    }

    fn check_results(&self, got: &Got, want: &[WastRet<'_>]) -> Result<()> {
        match got {
            Got::Core(got) => check_each(got, want, |g, w| match w {
                WastRet::Core(w) => Ok(values::matches(&self.store, g, w)),
                _ => bail!("a component value expected from a core function"),
            }),
            Got::Component(got) => check_each(got, want, components::matches),
        }
    }
}

/// Checks each result against what the script expects of it, with
/// `matches`.
fn check_each<G: std::fmt::Debug>(
    got: &[G],
    want: &[WastRet<'_>],
    matches: impl Fn(&G, &WastRet<'_>) -> Result<bool>,
) -> Result<()> {
    if got.len() != want.len() {
        bail!(
            "expected {} results, got {}: {got:?}",
            want.len(),
            got.len()
        );
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if !matches(g, w).with_context(|| format!("result {i}"))? {
            bail!("result {i}: expected {w:?}, got {g:?}");
        }
    }
    Ok(())
}

/// The outcome of a module directive at `line` for later directives, and
/// its own verdict.
fn settle<T>(outcome: Result<Option<T>>, line: usize) -> (Defined<T>, Result<Verdict>) {
    match outcome {
        Err(e) if e.downcast_ref::<Unsupported>().is_some() => {
            let why = e.to_string();
            (
                Defined::Skipped(format!("uses the component at line {line}: {why}")),
                Ok(Verdict::Skip(why)),
            )
        }
        Ok(Some(t)) => (Defined::Ok(t), Ok(Verdict::Pass)),
        Ok(None) => unreachable!("every directive defines something"),
        Err(e) => (
            Defined::Failed(format!("module at line {line} failed: {e:#}")),
            Err(e),
        ),
    }
}

/// Whether weft refused a component for using what it leaves out: a
/// Component Model feature beyond synchronous components (async, threads,
/// maps, fixed-length lists), refused by the validator or the translator.
/// Such directives are skipped.
fn unsupported(e: &Error) -> bool {
    match e {
        Error::Invalid { message, .. } => {
            message.contains("the component model") && message.contains("require")
                || message.contains("feature is not active")
        }
        Error::Unsupported(_) => true,
        _ => false,
    }
}

/// A directive needs what weft does not support (it is skipped, with this
/// reason, and so are the directives that use what it defines).
#[derive(Debug)]
struct Unsupported(String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not supported: {}", self.0)
    }
}

impl std::error::Error for Unsupported {}

/// Whether a module directive is a component.
fn is_component(wat: &QuoteWat<'_>) -> bool {
    matches!(
        wat,
        QuoteWat::QuoteComponent(..) | QuoteWat::Wat(Wat::Component(_))
    )
}

/// The id of a `(module $id ...)` or `(component $id ...)` directive, if
/// any.
fn quote_id(wat: &QuoteWat<'_>) -> Option<String> {
    match wat {
        QuoteWat::Wat(Wat::Module(m)) => m.id.map(|id| id.name().to_string()),
        QuoteWat::Wat(Wat::Component(c)) => c.id.map(|id| id.name().to_string()),
        _ => None,
    }
}

/// Checks that `e` is a trap of the kind the script names.
fn expect_trap(e: &Error, message: &str) -> Result<()> {
    let Some(trap) = e.as_trap() else {
        bail!("expected trap `{message}`, got error: {e}");
    };
    // A Canonical ABI trap is named by its detail, with or without the
    // `wasm trap: ` its display starts with.
    let ours = match (trap.kind(), trap.detail()) {
        (weft::TrapKind::CanonicalAbi, Some(detail)) => detail,
        (kind, _) => kind.message(),
    };
    let message = message.strip_prefix("wasm trap: ").unwrap_or(message);
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
