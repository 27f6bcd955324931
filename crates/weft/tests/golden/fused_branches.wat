;; Branches that absorb the load (`load_br`), mask or decrement
;; (`br_add_cmp`) computing their condition.
(module
    (memory (export "mem") 1)
    (data (i32.const 16) "\18\00\00\00\01\00\00\00\30\00\00\00\02\00\00\00")
    (data (i32.const 48) "\00\00\00\00\03\00\00\00")
    (data (i32.const 64) "abc\00")
    ;; do { sum += p->value; } while ((p = p->next));
    (func (export "sum") (param $p i32) (result i32) (local $sum i32)
        (loop $walk
            (local.set $sum (i32.add (local.get $sum) (i32.load offset=4 (local.get $p))))
            (br_if $walk (local.tee $p (i32.load (local.get $p)))))
        (local.get $sum))
    ;; while (*s) s++; (the exit test heads the loop; its copy ends it)
    (func (export "strlen") (param $s i32) (result i32) (local $p i32)
        (local.set $p (local.get $s))
        (block $done
            (loop $scan
                (br_if $done (i32.eqz (i32.load8_u (local.get $p))))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $scan)))
        (i32.sub (local.get $p) (local.get $s)))
    ;; `if` on a loaded halfword: branches to `else` when it is zero.
    (func (export "if_loaded") (param $p i32) (result i32)
        (if (result i32) (i32.load16_s (local.get $p))
            (then (i32.const 1))
            (else (i32.const 2))))
    ;; The tested value, kept in a local, read on both paths.
    (func (export "kept") (param $p i32) (result i32) (local $v i32)
        (block $nonzero
            (br_if $nonzero (local.tee $v (i32.load8_s (local.get $p))))
            (return (i32.sub (i32.const 1000) (local.get $v))))
        (local.get $v))
        (func (export "bits") (param $x i32) (param $k i32) (result i32) (local $m i32)
            (block $comma
                (br_if $comma (i32.eq (local.tee $m (i32.and (local.get $x) (i32.const 255)))
                                      (i32.const 44)))
                (block $high
                    (br_if $high (i32.ne (i32.and (local.get $x) (i32.const 0xf0))
                                         (local.get $k)))
                    (return (i32.add (i32.const 200) (local.get $m))))
                (return (i32.add (i32.const 100) (local.get $m))))
            (local.get $m))
        (func (export "countdown") (param $n i32) (result i32) (local $steps i32)
            (loop $again
                (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
                (br_if $again (local.tee $n (i32.add (local.get $n) (i32.const -1)))))
            (local.get $steps))
        (func (export "until_zero") (param $n i32) (result i32) (local $steps i32)
            (block $done
                (loop $again
                    (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
                    (br_if $done (i32.eqz (local.tee $n (i32.sub (local.get $n) (i32.const 2)))))
                    (br $again)))
            (i32.add (i32.mul (local.get $steps) (i32.const 1000)) (local.get $n))))
