//! Every failure of ../shared/design/component-resources.md sections 2–4,
//! caused by the guest (a trap with the specification's message) and by
//! the host (an `Err` of the call), each asserting the exact error; and
//! that nothing is lost after one (lends come back, handles stay usable).

use weft::{Engine, Error, Store, TrapKind};
use weft_component::{Component, Func, Instance, Linker, ResourceAny, ResourceType, Val};

/// A host resource type.
struct H;

/// A component that imports host resource `h` and defines resource `r`,
/// with exports that use handles rightly and wrongly.
const GUEST: &str = r#"
(component
  (import "h" (type $h (sub resource)))
  (import "both" (func $both (param "a" (borrow $h)) (param "b" (own $h))))
  (type $r (resource (rep i32)))
  (core func $r.new (canon resource.new $r))
  (core func $r.rep (canon resource.rep $r))
  (core func $r.drop (canon resource.drop $r))
  (core func $h.drop (canon resource.drop $h))
  (core func $both (canon lower (func $both)))
  (core module $M
    (import "" "r.new" (func $r.new (param i32) (result i32)))
    (import "" "r.rep" (func $r.rep (param i32) (result i32)))
    (import "" "r.drop" (func $r.drop (param i32)))
    (import "" "h.drop" (func $h.drop (param i32)))
    (import "" "both" (func $both (param i32 i32)))
    (global $kept (mut i32) (i32.const 0))
    ;; Takes an own<h>; keeps the handle; returns its index.
    (func (export "take") (param i32) (result i32)
      (global.set $kept (local.get 0))
      (local.get 0))
    ;; resource.rep of r on any index.
    (func (export "rep") (param i32) (result i32) (call $r.rep (local.get 0)))
    ;; resource.drop of r on any index.
    (func (export "drop-r") (param i32) (call $r.drop (local.get 0)))
    ;; resource.drop of h on any index.
    (func (export "drop-h") (param i32) (call $h.drop (local.get 0)))
    ;; A borrow<h> parameter, kept past the return.
    (func (export "keep") (param i32))
    (func (export "keep2") (param i32 i32))
    ;; A borrow<h> parameter, dropped as it should be.
    (func (export "release") (param i32) (call $h.drop (local.get 0)))
    ;; A borrow<h> parameter returned as an own<h>.
    (func (export "borrow-as-own") (param i32) (result i32) (local.get 0))
    ;; Passes the kept own<h> to the host both lent and given away.
    (func (export "give-kept-twice") (call $both (global.get $kept) (global.get $kept)))
    ;; Lends handle 0 and gives handle 1 to the host.
    (func (export "give-two") (param i32 i32) (call $both (local.get 0) (local.get 1)))
    ;; Makes an r and drops it; returns the handle it had.
    (func (export "cycle-r") (result i32)
      (local $h i32)
      (local.set $h (call $r.new (i32.const 77)))
      (call $r.drop (local.get $h))
      (local.get $h))
  )
  (core instance $m (instantiate $M (with "" (instance
    (export "r.new" (func $r.new))
    (export "r.rep" (func $r.rep))
    (export "r.drop" (func $r.drop))
    (export "h.drop" (func $h.drop))
    (export "both" (func $both))))))
  (func (export "take") (param "x" (own $h)) (result u32) (canon lift (core func $m "take")))
  (func (export "rep") (param "i" u32) (result u32) (canon lift (core func $m "rep")))
  (func (export "drop-r") (param "i" u32) (canon lift (core func $m "drop-r")))
  (func (export "drop-h") (param "i" u32) (canon lift (core func $m "drop-h")))
  (func (export "keep") (param "x" (borrow $h)) (canon lift (core func $m "keep")))
  (func (export "release") (param "x" (borrow $h)) (canon lift (core func $m "release")))
  (func (export "borrow-as-own") (param "x" (borrow $h)) (result (own $h))
    (canon lift (core func $m "borrow-as-own")))
  (func (export "give-kept-twice") (canon lift (core func $m "give-kept-twice")))
  (func (export "give-two") (param "a" u32) (param "b" u32) (canon lift (core func $m "give-two")))
  (func (export "cycle-r") (result u32) (canon lift (core func $m "cycle-r")))
  (func (export "both") (param "a" (borrow $h)) (param "b" (own $h))
    (canon lift (core func $m "keep2")))
)
"#;

#[derive(Default)]
struct Data {
    /// Representations whose host destructor ran, in order.
    destroyed: Vec<u32>,
    /// A borrow a host function kept past its call.
    stashed: Option<ResourceAny>,
}

fn setup() -> (Store<Data>, Instance) {
    let engine = Engine::default();
    let component = Component::new(&engine, GUEST).expect("the component is valid");
    let mut linker = Linker::<Data>::new(&engine);
    let mut root = linker.root();
    root.resource("h", ResourceType::host::<H>(), |mut cx, rep| {
        cx.data_mut().destroyed.push(rep);
        Ok(())
    })
    .unwrap();
    root.func_new("both", |mut cx, args, _| {
        if let Val::Resource(a) = &args[0] {
            cx.data_mut().stashed = Some(*a);
        }
        Ok(())
    })
    .unwrap();
    let mut store = Store::new(&engine, Data::default());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    (store, instance)
}

fn f(store: &Store<Data>, instance: &Instance, name: &str) -> Func {
    instance.get_func(store, name).unwrap()
}

fn call(store: &mut Store<Data>, func: &Func, args: &[Val]) -> weft::Result<Option<Val>> {
    let mut out = vec![Val::Bool(false); func.results().len()];
    func.call(&mut *store, args, &mut out)?;
    Ok(out.pop())
}

/// A host-owned `h` with representation `rep`, as a `ResourceAny`.
fn host_h(store: &mut Store<Data>, rep: u32) -> ResourceAny {
    weft_component::Resource::<H>::new_own(rep)
        .try_into_resource_any(store)
        .unwrap()
}

/// The Canonical ABI trap message of `e`.
fn trap(e: &Error) -> &str {
    let t = e.as_trap().unwrap_or_else(|| panic!("not a trap: {e}"));
    assert_eq!(t.kind(), TrapKind::CanonicalAbi, "{e}");
    t.detail().unwrap()
}

#[test]
fn guest_access_with_a_bad_index_or_type_traps() {
    let (mut store, i) = setup();
    let rep = f(&store, &i, "rep");
    let e = call(&mut store, &rep, &[Val::U32(0)]).unwrap_err();
    assert_eq!(trap(&e), "unknown handle index 0");
    let e = call(&mut store, &rep, &[Val::U32(99)]).unwrap_err();
    assert_eq!(trap(&e), "unknown handle index 99");
    // An own<h> in the guest's table, used as an r.
    let h = host_h(&mut store, 5);
    let take = f(&store, &i, "take");
    let Some(Val::U32(index)) = call(&mut store, &take, &[Val::Resource(h)]).unwrap() else {
        panic!("take returns the handle index");
    };
    assert_eq!(index, 1, "handle 0 is never given out");
    let drop_r = f(&store, &i, "drop-r");
    let e = call(&mut store, &drop_r, &[Val::U32(index)]).unwrap_err();
    assert_eq!(
        trap(&e),
        "handle index 1 used with the wrong type, expected guest-defined resource but found host resource"
    );
    // The handle is still there: dropping it as an h runs the host's drop.
    let drop_h = f(&store, &i, "drop-h");
    call(&mut store, &drop_h, &[Val::U32(index)]).unwrap();
    assert_eq!(store.data().destroyed, [5], "the host destructor ran once");
    let e = call(&mut store, &drop_h, &[Val::U32(index)]).unwrap_err();
    assert_eq!(trap(&e), "unknown handle index 1", "a freed slot");
}

#[test]
fn a_dropped_slot_is_reused() {
    let (mut store, i) = setup();
    let cycle = f(&store, &i, "cycle-r");
    assert_eq!(call(&mut store, &cycle, &[]).unwrap(), Some(Val::U32(1)));
    assert_eq!(call(&mut store, &cycle, &[]).unwrap(), Some(Val::U32(1)));
}

#[test]
fn a_borrow_kept_past_the_call_traps_and_a_released_one_does_not() {
    let (mut store, i) = setup();
    let h = host_h(&mut store, 8);
    let keep = f(&store, &i, "keep");
    let e = call(&mut store, &keep, &[Val::Resource(h)]).unwrap_err();
    assert_eq!(
        trap(&e),
        "borrow handles still remain at the end of the call"
    );
    // The lend came back: the host can still lend and then drop it.
    let release = f(&store, &i, "release");
    call(&mut store, &release, &[Val::Resource(h)]).unwrap();
    h.resource_drop(&mut store).unwrap();
    assert_eq!(store.data().destroyed, [8]);
}

#[test]
fn own_from_a_borrow_traps_in_the_guest() {
    let (mut store, i) = setup();
    let h = host_h(&mut store, 3);
    let f = f(&store, &i, "borrow-as-own");
    let e = call(&mut store, &f, &[Val::Resource(h)]).unwrap_err();
    assert_eq!(trap(&e), "cannot lift own resource from a borrow");
}

#[test]
fn an_own_handle_lent_in_the_same_call_cannot_be_given_away() {
    // By the guest: its own handle passed to the host both lent and owned.
    let (mut store, i) = setup();
    let h = host_h(&mut store, 4);
    let take = f(&store, &i, "take");
    call(&mut store, &take, &[Val::Resource(h)]).unwrap();
    let twice = f(&store, &i, "give-kept-twice");
    let e = call(&mut store, &twice, &[]).unwrap_err();
    assert_eq!(trap(&e), "cannot remove owned resource while borrowed");
    // The lend was given back: the guest can drop the handle now.
    let drop_h = f(&store, &i, "drop-h");
    call(&mut store, &drop_h, &[Val::U32(1)]).unwrap();
    assert_eq!(store.data().destroyed, [4]);

    // By the host: one own ResourceAny as both arguments.
    let h = host_h(&mut store, 6);
    let both = f(&store, &i, "both");
    let e = call(&mut store, &both, &[Val::Resource(h), Val::Resource(h)]).unwrap_err();
    assert!(
        matches!(&e, Error::Usage(m) if m == "cannot remove owned resource while borrowed"),
        "{e}"
    );
    h.resource_drop(&mut store).unwrap();
    assert_eq!(store.data().destroyed, [4, 6], "the lend came back");
}

#[test]
fn host_misuse_is_an_error_not_a_trap() {
    let (mut store, i) = setup();
    let take = f(&store, &i, "take");
    let (a, b) = (host_h(&mut store, 9), host_h(&mut store, 10));
    let ia = call(&mut store, &take, &[Val::Resource(a)])
        .unwrap()
        .unwrap();
    let ib = call(&mut store, &take, &[Val::Resource(b)])
        .unwrap()
        .unwrap();
    // The guest lends `a` to a host function, which keeps the borrow.
    let give = f(&store, &i, "give-two");
    call(&mut store, &give, &[ia, ib]).unwrap();
    let stale = store.data().stashed.expect("the host kept a borrow");
    assert!(!stale.owned());
    let release = f(&store, &i, "release");
    let e = call(&mut store, &release, &[Val::Resource(stale)]).unwrap_err();
    assert!(
        matches!(&e, Error::Usage(m) if m == "a borrowed resource used after its call returned"),
        "{e}"
    );
    // A borrow where an own is needed.
    let e = call(&mut store, &take, &[Val::Resource(stale)]).unwrap_err();
    assert!(
        matches!(&e, Error::Usage(m) if m == "cannot lift own resource from a borrow"),
        "{e}"
    );
    // Dropping an own handle twice, and using it after.
    let c = host_h(&mut store, 11);
    c.resource_drop(&mut store).unwrap();
    assert_eq!(store.data().destroyed, [11]);
    let e = c.resource_drop(&mut store).unwrap_err();
    assert!(e.to_string().starts_with("unknown handle index"), "{e}");
    let e = call(&mut store, &release, &[Val::Resource(c)]).unwrap_err();
    assert!(
        matches!(&e, Error::Usage(m) if m.starts_with("unknown handle index")),
        "{e}"
    );
    assert_eq!(store.data().destroyed, [11], "no destructor ran twice");
}

/// Handles made and dropped through the whole runtime in random order:
/// every guest destructor runs exactly once (the guest traps on a second
/// run for one representation), and the instance keeps working.
#[test]
fn churn_through_the_runtime_runs_every_destructor_once() {
    const N: u32 = 1_000_000;
    let engine = Engine::default();
    let component = Component::new(
        &engine,
        r#"(component
          (core module $D
            (memory (export "mem") 16)
            (global $n (mut i32) (i32.const 0))
            (func (export "dtor") (param i32)
              (if (i32.load8_u (local.get 0)) (then unreachable))
              (i32.store8 (local.get 0) (i32.const 1))
              (global.set $n (i32.add (global.get $n) (i32.const 1))))
            (func (export "count") (result i32) (global.get $n)))
          (core instance $d (instantiate $D))
          (type $r (resource (rep i32) (dtor (core func $d "dtor"))))
          (core func $new (canon resource.new $r))
          (core module $M
            (import "" "new" (func $new (param i32) (result i32)))
            (func (export "make") (param i32) (result i32) (call $new (local.get 0))))
          (core instance $m (instantiate $M (with "" (instance (export "new" (func $new))))))
          (export $R "r" (type $r))
          (func (export "make") (param "rep" u32) (result (own $R)) (canon lift (core func $m "make")))
          (func (export "count") (result u32) (canon lift (core func $d "count"))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &component)
        .unwrap();
    let make = instance
        .get_typed_func::<(u32,), (ResourceAny,)>(&store, "make")
        .unwrap();
    let count = instance
        .get_typed_func::<(), (u32,)>(&store, "count")
        .unwrap();
    let mut live: Vec<ResourceAny> = Vec::new();
    let (mut next, mut peak) = (0u32, 0usize);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    while next < N || !live.is_empty() {
        let make_one = next < N && (live.is_empty() || random() % 100 < 55);
        if make_one {
            live.push(make.call(&mut store, (next,)).unwrap().0);
            next += 1;
            peak = peak.max(live.len());
        } else {
            let i = (random() % live.len() as u64) as usize;
            live.swap_remove(i).resource_drop(&mut store).unwrap();
        }
    }
    assert_eq!(count.call(&mut store, ()).unwrap(), (N,));
    assert!(peak < N as usize, "handles were reused while others lived");
}
