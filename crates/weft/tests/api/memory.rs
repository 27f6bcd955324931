//! Linear memory as the host and Wasm see it across growth, and accesses
//! whose address arithmetic the translator folds in.

use super::*;

/// A memory (its first pages zeroed by the allocator, later ones filled)
/// grown a page at a time reads zero in every new page and keeps what was
/// written before, at the end of each earlier size too.
#[test]
fn grown_pages_are_zero_and_old_bytes_stay() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (memory (export "m") 1)
        ;; Grows by one page; writes the old last byte and returns the
        ;; sum of the new page's first and last bytes.
        (func (export "step") (param $n i32) (result i32)
            (local $end i32)
            (local.set $end (i32.mul (memory.grow (i32.const 1)) (i32.const 65536)))
            (i32.store8 (i32.sub (local.get $end) (i32.const 1)) (local.get $n))
            (i32.add (i32.load8_u (local.get $end))
                     (i32.load8_u (i32.add (local.get $end) (i32.const 65535))))))"#,
    );
    let step = inst.get_typed_func::<i32, i32>(&mut store, "step").unwrap();
    for n in 1..=40 {
        assert_eq!(step.call(&mut store, n).unwrap(), 0, "page {n} is zero");
        // Dirty the new page, so a later grow that reused it would show.
        let memory = inst.get_memory(&mut store, "m").unwrap();
        let size = memory.data_size(&store);
        memory.data_mut(&mut store)[size - 65536..].fill(0xff);
        memory.data_mut(&mut store)[size - 1] = 0;
        memory.data_mut(&mut store)[size - 65536] = 0;
    }
    let memory = inst.get_memory(&mut store, "m").unwrap();
    let data = memory.data(&store);
    assert_eq!(data.len(), 41 * 65536);
    for n in 1..=40 {
        assert_eq!(data[n * 65536 - 1], n as u8, "byte before page {n}");
    }
}

/// Array accesses `base + (i << k)`, translated as one scaled access,
/// compute the address as the shift and add would: wrapping in 32 bits
/// (so a huge index can land in bounds), with the shift count masked; a
/// shift whose result is also kept in a local still writes that local.
#[test]
fn scaled_index_accesses_compute_wasm_addresses() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (memory 1)
        (func (export "put") (param $base i32) (param $i i32) (param $v i64)
            (i64.store offset=8 (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 3)))
                (local.get $v)))
        (func (export "get") (param $base i32) (param $i i32) (result i64)
            (i64.load offset=8 (i32.add (i32.shl (local.get $i) (i32.const 35)) (local.get $base))))
        (func (export "get32") (param $i i32) (result i32)
            (i32.load (i32.add (i32.const 16) (i32.shl (local.get $i) (i32.const 2)))))
        (func (export "tee") (param $i i32) (result i32)
            (local $t i32)
            (i32.load (i32.add (local.tee $t (i32.shl (local.get $i) (i32.const 2))) (i32.const 16)))
            (local.get $t)
            (i32.add)))"#,
    );
    let put = inst
        .get_typed_func::<(i32, i32, i64), ()>(&mut store, "put")
        .unwrap();
    let get = inst
        .get_typed_func::<(i32, i32), i64>(&mut store, "get")
        .unwrap();
    put.call(&mut store, (8, 3, 0x1122_3344_5566_7788)).unwrap();
    // 8 + (3 << 3) + 8 = 40, read back with the shift count 35 & 31 = 3.
    assert_eq!(get.call(&mut store, (8, 3)).unwrap(), 0x1122_3344_5566_7788);
    // 0x2000_0000 << 3 wraps to 0: 32 + 0 + 8 is the same element.
    assert_eq!(
        get.call(&mut store, (32, 0x2000_0000)).unwrap(),
        0x1122_3344_5566_7788
    );
    // Out of bounds without wrapping: 0 + (8191 << 3) + 8 + 8 > 65536.
    let err = get.call(&mut store, (0, 8191)).unwrap_err();
    assert_eq!(trap_of(&err).kind(), TrapKind::MemoryOutOfBounds);
    let get32 = inst
        .get_typed_func::<i32, i32>(&mut store, "get32")
        .unwrap();
    // 16 + (6 << 2) = 40: the low half of the value stored above.
    assert_eq!(get32.call(&mut store, 6).unwrap(), 0x5566_7788);
    let tee = inst.get_typed_func::<i32, i32>(&mut store, "tee").unwrap();
    // The load reads 40 as above; the local keeps 6 << 2 = 24.
    assert_eq!(tee.call(&mut store, 6).unwrap(), 0x5566_7788 + 24);
}

/// Stores of a constant to `a + b` (translated with the add fused in)
/// wrap the add in 32 bits before adding the offset, as Wasm defines, and
/// trap past the end.
#[test]
fn constant_stores_to_a_sum_wrap_the_sum() {
    let mut store = Store::new(&Engine::default(), ());
    let inst = instantiate(
        &mut store,
        r#"(module
        (memory 1)
        (func (export "clear") (param $p i32) (param $i i32)
            (i32.store8 offset=4 (i32.add (local.get $p) (local.get $i)) (i32.const 0x1ab)))
        (func (export "clear_imm") (param $p i32)
            (i64.store offset=2 (i32.add (local.get $p) (i32.const 0xfffffffe)) (i64.const -2)))
        (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
        (func (export "word") (param i32) (result i64) (i64.load (local.get 0))))"#,
    );
    let clear = inst
        .get_typed_func::<(i32, i32), ()>(&mut store, "clear")
        .unwrap();
    let clear_imm = inst
        .get_typed_func::<i32, ()>(&mut store, "clear_imm")
        .unwrap();
    let byte = inst.get_typed_func::<i32, i32>(&mut store, "byte").unwrap();
    let word = inst.get_typed_func::<i32, i64>(&mut store, "word").unwrap();
    clear.call(&mut store, (10, 6)).unwrap();
    assert_eq!(byte.call(&mut store, 20).unwrap(), 0xab);
    // -16 + 0x30 wraps to 0x20; the offset makes it 0x24.
    assert_eq!(byte.call(&mut store, 0x24).unwrap(), 0);
    clear.call(&mut store, (-16, 0x30)).unwrap();
    assert_eq!(byte.call(&mut store, 0x24).unwrap(), 0xab);
    // 100 + 0xffff_fffe wraps to 98; + 2 stores at 100.
    clear_imm.call(&mut store, 100).unwrap();
    assert_eq!(word.call(&mut store, 100).unwrap(), -2);
    let err = clear.call(&mut store, (65530, 2)).unwrap_err();
    assert_eq!(trap_of(&err).kind(), TrapKind::MemoryOutOfBounds);
}
