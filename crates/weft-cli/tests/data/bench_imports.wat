;; A command importing `bench.start`/`bench.end` like the sightglass
;; benchmarks: runs only with -W unknown-imports-default=y (tests/cli.rs).
(module
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (import "bench" "ticks" (func $ticks (result i64)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "measured\n")
  (func (export "_start")
    (call $start)
    ;; The unknown import returns zero.
    (if (i64.ne (call $ticks) (i64.const 0)) (then unreachable))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 9))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $end)))
