;; Loops entered right after an instruction that passes their variable on
;; in acc (here the move that sets it, switched to its passing form): the
;; header reads the variable from acc while every branch back passes it
;; too, and from its slot once one does not.
(module
  ;; The bottom test passes the counter: the header's read stays.
  (func (export "kept") (param i32 i32) (result i32) (local i32 i32)
    (local.set 2 (local.get 0))
    (loop $l
      (local.set 3 (i32.add (local.get 3) (i32.mul (local.get 2) (local.get 1))))
      (br_if $l (local.tee 2 (i32.sub (local.get 2) (i32.const 1)))))
    (local.get 3))
  ;; The bottom test passes another value: the header reads the slot.
  (func (export "taken_back") (param i32) (result i32) (local i32 i32)
    (local.set 1 (local.get 0))
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 3)))
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 2) (i32.const 300))))
    (local.get 1)))
