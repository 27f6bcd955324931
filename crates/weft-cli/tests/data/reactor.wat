;; A WASI reactor: `weft run --invoke` calls `_initialize` first (tests/cli.rs).
(module
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $ready (i32.const 1)))
  (func (export "ready") (result i32) (global.get $ready)))
