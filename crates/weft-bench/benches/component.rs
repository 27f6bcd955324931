//! What the Canonical ABI costs on top of a core call: host→guest calls of
//! component functions (`func(s32) -> s32`, `func(string) -> string` with
//! a 1 KiB string, a method taking a `borrow`) next to the same work done
//! with core `TypedFunc` calls on the same core code, in one criterion run;
//! then a table of the means and their ratios.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use weft::{Engine, Store};
use weft_bench::summary::{Row, print_summary};
use weft_component::{Component, Linker, ResourceAny};

/// One core module does the work; the component lifts its functions.
const COMPONENT: &str = r#"
(component
  (type $r (resource (rep i32)))
  (core func $r.new (canon resource.new $r))
  (core module $M
    (import "" "r.new" (func $r.new (param i32) (result i32)))
    (memory (export "mem") 1)
    (global $heap (mut i32) (i32.const 1024))
    (func (export "add1") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    ;; A bump allocator that starts over for each call's block.
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (i32.const 1024))
    ;; Returns the string it was given: its (ptr, len) at address 16.
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 0))
      (i32.store (i32.const 20) (local.get 1))
      (i32.const 16))
    (func (export "new") (param i32) (result i32) (call $r.new (local.get 0)))
    ;; A method of r: its representation plus one.
    (func (export "get") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))
  (core instance $m (instantiate $M (with "" (instance (export "r.new" (func $r.new))))))
  (export $R "r" (type $r))
  (func (export "add1") (param "x" s32) (result s32) (canon lift (core func $m "add1")))
  (func (export "echo") (param "s" string) (result string)
    (canon lift (core func $m "echo") (memory (core memory $m "mem"))
      (realloc (core func $m "realloc"))))
  (func (export "new") (param "rep" u32) (result (own $R)) (canon lift (core func $m "new")))
  (func (export "get") (param "self" (borrow $R)) (result u32) (canon lift (core func $m "get")))
)
"#;

/// The same core code as a module of its own.
const CORE: &str = r#"
(module
  (memory (export "mem") 1)
  (func (export "add1") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "echo") (param i32 i32) (result i32)
    (i32.store (i32.const 16) (local.get 0))
    (i32.store (i32.const 20) (local.get 1))
    (i32.const 16))
  (func (export "get") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))
"#;

fn main() {
    let started = SystemTime::now();
    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let engine = Engine::default();

    let component = Component::new(&engine, COMPONENT).expect("the component compiles");
    let mut cstore = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut cstore, &component)
        .expect("the component instantiates");
    let add1 = instance
        .get_typed_func::<(i32,), (i32,)>(&cstore, "add1")
        .unwrap();
    let echo = instance
        .get_typed_func::<(String,), (String,)>(&cstore, "echo")
        .unwrap();
    let new = instance
        .get_typed_func::<(u32,), (ResourceAny,)>(&cstore, "new")
        .unwrap();
    let get = instance
        .get_typed_func::<(ResourceAny,), (u32,)>(&cstore, "get")
        .unwrap();
    let (r,) = new.call(&mut cstore, (41,)).unwrap();

    let module = weft::Module::new(&engine, CORE).expect("the module compiles");
    let mut store = Store::new(&engine, ());
    let core = weft::Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let core_add1 = core.get_typed_func::<i32, i32>(&store, "add1").unwrap();
    let core_echo = core
        .get_typed_func::<(i32, i32), i32>(&store, "echo")
        .unwrap();
    let core_realloc = core
        .get_typed_func::<(i32, i32, i32, i32), i32>(&store, "realloc")
        .unwrap();
    let core_get = core.get_typed_func::<i32, i32>(&store, "get").unwrap();
    let memory = core.get_memory(&store, "mem").unwrap();

    let text = "weft".repeat(256);
    assert_eq!(add1.call(&mut cstore, (1,)).unwrap(), (2,));
    assert_eq!(echo.call(&mut cstore, (text.clone(),)).unwrap().0, text);
    assert_eq!(get.call(&mut cstore, (r,)).unwrap(), (42,));

    let mut group = c.benchmark_group("s32");
    group.bench_function("component", |b| {
        b.iter(|| add1.call(&mut cstore, (black_box(7),)).unwrap())
    });
    group.bench_function("core", |b| {
        b.iter(|| core_add1.call(&mut store, black_box(7)).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("string-1k");
    group.bench_function("component", |b| {
        b.iter(|| echo.call(&mut cstore, (black_box(text.clone()),)).unwrap())
    });
    // The same work by hand: allocate, copy in, call, read back, check.
    group.bench_function("core", |b| {
        b.iter(|| {
            let s = black_box(text.clone());
            let p = core_realloc
                .call(&mut store, (0, 0, 1, s.len() as i32))
                .unwrap();
            memory.write(&mut store, p as usize, s.as_bytes()).unwrap();
            let ret = core_echo.call(&mut store, (p, s.len() as i32)).unwrap() as usize;
            let mut pair = [0u8; 8];
            memory.read(&store, ret, &mut pair).unwrap();
            let ptr = u32::from_le_bytes(pair[..4].try_into().unwrap()) as usize;
            let len = u32::from_le_bytes(pair[4..].try_into().unwrap()) as usize;
            let mut out = vec![0u8; len];
            memory.read(&store, ptr, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("borrow");
    group.bench_function("component", |b| {
        b.iter(|| get.call(&mut cstore, (black_box(r),)).unwrap())
    });
    group.bench_function("core", |b| {
        b.iter(|| core_get.call(&mut store, black_box(41)).unwrap())
    });
    group.finish();

    c.final_summary();
    let rows: Vec<Row> = ["s32", "string-1k", "borrow"]
        .into_iter()
        .map(|g| Row {
            label: g.to_string(),
            group: g.to_string(),
            weft: "component",
            peer: "core",
        })
        .collect();
    print_summary(
        &rows,
        started,
        "host→guest component calls vs the same work as core TypedFunc calls\n\
         (ratio = component / core: what the Canonical ABI adds)",
        ("component", "core"),
    );
}
