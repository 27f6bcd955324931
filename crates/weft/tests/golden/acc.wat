;; Each result feeds the next instruction: the handlers read it from acc
;; (operators that do not chain into one `bin2`, see chains.wat).
(module
  (func (export "f") (param i32 i32 i32) (result i32)
    (i32.mul (i32.or (i32.sub (local.get 0) (local.get 1)) (local.get 2))
             (i32.sub (local.get 2) (local.get 0)))))
