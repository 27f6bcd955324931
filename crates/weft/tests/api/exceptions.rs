//! Exceptions crossing the embedder boundary: an uncaught Wasm exception is
//! an error carrying its tag and payload; a host function can throw one
//! into Wasm, where `try_table` catches it.

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
