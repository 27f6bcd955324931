;; An address add folds into the load and store using it; a constant stored
;; becomes an immediate; a load's result feeds the add in acc.
(module
  (memory 1)
  (func (export "f") (param i32 i32)
    (i32.store offset=4 (i32.add (local.get 0) (local.get 1))
      (i32.add (i32.load (i32.add (local.get 0) (i32.const 8))) (local.get 1)))
    (i64.store (local.get 1) (i64.const -3))))
