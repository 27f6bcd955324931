;; A module with an import `weft run` cannot satisfy (tests/cli.rs).
(module
  (import "env" "clock" (func $clock (result i64)))
  (func (export "now") (result i64) (call $clock)))
