;; Malformed text: an unknown instruction on line 3 (tests/cli.rs).
(module
  (func (export "f") (result i32) i32.konst 1))
