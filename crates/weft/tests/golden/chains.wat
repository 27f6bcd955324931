;; Two operators chained through acc run as one `bin2`: the second takes
;; the first's result as its first operand (or, if it commutes, its
;; second), and the first's result is still written to its slot.
(module
  ;; A cipher quarter-round step: add, xor, rotate.
  (func (export "arx") (param i32 i32 i32) (result i32)
    (i32.rotl (i32.xor (i32.add (local.get 0) (local.get 1)) (local.get 2))
              (i32.const 7)))
  ;; Multiply-add, the product on the right of the add.
  (func (export "madd") (param i64 i64 i64) (result i64)
    (i64.add (local.get 2) (i64.mul (local.get 0) (local.get 1))))
  ;; A bit field, the first result kept in a local.
  (func (export "field") (param i32) (result i32) (local i32)
    (i32.and (local.tee 1 (i32.shr_u (local.get 0) (i32.const 4)))
             (i32.const 15))
    (local.get 1)
    (i32.add))
  ;; A range test kept as a value chains; one a branch tests fuses with
  ;; the branch instead.
  (func (export "range") (param i32 i32) (result i32)
    (i32.lt_u (i32.add (local.get 0) (i32.const -97)) (i32.const 26))
    (br_if 0 (i32.lt_u (i32.add (local.get 1) (i32.const -48)) (i32.const 10)))
    (local.get 1)
    (i32.add))
  ;; Not chained: a subtraction with the first result on its right.
  (func (export "unchained") (param i32 i32) (result i32)
    (i32.sub (local.get 1) (i32.xor (local.get 0) (local.get 1)))))
