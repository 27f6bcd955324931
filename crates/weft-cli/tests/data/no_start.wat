;; A module without `_start`: `weft run` says there is nothing to run (tests/cli.rs).
(module
  (func $boom (export "boom") unreachable))
