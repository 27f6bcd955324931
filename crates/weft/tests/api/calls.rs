//! Typed and dynamic calls, and handles used with the wrong store.

use super::*;

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
    let ext = ExternRef::new(&mut b, 1u8)?;
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
