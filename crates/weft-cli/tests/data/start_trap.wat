;; A module whose start function traps: instantiating it traps (tests/cli.rs).
(module
  (func $boot unreachable)
  (start $boot))
