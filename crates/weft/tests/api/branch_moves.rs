//! Edges that carry several values (branches of every kind, returns, block
//! ends, calls, tail calls, exception payloads), taken and not taken, with
//! 1 to 4 values that are locals (permuted, duplicated), operands and
//! constants: each generated program's results and path are checked against
//! the model that generated it (`weft_testgen::branch_moves`).

use super::*;
use weft_testgen::branch_moves::{Case, Edge, generate};
use weft_testgen::{SplitMix64, Value};

/// Programs per edge kind, direction and arity.
const SEEDS: u64 = 40;

fn to_val(v: Value) -> Val {
    match v {
        Value::I32(x) => Val::I32(x as i32),
        Value::I64(x) => Val::I64(x as i64),
        Value::V128(x) => Val::V128(x),
    }
}

fn same(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::I32(x), Val::I32(y)) => x == y,
        (Val::I64(x), Val::I64(y)) => x == y,
        (Val::V128(x), Val::V128(y)) => x == y,
        _ => false,
    }
}

/// Runs `case` on `engine`; returns a description of what went wrong, if
/// anything.
fn check(case: &Case, engine: &Engine) -> Result<(), String> {
    let module = Module::new(engine, &case.wat).map_err(|e| format!("compile: {e}"))?;
    let mut store = Store::new(engine, ());
    // Only engines that count fuel accept it.
    let _ = store.set_fuel(1_000_000);
    let inst = Linker::new(engine)
        .instantiate(&mut store, &module)
        .map_err(|e| format!("instantiate: {e}"))?;
    let f = inst.get_func(&store, "f").ok_or("no export f")?;
    let args: Vec<Val> = case.args.iter().map(|v| to_val(*v)).collect();
    let mut out = vec![Val::I32(0); case.results.len()];
    f.call(&mut store, &args, &mut out)
        .map_err(|e| format!("call: {e}"))?;
    let want: Vec<Val> = case.results.iter().map(|v| to_val(*v)).collect();
    if !out.iter().zip(&want).all(|(a, b)| same(a, b)) {
        return Err(format!("results {out:?}, expected {want:?}"));
    }
    let w = inst.get_global(&store, "w").ok_or("no export w")?;
    match w.get(&store) {
        Val::I32(m) if m == case.marker => Ok(()),
        other => Err(format!("marker {other:?}, expected {}", case.marker)),
    }
}

#[test]
fn every_edge_moves_its_values_right() {
    let plain = Engine::default();
    let fuel = Engine::new(Config::new().consume_fuel(true));
    let mut failures = Vec::new();
    let mut ran = 0;
    for edge in Edge::ALL {
        for taken in [true, false] {
            if !taken && !edge.is_conditional() {
                continue;
            }
            for arity in 1..=4 {
                for seed in 0..SEEDS {
                    let mut rng = SplitMix64(seed * 7919 + arity as u64);
                    let case = generate(edge, taken, arity, &mut rng);
                    // Fuel adds instructions at every block: run some cases
                    // with it, since it changes what the translator emits.
                    let engine = if seed % 4 == 3 { &fuel } else { &plain };
                    ran += 1;
                    if let Err(why) = check(&case, engine) {
                        failures.push(format!(
                            "{edge:?} taken={taken} arity={arity} seed={seed}: {why}\n{}\nargs {:?}",
                            case.wat, case.args
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} programs failed; the first:\n{}",
        failures.len(),
        failures[0]
    );
}

/// The program from the report that found the bug: a `br_if` to the
/// function's label with results `(l0, l0)`, not taken.
#[test]
fn br_if_to_the_function_not_taken_keeps_duplicated_locals() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module (func (export "f") (param i32 i32) (result i32 i32)
            local.get 0  local.get 0  local.get 1  br_if 0))"#,
    );
    let f = inst
        .get_typed_func::<(i32, i32), (i32, i32)>(&store, "f")
        .unwrap();
    assert_eq!(f.call(&mut store, (21, 0)).unwrap(), (21, 21));
    assert_eq!(f.call(&mut store, (21, 1)).unwrap(), (21, 21));
}
