//! The `resources` component of ../shared/programs (Rust, wit-bindgen),
//! driven through the dynamic `Val` API: every value its README lists,
//! host resource destructors run exactly once, guest destructors observed
//! through `live-counters`, and each misuse failing cleanly.

use std::path::PathBuf;
use weft::{Engine, Error, Store, StoreContextMut};
use weft_component::{
    Component, Func, Instance, Linker, LinkerInstance, Resource, ResourceAny, ResourceTable,
    ResourceType, Val,
};

fn program(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/programs/components")
        .join(path)
}

/// A host logger: what `weft:test/host-log` keeps per resource.
struct Logger {
    #[allow(dead_code)]
    prefix: String,
    messages: Vec<String>,
}

#[derive(Default)]
struct Host {
    table: ResourceTable,
    dropped: u32,
}

fn string(v: &Val) -> weft::Result<String> {
    match v {
        Val::String(s) => Ok(s.clone()),
        other => Err(Error::host(format!("expected a string, got {other:?}"))),
    }
}

fn logger(cx: &mut StoreContextMut<'_, Host>, v: &Val) -> weft::Result<Resource<Logger>> {
    match v {
        Val::Resource(any) => Resource::try_from_resource_any(*any, cx),
        other => Err(Error::host(format!("expected a logger, got {other:?}"))),
    }
}

/// Defines the `logger` resource type, whose destructor removes the
/// logger from the host's table and counts the drop.
fn define_logger(log: &mut LinkerInstance<'_, Host>) {
    log.resource(
        "logger",
        ResourceType::host::<Logger>(),
        |mut cx: StoreContextMut<'_, Host>, rep| {
            cx.data_mut()
                .table
                .delete(Resource::<Logger>::new_own(rep))
                .map_err(Error::host)?;
            cx.data_mut().dropped += 1;
            Ok(())
        },
    )
    .unwrap();
}

/// A linker with `weft:test/host-log` defined through `func_new`, and the
/// WASI imports the component never calls stubbed.
fn dynamic_linker(engine: &Engine, component: &Component) -> Linker<Host> {
    let mut linker = Linker::new(engine);
    let mut log = linker.instance("weft:test/host-log").unwrap();
    define_logger(&mut log);
    log.func_new("[constructor]logger", |mut cx, args, results| {
        let prefix = string(&args[0])?;
        let r = cx
            .data_mut()
            .table
            .push(Logger {
                prefix,
                messages: Vec::new(),
            })
            .map_err(Error::host)?;
        results[0] = Val::Resource(r.try_into_resource_any(&mut cx)?);
        Ok(())
    })
    .unwrap();
    log.func_new("[method]logger.log", |mut cx, args, _| {
        let r = logger(&mut cx, &args[0])?;
        let msg = string(&args[1])?;
        let l = cx.data_mut().table.get_mut(&r).map_err(Error::host)?;
        l.messages.push(msg);
        Ok(())
    })
    .unwrap();
    log.func_new("[method]logger.count", |mut cx, args, results| {
        let r = logger(&mut cx, &args[0])?;
        let l = cx.data().table.get(&r).map_err(Error::host)?;
        results[0] = Val::U32(l.messages.len() as u32);
        Ok(())
    })
    .unwrap();
    log.func_new("make-default", |mut cx, _, results| {
        let r = cx
            .data_mut()
            .table
            .push(Logger {
                prefix: "default".into(),
                messages: Vec::new(),
            })
            .map_err(Error::host)?;
        results[0] = Val::Resource(r.try_into_resource_any(&mut cx)?);
        Ok(())
    })
    .unwrap();
    log.func_new("total", |mut cx, args, results| {
        logger(&mut cx, &args[0])?;
        let n: usize = cx
            .data()
            .table
            .iter::<Logger>()
            .map(|l| l.messages.len())
            .sum();
        results[0] = Val::U32(n as u32);
        Ok(())
    })
    .unwrap();
    linker.define_unknown_imports_as_traps(component).unwrap();
    linker
}

fn setup() -> (Store<Host>, Instance) {
    let engine = Engine::default();
    let component = Component::from_file(&engine, program("resources/resources-guest.wasm"))
        .expect("the component compiles");
    let linker = dynamic_linker(&engine, &component);
    let mut store = Store::new(&engine, Host::default());
    let instance = linker
        .instantiate(&mut store, &component)
        .expect("the component instantiates");
    (store, instance)
}

fn func(store: &Store<Host>, instance: &Instance, name: &str) -> Func {
    instance
        .get_func(store, name)
        .unwrap_or_else(|| panic!("no export {name}"))
}

fn call(store: &mut Store<Host>, f: &Func, args: &[Val]) -> weft::Result<Option<Val>> {
    let mut results = vec![Val::Bool(false); f.results().len()];
    f.call(&mut *store, args, &mut results)?;
    Ok(results.pop())
}

fn types(store: &Store<Host>, instance: &Instance, name: &str) -> Func {
    func(store, instance, &format!("weft:test/types#{name}"))
}

fn some(v: Val) -> Option<Box<Val>> {
    Some(Box::new(v))
}

#[test]
fn run_uses_host_loggers_and_drops_them() {
    let (mut store, instance) = setup();
    let run = func(&store, &instance, "run");
    assert_eq!(call(&mut store, &run, &[]).unwrap(), Some(Val::U32(321)));
    assert!(store.data().table.is_empty(), "no logger left in the table");
    assert_eq!(store.data().dropped, 2, "each logger's destructor ran once");
}

#[test]
fn values_cross_both_ways() {
    let (mut store, instance) = setup();
    let echo = types(&store, &instance, "echo-list");
    let list = Val::List(vec![Val::String("a".into()), Val::String("bc".into())]);
    assert_eq!(
        call(&mut store, &echo, &[list]).unwrap(),
        Some(Val::List(vec![
            Val::String("BC".into()),
            Val::String("A".into())
        ]))
    );
    let area = types(&store, &instance, "area");
    let point = Val::Record(vec![("x".into(), Val::S32(3)), ("y".into(), Val::S32(4))]);
    for (shape, want) in [
        (Val::Variant("circle".into(), some(Val::Float64(2.0))), 12.0),
        (Val::Variant("rect".into(), some(point)), 12.0),
        (Val::Variant("empty".into(), None), 0.0),
    ] {
        assert_eq!(
            call(&mut store, &area, &[shape]).unwrap(),
            Some(Val::Float64(want))
        );
    }
    let classify = types(&store, &instance, "classify");
    let got = call(
        &mut store,
        &classify,
        &[
            Val::Enum("green".into()),
            Val::Flags(vec!["read".into(), "write".into()]),
        ],
    )
    .unwrap();
    assert_eq!(
        got,
        Some(Val::Tuple(vec![
            Val::String("green:3".into()),
            Val::Option(some(Val::U8(3)))
        ]))
    );
    let got = call(
        &mut store,
        &classify,
        &[Val::Enum("red".into()), Val::Flags(vec!["exec".into()])],
    )
    .unwrap();
    assert_eq!(
        got,
        Some(Val::Tuple(vec![
            Val::String("red:4".into()),
            Val::Option(None)
        ]))
    );
    let divide = types(&store, &instance, "divide");
    assert_eq!(
        call(&mut store, &divide, &[Val::S64(7), Val::S64(2)]).unwrap(),
        Some(Val::Result(Ok(some(Val::S64(3)))))
    );
    assert_eq!(
        call(&mut store, &divide, &[Val::S64(1), Val::S64(0)]).unwrap(),
        Some(Val::Result(Err(some(Val::String(
            "cannot divide 1 by 0".into()
        )))))
    );
}

fn counter(store: &mut Store<Host>, instance: &Instance, start: u32) -> ResourceAny {
    let new = types(store, instance, "[constructor]counter");
    match call(store, &new, &[Val::U32(start)]).unwrap() {
        Some(Val::Resource(r)) => r,
        other => panic!("not a resource: {other:?}"),
    }
}

fn live(store: &mut Store<Host>, instance: &Instance) -> Option<Val> {
    let f = types(store, instance, "live-counters");
    call(store, &f, &[]).unwrap()
}

#[test]
fn guest_counters_are_owned_borrowed_and_destroyed() {
    let (mut store, instance) = setup();
    let a = counter(&mut store, &instance, 5);
    assert!(a.owned() && !a.ty().is_host());
    let inc = types(&store, &instance, "[method]counter.inc");
    let get = types(&store, &instance, "[method]counter.get");
    let res = Val::Resource;
    assert_eq!(
        call(&mut store, &inc, &[res(a), Val::U32(2)]).unwrap(),
        Some(Val::U32(7))
    );
    assert_eq!(
        call(&mut store, &get, &[res(a)]).unwrap(),
        Some(Val::U32(7))
    );
    let b = counter(&mut store, &instance, 10);
    assert_eq!(live(&mut store, &instance), Some(Val::U32(2)));
    let merge = types(&store, &instance, "[static]counter.merge");
    let Some(Val::Resource(c)) = call(&mut store, &merge, &[res(a), res(b)]).unwrap() else {
        panic!("merge returns a counter");
    };
    assert_eq!(
        live(&mut store, &instance),
        Some(Val::U32(2)),
        "b was consumed and destroyed, c was made"
    );
    assert_eq!(
        call(&mut store, &get, &[res(c)]).unwrap(),
        Some(Val::U32(17))
    );
    let sum = types(&store, &instance, "sum-counters");
    assert_eq!(
        call(&mut store, &sum, &[Val::List(vec![res(a), res(c), res(a)])]).unwrap(),
        Some(Val::U32(31))
    );
    c.resource_drop(&mut store).unwrap();
    assert_eq!(
        live(&mut store, &instance),
        Some(Val::U32(1)),
        "dropping an own handle from the host ran the guest destructor"
    );
    a.resource_drop(&mut store).unwrap();
    assert_eq!(live(&mut store, &instance), Some(Val::U32(0)));
}

#[test]
fn misuse_fails_cleanly() {
    let (mut store, instance) = setup();
    let get = types(&store, &instance, "[method]counter.get");
    let a = counter(&mut store, &instance, 1);
    a.resource_drop(&mut store).unwrap();
    let twice = a.resource_drop(&mut store).unwrap_err();
    assert!(
        twice.to_string().contains("unknown handle index"),
        "dropping twice: {twice}"
    );
    let used = call(&mut store, &get, &[Val::Resource(a)]).unwrap_err();
    assert!(
        matches!(&used, Error::Usage(m) if m.contains("unknown handle index")),
        "using a dropped handle: {used}"
    );
    // A logger where a counter is expected.
    let host_logger = Resource::<Logger>::new_own(
        store
            .data_mut()
            .table
            .push(Logger {
                prefix: "x".into(),
                messages: Vec::new(),
            })
            .unwrap()
            .rep(),
    )
    .try_into_resource_any(&mut store)
    .unwrap();
    let wrong = call(&mut store, &get, &[Val::Resource(host_logger)]).unwrap_err();
    assert_eq!(
        wrong.to_string(),
        "resource used with the wrong type, expected guest-defined resource but found host resource"
    );
    // The other way round: a counter as a logger, in the host's own API.
    let b = counter(&mut store, &instance, 1);
    let err = Resource::<Logger>::try_from_resource_any(b, &mut store).unwrap_err();
    assert!(err.to_string().contains("is not a"), "{err}");
    // A call with a value of the wrong type is refused before the guest runs.
    let err = call(&mut store, &get, &[Val::U32(3)]).unwrap_err();
    assert!(matches!(err, Error::Usage(_)), "{err}");
    // The instance still works after all of that.
    assert_eq!(
        call(&mut store, &get, &[Val::Resource(b)]).unwrap(),
        Some(Val::U32(1))
    );
}

/// `weft:test/host-log` defined with `func_wrap` and typed Rust values.
fn typed_linker(engine: &Engine, component: &Component) -> Linker<Host> {
    let mut linker = Linker::new(engine);
    let mut log = linker.instance("weft:test/host-log").unwrap();
    define_logger(&mut log);
    let new = |cx: &mut StoreContextMut<'_, Host>, prefix: String| {
        cx.data_mut()
            .table
            .push(Logger {
                prefix,
                messages: Vec::new(),
            })
            .map_err(Error::host)
    };
    log.func_wrap(
        "[constructor]logger",
        move |mut cx, (prefix,): (String,)| Ok((new(&mut cx, prefix)?,)),
    )
    .unwrap();
    log.func_wrap(
        "[method]logger.log",
        |mut cx, (l, msg): (Resource<Logger>, String)| {
            let l = cx.data_mut().table.get_mut(&l).map_err(Error::host)?;
            l.messages.push(msg);
            Ok(())
        },
    )
    .unwrap();
    log.func_wrap("[method]logger.count", |cx, (l,): (Resource<Logger>,)| {
        let l = cx.data().table.get(&l).map_err(Error::host)?;
        Ok((l.messages.len() as u32,))
    })
    .unwrap();
    log.func_wrap("make-default", move |mut cx, (): ()| {
        Ok((new(&mut cx, "default".into())?,))
    })
    .unwrap();
    log.func_wrap("total", |cx, (_,): (Resource<Logger>,)| {
        let n: usize = cx
            .data()
            .table
            .iter::<Logger>()
            .map(|l| l.messages.len())
            .sum();
        Ok((n as u32,))
    })
    .unwrap();
    linker.define_unknown_imports_as_traps(component).unwrap();
    linker
}

#[test]
fn the_typed_api_runs_the_same_program() {
    let engine = Engine::default();
    let component =
        Component::from_file(&engine, program("resources/resources-guest.wasm")).unwrap();
    let linker = typed_linker(&engine, &component);
    let mut store = Store::new(&engine, Host::default());
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let run = instance
        .get_typed_func::<(), (u32,)>(&store, "run")
        .unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), (321,));
    assert!(store.data().table.is_empty());
    assert_eq!(store.data().dropped, 2);

    let echo = instance
        .get_typed_func::<(Vec<String>,), (Vec<String>,)>(&store, "weft:test/types#echo-list")
        .unwrap();
    assert_eq!(
        echo.call(&mut store, (vec!["a".into(), "bc".into()],))
            .unwrap(),
        (vec!["BC".to_string(), "A".to_string()],)
    );
    let divide = instance
        .get_typed_func::<(i64, i64), (Result<i64, String>,)>(&store, "weft:test/types#divide")
        .unwrap();
    assert_eq!(divide.call(&mut store, (7, 2)).unwrap(), (Ok(3),));
    assert_eq!(
        divide.call(&mut store, (1, 0)).unwrap(),
        (Err("cannot divide 1 by 0".to_string()),)
    );
    let new = instance
        .get_typed_func::<(u32,), (ResourceAny,)>(&store, "weft:test/types#[constructor]counter")
        .unwrap();
    let inc = instance
        .get_typed_func::<(ResourceAny, u32), (u32,)>(&store, "weft:test/types#[method]counter.inc")
        .unwrap();
    let (c,) = new.call(&mut store, (40,)).unwrap();
    assert_eq!(inc.call(&mut store, (c, 2)).unwrap(), (42,));
    c.resource_drop(&mut store).unwrap();

    // Wrong Rust types are refused when the typed function is made.
    let err = instance
        .get_typed_func::<(i32, i64), (Result<i64, String>,)>(&store, "weft:test/types#divide")
        .unwrap_err();
    assert!(err.to_string().contains("type mismatch"), "{err}");
    let err = instance
        .get_typed_func::<(i64, i64), (Result<i64, u32>,)>(&store, "weft:test/types#divide")
        .unwrap_err();
    assert!(err.to_string().contains("type mismatch"), "{err}");
}

#[test]
fn a_host_function_of_the_wrong_signature_does_not_link() {
    let engine = Engine::default();
    let component =
        Component::from_file(&engine, program("resources/resources-guest.wasm")).unwrap();
    let mut linker = Linker::<Host>::new(&engine);
    let mut log = linker.instance("weft:test/host-log").unwrap();
    log.resource("logger", ResourceType::host::<Logger>(), |_, _| Ok(()))
        .unwrap();
    // `count` returns a u32, not a string.
    log.func_wrap("[method]logger.count", |_, (_,): (Resource<Logger>,)| {
        Ok((String::new(),))
    })
    .unwrap();
    linker.define_unknown_imports_as_traps(&component).unwrap();
    let mut store = Store::new(&engine, Host::default());
    let err = linker.instantiate(&mut store, &component).unwrap_err();
    assert!(
        err.to_string()
            .contains("component import `weft:test/host-log#[method]logger.count`"),
        "{err}"
    );
}

/// The same world through `bindgen!`: the host implements the generated
/// `weft:test/host-log` traits on `Host` (its `logger` mapped to `Logger`
/// by `with`, so the `ResourceTable` hands out the generated handles), and
/// the exports are called through the generated `Test`.
mod bindings {
    weft_component::bindgen!({
        world: "test",
        path: "../../../shared/programs/components/resources/wit",
        with: { "weft:test/host-log/logger": crate::Logger },
    });
}

impl bindings::weft::test::host_log::HostLogger for Host {
    fn new(&mut self, prefix: String) -> weft::Result<Resource<Logger>> {
        self.table
            .push(Logger {
                prefix,
                messages: Vec::new(),
            })
            .map_err(Error::host)
    }

    fn log(&mut self, self_: Resource<Logger>, msg: String) -> weft::Result<()> {
        let l = self.table.get_mut(&self_).map_err(Error::host)?;
        l.messages.push(msg);
        Ok(())
    }

    fn count(&mut self, self_: Resource<Logger>) -> weft::Result<u32> {
        let l = self.table.get(&self_).map_err(Error::host)?;
        Ok(l.messages.len() as u32)
    }

    fn drop(&mut self, rep: Resource<Logger>) -> weft::Result<()> {
        self.table.delete(rep).map_err(Error::host)?;
        self.dropped += 1;
        Ok(())
    }
}

impl bindings::weft::test::host_log::Host for Host {
    fn make_default(&mut self) -> weft::Result<Resource<Logger>> {
        bindings::weft::test::host_log::HostLogger::new(self, "default".into())
    }

    fn total(&mut self, l: Resource<Logger>) -> weft::Result<u32> {
        self.table.get(&l).map_err(Error::host)?;
        let n: usize = self.table.iter::<Logger>().map(|l| l.messages.len()).sum();
        Ok(n as u32)
    }
}

#[test]
fn generated_bindings_run_the_same_program() {
    use bindings::exports::weft::test::types::{Color, Perms, Point, Shape};

    let engine = Engine::default();
    let component =
        Component::from_file(&engine, program("resources/resources-guest.wasm")).unwrap();
    let mut linker = Linker::<Host>::new(&engine);
    bindings::Test::add_to_linker(&mut linker, |h: &mut Host| h).unwrap();
    linker.define_unknown_imports_as_traps(&component).unwrap();
    let mut store = Store::new(&engine, Host::default());
    let test = bindings::Test::instantiate(&mut store, &component, &linker).unwrap();

    assert_eq!(test.call_run(&mut store).unwrap(), 321);
    assert!(store.data().table.is_empty(), "no logger left in the table");
    assert_eq!(store.data().dropped, 2, "each logger's destructor ran once");

    let types = test.weft_test_types();
    assert_eq!(
        types
            .call_echo_list(&mut store, vec!["a".into(), "bc".into()])
            .unwrap(),
        ["BC", "A"]
    );
    for (shape, want) in [
        (Shape::Circle(2.0), 12.0),
        (Shape::Rect(Point { x: 3, y: 4 }), 12.0),
        (Shape::Empty, 0.0),
    ] {
        assert_eq!(types.call_area(&mut store, shape).unwrap(), want);
    }
    assert_eq!(
        types
            .call_classify(&mut store, Color::Green, Perms::READ | Perms::WRITE)
            .unwrap(),
        ("green:3".to_string(), Some(3))
    );
    assert_eq!(
        types
            .call_classify(&mut store, Color::Red, Perms::EXEC)
            .unwrap(),
        ("red:4".to_string(), None)
    );
    assert_eq!(types.call_divide(&mut store, 7, 2).unwrap(), Ok(3));
    assert_eq!(
        types.call_divide(&mut store, 1, 0).unwrap(),
        Err("cannot divide 1 by 0".to_string())
    );

    let counter = types.counter();
    let live = |store: &mut Store<Host>| types.call_live_counters(store).unwrap();
    let a = counter.call_constructor(&mut store, 5).unwrap();
    assert!(a.owned() && !a.ty().is_host());
    assert_eq!(counter.call_inc(&mut store, a, 2).unwrap(), 7);
    assert_eq!(counter.call_get(&mut store, a).unwrap(), 7);
    let b = counter.call_constructor(&mut store, 10).unwrap();
    assert_eq!(live(&mut store), 2);
    let c = counter.call_merge(&mut store, a, b).unwrap();
    assert_eq!(
        live(&mut store),
        2,
        "b was consumed and destroyed, c was made"
    );
    assert_eq!(counter.call_get(&mut store, c).unwrap(), 17);
    assert_eq!(
        types.call_sum_counters(&mut store, vec![a, c, a]).unwrap(),
        31
    );
    c.resource_drop(&mut store).unwrap();
    assert_eq!(
        live(&mut store),
        1,
        "dropping an own handle from the host ran the guest destructor"
    );
    a.resource_drop(&mut store).unwrap();
    assert_eq!(live(&mut store), 0);
}
