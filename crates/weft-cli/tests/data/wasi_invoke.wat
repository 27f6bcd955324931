;; Exports functions that use WASI, for `weft run --invoke` (tests/cli.rs).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "greetings\n")
  ;; Writes a line to stdout and returns the number of bytes written.
  (func (export "greet") (result i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 10))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.load (i32.const 8)))
  ;; Exits with the given status.
  (func (export "leave") (param i32)
    (call $proc_exit (local.get 0)))
  ;; `_start` with a parameter: ARGS cannot be passed to it without --invoke.
  (func (export "_start") (param i32)))
