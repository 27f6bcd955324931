//! Regressions found by the fuzz targets in fuzz/ (see fuzz/README.md).

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

/// `1 / select(1, x, x == 0)` with `x` a local set to -32 is
/// `1 / 0xffffffe0 = 0` (unsigned): wasm-smith's division guard, which
/// wasmi 2.0 evaluates as `1 / 1` (fuzz/known/wasmi-guarded-div-value.wat).
#[test]
fn guarded_division_of_a_local() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = super::instantiate(
        &mut store,
        r#"(module (func (export "f") (param i32) (result i32) (local i32)
            (local.set 1 (local.get 0))
            (i32.div_u (i32.const 1)
                (select (i32.const 1) (local.get 1) (i32.eqz (local.get 1))))))"#,
    );
    let f = inst.get_typed_func::<i32, i32>(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, -32).unwrap(), 0);
    assert_eq!(f.call(&mut store, 1).unwrap(), 1);
    assert_eq!(f.call(&mut store, 0).unwrap(), 1);
}

/// weft-binaryen-diff (crates/weft-binaryen-diff), seed 59: a branch whose
/// condition is a constant or a local pushed right after a dropped
/// comparison was fused with that comparison (the operand reuses the
/// dropped result's slot, and no code came between), so `if`/`br_if`
/// tested the dead comparison instead of its own condition.
#[test]
fn branch_after_a_dropped_comparison() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = super::instantiate(
        &mut store,
        r#"(module
            (func (export "if_const") (param i32 i32) (result i32)
                (drop (i32.lt_u (local.get 1) (local.get 0)))
                (if (i32.const 1) (then (return (i32.const 1))))
                (i32.const 0))
            (func (export "br_if_const") (param i32 i32) (result i32)
                (drop (i32.lt_u (local.get 0) (i32.const 5)))
                (block (br_if 0 (i32.const 0)) (return (i32.const 1)))
                (i32.const 0))
            (func (export "br_if_local") (param i32 i32) (result i32)
                (drop (i32.lt_u (local.get 0) (local.get 1)))
                (block (br_if 0 (local.get 1)) (return (i32.const 1)))
                (i32.const 0))
            (func (export "if_eqz_dropped") (param i32 i32) (result i32)
                (drop (i32.eqz (local.get 0)))
                (if (local.get 1) (then (return (i32.const 1))))
                (i32.const 0)))"#,
    );
    let call = |store: &mut Store<()>, name: &str, a: i32, b: i32| {
        inst.get_typed_func::<(i32, i32), i32>(&*store, name)
            .unwrap()
            .call(store, (a, b))
            .unwrap()
    };
    assert_eq!(call(&mut store, "if_const", 0, 0), 1);
    assert_eq!(call(&mut store, "br_if_const", 0, 0), 1);
    assert_eq!(call(&mut store, "br_if_local", 5, 1), 0);
    assert_eq!(call(&mut store, "br_if_local", 0, 0), 1);
    assert_eq!(call(&mut store, "if_eqz_dropped", 0, 0), 0);
    assert_eq!(call(&mut store, "if_eqz_dropped", 1, 1), 1);
}
