;; An address add folds into the load and store using it; a constant stored
;; becomes an immediate; a load's result feeds the add in acc. A scaled
;; index (`base + (i << k)`) folds in too, unless the shifted value is also
;; kept in a local; constant addresses fold into one constant.
(module
  (memory 1)
  (func (export "f") (param i32 i32)
    (i32.store offset=4 (i32.add (local.get 0) (local.get 1))
      (i32.add (i32.load (i32.add (local.get 0) (i32.const 8))) (local.get 1)))
    (i64.store (local.get 1) (i64.const -3)))
  (func (export "scaled") (param i32 i32) (result i32)
    (local i32)
    (i32.store (i32.add (local.get 0) (i32.shl (local.get 1) (i32.const 2))) (local.get 1))
    (i32.load offset=4 (i32.add (local.tee 2 (i32.shl (local.get 1) (i32.const 2))) (local.get 0))))
  (func (export "at") (result i32)
    (i32.store offset=8 (i32.const 16) (i32.const 7))
    (i32.load offset=4 (i32.const 20))))
