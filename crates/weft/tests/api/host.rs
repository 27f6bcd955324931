//! Store data, host functions and the `Caller`, re-entrancy (Wasm calling the host calling Wasm), and host-call edge cases.

use super::*;

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
    // The test's name as the harness knows it: its path below the crate.
    let name = format!(
        "{}::reentrant_recursion_never_overflows_the_host_stack",
        module_path!().split_once("::").map_or("", |(_, m)| m)
    );
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
        .args([name.as_str(), "--exact", "--include-ignored", "--nocapture"])
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
fn feature_switches_turn_proposals_off() -> weft::Result<()> {
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

    // GC is on by default and runs; switched off, the module is invalid.
    let gc_wat = r#"(module (type $s (struct (field i8)))
        (func (export "f") (result i32) (struct.get_s $s 0 (struct.new $s (i32.const 0x1ff)))))"#;
    let inst = Linker::new(&engine).instantiate(&mut store, &Module::new(&engine, gc_wat)?)?;
    assert_eq!(
        inst.get_typed_func::<(), i32>(&store, "f")?
            .call(&mut store, ())?,
        -1,
        "0x1ff stored in an i8 keeps 0xff, which get_s sign-extends"
    );
    let mut config = Config::new();
    config.wasm_gc(false);
    let err = Module::new(&Engine::new(&config), gc_wat).err();
    assert!(matches!(err, Some(Error::Invalid { .. })), "{err:?}");
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
