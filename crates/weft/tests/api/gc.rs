//! GC instructions through the API: every GC handler run in a long loop
//! (a handler whose `next!` is not a jump grows the host stack until the
//! test thread overflows), results checked against what the loop computes
//! by other means, and heap exhaustion as a trap.

use super::*;
use weft::{ArrayRef, ArrayRefPre, ArrayType, FieldType, StorageType};

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

/// A loop that makes two-object cycles of garbage and keeps every
/// thousandth node in a list held by a local: with a 4 MiB heap (the bound
/// this test asserts: past it allocation traps) it only finishes if the
/// collector frees cycles and finds the list through the frame's stack map.
const CHURN: &str = r#"(module
    (type $node (struct (field $next (mut (ref null $node))) (field $v i64)))
    (func (export "churn") (param $n i32) (result i64)
        (local $i i32) (local $a (ref null $node)) (local $b (ref null $node))
        (local $list (ref null $node)) (local $sum i64)
        (loop $l
            (local.set $a (struct.new $node (ref.null $node) (i64.extend_i32_u (local.get $i))))
            (local.set $b (struct.new $node (local.get $a) (i64.const 0)))
            (struct.set $node $next (local.get $a) (local.get $b))
            (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 1000)))
                (then (local.set $list
                    (struct.new $node (local.get $list) (i64.extend_i32_u (local.get $i))))))
            (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
        (block $done (loop $s
            (br_if $done (ref.is_null (local.get $list)))
            (local.set $sum (i64.add (local.get $sum) (struct.get $node $v (local.get $list))))
            (local.set $list (struct.get $node $next (local.get $list)))
            (br $s)))
        (local.get $sum)))"#;

#[test]
fn cyclic_garbage_is_collected_and_live_data_survives() -> weft::Result<()> {
    let mut config = Config::new();
    config.max_gc_heap_size(4 << 20);
    let engine = Engine::new(&config);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, CHURN);
    let churn = inst.get_typed_func::<i32, i64>(&store, "churn")?;
    // 10 million iterations make 20 million garbage objects, about 480 MB,
    // 120 times the heap.
    let n = 10_000_000u32;
    let want: i64 = (0..n).step_by(1000).map(i64::from).sum();
    assert_eq!(churn.call(&mut store, n as i32)?, want);
    Ok(())
}

#[test]
fn live_data_past_the_heap_limit_traps() {
    let mut config = Config::new();
    config.max_gc_heap_size(1 << 20);
    let engine = Engine::new(&config);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module
            (type $node (struct (field (ref null $node)) (field i64)))
            (func (export "hoard") (local $list (ref null $node))
                (loop $l
                    (local.set $list (struct.new $node (local.get $list) (i64.const 1)))
                    (br $l))))"#,
    );
    let hoard = inst.get_typed_func::<(), ()>(&store, "hoard").unwrap();
    let err = hoard.call(&mut store, ()).expect_err("the heap fills up");
    assert_eq!(trap_of(&err).kind(), TrapKind::GcHeapOutOfMemory);
}

/// A limiter that allows the GC heap `cap` bytes and records what it
/// was asked.
struct GcCap {
    cap: usize,
    asked: std::sync::Arc<std::sync::Mutex<Vec<(usize, usize)>>>,
}

impl weft::ResourceLimiter for GcCap {
    fn memory_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> weft::Result<bool> {
        Ok(true)
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> weft::Result<bool> {
        Ok(true)
    }
    fn gc_heap_growing(
        &mut self,
        current: usize,
        desired: usize,
        max: Option<usize>,
    ) -> weft::Result<bool> {
        assert!(desired > current && max.is_some_and(|m| desired <= m));
        self.asked.lock().unwrap().push((current, desired));
        Ok(desired <= self.cap)
    }
}

/// The store's resource limiter decides how far the GC heap grows: garbage
/// churns through a heap it holds to 2 MiB, live data past it traps, and a
/// host allocation past it is an error.
#[test]
fn the_resource_limiter_bounds_the_gc_heap() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let asked = std::sync::Arc::default();
    store.limiter(GcCap {
        cap: 2 << 20,
        asked: std::sync::Arc::clone(&asked),
    });
    let inst = instantiate(&mut store, CHURN);
    let churn = inst.get_typed_func::<i32, i64>(&store, "churn")?;
    let n = 1_000_000u32;
    let want: i64 = (0..n).step_by(1000).map(i64::from).sum();
    assert_eq!(churn.call(&mut store, n as i32)?, want);
    assert!(!asked.lock().unwrap().is_empty(), "the heap asked to grow");
    assert!(store.gc_heap_capacity() <= 2 << 20);

    let inst = instantiate(
        &mut store,
        r#"(module
            (type $node (struct (field (ref null $node)) (field i64)))
            (global $keep (mut (ref null $node)) (ref.null $node))
            (func (export "hoard")
                (loop $l
                    (global.set $keep (struct.new $node (global.get $keep) (i64.const 1)))
                    (br $l))))"#,
    );
    let hoard = inst.get_typed_func::<(), ()>(&store, "hoard")?;
    let err = hoard
        .call(&mut store, ())
        .expect_err("the limiter stops the heap");
    assert_eq!(trap_of(&err).kind(), TrapKind::GcHeapOutOfMemory);
    let refused = asked.lock().unwrap().iter().any(|&(_, d)| d > 2 << 20);
    assert!(refused, "the limiter was asked past its cap");
    // The hoard is still live (a global holds it): the host cannot allocate
    // a large array either.
    let bytes = ArrayType::new(
        &engine,
        FieldType {
            storage: StorageType::I8,
            mutable: true,
        },
    );
    let pre = ArrayRefPre::new(&mut store, bytes);
    assert!(ArrayRef::new(&mut store, &pre, &Val::I32(0), 1 << 20).is_err());
    Ok(())
}

/// Host data counted when dropped.
struct Counted(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn host_data_lives_while_rooted_or_reachable_and_is_dropped_after() -> weft::Result<()> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let drops = Arc::new(AtomicUsize::new(0));
    let dropped = || drops.load(Ordering::SeqCst);
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module
            (global $g (mut externref) (ref.null extern))
            (func (export "set") (param externref) (global.set $g (local.get 0)))
            (func (export "get") (result externref) (global.get $g)))"#,
    );
    let set = inst.get_typed_func::<Option<ExternRef>, ()>(&store, "set")?;
    let get = inst.get_typed_func::<(), Option<ExternRef>>(&store, "get")?;

    let kept = ExternRef::new(&mut store, Counted(drops.clone()))?;
    let gone = {
        let mut scope = RootScope::new(&mut store);
        for _ in 0..9 {
            ExternRef::new(&mut scope, Counted(drops.clone()))?;
        }
        ExternRef::new(&mut scope, Counted(drops.clone()))?
    };
    store.gc()?;
    assert_eq!(dropped(), 10, "the scope's ten boxes are freed");
    assert!(kept.data(&store)?.downcast_ref::<Counted>().is_some());
    assert!(gone.data(&store).is_err(), "a handle outlived by its scope");
    assert!(set.call(&mut store, Some(gone)).is_err());

    // Reachable from a Wasm global, a box outlives its handle's scope.
    {
        let mut scope = RootScope::new(&mut store);
        let e = ExternRef::new(&mut scope, Counted(drops.clone()))?;
        set.call(&mut scope, Some(e))?;
    }
    store.gc()?;
    assert_eq!(dropped(), 10);
    let back = get.call(&mut store, ())?.expect("the global's box");
    assert!(back.data(&store)?.downcast_ref::<Counted>().is_some());
    {
        let mut scope = RootScope::new(&mut store);
        set.call(&mut scope, None)?;
    }
    // `back` still roots it; once its scope (the store) is all there is,
    // only dropping the store frees it.
    store.gc()?;
    assert_eq!(dropped(), 10);
    drop(store);
    assert_eq!(dropped(), 12, "the store's drop frees the rest");
    Ok(())
}

/// Every storage type round-trips through a struct field and an array
/// element: packed integers keep their low bits, floats their NaN payloads,
/// references their identity, and a function reference read back is
/// callable.
#[test]
fn every_field_kind_round_trips() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module
            (type $f (func (result i32)))
            (type $leaf (struct (field i32)))
            (type $all (struct
                (field $i8 (mut i8)) (field $i16 (mut i16)) (field $i32 (mut i32))
                (field $i64 (mut i64)) (field $f32 (mut f32)) (field $f64 (mut f64))
                (field $v128 (mut v128)) (field $any (mut anyref)) (field $eq (mut eqref))
                (field $i31 (mut i31ref)) (field $s (mut structref)) (field $a (mut arrayref))
                (field $ext (mut externref)) (field $fn (mut funcref)) (field $leaf (mut (ref null $leaf)))))
            (type $fns (array (mut (ref null $f))))
            (type $halves (array (mut i16)))
            (func $seven (type $f) (i32.const 7))
            (elem declare func $seven)
            (func (export "check") (param $e externref) (result i32)
                (local $x (ref null $all)) (local $leaf (ref null $leaf)) (local $fs (ref null $fns))
                (local $h (ref null $halves))
                (local.set $leaf (struct.new $leaf (i32.const 42)))
                (local.set $x (struct.new_default $all))
                (struct.set $all $i8 (local.get $x) (i32.const 0x1280))
                (struct.set $all $i16 (local.get $x) (i32.const 0x18000))
                (struct.set $all $i32 (local.get $x) (i32.const -5))
                (struct.set $all $i64 (local.get $x) (i64.const 0x123456789abcdef0))
                (struct.set $all $f32 (local.get $x) (f32.reinterpret_i32 (i32.const 0x7fa00001)))
                (struct.set $all $f64 (local.get $x) (f64.reinterpret_i64 (i64.const 0x7ff4000000000001)))
                (struct.set $all $v128 (local.get $x) (v128.const i64x2 -1 2))
                (struct.set $all $any (local.get $x) (local.get $leaf))
                (struct.set $all $eq (local.get $x) (ref.i31 (i32.const 9)))
                (struct.set $all $i31 (local.get $x) (ref.i31 (i32.const -1)))
                (struct.set $all $s (local.get $x) (local.get $leaf))
                (struct.set $all $a (local.get $x) (array.new_default $halves (i32.const 1)))
                (struct.set $all $ext (local.get $x) (local.get $e))
                (struct.set $all $fn (local.get $x) (ref.func $seven))
                (struct.set $all $leaf (local.get $x) (local.get $leaf))
                (if (i32.ne (struct.get_u $all $i8 (local.get $x)) (i32.const 0x80)) (then (return (i32.const 1))))
                (if (i32.ne (struct.get_s $all $i8 (local.get $x)) (i32.const -128)) (then (return (i32.const 2))))
                (if (i32.ne (struct.get_u $all $i16 (local.get $x)) (i32.const 0x8000)) (then (return (i32.const 3))))
                (if (i32.ne (struct.get_s $all $i16 (local.get $x)) (i32.const -32768)) (then (return (i32.const 4))))
                (if (i32.ne (struct.get $all $i32 (local.get $x)) (i32.const -5)) (then (return (i32.const 5))))
                (if (i64.ne (struct.get $all $i64 (local.get $x)) (i64.const 0x123456789abcdef0)) (then (return (i32.const 6))))
                (if (i32.ne (i32.reinterpret_f32 (struct.get $all $f32 (local.get $x))) (i32.const 0x7fa00001)) (then (return (i32.const 7))))
                (if (i64.ne (i64.reinterpret_f64 (struct.get $all $f64 (local.get $x))) (i64.const 0x7ff4000000000001)) (then (return (i32.const 8))))
                (if (i32.eqz (i64x2.all_true (i64x2.eq (struct.get $all $v128 (local.get $x)) (v128.const i64x2 -1 2)))) (then (return (i32.const 9))))
                (if (i32.eqz (ref.eq (ref.cast eqref (struct.get $all $any (local.get $x))) (local.get $leaf))) (then (return (i32.const 10))))
                (if (i32.ne (i31.get_u (ref.cast i31ref (struct.get $all $eq (local.get $x)))) (i32.const 9)) (then (return (i32.const 11))))
                (if (i32.ne (i31.get_s (struct.get $all $i31 (local.get $x))) (i32.const -1)) (then (return (i32.const 12))))
                (if (i32.ne (struct.get $leaf 0 (ref.cast (ref $leaf) (struct.get $all $s (local.get $x)))) (i32.const 42)) (then (return (i32.const 13))))
                (if (i32.ne (array.len (struct.get $all $a (local.get $x))) (i32.const 1)) (then (return (i32.const 14))))
                (if (ref.is_null (struct.get $all $ext (local.get $x))) (then (return (i32.const 15))))
                (if (i32.ne (call_ref $f (ref.cast (ref $f) (struct.get $all $fn (local.get $x)))) (i32.const 7)) (then (return (i32.const 16))))
                (if (i32.ne (struct.get $leaf 0 (struct.get $all $leaf (local.get $x))) (i32.const 42)) (then (return (i32.const 17))))
                ;; arrays of function references and of packed halves
                (local.set $fs (array.new $fns (ref.func $seven) (i32.const 3)))
                (if (i32.ne (call_ref $f (array.get $fns (local.get $fs) (i32.const 2))) (i32.const 7)) (then (return (i32.const 18))))
                (local.set $h (array.new $halves (i32.const 0x1fffe) (i32.const 2)))
                (if (i32.ne (array.get_s $halves (local.get $h) (i32.const 1)) (i32.const -2)) (then (return (i32.const 19))))
                (if (i32.ne (array.get_u $halves (local.get $h) (i32.const 1)) (i32.const 0xfffe)) (then (return (i32.const 20))))
                (i32.const 0))
            (func (export "ext") (param externref) (result externref)
                (struct.get $all $ext (struct.new $all
                    (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0) (f32.const 0) (f64.const 0)
                    (v128.const i64x2 0 0) (ref.null any) (ref.null eq) (ref.i31 (i32.const 0))
                    (ref.null struct) (ref.null array) (local.get 0) (ref.null func) (ref.null $leaf)))))"#,
    );
    let host = ExternRef::new(&mut store, 5u8)?;
    let check = inst.get_typed_func::<Option<ExternRef>, i32>(&store, "check")?;
    assert_eq!(
        check.call(&mut store, Some(host))?,
        0,
        "the first failing check"
    );
    let ext = inst.get_typed_func::<Option<ExternRef>, Option<ExternRef>>(&store, "ext")?;
    let back = ext
        .call(&mut store, Some(host))?
        .expect("the externref field");
    assert_eq!(back, host);
    assert_eq!(back.data(&store)?.downcast_ref::<u8>(), Some(&5));
    Ok(())
}

/// Exceptions are heap objects: a million thrown and caught, each carrying
/// a struct, fit a 4 MiB heap, while one kept in an `exnref` local
/// survives every collection and is rethrown with its payload intact.
#[test]
fn exceptions_are_collected_and_a_kept_one_survives() -> weft::Result<()> {
    let mut config = Config::new();
    config.max_gc_heap_size(4 << 20);
    let engine = Engine::new(&config);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module
            (type $box (struct (field i64)))
            (tag $t (param (ref $box) i64))
            (func $thrower (param $i i64)
                (throw $t (struct.new $box (local.get $i)) (local.get $i)))
            (func (export "run") (param $n i32) (result i64)
                (local $i i32) (local $sum i64) (local $b (ref null $box)) (local $x i64)
                (local $kept exnref)
                (block $k (result exnref)
                    (try_table (catch_all_ref $k) (call $thrower (i64.const 1000000)))
                    unreachable)
                (local.set $kept)
                (loop $l
                    (block $caught (result (ref $box) i64)
                        (try_table (catch $t $caught)
                            (call $thrower (i64.extend_i32_u (local.get $i))))
                        unreachable)
                    (local.set $x)
                    (local.set $b)
                    (local.set $sum (i64.add (local.get $sum)
                        (i64.add (local.get $x) (struct.get $box 0 (local.get $b)))))
                    (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (local.get $n))))
                (block $again (result (ref $box) i64)
                    (try_table (catch $t $again) (throw_ref (local.get $kept)))
                    unreachable)
                (local.set $x)
                (local.set $b)
                (i64.add (local.get $sum)
                    (i64.add (local.get $x) (struct.get $box 0 (local.get $b))))))"#,
    );
    let run = inst.get_typed_func::<i32, i64>(&store, "run")?;
    let n = 1_000_000i64;
    assert_eq!(run.call(&mut store, n as i32)?, n * (n - 1) + 2_000_000);
    Ok(())
}

/// Structs and arrays made, read and written through the embedding API:
/// packed fields truncate on write and read zero-extended, every other
/// storage type round-trips, immutability and types are checked, and a
/// host-made struct is the same type as a module's identical one.
#[test]
fn structs_and_arrays_through_the_api() -> weft::Result<()> {
    use weft::{AnyRef, StructRef, StructRefPre, StructType};
    let field = |storage, mutable| FieldType { storage, mutable };
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = StructType::new(
        &engine,
        [
            field(StorageType::I8, true),
            field(StorageType::I16, true),
            field(StorageType::Val(ValType::I64), false),
            field(StorageType::Val(ValType::F32), true),
            field(StorageType::Val(ValType::V128), true),
            field(StorageType::Val(ValType::Ref(RefType::ANYREF)), true),
            field(StorageType::Val(ValType::FUNCREF), true),
            field(StorageType::Val(ValType::EXTERNREF), true),
        ],
    )?;
    let pre = StructRefPre::new(&mut store, ty.clone());
    let seven = Func::wrap(&mut store, || 7i32);
    let host = ExternRef::new(&mut store, "host")?;
    let s = StructRef::new(
        &mut store,
        &pre,
        &[
            Val::I32(0x1ff),
            Val::I32(-1),
            Val::I64(-5),
            Val::F32(0x7fa0_0001),
            Val::V128(u128::MAX - 1),
            Val::AnyRef(None),
            Val::FuncRef(Some(seven)),
            Val::ExternRef(Some(host)),
        ],
    )?;
    assert_eq!(s.field(&store, 0)?.i32(), Some(0xff), "i8 keeps 8 bits");
    assert_eq!(
        s.field(&store, 1)?.i32(),
        Some(0xffff),
        "read zero-extended"
    );
    assert_eq!(s.field(&store, 2)?.i64(), Some(-5));
    assert!(
        matches!(s.field(&store, 3)?, Val::F32(0x7fa0_0001)),
        "NaN payload"
    );
    assert!(matches!(s.field(&store, 4)?, Val::V128(v) if v == u128::MAX - 1));
    assert!(matches!(s.field(&store, 5)?, Val::AnyRef(None)));
    let Val::FuncRef(Some(f)) = s.field(&store, 6)? else {
        panic!("a function reference")
    };
    assert_eq!(f.typed::<(), i32>(&store)?.call(&mut store, ())?, 7);
    let Val::ExternRef(Some(e)) = s.field(&store, 7)? else {
        panic!("an external reference")
    };
    assert_eq!(e.data(&store)?.downcast_ref::<&str>(), Some(&"host"));
    assert!(
        s.set_field(&mut store, 2, Val::I64(1)).is_err(),
        "immutable"
    );
    assert!(
        s.set_field(&mut store, 0, Val::I64(1)).is_err(),
        "wrong type"
    );
    assert!(s.field(&store, 8).is_err(), "no such field");
    s.set_field(&mut store, 5, Val::AnyRef(Some(s.to_anyref())))?;
    let Val::AnyRef(Some(back)) = s.field(&store, 5)? else {
        panic!("the struct itself")
    };
    assert_eq!(
        back.as_struct(&store)?.map(|b| b.to_anyref()),
        Some(s.to_anyref())
    );
    assert!(s.matches_ty(&store, &ty)?);

    let elems = ArrayType::new(&engine, field(StorageType::I16, true));
    let apre = ArrayRefPre::new(&mut store, elems.clone());
    let a = ArrayRef::new(&mut store, &apre, &Val::I32(-2), 3)?;
    a.set(&mut store, 1, Val::I32(5))?;
    let got: Vec<i32> = a.elems(&store)?.iter().filter_map(Val::i32).collect();
    assert_eq!(got, [0xfffe, 5, 0xfffe]);
    assert!(a.get(&store, 3).is_err(), "out of bounds");
    let fixed = ArrayRef::new_fixed(&mut store, &apre, &[Val::I32(1), Val::I32(2)])?;
    assert_eq!(fixed.len(&store)?, 2);
    assert!(fixed.matches_ty(&store, &elems)?);
    assert!(AnyRef::is_array(&fixed.to_anyref(), &store)?);

    // A module's identical struct type is the same type.
    let inst = instantiate(
        &mut store,
        r#"(module
            (type $p (struct (field (mut i32))))
            (func (export "first") (param anyref) (result i32)
                (struct.get $p 0 (ref.cast (ref $p) (local.get 0))))
            (func (export "typed") (param (ref null $p)) (result i32)
                (struct.get $p 0 (local.get 0))))"#,
    );
    let pty = StructType::new(&engine, [field(StorageType::Val(ValType::I32), true)])?;
    let ppre = StructRefPre::new(&mut store, pty);
    let p = StructRef::new(&mut store, &ppre, &[Val::I32(42)])?;
    let first = inst.get_typed_func::<Option<AnyRef>, i32>(&store, "first")?;
    assert_eq!(first.call(&mut store, Some(p.to_anyref()))?, 42);
    // An argument of a concrete type is checked against it.
    let typed = inst.get_func(&store, "typed").expect("export");
    let mut out = [Val::I32(0)];
    typed.call(&mut store, &[Val::AnyRef(Some(p.to_anyref()))], &mut out)?;
    assert_eq!(out[0].i32(), Some(42));
    let wrong = Val::AnyRef(Some(fixed.to_anyref()));
    assert!(
        typed.call(&mut store, &[wrong], &mut out).is_err(),
        "an array is no $p"
    );

    // A handle outliving its scope is refused.
    let gone = {
        let mut scope = RootScope::new(&mut store);
        StructRef::new(&mut scope, &ppre, &[Val::I32(1)])?
    };
    assert!(gone.field(&store, 0).is_err());
    Ok(())
}

/// Typed functions take and return GC handles: concrete Wasm types behind
/// abstract Rust ones (a result widens statically; an argument narrower
/// than the Rust type is checked on each call), i31 both ways, and
/// `EqRef`/`OwnedRooted` conversions.
#[test]
fn typed_functions_take_and_return_gc_handles() -> weft::Result<()> {
    use weft::{AnyRef, EqRef, I31, StructRef};
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module
            (type $point (struct (field i32) (field i32)))
            (type $other (struct (field i64)))
            (type $bytes (array (mut i8)))
            (func (export "point") (param i32 i32) (result (ref $point))
                (struct.new $point (local.get 0) (local.get 1)))
            (func (export "sum") (param (ref null $point)) (result i32)
                (i32.add (struct.get $point 0 (local.get 0)) (struct.get $point 1 (local.get 0))))
            (func (export "bytes") (param i32) (result (ref null $bytes))
                (array.new_default $bytes (local.get 0)))
            (func (export "len") (param arrayref) (result i32) (array.len (local.get 0)))
            (func (export "other") (result (ref $other)) (struct.new $other (i64.const 1)))
            (func (export "i31") (param (ref i31)) (result i32) (i31.get_s (local.get 0)))
            (func (export "mk_i31") (param i32) (result i31ref) (ref.i31 (local.get 0)))
            (func (export "same") (param eqref eqref) (result i32) (ref.eq (local.get 0) (local.get 1))))"#,
    );
    let point = inst.get_typed_func::<(i32, i32), StructRef>(&store, "point")?;
    let sum = inst.get_typed_func::<Option<StructRef>, i32>(&store, "sum")?;
    let p: weft::Rooted<StructRef> = point.call(&mut store, (3, 4))?;
    assert_eq!(sum.call(&mut store, Some(p))?, 7);
    assert_eq!(p.field(&store, 1)?.i32(), Some(4));
    // A struct of another type passes the static type but not the check.
    let other = inst.get_typed_func::<(), AnyRef>(&store, "other")?;
    let o = other.call(&mut store, ())?.as_struct(&store)?.unwrap();
    let err = sum.call(&mut store, Some(o)).unwrap_err();
    assert!(err.to_string().contains("argument 0"), "{err}");
    // The function's result type is a subtype of the Rust one.
    let bytes = inst.get_typed_func::<i32, Option<weft::ArrayRef>>(&store, "bytes")?;
    let len = inst.get_typed_func::<Option<weft::ArrayRef>, i32>(&store, "len")?;
    let b = bytes.call(&mut store, 5)?.expect("an array");
    assert_eq!(len.call(&mut store, Some(b))?, 5);
    // A Rust result type narrower than the function's is refused.
    assert!(
        inst.get_typed_func::<(), StructRef>(&store, "mk_i31")
            .is_err()
    );
    assert!(inst.get_typed_func::<i32, i32>(&store, "sum").is_err());

    let i31 = inst.get_typed_func::<I31, i32>(&store, "i31")?;
    assert_eq!(i31.call(&mut store, I31::new_i32(-5).unwrap())?, -5);
    let mk = inst.get_typed_func::<i32, Option<I31>>(&store, "mk_i31")?;
    let v = mk.call(&mut store, -1)?.expect("an i31");
    assert_eq!((v.get_i32(), v.get_u32()), (-1, 0x7fff_ffff));
    assert_eq!(I31::new_u32(1 << 31), None);
    assert_eq!(I31::new_i32(1 << 30), None);

    let same = inst.get_typed_func::<(Option<EqRef>, Option<EqRef>), i32>(&store, "same")?;
    let (e1, e2) = (p.to_eqref(), EqRef::from(p));
    assert_eq!(same.call(&mut store, (Some(e1), Some(e2)))?, 1);
    assert_eq!(same.call(&mut store, (Some(e1), Some(o.to_eqref())))?, 0);
    let seven = EqRef::from_i31(&store, I31::wrapping_u32(7));
    assert_eq!(seven.as_i31(&store)?.map(I31::get_u32), Some(7));
    let any = AnyRef::from(p);
    assert_eq!(any.as_eqref(&store)?, Some(e1));
    assert!(any.matches_ty(&store, &weft::HeapType::Struct)?);
    assert!(!any.matches_ty(&store, &weft::HeapType::Array)?);

    // An owned root outlives the scope its handle was made in.
    let owned = {
        let mut scope = RootScope::new(&mut store);
        let q = point.call(&mut scope, (10, 20))?;
        q.to_owned_rooted(&scope)?
    };
    store.gc()?;
    assert_eq!(sum.call(&mut store, Some(*owned))?, 30);
    let rooted = owned.to_rooted(&store)?;
    drop(owned);
    store.gc()?;
    assert_eq!(sum.call(&mut store, Some(rooted))?, 30);
    Ok(())
}
