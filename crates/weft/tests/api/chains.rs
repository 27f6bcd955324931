//! Operators the translator chains into one instruction (`bin2`: the
//! second takes the first's result from `acc`) compute what Wasm defines,
//! keep the first result where later code reads it, and trap where the
//! second operator is.

use super::*;

/// Chains of every shape: slot and immediate operands on both sides, the
/// first operand from `acc`, the first result in a local read again, the
/// second operand being the first result itself, a product on the right
/// of a commutative add, and range and bit tests kept as values (beside
/// one a branch tests).
#[test]
fn chained_operators_compute_both_results() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (func (export "arx") (param i32 i32 i32) (result i32)
            (i32.rotl (i32.xor (i32.add (local.get 0) (local.get 1)) (local.get 2))
                      (i32.const 7)))
        (func (export "from_acc") (param i32 i32 i32) (result i32)
            (i32.xor (i32.rotl (i32.sub (local.get 0) (local.get 1)) (i32.const 5))
                     (local.get 2)))
        (func (export "madd") (param i64 i64 i64) (result i64)
            (i64.add (local.get 2) (i64.mul (local.get 0) (local.get 1))))
        (func (export "field") (param i32) (result i32) (local i32)
            (i32.and (local.tee 1 (i32.shr_u (local.get 0) (i32.const 4)))
                     (i32.const 15))
            (local.get 1)
            (i32.add))
        (func (export "self") (param i32 i32) (result i32) (local i32)
            (i32.or (local.tee 2 (i32.shl (local.get 0) (local.get 1)))
                    (local.get 2)))
        (func (export "byte_range") (param i32) (result i32)
            (i32.and (i32.add (local.get 0) (i32.const -58)) (i32.const 255)))
        (func (export "range") (param i32 i32) (result i32)
            (i32.lt_u (i32.add (local.get 0) (i32.const -97)) (i32.const 26))
            (br_if 0 (i32.lt_u (i32.sub (local.get 1) (i32.const 48)) (i32.const 10)))
            (i32.add (i32.ne (i32.and (local.get 0) (local.get 1)) (i32.const 0)))
            (i32.add (i32.eq (i32.and (local.get 0) (i32.const 0x80)) (i32.const 0)))
            (i32.add (i32.lt_u (i32.sub (local.get 0) (local.get 1)) (i32.const 5))))
        (func (export "unchained") (param i32 i32) (result i32)
            (i32.sub (local.get 1) (i32.xor (local.get 0) (local.get 1)))))"#,
    );
    let f3 = |name: &str| {
        inst.get_typed_func::<(i32, i32, i32), i32>(&store, name)
            .unwrap()
    };
    let (arx, from_acc) = (f3("arx"), f3("from_acc"));
    let madd = inst
        .get_typed_func::<(i64, i64, i64), i64>(&store, "madd")
        .unwrap();
    let field = inst.get_typed_func::<i32, i32>(&store, "field").unwrap();
    let byte_range = inst
        .get_typed_func::<i32, i32>(&store, "byte_range")
        .unwrap();
    let own = inst
        .get_typed_func::<(i32, i32), i32>(&store, "self")
        .unwrap();
    let range = inst
        .get_typed_func::<(i32, i32), i32>(&store, "range")
        .unwrap();
    let unchained = inst
        .get_typed_func::<(i32, i32), i32>(&store, "unchained")
        .unwrap();
    for (a, b, c) in [
        (0x1234_5678_i32, 0x0fed_cba9_i32, 0x7777_0001_i32),
        (-1, 1, i32::MIN),
        (0, 0, 0),
        (i32::MAX, i32::MAX, -2),
    ] {
        assert_eq!(
            arx.call(&mut store, (a, b, c)).unwrap(),
            (a.wrapping_add(b) ^ c).rotate_left(7)
        );
        assert_eq!(
            from_acc.call(&mut store, (a, b, c)).unwrap(),
            a.wrapping_sub(b).rotate_left(5) ^ c
        );
        let (x, y, z) = (
            i64::from(a) << 17 | i64::from(b),
            i64::from(c),
            i64::from(b),
        );
        assert_eq!(
            madd.call(&mut store, (x, y, z)).unwrap(),
            z.wrapping_add(x.wrapping_mul(y))
        );
        let s = ((a as u32) >> 4) as i32;
        assert_eq!(field.call(&mut store, a).unwrap(), (s & 15) + s);
        assert_eq!(own.call(&mut store, (a, b)).unwrap(), a << (b & 31));
        assert_eq!(
            byte_range.call(&mut store, a).unwrap(),
            a.wrapping_add(-58) & 255
        );
        assert_eq!(
            unchained.call(&mut store, (a, b)).unwrap(),
            b.wrapping_sub(a ^ b)
        );
        for (x, y) in [(a, b), (a, 0x35), (0x61, b), (0x7a, 0x39), (0x7b, 0x2f)] {
            let letter = i32::from((x.wrapping_add(-97) as u32) < 26);
            let want = if ((y.wrapping_sub(48)) as u32) < 10 {
                letter
            } else {
                letter
                    + i32::from(x & y != 0)
                    + i32::from(x & 0x80 == 0)
                    + i32::from((x.wrapping_sub(y) as u32) < 5)
            };
            assert_eq!(
                range.call(&mut store, (x, y)).unwrap(),
                want,
                "range({x}, {y})"
            );
        }
    }
}

/// 64-bit operators chain as themselves, not as their 32-bit namesakes
/// (which run the same machine code on cells but decode immediates
/// zero-extended): a sign-extended mask keeps the high half.
#[test]
fn wide_chains_keep_their_own_immediates() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (func (export "mask") (param i64 i64) (result i64)
            (i64.and (i64.xor (local.get 0) (local.get 1)) (i64.const -16)))
        (func (export "pack") (param i64 i64) (result i64)
            (i64.or (i64.shl (local.get 0) (i64.const 40)) (i64.const -256)))
        (func (export "narrow") (param i32 i32) (result i32)
            (i32.and (i32.xor (local.get 0) (local.get 1)) (i32.const -16))))"#,
    );
    let mask = inst
        .get_typed_func::<(i64, i64), i64>(&store, "mask")
        .unwrap();
    let pack = inst
        .get_typed_func::<(i64, i64), i64>(&store, "pack")
        .unwrap();
    let narrow = inst
        .get_typed_func::<(i32, i32), i32>(&store, "narrow")
        .unwrap();
    for (a, b) in [
        (0x0123_4567_89ab_cdef_i64, -1_i64),
        (i64::MIN, 0x7f),
        (-2, 3),
    ] {
        assert_eq!(mask.call(&mut store, (a, b)).unwrap(), (a ^ b) & -16);
        assert_eq!(pack.call(&mut store, (a, b)).unwrap(), (a << 40) | -256);
        let (x, y) = (a as i32, b as i32);
        assert_eq!(narrow.call(&mut store, (x, y)).unwrap(), (x ^ y) & -16);
    }
}

/// A chained result carried around a loop (a hash over 0..n) matches the
/// same hash computed here.
#[test]
fn chains_in_a_loop_carry_their_results() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (func (export "hash") (param i32) (result i32) (local i32 i32)
            (local.set 1 (i32.const 0x811c9dc5))
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get 2) (local.get 0)))
                (local.set 1 (i32.add (i32.rotl (i32.xor (local.get 1) (local.get 2))
                                                (i32.const 13))
                                      (local.get 2)))
                (local.set 2 (i32.add (local.get 2) (i32.const 1)))
                (br $next)))
            (local.get 1)))"#,
    );
    let hash = inst.get_typed_func::<i32, i32>(&store, "hash").unwrap();
    let mut h = 0x811c_9dc5_u32;
    for i in 0..1000u32 {
        h = (h ^ i).rotate_left(13).wrapping_add(i);
    }
    assert_eq!(hash.call(&mut store, 1000).unwrap(), h as i32);
}

/// A trap of the second operator of a chain is reported at that
/// operator's offset.
#[test]
fn a_chained_operator_traps_at_its_own_offset() {
    let wat = r#"(module
        (func (export "f") (param i32 i32) (result i32)
            (i32.rem_u (i32.add (local.get 0) (i32.const 1)) (local.get 1))))"#;
    let bytes = wat::parse_str(wat).unwrap();
    // `i32.add`, `local.get 1`, `i32.rem_u`: the trap is at the last.
    let at = bytes
        .windows(4)
        .position(|w| w == [0x6a, 0x20, 0x01, 0x70])
        .expect("the body's bytes")
        + 3;
    let mut store = Store::new(&Engine::default(), ());
    let module = Module::new(store.engine(), &bytes).unwrap();
    let inst = Linker::new(store.engine())
        .instantiate(&mut store, &module)
        .unwrap();
    let f = inst.get_typed_func::<(i32, i32), i32>(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, (6, 4)).unwrap(), 3);
    let err = f.call(&mut store, (6, 0)).unwrap_err();
    let trap = trap_of(&err);
    assert_eq!(trap.kind(), TrapKind::IntegerDivisionByZero);
    assert_eq!(trap.backtrace()[0].offset, Some(at as u64));
}
