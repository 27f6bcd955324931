//! Linear memory as the host and Wasm see it across growth.

use super::*;

/// A memory grown a page at a time (so mostly within capacity reserved by
/// an earlier grow) reads zero in every new page and keeps what was
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
