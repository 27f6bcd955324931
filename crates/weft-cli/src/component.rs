//! `weft run` for components: `--invoke 'NAME(ARGS)'` instantiates the
//! component with no host definitions (every import traps if called), calls
//! the exported function NAME with ARGS written in WAVE, and prints its
//! result in WAVE.
//!
//! NAME is an export at the top level, a path into exported instances
//! (`weft:demo/math#add`), WIT's form of one (`weft:demo/math.add`, with a
//! version after the function: `wasi:cli/run.run@0.2.0`), or a function's
//! bare name when exactly one exported instance has it.
//!
//! Running a component as a program (its `wasi:cli/run` export) needs WASI
//! preview 2, which weft does not give components yet.

use crate::run::{Failure, RunArgs, one_line, show_str, text_error};
use crate::wasi::{GuestSetup, WasmOptions, build_ctx};
use crate::wave::{WaveType, WaveVal, has_resource, type_name};
use std::io::Write;
use wasm_wave::parser::{ParserError, ParserErrorKind};
use wasm_wave::untyped::UntypedFuncCall;
use weft::{Engine, Error, Store};
use weft_component::{Component, Func, Instance, ItemKind, Linker, Type, Val};
use weft_wasi::WasiCtx;

/// Whether a file's bytes hold a component: the binary format's header, or
/// text whose first form is `(component ...)`.
pub fn is_component(bytes: &[u8]) -> bool {
    if wasmparser::Parser::is_component(bytes) {
        return true;
    }
    !wasmparser::Parser::is_core_wasm(bytes) && text_is_component(bytes)
}

/// Whether text starts with `(component`, after whitespace and comments.
/// Only the first keyword is looked at: parsing is the loader's job, and a
/// malformed file gets its error there.
fn text_is_component(bytes: &[u8]) -> bool {
    let mut rest = skip_blanks(bytes);
    while !rest.is_empty() {
        let before = rest.len();
        rest = skip_blanks(skip_comment(rest));
        if rest.len() == before {
            break;
        }
    }
    match rest.strip_prefix(b"(component") {
        // `(componentx` is another keyword; `(component;;` starts a comment.
        Some(after) => matches!(
            after.first(),
            None | Some(b'(' | b')' | b';') | Some(b' ' | b'\t' | b'\n' | b'\r')
        ),
        None => false,
    }
}

fn skip_blanks(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii_start()
}

/// `bytes` after the comment it starts with (`;; ...` to the end of the
/// line, or a nested `(; ... ;)`), or as it is if it starts with none.
fn skip_comment(bytes: &[u8]) -> &[u8] {
    if let Some(line) = bytes.strip_prefix(b";;") {
        return match line.iter().position(|&b| b == b'\n') {
            Some(end) => &line[end + 1..],
            None => &[],
        };
    }
    if !bytes.starts_with(b"(;") {
        return bytes;
    }
    let (mut depth, mut i) = (0usize, 0);
    while i + 1 < bytes.len() {
        match &bytes[i..i + 2] {
            b"(;" => depth += 1,
            b";)" => depth -= 1,
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
        if depth == 0 {
            return &bytes[i..];
        }
    }
    // An unclosed comment: the text parser reports it.
    &[]
}

/// Runs `weft run` on a component with WASI preview 2 (the same
/// arguments, environment and directories as for a module): without
/// `--invoke`, its `wasi:cli/run` export, whose exit status becomes
/// weft's; with it, the named function, whose result is printed in WAVE.
pub fn execute(
    args: &RunArgs,
    options: WasmOptions,
    engine: &Engine,
    bytes: &[u8],
    path: &str,
    guest: &GuestSetup<'_>,
) -> Result<(), Failure> {
    let component = Component::new(engine, bytes).map_err(|e| match e {
        Error::Text(msg) => Failure::Error(text_error(path, &msg)),
        // weft's error says "invalid module" whatever the bytes were.
        Error::Invalid { message, offset } => Failure::Error(format!(
            "{path}: invalid component: {} (at offset {offset:#x})",
            one_line(&message)
        )),
        e => Failure::from_weft(e, path),
    })?;
    // The call's syntax is checked before instantiating, which may run code.
    let call = match &args.invoke {
        Some(invoke) => {
            if !args.args.is_empty() {
                return Err(Failure::Error(format!(
                    "a component's function takes its arguments inside --invoke, in WAVE \
                     (e.g. --invoke 'f(1, \"text\")'), not after {path}"
                )));
            }
            Some(Call::parse(invoke)?)
        }
        None => None,
    };
    let ctx = build_ctx(guest).map_err(|e| Failure::Error(show_str(&e)))?;
    let mut linker = Linker::new(engine);
    weft_wasi::p2::add_to_linker(&mut linker, |ctx: &mut WasiCtx| ctx)
        .map_err(|e| Failure::from_weft(e, "cannot define WASI"))?;
    // A called function's other imports trap if used (a library component
    // often imports more than the function needs).
    let stubbed = if options.unknown_imports_default {
        linker.define_unknown_imports_as_default_values(&component)
    } else if options.unknown_imports_trap || call.is_some() {
        linker.define_unknown_imports_as_traps(&component)
    } else {
        Ok(())
    };
    stubbed.map_err(|e| Failure::from_weft(e, &format!("{path}: cannot stub its imports")))?;
    let mut store = Store::new(engine, ctx);
    crate::limits::apply(&mut store, args.fuel, args.timeout, args.max_memory_size)
        .map_err(|e| Failure::Error(e.to_string()))?;
    let Some(call) = call else {
        let status = weft_wasi::p2::run(&mut store, &component, &linker)
            .map_err(|e| link_hint(Failure::from_weft(e, &format!("{path}: cannot run"))))?;
        return if status == 0 {
            Ok(())
        } else {
            Err(Failure::Exit(status))
        };
    };
    let instance = linker.instantiate(&mut store, &component).map_err(|e| {
        link_hint(Failure::from_weft(
            e,
            &format!("{path}: cannot instantiate"),
        ))
    })?;
    let (name, func) = find_func(&component, &instance, &store, &call.name)?;
    let params = call.args(&name, &func)?;
    if let Some(ty) = &func.ty().result
        && has_resource(ty)
    {
        return Err(Failure::Error(format!(
            "`{name}` returns {}, and resources have no WAVE form to print",
            type_name(ty)
        )));
    }
    let mut results = vec![Val::Bool(false); func.results().len()];
    func.call(&mut store, &params, &mut results)
        .map_err(|e| Failure::from_weft(e, &format!("cannot call `{name}`")))?;
    print_result(results.first())
}

/// Adds to an undefined-import error how to run the component anyway.
fn link_hint(f: Failure) -> Failure {
    match f {
        Failure::Error(m) if m.contains("has not been defined") => Failure::Error(format!(
            "{m} (weft run provides WASI 0.2; -W unknown-imports-trap=y makes other \
             imported functions trap when called, -W unknown-imports-default=y return \
             zero values)"
        )),
        other => other,
    }
}

/// Prints the result, if any, as one line of WAVE.
fn print_result(result: Option<&Val>) -> Result<(), Failure> {
    let Some(v) = result else {
        return Ok(());
    };
    let text = wasm_wave::to_string(&WaveVal(v.clone()))
        .map_err(|e| Failure::Error(format!("cannot write the result in WAVE: {e}")))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Error(format!("cannot write the results: {e}")))
}

/// A parsed `--invoke` string: the function's name and its arguments,
/// still untyped (their types come from the function, after instantiating).
struct Call {
    /// The function's name as given (trimmed).
    name: String,
    /// The `--invoke` string as given, for messages.
    text: String,
    /// The arguments, parsed by wasm-wave.
    parsed: UntypedFuncCall<'static>,
}

impl Call {
    /// Splits `NAME(ARGS)` and parses ARGS as WAVE.
    fn parse(text: &str) -> Result<Call, Failure> {
        let shown = show_str(text);
        let Some(open) = text.find('(') else {
            // `--invoke NAME` as for a module: show the call it may mean.
            let name = shown.trim();
            let example = if name.is_empty() || name.contains([')', '"', '\'', ' ']) {
                "NAME()"
            } else {
                &format!("{name}()")
            };
            return Err(Failure::Error(format!(
                "--invoke `{shown}`: a component's function is called as NAME(ARGS), \
                 with ARGS in WAVE, e.g. --invoke '{example}'"
            )));
        };
        let name = text[..open].trim();
        if name.is_empty() {
            return Err(Failure::Error(format!(
                "--invoke `{shown}`: no function name before `(`"
            )));
        }
        // wasm-wave parses a whole `name(args)` call, but its names are
        // WIT's, without the `#` of instance paths. The name is looked up
        // here instead, so it is replaced by a WIT name of the same length:
        // the spans in wasm-wave's errors then point into the text as given.
        let stand_in = format!("{}{}", "f".repeat(open), &text[open..]);
        let parsed = UntypedFuncCall::parse(&stand_in)
            .map_err(|e| Failure::Error(format!("--invoke `{shown}`: {}", describe(&e, text))))?
            .into_owned();
        Ok(Call {
            name: name.to_string(),
            text: text.to_string(),
            parsed,
        })
    }

    /// The arguments as values of `func`'s parameter types. Trailing
    /// `option` parameters may be left out (WAVE's rule): they are `none`.
    fn args(&self, name: &str, func: &Func) -> Result<Vec<Val>, Failure> {
        let params = &func.ty().params;
        let signature = params
            .iter()
            .map(|(n, t)| format!("{n}: {}", type_name(t)))
            .collect::<Vec<_>>()
            .join(", ");
        if let Some((n, t)) = params.iter().find(|(_, t)| has_resource(t)) {
            return Err(Failure::Error(format!(
                "`{name}` takes `{n}`: {}, and resources have no WAVE form to pass",
                type_name(t)
            )));
        }
        let nodes: Vec<_> = match self.parsed.params_node() {
            None => Vec::new(),
            Some(tuple) => tuple.as_tuple().map_err(|e| self.error(&e))?.collect(),
        };
        let required = params
            .iter()
            .rposition(|(_, t)| !matches!(t, Type::Option(_)))
            .map_or(0, |i| i + 1);
        if nodes.len() > params.len() || nodes.len() < required {
            let takes = if required == params.len() {
                count(required)
            } else {
                format!("{required} to {} arguments", params.len())
            };
            let given = match nodes.len() {
                1 => "1 was".to_string(),
                n => format!("{n} were"),
            };
            return Err(Failure::Error(format!(
                "`{name}` takes {takes} ({signature}) but {given} given"
            )));
        }
        let source = self.parsed.source();
        params
            .iter()
            .enumerate()
            .map(|(i, (param, ty))| match nodes.get(i) {
                Some(node) => node
                    .to_wasm_value::<WaveVal>(&WaveType(ty.clone()), source)
                    .map(|v| v.0)
                    .map_err(|e| {
                        Failure::Error(format!(
                            "argument {} of `{name}` (`{param}`: {}): {}",
                            i + 1,
                            type_name(ty),
                            describe(&e, &self.text)
                        ))
                    }),
                None => Ok(Val::Option(None)),
            })
            .collect()
    }

    /// A WAVE error in this call's text.
    fn error(&self, e: &ParserError) -> Failure {
        Failure::Error(format!(
            "--invoke `{}`: {}",
            show_str(&self.text),
            describe(e, &self.text)
        ))
    }
}

/// "1 argument", "2 arguments".
fn count(n: usize) -> String {
    if n == 1 {
        "1 argument".into()
    } else {
        format!("{n} arguments")
    }
}

/// A wasm-wave error in one line: what is wrong, and where in `text` (the
/// offending text and its column, counted in characters from 1).
fn describe(e: &ParserError, text: &str) -> String {
    let mut what = e.kind().to_string();
    if let Some(detail) = e.detail() {
        what = format!("{what}: {detail}");
    } else if let Some(cause) = std::error::Error::source(e) {
        // A value of the wrong shape ("missing payload for ..."): the cause
        // says it all, wasm-wave's "error converting Wasm value" adds nothing.
        what = if e.kind() == ParserErrorKind::WasmValueError {
            cause.to_string()
        } else {
            format!("{what}: {cause}")
        };
    }
    let span = e.span();
    let column = |at: usize| text.get(..at).map(|s| s.chars().count() + 1);
    match (text.get(span.clone()), column(span.start)) {
        (Some(near), Some(col)) if !near.is_empty() => {
            format!("{} at `{}` (column {col})", one_line(&what), show_str(near))
        }
        (_, Some(col)) if span.start < text.len() => format!("{} at column {col}", one_line(&what)),
        _ => format!("{} at the end", one_line(&what)),
    }
}

/// The function `name` names and its printable path, or an error listing
/// what the component exports.
fn find_func(
    component: &Component,
    instance: &Instance,
    store: &Store<WasiCtx>,
    name: &str,
) -> Result<(String, Func), Failure> {
    let shown = show_str(name);
    if let Some(f) = instance.get_func(store, name) {
        return Ok((shown, f));
    }
    if let Some(path) = wit_path(name)
        && let Some(f) = instance.get_func(store, &path)
    {
        return Ok((show_str(&path), f));
    }
    let qualified = name.contains(['#', '/', '.', '@']);
    if !qualified {
        // A bare name: the function of that name in any exported instance.
        let mut found: Vec<(String, Func)> = component
            .exports()
            .filter(|(_, kind)| *kind == ItemKind::Instance)
            .filter_map(|(inst, _)| {
                let path = format!("{inst}#{name}");
                instance
                    .get_func(store, &path)
                    .map(|f| (show_str(&path), f))
            })
            .collect();
        match found.len() {
            1 => return Ok(found.remove(0)),
            0 => {}
            _ => {
                let paths: Vec<String> = found.iter().map(|(p, _)| format!("`{p}`")).collect();
                return Err(Failure::Error(format!(
                    "several exported instances have a function `{shown}`: {}; \
                     name one with its instance",
                    paths.join(", ")
                )));
            }
        }
    }
    // A path whose instance exists: the function is what is missing.
    let path = if name.contains('#') {
        Some(name.to_string())
    } else {
        wit_path(name)
    };
    if let Some((inst, func)) = path.as_deref().and_then(|p| p.split_once('#'))
        && component
            .exports()
            .any(|(n, kind)| n == inst && kind == ItemKind::Instance)
    {
        return Err(Failure::Error(format!(
            "the component's instance `{}` exports no function `{}`",
            show_str(inst),
            show_str(func)
        )));
    }
    Err(Failure::Error(format!(
        "component has no exported function `{shown}` ({}; name a function in an \
         instance as INSTANCE#FUNC)",
        exports(component)
    )))
}

/// The `INSTANCE#FUNC` path of a name in WIT's form: `iface.func`,
/// `ns:pkg/iface.func` or `ns:pkg/iface.func@1.2.3`, whose instance is
/// `ns:pkg/iface@1.2.3`. None if `name` is not of that form.
fn wit_path(name: &str) -> Option<String> {
    let (item, version) = match name.split_once('@') {
        Some((item, version)) => (item, Some(version)),
        None => (name, None),
    };
    // The interface ends at the first `.` after the package: a function's
    // name may hold dots of its own (`[method]res.name`).
    let start = item.rfind('/').map_or(0, |i| i + 1);
    let dot = start + item[start..].find('.')?;
    let (iface, func) = (&item[..dot], &item[dot + 1..]);
    if func.is_empty() {
        return None;
    }
    Some(match version {
        Some(v) => format!("{iface}@{v}#{func}"),
        None => format!("{iface}#{func}"),
    })
}

/// "its exports: functions `a`, `b`; instances `x`", for messages.
fn exports(component: &Component) -> String {
    let named = |kind: ItemKind| -> Vec<String> {
        component
            .exports()
            .filter(|(_, k)| *k == kind)
            .map(|(n, _)| format!("`{}`", show_str(n)))
            .collect()
    };
    let (funcs, instances) = (named(ItemKind::Func), named(ItemKind::Instance));
    let mut parts = Vec::new();
    if !funcs.is_empty() {
        parts.push(format!("functions {}", funcs.join(", ")));
    }
    if !instances.is_empty() {
        parts.push(format!("instances {}", instances.join(", ")));
    }
    if parts.is_empty() {
        "it exports no functions or instances".into()
    } else {
        format!("its exports: {}", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_components_are_told_from_modules() {
        for text in [
            "(component)",
            "  (component $c)",
            ";; a comment\n(component\n)",
            "(; block (; nested ;) ;)(component)",
            "(component;;x\n)",
        ] {
            assert!(is_component(text.as_bytes()), "{text:?}");
        }
        for text in [
            "(module)",
            "(componentx)",
            ";; (component)\n(module)",
            "(; (component) ;) (module)",
            "(; unclosed",
            "",
        ] {
            assert!(!is_component(text.as_bytes()), "{text:?}");
        }
        assert!(is_component(b"\0asm\x0d\0\x01\0"));
        assert!(!is_component(b"\0asm\x01\0\0\0"));
    }

    #[test]
    fn wit_names_become_instance_paths() {
        let cases = [
            ("weft:test/types.divide", Some("weft:test/types#divide")),
            ("wasi:cli/run.run@0.2.0", Some("wasi:cli/run@0.2.0#run")),
            ("types.echo", Some("types#echo")),
            ("a:b/c.[method]r.get", Some("a:b/c#[method]r.get")),
            ("echo", None),
            ("a:b/c", None),
            ("a:b/c.", None),
        ];
        for (name, path) in cases {
            assert_eq!(wit_path(name).as_deref(), path, "{name}");
        }
    }

    #[test]
    fn calls_split_name_and_arguments() {
        let call = Call::parse(" weft:test/types#divide (7, 2)").ok().unwrap();
        assert_eq!(call.name, "weft:test/types#divide");
        let Err(Failure::Error(e)) = Call::parse("f") else {
            panic!("a bare name is not a call");
        };
        assert!(e.contains("f()"), "{e}");
        let Err(Failure::Error(e)) = Call::parse("(1)") else {
            panic!("no name");
        };
        assert!(e.contains("no function name"), "{e}");
        let Err(Failure::Error(e)) = Call::parse("weft:x/y#f(1, ]") else {
            panic!("bad syntax");
        };
        assert!(e.contains("at `]` (column 15)"), "{e}");
    }
}
