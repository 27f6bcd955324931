//! Traps with their kinds and Wasm backtraces, stack limits, and a long-running loop that keeps the host stack flat.

use super::*;

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

/// Loads and stores at constant addresses (translated with the address
/// and offset folded into one constant) are bounds-checked as Wasm
/// defines: the 33-bit sum of address and offset for a 32-bit memory,
/// the unwrapped sum for a 64-bit one.
#[test]
fn constant_address_accesses_check_bounds() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (memory 1)
        (func (export "last") (param i32) (result i32)
            (i32.store offset=65532 (i32.const 0) (i32.add (local.get 0) (i32.const 1)))
            (i32.load offset=65528 (i32.const 4)))
        (func (export "bytes") (result i32)
            (i32.store8 (i32.const 65535) (i32.const 0x1ff))
            (i32.load8_s (i32.const 65535)))
        (func (export "load_past_end") (result i32) (i32.load offset=65533 (i32.const 0)))
        (func (export "store_past_end") (i64.store (i32.const 65529) (i64.const 1)))
        (func (export "load_33_bits") (result i32) (i32.load offset=0xffffffff (i32.const 1)))
        (func (export "store_33_bits") (i32.store offset=0xfffffff0 (i32.const 0x20) (i32.const 1))))"#,
    );
    let last = inst.get_typed_func::<i32, i32>(&mut store, "last").unwrap();
    assert_eq!(last.call(&mut store, 41).unwrap(), 42);
    let bytes = inst.get_typed_func::<(), i32>(&mut store, "bytes").unwrap();
    assert_eq!(bytes.call(&mut store, ()).unwrap(), -1);
    for name in [
        "load_past_end",
        "store_past_end",
        "load_33_bits",
        "store_33_bits",
    ] {
        assert_eq!(
            trap_kind_of_call(&mut store, inst, name),
            TrapKind::MemoryOutOfBounds,
            "{name}"
        );
    }

    let inst = instantiate(
        &mut store,
        r#"(module
        (memory i64 1)
        (func (export "in_bounds") (result i64)
            (i64.store offset=8 (i64.const 65520) (i64.const 7))
            (i64.load offset=65528 (i64.const 0)))
        (func (export "wraps") (result i64) (i64.load offset=16 (i64.const -8)))
        (func (export "huge") (result i64) (i64.load offset=0x100000000 (i64.const 0)))
        (func (export "store_wraps") (i64.store offset=0xffffffffffffffff (i64.const 1) (i64.const 0))))"#,
    );
    let f = inst
        .get_typed_func::<(), i64>(&mut store, "in_bounds")
        .unwrap();
    assert_eq!(f.call(&mut store, ()).unwrap(), 7);
    for name in ["wraps", "huge", "store_wraps"] {
        assert_eq!(
            trap_kind_of_call(&mut store, inst, name),
            TrapKind::MemoryOutOfBounds,
            "{name}"
        );
    }
}
