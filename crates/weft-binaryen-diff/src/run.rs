//! Runs a `wasm-opt -ttf` module in weft the way binaryen's fuzz-exec runs
//! it: the `fuzzing-support` imports, the synthesized `__fuzz_import`
//! externref globals, every export called in order with zero arguments,
//! and the events written down as binaryen would print them.
//!
//! The import semantics follow binaryen's `LoggingExternalInterface`
//! (src/tools/execution-results.h): `log-*` print their arguments (an
//! `i64` as its low and high `i32` halves); `throw` throws a JS error for 0
//! and a wasm exception with tag `fuzzing-support.wasmtag` otherwise;
//! `table-get`/`table-set` use the export named `table` and throw a JS
//! error when there is none or the index is out of bounds;
//! `call-export[-catch]` and `call-ref[-catch]` call a function "as JS
//! would" (zero arguments; a JS error for an `i64`, `v128`, exnref or
//! non-nullable parameter or a `v128`/exnref result; results dropped; the
//! `-catch` forms return 1 when a wasm or JS exception escapes, 0
//! otherwise); `sleep` returns its second argument. A JS error is a wasm
//! exception with tag `fuzzing-support.jstag` whose payload is an externref
//! that prints as `jserror`.

use crate::patch::{Patched, TAG_EXPORT_PREFIX, TagName};
use crate::values::Shown;
use weft::{
    AnyRef, AsContext, AsContextMut, Caller, Engine, Error, Exception, Extern, ExternRef,
    ExternType, Func, FuncType, Global, GlobalType, HeapType, Linker, Module, Mutability, Ref,
    Store, Tag, TrapKind, Val, ValType,
};

/// The message binaryen prints for an export it cannot call.
pub const NON_DEFAULTABLE: &str = "fuzzer can only send defaultable parameters to exports";

/// What binaryen prints as the "tag" of an exception from instantiation.
pub const INSTANTIATION_FAILED: &str = "failed to instantiate module";

/// The payload binaryen gives the externref of a JS error.
const JS_ERROR_PAYLOAD: u32 = 0xbad;

/// One event of a run in weft, in the order binaryen would print it.
#[derive(Clone, Debug)]
pub enum Line {
    /// An export is about to run (or a global export is logged next).
    Export(String),
    /// A `log-*` import was called (`branch`: it was `log-branch`).
    Log {
        /// Whether the import was `log-branch`.
        branch: bool,
        /// The arguments.
        values: Vec<Shown>,
    },
    /// An export returned values.
    Result {
        /// The export.
        name: String,
        /// Its results.
        values: Vec<Shown>,
    },
    /// A trap (`kind` is `None` for the harness's own refusal to call an
    /// export with a non-defaultable parameter).
    Trap(Option<TrapKind>),
    /// An exception escaped an export.
    Exception {
        /// The tag's name, if the check could find it.
        tag: Option<TagName>,
        /// The payload.
        payload: Vec<Shown>,
    },
    /// An exception escaped instantiation (binaryen then prints
    /// `[exception thrown: failed to instantiate module]` and runs nothing).
    InstantiationException,
    /// weft failed in a way that is neither a trap nor an exception.
    Error(String),
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |v: &[Shown]| {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        };
        match self {
            Line::Export(n) => write!(f, "[fuzz-exec] export {n}"),
            Line::Log { branch, values } => {
                let word = if *branch { "log-branch" } else { "logging" };
                write!(f, "[LoggingExternalInterface {word} {}]", join(values))
            }
            Line::Result { name, values } => {
                write!(f, "[fuzz-exec] note result: {name} => {}", join(values))
            }
            Line::Trap(Some(kind)) => write!(f, "[trap {kind}]"),
            Line::Trap(None) => write!(f, "[trap {NON_DEFAULTABLE}]"),
            Line::Exception { tag, payload } => {
                let tag = tag.as_ref().map_or("?".to_string(), ToString::to_string);
                let mut text = format!("[exception thrown: {tag}");
                for v in payload {
                    text.push(' ');
                    text.push_str(&v.to_string());
                }
                write!(f, "{text}]")
            }
            Line::InstantiationException => {
                write!(f, "[exception thrown: {INSTANTIATION_FAILED}]")
            }
            Line::Error(m) => write!(f, "[weft error: {m}]"),
        }
    }
}

/// Why weft did not run a module.
#[derive(Debug)]
pub struct Rejected(pub String);

/// The host data of a run's store.
#[derive(Default)]
pub struct Host {
    lines: Vec<Line>,
    /// The module's own exports, in order (the index `call-export` uses);
    /// empty while the module is being instantiated.
    exports: Vec<Extern>,
    /// Instantiation is over. Before, as in JS, there is no exports
    /// object: `table-get`, `table-set` and `call-export` throw a JS error
    /// (`call-ref` works).
    instantiated: bool,
    /// `fuzzing-support.wasmtag` and `fuzzing-support.jstag`.
    tags: Option<(Tag, Tag)>,
    /// Every tag of the instance with binaryen's name for it.
    tag_names: Vec<(Tag, TagName)>,
}

/// The host data inside an externref the harness makes: binaryen's
/// payload number.
struct Payload(u32);

/// Runs `module` in a new store of `engine` with `fuel` for instantiation
/// and for each export call; returns the events.
pub fn run(engine: &Engine, patched: &Patched, fuel: u64) -> Result<Vec<Line>, Rejected> {
    let module =
        Module::from_binary(engine, &patched.bytes).map_err(|e| Rejected(reject_reason(&e)))?;
    let mut store = Store::new(engine, Host::default());
    let wasm_tag = Tag::new(&mut store, &FuncType::new([ValType::I32], []))
        .map_err(|e| Rejected(format!("host tag: {e}")))?;
    let js_tag = Tag::new(&mut store, &FuncType::new([ValType::EXTERNREF], []))
        .map_err(|e| Rejected(format!("host tag: {e}")))?;
    store.data_mut().tags = Some((wasm_tag, js_tag));
    let linker = linker(&mut store, &module, wasm_tag, js_tag)?;
    store
        .set_fuel(fuel)
        .map_err(|e| Rejected(format!("fuel: {e}")))?;
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(i) => i,
        Err(Error::Trap(t)) => {
            store.data_mut().lines.push(Line::Trap(Some(t.kind())));
            return Ok(std::mem::take(&mut store.data_mut().lines));
        }
        Err(Error::Exception(_)) => {
            store.data_mut().lines.push(Line::InstantiationException);
            return Ok(std::mem::take(&mut store.data_mut().lines));
        }
        Err(e) => {
            return Err(Rejected(format!(
                "instantiate: {}",
                first_words(&e.to_string())
            )));
        }
    };
    let mut exports = Vec::new();
    let mut tag_names = vec![
        (wasm_tag, TagName::host("imported-wasm-tag")),
        (js_tag, TagName::host("imported-js-tag")),
    ];
    for (name, ext) in instance.exports(&store) {
        match name.strip_prefix(TAG_EXPORT_PREFIX) {
            Some(index) => {
                if let (Extern::Tag(tag), Ok(index)) = (&ext, index.parse::<u32>())
                    && let Some(n) = patched.tag_names.get(&index)
                {
                    tag_names.push((*tag, n.clone()));
                }
            }
            None => exports.push((name, ext)),
        }
    }
    store.data_mut().exports = exports.iter().map(|(_, e)| *e).collect();
    store.data_mut().instantiated = true;
    store.data_mut().tag_names = tag_names;

    for (name, ext) in exports {
        match ext {
            Extern::Func(f) => {
                store.data_mut().lines.push(Line::Export(name.clone()));
                let ty = f.ty(&store);
                if !ty.params().iter().all(ValType::is_defaultable) {
                    store.data_mut().lines.push(Line::Trap(None));
                    continue;
                }
                store
                    .set_fuel(fuel)
                    .map_err(|e| Rejected(format!("fuel: {e}")))?;
                match call_with_defaults(&mut store, f, &ty) {
                    Ok(results) => {
                        if !results.is_empty() {
                            let values = results.iter().map(|v| shown(&store, v)).collect();
                            store.data_mut().lines.push(Line::Result { name, values });
                        }
                    }
                    Err(e) => {
                        let line = error_line(&mut store, e);
                        store.data_mut().lines.push(line);
                    }
                }
            }
            Extern::Global(g) => {
                store.data_mut().lines.push(Line::Export(name));
                let v = g.get(&store);
                let values = vec![shown(&store, &v)];
                store.data_mut().lines.push(Line::Log {
                    branch: false,
                    values,
                });
            }
            _ => {}
        }
    }
    Ok(std::mem::take(&mut store.data_mut().lines))
}

/// The first words of a message, without offsets and numbers, so similar
/// failures share a category.
fn first_words(msg: &str) -> String {
    let cut = msg.find(" (at offset").unwrap_or(msg.len());
    let msg = &msg[..cut];
    msg.chars().take(90).collect()
}

fn reject_reason(e: &Error) -> String {
    match e {
        Error::Invalid { message, .. } => format!("invalid: {}", first_words(message)),
        Error::Unsupported(m) => format!("unsupported: {}", first_words(m)),
        other => format!("compile: {}", first_words(&other.to_string())),
    }
}

/// The line for a failed call.
fn error_line(store: &mut Store<Host>, e: Error) -> Line {
    match e {
        Error::Trap(t) => Line::Trap(Some(t.kind())),
        Error::Exception(exn) => exception_line(store, exn),
        other => Line::Error(other.to_string()),
    }
}

fn exception_line(store: &mut Store<Host>, exn: Exception) -> Line {
    let (tag, payload) = match (exn.tag(&*store), exn.payload(&*store)) {
        (Ok(t), Ok(p)) => (t, p),
        (Err(e), _) | (_, Err(e)) => return Line::Error(format!("reading an exception: {e}")),
    };
    let name = store
        .data()
        .tag_names
        .iter()
        .find(|(t, _)| *t == tag)
        .map(|(_, n)| n.clone());
    let payload = payload.iter().map(|v| shown(&*store, v)).collect();
    Line::Exception { tag: name, payload }
}

/// Calls `f` with the default value of each parameter type.
fn call_with_defaults(
    mut cx: impl AsContextMut<Data = Host>,
    f: Func,
    ty: &FuncType,
) -> weft::Result<Vec<Val>> {
    let args: Vec<Val> = ty
        .params()
        .iter()
        .map(|t| Val::default_for(*t).unwrap_or(Val::I32(0)))
        .collect();
    let mut results = vec![Val::I32(0); ty.results().len()];
    f.call(&mut cx, &args, &mut results)?;
    Ok(results)
}

/// A value in binaryen's words (its `printValue`): numbers in full,
/// references only as what JS could tell about them.
pub fn shown(cx: impl AsContext, v: &Val) -> Shown {
    match v {
        Val::I32(x) => Shown::I32(*x),
        Val::I64(x) => Shown::I64(*x),
        Val::F32(b) => Shown::F32(*b),
        Val::F64(b) => Shown::F64(*b),
        Val::V128(x) => Shown::V128(*x),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) | Val::ExnRef(None) => {
            Shown::Ref("null".into())
        }
        Val::FuncRef(Some(_)) => Shown::Ref("function".into()),
        // An exception is an object without a prototype to JS.
        Val::ExnRef(Some(_)) => Shown::Ref("object(null)".into()),
        Val::AnyRef(Some(a)) => Shown::Ref(any_text(&cx, *a)),
        Val::ExternRef(Some(e)) => Shown::Ref(match e.data(&cx) {
            Ok(data) => payload_text(data),
            // A GC value seen as external: binaryen prints what is inside.
            Err(_) => match AnyRef::convert_extern(&cx, *e) {
                Ok(a) => any_text(&cx, a),
                Err(err) => format!("<{err}>"),
            },
        }),
    }
}

fn payload_text(data: &(dyn std::any::Any + Send + Sync)) -> String {
    match data.downcast_ref::<Payload>() {
        Some(Payload(JS_ERROR_PAYLOAD)) => "jserror".into(),
        Some(Payload(n)) => format!("externref({n})"),
        None => "externref(?)".into(),
    }
}

fn any_text(cx: &impl AsContext, a: AnyRef) -> String {
    if let Ok(Some(v)) = a.as_i31(cx) {
        // Signed, as binaryen prints them.
        return format!("i31ref({})", v.get_i32());
    }
    match a.is_eqref(cx) {
        Ok(true) => "object(null)".into(),
        // An external reference seen as internal: binaryen prints the
        // external one.
        Ok(false) => match ExternRef::convert_any(cx, a).and_then(|e| e.data(cx).map(payload_text))
        {
            Ok(text) => text,
            Err(err) => format!("<{err}>"),
        },
        Err(err) => format!("<{err}>"),
    }
}

/// binaryen's payload for an imported externref global: the sum of the
/// characters of both names, modulo 251.
fn global_payload(module: &str, name: &str) -> u32 {
    module
        .bytes()
        .chain(name.bytes())
        .fold(0u32, |p, c| (p + u32::from(c)) % 251)
}

/// A JS error, as a wasm exception to throw into Wasm.
fn js_error(cx: &mut Caller<'_, Host>) -> Error {
    let Some((_, js_tag)) = cx.data().tags else {
        return Error::host("no JS tag");
    };
    let made = ExternRef::new(&mut *cx, Payload(JS_ERROR_PAYLOAD))
        .and_then(|r| Exception::new(&mut *cx, js_tag, &[Val::ExternRef(Some(r))]));
    match made {
        Ok(exn) => Error::Exception(exn),
        Err(e) => e,
    }
}

/// Whether a value of this type cannot cross the JS boundary.
fn traps_on_js_boundary(t: &ValType) -> bool {
    match t {
        ValType::V128 => true,
        ValType::Ref(r) => matches!(r.heap, HeapType::Exn | HeapType::NoExn),
        _ => false,
    }
}

/// Calls `f` as JS would (see the module docs); results are dropped.
fn call_as_js(cx: &mut Caller<'_, Host>, f: Func) -> weft::Result<()> {
    let ty = f.ty(&*cx);
    let bad_param = ty
        .params()
        .iter()
        .any(|p| *p == ValType::I64 || traps_on_js_boundary(p) || !p.is_defaultable());
    if bad_param || ty.results().iter().any(traps_on_js_boundary) {
        return Err(js_error(cx));
    }
    call_with_defaults(&mut *cx, f, &ty).map(|_| ())
}

/// `call-export`'s callee: the export at `index`, if it is a function
/// (none during instantiation).
fn export_func(cx: &Caller<'_, Host>, index: u32) -> Option<Func> {
    match cx.data().exports.get(index as usize) {
        Some(Extern::Func(f)) => Some(*f),
        _ => None,
    }
}

/// The value a table returned, as a `Val`.
fn ref_val(r: Ref) -> Val {
    match r {
        Ref::Func(f) => Val::FuncRef(f),
        Ref::Extern(e) => Val::ExternRef(e),
        Ref::Any(a) => Val::AnyRef(a),
        Ref::Exn(e) => Val::ExnRef(e),
    }
}

/// The table the `table-*` imports use (the export named `table`) and
/// the in-bounds index, or the JS error they throw.
fn table_at(cx: &mut Caller<'_, Host>, index: &Val) -> weft::Result<(weft::Table, u64)> {
    let index = u64::from(index.i32().unwrap_or(0) as u32);
    if !cx.data().instantiated {
        return Err(js_error(cx));
    }
    match cx.get_export("table") {
        Some(Extern::Table(t)) if index < t.size(&*cx) => Ok((t, index)),
        _ => Err(js_error(cx)),
    }
}

/// A host function of the harness.
type HostFn = fn(Caller<'_, Host>, &[Val], &mut [Val]) -> weft::Result<()>;

/// One `fuzzing-support` function import's behaviour.
fn fuzzing_support(name: &str) -> Option<HostFn> {
    Some(match name {
        "log-branch" => |cx, args, _| log(cx, args, true),
        n if n.starts_with("log") => |cx, args, _| log(cx, args, false),
        "throw" => |mut cx, args, _| {
            let v = args.first().and_then(Val::i32).unwrap_or(0);
            if v == 0 {
                return Err(js_error(&mut cx));
            }
            let Some((wasm_tag, _)) = cx.data().tags else {
                return Err(Error::host("no wasm tag"));
            };
            Err(match Exception::new(&mut cx, wasm_tag, args) {
                Ok(exn) => Error::Exception(exn),
                Err(e) => e,
            })
        },
        "table-get" => |mut cx, args, out| {
            let (t, i) = table_at(&mut cx, &args[0])?;
            out[0] = t.get(&cx, i).map_or(Val::FuncRef(None), ref_val);
            Ok(())
        },
        "table-set" => |mut cx, args, _| {
            let (t, i) = table_at(&mut cx, &args[0])?;
            let r = Ref::from_val(args[1].clone())
                .ok_or_else(|| Error::host("table-set of a number"))?;
            t.set(&mut cx, i, r)
        },
        "call-export" => |mut cx, args, _| {
            let index = args[0].i32().unwrap_or(0) as u32;
            match export_func(&cx, index) {
                Some(f) => call_as_js(&mut cx, f),
                None => Err(js_error(&mut cx)),
            }
        },
        "call-export-catch" => |mut cx, args, out| {
            let index = args[0].i32().unwrap_or(0) as u32;
            let r = match export_func(&cx, index) {
                Some(f) => call_as_js(&mut cx, f),
                None => Err(js_error(&mut cx)),
            };
            out[0] = Val::I32(caught(r)?);
            Ok(())
        },
        "call-ref" => |mut cx, args, _| match &args[0] {
            Val::FuncRef(Some(f)) => call_as_js(&mut cx, *f),
            _ => Err(js_error(&mut cx)),
        },
        "call-ref-catch" => |mut cx, args, out| {
            let r = match &args[0] {
                Val::FuncRef(Some(f)) => call_as_js(&mut cx, *f),
                _ => Err(js_error(&mut cx)),
            };
            out[0] = Val::I32(caught(r)?);
            Ok(())
        },
        "sleep" => |_, args, out| {
            out[0] = args[1].clone();
            Ok(())
        },
        _ => return None,
    })
}

/// A `log-*` import: its arguments as binaryen prints them, an `i64` as
/// its low and high `i32` halves (what JS legalization would pass).
fn log(mut cx: Caller<'_, Host>, args: &[Val], branch: bool) -> weft::Result<()> {
    let mut values = Vec::new();
    for a in args {
        match a {
            Val::I64(v) => {
                values.push(Shown::I32(*v as i32));
                values.push(Shown::I32((*v >> 32) as i32));
            }
            other => values.push(shown(&cx, other)),
        }
    }
    cx.data_mut().lines.push(Line::Log { branch, values });
    Ok(())
}

/// What a `-catch` import returns: 1 if an exception escaped, 0 if not;
/// traps still propagate.
fn caught(r: weft::Result<()>) -> weft::Result<i32> {
    match r {
        Ok(()) => Ok(0),
        Err(Error::Exception(_)) => Ok(1),
        Err(e) => Err(e),
    }
}

/// A linker that defines every import of `module`, or why it cannot.
fn linker(
    store: &mut Store<Host>,
    module: &Module,
    wasm_tag: Tag,
    js_tag: Tag,
) -> Result<Linker<Host>, Rejected> {
    let mut linker = Linker::new(store.engine());
    let reject = |i: &weft::ImportType| Rejected(format!("import {}.{}", i.module, i.name));
    for import in module.imports() {
        let defined = match (import.module.as_str(), import.name.as_str(), &import.ty) {
            ("fuzzing-support", name, ExternType::Func(ty)) => {
                let f = fuzzing_support(name).ok_or_else(|| reject(&import))?;
                linker.func_new(&import.module, &import.name, ty.clone(), f)
            }
            ("fuzzing-support", "wasmtag", ExternType::Tag(_)) => {
                linker.define(&*store, &import.module, &import.name, wasm_tag)
            }
            ("fuzzing-support", "jstag", ExternType::Tag(_)) => {
                linker.define(&*store, &import.module, &import.name, js_tag)
            }
            (m, n, ExternType::Global(ty))
                if ty.mutability == Mutability::Const
                    && matches!(ty.content, ValType::Ref(r) if r.heap == HeapType::Extern) =>
            {
                let payload = Payload(global_payload(m, n));
                let r = ExternRef::new(&mut *store, payload)
                    .map_err(|e| Rejected(format!("externref: {e}")))?;
                let g = Global::new(
                    &mut *store,
                    GlobalType::new(ty.content, Mutability::Const),
                    Val::ExternRef(Some(r)),
                )
                .map_err(|e| Rejected(format!("global import: {e}")))?;
                linker.define(&*store, m, n, g)
            }
            _ => return Err(reject(&import)),
        };
        defined.map_err(|e| Rejected(format!("define import: {e}")))?;
    }
    Ok(linker)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `wat` through the harness and renders weft's events.
    fn events(wat: &str) -> Vec<String> {
        let patched = crate::patch::export_tags(&wat::parse_str(wat).unwrap()).unwrap();
        let mut config = weft::Config::new();
        config.consume_fuel(true);
        let lines = run(&Engine::new(&config), &patched, 1_000_000).unwrap();
        lines.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn no_exports_object_during_instantiation() {
        let wat = r#"(module
            (import "fuzzing-support" "table-get" (func $tget (param i32) (result funcref)))
            (import "fuzzing-support" "call-ref" (func $cref (param funcref i32)))
            (import "fuzzing-support" "log-i32" (func $log (param i32)))
            (table $t 1 funcref)
            (export "table" (table $t))
            (func $f (export "f") (call $log (i32.const 42)))
            (func $start
                (block $b (try_table (catch_all $b)
                    (drop (call $tget (i32.const 0)))
                    (call $log (i32.const 2))))
                (call $cref (ref.func $f) (i32.const 0)))
            (start $start))"#;
        assert_eq!(
            events(wat),
            [
                "[LoggingExternalInterface logging 42]",
                "[fuzz-exec] export f",
                "[LoggingExternalInterface logging 42]",
            ]
        );
    }

    #[test]
    fn exceptions_logs_and_results() {
        let wat = r#"(module
            (import "fuzzing-support" "throw" (func $throw (param i32)))
            (import "fuzzing-support" "log-i64" (func $log (param i64)))
            (import "fuzzing-support" "call-export-catch" (func $catch (param i32) (result i32)))
            (import "__fuzz_import" "extern$" (global $g externref))
            (tag (param f64))
            (func (export "js") (call $throw (i32.const 0)))
            (func (export "wasm") (call $throw (i32.const 7)))
            (func (export "own") (throw 0 (f64.const 2.5)))
            (func (export "caught") (result i32 externref anyref)
                (call $log (i64.const -4294967296))
                (call $catch (i32.const 0))
                (global.get $g)
                (ref.i31 (i32.const -1))))"#;
        assert_eq!(
            events(wat),
            [
                "[fuzz-exec] export js",
                "[exception thrown: imported-js-tag jserror]",
                "[fuzz-exec] export wasm",
                "[exception thrown: imported-wasm-tag 7]",
                "[fuzz-exec] export own",
                "[exception thrown: tag$ 2.5]",
                "[fuzz-exec] export caught",
                "[LoggingExternalInterface logging 0 -1]",
                "[fuzz-exec] note result: caught => 1 externref(105) i31ref(-1)",
            ]
        );
    }

    #[test]
    fn imported_global_payloads() {
        // binaryen printed `externref(105)` for `__fuzz_import.extern$`.
        assert_eq!(global_payload("__fuzz_import", "extern$"), 105);
    }
}
