//! Operators whose constant operand the translator folds in without a
//! 32-bit immediate to hold it: results as Wasm defines them.

use super::*;

/// `i64.and` with the mask `0xffff_ffff` (translated as a zero-extension)
/// keeps exactly the low half, in either operand order, and other masks
/// stay masks.
#[test]
fn low_half_mask_keeps_the_low_half() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (func (export "right") (param i64) (result i64)
            (i64.and (local.get 0) (i64.const 0xffffffff)))
        (func (export "left") (param i64) (result i64)
            (i64.and (i64.const 0xffffffff) (local.get 0)))
        (func (export "chained") (param i64) (result i64)
            (i64.add (i64.and (i64.mul (local.get 0) (i64.const 3)) (i64.const 0xffffffff))
                     (i64.const 1)))
        (func (export "other") (param i64) (result i64)
            (i64.and (local.get 0) (i64.const 0x1ffffffff))))"#,
    );
    let x: i64 = 0x1234_5678_9abc_def0;
    for name in ["right", "left"] {
        let f = inst.get_typed_func::<i64, i64>(&mut store, name).unwrap();
        assert_eq!(f.call(&mut store, x).unwrap(), 0x9abc_def0, "{name}");
        assert_eq!(f.call(&mut store, -1).unwrap(), 0xffff_ffff, "{name}");
    }
    let chained = inst
        .get_typed_func::<i64, i64>(&mut store, "chained")
        .unwrap();
    assert_eq!(
        chained.call(&mut store, x).unwrap(),
        (x.wrapping_mul(3) & 0xffff_ffff) + 1
    );
    let other = inst
        .get_typed_func::<i64, i64>(&mut store, "other")
        .unwrap();
    assert_eq!(other.call(&mut store, x).unwrap(), x & 0x1_ffff_ffff);
}

/// 64-bit operators with constants no 32-bit immediate holds (translated
/// with a 64-bit immediate) compute what Wasm defines, the constant on
/// either side of commutative operators and on the right of the others,
/// with traps from a constant divisor's operand as they are.
#[test]
fn wide_immediates_compute_64_bit_results() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (func (export "mul") (param i64) (result i64)
            (i64.mul (local.get 0) (i64.const 0x517cc1b727220a95)))
        (func (export "mul_left") (param i64) (result i64)
            (i64.mul (i64.const 0x517cc1b727220a95) (local.get 0)))
        (func (export "sub_left") (param i64) (result i64)
            (i64.sub (i64.const 0x100000000) (local.get 0)))
        (func (export "chain") (param i64) (result i64)
            (i64.xor (i64.add (local.get 0) (i64.const 0x123456789)) (i64.const 0xff00ff00ff00ff00)))
        (func (export "div") (param i64) (result i64)
            (i64.div_s (local.get 0) (i64.const 0x100000001)))
        (func (export "rem") (param i64) (result i64)
            (i64.rem_u (local.get 0) (i64.const 0x8000000000000000))))"#,
    );
    let call = |store: &mut Store<()>, name: &str, x: i64| {
        inst.get_typed_func::<i64, i64>(&mut *store, name)
            .unwrap()
            .call(&mut *store, x)
    };
    let k: i64 = 0x517c_c1b7_2722_0a95;
    for x in [0, 1, -1, 0x1234_5678_9abc_def0, i64::MIN] {
        assert_eq!(call(&mut store, "mul", x).unwrap(), x.wrapping_mul(k));
        assert_eq!(call(&mut store, "mul_left", x).unwrap(), x.wrapping_mul(k));
        assert_eq!(
            call(&mut store, "sub_left", x).unwrap(),
            0x1_0000_0000i64.wrapping_sub(x)
        );
        assert_eq!(
            call(&mut store, "chain", x).unwrap(),
            x.wrapping_add(0x1_2345_6789) ^ (0xff00_ff00_ff00_ff00u64 as i64)
        );
        assert_eq!(call(&mut store, "div", x).unwrap(), x / 0x1_0000_0001);
        assert_eq!(
            call(&mut store, "rem", x).unwrap(),
            ((x as u64) % 0x8000_0000_0000_0000) as i64
        );
    }
}
