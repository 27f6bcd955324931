//! The `Linker`: definitions, instances, link errors.

use super::*;

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
