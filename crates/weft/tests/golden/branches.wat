;; br_table whose targets need their values moved; select; a 64-bit
;; constant; a return of two values in swapped order.
(module
  (func (export "f") (param i32 i64 i64) (result i64 i64)
    (block $a (result i64 i64)
      (block $b (result i64)
        (local.get 1)
        (local.get 2)
        (local.get 0)
        (br_table $a $a 1))
      (select (local.get 2) (local.get 1) (local.get 0)))
    (drop)
    (drop)
    (i64.add (local.get 2) (i64.const 0x123456789))
    (local.get 1)
    (return)))
