;; A comparison feeding br_if becomes one compare-and-branch; so does eqz.
(module
  (func (export "f") (param i32 i32) (result i32)
    (block
      (br_if 0 (i32.lt_s (local.get 0) (local.get 1)))
      (br_if 0 (i32.eqz (local.get 0)))
      (br_if 0 (i32.gt_u (local.get 1) (i32.const 7))))
    (local.get 0)))
