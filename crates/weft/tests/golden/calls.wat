;; Direct calls carry their callee's code address once the module is
;; complete; arguments are moved to the callee's frame base; a result set to
;; a local retargets the instruction that computed it.
(module
  (import "env" "g" (func $g (param i32) (result i32)))
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func (export "f") (param i32) (result i32) (local i32)
    (local.set 1 (i32.add (local.get 0) (i32.const 1)))
    (call $sq (local.get 1))
    (call $g)
    (return_call $sq)))
