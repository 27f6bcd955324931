//! GC instructions through the API: every GC handler run in a long loop
//! (a handler whose `next!` is not a jump grows the host stack until the
//! test thread overflows), results checked against what the loop computes
//! by other means, and heap exhaustion as a trap.

use super::*;

/// One loop iteration uses every GC instruction once; each checks a result
/// the loop knows in advance, so a wrong value exits through `unreachable`.
const EVERY_GC_INSTRUCTION: &str = r#"(module
    (type $pair (struct (field $a (mut i32)) (field $b (mut i8)) (field $v (mut v128))))
    (type $bytes (array (mut i8)))
    (type $refs (array (mut anyref)))
    (data $d "\01\02\03\04")
    (elem $e anyref (ref.i31 (i32.const 5)) (ref.i31 (i32.const 6)))
    (func (export "run") (param $n i32) (result i32)
        (local $i i32) (local $s (ref null $pair)) (local $a (ref null $bytes))
        (local $r (ref null $refs)) (local $sum i32)
        (loop $l
            ;; struct.new, struct.get(_s), struct.set, struct.new_default
            (local.set $s (struct.new $pair (local.get $i) (i32.const 0xff) (v128.const i64x2 1 2)))
            (struct.set $pair $a (local.get $s) (i32.add (struct.get $pair $a (local.get $s)) (i32.const 1)))
            (if (i32.ne (struct.get_s $pair $b (local.get $s)) (i32.const -1)) (then unreachable))
            (if (i32.ne (struct.get_u $pair $b (struct.new_default $pair)) (i32.const 0)) (then unreachable))
            (if (i64x2.all_true (i64x2.ne (struct.get $pair $v (local.get $s)) (v128.const i64x2 1 2)))
                (then unreachable))
            ;; arrays: new, new_default, new_fixed, new_data, new_elem, get, set, len, fill, copy, init
            (local.set $a (array.new $bytes (i32.const 7) (i32.const 8)))
            (array.set $bytes (local.get $a) (i32.const 1) (i32.const 0x80))
            (if (i32.ne (array.get_s $bytes (local.get $a) (i32.const 1)) (i32.const -128)) (then unreachable))
            (if (i32.ne (array.get_u $bytes (local.get $a) (i32.const 0)) (i32.const 7)) (then unreachable))
            (array.fill $bytes (local.get $a) (i32.const 2) (i32.const 9) (i32.const 3))
            (array.copy $bytes $bytes (local.get $a) (i32.const 5) (array.new_data $bytes $d (i32.const 0) (i32.const 4)) (i32.const 1) (i32.const 3))
            (array.init_data $bytes $d (local.get $a) (i32.const 0) (i32.const 3) (i32.const 1))
            (if (i32.ne (array.get_u $bytes (local.get $a) (i32.const 7)) (i32.const 4)) (then unreachable))
            (if (i32.ne (array.get_u $bytes (local.get $a) (i32.const 0)) (i32.const 4)) (then unreachable))
            (if (i32.ne (array.len (array.new_default $bytes (i32.const 3))) (i32.const 3)) (then unreachable))
            (local.set $r (array.new_elem $refs $e (i32.const 0) (i32.const 2)))
            (array.init_elem $refs $e (local.get $r) (i32.const 0) (i32.const 1) (i32.const 1))
            (if (i32.ne (i31.get_s (ref.cast i31ref (array.get $refs (local.get $r) (i32.const 0)))) (i32.const 6))
                (then unreachable))
            (if (i32.ne (array.len (array.new_fixed $refs 2 (local.get $s) (ref.null any))) (i32.const 2))
                (then unreachable))
            ;; tests, casts, branches on casts, i31, ref.eq, conversions
            (if (i32.eqz (ref.test (ref $pair) (local.get $s))) (then unreachable))
            (if (ref.test (ref $bytes) (local.get $s)) (then unreachable))
            (if (i32.eqz (ref.eq (local.get $s) (ref.cast (ref $pair) (local.get $s)))) (then unreachable))
            (if (i32.ne (i31.get_u (ref.i31 (i32.const -1))) (i32.const 0x7fffffff)) (then unreachable))
            (drop (block $yes (result (ref $pair))
                (drop (br_on_cast $yes anyref (ref $pair) (local.get $s)))
                unreachable))
            (drop (block $no (result anyref)
                (br_on_cast_fail $no anyref (ref $bytes) (local.get $s))
                unreachable))
            (drop (any.convert_extern (extern.convert_any (local.get $s))))
            (local.set $sum (i32.add (local.get $sum) (struct.get $pair $a (local.get $s))))
            (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
        (local.get $sum)))"#;

#[test]
fn every_gc_instruction_keeps_the_host_stack_flat() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, EVERY_GC_INSTRUCTION);
    let run = inst.get_typed_func::<i32, i32>(&store, "run")?;
    assert_eq!(run.call(&mut store, 3)?, 1 + 2 + 3);
    // Far more iterations than a 2 MiB test thread has room for frames.
    let n: i32 = 200_000;
    let want = (1..=i64::from(n)).sum::<i64>() as i32;
    assert_eq!(run.call(&mut store, n)?, want);
    Ok(())
}

/// Null references, bounds and failed casts are the traps the spec names.
#[test]
fn gc_misuse_traps_with_the_spec_message() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module
            (type $s (struct (field i32)))
            (type $a (array i32))
            (func (export "null_struct") (result i32) (struct.get $s 0 (ref.null $s)))
            (func (export "null_array") (result i32) (array.len (ref.null $a)))
            (func (export "null_i31") (result i32) (i31.get_s (ref.null i31)))
            (func (export "bounds") (result i32)
                (array.get $a (array.new_default $a (i32.const 2)) (i32.const 2)))
            (func (export "cast") (result i32)
                (drop (ref.cast (ref $a) (struct.new_default $s))) (i32.const 0))
            (func (export "huge") (result i32)
                (array.len (array.new_default $a (i32.const -1)))))"#,
    );
    for (name, kind) in [
        ("null_struct", TrapKind::NullStructReference),
        ("null_array", TrapKind::NullArrayReference),
        ("null_i31", TrapKind::NullI31Reference),
        ("bounds", TrapKind::ArrayOutOfBounds),
        ("cast", TrapKind::CastFailure),
        ("huge", TrapKind::AllocationTooLarge),
    ] {
        assert_eq!(trap_kind_of_call(&mut store, inst, name), kind, "{name}");
    }
}
