;; Honest counting (tests/cli.rs): components are validated (line 7 passes),
;; their instantiation skipped, not passed; an unnamed definition is instantiated;
;; null exnrefs match by hierarchy; uses of a module that failed fail with its
;; cause (line 15); uses of a component definition are skipped too (lines 17-19).
(component)
(assert_return (invoke "nothing"))
(assert_invalid (component (core func (canon lower (func 0)))) "unknown function")
(module definition (func (export "f") (result i32) i32.const 7))
(module instance)
(assert_return (invoke "f") (i32.const 7))
(module (func (export "g") (result exnref) ref.null exn))
(assert_return (invoke "g") (ref.null exn))
(assert_return (invoke "g") (ref.null))
(assert_return (invoke "g") (ref.null func))
(module (func (export "h") (result i32) i64.const 1))
(assert_return (invoke "h") (i32.const 1))
(component definition $C)
(component instance $i $C)
(assert_return (invoke "x"))
