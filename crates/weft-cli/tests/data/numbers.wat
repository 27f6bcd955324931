;; Functions for argument parsing and result printing (tests/cli.rs).
(module
  (func (export "i32_id") (param i32) (result i32) (local.get 0))
  (func (export "i64_add") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1)))
  (func (export "f32_mul") (param f32 f32) (result f32)
    (f32.mul (local.get 0) (local.get 1)))
  (func (export "f32_id") (param f32) (result f32) (local.get 0))
  (func (export "f64_div") (param f64 f64) (result f64)
    (f64.div (local.get 0) (local.get 1)))
  (func (export "f64_id") (param f64) (result f64) (local.get 0))
  ;; Reverses its three parameters: three results, one per line.
  (func (export "reverse") (param i32 i64 f64) (result f64 i64 i32)
    (local.get 2) (local.get 1) (local.get 0))
  (func (export "nothing"))
  (memory (export "memory") 1))
