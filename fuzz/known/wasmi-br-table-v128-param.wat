;; wasmi 2.0.0 returns (1, 20) from `f 5`; weft returns (10, 20), as the
;; specification says: br_table's default target $b1 receives the two
;; values on top of the stack. It goes wrong only when a v128 sits below
;; the values (here $b0's parameter); without it wasmi agrees. Found by the
;; `differential` target's branch-moves half (session 3, within 40 inputs).
(module
  (func (export "f") (param i32) (result i32 i32)
    (block $b1 (result i32 i32)
      i32.const 1
      i32.const 2
      (loop $lp (param i32 i32) (result i32 i32)
        drop drop
        v128.const i64x2 0 0
        (block $b0 (param v128) (result i32 i32)
          i32.const 10
          i32.const 20
          local.get 0 br_table $b0 $lp $b1)))))
