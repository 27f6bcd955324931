//! Branches that absorb the instruction computing their condition (a load,
//! `load_br`; a mask or a decrement, `br_add_cmp`) and moves that run the
//! instruction after them without a dispatch (`copy_then`, `const_then`)
//! compute what Wasm defines: the tested value is still written where
//! later code reads it, both senses branch the right way, and a fused load
//! traps at the load's own offset, also in the copy of a loop's exit test.

use super::*;

/// A linked list at 16 -> 24 -> 48 (each node `next`, then a value), the
/// string "abc\0" at 64, and functions walking them with every kind of
/// test on a loaded value.
const LISTS_WAT: &str = r#"(module
    (memory (export "mem") 1)
    (data (i32.const 16) "\18\00\00\00\01\00\00\00\30\00\00\00\02\00\00\00")
    (data (i32.const 48) "\00\00\00\00\03\00\00\00")
    (data (i32.const 64) "abc\00")
    ;; do { sum += p->value; } while ((p = p->next));
    (func (export "sum") (param $p i32) (result i32) (local $sum i32)
        (loop $walk
            (local.set $sum (i32.add (local.get $sum) (i32.load offset=4 (local.get $p))))
            (br_if $walk (local.tee $p (i32.load (local.get $p)))))
        (local.get $sum))
    ;; while (*s) s++; (the exit test heads the loop; its copy ends it)
    (func (export "strlen") (param $s i32) (result i32) (local $p i32)
        (local.set $p (local.get $s))
        (block $done
            (loop $scan
                (br_if $done (i32.eqz (i32.load8_u (local.get $p))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $scan)))
        (i32.sub (local.get $p) (local.get $s)))
    ;; `if` on a loaded halfword: branches to `else` when it is zero.
    (func (export "if_loaded") (param $p i32) (result i32)
        (if (result i32) (i32.load16_s (local.get $p))
            (then (i32.const 1))
            (else (i32.const 2))))
    ;; The tested value, kept in a local, read on both paths.
    (func (export "kept") (param $p i32) (result i32) (local $v i32)
        (block $nonzero
            (br_if $nonzero (local.tee $v (i32.load8_s (local.get $p))))
            (return (i32.sub (i32.const 1000) (local.get $v))))
        (local.get $v)))"#;

#[test]
fn branches_on_loaded_values() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(&mut store, LISTS_WAT);
    let f = |name: &str| inst.get_typed_func::<i32, i32>(&store, name).unwrap();
    let (sum, strlen, if_loaded, kept) = (f("sum"), f("strlen"), f("if_loaded"), f("kept"));
    assert_eq!(sum.call(&mut store, 16).unwrap(), 6);
    assert_eq!(sum.call(&mut store, 24).unwrap(), 5);
    assert_eq!(sum.call(&mut store, 48).unwrap(), 3);
    assert_eq!(strlen.call(&mut store, 64).unwrap(), 3);
    assert_eq!(strlen.call(&mut store, 66).unwrap(), 1);
    assert_eq!(strlen.call(&mut store, 67).unwrap(), 0);
    // 16: 0x0018; 18: 0x0000.
    assert_eq!(if_loaded.call(&mut store, 16).unwrap(), 1);
    assert_eq!(if_loaded.call(&mut store, 18).unwrap(), 2);
    // 'a' = 97 is nonzero and kept; 67 holds 0.
    assert_eq!(kept.call(&mut store, 64).unwrap(), 97);
    assert_eq!(kept.call(&mut store, 67).unwrap(), 1000);
    let mem = inst.get_memory(&store, "mem").unwrap();
    mem.write(&mut store, 100, &[0x80]).unwrap();
    // `load8_s` sign-extends: -128 is nonzero.
    assert_eq!(kept.call(&mut store, 100).unwrap(), -128);
}

/// A fused load past the end of memory traps as the load, at its offset:
/// where the load was, and in the copy of the exit test that ends the loop
/// (reached once the scan has gone round).
#[test]
fn a_fused_load_traps_at_its_own_offset() {
    let bytes = wat::parse_str(LISTS_WAT).unwrap();
    // `local.get $p` (local 1), `i32.load8_u` (align 0, offset 0), `i32.eqz`.
    let at = bytes
        .windows(6)
        .position(|w| w == [0x20, 0x01, 0x2d, 0x00, 0x00, 0x45])
        .expect("the scan's test")
        + 2;
    let mut store = Store::new(&Engine::default(), ());
    let module = Module::new(store.engine(), &bytes).unwrap();
    let inst = Linker::new(store.engine())
        .instantiate(&mut store, &module)
        .unwrap();
    let strlen = inst.get_typed_func::<i32, i32>(&store, "strlen").unwrap();
    let mem = inst.get_memory(&store, "mem").unwrap();
    mem.write(&mut store, 65_530, &[1; 6]).unwrap();
    for start in [65_536, 65_530] {
        let err = strlen.call(&mut store, start).unwrap_err();
        let trap = trap_of(&err);
        assert_eq!(trap.kind(), TrapKind::MemoryOutOfBounds, "from {start}");
        assert_eq!(trap.backtrace()[0].offset, Some(at as u64), "from {start}");
    }
}

/// Bit tests (`(x & mask) == k`, against a constant or a slot, both
/// senses) and decrements tested against zero (`br_if` on the result, and
/// on its `eqz`).
#[test]
fn masked_and_decremented_tests() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (func (export "bits") (param $x i32) (param $k i32) (result i32) (local $m i32)
            (block $comma
                (br_if $comma (i32.eq (local.tee $m (i32.and (local.get $x) (i32.const 255)))
                                      (i32.const 44)))
                (block $high
                    (br_if $high (i32.ne (i32.and (local.get $x) (i32.const 0xf0))
                                         (local.get $k)))
                    (return (i32.add (i32.const 200) (local.get $m))))
                (return (i32.add (i32.const 100) (local.get $m))))
            (local.get $m))
        (func (export "countdown") (param $n i32) (result i32) (local $steps i32)
            (loop $again
                (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
                (br_if $again (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
            (local.get $steps))
        (func (export "until_zero") (param $n i32) (result i32) (local $steps i32)
            (block $done
                (loop $again
                    (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
                    (br_if $done (i32.eqz (local.tee $n (i32.sub (local.get $n) (i32.const 2)))))
                    (br $again)))
            (i32.add (i32.mul (local.get $steps) (i32.const 1000)) (local.get $n))))"#,
    );
    let bits = inst
        .get_typed_func::<(i32, i32), i32>(&store, "bits")
        .unwrap();
    assert_eq!(bits.call(&mut store, (0x12c, 0)).unwrap(), 44);
    assert_eq!(bits.call(&mut store, (0x12d, 0x20)).unwrap(), 200 + 0x2d);
    assert_eq!(bits.call(&mut store, (0x12d, 0x30)).unwrap(), 100 + 0x2d);
    let countdown = inst
        .get_typed_func::<i32, i32>(&store, "countdown")
        .unwrap();
    assert_eq!(countdown.call(&mut store, 5).unwrap(), 5);
    assert_eq!(countdown.call(&mut store, 1).unwrap(), 1);
    let until_zero = inst
        .get_typed_func::<i32, i32>(&store, "until_zero")
        .unwrap();
    assert_eq!(until_zero.call(&mut store, 6).unwrap(), 3000);
    assert_eq!(until_zero.call(&mut store, 2).unwrap(), 1000);
}

/// Copies and constants followed by a load, a test, a jump, an add or a
/// call: a list reversal (CoreMark's), a constant reset before a jump, a
/// copy right before a loop whose back edge lands on the follower itself.
#[test]
fn moves_run_the_instruction_after_them() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (memory (export "mem") 1)
        (data (i32.const 16) "\18\00\00\00\01\00\00\00\30\00\00\00\02\00\00\00")
        (data (i32.const 48) "\00\00\00\00\03\00\00\00")
        ;; next = p; rev = 0;
        ;; do { p = next; next = p->next; p->next = rev; rev = p; } while (next);
        (func $reverse (export "reverse") (param $p i32) (result i32) (local $rev i32) (local $next i32)
            (local.set $next (local.get $p))
            (loop $walk
                (local.set $p (local.get $next))
                (local.set $next (i32.load (local.get $p)))
                (i32.store (local.get $p) (local.get $rev))
                (local.set $rev (local.get $p))
                (br_if $walk (local.get $next)))
            (local.get $rev))
        ;; The values in list order, as decimal digits.
        (func $digits (export "digits") (param $p i32) (result i32) (local $d i32)
            (local.set $d (i32.const 0))
            (loop $walk
                (local.set $d (i32.add (i32.mul (local.get $d) (i32.const 10))
                                       (i32.load offset=4 (local.get $p))))
                (br_if $walk (local.tee $p (i32.load (local.get $p)))))
            (local.get $d))
        (func (export "reversed_digits") (param $p i32) (result i32)
            (call $digits (call $reverse (local.get $p))))
        ;; A copy whose follower heads a loop: the back edge runs it alone.
        (func (export "count_up") (param $n i32) (result i32) (local $i i32) (local $s i32)
            (local.set $i (local.get $n))
            (loop $up
                (local.set $s (i32.add (local.get $s) (i32.const 5)))
                (local.set $i (i32.add (local.get $i) (i32.const 3)))
                (br_if $up (i32.lt_u (local.get $i) (i32.const 100))))
            (i32.add (i32.mul (local.get $i) (i32.const 1000)) (local.get $s)))
        ;; A constant reset, then a jump.
        (func (export "reset") (param $x i32) (result i32) (local $r i32)
            (block $out
                (block $zero
                    (br_if $zero (i32.eqz (local.get $x)))
                    (local.set $r (i32.const 7))
                    (br $out))
                (local.set $r (i32.const 9)))
            (local.get $r)))"#,
    );
    let f = |name: &str| inst.get_typed_func::<i32, i32>(&store, name).unwrap();
    let (digits, reversed, count_up, reset) =
        (f("digits"), f("reversed_digits"), f("count_up"), f("reset"));
    assert_eq!(digits.call(&mut store, 16).unwrap(), 123);
    assert_eq!(reversed.call(&mut store, 16).unwrap(), 321);
    // The list now starts at 48; reversing again restores it.
    assert_eq!(reversed.call(&mut store, 48).unwrap(), 123);
    assert_eq!(count_up.call(&mut store, 1).unwrap(), 100_000 + 33 * 5);
    assert_eq!(count_up.call(&mut store, 200).unwrap(), 203_000 + 5);
    assert_eq!(reset.call(&mut store, 5).unwrap(), 7);
    assert_eq!(reset.call(&mut store, 0).unwrap(), 9);
}
