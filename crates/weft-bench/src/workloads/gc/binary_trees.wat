;; The Benchmarks Game's binary-trees in Wasm GC, as a WASI command: a
;; stretch tree of depth 19, a long-lived tree of depth 18, then for each
;; depth 4, 6, .., 18 as many short-lived trees as 2^(18 - depth + 4), each
;; built bottom-up and checked (counted) node by node. Prints the sum of
;; every check, and exits 0.
(module
  (type $node (struct (field $l (ref null $node)) (field $r (ref null $node))))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $max i32 (i32.const 18))

  (func $make (param $d i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $d))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else (struct.new $node
        (call $make (i32.sub (local.get $d) (i32.const 1)))
        (call $make (i32.sub (local.get $d) (i32.const 1)))))))

  (func $check (param $t (ref $node)) (result i64)
    (local $l (ref null $node))
    (local.set $l (struct.get $node $l (local.get $t)))
    (if (result i64) (ref.is_null (local.get $l))
      (then (i64.const 1))
      (else (i64.add (i64.const 1)
        (i64.add (call $check (ref.as_non_null (local.get $l)))
                 (call $check (ref.as_non_null (struct.get $node $r (local.get $t)))))))))

  ;; Writes `v` in decimal and a newline to stdout.
  (func $print (param $v i64)
    (local $p i32)
    (local.set $p (i32.const 100))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $v) (i64.const 0))))
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (i32.sub (i32.const 101) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 200))))

  (func (export "_start")
    (local $sum i64) (local $long (ref null $node)) (local $d i32) (local $n i32) (local $i i32)
    (local.set $sum (call $check (call $make (i32.add (global.get $max) (i32.const 1)))))
    (local.set $long (call $make (global.get $max)))
    (local.set $d (i32.const 4))
    (loop $depths
      (local.set $n (i32.shl (i32.const 1)
        (i32.add (i32.sub (global.get $max) (local.get $d)) (i32.const 4))))
      (local.set $i (i32.const 0))
      (loop $trees
        (local.set $sum (i64.add (local.get $sum) (call $check (call $make (local.get $d)))))
        (br_if $trees (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
      (br_if $depths (i32.le_u (local.tee $d (i32.add (local.get $d) (i32.const 2))) (global.get $max))))
    (local.set $sum (i64.add (local.get $sum) (call $check (ref.as_non_null (local.get $long)))))
    (call $print (local.get $sum))))
