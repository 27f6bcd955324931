//! Compiling and validating modules, and sharing engines and modules across stores and threads.

use super::*;

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

/// Every constructor gives a module whose data segments (active, and
/// passive ones `memory.init` reads later) and lazily translated bodies
/// come from its own bytes: the caller's buffer may change or go away.
#[test]
fn modules_keep_their_data_and_code_whatever_they_were_built_from() -> weft::Result<()> {
    let wat = r#"(module
        (memory (export "mem") 1)
        (data (i32.const 8) "weft")
        (data $later "later")
        (func (export "init") (memory.init $later (i32.const 100) (i32.const 0) (i32.const 5)))
        (func (export "sum") (result i32)
            (i32.add (i32.load8_u (i32.const 8)) (i32.load8_u (i32.const 104)))))"#;
    let engine = Engine::default();
    let mut binary = wat::parse_str(wat).expect("wat parses");
    let modules = [
        Module::new(&engine, wat)?,
        Module::from_vec(&engine, wat.as_bytes().to_vec())?,
        Module::from_vec(&engine, binary.clone())?,
        Module::from_binary(&engine, &binary)?,
        Module::new(&engine, &binary)?,
    ];
    // The buffer the last two were built from changes under them.
    binary.fill(0);
    for module in modules {
        let mut store = Store::new(&engine, ());
        let inst = Linker::new(&engine).instantiate(&mut store, &module)?;
        let mem = inst.get_memory(&store, "mem").expect("exported");
        let mut word = [0; 4];
        mem.read(&store, 8, &mut word)?;
        assert_eq!(&word, b"weft");
        inst.get_typed_func::<(), ()>(&store, "init")?
            .call(&mut store, ())?;
        let sum = inst.get_typed_func::<(), i32>(&store, "sum")?;
        assert_eq!(sum.call(&mut store, ())?, i32::from(b'w') + i32::from(b'r'));
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

/// Lazy translation still validates every body up front: a module whose
/// invalid body is never called is rejected by `Module::new`, with the
/// same error and offset as under eager translation.
#[test]
fn lazy_translation_rejects_an_invalid_body_up_front() {
    let wat = r#"(module
        (func (export "ok") (result i32) i32.const 1)
        (func (result i32) i64.const 7)
        (func (export "also_ok")))"#;
    let binary = wat::parse_str(wat).unwrap();
    let mut errors = Vec::new();
    for mode in [CompilationMode::LazyTranslation, CompilationMode::Eager] {
        let mut config = Config::new();
        config.compilation_mode(mode);
        let engine = Engine::new(&config);
        match Module::new(&engine, &binary).err() {
            Some(Error::Invalid { offset, message }) => {
                assert!(message.contains("type mismatch"), "{message}");
                errors.push((offset, message));
            }
            other => panic!("{mode:?}: expected Error::Invalid, got {other:?}"),
        }
    }
    assert_eq!(errors[0], errors[1], "lazy and eager report the same error");
}

/// A module with `n` functions `f0..` (each returns its index plus a
/// computed zero, a body of some 100 bytes), where the functions in
/// `invalid` return an i64 instead.
fn many_functions(n: u32, invalid: &[u32]) -> Vec<u8> {
    let mut wat = String::from("(module\n");
    for i in 0..n {
        let body = (0..12)
            .map(|k| format!("(i32.mul (local.get 0) (i32.const {k}))"))
            .fold("(i32.const 0)".to_string(), |acc, t| {
                format!("(i32.add {acc} {t})")
            });
        let ret = if invalid.contains(&i) {
            "(i64.const 1)".to_string()
        } else {
            format!("(i32.add (i32.const {i}) (i32.mul {body} (i32.const 0)))")
        };
        wat += &format!("(func (export \"f{i}\") (param i32) (result i32) {ret})\n");
    }
    wat += ")";
    wat::parse_str(&wat).unwrap()
}

/// A code section large enough to be checked on several threads gives the
/// results and the errors of one thread: the error of the first invalid
/// body, at its offset, in either compilation mode.
#[test]
fn parallel_compilation_agrees_with_one_thread() {
    let valid = many_functions(4000, &[]);
    assert!(
        valid.len() > 300 << 10,
        "big enough to share: {}",
        valid.len()
    );
    let invalid = many_functions(4000, &[1500, 3900]);
    for mode in [CompilationMode::LazyTranslation, CompilationMode::Eager] {
        let mut errors = Vec::new();
        for parallel in [true, false] {
            let mut config = Config::new();
            config.compilation_mode(mode).parallel_compilation(parallel);
            let engine = Engine::new(&config);
            let module = Module::new(&engine, &valid).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Linker::new(&engine)
                .instantiate(&mut store, &module)
                .unwrap();
            for i in [0, 1999, 3999] {
                let f = instance
                    .get_typed_func::<i32, i32>(&mut store, &format!("f{i}"))
                    .unwrap();
                assert_eq!(f.call(&mut store, 5).unwrap(), i);
            }
            match Module::new(&engine, &invalid).err() {
                Some(Error::Invalid { offset, message }) => errors.push((offset, message)),
                other => panic!("{mode:?}: expected Error::Invalid, got {other:?}"),
            }
        }
        assert_eq!(
            errors[0], errors[1],
            "{mode:?}: parallel and sequential agree"
        );
    }
    // The reported body is the first invalid one: 1500 (checked by the
    // first of two threads), not 3900 (by the second).
    let first_only = many_functions(4000, &[1500]);
    let mut one_thread = Config::new();
    one_thread.parallel_compilation(false);
    let err = Module::new(&Engine::new(&one_thread), &first_only).err();
    let Some(Error::Invalid { offset, .. }) = err else {
        panic!("expected Error::Invalid, got {err:?}");
    };
    let mut config = Config::new();
    config.parallel_compilation(true);
    match Module::new(&Engine::new(&config), &invalid).err() {
        Some(Error::Invalid { offset: o, .. }) => assert_eq!(o, offset),
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
}
