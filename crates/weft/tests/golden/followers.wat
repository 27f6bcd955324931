;; Moves that run the instruction after them (`copy_then`, `const_then`):
;; a list reversal, a call, a loop header, a jump.
(module
        (memory (export "mem") 1)
        (data (i32.const 16) "\18\00\00\00\01\00\00\00\30\00\00\00\02\00\00\00")
        (data (i32.const 48) "\00\00\00\00\03\00\00\00")
        ;; next = p; rev = 0;
        ;; do { p = next; next = p->next; p->next = rev; rev = p; } while (next);
        (func $reverse (export "reverse") (param $p i32) (result i32) (local $rev i32) (local $next i32)
            (local.set $next (local.get $p))
            (loop $walk
                (local.set $p (local.get $next))
                (local.set $next (i32.load (local.get $p)))
                (i32.store (local.get $p) (local.get $rev))
                (local.set $rev (local.get $p))
                (br_if $walk (local.get $next)))
            (local.get $rev))
        ;; The values in list order, as decimal digits.
        (func $digits (export "digits") (param $p i32) (result i32) (local $d i32)
            (local.set $d (i32.const 0))
            (loop $walk
                (local.set $d (i32.add (i32.mul (local.get $d) (i32.const 10))
                                       (i32.load offset=4 (local.get $p))))
                (br_if $walk (local.tee $p (i32.load (local.get $p)))))
            (local.get $d))
        (func (export "reversed_digits") (param $p i32) (result i32)
            (call $digits (call $reverse (local.get $p))))
        ;; A copy whose follower heads a loop: the back edge runs it alone.
        (func (export "count_up") (param $n i32) (result i32) (local $i i32) (local $s i32)
            (local.set $i (local.get $n))
            (loop $up
                (local.set $s (i32.add (local.get $s) (i32.const 5)))
                (local.set $i (i32.add (local.get $i) (i32.const 3)))
                (br_if $up (i32.lt_u (local.get $i) (i32.const 100))))
            (i32.add (i32.mul (local.get $i) (i32.const 1000)) (local.get $s)))
        ;; A constant reset, then a jump.
        (func (export "reset") (param $x i32) (result i32) (local $r i32)
            (block $out
                (block $zero
                    (br_if $zero (i32.eqz (local.get $x)))
                    (local.set $r (i32.const 7))
                    (br $out))
                (local.set $r (i32.const 9)))
            (local.get $r)))