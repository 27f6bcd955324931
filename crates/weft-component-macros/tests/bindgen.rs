//! `bindgen!` on WIT shapes the resources program does not have: a
//! versioned package, world-level imported functions, an interface both
//! imported and exported, `use` between interfaces, anonymous interfaces,
//! keywords as names, a marker type for a host resource; and a small
//! component written in the text format, run through the bindings.

use weft::{Engine, Error, Store};
use weft_component::{Component, ComponentType, Linker, Resource, Type};

/// Compiled and type-checked only: no component implements it.
mod shapes {
    weft_component::bindgen!({
        world: "shapes",
        inline: "
            package example:shapes@0.3.1;

            interface math {
                /// Two numbers.
                record pair { left: u32, right: u32 }
                double: func(x: u32) -> u32;
            }

            interface geom {
                record pair { left: u32, right: u32 }
            }

            interface draw {
                use geom.{pair};
                variant shape { square(u32), pair(pair), none }
                flags opts { fast, no-cache }
                enum mode { on, off }
                type id = u64;
                record entry { %type: string, ids: list<id> }
                resource canvas {
                    constructor(name: string);
                    draw: func(s: shape) -> id;
                    merge: static func(a: canvas, b: borrow<canvas>) -> canvas;
                }
                paint: func(c: borrow<canvas>, o: opts, m: mode) -> result<id, string>;
                entries: func() -> list<entry>;
            }

            world shapes {
                import math;
                import draw;
                import log: func(msg: string, %type: u8);
                import clock: interface {
                    now: func() -> tuple<u64, option<u32>>;
                }
                export math;
                export tally: interface {
                    use draw.{canvas, shape};
                    total: func(xs: list<tuple<u32, option<string>>>) -> u64;
                    paint-all: func(c: borrow<canvas>, s: list<shape>);
                }
                export run: func() -> result;
            }
        ",
    });
}

use shapes::example::shapes::{draw, geom, math};

#[derive(Default)]
struct Painter {
    log: Vec<String>,
}

impl draw::HostCanvas for Painter {
    fn new(&mut self, name: String) -> weft::Result<Resource<draw::Canvas>> {
        self.log.push(name);
        Ok(Resource::new_own(1))
    }

    fn draw(&mut self, self_: Resource<draw::Canvas>, s: draw::Shape) -> weft::Result<draw::Id> {
        Ok(u64::from(self_.rep()) + matches!(s, draw::Shape::None) as u64)
    }

    fn merge(
        &mut self,
        a: Resource<draw::Canvas>,
        _b: Resource<draw::Canvas>,
    ) -> weft::Result<Resource<draw::Canvas>> {
        Ok(a)
    }

    fn drop(&mut self, _rep: Resource<draw::Canvas>) -> weft::Result<()> {
        Ok(())
    }
}

impl draw::Host for Painter {
    fn paint(
        &mut self,
        _c: Resource<draw::Canvas>,
        o: draw::Opts,
        m: draw::Mode,
    ) -> weft::Result<Result<draw::Id, String>> {
        Ok(match m {
            draw::Mode::On => Ok(u64::from(o.bits())),
            draw::Mode::Off => Err("off".into()),
        })
    }

    fn entries(&mut self) -> weft::Result<Vec<draw::Entry>> {
        Ok(vec![draw::Entry {
            type_: "t".into(),
            ids: vec![1],
        }])
    }
}

impl math::Host for Painter {
    fn double(&mut self, x: u32) -> weft::Result<u32> {
        Ok(x * 2)
    }
}

impl geom::Host for Painter {}

impl shapes::clock::Host for Painter {
    fn now(&mut self) -> weft::Result<(u64, Option<u32>)> {
        Ok((0, None))
    }
}

impl shapes::ShapesImports for Painter {
    fn log(&mut self, msg: String, type_: u8) -> weft::Result<()> {
        self.log.push(format!("{type_}: {msg}"));
        Ok(())
    }
}

#[test]
fn generated_types_stand_for_their_wit_types() {
    let pair = Type::Record(vec![
        ("left".into(), Type::U32),
        ("right".into(), Type::U32),
    ]);
    math::Pair::typecheck(&pair).unwrap();
    // The exported copy of `math` has its own types.
    shapes::exports::example::shapes::math::Pair::typecheck(&pair).unwrap();
    let shape = Type::Variant(vec![
        ("square".into(), Some(Type::U32)),
        ("pair".into(), Some(pair)),
        ("none".into(), None),
    ]);
    draw::Shape::typecheck(&shape).unwrap();
    assert_eq!(draw::Opts::NAMES, ["fast", "no-cache"]);
    assert_eq!((draw::Opts::FAST | draw::Opts::NO_CACHE).bits(), 3);
    draw::Mode::typecheck(&Type::Enum(vec!["on".into(), "off".into()])).unwrap();
    let id: draw::Id = 7u64;
    draw::Entry::typecheck(&Type::Record(vec![
        ("type".into(), Type::String),
        ("ids".into(), Type::List(Box::new(Type::U64))),
    ]))
    .unwrap();
    // `use geom.{pair}` is the same type, not a copy.
    let p: draw::Pair = geom::Pair { left: 1, right: 2 };
    assert_eq!(draw::Shape::Pair(p.clone()), draw::Shape::Pair(p));
    assert_eq!(id, 7);
    // A host resource without `with` is a marker type.
    assert_eq!(
        Resource::<draw::Canvas>::ty(),
        weft_component::ResourceType::host::<draw::Canvas>()
    );
}

#[test]
fn every_import_is_added_to_a_linker() {
    let engine = Engine::default();
    let mut linker = Linker::<Painter>::new(&engine);
    shapes::Shapes::add_to_linker(&mut linker, |p: &mut Painter| p).unwrap();
    // Adding twice is refused: the names were defined the first time.
    let err = shapes::Shapes::add_to_linker(&mut linker, |p: &mut Painter| p).unwrap_err();
    assert!(err.to_string().contains("already defined"), "{err}");
}

/// Bindings of the world the component below implements.
mod calc {
    weft_component::bindgen!({
        inline: "
            package example:calc@1.2.0;
            interface math {
                double: func(x: u32) -> u32;
            }
            world calc {
                import math;
                import bump: func(by: u32) -> u32;
                export quad: func(x: u32) -> u32;
                export ops: interface {
                    halve: func(x: u32) -> u32;
                }
            }
        ",
    });
}

/// The same world with `quad` taking a u64: it does not match.
mod wrong {
    weft_component::bindgen!({
        inline: "
            package example:calc@1.2.0;
            interface math {
                double: func(x: u32) -> u32;
            }
            world calc {
                import math;
                import bump: func(by: u32) -> u32;
                export quad: func(x: u64) -> u32;
            }
        ",
    });
}

/// A component of world `calc`: `quad(x)` is `bump(double(double(x)))`.
const CALC: &str = r#"
(component
  (import "example:calc/math@1.2.0" (instance $math
    (export "double" (func (param "x" u32) (result u32)))))
  (import "bump" (func $bump (param "by" u32) (result u32)))
  (core func $double_core (canon lower (func $math "double")))
  (core func $bump_core (canon lower (func $bump)))
  (core module $m
    (import "host" "double" (func $double (param i32) (result i32)))
    (import "host" "bump" (func $bump (param i32) (result i32)))
    (func (export "quad") (param i32) (result i32)
      local.get 0
      call $double
      call $double
      call $bump)
    (func (export "halve") (param i32) (result i32)
      local.get 0
      i32.const 1
      i32.shr_u))
  (core instance $host
    (export "double" (func $double_core))
    (export "bump" (func $bump_core)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func (export "quad") (param "x" u32) (result u32)
    (canon lift (core func $i "quad")))
  (func $halve (param "x" u32) (result u32)
    (canon lift (core func $i "halve")))
  (instance $ops (export "halve" (func $halve)))
  (export "ops" (instance $ops))
)
"#;

#[derive(Default)]
struct Calc {
    bumps: u32,
}

impl calc::example::calc::math::Host for Calc {
    fn double(&mut self, x: u32) -> weft::Result<u32> {
        x.checked_mul(2)
            .ok_or_else(|| Error::host("double overflowed"))
    }
}

impl calc::CalcImports for Calc {
    fn bump(&mut self, by: u32) -> weft::Result<u32> {
        self.bumps += 1;
        Ok(by + 100)
    }
}

impl wrong::example::calc::math::Host for Calc {
    fn double(&mut self, x: u32) -> weft::Result<u32> {
        Ok(x)
    }
}

impl wrong::CalcImports for Calc {
    fn bump(&mut self, by: u32) -> weft::Result<u32> {
        Ok(by)
    }
}

#[test]
fn a_component_runs_through_the_bindings() {
    let engine = Engine::default();
    let component = Component::new(&engine, CALC).unwrap();
    let mut linker = Linker::<Calc>::new(&engine);
    calc::Calc::add_to_linker(&mut linker, |c: &mut Calc| c).unwrap();
    let mut store = Store::new(&engine, Calc::default());
    let bindings = calc::Calc::instantiate(&mut store, &component, &linker).unwrap();
    assert_eq!(bindings.call_quad(&mut store, 3).unwrap(), 112);
    assert_eq!(store.data().bumps, 1, "the world-level import was called");
    assert_eq!(bindings.ops().call_halve(&mut store, 9).unwrap(), 4);
    // A host error traps the guest and reaches the caller.
    let err = bindings.call_quad(&mut store, u32::MAX).unwrap_err();
    assert!(err.to_string().contains("double overflowed"), "{err}");
}

#[test]
fn a_component_of_another_signature_is_refused_at_instantiation() {
    let engine = Engine::default();
    let component = Component::new(&engine, CALC).unwrap();
    let mut linker = Linker::<Calc>::new(&engine);
    wrong::Calc::add_to_linker(&mut linker, |c: &mut Calc| c).unwrap();
    let mut store = Store::new(&engine, Calc::default());
    let err = wrong::Calc::instantiate(&mut store, &component, &linker).unwrap_err();
    assert!(err.to_string().contains("type mismatch"), "{err}");
}
