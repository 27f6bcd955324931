;; Moves right after one another run as one `move2`, each source a slot or
;; a 32-bit constant: a swap of two locals through a temporary (three
;; moves: a `move2` and a copy), and a loop's variables set to a constant
;; and a copy.
(module
  (func (export "swap") (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0)
    (local.set 1) (local.set 0)
    (local.get 0) (local.get 1))
  (func (export "count") (param i32 i32) (result i32) (local i32 i32)
    (local.set 2 (i32.const 7))
    (local.set 3 (local.get 1))
    (loop $next
      (local.set 3 (i32.add (local.get 3) (local.get 2)))
      (br_if $next (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 3)))
