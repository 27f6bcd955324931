;; wasmi 2.0.0 sets $g to 1 in `f`; weft sets 0, which is right: the
;; divisor is select(1, x, x == 0) = x = 0xffffffe0, and 1 / 0xffffffe0 = 0
;; (unsigned). The same division guard as known/wasmi-guarded-div.wat, here
;; giving a wrong value instead of a trap. Found by the `differential`
;; target (session 3, after ~63,700 inputs) in a wasm-smith module, reduced
;; with `wasm-tools shrink`.
(module
  (global $g (export "g") (mut i32) (i32.const 0))
  (func (export "f") (result i32) (local i32)
    i32.const -32
    local.set 0
    i32.const 1
    i32.const 1
    local.get 0
    local.get 0
    i32.eqz
    select
    i32.div_u
    global.set $g
    i32.const 0))
