;; wasmi 2.0.0 traps "integer divide by zero" on `t` (weft, and wabt's
;; wasm-interp, return 5): the divisor is `select(1, l30, l30 == 0)`, never
;; zero; `l30` is copied from a local set on both paths of a preceding
;; block. Without the block (`u`) wasmi agrees. Found by the `differential`
;; target (session 2, after ~30k inputs).
(module
  (memory 1)
  (func (export "t") (result i32) (local $l29 i32) (local $l30 i32)
    i32.const 5
    block
      block
        memory.size
        i32.eqz
        br_if 0
        i32.const 0
        local.set $l29
        br 1
      end
      i32.const 0
      local.set $l29
    end
    local.get $l29
    local.set $l30
    i32.const 1
    local.get $l30
    local.get $l30
    i32.eqz
    select
    i32.div_u)
  (func (export "u") (result i32) (local $l29 i32) (local $l30 i32)
    i32.const 5
    local.get $l29
    local.set $l30
    i32.const 1
    local.get $l30
    local.get $l30
    i32.eqz
    select
    i32.div_u))
