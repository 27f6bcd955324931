;; Code for the resource-limit options: runs forever, recurses without end,
;; or grows memory.
(module $limits
  (memory 1)
  (func $spin (export "spin") (loop $l (br $l)))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (i32.const 1) (call $deep (local.get 0))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
