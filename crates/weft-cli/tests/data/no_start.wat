;; A module without `_start`: `weft run` only instantiates it (tests/cli.rs).
(module
  (func $boom (export "boom") unreachable))
