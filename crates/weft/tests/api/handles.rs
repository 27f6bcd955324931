//! The `Memory`, `Table` and `Global` handles and external references.

use super::*;

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

    let hello = ExternRef::new(&mut store, String::from("hello"))?;
    let number = ExternRef::new(&mut store, 42u64)?;
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
    let foreign = ExternRef::new(&mut other, String::from("elsewhere"))?;
    assert!(put.call(&mut store, (3, Some(foreign))).is_err());
    assert_eq!(take.call(&mut store, 3)?, None);
    Ok(())
}
