//! Untrusted bytes as a component: `Component::from_binary` (validate and
//! translate) returns `Ok` or `Err`, never panics; a component that
//! compiles is instantiated with every import stubbed (functions that
//! trap), and each exported function is called with arbitrary arguments of
//! its parameter types under fuel. Every outcome is `Ok` or an error,
//! never a panic, abort or hang.
//!
//! wasm-smith makes no components, so the input is raw bytes: seed the
//! corpus with the component-model suite's components (see README.md).

#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use weft_component::{Component, Linker, Type, Val};

fuzz_target!(|data: &[u8]| {
    let split = data.len() / 2;
    let (bytes, choices) = data.split_at(split);
    weft_fuzz::debug_print_module(bytes);
    let mut config = weft::Config::new();
    config.consume_fuel(true);
    if choices.first().is_some_and(|c| c & 1 == 1) {
        config.compilation_mode(weft::CompilationMode::Eager);
    }
    let engine = weft::Engine::new(&config);
    let Ok(component) = Component::from_binary(&engine, bytes) else {
        return;
    };
    let mut linker = Linker::<()>::new(&engine);
    if linker.define_unknown_imports_as_traps(&component).is_err() {
        return;
    }
    let mut store = weft::Store::new(&engine, ());
    let _ = store.set_fuel(100_000);
    let Ok(instance) = linker.instantiate(&mut store, &component) else {
        return;
    };
    let mut u = Unstructured::new(choices);
    let names: Vec<String> = instance.export_names().map(str::to_string).collect();
    for name in names {
        let Some(func) = instance.get_func(&store, &name) else {
            continue;
        };
        let Ok(args) = func
            .params()
            .iter()
            .map(|t| value(&mut u, t, 0))
            .collect::<Result<Vec<_>>>()
        else {
            return;
        };
        let mut results = vec![Val::Bool(false); func.results().len()];
        let _ = store.set_fuel(100_000);
        let _ = func.call(&mut store, &args, &mut results);
    }
});

/// An arbitrary value of type `ty` (resources become unit-like errors
/// avoided by returning a bool, which the call refuses cleanly).
fn value(u: &mut Unstructured<'_>, ty: &Type, depth: u32) -> Result<Val> {
    let small = |u: &mut Unstructured<'_>| u.int_in_range(0..=if depth > 3 { 0 } else { 4 });
    Ok(match ty {
        Type::Bool => Val::Bool(u.arbitrary()?),
        Type::S8 => Val::S8(u.arbitrary()?),
        Type::U8 => Val::U8(u.arbitrary()?),
        Type::S16 => Val::S16(u.arbitrary()?),
        Type::U16 => Val::U16(u.arbitrary()?),
        Type::S32 => Val::S32(u.arbitrary()?),
        Type::U32 => Val::U32(u.arbitrary()?),
        Type::S64 => Val::S64(u.arbitrary()?),
        Type::U64 => Val::U64(u.arbitrary()?),
        Type::Float32 => Val::Float32(u.arbitrary()?),
        Type::Float64 => Val::Float64(u.arbitrary()?),
        Type::Char => Val::Char(u.arbitrary()?),
        Type::String => Val::String(u.arbitrary()?),
        Type::List(t) => Val::List(
            (0..small(u)?)
                .map(|_| value(u, t, depth + 1))
                .collect::<Result<_>>()?,
        ),
        Type::Map(k, v) => Val::Map(
            (0..small(u)?)
                .map(|_| Ok((value(u, k, depth + 1)?, value(u, v, depth + 1)?)))
                .collect::<Result<_>>()?,
        ),
        Type::Record(fs) => Val::Record(
            fs.iter()
                .map(|(n, t)| Ok((n.clone(), value(u, t, depth + 1)?)))
                .collect::<Result<_>>()?,
        ),
        Type::Tuple(ts) => Val::Tuple(
            ts.iter()
                .map(|t| value(u, t, depth + 1))
                .collect::<Result<_>>()?,
        ),
        Type::Variant(cs) if !cs.is_empty() => {
            let (n, t) = u.choose(cs)?;
            let payload = match t {
                Some(t) => Some(Box::new(value(u, t, depth + 1)?)),
                None => None,
            };
            Val::Variant(n.clone(), payload)
        }
        Type::Enum(names) if !names.is_empty() => Val::Enum(u.choose(names)?.clone()),
        Type::Option(t) => Val::Option(if u.arbitrary()? {
            Some(Box::new(value(u, t, depth + 1)?))
        } else {
            None
        }),
        Type::Result { ok, err } => {
            let payload = |u: &mut Unstructured<'_>, t: &Option<Box<Type>>| -> Result<_> {
                t.as_deref()
                    .map(|t| value(u, t, depth + 1).map(Box::new))
                    .transpose()
            };
            Val::Result(if u.arbitrary()? {
                Ok(payload(u, ok)?)
            } else {
                Err(payload(u, err)?)
            })
        }
        Type::Flags(names) => Val::Flags(
            names
                .iter()
                .filter(|_| u.arbitrary().unwrap_or(false))
                .cloned()
                .collect(),
        ),
        // No resource to pass: a value of the wrong type, which the call
        // must refuse with an error.
        _ => Val::Bool(false),
    })
}
