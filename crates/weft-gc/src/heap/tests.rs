//! Tests of the heap: field storage of every kind, arrays, collection of
//! cycles in a bounded heap, roots, host data, exhaustion, and a heap full
//! of garbage bytes.

use super::*;
use crate::layout::ArrayLayout;
use StorageType as S;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const PAIR: u32 = 1;
const ALL: u32 = 2;
const REFS: u32 = 3;
const BYTES: u32 = 4;
const WORDS: u32 = 5;

fn heap(limit: usize) -> Heap {
    let mut h = Heap::new(limit);
    h.define(
        PAIR,
        Layout::Struct(StructLayout::new(&[S::Ref, S::Ref, S::I32])),
    );
    h.define(
        ALL,
        Layout::Struct(StructLayout::new(&[
            S::I8,
            S::I16,
            S::I32,
            S::I64,
            S::F32,
            S::F64,
            S::V128,
            S::Ref,
            S::FuncRef,
        ])),
    );
    h.define(REFS, Layout::Array(ArrayLayout { elem: S::Ref }));
    h.define(BYTES, Layout::Array(ArrayLayout { elem: S::I8 }));
    h.define(WORDS, Layout::Array(ArrayLayout { elem: S::I32 }));
    h
}

#[test]
fn every_storage_type_round_trips_and_packed_ones_truncate() {
    let mut h = heap(1 << 20);
    let s = h.alloc_struct(ALL, &mut ()).unwrap();
    for f in 0..9 {
        assert_eq!(h.struct_get(s, f).unwrap(), 0, "fields start zeroed");
    }
    let values: [u128; 9] = [
        0x1ff,                 // i8 keeps 0xff
        0x1_8001,              // i16 keeps 0x8001
        0xdead_beef,           // i32
        0x0123_4567_89ab_cdef, // i64
        0x7fc0_0001,           // f32: a NaN payload survives
        0x7ff8_0000_0000_0001, // f64
        u128::MAX - 5,         // v128
        8,                     // a reference
        42,                    // a funcref side-table index
    ];
    for (f, v) in values.iter().enumerate() {
        h.struct_set(s, f as u32, *v).unwrap();
    }
    let want = [
        0xff,
        0x8001,
        0xdead_beef,
        0x0123_4567_89ab_cdef,
        0x7fc0_0001,
        0x7ff8_0000_0000_0001,
        u128::MAX - 5,
        8,
        42,
    ];
    for (f, w) in want.iter().enumerate() {
        assert_eq!(h.struct_get(s, f as u32).unwrap(), *w, "field {f}");
    }
    assert_eq!(h.struct_get(s, 9), Err(HeapError::NoField(9)));
    assert_eq!(h.kind(s), Ok(Kind::Struct));
    assert_eq!(h.type_index(s), Ok(ALL));
}

#[test]
fn arrays_check_bounds_fill_and_copy_overlapping() {
    let mut h = heap(1 << 20);
    let a = h.alloc_array(WORDS, 10, &mut ()).unwrap();
    assert_eq!(h.array_len(a), Ok(10));
    for i in 0..10 {
        h.array_set(a, i, u128::from(i)).unwrap();
    }
    assert_eq!(h.array_get(a, 10), Err(HeapError::OutOfBounds));
    assert_eq!(h.array_fill(a, 8, 7, 3), Err(HeapError::OutOfBounds));
    h.array_copy(a, 2, a, 0, 5).unwrap();
    let got: Vec<u128> = (0..10).map(|i| h.array_get(a, i).unwrap()).collect();
    assert_eq!(got, [0, 1, 0, 1, 2, 3, 4, 7, 8, 9]);
    h.array_fill(a, 7, 0x1_0000_0005, 3).unwrap();
    assert_eq!(h.array_get(a, 9), Ok(5), "i32 elements keep 32 bits");
    let b = h.alloc_array(BYTES, 3, &mut ()).unwrap();
    h.array_set(b, 0, 0x1234).unwrap();
    assert_eq!(h.array_get(b, 0), Ok(0x34));
    assert_eq!(h.array_copy(a, 0, b, 0, 1), Err(HeapError::WrongKind));
    assert_eq!(h.array_len(GcRef::i31(3)), Err(HeapError::NotAnObject));
    assert_eq!(h.array_len(GcRef::NULL), Err(HeapError::Null));
    assert_eq!(h.array_len(GcRef(12)), Err(HeapError::NotAnObject));
}

#[test]
fn cycles_are_freed_and_the_heap_stays_near_the_live_set() {
    let mut h = heap(64 << 20);
    let keep = h.alloc_struct(PAIR, &mut ()).unwrap();
    h.struct_set(keep, 2, 99).unwrap();
    for i in 0..2_000_000u32 {
        let a = h.alloc_struct(PAIR, &mut [keep]).unwrap();
        // `a` is live while `b` is allocated: it is a root then.
        let b = h.alloc_struct(PAIR, &mut [keep, a]).unwrap();
        h.struct_set(a, 0, u128::from(b.0)).unwrap();
        h.struct_set(b, 0, u128::from(a.0)).unwrap();
        h.struct_set(a, 2, u128::from(i)).unwrap();
    }
    let stats = h.stats();
    assert!(stats.collections > 0);
    // 4 million 24-byte objects were allocated (96 MB); the heap never
    // held much more than what one collection interval allocates.
    assert!(stats.peak_used < 4 * MIN_COLLECT, "{stats:?}");
    assert_eq!(h.struct_get(keep, 2), Ok(99), "the root survived");
}

#[test]
fn reachable_objects_survive_and_the_rest_is_reused() {
    let mut h = heap(1 << 20);
    let list = h.alloc_array(REFS, 3, &mut ()).unwrap();
    let kept = h.alloc_struct(PAIR, &mut ()).unwrap();
    h.array_set(list, 1, u128::from(kept.0)).unwrap();
    let dropped = h.alloc_struct(PAIR, &mut ()).unwrap();
    h.struct_set(kept, 1, u128::from(kept.0)).unwrap(); // a self-cycle
    h.collect(&mut [list]).unwrap();
    assert_eq!(h.kind(kept), Ok(Kind::Struct));
    let again = h.alloc_struct(PAIR, &mut [list]).unwrap();
    assert_eq!(again, dropped, "the freed block is reused");
    h.collect(&mut ()).unwrap();
    assert_eq!(h.stats().live_after_collection, 0);
    assert_eq!(
        h.stats().used,
        HEADER,
        "everything returned to the bump region"
    );
}

#[test]
fn host_data_is_dropped_when_its_box_is_collected() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let mut h = heap(1 << 20);
    let a = h
        .alloc_extern(Box::new(Counted(drops.clone())), &mut ())
        .map_err(|(e, _)| e)
        .unwrap();
    let b = h
        .alloc_extern(Box::new(7u32), &mut ())
        .map_err(|(e, _)| e)
        .unwrap();
    assert_eq!(h.extern_data(b).unwrap().downcast_ref::<u32>(), Some(&7));
    h.collect(&mut [b]).unwrap();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(h.kind(a), Err(HeapError::NotAnObject), "a is free now");
    *h.extern_data_mut(b).unwrap().downcast_mut::<u32>().unwrap() = 8;
    assert_eq!(h.extern_data(b).unwrap().downcast_ref::<u32>(), Some(&8));
    drop(h);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped exactly once");
}

#[test]
fn running_out_is_an_error() {
    let mut h = heap(4096);
    let mut live = Vec::new();
    let err = loop {
        match h.alloc_struct(PAIR, &mut live) {
            Ok(r) => live.push(r),
            Err(e) => break e,
        }
    };
    assert_eq!(err, HeapError::OutOfMemory);
    assert!(live.len() > 100);
    assert_eq!(
        h.alloc_array(BYTES, u32::MAX, &mut ()),
        Err(HeapError::OutOfMemory)
    );
}

/// Without automatic collection, unreachable objects stay (nothing the
/// embedder could not name as a root is freed) until the limit is hit.
#[test]
fn without_auto_collect_nothing_is_freed() {
    let mut h = heap(4096);
    h.set_auto_collect(false);
    let first = h.alloc_struct(PAIR, &mut ()).expect("room for one");
    h.struct_set(first, 0, 7).expect("a field");
    let err = loop {
        if let Err(e) = h.alloc_struct(PAIR, &mut ()) {
            break e;
        }
    };
    assert_eq!(err, HeapError::OutOfMemory);
    assert_eq!(h.stats().collections, 0);
    assert_eq!(h.struct_get(first, 0), Ok(7), "the first object survived");
    h.set_auto_collect(true);
    assert!(
        h.alloc_struct(PAIR, &mut ()).is_ok(),
        "collecting frees room"
    );
    assert_eq!(h.stats().collections, 1);
}

/// Garbage written over the heap between collections: every operation
/// returns a value or an error, nothing panics or hangs.
#[test]
fn a_heap_of_garbage_gives_only_errors() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..200 {
        let mut h = heap(1 << 16);
        let mut refs = Vec::new();
        for i in 0..50 {
            let r = match i % 3 {
                0 => h.alloc_struct(PAIR, &mut ()),
                1 => h.alloc_array(REFS, (next() % 8) as u32, &mut ()),
                _ => h.alloc_array(BYTES, (next() % 40) as u32, &mut ()),
            };
            refs.extend(r);
        }
        let bytes = h.bytes_mut();
        for _ in 0..(round % 40 + 1) {
            let at = (next() as usize) % bytes.len();
            bytes[at] = next() as u8;
        }
        for _ in 0..100 {
            let r = GcRef(next() as u32 % 4096);
            let _ = h.struct_get(r, (next() % 4) as u32);
            let _ = h.array_get(refs[next() as usize % refs.len()], (next() % 8) as u32);
            let _ = h.array_set(r, 0, u128::from(next()));
            let _ = h.array_copy(refs[0], 0, r, 0, (next() % 4) as u32);
        }
        let _ = h.collect(&mut refs);
        let _ = h.alloc_struct(PAIR, &mut refs);
        let _ = h.collect(&mut ());
    }
}

/// `struct.new`'s allocation writes each field once and leaves no stale
/// bytes: a struct made where a freed one of other contents was reads back
/// its own fields, its padding zero, and accesses by offset stop at the
/// object's own size.
#[test]
fn structs_made_with_values_reuse_memory_cleanly() {
    let mut h = heap(1 << 20);
    let old = h.alloc_struct(ALL, &mut ()).unwrap();
    for f in 0..9 {
        h.struct_set(old, f, u128::MAX).unwrap();
    }
    h.collect(&mut ()).unwrap();
    let values = |k: u32, _| u128::from(k + 1) * 0x0101_0101;
    let new = h.alloc_struct_with(ALL, &mut (), values).unwrap();
    assert_eq!(new, old, "the freed block is reused");
    let Ok(Layout::Struct(l)) = h.layout(ALL).cloned() else {
        panic!("a struct layout")
    };
    for (k, f) in l.fields.iter().enumerate() {
        let mask = if f.ty.size() == 16 {
            u128::MAX
        } else {
            (1u128 << (8 * f.ty.size())) - 1
        };
        let want = values(k as u32, f.ty) & mask;
        assert_eq!(h.struct_get(new, k as u32), Ok(want), "field {k}");
        assert_eq!(
            h.struct_read(new, f.offset, f.ty),
            Ok(want),
            "field {k} by offset"
        );
    }
    // The byte after the i8 field is padding (the i16 is 2-aligned).
    assert_eq!(h.struct_read(new, 1, S::I8), Ok(0));
    assert_eq!(
        h.struct_read(new, l.size, S::I8),
        Err(HeapError::NoField(l.size)),
        "past the object's own size"
    );
}
