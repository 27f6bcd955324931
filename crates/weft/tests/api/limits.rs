//! Untrusted code under control: fuel, epoch deadlines, stack limits and
//! resource limiters stop or refuse what the embedder did not allow.

use std::time::Duration;
use weft::*;

const SPIN: &str = r#"(module
    (func (export "spin") (loop (br 0)))
    (func (export "count") (param i32) (result i32) (local i32)
        (loop
            (local.set 1 (i32.add (local.get 1) (i32.const 1)))
            (br_if 0 (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 1))
    (func $rec (export "recurse") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1))))))))"#;

fn spin_instance(config: &Config) -> (Store<()>, Instance) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, SPIN).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, instance)
}

fn trap_kind(e: &Error) -> TrapKind {
    e.as_trap()
        .unwrap_or_else(|| panic!("expected a trap, got {e}"))
        .kind()
}

#[test]
fn fuel_stops_an_infinite_loop_and_can_be_refilled() {
    let mut config = Config::new();
    config.consume_fuel(true);
    let (mut store, instance) = spin_instance(&config);
    store.set_fuel(10_000).unwrap();
    let spin = instance.get_typed_func::<(), ()>(&store, "spin").unwrap();
    let err = spin.call(&mut store, ()).unwrap_err();
    assert_eq!(trap_kind(&err), TrapKind::OutOfFuel);
    assert_eq!(store.get_fuel().unwrap(), 0);

    // Refilled, a finite computation completes and pays for its work.
    let count = instance
        .get_typed_func::<i32, i32>(&store, "count")
        .unwrap();
    store.set_fuel(1_000_000).unwrap();
    assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
    let used = 1_000_000 - store.get_fuel().unwrap();
    assert!(
        (7_000..20_000).contains(&used),
        "1000 iterations of ~8 instructions used {used}"
    );

    // Too little fuel for the same work traps, more fuel lets it finish.
    store.set_fuel(used / 2).unwrap();
    assert_eq!(
        trap_kind(&count.call(&mut store, 1000).unwrap_err()),
        TrapKind::OutOfFuel
    );
    store.set_fuel(used).unwrap();
    assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
}

#[test]
fn fuel_is_an_error_when_not_enabled() {
    let (mut store, _) = spin_instance(&Config::new());
    assert!(store.set_fuel(1).is_err());
    assert!(store.get_fuel().is_err());
}

#[test]
fn epoch_deadline_interrupts_from_another_thread() {
    let mut config = Config::new();
    config.epoch_interruption(true);
    let (mut store, instance) = spin_instance(&config);
    store.set_epoch_deadline(1);
    let engine = store.engine().clone();
    let ticker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        engine.increment_epoch();
    });
    let spin = instance.get_typed_func::<(), ()>(&store, "spin").unwrap();
    let err = spin.call(&mut store, ()).unwrap_err();
    assert_eq!(trap_kind(&err), TrapKind::Interrupt);
    ticker.join().unwrap();

    // With a fresh deadline, code runs normally again.
    store.set_epoch_deadline(1);
    let count = instance
        .get_typed_func::<i32, i32>(&store, "count")
        .unwrap();
    assert_eq!(count.call(&mut store, 100).unwrap(), 100);
}

#[test]
fn recursion_traps_cleanly_at_the_configured_stack_size() {
    let mut small = Config::new();
    small.max_wasm_stack(64 << 10);
    let (mut store, instance) = spin_instance(&small);
    let rec = instance
        .get_typed_func::<i32, i32>(&store, "recurse")
        .unwrap();
    assert_eq!(rec.call(&mut store, 100).unwrap(), 100);
    let err = rec.call(&mut store, 1_000_000).unwrap_err();
    assert_eq!(trap_kind(&err), TrapKind::StackExhausted);
    // The store is still usable after the exhaustion.
    assert_eq!(rec.call(&mut store, 50).unwrap(), 50);

    // The default stack allows the depth the small one refused.
    let (mut store, instance) = spin_instance(&Config::new());
    let rec = instance
        .get_typed_func::<i32, i32>(&store, "recurse")
        .unwrap();
    assert_eq!(rec.call(&mut store, 10_000).unwrap(), 10_000);
}

const GROW: &str = r#"(module
    (memory (export "mem") 1)
    (table (export "tab") 1 funcref)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "grow_table") (param i32) (result i32)
        (table.grow (ref.null func) (local.get 0))))"#;

fn limited(limits: StoreLimits) -> (Store<()>, Instance, Module) {
    let engine = Engine::default();
    let module = Module::new(&engine, GROW).unwrap();
    let mut store = Store::new(&engine, ());
    store.limiter(limits);
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    (store, instance, module)
}

#[test]
fn memory_grow_past_the_limit_returns_minus_one() {
    let limits = StoreLimitsBuilder::new()
        .memory_size(4 << 16)
        .table_elements(10)
        .build();
    let (mut store, instance, _) = limited(limits);
    let grow = instance.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(
        grow.call(&mut store, 2).unwrap(),
        -1,
        "5 pages exceed the 4-page limit"
    );
    assert_eq!(grow.call(&mut store, 1).unwrap(), 3);
    assert_eq!(instance.get_memory(&store, "mem").unwrap().size(&store), 4);
    let mem = instance.get_memory(&store, "mem").unwrap();
    assert!(
        mem.grow(&mut store, 1).is_err(),
        "the host API obeys the limiter too"
    );

    let grow_table = instance
        .get_typed_func::<i32, i32>(&store, "grow_table")
        .unwrap();
    assert_eq!(grow_table.call(&mut store, 9).unwrap(), 1);
    assert_eq!(grow_table.call(&mut store, 1).unwrap(), -1);
}

#[test]
fn refused_growth_can_trap_instead() {
    let limits = StoreLimitsBuilder::new()
        .memory_size(1 << 16)
        .trap_on_grow_failure(true)
        .build();
    let (mut store, instance, _) = limited(limits);
    let grow = instance.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    assert_eq!(
        trap_kind(&grow.call(&mut store, 1).unwrap_err()),
        TrapKind::GrowthRefused
    );
}

#[test]
fn instance_and_memory_counts_are_capped() {
    let limits = StoreLimitsBuilder::new().instances(2).memories(2).build();
    let (mut store, _, module) = limited(limits);
    let linker = Linker::new(store.engine());
    assert!(linker.instantiate(&mut store, &module).is_ok());
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(err.to_string().contains("too many instances"), "{err}");
    let err = Memory::new(&mut store, MemoryType::new(1, None)).unwrap_err();
    assert!(err.to_string().contains("too many memories"), "{err}");
}

#[test]
fn a_memory_larger_than_the_limit_cannot_be_created() {
    let limits = StoreLimitsBuilder::new().memory_size(1 << 16).build();
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    store.limiter(limits);
    assert!(Memory::new(&mut store, MemoryType::new(2, None)).is_err());
    assert!(Memory::new(&mut store, MemoryType::new(1, None)).is_ok());
}
