;; Functions that trap, named in the name section for the backtrace (tests/cli.rs).
(module $traps
  (func $crash (export "crash") unreachable)
  (func $caller (export "caller") (call $crash))
  (func $divide (export "divide") (param i32 i32) (result i32)
    (i32.div_u (local.get 0) (local.get 1)))
  (memory 1)
  (func $load_oob (export "load_oob") (param i32) (result i32)
    (i32.load (local.get 0))))
