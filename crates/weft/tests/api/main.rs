//! Integration tests of weft's embedding API: compiling and validating
//! modules, stores and host data, host functions and re-entrancy, typed and
//! dynamic calls, cross-store misuse, linking, traps with backtraces, stack
//! limits, the memory/table/global handles, externrefs, one long-running
//! loop proving the threaded dispatch keeps the host stack flat, and the
//! controls on untrusted code (fuel, epochs, resource limiters), the
//! executor's accumulator register, and regressions found by fuzzing. One
//! module per area; the shared helpers are here.

mod acc;
mod branch_moves;
mod calls;
mod chains;
mod exceptions;
mod fused_branches;
mod fuzz_regressions;
mod gc;
mod handles;
mod host;
mod immediates;
mod ir;
mod limits;
mod linking;
mod memory;
mod modules;
mod traps;

use std::panic::{AssertUnwindSafe, catch_unwind};
use weft::{
    Caller, CompilationMode, Config, Engine, Error, Extern, ExternRef, ExternType, Func, FuncType,
    Global, GlobalType, Instance, LinkError, Linker, Memory, MemoryType, Module, Mutability, Ref,
    RefType, RootScope, Store, Table, TableType, Trap, TrapKind, TypedFunc, Val, ValType,
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Compiles `wat` and instantiates it with an empty linker.
fn instantiate<T: 'static>(store: &mut Store<T>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).expect("module compiles");
    Linker::new(store.engine())
        .instantiate(store, &module)
        .expect("module instantiates")
}

/// The trap inside `e`, or a panic naming what the error was instead.
fn trap_of(e: &Error) -> &Trap {
    e.as_trap()
        .unwrap_or_else(|| panic!("expected a trap, got {e:?}"))
}

/// Calls the export `name` (no params, at most one result) expecting a trap.
fn trap_kind_of_call<T: 'static>(store: &mut Store<T>, inst: Instance, name: &str) -> TrapKind {
    let f = inst.get_func(&*store, name).expect("export exists");
    let n = f.ty(&*store).results().len();
    let mut out = vec![Val::I32(0); n];
    let err = f
        .call(&mut *store, &[], &mut out)
        .expect_err("call must trap");
    trap_of(&err).kind()
}

/// `(module (func (export "f") (result i32) i32.const 7))` in the binary format.
const SEVEN_BINARY: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type section: () -> i32
    0x03, 0x02, 0x01, 0x00, // function section
    0x07, 0x05, 0x01, 0x01, b'f', 0x00, 0x00, // export "f" func 0
    0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b, // code: i32.const 7 end
];

/// A module whose export `next` counts calls in a global.
const COUNTER_WAT: &str = r#"(module
    (global $n (mut i32) (i32.const 0))
    (func (export "next") (result i32)
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (global.get $n)))"#;

/// Offset of the `i32.const` opcode in [`SEVEN_BINARY`].
const SEVEN_CONST_OFFSET: usize = 31;

// ---------------------------------------------------------------------------
// Translation
// ---------------------------------------------------------------------------

/// Instruction fusion must never combine an instruction before a branch
/// target with one after it: a loop head in the middle of a fused
/// instruction made branches land on operand words (found running
/// sightglass's bz2 under WASI).
#[test]
fn fusion_never_crosses_a_branch_target() -> weft::Result<()> {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        r#"(module (memory 1)
            (func (export "count") (param $n i32) (result i32) (local $i i32) (local $k i32)
                ;; An add right before the loop, then a compare at its head.
                (local.set $i (i32.add (local.get $n) (i32.const 1)))
                (block $exit (loop $l
                    (br_if $exit (i32.ge_s (local.get $i) (i32.const 10)))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $l)))
                (local.get $k))
            (func (export "load_param") (param $p i32) (result i32)
                ;; An address add flowing into a loop as its parameter.
                (i32.store (i32.const 8) (i32.const 77))
                (i32.add (local.get $p) (i32.const 4))
                (loop (param i32) (result i32) (i32.load)))
            (func (export "sum") (param $p i32) (result i32) (local $s i32)
                (i32.store (i32.const 8) (i32.const 3))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (loop $l
                    (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
                    (br_if $l (i32.lt_u (local.get $s) (i32.const 9))))
                (local.get $s)))"#,
    );
    let count = inst.get_typed_func::<i32, i32>(&store, "count")?;
    assert_eq!(count.call(&mut store, 5)?, 4);
    assert_eq!(count.call(&mut store, 0)?, 9);
    let load_param = inst.get_typed_func::<i32, i32>(&store, "load_param")?;
    assert_eq!(load_param.call(&mut store, 4)?, 77);
    let sum = inst.get_typed_func::<i32, i32>(&store, "sum")?;
    assert_eq!(sum.call(&mut store, 4)?, 9);
    Ok(())
}
