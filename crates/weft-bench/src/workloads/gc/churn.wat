;; 20 million short-lived two-object cycles, as a WASI command: each pair
;; points at the other and is garbage by the next iteration; every 1000th
;; pair's number is kept in a list held by a local. Prints the sum of the
;; kept numbers, and exits 0.
(module
  (type $pair (struct (field $next (mut (ref null $pair))) (field $v i64)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

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
    (local $i i32) (local $a (ref null $pair)) (local $b (ref null $pair))
    (local $kept (ref null $pair)) (local $sum i64)
    (loop $l
      (local.set $a (struct.new $pair (ref.null $pair) (i64.extend_i32_u (local.get $i))))
      (local.set $b (struct.new $pair (local.get $a) (i64.const 0)))
      (struct.set $pair $next (local.get $a) (local.get $b))
      (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 1000)))
        (then (local.set $kept (struct.new $pair (local.get $kept) (i64.extend_i32_u (local.get $i))))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 20000000))))
    (block $done (loop $s
      (br_if $done (ref.is_null (local.get $kept)))
      (local.set $sum (i64.add (local.get $sum) (struct.get $pair $v (local.get $kept))))
      (local.set $kept (struct.get $pair $next (local.get $kept)))
      (br $s)))
    (call $print (local.get $sum))))
