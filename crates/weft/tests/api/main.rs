//! Integration tests of weft's embedding API: compiling and validating
//! modules, stores and host data, host functions and re-entrancy, typed and
//! dynamic calls, cross-store misuse, linking, traps with backtraces, stack
//! limits, the memory/table/global handles, externrefs, one long-running
//! loop proving the threaded dispatch keeps the host stack flat, and the
//! controls on untrusted code (fuel, epochs, resource limiters), and (in
//! `acc.rs`) the executor's accumulator register.

mod acc;

use std::panic::{AssertUnwindSafe, catch_unwind};
use weft::{
    Caller, Config, Engine, Error, Extern, ExternRef, ExternType, Func, FuncType, Global,
    GlobalType, Instance, LinkError, Linker, Memory, MemoryType, Module, Mutability, Ref, RefType,
    Store, Table, TableType, Trap, TrapKind, TypedFunc, Val, ValType,
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Compiles `wat` and instantiates it with an empty linker.
fn instantiate<T: 'static>(store: &mut Store<T>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).expect("module compiles");
    Linker::new(store.engine())
        .instantiate(store, &module)
        .expect("module instantiates")
}

/// The trap inside `e`, or a panic naming what the error was instead.
fn trap_of(e: &Error) -> &Trap {
    e.as_trap()
        .unwrap_or_else(|| panic!("expected a trap, got {e:?}"))
}

/// Calls the export `name` (no params, at most one result) expecting a trap.
fn trap_kind_of_call<T: 'static>(store: &mut Store<T>, inst: Instance, name: &str) -> TrapKind {
    let f = inst.get_func(&*store, name).expect("export exists");
    let n = f.ty(&*store).results().len();
    let mut out = vec![Val::I32(0); n];
    let err = f
        .call(&mut *store, &[], &mut out)
        .expect_err("call must trap");
    trap_of(&err).kind()
}

/// `(module (func (export "f") (result i32) i32.const 7))` in the binary format.
const SEVEN_BINARY: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type section: () -> i32
    0x03, 0x02, 0x01, 0x00, // function section
    0x07, 0x05, 0x01, 0x01, b'f', 0x00, 0x00, // export "f" func 0
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b, // code: i32.const 7 end
];

/// Offset of the `i32.const` opcode in [`SEVEN_BINARY`].
const SEVEN_CONST_OFFSET: usize = 31;

// ---------------------------------------------------------------------------
// Modules
// ---------------------------------------------------------------------------

#[test]
fn module_from_text_and_binary() -> weft::Result<()> {
    let engine = Engine::default();
    let text = Module::new(
        &engine,
        r#"(module (func (export "f") (result i32) i32.const 7))"#,
    )?;
    let binary = Module::new(&engine, SEVEN_BINARY)?;
    let from_binary = Module::from_binary(&engine, SEVEN_BINARY)?;
    let via_wat = Module::new(
        &engine,
        wat::parse_str(r#"(module (func (export "f") (result i32) i32.const 7))"#)
            .expect("wat parses"),
    )?;
    for module in [text, binary, from_binary, via_wat] {
        assert!(Engine::same(module.engine(), &engine));
        let mut store = Store::new(&engine, ());
        let inst = Linker::new(&engine).instantiate(&mut store, &module)?;
        let f = inst.get_typed_func::<(), i32>(&store, "f")?;
        assert_eq!(f.call(&mut store, ())?, 7);
    }
    Ok(())
}

#[test]
fn module_text_syntax_error_is_text_error() {
    let engine = Engine::default();
    let err = Module::new(&engine, "(module (func (export \"f\") i32.cosnt 1))")
        .err()
        .expect("bad text must fail");
    assert!(matches!(err, Error::Text(_)), "got {err:?}");
}

#[test]
fn module_validate_good_and_bad_bytes() {
    let engine = Engine::default();
    Module::validate(&engine, SEVEN_BINARY).expect("valid module validates");
    let good = wat::parse_str(
        r#"(module (memory 1) (func (export "f") (param i32) (result i32)
             (i32.load (local.get 0))))"#,
    )
    .unwrap();
    Module::validate(&engine, &good).expect("valid module validates");

    // Bad magic: reported at offset 0.
    let mut bad_magic = SEVEN_BINARY.to_vec();
    bad_magic[1] = b'x';
    match Module::validate(&engine, &bad_magic) {
        Err(Error::Invalid { offset, .. }) => assert_eq!(offset, 0),
        other => panic!("expected Error::Invalid, got {other:?}"),
    }

    // Truncated module.
    let truncated = &SEVEN_BINARY[..SEVEN_BINARY.len() - 3];
    assert!(matches!(
        Module::validate(&engine, truncated),
        Err(Error::Invalid { .. })
    ));

    // A body that returns an i64 where i32 is declared: the offset points
    // into the function body, both for validate and for Module::new.
    let mut mistyped = SEVEN_BINARY.to_vec();
    mistyped[SEVEN_CONST_OFFSET] = 0x42; // i64.const
    for result in [
        Module::validate(&engine, &mistyped).err(),
        Module::new(&engine, &mistyped).err(),
        Module::from_binary(&engine, &mistyped).err(),
    ] {
        match result {
            Some(Error::Invalid { offset, message }) => {
                assert!(
                    (SEVEN_CONST_OFFSET..SEVEN_BINARY.len()).contains(&offset),
                    "offset {offset} not in the body ({message})"
                );
                assert!(message.contains("type mismatch"), "{message}");
            }
            other => panic!("expected Error::Invalid, got {other:?}"),
        }
    }
    let err = Module::new(&engine, &mistyped).err().unwrap();
    assert!(err.to_string().contains("offset"), "{err}");

    // Validation honours the engine's features.
    let tail = wat::parse_str("(module (func $f (return_call $f)))").unwrap();
    Module::validate(&engine, &tail).expect("tail calls on by default");
    let mut config = Config::new();
    config.wasm_tail_call(false);
    let no_tail = Engine::new(&config);
    assert!(matches!(
        Module::validate(&no_tail, &tail),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        Module::new(&no_tail, &tail),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn module_imports_and_exports_describe_types() -> weft::Result<()> {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module $described
            (import "env" "f" (func (param i32 f64) (result i64)))
            (import "env" "mem" (memory 1 2))
            (import "env" "tab" (table 3 funcref))
            (import "env" "g" (global (mut i32)))
            (func (export "h") (param externref) (result f32 i32) f32.const 1 i32.const 2)
            (memory (export "m") 2)
            (table (export "t") 1 5 externref)
            (global (export "c") f64 (f64.const 1.5))
            (export "f_again" (func 0)))"#,
    )?;
    assert_eq!(module.name(), Some("described"));

    let imports: Vec<_> = module.imports().collect();
    assert_eq!(imports.len(), 4);
    assert_eq!(
        (imports[0].module.as_str(), imports[0].name.as_str()),
        ("env", "f")
    );
    match &imports[0].ty {
        ExternType::Func(ty) => assert_eq!(
            *ty,
            FuncType::new([ValType::I32, ValType::F64], [ValType::I64])
        ),
        other => panic!("import 0 is {other:?}"),
    }
    match &imports[1].ty {
        ExternType::Memory(ty) => assert_eq!(*ty, MemoryType::new(1, Some(2))),
        other => panic!("import 1 is {other:?}"),
    }
    match &imports[2].ty {
        ExternType::Table(ty) => assert_eq!(*ty, TableType::new(RefType::FUNCREF, 3, None)),
        other => panic!("import 2 is {other:?}"),
    }
    match &imports[3].ty {
        ExternType::Global(ty) => {
            assert_eq!(*ty, GlobalType::new(ValType::I32, Mutability::Var))
        }
        other => panic!("import 3 is {other:?}"),
    }

    let exports: Vec<_> = module.exports().collect();
    let names: Vec<&str> = exports.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["h", "m", "t", "c", "f_again"]);
    match &exports[0].ty {
        ExternType::Func(ty) => assert_eq!(
            *ty,
            FuncType::new([ValType::EXTERNREF], [ValType::F32, ValType::I32])
        ),
        other => panic!("export h is {other:?}"),
    }
    match &exports[1].ty {
        ExternType::Memory(ty) => assert_eq!(*ty, MemoryType::new(2, None)),
        other => panic!("export m is {other:?}"),
    }
    match &exports[2].ty {
        ExternType::Table(ty) => {
            assert_eq!(*ty, TableType::new(RefType::EXTERNREF, 1, Some(5)))
        }
        other => panic!("export t is {other:?}"),
    }
    match &exports[3].ty {
        ExternType::Global(ty) => {
            assert_eq!(*ty, GlobalType::new(ValType::F64, Mutability::Const))
        }
        other => panic!("export c is {other:?}"),
    }
    match &exports[4].ty {
        ExternType::Func(ty) => assert_eq!(ty.results(), [ValType::I64]),
        other => panic!("export f_again is {other:?}"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Threads and sharing
// ---------------------------------------------------------------------------

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}

#[test]
fn engine_and_module_are_send_and_sync() {
    assert_send_sync::<Engine>();
    assert_send_sync::<Module>();
    assert_send_sync::<Config>();
    assert_send_sync::<Func>();
    assert_send_sync::<Error>();
    assert_send::<Store<()>>();
    assert_send::<Linker<()>>();
}

const COUNTER_WAT: &str = r#"(module
    (global $n (mut i32) (i32.const 0))
    (func (export "next") (result i32)
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (global.get $n)))"#;

#[test]
fn module_shared_by_two_stores_keeps_state_apart() -> weft::Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, COUNTER_WAT)?;
    let linker = Linker::new(&engine);
    let mut a = Store::new(&engine, ());
    let mut b = Store::new(&engine, ());
    let ia = linker.instantiate(&mut a, &module)?;
    let ib = linker.instantiate(&mut b, &module)?;
    let na = ia.get_typed_func::<(), i32>(&a, "next")?;
    let nb = ib.get_typed_func::<(), i32>(&b, "next")?;
    assert_eq!(na.call(&mut a, ())?, 1);
    assert_eq!(na.call(&mut a, ())?, 2);
    assert_eq!(nb.call(&mut b, ())?, 1);
    assert_eq!(na.call(&mut a, ())?, 3);
    // A second instance in the same store has its own global too.
    let ia2 = linker.instantiate(&mut a, &module)?;
    let na2 = ia2.get_typed_func::<(), i32>(&a, "next")?;
    assert_eq!(na2.call(&mut a, ())?, 1);
    Ok(())
}

#[test]
fn engine_and_module_used_from_other_threads() -> weft::Result<()> {
    let engine = Engine::default();
    let module = Module::new(&engine, COUNTER_WAT)?;

    // A module compiled here runs on other threads, concurrently.
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let engine = engine.clone();
            let module = module.clone();
            std::thread::spawn(move || -> weft::Result<i32> {
                let mut store = Store::new(&engine, ());
                let inst = Linker::new(&engine).instantiate(&mut store, &module)?;
                let next = inst.get_typed_func::<(), i32>(&store, "next")?;
                let mut last = 0;
                for _ in 0..100 {
                    last = next.call(&mut store, ())?;
                }
                Ok(last)
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread ran")?, 100);
    }

    // A module compiled on another thread runs here, in the same engine.
    let compiled = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            Module::new(
                &engine,
                r#"(module (func (export "sq") (param i64) (result i64)
                    (i64.mul (local.get 0) (local.get 0))))"#,
            )
        })
        .join()
        .expect("thread ran")?
    };
    assert!(Engine::same(compiled.engine(), &engine));
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &compiled)?;
    let sq = inst.get_typed_func::<i64, i64>(&store, "sq")?;
    assert_eq!(sq.call(&mut store, 12)?, 144);

    // A store with an instance moves to another thread.
    let moved = std::thread::spawn(move || sq.call(&mut store, 9))
        .join()
        .expect("thread ran")?;
    assert_eq!(moved, 81);
    Ok(())
}

#[test]
fn module_from_other_engine_is_refused() -> weft::Result<()> {
    let e1 = Engine::default();
    let e2 = Engine::default();
    assert!(!Engine::same(&e1, &e2));
    let module = Module::new(&e1, COUNTER_WAT)?;
    let mut store = Store::new(&e2, ());
    let err = Linker::new(&e2)
        .instantiate(&mut store, &module)
        .expect_err("cross-engine instantiation must fail");
    assert!(matches!(err, Error::Usage(_)), "{err:?}");
    Ok(())
}

// ---------------------------------------------------------------------------
// Store data and host functions
// ---------------------------------------------------------------------------

#[derive(Default, Debug)]
struct State {
    calls: u32,
    log: Vec<i64>,
}

#[test]
fn store_data_and_data_mut() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, State::default());
    assert_eq!(store.data().calls, 0);
    store.data_mut().calls = 5;
    store.data_mut().log.push(9);
    assert_eq!(store.data().calls, 5);
    assert!(Engine::same(store.engine(), &engine));
    let state = store.into_data();
    assert_eq!(state.log, [9]);
}

#[test]
fn host_functions_with_and_without_caller() -> weft::Result<()> {
    let engine = Engine::default();
    let mut linker = Linker::<State>::new(&engine);
    linker.func_wrap("env", "add", |a: i32, b: i32| a.wrapping_add(b))?;
    linker.func_wrap("env", "pair", |a: i64| (a as i32, a * 2))?;
    linker.func_wrap("env", "record", |mut caller: Caller<'_, State>, x: i64| {
        caller.data_mut().calls += 1;
        caller.data_mut().log.push(x);
        caller.data().calls as i32
    })?;
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "add" (func $add (param i32 i32) (result i32)))
            (import "env" "pair" (func $pair (param i64) (result i32 i64)))
            (import "env" "record" (func $record (param i64) (result i32)))
            (func (export "run") (param i32) (result i64)
                (local $p i64) (local $q i32)
                (drop (call $record (i64.extend_i32_s (local.get 0))))
                (drop (call $record (i64.const -3)))
                (call $pair (i64.const 21))
                (local.set $p)
                (local.set $q)
                (i64.add
                    (local.get $p)
                    (i64.extend_i32_s
                        (i32.add (local.get $q) (call $add (local.get 0) (i32.const 100)))))))"#,
    )?;
    let mut store = Store::new(&engine, State::default());
    let inst = linker.instantiate(&mut store, &module)?;
    let run = inst.get_typed_func::<i32, i64>(&store, "run")?;
    // pair(21) = (21, 42); add(5, 100) = 105.
    assert_eq!(run.call(&mut store, 5)?, 42 + (21 + 105));
    assert_eq!(store.data().calls, 2);
    assert_eq!(store.data().log, [5, -3]);
    store.data_mut().calls = 100;
    run.call(&mut store, 1)?;
    assert_eq!(store.data().calls, 102);
    assert_eq!(store.data().log, [5, -3, 1, -3]);
    Ok(())
}

#[test]
fn caller_get_export_reads_and_writes_guest_memory() -> weft::Result<()> {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<String>>::new(&engine);
    // Upper-cases the guest string in place and remembers it.
    linker.func_wrap(
        "env",
        "shout",
        |mut caller: Caller<'_, Vec<String>>, ptr: i32, len: i32| -> weft::Result<i32> {
            let mem = caller
                .get_export("memory")
                .and_then(Extern::into_memory)
                .ok_or_else(|| Error::host("no memory export"))?;
            assert!(caller.get_export("no_such_export").is_none());
            let mut buf = vec![0u8; len as usize];
            mem.read(&caller, ptr as usize, &mut buf)?;
            let text = String::from_utf8(buf).map_err(Error::host)?;
            mem.write(&mut caller, ptr as usize, text.to_uppercase().as_bytes())?;
            mem.data_mut(&mut caller)[ptr as usize + len as usize] = b'!';
            caller.data_mut().push(text);
            Ok(len + 1)
        },
    )?;
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "shout" (func $shout (param i32 i32) (result i32)))
            (memory (export "memory") 1)
            (data (i32.const 16) "hello weft")
            (func (export "run") (result i32)
                (call $shout (i32.const 16) (i32.const 10))))"#,
    )?;
    let mut store = Store::new(&engine, Vec::new());
    let inst = linker.instantiate(&mut store, &module)?;
    let run = inst.get_typed_func::<(), i32>(&store, "run")?;
    assert_eq!(run.call(&mut store, ())?, 11);
    let mem = inst.get_memory(&store, "memory").unwrap();
    assert_eq!(&mem.data(&store)[16..27], b"HELLO WEFT!");
    assert_eq!(store.data(), &["hello weft".to_string()]);
    Ok(())
}

#[test]
fn caller_get_export_sees_the_calling_instance() -> weft::Result<()> {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "peek", |mut caller: Caller<'_, ()>| -> i32 {
        match caller.get_export("memory") {
            Some(Extern::Memory(m)) => i32::from(m.data(&caller)[0]),
            _ => -1,
        }
    })?;
    let wat = |byte: u8| {
        format!(
            r#"(module
                (import "env" "peek" (func $peek (result i32)))
                (memory (export "memory") 1)
                (data (i32.const 0) "\{byte:02x}")
                (func (export "run") (result i32) call $peek))"#
        )
    };
    let mut store = Store::new(&engine, ());
    let a = linker.instantiate(&mut store, &Module::new(&engine, wat(7))?)?;
    let b = linker.instantiate(&mut store, &Module::new(&engine, wat(9))?)?;
    let run_a = a.get_typed_func::<(), i32>(&store, "run")?;
    let run_b = b.get_typed_func::<(), i32>(&store, "run")?;
    assert_eq!(run_a.call(&mut store, ())?, 7);
    assert_eq!(run_b.call(&mut store, ())?, 9);
    assert_eq!(run_a.call(&mut store, ())?, 7);

    // Called by the embedder rather than by Wasm, there is no calling
    // instance and so no export to find.
    let peek = Func::wrap(&mut store, |mut caller: Caller<'_, ()>| -> i32 {
        i32::from(caller.get_export("memory").is_some())
    });
    assert_eq!(peek.typed::<(), i32>(&store)?.call(&mut store, ())?, 0);
    Ok(())
}

#[test]
fn host_error_fails_the_call_and_store_stays_usable() -> weft::Result<()> {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "check", |x: i32| -> weft::Result<i32> {
        if x < 0 {
            Err(Error::host(format!("negative input {x}")))
        } else {
            Ok(x + 1)
        }
    })?;
    linker.func_new(
        "env",
        "dyn_fail",
        FuncType::new([], []),
        |_caller, _params, _results| Err(Error::host("dynamic failure")),
    )?;
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "check" (func $check (param i32) (result i32)))
            (import "env" "dyn_fail" (func $dyn_fail))
            (func (export "run") (param i32) (result i32)
                (i32.mul (call $check (local.get 0)) (i32.const 2)))
            (func (export "dyn") call $dyn_fail))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module)?;
    let run = inst.get_typed_func::<i32, i32>(&store, "run")?;
    assert_eq!(run.call(&mut store, 4)?, 10);
    let err = run
        .call(&mut store, -7)
        .expect_err("host error must fail the call");
    match &err {
        Error::Host(inner) => assert_eq!(inner.to_string(), "negative input -7"),
        other => panic!("expected Error::Host, got {other:?}"),
    }
    assert!(err.to_string().contains("negative input -7"));
    let err = inst
        .get_typed_func::<(), ()>(&store, "dyn")?
        .call(&mut store, ())
        .expect_err("host error must fail the call");
    assert!(matches!(&err, Error::Host(e) if e.to_string() == "dynamic failure"));
    assert_eq!(run.call(&mut store, 20)?, 42);
    Ok(())
}

#[test]
fn func_new_with_a_dynamic_type() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, 0u64);
    let ty = FuncType::new([ValType::I32, ValType::I64], [ValType::I64, ValType::F64]);
    let f = Func::new(&mut store, ty.clone(), |mut caller, params, results| {
        *caller.data_mut() += 1;
        let a = params[0].i32().unwrap();
        let b = params[1].i64().unwrap();
        results[0] = Val::I64(i64::from(a) + b);
        results[1] = Val::from(f64::from(a) * 0.5);
        Ok(())
    });
    assert_eq!(f.ty(&store), ty);
    let mut out = [Val::I32(0), Val::I32(0)];
    f.call(&mut store, &[Val::I32(3), Val::I64(40)], &mut out)?;
    assert_eq!(out[0].i64(), Some(43));
    assert_eq!(out[1].f64(), Some(1.5));
    let typed = f.typed::<(i32, i64), (i64, f64)>(&store)?;
    assert_eq!(typed.call(&mut store, (-1, 1))?, (0, -0.5));

    // The same function imported by Wasm.
    let mut linker = Linker::new(&engine);
    linker.define(&store, "env", "f", f)?;
    let inst = linker.instantiate(
        &mut store,
        &Module::new(
            &engine,
            r#"(module
                (import "env" "f" (func $f (param i32 i64) (result i64 f64)))
                (func (export "run") (result i64)
                    (call $f (i32.const 10) (i64.const 5))
                    (drop)))"#,
        )?,
    )?;
    assert_eq!(
        inst.get_typed_func::<(), i64>(&store, "run")?
            .call(&mut store, ())?,
        15
    );
    assert_eq!(*store.data(), 3);

    // A dynamic host function producing a value of the wrong type fails.
    let bad = Func::new(
        &mut store,
        FuncType::new([], [ValType::I32]),
        |_, _, results| {
            results[0] = Val::I64(1);
            Ok(())
        },
    );
    let mut out = [Val::I32(0)];
    assert!(bad.call(&mut store, &[], &mut out).is_err());
    Ok(())
}

#[test]
fn func_wrap_directly_and_instance_new() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let double = Func::wrap(&mut store, |x: i64| x * 2);
    assert_eq!(
        double.ty(&store),
        FuncType::new([ValType::I64], [ValType::I64])
    );
    assert_eq!(double.typed::<i64, i64>(&store)?.call(&mut store, 21)?, 42);
    let module = Module::new(
        &engine,
        r#"(module
            (import "" "double" (func $d (param i64) (result i64)))
            (func (export "quad") (param i64) (result i64)
                (call $d (call $d (local.get 0)))))"#,
    )?;
    let inst = Instance::new(&mut store, &module, &[double.into()])?;
    let quad = inst.get_typed_func::<i64, i64>(&store, "quad")?;
    assert_eq!(quad.call(&mut store, 5)?, 20);
    // Wrong number of imports is an error.
    assert!(Instance::new(&mut store, &module, &[]).is_err());
    // A wrongly typed import is a link error.
    let wrong = Func::wrap(&mut store, |x: i32| x);
    let err = Instance::new(&mut store, &module, &[wrong.into()]).expect_err("wrong import type");
    assert!(
        matches!(err, Error::Link(LinkError::IncompatibleType { .. })),
        "{err:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Re-entrancy
// ---------------------------------------------------------------------------

#[test]
fn reentrant_calls_nest_and_return_results() -> weft::Result<()> {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<i32>>::new(&engine);
    // host(n) calls back into the export `down(n)`.
    linker.func_wrap(
        "env",
        "host",
        |mut caller: Caller<'_, Vec<i32>>, n: i32| -> weft::Result<i32> {
            caller.data_mut().push(n);
            let down = caller
                .get_export("down")
                .and_then(Extern::into_func)
                .ok_or_else(|| Error::host("no export down"))?;
            let mut out = [Val::I32(0)];
            down.call(&mut caller, &[Val::I32(n)], &mut out)?;
            Ok(out[0].i32().unwrap())
        },
    )?;
    // down(n) = keep + host(n - 1) with keep = 10n + 1; down(0) = 1.
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "host" (func $host (param i32) (result i32)))
            (func $down (export "down") (param $n i32) (result i32)
                (local $keep i32)
                (local.set $keep
                    (i32.add (i32.mul (local.get $n) (i32.const 10)) (i32.const 1)))
                (if (result i32) (i32.eqz (local.get $n))
                    (then (local.get $keep))
                    (else (i32.add
                        (local.get $keep)
                        (call $host (i32.sub (local.get $n) (i32.const 1))))))))"#,
    )?;
    let mut store = Store::new(&engine, Vec::new());
    let inst = linker.instantiate(&mut store, &module)?;
    let down = inst.get_typed_func::<i32, i32>(&store, "down")?;
    assert_eq!(down.call(&mut store, 4)?, 41 + 31 + 21 + 11 + 1);
    assert_eq!(store.data(), &[3, 2, 1, 0]);
    // Deeper, and then again to see the stacks were given back intact.
    let expected: i32 = (0..=30).map(|n| 10 * n + 1).sum();
    assert_eq!(down.call(&mut store, 30)?, expected);
    assert_eq!(down.call(&mut store, 2)?, 21 + 11 + 1);
    Ok(())
}

/// A module whose `entry` calls a host function that calls back into its
/// `div` (100 / x): Wasm → host → Wasm.
fn reentrant_div() -> weft::Result<(Store<()>, TypedFunc<i32, i32>)> {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap(
        "env",
        "host",
        |mut caller: Caller<'_, ()>, x: i32| -> weft::Result<i32> {
            let f = caller
                .get_export("div")
                .and_then(Extern::into_func)
                .unwrap();
            f.typed::<i32, i32>(&caller)?.call(&mut caller, x)
        },
    )?;
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "host" (func $host (param i32) (result i32)))
            (func $div (export "div") (param i32) (result i32)
                (i32.div_s (i32.const 100) (local.get 0)))
            (func $entry (export "entry") (param i32) (result i32)
                (call $host (local.get 0))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module)?;
    let entry = inst.get_typed_func::<i32, i32>(&store, "entry")?;
    Ok((store, entry))
}

#[test]
fn reentrant_trap_propagates_through_host() -> weft::Result<()> {
    let (mut store, entry) = reentrant_div()?;
    assert_eq!(entry.call(&mut store, 5)?, 20);
    let err = entry.call(&mut store, 0).expect_err("division by zero");
    let trap = trap_of(&err);
    assert_eq!(trap.kind(), TrapKind::IntegerDivisionByZero);
    assert_eq!(
        trap.backtrace()[0].func_name.as_deref(),
        Some("div"),
        "{trap}"
    );
    assert_eq!(entry.call(&mut store, 4)?, 25);
    Ok(())
}

/// A host function that calls back into Wasm twice, where the callee itself
/// calls the host, must not disturb the frame of the Wasm function that
/// called the host.
#[test]
fn reentrant_host_calling_back_twice_preserves_outer_frame() -> weft::Result<()> {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "id", |x: i32| x)?;
    linker.func_wrap(
        "env",
        "twice",
        |mut caller: Caller<'_, ()>, x: i32| -> weft::Result<i32> {
            let leaf = caller
                .get_export("leaf")
                .and_then(Extern::into_func)
                .unwrap();
            let leaf = leaf.typed::<i32, i32>(&caller)?;
            let a = leaf.call(&mut caller, x)?;
            let b = leaf.call(&mut caller, x + 1)?;
            Ok(a + b)
        },
    )?;
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "id" (func $id (param i32) (result i32)))
            (import "env" "twice" (func $twice (param i32) (result i32)))
            (func (export "leaf") (param i32) (result i32) (call $id (local.get 0)))
            (func (export "outer") (param $x i32) (result i32)
                (local $keep i32)
                (local.set $keep (i32.mul (local.get $x) (i32.const 3)))
                (i32.add (call $twice (local.get $x)) (local.get $keep))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module)?;
    let outer = inst.get_typed_func::<i32, i32>(&store, "outer")?;
    // twice(5) = 5 + 6; keep = 15.
    assert_eq!(outer.call(&mut store, 5)?, 26);
    Ok(())
}

// ---------------------------------------------------------------------------
// Typed and dynamic calls
// ---------------------------------------------------------------------------

const NUMERIC_WAT: &str = r#"(module
    (func (export "mix") (param i32 i64 f32 f64) (result f64)
        (f64.add
            (f64.add (f64.convert_i32_s (local.get 0)) (f64.convert_i64_s (local.get 1)))
            (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))))
    (func (export "swap4") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
        local.get 3 local.get 2 local.get 1 local.get 0)
    (func (export "id_f32") (param f32) (result f32) local.get 0)
    (func (export "id_f64") (param f64) (result f64) local.get 0)
    (func (export "neg") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
    (func (export "unit")))"#;

#[test]
fn typed_func_with_every_numeric_type_and_tuples() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, NUMERIC_WAT);
    let mix = inst.get_typed_func::<(i32, i64, f32, f64), f64>(&store, "mix")?;
    assert_eq!(
        mix.call(&mut store, (-1, 1 << 40, 0.25, 2.5))?,
        (1u64 << 40) as f64 + 1.75
    );
    let swap =
        inst.get_typed_func::<(i32, i64, f32, f64), (f64, f32, i64, i32)>(&store, "swap4")?;
    assert_eq!(
        swap.call(&mut store, (i32::MIN, i64::MAX, -0.5, 1e300))?,
        (1e300, -0.5, i64::MAX, i32::MIN)
    );
    let unit = inst.get_typed_func::<(), ()>(&store, "unit")?;
    unit.call(&mut store, ())?;
    // u32 maps to i32 as well.
    let neg = inst.get_typed_func::<u32, u32>(&store, "neg")?;
    assert_eq!(neg.call(&mut store, 1)?, u32::MAX);
    // NaN payloads survive the round trip.
    let id32 = inst.get_typed_func::<f32, f32>(&store, "id_f32")?;
    let nan32 = f32::from_bits(0x7fa0_0001);
    assert_eq!(id32.call(&mut store, nan32)?.to_bits(), 0x7fa0_0001);
    let id64 = inst.get_typed_func::<f64, f64>(&store, "id_f64")?;
    let nan64 = f64::from_bits(0xfff4_0000_0000_0001);
    assert_eq!(
        id64.call(&mut store, nan64)?.to_bits(),
        0xfff4_0000_0000_0001
    );
    let mut out = [Val::I32(0)];
    inst.get_func(&store, "id_f32").unwrap().call(
        &mut store,
        &[Val::F32(0xffc0_1234)],
        &mut out,
    )?;
    assert!(matches!(out[0], Val::F32(0xffc0_1234)), "{out:?}");
    Ok(())
}

#[test]
fn typed_func_with_wrong_signature_is_an_error() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, NUMERIC_WAT);
    assert!(inst.get_typed_func::<i32, i32>(&store, "neg").is_ok());
    for result in [
        inst.get_typed_func::<i64, i32>(&store, "neg").map(|_| ()),
        inst.get_typed_func::<i32, i64>(&store, "neg").map(|_| ()),
        inst.get_typed_func::<(i32, i32), i32>(&store, "neg")
            .map(|_| ()),
        inst.get_typed_func::<i32, ()>(&store, "neg").map(|_| ()),
        inst.get_typed_func::<(), ()>(&store, "neg").map(|_| ()),
        inst.get_typed_func::<f32, f32>(&store, "id_f64")
            .map(|_| ()),
        inst.get_typed_func::<(i32, i64, f32, f64), (f64, f32, i64)>(&store, "swap4")
            .map(|_| ()),
        inst.get_typed_func::<(), ()>(&store, "no_such_export")
            .map(|_| ()),
    ] {
        assert!(matches!(result, Err(Error::Usage(_))), "{result:?}");
    }
    let f = inst.get_func(&store, "mix").unwrap();
    assert!(f.typed::<(i32, i64, f32, f64), f64>(&store).is_ok());
    assert!(f.typed::<(i32, i64, f64, f32), f64>(&store).is_err());
    Ok(())
}

#[test]
fn func_call_with_wrong_arguments_is_an_error() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, NUMERIC_WAT);
    let neg = inst.get_func(&store, "neg").unwrap();
    let mut one = [Val::I32(0)];
    let mut none: [Val; 0] = [];
    let mut two = [Val::I32(0), Val::I32(0)];
    assert!(matches!(
        neg.call(&mut store, &[], &mut one),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        neg.call(&mut store, &[Val::I32(1), Val::I32(2)], &mut one),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        neg.call(&mut store, &[Val::I64(1)], &mut one),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        neg.call(&mut store, &[Val::F32(0)], &mut one),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        neg.call(&mut store, &[Val::ExternRef(None)], &mut one),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        neg.call(&mut store, &[Val::I32(1)], &mut none),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        neg.call(&mut store, &[Val::I32(1)], &mut two),
        Err(Error::Usage(_))
    ));
    neg.call(&mut store, &[Val::I32(9)], &mut one)?;
    assert_eq!(one[0].i32(), Some(-9));
    Ok(())
}

// ---------------------------------------------------------------------------
// Handles from the wrong store
// ---------------------------------------------------------------------------

const OBJECTS_WAT: &str = r#"(module
    (memory (export "memory") 1 3)
    (table (export "table") 2 funcref)
    (global (export "global") (mut i32) (i32.const 11))
    (func (export "f") (result i32) i32.const 1))"#;

#[test]
fn handles_used_with_the_wrong_store_are_refused() -> weft::Result<()> {
    let engine = Engine::default();
    let mut a = Store::new(&engine, ());
    let mut b = Store::new(&engine, ());
    let ia = instantiate(&mut a, OBJECTS_WAT);
    let _ib = instantiate(&mut b, OBJECTS_WAT);
    let f = ia.get_func(&a, "f").unwrap();
    let typed = f.typed::<(), i32>(&a)?;
    let mem = ia.get_memory(&a, "memory").unwrap();
    let table = ia.get_table(&a, "table").unwrap();
    let global = ia.get_global(&a, "global").unwrap();

    let mut out = [Val::I32(0)];
    assert!(matches!(
        f.call(&mut b, &[], &mut out),
        Err(Error::Usage(_))
    ));
    assert!(matches!(typed.call(&mut b, ()), Err(Error::Usage(_))));
    assert!(f.typed::<(), i32>(&b).is_err());
    assert!(ia.get_export(&b, "f").is_none());
    assert!(ia.get_func(&b, "f").is_none());

    // Memories: fallible operations fail, views of the bytes are empty.
    let mut buf = [0u8; 4];
    assert!(matches!(mem.read(&b, 0, &mut buf), Err(Error::Usage(_))));
    assert!(matches!(mem.write(&mut b, 0, &buf), Err(Error::Usage(_))));
    assert!(matches!(mem.grow(&mut b, 1), Err(Error::Usage(_))));
    // Accessors that cannot fail refuse loudly instead of answering.
    assert!(catch_unwind(AssertUnwindSafe(|| mem.data(&b).len())).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| mem.data_mut(&mut b).len())).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| mem.size(&b))).is_err());
    assert!(catch_unwind(AssertUnwindSafe(|| mem.data_size(&b))).is_err());
    assert_eq!(mem.size(&a), 1, "failed grow through b must not grow a");

    // Tables and globals.
    assert!(table.get(&b, 0).is_none());
    assert!(table.set(&mut b, 0, Ref::Func(None)).is_err());
    assert!(table.grow(&mut b, 1, Ref::Func(None)).is_err());
    assert!(global.set(&mut b, Val::I32(1)).is_err());
    assert_eq!(global.get(&a).i32(), Some(11));

    // Values carrying references of another store.
    let fb = Func::wrap(&mut b, || 5i32);
    assert!(table.set(&mut a, 0, Ref::Func(Some(fb))).is_err());
    let ext = ExternRef::new(&mut b, 1u8);
    assert!(ext.data(&a).is_err());
    assert!(ext.data(&b).is_ok());

    // Defining another store's object in a linker fails at instantiation.
    let mut linker = Linker::new(&engine);
    linker.define(&a, "env", "memory", mem)?;
    let importer = Module::new(&engine, r#"(module (import "env" "memory" (memory 1)))"#)?;
    let err = linker
        .instantiate(&mut b, &importer)
        .expect_err("foreign import must fail");
    assert!(
        matches!(err, Error::Link(LinkError::IncompatibleType { .. })),
        "{err:?}"
    );
    // The handles still work with their own store.
    assert_eq!(typed.call(&mut a, ())?, 1);
    Ok(())
}

/// Accessors that cannot return an error must refuse a handle of another
/// store (by panicking, as the `Result`-less signature leaves no other way)
/// instead of silently describing an unrelated object of that store.
#[test]
fn wrong_store_infallible_accessors_do_not_return_foreign_objects() {
    let engine = Engine::default();
    let mut a = Store::new(&engine, ());
    let mut b = Store::new(&engine, ());
    let ia = instantiate(&mut a, OBJECTS_WAT);
    // Store b holds objects at the same indices but with other types/values.
    let ib = instantiate(
        &mut b,
        r#"(module
            (memory (export "memory") 2 9)
            (table (export "table") 7 externref)
            (global (export "global") (mut i64) (i64.const 99))
            (func (export "f") (param i64)))"#,
    );
    let f = ia.get_func(&a, "f").unwrap();
    let mem = ia.get_memory(&a, "memory").unwrap();
    let table = ia.get_table(&a, "table").unwrap();
    let global = ia.get_global(&a, "global").unwrap();
    let _ = ib;

    let mut wrong = Vec::new();
    let mut check = |what: &str, answered: bool| {
        if answered {
            wrong.push(what.to_string());
        }
    };
    let answered = |r: std::thread::Result<()>| r.is_ok();
    check(
        "Func::ty",
        answered(catch_unwind(AssertUnwindSafe(|| {
            let _ = f.ty(&b);
        }))),
    );
    check(
        "Memory::ty",
        answered(catch_unwind(AssertUnwindSafe(|| {
            let _ = mem.ty(&b);
        }))),
    );
    check(
        "Table::ty",
        answered(catch_unwind(AssertUnwindSafe(|| {
            let _ = table.ty(&b);
        }))),
    );
    check(
        "Table::size",
        answered(catch_unwind(AssertUnwindSafe(|| {
            let _ = table.size(&b);
        }))),
    );
    check(
        "Global::ty",
        answered(catch_unwind(AssertUnwindSafe(|| {
            let _ = global.ty(&b);
        }))),
    );
    check(
        "Global::get",
        answered(catch_unwind(AssertUnwindSafe(|| {
            let _ = global.get(&b);
        }))),
    );
    check(
        "Instance::exports",
        answered(catch_unwind(AssertUnwindSafe(|| {
            let _ = ia.exports(&b);
        }))),
    );
    assert!(
        wrong.is_empty(),
        "these accepted a handle of another store: {wrong:?}"
    );
}

// ---------------------------------------------------------------------------
// Linking
// ---------------------------------------------------------------------------

const PROVIDER_WAT: &str = r#"(module $provider
    (type $ii (func (param i32) (result i32)))
    (memory (export "memory") 1 4)
    (table (export "table") 4 funcref)
    (global (export "counter") (mut i32) (i32.const 0))
    (global (export "base") i32 (i32.const 1000))
    (elem (i32.const 0) $inc $triple)
    (func $inc (export "inc") (param i32) (result i32)
        (global.set 0 (i32.add (global.get 0) (i32.const 1)))
        (i32.add (local.get 0) (i32.const 1)))
    (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "read") (param i32) (result i32) (i32.load (local.get 0)))
    (func $boom (export "boom") unreachable))"#;

const CONSUMER_WAT: &str = r#"(module $consumer
    (type $ii (func (param i32) (result i32)))
    (import "p" "inc" (func $inc (param i32) (result i32)))
    (import "p" "grow" (func $grow (param i32) (result i32)))
    (import "p" "boom" (func $boom))
    (import "p" "memory" (memory 1))
    (import "p" "table" (table 4 funcref))
    (import "p" "counter" (global $counter (mut i32)))
    (import "p" "base" (global $base i32))
    (elem (i32.const 2) $square)
    (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
    (func (export "call_inc") (param i32) (result i32) (call $inc (local.get 0)))
    (func (export "indirect") (param i32 i32) (result i32)
        (call_indirect (type $ii) (local.get 1) (local.get 0)))
    (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
    (func (export "counter") (result i32) (global.get $counter))
    (func (export "bump") (global.set $counter (i32.add (global.get $counter) (global.get $base))))
    (func (export "grow_then_store") (result i32)
        (drop (call $grow (i32.const 1)))
        (i32.store (i32.const 70000) (i32.const 77))
        (i32.load (i32.const 70000)))
    (func $via_boom (export "via_boom") call $boom))"#;

#[test]
fn linking_functions_memory_table_and_globals_across_instances() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let provider = linker.instantiate(&mut store, &Module::new(&engine, PROVIDER_WAT)?)?;
    linker.instance(&store, "p", provider)?;
    let consumer = linker.instantiate(&mut store, &Module::new(&engine, CONSUMER_WAT)?)?;
    let typed = |name: &str| consumer.get_func(&store, name).unwrap();
    let (call_inc, indirect, store_fn) = (typed("call_inc"), typed("indirect"), typed("store"));
    let (counter, bump, grow_then_store) =
        (typed("counter"), typed("bump"), typed("grow_then_store"));
    let call_inc = call_inc.typed::<i32, i32>(&store)?;
    let indirect = indirect.typed::<(i32, i32), i32>(&store)?;

    // A Wasm function of another instance, changing that instance's global.
    assert_eq!(call_inc.call(&mut store, 41)?, 42);
    assert_eq!(call_inc.call(&mut store, 1)?, 2);
    let counter = counter.typed::<(), i32>(&store)?;
    assert_eq!(counter.call(&mut store, ())?, 2);
    let counter_global = provider.get_global(&store, "counter").unwrap();
    assert_eq!(counter_global.get(&store).i32(), Some(2));
    bump.typed::<(), ()>(&store)?.call(&mut store, ())?;
    assert_eq!(counter_global.get(&store).i32(), Some(1002));
    counter_global.set(&mut store, Val::I32(-5))?;
    assert_eq!(counter.call(&mut store, ())?, -5);

    // call_indirect through the shared table: the provider's functions at
    // 0 and 1, the consumer's at 2 (written by the consumer's segment).
    assert_eq!(indirect.call(&mut store, (0, 10))?, 11);
    assert_eq!(indirect.call(&mut store, (1, 10))?, 30);
    assert_eq!(indirect.call(&mut store, (2, 10))?, 100);
    let err = indirect.call(&mut store, (3, 10)).expect_err("null entry");
    assert_eq!(trap_of(&err).kind(), TrapKind::UninitializedElement);
    let table = provider.get_table(&store, "table").unwrap();
    assert!(matches!(table.get(&store, 2), Some(Ref::Func(Some(_)))));

    // The shared memory: the consumer writes, the provider reads.
    store_fn
        .typed::<(i32, i32), ()>(&store)?
        .call(&mut store, (8, 0x1234_5678))?;
    let read = provider.get_typed_func::<i32, i32>(&store, "read")?;
    assert_eq!(read.call(&mut store, 8)?, 0x1234_5678);
    let mem = provider.get_memory(&store, "memory").unwrap();
    assert_eq!(&mem.data(&store)[8..12], &0x1234_5678u32.to_le_bytes());

    // The provider grows the shared memory; the consumer sees the new page
    // right after the call returns.
    assert_eq!(
        grow_then_store
            .typed::<(), i32>(&store)?
            .call(&mut store, ())?,
        77
    );
    assert_eq!(mem.size(&store), 2);
    assert_eq!(read.call(&mut store, 70000)?, 77);

    // A trap in the provider's code shows both modules in the backtrace.
    let err = consumer
        .get_typed_func::<(), ()>(&store, "via_boom")?
        .call(&mut store, ())
        .expect_err("unreachable");
    let trap = trap_of(&err);
    assert_eq!(trap.kind(), TrapKind::Unreachable);
    let frames: Vec<_> = trap
        .backtrace()
        .iter()
        .map(|f| (f.module_name.as_deref(), f.func_name.as_deref()))
        .collect();
    assert_eq!(
        frames,
        [
            (Some("provider"), Some("boom")),
            (Some("consumer"), Some("via_boom"))
        ]
    );
    Ok(())
}

#[test]
fn linker_module_and_define_register_items() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker.module(&mut store, "p", &Module::new(&engine, PROVIDER_WAT)?)?;
    let memory = Memory::new(&mut store, MemoryType::new(1, None))?;
    let global = Global::new(
        &mut store,
        GlobalType::new(ValType::I64, Mutability::Var),
        Val::I64(5),
    )?;
    linker.define(&store, "host", "memory", memory)?;
    linker.define(&store, "host", "g", global)?;
    let inst = linker.instantiate(
        &mut store,
        &Module::new(
            &engine,
            r#"(module
                (import "p" "inc" (func $inc (param i32) (result i32)))
                (import "host" "memory" (memory 1))
                (import "host" "g" (global $g (mut i64)))
                (func (export "run") (result i32)
                    (global.set $g (i64.mul (global.get $g) (i64.const 3)))
                    (i32.store8 (i32.const 3) (i32.const 200))
                    (call $inc (i32.const 1))))"#,
        )?,
    )?;
    assert_eq!(
        inst.get_typed_func::<(), i32>(&store, "run")?
            .call(&mut store, ())?,
        2
    );
    assert_eq!(global.get(&store).i64(), Some(15));
    assert_eq!(memory.data(&store)[3], 200);
    assert!(matches!(
        linker.get(&mut store, "host", "memory"),
        Some(Extern::Memory(m)) if m == memory
    ));
    assert!(linker.get(&mut store, "host", "nope").is_none());

    // Redefinition is refused unless shadowing is allowed.
    assert!(linker.define(&store, "host", "g", global).is_err());
    assert!(linker.func_wrap("host", "g", || ()).is_err());
    linker.allow_shadowing(true);
    linker.func_wrap("host", "g", || ())?;
    assert!(matches!(
        linker.get(&mut store, "host", "g"),
        Some(Extern::Func(_))
    ));
    Ok(())
}

#[test]
fn unknown_import_is_a_link_error_naming_module_and_field() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "present", || ())?;
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "present" (func))
            (import "env" "missing_fn" (func (param i32))))"#,
    )?;
    let err = linker
        .instantiate(&mut store, &module)
        .expect_err("missing import");
    match &err {
        Error::Link(LinkError::UnknownImport { module, name }) => {
            assert_eq!((module.as_str(), name.as_str()), ("env", "missing_fn"));
        }
        other => panic!("expected UnknownImport, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("env") && msg.contains("missing_fn"), "{msg}");
    Ok(())
}

#[test]
fn incompatible_imports_are_link_errors() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "f", |x: i32| x)?;
    let small = Memory::new(&mut store, MemoryType::new(1, None))?;
    let unbounded = Memory::new(&mut store, MemoryType::new(2, None))?;
    let const_g = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(1),
    )?;
    let var_g = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Var),
        Val::I32(1),
    )?;
    let tab = Table::new(
        &mut store,
        TableType::new(RefType::FUNCREF, 2, None),
        Ref::Func(None),
    )?;
    linker
        .define(&store, "env", "small", small)?
        .define(&store, "env", "unbounded", unbounded)?
        .define(&store, "env", "const_g", const_g)?
        .define(&store, "env", "var_g", var_g)?
        .define(&store, "env", "tab", tab)?;
    let cases = [
        (
            "wrong func type",
            r#"(import "env" "f" (func (param i64) (result i32)))"#,
        ),
        (
            "wrong func results",
            r#"(import "env" "f" (func (param i32)))"#,
        ),
        ("memory too small", r#"(import "env" "small" (memory 2))"#),
        (
            "memory max missing",
            r#"(import "env" "unbounded" (memory 1 4))"#,
        ),
        (
            "global mutability",
            r#"(import "env" "const_g" (global (mut i32)))"#,
        ),
        (
            "global mutability 2",
            r#"(import "env" "var_g" (global i32))"#,
        ),
        ("global type", r#"(import "env" "const_g" (global i64))"#),
        (
            "table element",
            r#"(import "env" "tab" (table 1 externref))"#,
        ),
        (
            "table too small",
            r#"(import "env" "tab" (table 3 funcref))"#,
        ),
        ("kind: func as memory", r#"(import "env" "f" (memory 1))"#),
        ("kind: memory as func", r#"(import "env" "small" (func))"#),
        (
            "kind: global as table",
            r#"(import "env" "var_g" (table 1 funcref))"#,
        ),
    ];
    for (what, import) in cases {
        let module = Module::new(&engine, format!("(module {import})"))?;
        match linker.instantiate(&mut store, &module) {
            Err(Error::Link(LinkError::IncompatibleType { module, name, .. })) => {
                assert_eq!(module, "env", "{what}");
                assert!(import.contains(&format!("\"{name}\"")), "{what}: {name}");
            }
            other => panic!("{what}: expected IncompatibleType, got {other:?}"),
        }
    }
    // And the compatible forms link.
    for import in [
        r#"(import "env" "f" (func (param i32) (result i32)))"#,
        r#"(import "env" "small" (memory 1))"#,
        r#"(import "env" "unbounded" (memory 1))"#,
        r#"(import "env" "const_g" (global i32))"#,
        r#"(import "env" "var_g" (global (mut i32)))"#,
        r#"(import "env" "tab" (table 1 funcref))"#,
    ] {
        let module = Module::new(&engine, format!("(module {import})"))?;
        linker.instantiate(&mut store, &module)?;
    }
    Ok(())
}

#[test]
fn instantiation_traps_are_reported() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let linker = Linker::<()>::new(&engine);
    let start_traps = Module::new(
        &engine,
        r#"(module (func $start (i32.div_u (i32.const 1) (i32.const 0)) drop) (start $start))"#,
    )?;
    let err = linker
        .instantiate(&mut store, &start_traps)
        .expect_err("start traps");
    assert_eq!(trap_of(&err).kind(), TrapKind::IntegerDivisionByZero);
    let data_oob = Module::new(
        &engine,
        r#"(module (memory 1) (data (i32.const 65535) "ab"))"#,
    )?;
    let err = linker
        .instantiate(&mut store, &data_oob)
        .expect_err("data segment out of bounds");
    assert_eq!(trap_of(&err).kind(), TrapKind::MemoryOutOfBounds);
    let elem_oob = Module::new(
        &engine,
        r#"(module (table 1 funcref) (func $f) (elem (i32.const 1) $f))"#,
    )?;
    let err = linker
        .instantiate(&mut store, &elem_oob)
        .expect_err("element segment out of bounds");
    assert_eq!(trap_of(&err).kind(), TrapKind::TableOutOfBounds);
    // The store still works.
    let inst = instantiate(&mut store, COUNTER_WAT);
    assert_eq!(
        inst.get_typed_func::<(), i32>(&store, "next")?
            .call(&mut store, ())?,
        1
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Traps and backtraces
// ---------------------------------------------------------------------------

const TRAPS_WAT: &str = r#"(module $traps
    (type $v (func))
    (type $i (func (result i32)))
    (memory 1)
    (table $t 2 funcref)
    (elem (table $t) (i32.const 0) func $ret_i32)
    (func $ret_i32 (result i32) i32.const 1)
    (func (export "unreachable") unreachable)
    (func (export "mem_oob") (result i32) (i32.load (i32.const 65534)))
    (func (export "mem_oob_store") (i64.store (i32.const -8) (i64.const 0)))
    (func (export "table_oob") (drop (table.get $t (i32.const 5))))
    (func (export "undefined_elem") (call_indirect $t (type $v) (i32.const 7)))
    (func (export "uninit_elem") (call_indirect $t (type $v) (i32.const 1)))
    (func (export "type_mismatch") (call_indirect $t (type $v) (i32.const 0)))
    (func (export "div_overflow") (result i32)
        (i32.div_s (i32.const 0x80000000) (i32.const -1)))
    (func (export "trunc_overflow") (result i32) (i32.trunc_f32_s (f32.const 3e9)))
    (func (export "div_zero") (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
    (func (export "rem_zero") (result i64) (i64.rem_s (i64.const 1) (i64.const 0)))
    (func (export "bad_convert") (result i32) (i32.trunc_f32_s (f32.const nan)))
    (func (export "null_ref") (call_ref $v (ref.null $v)))
    (func (export "ok") (result i32) i32.const 42))"#;

#[test]
fn every_core_trap_kind_is_reported() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, TRAPS_WAT);
    let ok = inst.get_typed_func::<(), i32>(&store, "ok")?;
    let cases = [
        ("unreachable", TrapKind::Unreachable),
        ("mem_oob", TrapKind::MemoryOutOfBounds),
        ("mem_oob_store", TrapKind::MemoryOutOfBounds),
        ("table_oob", TrapKind::TableOutOfBounds),
        ("undefined_elem", TrapKind::UndefinedElement),
        ("uninit_elem", TrapKind::UninitializedElement),
        ("type_mismatch", TrapKind::IndirectCallTypeMismatch),
        ("div_overflow", TrapKind::IntegerOverflow),
        ("trunc_overflow", TrapKind::IntegerOverflow),
        ("div_zero", TrapKind::IntegerDivisionByZero),
        ("rem_zero", TrapKind::IntegerDivisionByZero),
        ("bad_convert", TrapKind::InvalidConversionToInteger),
        ("null_ref", TrapKind::NullFunctionReference),
    ];
    for (name, kind) in cases {
        assert_eq!(trap_kind_of_call(&mut store, inst, name), kind, "{name}");
        // The store stays usable after every trap.
        assert_eq!(ok.call(&mut store, ())?, 42, "after {name}");
    }
    let err = inst
        .get_typed_func::<(), i32>(&store, "div_zero")?
        .call(&mut store, ())
        .unwrap_err();
    assert!(err.to_string().contains("integer divide by zero"), "{err}");
    Ok(())
}

#[test]
fn trap_backtrace_names_wasm_frames_innermost_first() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module $bt
            (func $inner (param i32) (result i32)
                (if (local.get 0) (then unreachable))
                (i32.const 0))
            (func $middle (param i32) (result i32)
                (i32.add (call $inner (local.get 0)) (i32.const 1)))
            (func $outer (export "outer") (param i32) (result i32)
                (i32.add (call $middle (local.get 0)) (i32.const 1)))
            (func (export "anon") (param i32) (result i32)
                (call $outer (local.get 0))))"#,
    );
    let outer = inst.get_typed_func::<i32, i32>(&store, "outer")?;
    assert_eq!(outer.call(&mut store, 0)?, 2);
    let err = outer.call(&mut store, 1).unwrap_err();
    let trap = trap_of(&err);
    assert_eq!(trap.kind(), TrapKind::Unreachable);
    let names: Vec<_> = trap
        .backtrace()
        .iter()
        .map(|f| f.func_name.as_deref())
        .collect();
    assert_eq!(names, [Some("inner"), Some("middle"), Some("outer")]);
    let indices: Vec<u32> = trap.backtrace().iter().map(|f| f.func_index).collect();
    assert_eq!(indices, [0, 1, 2]);
    assert!(
        trap.backtrace()
            .iter()
            .all(|f| f.module_name.as_deref() == Some("bt"))
    );
    assert!(trap.backtrace()[0].offset.is_some());

    let text = err.to_string();
    assert!(text.contains("wasm backtrace"), "{text}");
    assert!(text.contains("unreachable"), "{text}");
    let at = |name: &str| {
        text.find(name)
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert!(
        at("inner") < at("middle") && at("middle") < at("outer"),
        "{text}"
    );

    // A function without a name shows its index, and the trap's frames stop
    // at the entry function.
    let anon = inst.get_typed_func::<i32, i32>(&store, "anon")?;
    let err = anon.call(&mut store, 1).unwrap_err();
    let trap = trap_of(&err);
    assert_eq!(trap.backtrace().len(), 4);
    assert_eq!(trap.backtrace()[3].func_index, 3);
    assert_eq!(trap.backtrace()[3].func_name, None);
    assert!(err.to_string().contains("<wasm function 3>"), "{err}");
    Ok(())
}

// ---------------------------------------------------------------------------
// Stack limits
// ---------------------------------------------------------------------------

const RECURSION_WAT: &str = r#"(module
    (func $forever (export "forever") (param i32) (result i32)
        (i32.add (call $forever (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
    (func $depth (export "depth") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (i32.add
                (call $depth (i32.sub (local.get 0) (i32.const 1)))
                (i32.const 1))))))"#;

#[test]
fn infinite_recursion_exhausts_the_stack_and_store_survives() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, RECURSION_WAT);
    let forever = inst.get_typed_func::<i32, i32>(&store, "forever")?;
    let depth = inst.get_typed_func::<i32, i32>(&store, "depth")?;
    for _ in 0..2 {
        let err = forever.call(&mut store, 0).unwrap_err();
        let trap = trap_of(&err);
        assert_eq!(trap.kind(), TrapKind::StackExhausted);
        assert_eq!(
            trap.backtrace()
                .first()
                .and_then(|f| f.func_name.as_deref()),
            Some("forever")
        );
        assert!(err.to_string().contains("call stack exhausted"));
        assert_eq!(depth.call(&mut store, 100)?, 100);
    }
    Ok(())
}

#[test]
fn max_wasm_stack_limits_recursion_depth() -> weft::Result<()> {
    const DEPTH: i32 = 10_000;
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, RECURSION_WAT);
    let depth = inst.get_typed_func::<i32, i32>(&store, "depth")?;
    assert_eq!(depth.call(&mut store, DEPTH)?, DEPTH);

    let mut config = Config::new();
    config.max_wasm_stack(64 * 1024);
    let small = Engine::new(&config);
    let mut store = Store::new(&small, ());
    let inst = instantiate(&mut store, RECURSION_WAT);
    let depth = inst.get_typed_func::<i32, i32>(&store, "depth")?;
    assert_eq!(depth.call(&mut store, 50)?, 50);
    let err = depth.call(&mut store, DEPTH).unwrap_err();
    assert_eq!(trap_of(&err).kind(), TrapKind::StackExhausted);
    assert_eq!(depth.call(&mut store, 50)?, 50);
    Ok(())
}

#[test]
fn reentrant_recursion_through_host_exhausts_the_wasm_stack() -> weft::Result<()> {
    let mut config = Config::new();
    config.max_wasm_stack(64 * 1024);
    let engine = Engine::new(&config);
    let mut linker = Linker::<u32>::new(&engine);
    linker.func_wrap(
        "env",
        "again",
        |mut caller: Caller<'_, u32>, n: i32| -> weft::Result<i32> {
            *caller.data_mut() += 1;
            let f = caller
                .get_export("rec")
                .and_then(Extern::into_func)
                .unwrap();
            f.typed::<i32, i32>(&caller)?.call(&mut caller, n)
        },
    )?;
    // Each level uses a big frame (many locals) so the Wasm stack fills
    // long before the host stack would.
    let locals = " i64".repeat(400);
    let module = Module::new(
        &engine,
        format!(
            r#"(module
                (import "env" "again" (func $again (param i32) (result i32)))
                (func (export "rec") (param $n i32) (result i32) (local {locals})
                    (if (result i32) (i32.eqz (local.get $n))
                        (then (i32.const 0))
                        (else (i32.add (i32.const 1)
                            (call $again (i32.sub (local.get $n) (i32.const 1))))))))"#
        ),
    )?;
    let mut store = Store::new(&engine, 0u32);
    let inst = linker.instantiate(&mut store, &module)?;
    let rec = inst.get_typed_func::<i32, i32>(&store, "rec")?;
    assert_eq!(rec.call(&mut store, 3)?, 3);
    let err = rec.call(&mut store, 1_000).unwrap_err();
    assert_eq!(trap_of(&err).kind(), TrapKind::StackExhausted);
    assert!(*store.data() < 1_000);
    assert_eq!(rec.call(&mut store, 3)?, 3);
    Ok(())
}

// ---------------------------------------------------------------------------
// Memory, Table and Global handles
// ---------------------------------------------------------------------------

#[test]
fn memory_api_new_size_grow_read_write() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mem = Memory::new(&mut store, MemoryType::new(1, Some(3)))?;
    assert_eq!(mem.size(&store), 1);
    assert_eq!(mem.data_size(&store), 65536);
    assert_eq!(mem.ty(&store), MemoryType::new(1, Some(3)));
    assert!(mem.data(&store).iter().all(|&b| b == 0));
    mem.write(&mut store, 100, b"weft")?;
    let mut buf = [0u8; 4];
    mem.read(&store, 100, &mut buf)?;
    assert_eq!(&buf, b"weft");
    assert_eq!(&mem.data(&store)[100..104], b"weft");
    mem.data_mut(&mut store)[65535] = 9;
    assert!(mem.read(&store, 65533, &mut buf).is_err());
    assert!(mem.write(&mut store, 65535, b"xy").is_err());
    assert!(mem.read(&store, usize::MAX, &mut buf).is_err());
    assert_eq!(mem.grow(&mut store, 1)?, 1);
    assert_eq!(mem.size(&store), 2);
    assert_eq!(mem.data(&store)[65535], 9, "growth keeps contents");
    assert!(mem.grow(&mut store, 2).is_err(), "beyond maximum");
    assert_eq!(mem.size(&store), 2);
    assert_eq!(mem.grow(&mut store, 0)?, 2);
    assert_eq!(mem.grow(&mut store, 1)?, 2);
    assert!(mem.grow(&mut store, 1).is_err());
    assert_eq!(mem.ty(&store).minimum, 3);
    mem.write(&mut store, 3 * 65536 - 2, b"ok")?;
    Ok(())
}

#[test]
fn memory_grow_from_wasm_and_host() -> weft::Result<()> {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap(
        "env",
        "host_grow",
        |mut caller: Caller<'_, ()>, delta: i32| -> weft::Result<i32> {
            let mem = caller.get_export("memory").unwrap().into_memory().unwrap();
            Ok(mem.grow(&mut caller, delta as u64)? as i32)
        },
    )?;
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "host_grow" (func $host_grow (param i32) (result i32)))
            (memory (export "memory") 1 3)
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
            (func (export "size") (result i32) memory.size)
            (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
            (func (export "host_grow_then_store") (result i32)
                (drop (call $host_grow (i32.const 1)))
                (i32.store (i32.const 140000) (i32.const 4321))
                (i32.load (i32.const 140000))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module)?;
    let grow = inst.get_typed_func::<i32, i32>(&store, "grow")?;
    let size = inst.get_typed_func::<(), i32>(&store, "size")?;
    let load = inst.get_typed_func::<i32, i32>(&store, "load")?;
    let mem = inst.get_memory(&store, "memory").unwrap();
    assert_eq!(grow.call(&mut store, 1)?, 1);
    assert_eq!(size.call(&mut store, ())?, 2);
    assert_eq!(grow.call(&mut store, 2)?, -1, "beyond the maximum");
    assert_eq!(size.call(&mut store, ())?, 2);
    assert_eq!(mem.size(&store), 2);
    // The host writes into the page Wasm grew; Wasm reads it.
    mem.write(&mut store, 70000, &[0xab])?;
    assert_eq!(load.call(&mut store, 70000)?, 0xab);
    // A host function grows memory while Wasm runs; the Wasm code after the
    // call uses the new page.
    let run = inst.get_typed_func::<(), i32>(&store, "host_grow_then_store")?;
    assert_eq!(run.call(&mut store, ())?, 4321);
    assert_eq!(mem.size(&store), 3);
    assert_eq!(grow.call(&mut store, 1)?, -1);
    let err = load.call(&mut store, 3 * 65536).unwrap_err();
    assert_eq!(trap_of(&err).kind(), TrapKind::MemoryOutOfBounds);
    Ok(())
}

#[test]
fn table_api_get_set_grow_with_funcrefs() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module
            (type $ii (func (param i32) (result i32)))
            (table (export "tab") 2 10 funcref)
            (func $double (export "double") (param i32) (result i32)
                (i32.mul (local.get 0) (i32.const 2)))
            (func (export "call") (param i32 i32) (result i32)
                (call_indirect (type $ii) (local.get 1) (local.get 0)))
            (func (export "get_ref") (result funcref) (ref.func $double))
            (func (export "size") (result i32) (table.size 0))
            (elem declare func $double))"#,
    );
    let tab = inst.get_table(&store, "tab").unwrap();
    let double = inst.get_func(&store, "double").unwrap();
    let call = inst.get_typed_func::<(i32, i32), i32>(&store, "call")?;
    assert_eq!(tab.size(&store), 2);
    assert_eq!(
        tab.ty(&store),
        TableType::new(RefType::FUNCREF, 2, Some(10))
    );
    assert!(matches!(tab.get(&store, 0), Some(Ref::Func(None))));
    assert!(tab.get(&store, 2).is_none());

    tab.set(&mut store, 0, Ref::Func(Some(double)))?;
    let triple = Func::wrap(&mut store, |x: i32| x * 3);
    tab.set(&mut store, 1, Ref::Func(Some(triple)))?;
    assert_eq!(call.call(&mut store, (0, 7))?, 14);
    assert_eq!(call.call(&mut store, (1, 7))?, 21);
    assert!(matches!(tab.get(&store, 1), Some(Ref::Func(Some(f))) if f == triple));

    // A host function of another type traps as a mismatch.
    let unit = Func::wrap(&mut store, || ());
    tab.set(&mut store, 1, Ref::Func(Some(unit)))?;
    let err = call.call(&mut store, (1, 7)).unwrap_err();
    assert_eq!(trap_of(&err).kind(), TrapKind::IndirectCallTypeMismatch);

    assert_eq!(tab.grow(&mut store, 3, Ref::Func(Some(double)))?, 2);
    assert_eq!(tab.size(&store), 5);
    let size = inst.get_typed_func::<(), i32>(&store, "size")?;
    assert_eq!(size.call(&mut store, ())?, 5);
    assert_eq!(call.call(&mut store, (4, 50))?, 100);
    assert!(
        tab.grow(&mut store, 6, Ref::Func(None)).is_err(),
        "beyond max"
    );
    assert_eq!(tab.size(&store), 5);
    assert!(tab.set(&mut store, 5, Ref::Func(None)).is_err());
    assert!(tab.set(&mut store, 0, Ref::Extern(None)).is_err());
    tab.set(&mut store, 4, Ref::Func(None))?;
    let err = call.call(&mut store, (4, 1)).unwrap_err();
    assert_eq!(trap_of(&err).kind(), TrapKind::UninitializedElement);
    let err = call.call(&mut store, (5, 1)).unwrap_err();
    assert_eq!(trap_of(&err).kind(), TrapKind::UndefinedElement);

    // A funcref returned by Wasm is a callable Func.
    let got = inst.get_typed_func::<(), Option<Func>>(&store, "get_ref")?;
    let f = got.call(&mut store, ())?.expect("non-null");
    assert_eq!(f, double);
    assert_eq!(f.typed::<i32, i32>(&store)?.call(&mut store, 4)?, 8);

    // A host-made table.
    let t = Table::new(
        &mut store,
        TableType::new(RefType::FUNCREF, 1, None),
        Ref::Func(Some(triple)),
    )?;
    assert!(matches!(t.get(&store, 0), Some(Ref::Func(Some(f))) if f == triple));
    assert!(
        Table::new(
            &mut store,
            TableType::new(RefType::FUNCREF, 1, None),
            Ref::Extern(None)
        )
        .is_err()
    );
    Ok(())
}

#[test]
fn global_api_get_set_and_immutability() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module
            (global (export "c") i32 (i32.const 7))
            (global $v (export "v") (mut i64) (i64.const 1))
            (global (export "f") (mut f32) (f32.const 0.5))
            (func (export "bump") (global.set $v (i64.add (global.get $v) (i64.const 1))))
            (func (export "get_v") (result i64) global.get $v))"#,
    );
    let c = inst.get_global(&store, "c").unwrap();
    let v = inst.get_global(&store, "v").unwrap();
    let f = inst.get_global(&store, "f").unwrap();
    assert_eq!(c.get(&store).i32(), Some(7));
    assert_eq!(
        c.ty(&store),
        GlobalType::new(ValType::I32, Mutability::Const)
    );
    assert!(matches!(
        c.set(&mut store, Val::I32(8)),
        Err(Error::Usage(_))
    ));
    assert_eq!(c.get(&store).i32(), Some(7));

    assert_eq!(v.ty(&store), GlobalType::new(ValType::I64, Mutability::Var));
    v.set(&mut store, Val::I64(100))?;
    inst.get_typed_func::<(), ()>(&store, "bump")?
        .call(&mut store, ())?;
    assert_eq!(
        inst.get_typed_func::<(), i64>(&store, "get_v")?
            .call(&mut store, ())?,
        101
    );
    assert_eq!(v.get(&store).i64(), Some(101));
    assert!(v.set(&mut store, Val::I32(1)).is_err(), "wrong type");
    assert_eq!(v.get(&store).i64(), Some(101));
    assert_eq!(f.get(&store).f32(), Some(0.5));
    f.set(&mut store, Val::from(-2.25f32))?;
    assert_eq!(f.get(&store).f32(), Some(-2.25));

    let g = Global::new(
        &mut store,
        GlobalType::new(ValType::F64, Mutability::Const),
        Val::from(3.5f64),
    )?;
    assert_eq!(g.get(&store).f64(), Some(3.5));
    assert!(g.set(&mut store, Val::from(1.0f64)).is_err());
    assert!(
        Global::new(
            &mut store,
            GlobalType::new(ValType::I32, Mutability::Var),
            Val::I64(0)
        )
        .is_err()
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// External references
// ---------------------------------------------------------------------------

#[test]
fn externref_round_trip_through_table_and_global() -> weft::Result<()> {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<String>>::new(&engine);
    linker.func_wrap(
        "env",
        "see",
        |mut caller: Caller<'_, Vec<String>>, r: Option<ExternRef>| -> weft::Result<()> {
            let text = match r {
                Some(r) => r
                    .data(&caller)?
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_default(),
                None => "null".to_string(),
            };
            caller.data_mut().push(text);
            Ok(())
        },
    )?;
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "see" (func $see (param externref)))
            (table $t 4 externref)
            (global $g (mut externref) (ref.null extern))
            (func (export "put") (param i32 externref) (table.set $t (local.get 0) (local.get 1)))
            (func (export "take") (param i32) (result externref) (table.get $t (local.get 0)))
            (func (export "set_g") (param externref) (global.set $g (local.get 0)))
            (func (export "get_g") (result externref) global.get $g)
            (func (export "show") (param i32) (call $see (table.get $t (local.get 0))))
            (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0))))"#,
    )?;
    let mut store = Store::new(&engine, Vec::new());
    let inst = linker.instantiate(&mut store, &module)?;
    let put = inst.get_typed_func::<(i32, Option<ExternRef>), ()>(&store, "put")?;
    let take = inst.get_typed_func::<i32, Option<ExternRef>>(&store, "take")?;
    let set_g = inst.get_typed_func::<Option<ExternRef>, ()>(&store, "set_g")?;
    let get_g = inst.get_typed_func::<(), Option<ExternRef>>(&store, "get_g")?;
    let show = inst.get_typed_func::<i32, ()>(&store, "show")?;
    let is_null = inst.get_typed_func::<Option<ExternRef>, i32>(&store, "is_null")?;

    let hello = ExternRef::new(&mut store, String::from("hello"));
    let number = ExternRef::new(&mut store, 42u64);
    put.call(&mut store, (1, Some(hello)))?;
    put.call(&mut store, (2, Some(number)))?;
    let back = take.call(&mut store, 1)?.expect("non-null");
    assert_eq!(back, hello);
    assert_eq!(
        back.data(&store)?
            .downcast_ref::<String>()
            .map(String::as_str),
        Some("hello")
    );
    let back = take.call(&mut store, 2)?.expect("non-null");
    assert_eq!(back.data(&store)?.downcast_ref::<u64>(), Some(&42));
    assert!(back.data(&store)?.downcast_ref::<String>().is_none());
    assert_eq!(take.call(&mut store, 0)?, None);
    assert_eq!(is_null.call(&mut store, None)?, 1);
    assert_eq!(is_null.call(&mut store, Some(hello))?, 0);

    set_g.call(&mut store, Some(number))?;
    assert_eq!(get_g.call(&mut store, ())?, Some(number));
    set_g.call(&mut store, None)?;
    assert_eq!(get_g.call(&mut store, ())?, None);

    show.call(&mut store, 1)?;
    show.call(&mut store, 0)?;
    assert_eq!(store.data(), &["hello".to_string(), "null".to_string()]);

    // Through Func::call with Val.
    let take_f = inst.get_func(&store, "take").unwrap();
    let mut out = [Val::I32(0)];
    take_f.call(&mut store, &[Val::I32(1)], &mut out)?;
    assert!(matches!(&out[0], Val::ExternRef(Some(r)) if *r == hello));

    // An externref of another store is refused.
    let mut other = Store::new(&engine, Vec::<String>::new());
    let foreign = ExternRef::new(&mut other, String::from("elsewhere"));
    assert!(put.call(&mut store, (3, Some(foreign))).is_err());
    assert_eq!(take.call(&mut store, 3)?, None);
    Ok(())
}

// ---------------------------------------------------------------------------
// Long-running code
// ---------------------------------------------------------------------------

/// Sums `0..n` through memory, a call and a global: 20 million iterations
/// of about 30 Wasm instructions execute ~6 * 10^8 Wasm instructions (well
/// over 10^8 IR instructions after fusing and folding). If any dispatch grew
/// the host stack, the test would overflow it long before the end.
#[test]
fn long_running_loop_does_not_grow_the_host_stack() -> weft::Result<()> {
    const N: i32 = 20_000_000;
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        // Every iteration goes through loads, stores, a global, a call and
        // a select as well as arithmetic and branches, so a handler of any
        // of those kinds that grew the host stack would overflow it here.
        r#"(module
            (memory 1)
            (global $calls (mut i32) (i32.const 0))
            (func $id (param i64) (result i64)
                (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
                (local.get 0))
            (func (export "sum") (param $n i32) (result i64)
                (local $i i32) (local $acc i64)
                (block $done
                    (loop $top
                        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                        (i64.store (i32.const 8)
                            (i64.add (i64.load (i32.const 8)) (i64.extend_i32_u (local.get $i))))
                        (i32.store8 (i32.const 0) (local.get $i))
                        (local.set $acc
                            (select (call $id (i64.load (i32.const 8))) (local.get $acc)
                                (i32.ge_u (i32.load8_u (i32.const 0)) (i32.const 0))))
                        (local.set $i (i32.add (local.get $i) (i32.const 1)))
                        (br $top)))
                (local.get $acc))
            (func (export "calls") (result i32) (global.get $calls)))"#,
    );
    let sum = inst.get_typed_func::<i32, i64>(&store, "sum")?;
    let n = i64::from(N);
    assert_eq!(sum.call(&mut store, N)?, n * (n - 1) / 2);
    let calls = inst.get_typed_func::<(), i32>(&store, "calls")?;
    assert_eq!(calls.call(&mut store, ())?, N);
    Ok(())
}

// ---------------------------------------------------------------------------
// More host-call edge cases
// ---------------------------------------------------------------------------

#[test]
fn host_can_recover_from_a_trap_in_a_nested_call() -> weft::Result<()> {
    let engine = Engine::default();
    let mut linker = Linker::<u32>::new(&engine);
    linker.func_wrap(
        "env",
        "try_div",
        |mut caller: Caller<'_, u32>, x: i32| -> weft::Result<i32> {
            let div = caller
                .get_export("div")
                .and_then(Extern::into_func)
                .unwrap();
            match div.typed::<i32, i32>(&caller)?.call(&mut caller, x) {
                Ok(v) => Ok(v),
                Err(e) => {
                    assert!(e.as_trap().is_some(), "{e:?}");
                    *caller.data_mut() += 1;
                    Ok(-1)
                }
            }
        },
    )?;
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "try_div" (func $try_div (param i32) (result i32)))
            (func (export "div") (param i32) (result i32)
                (i32.div_s (i32.const 100) (local.get 0)))
            (func (export "run") (param $x i32) (result i32)
                (local $keep i32)
                (local.set $keep (i32.add (local.get $x) (i32.const 1000)))
                (i32.add (call $try_div (local.get $x)) (local.get $keep))))"#,
    )?;
    let mut store = Store::new(&engine, 0u32);
    let inst = linker.instantiate(&mut store, &module)?;
    let run = inst.get_typed_func::<i32, i32>(&store, "run")?;
    assert_eq!(run.call(&mut store, 0)?, -1 + 1000);
    assert_eq!(*store.data(), 1);
    assert_eq!(run.call(&mut store, 10)?, 10 + 1010);
    assert_eq!(run.call(&mut store, 0)?, -1 + 1000);
    assert_eq!(*store.data(), 2);
    Ok(())
}

/// The backtrace of a trap in Wasm called back from a host function lists
/// every Wasm frame active at the trap, including those below the host call.
#[test]
fn reentrant_trap_backtrace_includes_outer_frames() -> weft::Result<()> {
    let (mut store, entry) = reentrant_div()?;
    let err = entry.call(&mut store, 0).unwrap_err();
    let names: Vec<_> = trap_of(&err)
        .backtrace()
        .iter()
        .map(|f| f.func_name.as_deref())
        .collect();
    assert_eq!(names, [Some("div"), Some("entry")]);
    Ok(())
}

#[test]
fn tail_calls_to_host_functions() -> weft::Result<()> {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "split", |x: i64| ((x >> 32) as i32, x as i32))?;
    linker.func_wrap("env", "inc", |x: i32| x + 1)?;
    let module = Module::new(
        &engine,
        r#"(module
            (type $ii (func (param i32) (result i32)))
            (import "env" "split" (func $split (param i64) (result i32 i32)))
            (import "env" "inc" (func $inc (param i32) (result i32)))
            (table 1 funcref)
            (elem (i32.const 0) $inc)
            (func $tail_split (param i64) (result i32 i32)
                (return_call $split (local.get 0)))
            (func (export "split") (param i64) (result i32)
                (local $hi i32) (local $lo i32)
                (call $tail_split (local.get 0))
                (local.set $lo)
                (local.set $hi)
                (i32.add (i32.mul (local.get $hi) (i32.const 1000)) (local.get $lo)))
            (func (export "entry_tail") (param i64) (result i32 i32)
                (return_call $split (local.get 0)))
            (func $tail_inc (param i32) (result i32)
                (return_call_indirect (type $ii) (local.get 0) (i32.const 0)))
            (func (export "inc_twice") (param i32) (result i32)
                (i32.add (call $tail_inc (local.get 0)) (call $tail_inc (i32.const 100)))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module)?;
    let split = inst.get_typed_func::<i64, i32>(&store, "split")?;
    assert_eq!(split.call(&mut store, (7 << 32) | 5)?, 7 * 1000 + 5);
    let entry_tail = inst.get_typed_func::<i64, (i32, i32)>(&store, "entry_tail")?;
    assert_eq!(entry_tail.call(&mut store, (3 << 32) | 4)?, (3, 4));
    let inc_twice = inst.get_typed_func::<i32, i32>(&store, "inc_twice")?;
    assert_eq!(inc_twice.call(&mut store, 1)?, 2 + 101);
    Ok(())
}

/// A panic in a host function unwinds through Wasm to the embedder, and
/// the store must be left as usable as before: no Wasm frames or value-stack
/// space leaked, no calling instance left behind.
#[test]
fn host_panic_unwinds_and_store_stays_usable() -> weft::Result<()> {
    let mut config = Config::new();
    // A small stack, so leaking a frame per panic soon shows.
    config.max_wasm_stack(16 * 1024);
    let engine = Engine::new(&config);
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "maybe_panic", |x: i32| -> i32 {
        if x == 0 {
            panic!("host panic (expected by the test)");
        }
        x
    })?;
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "maybe_panic" (func $p (param i32) (result i32)))
            (func (export "run") (param i32) (result i32)
                (i32.add (call $p (local.get 0)) (i32.const 1))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module)?;
    let run = inst.get_typed_func::<i32, i32>(&store, "run")?;
    let probe = Func::wrap(&mut store, |mut caller: Caller<'_, ()>| -> i32 {
        i32::from(caller.get_export("run").is_some())
    });
    let probe = probe.typed::<(), i32>(&store)?;
    let caught = catch_unwind(AssertUnwindSafe(|| run.call(&mut store, 0)));
    assert!(caught.is_err(), "the panic propagates");
    assert_eq!(run.call(&mut store, 41)?, 42);
    // Called by the embedder, a host function has no calling instance.
    assert_eq!(probe.call(&mut store, ())?, 0);
    for _ in 0..500 {
        let caught = catch_unwind(AssertUnwindSafe(|| run.call(&mut store, 0)));
        assert!(caught.is_err(), "the panic propagates");
        assert_eq!(run.call(&mut store, 41)?, 42);
    }
    Ok(())
}

#[test]
fn define_unknown_imports_as_default_values() -> weft::Result<()> {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "known" (func $known (result i32)))
            (import "env" "a" (func $a (result i32 f64)))
            (import "other" "b" (func $b (param i64) (result externref)))
            (func (export "run") (result i32)
                (call $a) (drop)
                (i32.add (call $known))
                (i32.add (ref.is_null (call $b (i64.const 1))))))"#,
    )?;
    let mut linker = Linker::<()>::new(&engine);
    linker.func_wrap("env", "known", || 40)?;
    linker.define_unknown_imports_as_default_values(&module)?;
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module)?;
    assert_eq!(
        inst.get_typed_func::<(), i32>(&store, "run")?
            .call(&mut store, ())?,
        41
    );
    assert_eq!(inst.exports(&store).len(), 1);
    assert_eq!(inst.module(&store).exports().len(), 1);
    Ok(())
}

#[test]
fn memory_and_table_minimum_above_maximum_is_refused() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    assert!(Memory::new(&mut store, MemoryType::new(2, Some(1))).is_err());
    assert!(
        Table::new(
            &mut store,
            TableType::new(RefType::FUNCREF, 3, Some(2)),
            Ref::Func(None)
        )
        .is_err()
    );
    assert!(
        Module::validate(&engine, b"(module)").is_err(),
        "text is not binary"
    );
}

#[test]
fn funcref_params_install_functions_in_tables() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module
            (type $ii (func (param i32) (result i32)))
            (table 2 funcref)
            (func (export "install") (param i32 funcref) (table.set (local.get 0) (local.get 1)))
            (func (export "call") (param i32 i32) (result i32)
                (call_indirect (type $ii) (local.get 1) (local.get 0))))"#,
    );
    let install = inst.get_typed_func::<(i32, Option<Func>), ()>(&store, "install")?;
    let call = inst.get_typed_func::<(i32, i32), i32>(&store, "call")?;
    let sq = Func::wrap(&mut store, |x: i32| x * x);
    install.call(&mut store, (1, Some(sq)))?;
    assert_eq!(call.call(&mut store, (1, 9))?, 81);
    install.call(&mut store, (1, None))?;
    let err = call.call(&mut store, (1, 9)).unwrap_err();
    assert_eq!(trap_of(&err).kind(), TrapKind::UninitializedElement);
    // A function of another store is refused before Wasm runs.
    let mut other = Store::new(&engine, ());
    let foreign = Func::wrap(&mut other, |x: i32| x);
    assert!(install.call(&mut store, (0, Some(foreign))).is_err());
    Ok(())
}

/// Byte offsets, per function body, of the operators `pick` selects.
fn operator_offsets(binary: &[u8], pick: impl Fn(&wasmparser::Operator) -> bool) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(binary) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut offsets = Vec::new();
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                let (op, at) = ops.read_with_offset().unwrap();
                if pick(&op) {
                    offsets.push(at);
                }
            }
            out.push(offsets);
        }
    }
    out
}

#[test]
fn backtrace_offsets_point_at_the_trapping_and_calling_instructions() -> weft::Result<()> {
    let binary = wat::parse_str(
        r#"(module
            (func $inner (param i32) (result i32)
                (drop (i32.add (local.get 0) (i32.const 1)))
                (i32.load (local.get 0)))
            (func $outer (export "outer") (param i32) (result i32)
                (i32.add (i32.const 2) (call $inner (local.get 0))))
            (memory 1))"#,
    )
    .unwrap();
    let loads = operator_offsets(&binary, |op| {
        matches!(op, wasmparser::Operator::I32Load { .. })
    });
    let calls = operator_offsets(&binary, |op| {
        matches!(op, wasmparser::Operator::Call { .. })
    });
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let module = Module::new(&engine, &binary)?;
    let inst = Linker::new(&engine).instantiate(&mut store, &module)?;
    let outer = inst.get_typed_func::<i32, i32>(&store, "outer")?;
    let err = outer.call(&mut store, 65535).unwrap_err();
    let trap = trap_of(&err);
    assert_eq!(trap.kind(), TrapKind::MemoryOutOfBounds);
    let offsets: Vec<_> = trap.backtrace().iter().map(|f| f.offset).collect();
    assert_eq!(offsets, [Some(loads[0][0]), Some(calls[1][0])]);
    assert!(
        err.to_string()
            .contains(&format!("inner @ {:#x}", loads[0][0])),
        "{err}"
    );
    Ok(())
}

/// Recursion that alternates between Wasm and a host function must end in
/// `StackExhausted` (or finish), never overflow the host stack
/// (ARCHITECTURE.md: "A full stack is the trap 'call stack exhausted', never
/// a host overflow"). A host stack overflow aborts the whole process, so the
/// recursion runs in a child process: this test binary, run again on this
/// one test.
#[test]
fn reentrant_recursion_never_overflows_the_host_stack() {
    const CHILD: &str = "WEFT_API_TEST_CHILD";
    const NAME: &str = "reentrant_recursion_never_overflows_the_host_stack";
    if std::env::var_os(CHILD).is_some() {
        let outcome = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(|| deep_reentrant_recursion(100_000))
            .expect("thread spawns")
            .join()
            .expect("thread ran");
        println!("child outcome: {outcome}");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([NAME, "--exact", "--include-ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(CHILD, "1")
        .output()
        .expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("child outcome: ok"),
        "child failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

/// Recurses `depth` times through a host function; "ok" if the recursion
/// finished or trapped with `StackExhausted`.
fn deep_reentrant_recursion(depth: i32) -> String {
    let engine = Engine::default();
    let mut linker = Linker::<()>::new(&engine);
    linker
        .func_wrap(
            "env",
            "again",
            |mut caller: Caller<'_, ()>, n: i32| -> weft::Result<i32> {
                let f = caller
                    .get_export("rec")
                    .and_then(Extern::into_func)
                    .unwrap();
                f.typed::<i32, i32>(&caller)?.call(&mut caller, n)
            },
        )
        .unwrap();
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "again" (func $again (param i32) (result i32)))
            (func (export "rec") (param $n i32) (result i32)
                (if (result i32) (i32.eqz (local.get $n))
                    (then (i32.const 0))
                    (else (i32.add (i32.const 1)
                        (call $again (i32.sub (local.get $n) (i32.const 1))))))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let rec = inst.get_typed_func::<i32, i32>(&store, "rec").unwrap();
    match rec.call(&mut store, depth) {
        Ok(n) if n == depth => "ok".to_string(),
        Err(e) if e.as_trap().map(Trap::kind) == Some(TrapKind::StackExhausted) => "ok".to_string(),
        other => format!("unexpected {other:?}"),
    }
}

#[test]
fn feature_switches_and_unsupported_features_are_errors_not_panics() -> weft::Result<()> {
    // SIMD is on by default and runs; switched off, the module is invalid.
    let simd_wat = r#"(module (func (export "f") (result i32)
        (i32x4.extract_lane 2 (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 30 40)))))"#;
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &Module::new(&engine, simd_wat)?)?;
    assert_eq!(
        inst.get_typed_func::<(), i32>(&store, "f")?
            .call(&mut store, ())?,
        33
    );
    let mut config = Config::new();
    config.wasm_simd(false);
    let err = Module::new(&Engine::new(&config), simd_wat).err();
    assert!(matches!(err, Some(Error::Invalid { .. })), "{err:?}");

    // GC instructions validate but are not executable yet: a clear error.
    let gc_wat = r#"(module (type $s (struct (field i32)))
        (func (export "f") (result i32) (struct.get $s 0 (struct.new $s (i32.const 1)))))"#;
    let err = Module::new(&Engine::default(), gc_wat).err();
    assert!(matches!(err, Some(Error::Unsupported(_))), "{err:?}");
    Ok(())
}

/// The linker and module of the start-function tests: `init` writes 5 to
/// memory through `Caller::get_export`, then calls the export `get` back.
fn start_fixture(start: &str) -> weft::Result<(Linker<Vec<i32>>, Module)> {
    let engine = Engine::default();
    let mut linker = Linker::<Vec<i32>>::new(&engine);
    linker.func_wrap(
        "env",
        "init",
        |mut caller: Caller<'_, Vec<i32>>| -> weft::Result<()> {
            let mem = caller
                .get_export("memory")
                .and_then(Extern::into_memory)
                .ok_or_else(|| Error::host("no memory during start"))?;
            mem.write(&mut caller, 0, &[5])?;
            let get = caller
                .get_export("get")
                .and_then(Extern::into_func)
                .unwrap();
            let v = get.typed::<(), i32>(&caller)?.call(&mut caller, ())?;
            caller.data_mut().push(v);
            Ok(())
        },
    )?;
    let module = Module::new(
        &engine,
        format!(
            r#"(module
                (import "env" "init" (func $init))
                (memory (export "memory") 1)
                (func $wasm_start call $init)
                (func (export "get") (result i32) (i32.load8_u (i32.const 0)))
                (start {start}))"#
        ),
    )?;
    Ok((linker, module))
}

#[test]
fn start_function_can_call_the_host_with_its_own_instance() -> weft::Result<()> {
    let (linker, module) = start_fixture("$wasm_start")?;
    let mut store = Store::new(module.engine(), Vec::new());
    let inst = linker.instantiate(&mut store, &module)?;
    assert_eq!(store.data(), &[5]);
    assert_eq!(
        inst.get_typed_func::<(), i32>(&store, "get")?
            .call(&mut store, ())?,
        5
    );
    Ok(())
}

/// When the start function is itself an imported host function, the
/// instance being started is its caller (as in wasmtime).
#[test]
fn host_start_function_sees_the_instance_being_started() -> weft::Result<()> {
    let (linker, module) = start_fixture("$init")?;
    let mut store = Store::new(module.engine(), Vec::new());
    linker.instantiate(&mut store, &module)?;
    assert_eq!(store.data(), &[5]);
    Ok(())
}

/// Untrusted code under control: fuel, epoch deadlines, stack limits and
/// resource limiters stop or refuse what the embedder did not allow.
mod limits {
    use std::time::Duration;
    use weft::*;

    const SPIN: &str = r#"(module
        (func (export "spin") (loop (br 0)))
        (func (export "count") (param i32) (result i32) (local i32)
            (loop
                (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
            (local.get 1))
        (func $rec (export "recurse") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0))
                (then (i32.const 0))
                (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1))))))))"#;

    fn spin_instance(config: &Config) -> (Store<()>, Instance) {
        let engine = Engine::new(config);
        let module = Module::new(&engine, SPIN).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        (store, instance)
    }

    fn trap_kind(e: &Error) -> TrapKind {
        e.as_trap()
            .unwrap_or_else(|| panic!("expected a trap, got {e}"))
            .kind()
    }

    #[test]
    fn fuel_stops_an_infinite_loop_and_can_be_refilled() {
        let mut config = Config::new();
        config.consume_fuel(true);
        let (mut store, instance) = spin_instance(&config);
        store.set_fuel(10_000).unwrap();
        let spin = instance.get_typed_func::<(), ()>(&store, "spin").unwrap();
        let err = spin.call(&mut store, ()).unwrap_err();
        assert_eq!(trap_kind(&err), TrapKind::OutOfFuel);
        assert_eq!(store.get_fuel().unwrap(), 0);

        // Refilled, a finite computation completes and pays for its work.
        let count = instance
            .get_typed_func::<i32, i32>(&store, "count")
            .unwrap();
        store.set_fuel(1_000_000).unwrap();
        assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
        let used = 1_000_000 - store.get_fuel().unwrap();
        assert!(
            (7_000..20_000).contains(&used),
            "1000 iterations of ~8 instructions used {used}"
        );

        // Too little fuel for the same work traps, more fuel lets it finish.
        store.set_fuel(used / 2).unwrap();
        assert_eq!(
            trap_kind(&count.call(&mut store, 1000).unwrap_err()),
            TrapKind::OutOfFuel
        );
        store.set_fuel(used).unwrap();
        assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
    }

    #[test]
    fn fuel_is_an_error_when_not_enabled() {
        let (mut store, _) = spin_instance(&Config::new());
        assert!(store.set_fuel(1).is_err());
        assert!(store.get_fuel().is_err());
    }

    #[test]
    fn epoch_deadline_interrupts_from_another_thread() {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let (mut store, instance) = spin_instance(&config);
        store.set_epoch_deadline(1);
        let engine = store.engine().clone();
        let ticker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            engine.increment_epoch();
        });
        let spin = instance.get_typed_func::<(), ()>(&store, "spin").unwrap();
        let err = spin.call(&mut store, ()).unwrap_err();
        assert_eq!(trap_kind(&err), TrapKind::Interrupt);
        ticker.join().unwrap();

        // With a fresh deadline, code runs normally again.
        store.set_epoch_deadline(1);
        let count = instance
            .get_typed_func::<i32, i32>(&store, "count")
            .unwrap();
        assert_eq!(count.call(&mut store, 100).unwrap(), 100);
    }

    #[test]
    fn recursion_traps_cleanly_at_the_configured_stack_size() {
        let mut small = Config::new();
        small.max_wasm_stack(64 << 10);
        let (mut store, instance) = spin_instance(&small);
        let rec = instance
            .get_typed_func::<i32, i32>(&store, "recurse")
            .unwrap();
        assert_eq!(rec.call(&mut store, 100).unwrap(), 100);
        let err = rec.call(&mut store, 1_000_000).unwrap_err();
        assert_eq!(trap_kind(&err), TrapKind::StackExhausted);
        // The store is still usable after the exhaustion.
        assert_eq!(rec.call(&mut store, 50).unwrap(), 50);

        // The default stack allows the depth the small one refused.
        let (mut store, instance) = spin_instance(&Config::new());
        let rec = instance
            .get_typed_func::<i32, i32>(&store, "recurse")
            .unwrap();
        assert_eq!(rec.call(&mut store, 10_000).unwrap(), 10_000);
    }

    const GROW: &str = r#"(module
        (memory (export "mem") 1)
        (table (export "tab") 1 funcref)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "grow_table") (param i32) (result i32)
            (table.grow (ref.null func) (local.get 0))))"#;

    fn limited(limits: StoreLimits) -> (Store<()>, Instance, Module) {
        let engine = Engine::default();
        let module = Module::new(&engine, GROW).unwrap();
        let mut store = Store::new(&engine, ());
        store.limiter(limits);
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        (store, instance, module)
    }

    #[test]
    fn memory_grow_past_the_limit_returns_minus_one() {
        let limits = StoreLimitsBuilder::new()
            .memory_size(4 << 16)
            .table_elements(10)
            .build();
        let (mut store, instance, _) = limited(limits);
        let grow = instance.get_typed_func::<i32, i32>(&store, "grow").unwrap();
        assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
        assert_eq!(
            grow.call(&mut store, 2).unwrap(),
            -1,
            "5 pages exceed the 4-page limit"
        );
        assert_eq!(grow.call(&mut store, 1).unwrap(), 3);
        assert_eq!(instance.get_memory(&store, "mem").unwrap().size(&store), 4);
        let mem = instance.get_memory(&store, "mem").unwrap();
        assert!(
            mem.grow(&mut store, 1).is_err(),
            "the host API obeys the limiter too"
        );

        let grow_table = instance
            .get_typed_func::<i32, i32>(&store, "grow_table")
            .unwrap();
        assert_eq!(grow_table.call(&mut store, 9).unwrap(), 1);
        assert_eq!(grow_table.call(&mut store, 1).unwrap(), -1);
    }

    #[test]
    fn refused_growth_can_trap_instead() {
        let limits = StoreLimitsBuilder::new()
            .memory_size(1 << 16)
            .trap_on_grow_failure(true)
            .build();
        let (mut store, instance, _) = limited(limits);
        let grow = instance.get_typed_func::<i32, i32>(&store, "grow").unwrap();
        assert_eq!(
            trap_kind(&grow.call(&mut store, 1).unwrap_err()),
            TrapKind::GrowthRefused
        );
    }

    #[test]
    fn instance_and_memory_counts_are_capped() {
        let limits = StoreLimitsBuilder::new().instances(2).memories(2).build();
        let (mut store, _, module) = limited(limits);
        let linker = Linker::new(store.engine());
        assert!(linker.instantiate(&mut store, &module).is_ok());
        let err = linker.instantiate(&mut store, &module).unwrap_err();
        assert!(err.to_string().contains("too many instances"), "{err}");
        let err = Memory::new(&mut store, MemoryType::new(1, None)).unwrap_err();
        assert!(err.to_string().contains("too many memories"), "{err}");
    }

    #[test]
    fn a_memory_larger_than_the_limit_cannot_be_created() {
        let limits = StoreLimitsBuilder::new().memory_size(1 << 16).build();
        let engine = Engine::default();
        let mut store = Store::new(&engine, ());
        store.limiter(limits);
        assert!(Memory::new(&mut store, MemoryType::new(2, None)).is_err());
        assert!(Memory::new(&mut store, MemoryType::new(1, None)).is_ok());
    }
}

/// Exceptions crossing the embedder boundary: an uncaught Wasm exception is
/// an error carrying its tag and payload; a host function can throw one
/// into Wasm, where `try_table` catches it.
mod exceptions {
    use weft::*;

    const WAT: &str = r#"(module
        (tag $e (export "e") (param i32 i64))
        (import "host" "throw" (func $host_throw (param i32)))
        (func (export "throw") (param i32)
            (throw $e (local.get 0) (i64.const 7)))
        (func (export "catch_host") (param i32) (result i32)
            (block $caught (result i32 i64)
                (try_table (catch $e $caught)
                    (call $host_throw (local.get 0)))
                (return (i32.const -1)))
            (drop))
        (func (export "rethrow_host") (param i32)
            (call $host_throw (local.get 0))))"#;

    fn setup() -> Result<(Store<()>, Instance)> {
        let engine = Engine::default();
        let module = Module::new(&engine, WAT)?;
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        let tag_cell: std::sync::Arc<std::sync::OnceLock<Tag>> = Default::default();
        let for_host = tag_cell.clone();
        linker.func_wrap(
            "host",
            "throw",
            move |mut caller: Caller<'_, ()>, x: i32| -> Result<()> {
                let tag = caller
                    .get_export("e")
                    .and_then(Extern::into_tag)
                    .expect("exported tag");
                let _ = for_host.set(tag);
                let exn = Exception::new(&mut caller, tag, &[Val::I32(x * 2), Val::I64(1)])?;
                Err(exn.into())
            },
        )?;
        let instance = linker.instantiate(&mut store, &module)?;
        Ok((store, instance))
    }

    #[test]
    fn uncaught_exception_carries_tag_and_payload() -> Result<()> {
        let (mut store, instance) = setup()?;
        let f = instance.get_typed_func::<i32, ()>(&store, "throw")?;
        let err = f.call(&mut store, 41).unwrap_err();
        let exn = err.as_exception().expect("an exception, not a trap");
        let tag = instance
            .get_export(&store, "e")
            .and_then(Extern::into_tag)
            .unwrap();
        assert_eq!(exn.tag(&store)?, tag);
        let payload = exn.payload(&store)?;
        assert!(
            matches!(payload[..], [Val::I32(41), Val::I64(7)]),
            "{payload:?}"
        );
        assert_eq!(tag.ty(&store).params(), &[ValType::I32, ValType::I64]);
        // The store stays usable after an exception escaped.
        assert!(f.call(&mut store, 1).unwrap_err().as_exception().is_some());
        Ok(())
    }

    #[test]
    fn host_thrown_exception_is_caught_in_wasm() -> Result<()> {
        let (mut store, instance) = setup()?;
        let f = instance.get_typed_func::<i32, i32>(&store, "catch_host")?;
        assert_eq!(f.call(&mut store, 21)?, 42);
        let g = instance.get_typed_func::<i32, ()>(&store, "rethrow_host")?;
        let exn = g
            .call(&mut store, 5)
            .unwrap_err()
            .as_exception()
            .expect("exception");
        assert!(matches!(
            exn.payload(&store)?[..],
            [Val::I32(10), Val::I64(1)]
        ));
        Ok(())
    }

    #[test]
    fn exception_payload_must_match_the_tag() -> Result<()> {
        let (mut store, instance) = setup()?;
        let tag = instance
            .get_export(&store, "e")
            .and_then(Extern::into_tag)
            .unwrap();
        assert!(Exception::new(&mut store, tag, &[Val::I32(1)]).is_err());
        assert!(Exception::new(&mut store, tag, &[Val::I64(1), Val::I32(1)]).is_err());
        let other = Tag::new(&mut store, &FuncType::new([], []))?;
        assert_ne!(other, tag);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Regressions found by the fuzz targets in fuzz/ (see fuzz/README.md)
// ---------------------------------------------------------------------------

mod fuzz_regressions {
    use weft::{Config, Engine, Error, Linker, Module, Store, Val};

    /// A module whose import section uses the compact-imports encoding
    /// (`0x7E`: one module name and type, several item names), a proposal
    /// weft's `Config` never enables: `(import "" (item "") (global (mut f64)))`.
    const COMPACT_IMPORT: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
        0x02, 0x09, // import section, 9 bytes
        0x01, // one import group
        0x00, // module name ""
        0x00, // item name "" (compact form follows)
        0x7e, // compact encoding 2: shared type
        0x03, 0x7c, 0x01, // global (mut f64)
        0x01, 0x00, // one item name: ""
    ];

    /// fuzz target `validate_translate`: `Module::validate` rejects the
    /// module ("invalid leading byte 0x7E with compact imports proposal
    /// disabled") but `Module::from_binary` compiled it. The two must agree:
    /// a module the engine's features do not allow is invalid.
    #[test]
    fn from_binary_rejects_compact_imports() {
        let engine = Engine::default();
        assert!(matches!(
            Module::validate(&engine, COMPACT_IMPORT),
            Err(Error::Invalid { .. })
        ));
        let compiled = Module::from_binary(&engine, COMPACT_IMPORT);
        assert!(
            matches!(compiled, Err(Error::Invalid { .. })),
            "from_binary must reject what validate rejects, got {:?}",
            compiled.map(|_| ())
        );
    }

    /// fuzz target `execute`: the default value of a nullable reference to
    /// a concrete struct or array type must be a null that `Func::call`
    /// accepts for that type. `Val::default_for` answered `FuncRef(None)`,
    /// and the call failed with "argument 0 is not of type (ref null ...)".
    #[test]
    #[ignore = "limitation: Val::default_for has no type registry, so it cannot tell a concrete struct/array type from a function type and answers FuncRef(None)"]
    fn default_for_nullable_concrete_gc_type() {
        let engine = Engine::default();
        let mut store = Store::new(&engine, ());
        let module = Module::new(
            &engine,
            r#"(module
                (type $a (array i16))
                (type $s (struct (field i32)))
                (func (export "array") (param (ref null $a)))
                (func (export "struct") (param (ref null $s))))"#,
        )
        .unwrap();
        let instance = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        for name in ["array", "struct"] {
            let f = instance.get_func(&store, name).unwrap();
            let param = f.ty(&store).params()[0];
            let null = Val::default_for(param).expect("a nullable type has a default");
            assert!(
                matches!(null, Val::AnyRef(None)),
                "{name}: default of {param} is {null:?}"
            );
            f.call(&mut store, &[null], &mut [])
                .unwrap_or_else(|e| panic!("{name}: calling with the default null: {e}"));
        }
    }

    /// The same bug seen through `define_unknown_imports_as_default_values`:
    /// the defaulted import returns `Val::default_for` of its result type.
    #[test]
    fn default_import_returns_null_of_concrete_gc_type() {
        let mut config = Config::new();
        config.wasm_gc(true);
        let engine = Engine::new(&config);
        let mut store = Store::new(&engine, ());
        let module = Module::new(
            &engine,
            r#"(module
                (type $s (struct (field i32)))
                (import "host" "make" (func $make (result (ref null $s))))
                (func (export "is_null") (result i32)
                    call $make
                    ref.is_null))"#,
        )
        .unwrap();
        let mut linker = Linker::new(&engine);
        linker
            .define_unknown_imports_as_default_values(&module)
            .unwrap();
        let instance = linker.instantiate(&mut store, &module).unwrap();
        let f = instance
            .get_typed_func::<(), i32>(&store, "is_null")
            .unwrap();
        assert_eq!(f.call(&mut store, ()).unwrap(), 1);
    }
}

/// Instruction fusion must never combine an instruction before a branch
/// target with one after it: a loop head in the middle of a fused
/// instruction made branches land on operand words (found running
/// sightglass's bz2 under WASI).
#[test]
fn fusion_never_crosses_a_branch_target() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module (memory 1)
            (func (export "count") (param $n i32) (result i32) (local $i i32) (local $k i32)
                ;; An add right before the loop, then a compare at its head.
                (local.set $i (i32.add (local.get $n) (i32.const 1)))
                (block $exit (loop $l
                    (br_if $exit (i32.ge_s (local.get $i) (i32.const 10)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $l)))
                (local.get $k))
            (func (export "load_param") (param $p i32) (result i32)
                ;; An address add flowing into a loop as its parameter.
                (i32.store (i32.const 8) (i32.const 77))
                (i32.add (local.get $p) (i32.const 4))
                (loop (param i32) (result i32) (i32.load)))
            (func (export "sum") (param $p i32) (result i32) (local $s i32)
                (i32.store (i32.const 8) (i32.const 3))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (loop $l
                    (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
                    (br_if $l (i32.lt_u (local.get $s) (i32.const 9))))
                (local.get $s)))"#,
    );
    let count = inst.get_typed_func::<i32, i32>(&store, "count")?;
    assert_eq!(count.call(&mut store, 5)?, 4);
    assert_eq!(count.call(&mut store, 0)?, 9);
    let load_param = inst.get_typed_func::<i32, i32>(&store, "load_param")?;
    assert_eq!(load_param.call(&mut store, 4)?, 77);
    let sum = inst.get_typed_func::<i32, i32>(&store, "sum")?;
    assert_eq!(sum.call(&mut store, 4)?, 9);
    Ok(())
}
