//! The derives and `flags!`: values round-trip through `Lower` and `Lift`
//! with their WIT names, and `typecheck` and `lift` refuse what does not
//! match with messages that name the difference.

use weft::{AsContextMut, Engine, Store};
use weft_component::{ComponentType, Lift, Lower, Resource, Type, Val, ValCx};

#[derive(ComponentType, Lift, Lower, Debug, PartialEq, Clone)]
#[component(record)]
struct Point {
    x: i32,
    y_coord: i32,
    #[component(name = "label")]
    name: String,
    r#type: Option<u8>,
}

#[derive(ComponentType, Lift, Lower, Debug, PartialEq)]
#[component(variant)]
enum Shape {
    Circle(f64),
    BigRect(Point),
    #[component(name = "nothing")]
    Empty,
}

#[derive(ComponentType, Lift, Lower, Debug, PartialEq, Clone, Copy)]
#[component(enum)]
enum Color {
    Red,
    LeafGreen,
}

#[derive(ComponentType, Lift, Lower, Debug, PartialEq)]
#[component(record)]
struct Pair<T> {
    left: T,
    right: T,
}

/// A host resource in a record.
struct File;

#[derive(ComponentType, Lift, Lower, Debug, PartialEq)]
#[component(record)]
struct Opened {
    file: Resource<File>,
    perms: Perms,
}

weft_component::flags! {
    Perms {
        #[component(name = "read")]
        const READ;
        const WRITE;
        const NO_EXEC;
    }
}

fn point_type() -> Type {
    Type::Record(vec![
        ("x".into(), Type::S32),
        ("y-coord".into(), Type::S32),
        ("label".into(), Type::String),
        ("type".into(), Type::Option(Box::new(Type::U8))),
    ])
}

fn perms_type() -> Type {
    Type::Flags(vec!["read".into(), "write".into(), "no-exec".into()])
}

/// Lowers `v`, checks the component value, and lifts it back.
fn round_trip<V: Lower + Lift + PartialEq + std::fmt::Debug>(v: V, want: Val) {
    let mut store = Store::new(&Engine::default(), ());
    let mut cx = store.as_context_mut();
    let mut cx = ValCx::new(&mut cx);
    let val = v.lower(&mut cx).unwrap();
    assert_eq!(val, want);
    assert_eq!(V::lift(val, &mut cx).unwrap(), v);
}

fn point() -> Point {
    Point {
        x: 3,
        y_coord: 4,
        name: "p".into(),
        r#type: Some(1),
    }
}

fn point_val() -> Val {
    Val::Record(vec![
        ("x".into(), Val::S32(3)),
        ("y-coord".into(), Val::S32(4)),
        ("label".into(), Val::String("p".into())),
        ("type".into(), Val::Option(Some(Box::new(Val::U8(1))))),
    ])
}

#[test]
fn records_variants_enums_and_flags_round_trip() {
    round_trip(point(), point_val());
    round_trip(
        Shape::Circle(2.0),
        Val::Variant("circle".into(), Some(Box::new(Val::Float64(2.0)))),
    );
    round_trip(
        Shape::BigRect(point()),
        Val::Variant("big-rect".into(), Some(Box::new(point_val()))),
    );
    round_trip(Shape::Empty, Val::Variant("nothing".into(), None));
    round_trip(Color::LeafGreen, Val::Enum("leaf-green".into()));
    round_trip(
        Pair {
            left: 1u8,
            right: 2,
        },
        Val::Record(vec![
            ("left".into(), Val::U8(1)),
            ("right".into(), Val::U8(2)),
        ]),
    );
    round_trip(
        Perms::READ | Perms::NO_EXEC,
        Val::Flags(vec!["read".into(), "no-exec".into()]),
    );
    round_trip(Perms::empty(), Val::Flags(Vec::new()));
}

#[test]
fn derived_types_check_against_their_component_types() {
    Point::typecheck(&point_type()).unwrap();
    let shape = Type::Variant(vec![
        ("circle".into(), Some(Type::Float64)),
        ("big-rect".into(), Some(point_type())),
        ("nothing".into(), None),
    ]);
    Shape::typecheck(&shape).unwrap();
    Color::typecheck(&Type::Enum(vec!["red".into(), "leaf-green".into()])).unwrap();
    Pair::<String>::typecheck(&Type::Record(vec![
        ("left".into(), Type::String),
        ("right".into(), Type::String),
    ]))
    .unwrap();
    Perms::typecheck(&perms_type()).unwrap();
    let file = weft_component::ResourceType::host::<File>();
    Opened::typecheck(&Type::Record(vec![
        ("file".into(), Type::Own(file)),
        ("perms".into(), perms_type()),
    ]))
    .unwrap();
    // Through the standard types' impls too.
    Vec::<Option<Shape>>::typecheck(&Type::List(Box::new(Type::Option(Box::new(shape))))).unwrap();
}

fn message(r: weft::Result<()>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn typecheck_failures_name_the_difference() {
    // Another kind.
    let err = message(Point::typecheck(&Type::S32));
    assert!(
        err.starts_with("type mismatch: `")
            && err.ends_with("Point` does not stand for component type S32"),
        "{err}"
    );
    // Other names, or another count.
    let err = message(Point::typecheck(&Type::Record(vec![
        ("x".into(), Type::S32),
        ("y".into(), Type::S32),
    ])));
    assert_eq!(
        err,
        "type mismatch: record `Point` has fields `x, y-coord, label, type`, and the component's has `x, y`"
    );
    // A field of another type: the field is named, then the inner error.
    let mut ty = point_type();
    let Type::Record(fields) = &mut ty else {
        unreachable!()
    };
    fields[2].1 = Type::U32;
    assert_eq!(
        message(Point::typecheck(&ty)),
        "record `Point`, field `label`: type mismatch: `str` does not stand for component type U32"
    );
    // A payload on one side only.
    let err = message(Shape::typecheck(&Type::Variant(vec![
        ("circle".into(), Some(Type::Float64)),
        ("big-rect".into(), Some(point_type())),
        ("nothing".into(), Some(Type::U8)),
    ])));
    assert_eq!(
        err,
        "type mismatch: variant `Shape`, case `nothing` has no payload, and the component's has one"
    );
    let err = message(Shape::typecheck(&Type::Variant(vec![
        ("circle".into(), None),
        ("big-rect".into(), Some(point_type())),
        ("nothing".into(), None),
    ])));
    assert_eq!(
        err,
        "type mismatch: variant `Shape`, case `circle` has a payload, and the component's has none"
    );
    // Nested: the variant's case, then the record's field.
    let mut rect = point_type();
    let Type::Record(fields) = &mut rect else {
        unreachable!()
    };
    fields[0].1 = Type::S64;
    let err = message(Shape::typecheck(&Type::Variant(vec![
        ("circle".into(), Some(Type::Float64)),
        ("big-rect".into(), Some(rect)),
        ("nothing".into(), None),
    ])));
    assert_eq!(
        err,
        "variant `Shape`, case `big-rect`: record `Point`, field `x`: type mismatch: `i32` does not stand for component type S64"
    );
    assert_eq!(
        message(Color::typecheck(&Type::Enum(vec![
            "red".into(),
            "green".into()
        ]))),
        "type mismatch: enum `Color` has cases `red, leaf-green`, and the component's has `red, green`"
    );
    assert_eq!(
        message(Perms::typecheck(&Type::Flags(vec![
            "read".into(),
            "write".into()
        ]))),
        "type mismatch: flags `Perms` has `read, write, no-exec`, and the component's has `read, write`"
    );
}

#[test]
fn lifting_a_value_of_another_shape_fails() {
    let mut store = Store::new(&Engine::default(), ());
    let mut cx = store.as_context_mut();
    let mut cx = ValCx::new(&mut cx);
    let err = Point::lift(Val::Record(vec![("x".into(), Val::S32(1))]), &mut cx).unwrap_err();
    assert_eq!(
        err.to_string(),
        "type mismatch: a record with fields `x` is not a `Point`"
    );
    let err = Shape::lift(Val::Variant("square".into(), None), &mut cx).unwrap_err();
    assert!(err.to_string().contains("is not a"), "{err}");
    // A known case with a payload where it has none.
    let err = Shape::lift(
        Val::Variant("nothing".into(), Some(Box::new(Val::U8(1)))),
        &mut cx,
    )
    .unwrap_err();
    assert!(err.to_string().contains("is not a"), "{err}");
    assert!(Color::lift(Val::Enum("blue".into()), &mut cx).is_err());
    assert!(Color::lift(Val::U8(0), &mut cx).is_err());
    assert!(Perms::lift(Val::Flags(vec!["exec".into()]), &mut cx).is_err());
}

#[test]
fn flags_are_bit_sets_in_canonical_order() {
    let mut p = Perms::READ | Perms::WRITE;
    assert_eq!(p.bits(), 0b011);
    assert!(p.contains(Perms::READ) && !p.contains(Perms::NO_EXEC));
    p.insert(Perms::NO_EXEC);
    p.remove(Perms::READ);
    assert_eq!(p, Perms::WRITE | Perms::NO_EXEC);
    assert_eq!(!p, Perms::READ);
    assert_eq!(p & Perms::WRITE, Perms::WRITE);
    assert_eq!(p ^ Perms::all(), Perms::READ);
    assert_eq!(p - Perms::WRITE, Perms::NO_EXEC);
    let mut q = Perms::default();
    assert!(q.is_empty());
    q |= Perms::READ;
    q &= Perms::all();
    q ^= Perms::WRITE;
    q -= Perms::READ;
    assert_eq!(q, Perms::WRITE);
    assert_eq!(Perms::from_bits(0b100), Some(Perms::NO_EXEC));
    assert_eq!(Perms::from_bits(0b1000), None);
    assert_eq!(Perms::from_bits_truncate(0b1111), Perms::all());
    assert_eq!(
        format!("{:?}", Perms::all()),
        "Perms(READ | WRITE | NO_EXEC)"
    );
    assert_eq!(format!("{:?}", Perms::empty()), "Perms()");
}
