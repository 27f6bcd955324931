;; A tight counting loop: a local counter, an add and a br_if per iteration,
;; so it measures raw dispatch of the simplest instructions.
(module
  (func (export "run") (param $n i32) (result i64)
    (local $i i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $i) (local.get $n)))))
    (i64.extend_i32_u (local.get $i))))
