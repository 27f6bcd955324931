;; A component whose functions take and return one of each kind of value,
;; for `weft run --invoke 'f(ARGS)'`: lifted from one core module with a
;; memory and a bump-allocating realloc. Results too large for one core
;; value are written to fixed addresses and returned by pointer, as the
;; Canonical ABI has it.
(component
  (core module $m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (data (i32.const 256) "division by zero")

    ;; realloc(old, old_size, align, new_size): always a fresh block.
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p
        (i32.and
          (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get 2))))
      (global.set $bump (i32.add (local.get $p) (local.get 3)))
      (local.get $p))

    ;; echo(s, xs) -> (s, xs): the four words, back as a tuple.
    (func (export "echo") (param i32 i32 i32 i32) (result i32)
      (i32.store offset=16 (i32.const 0) (local.get 0))
      (i32.store offset=20 (i32.const 0) (local.get 1))
      (i32.store offset=24 (i32.const 0) (local.get 2))
      (i32.store offset=28 (i32.const 0) (local.get 3))
      (i32.const 16))

    (func (export "add-floats") (param f32 f64) (result f64)
      (f64.add (f64.promote_f32 (local.get 0)) (local.get 1)))

    (func (export "next-char") (param i32) (result i32)
      (i32.add (local.get 0) (i32.const 1)))

    (func (export "point-sum") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1)))

    ;; mirror({x, y}) -> {x: y, y: x}
    (func (export "mirror") (param i32 i32) (result i32)
      (i32.store offset=32 (i32.const 0) (local.get 1))
      (i32.store offset=36 (i32.const 0) (local.get 0))
      (i32.const 32))

    ;; area(circle(r: f32) | square(side: u32) | empty): the payload of the
    ;; two cases is joined into one i32.
    (func (export "area") (param i32 i32) (result f64)
      (local $r f32)
      (if (i32.eqz (local.get 0))
        (then
          (local.set $r (f32.reinterpret_i32 (local.get 1)))
          (return (f64.promote_f32
            (f32.mul (f32.const 3) (f32.mul (local.get $r) (local.get $r)))))))
      (if (i32.eq (local.get 0) (i32.const 1))
        (then (return (f64.convert_i32_u (i32.mul (local.get 1) (local.get 1))))))
      (f64.const 0))

    ;; maybe-double(none) = none; maybe-double(some(x)) = some(2x)
    (func (export "maybe-double") (param i32 i32) (result i32)
      (i32.store8 offset=48 (i32.const 0) (local.get 0))
      (i32.store offset=52 (i32.const 0) (i32.shl (local.get 1) (i32.const 1)))
      (i32.const 48))

    ;; checked-div(a, b) = ok(a / b), or err("division by zero")
    (func (export "checked-div") (param i32 i32) (result i32)
      (if (i32.eqz (local.get 1))
        (then
          (i32.store8 offset=64 (i32.const 0) (i32.const 1))
          (i32.store offset=68 (i32.const 0) (i32.const 256))
          (i32.store offset=72 (i32.const 0) (i32.const 16)))
        (else
          (i32.store8 offset=64 (i32.const 0) (i32.const 0))
          (i32.store offset=68 (i32.const 0)
            (i32.div_u (local.get 0) (local.get 1)))))
      (i32.const 64))

    ;; toggle(flags) flips all three flags.
    (func (export "toggle") (param i32) (result i32)
      (i32.xor (local.get 0) (i32.const 7)))

    (func (export "next-color") (param i32) (result i32)
      (i32.rem_u (i32.add (local.get 0) (i32.const 1)) (i32.const 3)))

    (func (export "nothing"))

    (func $fail (export "fail") unreachable)

    (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1)))

    (func (export "neg") (param i32) (result i32)
      (i32.sub (i32.const 0) (local.get 0)))
  )
  (core instance $i (instantiate $m))

  ;; Records, variants, enums and flags in exported functions must have
  ;; exported names.
  (type $point' (record (field "x" s32) (field "y" s32)))
  (export $point "point" (type $point'))
  (type $shape' (variant (case "circle" f32) (case "square" u32) (case "empty")))
  (export $shape "shape" (type $shape'))
  (type $color' (enum "red" "green" "blue"))
  (export $color "color" (type $color'))
  (type $perms' (flags "read" "write" "exec"))
  (export $perms "perms" (type $perms'))

  (func (export "echo") (param "s" string) (param "xs" (list u32))
    (result (tuple string (list u32)))
    (canon lift (core func $i "echo") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (func (export "add-floats") (param "a" f32) (param "b" f64) (result f64)
    (canon lift (core func $i "add-floats")))
  (func (export "next-char") (param "c" char) (result char)
    (canon lift (core func $i "next-char")))
  (func (export "point-sum") (param "p" $point) (result s32)
    (canon lift (core func $i "point-sum")))
  (func (export "mirror") (param "p" $point) (result $point)
    (canon lift (core func $i "mirror") (memory (core memory $i "mem"))))
  (func (export "area") (param "s" $shape) (result f64)
    (canon lift (core func $i "area")))
  (func (export "maybe-double") (param "x" (option u32)) (result (option u32))
    (canon lift (core func $i "maybe-double") (memory (core memory $i "mem"))))
  (func (export "checked-div") (param "a" u32) (param "b" u32)
    (result (result u32 (error string)))
    (canon lift (core func $i "checked-div") (memory (core memory $i "mem"))))
  (func (export "toggle") (param "p" $perms) (result $perms)
    (canon lift (core func $i "toggle")))
  (func (export "next-color") (param "c" $color) (result $color)
    (canon lift (core func $i "next-color")))
  (func (export "nothing") (canon lift (core func $i "nothing")))
  (func (export "fail") (canon lift (core func $i "fail")))

  ;; Two interfaces: `neg` is in one, `add` in both.
  (func $add (param "a" s32) (param "b" s32) (result s32)
    (canon lift (core func $i "add")))
  (func $neg (param "a" s32) (result s32)
    (canon lift (core func $i "neg")))
  (instance $math (export "add" (func $add)) (export "neg" (func $neg)))
  (export "weft:demo/math" (instance $math))
  (instance $more (export "add" (func $add)))
  (export "weft:demo/more@1.0.0" (instance $more))
)
