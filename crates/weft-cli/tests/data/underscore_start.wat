;; A module exporting `_start`, which `weft run` calls by default (tests/cli.rs).
(module
  (func $_start (export "_start") (result i32) (i32.const 42)))
