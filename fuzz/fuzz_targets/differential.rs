//! Differential execution: weft against wasmi 2.0 on wasm-smith modules
//! restricted to what both execute (MVP, bulk memory, reference types,
//! multi-value, sign extension, saturating conversions, tail calls,
//! extended const, multi-memory, memory64, SIMD; no relaxed SIMD, NaNs
//! canonicalized by wasm-smith).
//!
//! Both instantiate the same module with the same imports (host functions
//! returning defaults; memories, tables and globals at their minimum with
//! default contents), the same resource limits and the same amount of
//! fuel, then call every exported function in the same order with the
//! same arguments. After instantiation and after every call they must
//! agree on: success or trap, the trap kind (mapped between the two
//! runtimes' vocabularies), the results bit for bit (references: only
//! null or not), and the contents of every exported memory, global and
//! table (tables: size and which elements are null).
//!
//! Running out of fuel or stack on either side is "inconclusive": the two
//! count differently, so the comparison stops there for this input.
//!
//! Half the inputs are instead programs that move several values along
//! one edge, checked against their generator's model (see
//! [`branch_moves`]): wasm-smith rarely writes the shapes where such moves
//! overlap.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use weft_fuzz::dbg_log;

/// Fuel for instantiation and for each call, on both sides. Instrumented
/// fuzz builds run a few million instructions per second per runtime, so
/// 100k keeps an input that loops forever to ~50 ms.
const FUEL: u64 = 100_000;
/// The store limits on both sides.
const MEMORY_LIMIT: usize = 4 << 20;
const TABLE_LIMIT: usize = 10_000;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    if u.ratio(1, 2).unwrap_or(false) {
        branch_moves(&mut u);
        return;
    }
    let Ok(config) = weft_fuzz::differential_smith_config(&mut u) else {
        return;
    };
    let Ok(module) = wasm_smith::Module::new(config, &mut u) else {
        return;
    };
    let bytes = module.to_bytes();
    weft_fuzz::with_big_stack(|| run(&bytes, &mut u));
});

/// Half the inputs: a program whose one control-flow edge carries several
/// values (`weft_testgen::branch_moves`: every branch kind to blocks, a
/// loop with parameters and the function, returns, block ends, calls and
/// tail calls, exception payloads; locals permuted and duplicated). weft's
/// results and path must match the generator's model. wasmi is not asked:
/// the model is the better oracle here, and wasmi 2.0 gets some of these
/// programs wrong (README, "Known disagreements").
fn branch_moves(u: &mut Unstructured<'_>) {
    use weft_testgen::branch_moves::{Edge, generate};
    let mut choices = weft_fuzz::InputChoices(u);
    let edge = weft_testgen::one_of(&mut choices, &Edge::ALL);
    let taken = weft_testgen::Choose::flip(&mut choices);
    let arity = 1 + weft_testgen::Choose::below(&mut choices, 4) as usize;
    let case = generate(edge, taken, arity, &mut choices);
    dbg_log!(
        "branch moves: {edge:?} taken={taken} arity={arity}\n{}",
        case.wat
    );
    let bytes = wat::parse_str(&case.wat).expect("generated programs are valid");

    let mut config = weft::Config::new();
    config.consume_fuel(true);
    let engine = weft::Engine::new(&config);
    let module = weft::Module::from_binary(&engine, &bytes).expect("weft compiles it");
    let mut store = weft::Store::new(&engine, ());
    store.set_fuel(FUEL).expect("fuel is enabled");
    let inst = weft::Linker::new(&engine)
        .instantiate(&mut store, &module)
        .expect("no imports, no traps at instantiation");
    let func = inst.get_func(&store, "f").expect("export f");
    let args: Vec<weft::Val> = case.args.iter().map(|v| to_weft(*v)).collect();
    let mut results = vec![weft::Val::I32(0); case.results.len()];
    func.call(&mut store, &args, &mut results)
        .expect("the program does not trap");
    let got: Vec<Value> = results.iter().map(from_weft).collect();
    let want: Vec<Value> = case
        .results
        .iter()
        .map(|v| from_weft(&to_weft(*v)))
        .collect();
    assert_eq!(got, want, "results differ from the model (left: weft)");
    let marker = inst.get_global(&store, "w").expect("export w").get(&store);
    assert_eq!(
        from_weft(&marker),
        Value::I32(case.marker as u32),
        "control went elsewhere than the model says (left: weft)"
    );
}

fn to_weft(v: weft_testgen::Value) -> weft::Val {
    match v {
        weft_testgen::Value::I32(x) => weft::Val::I32(x as i32),
        weft_testgen::Value::I64(x) => weft::Val::I64(x as i64),
        weft_testgen::Value::V128(x) => weft::Val::V128(x),
    }
}

/// A value as both runtimes can report it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    I32(u32),
    I64(u64),
    F32(u32),
    F64(u64),
    V128(u128),
    /// A reference: whether it is null.
    Ref {
        null: bool,
    },
}

/// The trap kinds both runtimes know, in one vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrapClass {
    Unreachable,
    MemoryOutOfBounds,
    /// Table access out of bounds, including `call_indirect` past the end
    /// (weft: "undefined element"; wasmi: `TableOutOfBounds`).
    TableOutOfBounds,
    /// `call_indirect` to a null entry.
    IndirectCallToNull,
    IndirectCallTypeMismatch,
    IntegerOverflow,
    IntegerDivisionByZero,
    InvalidConversionToInteger,
    GrowthRefused,
    /// A trap without a counterpart (the debug string says which).
    Other(&'static str),
}

// The strings are read through `Debug` in panic messages.
#[allow(dead_code)]
#[derive(Debug)]
enum Outcome {
    Ok(Vec<Value>),
    Trap(TrapClass),
    /// Fuel or stack ran out: the runtimes legitimately differ.
    Inconclusive(String),
    /// A failure that is not a trap (should not happen for calls).
    Error(String),
}

fn weft_outcome(r: weft::Result<Vec<Value>>) -> Outcome {
    match r {
        Ok(v) => Outcome::Ok(v),
        Err(weft::Error::Trap(t)) => {
            use weft::TrapKind as K;
            Outcome::Trap(match t.kind() {
                K::OutOfFuel | K::StackExhausted => {
                    return Outcome::Inconclusive(format!("weft: {}", t.kind()));
                }
                K::Unreachable => TrapClass::Unreachable,
                K::MemoryOutOfBounds => TrapClass::MemoryOutOfBounds,
                K::TableOutOfBounds | K::UndefinedElement => TrapClass::TableOutOfBounds,
                K::UninitializedElement => TrapClass::IndirectCallToNull,
                K::IndirectCallTypeMismatch => TrapClass::IndirectCallTypeMismatch,
                K::IntegerOverflow => TrapClass::IntegerOverflow,
                K::IntegerDivisionByZero => TrapClass::IntegerDivisionByZero,
                K::InvalidConversionToInteger => TrapClass::InvalidConversionToInteger,
                K::GrowthRefused => TrapClass::GrowthRefused,
                other => TrapClass::Other(other.message()),
            })
        }
        Err(e) => Outcome::Error(format!("weft: {e}")),
    }
}

fn wasmi_outcome(r: Result<Vec<Value>, wasmi::Error>) -> Outcome {
    match r {
        Ok(v) => Outcome::Ok(v),
        Err(e) => match e.as_trap_code() {
            Some(code) => {
                use wasmi::TrapCode as C;
                Outcome::Trap(match code {
                    C::OutOfFuel | C::StackOverflow => {
                        return Outcome::Inconclusive(format!("wasmi: {code:?}"));
                    }
                    C::UnreachableCodeReached => TrapClass::Unreachable,
                    C::MemoryOutOfBounds => TrapClass::MemoryOutOfBounds,
                    C::TableOutOfBounds => TrapClass::TableOutOfBounds,
                    C::IndirectCallToNull => TrapClass::IndirectCallToNull,
                    C::BadSignature => TrapClass::IndirectCallTypeMismatch,
                    C::IntegerOverflow => TrapClass::IntegerOverflow,
                    C::IntegerDivisionByZero => TrapClass::IntegerDivisionByZero,
                    C::BadConversionToInteger => TrapClass::InvalidConversionToInteger,
                    C::GrowthOperationLimited => TrapClass::GrowthRefused,
                    other => TrapClass::Other(other.trap_message()),
                })
            }
            None => Outcome::Error(format!("wasmi: {e}")),
        },
    }
}

fn from_weft(v: &weft::Val) -> Value {
    match v {
        weft::Val::I32(x) => Value::I32(*x as u32),
        weft::Val::I64(x) => Value::I64(*x as u64),
        weft::Val::F32(x) => Value::F32(*x),
        weft::Val::F64(x) => Value::F64(*x),
        weft::Val::V128(x) => Value::V128(*x),
        weft::Val::FuncRef(f) => Value::Ref { null: f.is_none() },
        weft::Val::ExternRef(e) => Value::Ref { null: e.is_none() },
        #[allow(unreachable_patterns)]
        other => panic!("unexpected weft value in a differential module: {other:?}"),
    }
}

fn from_wasmi(v: &wasmi::Val) -> Value {
    match v {
        wasmi::Val::I32(x) => Value::I32(*x as u32),
        wasmi::Val::I64(x) => Value::I64(*x as u64),
        wasmi::Val::F32(x) => Value::F32(x.to_bits()),
        wasmi::Val::F64(x) => Value::F64(x.to_bits()),
        wasmi::Val::V128(x) => Value::V128(x.as_u128()),
        wasmi::Val::FuncRef(f) => Value::Ref { null: f.is_null() },
        wasmi::Val::ExternRef(e) => Value::Ref { null: e.is_null() },
    }
}

fn to_wasmi(v: &weft::Val) -> wasmi::Val {
    match v {
        weft::Val::I32(x) => wasmi::Val::I32(*x),
        weft::Val::I64(x) => wasmi::Val::I64(*x),
        weft::Val::F32(x) => wasmi::Val::F32(wasmi::F32::from_bits(*x)),
        weft::Val::F64(x) => wasmi::Val::F64(wasmi::F64::from_bits(*x)),
        weft::Val::V128(x) => wasmi::Val::V128(wasmi::V128::from(*x)),
        weft::Val::FuncRef(None) => wasmi::Val::FuncRef(wasmi::Nullable::Null),
        weft::Val::ExternRef(None) => wasmi::Val::ExternRef(wasmi::Nullable::Null),
        other => panic!("the harness passes only null references, not {other:?}"),
    }
}

struct WasmiHost {
    limits: wasmi::StoreLimits,
}

/// The exported state of one instance, for comparison.
#[derive(Debug, PartialEq, Eq)]
enum ExportState {
    Memory(Vec<u8>),
    Global(Value),
    /// Size, and which of the first elements are null.
    Table(u64, Vec<bool>),
}

const TABLE_PREFIX: u64 = 1_000;

fn run(bytes: &[u8], u: &mut Unstructured<'_>) {
    weft_fuzz::debug_print_module(bytes);

    // --- weft ---
    let knobs = weft_fuzz::ExecKnobs {
        fuel: FUEL,
        max_wasm_stack: None,
        memory_limit: MEMORY_LIMIT,
        table_limit: TABLE_LIMIT,
        trap_on_grow_failure: false,
        epoch_deadline: None,
        eager_translation: u.arbitrary().unwrap_or(false),
    };
    let mut weft_config = weft_fuzz::weft_config(&knobs);
    weft_config
        .wasm_relaxed_simd(false)
        .wasm_gc(false)
        .wasm_function_references(false);
    let engine = weft::Engine::new(&weft_config);
    let module = match weft::Module::from_binary(&engine, bytes) {
        Ok(m) => m,
        Err(e) => panic!("weft cannot compile a module wasmi's feature set allows: {e}"),
    };
    let mut store = weft_fuzz::weft_store(&engine, &knobs);
    let linker = weft_fuzz::weft_linker(&mut store, &module);

    // --- wasmi ---
    let mut wconfig = wasmi::Config::default();
    wconfig
        .consume_fuel(true)
        .wasm_multi_value(true)
        .wasm_multi_memory(true)
        .wasm_bulk_memory(true)
        .wasm_reference_types(true)
        .wasm_tail_call(true)
        .wasm_extended_const(true)
        .wasm_memory64(true)
        .wasm_simd(true)
        .wasm_relaxed_simd(false)
        .wasm_sign_extension(true)
        .wasm_saturating_float_to_int(true);
    let wengine = wasmi::Engine::new(&wconfig);
    let wmodule = match wasmi::Module::new(&wengine, bytes) {
        Ok(m) => m,
        Err(e) => panic!("wasmi cannot compile a module weft accepts: {e}"),
    };
    let mut wstore = wasmi::Store::new(
        &wengine,
        WasmiHost {
            limits: wasmi::StoreLimitsBuilder::new()
                .memory_size(MEMORY_LIMIT)
                .table_elements(TABLE_LIMIT)
                .build(),
        },
    );
    wstore.limiter(|h| &mut h.limits);
    wstore.set_fuel(FUEL).expect("fuel is enabled");
    let mut wlinker = wasmi::Linker::<WasmiHost>::new(&wengine);
    // A module may import the same name twice (with the same or another
    // type); the last definition wins, as in `weft_fuzz::weft_linker`.
    wlinker.allow_shadowing(true);
    for import in wmodule.imports() {
        let item: Option<wasmi::Extern> = match import.ty() {
            wasmi::ExternType::Func(ty) => {
                let results = ty.results().to_vec();
                Some(
                    wasmi::Func::new(&mut wstore, ty.clone(), move |_, _, out| {
                        for (o, t) in out.iter_mut().zip(&results) {
                            *o = wasmi::Val::default_for_ty(*t);
                        }
                        Ok(())
                    })
                    .into(),
                )
            }
            wasmi::ExternType::Memory(ty) => {
                wasmi::Memory::new(&mut wstore, *ty).ok().map(Into::into)
            }
            wasmi::ExternType::Table(ty) => {
                let init = match ty.element() {
                    wasmi::RefType::Func => wasmi::Ref::Func(wasmi::Nullable::Null),
                    wasmi::RefType::Extern => wasmi::Ref::Extern(wasmi::Nullable::Null),
                };
                wasmi::Table::new(&mut wstore, *ty, init)
                    .ok()
                    .map(Into::into)
            }
            wasmi::ExternType::Global(ty) => Some(
                wasmi::Global::new(
                    &mut wstore,
                    wasmi::Val::default_for_ty(ty.content()),
                    ty.mutability(),
                )
                .into(),
            ),
        };
        match item {
            Some(item) => {
                wlinker
                    .define(import.module(), import.name(), item)
                    .expect("shadowing is allowed");
            }
            // One side could not create an import (e.g. the memory limit);
            // the instantiations are not comparable.
            None => return,
        }
    }
    // Both sides must have made every import (weft's linker leaves an
    // import undefined when it cannot create it).
    for import in module.imports() {
        if linker
            .get(&mut store, &import.module, &import.name)
            .is_none()
        {
            return;
        }
    }

    // --- instantiate ---
    let inst = linker.instantiate(&mut store, &module);
    let winst = wlinker.instantiate_and_start(&mut wstore, &wmodule);
    let (inst, winst) = match (inst, winst) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            let wo = weft_outcome(a.map(|_| vec![]));
            let io = wasmi_outcome(b.map(|_| vec![]));
            dbg_log!("instantiation: weft {wo:?} / wasmi {io:?}");
            compare_outcomes("instantiation", &wo, &io);
            return;
        }
    };
    compare_state("instantiation", &module, &inst, &store, &winst, &wstore);

    // --- calls ---
    for export in module.exports() {
        let weft::ExternType::Func(ty) = &export.ty else {
            continue;
        };
        let name = export.name.as_str();
        let Some(args) = weft_fuzz::weft_args(u, ty.params()) else {
            continue;
        };
        let wargs: Vec<wasmi::Val> = args.iter().map(to_wasmi).collect();

        let func = inst.get_func(&store, name).expect("exported function");
        let wfunc = winst.get_func(&wstore, name).expect("exported function");

        store.set_fuel(FUEL).expect("fuel is enabled");
        wstore.set_fuel(FUEL).expect("fuel is enabled");

        let mut results: Vec<weft::Val> = ty
            .results()
            .iter()
            .map(|t| weft::Val::default_for(*t).expect("defaultable result"))
            .collect();
        let r = func
            .call(&mut store, &args, &mut results)
            .map(|()| results.iter().map(from_weft).collect());
        let wo = weft_outcome(r);
        if let Outcome::Inconclusive(why) = &wo {
            // No need to run wasmi: the comparison ends here either way.
            dbg_log!("{name}({args:?}): {why}");
            return;
        }

        let wty = wfunc.ty(&wstore);
        let mut wresults: Vec<wasmi::Val> = wty
            .results()
            .iter()
            .map(|t| wasmi::Val::default_for_ty(*t))
            .collect();
        let r = wfunc
            .call(&mut wstore, &wargs, &mut wresults)
            .map(|()| wresults.iter().map(from_wasmi).collect());
        let io = wasmi_outcome(r);

        dbg_log!("{name}({args:?}): weft {wo:?} / wasmi {io:?}");
        if !compare_outcomes(name, &wo, &io) {
            return;
        }
        compare_state(name, &module, &inst, &store, &winst, &wstore);
    }
}

/// Panics if the outcomes differ; false if the comparison must stop
/// (inconclusive).
fn compare_outcomes(what: &str, weft: &Outcome, wasmi: &Outcome) -> bool {
    match (weft, wasmi) {
        (Outcome::Inconclusive(_), _) | (_, Outcome::Inconclusive(_)) => false,
        (Outcome::Ok(a), Outcome::Ok(b)) => {
            assert_eq!(a, b, "{what}: results differ (left: weft, right: wasmi)");
            true
        }
        (Outcome::Trap(a), Outcome::Trap(b)) => {
            assert_eq!(a, b, "{what}: trap kinds differ (left: weft, right: wasmi)");
            true
        }
        // Instantiation may fail without a trap (e.g. the limiter refusing
        // a memory's minimum size), and wasmi reports out-of-bounds segment
        // initialisation as an instantiation error rather than a trap code:
        // both failing is agreement.
        (Outcome::Error(_) | Outcome::Trap(_), Outcome::Error(_) | Outcome::Trap(_))
            if what == "instantiation" =>
        {
            false
        }
        (a, b) => panic!("{what}: outcomes differ: weft {a:?}, wasmi {b:?}"),
    }
}

fn compare_state(
    what: &str,
    module: &weft::Module,
    inst: &weft::Instance,
    store: &weft::Store<()>,
    winst: &wasmi::Instance,
    wstore: &wasmi::Store<WasmiHost>,
) {
    for export in module.exports() {
        let name = export.name.as_str();
        let (a, b) = match export.ty {
            weft::ExternType::Memory(_) => {
                let m = inst.get_memory(store, name).unwrap();
                let wm = winst.get_memory(wstore, name).unwrap();
                (
                    ExportState::Memory(m.data(store).to_vec()),
                    ExportState::Memory(wm.data(wstore).to_vec()),
                )
            }
            weft::ExternType::Global(_) => {
                let g = inst.get_global(store, name).unwrap();
                let wg = winst.get_global(wstore, name).unwrap();
                (
                    ExportState::Global(from_weft(&g.get(store))),
                    ExportState::Global(from_wasmi(&wg.get(wstore))),
                )
            }
            weft::ExternType::Table(_) => {
                let t = inst.get_table(store, name).unwrap();
                let wt = winst.get_table(wstore, name).unwrap();
                let n = t.size(store);
                let wn = wt.size(wstore);
                let nulls: Vec<bool> = (0..n.min(TABLE_PREFIX))
                    .map(|i| t.get(store, i).map(|r| r.is_null()).unwrap_or(true))
                    .collect();
                let wnulls: Vec<bool> = (0..wn.min(TABLE_PREFIX))
                    .map(|i| wt.get(wstore, i).map(|r| r.is_null()).unwrap_or(true))
                    .collect();
                (ExportState::Table(n, nulls), ExportState::Table(wn, wnulls))
            }
            _ => continue,
        };
        if a != b {
            let detail = match (&a, &b) {
                (ExportState::Memory(x), ExportState::Memory(y)) if x.len() == y.len() => {
                    let first = x.iter().zip(y).position(|(p, q)| p != q).unwrap();
                    format!(
                        "memory {name} differs first at byte {first:#x}: weft {:02x?} wasmi {:02x?}",
                        &x[first..(first + 16).min(x.len())],
                        &y[first..(first + 16).min(y.len())]
                    )
                }
                (ExportState::Memory(x), ExportState::Memory(y)) => {
                    format!(
                        "memory {name} sizes differ: weft {} wasmi {}",
                        x.len(),
                        y.len()
                    )
                }
                _ => format!("export {name}: weft {a:?} wasmi {b:?}"),
            };
            panic!("after {what}: {detail}");
        }
    }
}
