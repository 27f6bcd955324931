;; Honest counting (tests/cli.rs): components run (lines 5-6 pass); an
;; unnamed definition is instantiated; null exnrefs match by hierarchy; uses
;; of a module that failed fail with its cause (line 16); a component using
;; what weft leaves out (an async lift) is skipped, and so are its uses (17-19).
(component (core module $m (func (export "f") (result i32) i32.const 3)) (core instance $i (instantiate $m)) (func (export "three") (result u32) (canon lift (core func $i "f"))))
(assert_return (invoke "three") (u32.const 3))
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
(component definition $C (core module $m (func (export "f"))) (core instance $i (instantiate $m)) (func (export "x") (canon lift (core func $i "f") async)))
(component instance $i $C)
(assert_return (invoke "x"))
