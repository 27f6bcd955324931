;; Multiplies two $n x $n f64 matrices in linear memory (row-major:
;; A at 0, B after A, C after B) and returns the sum of C's elements.
;; A[i][j] = (i + j) mod 7 and B[i][j] = (i * j) mod 5 - 2, so every value
;; is a small integer and the sum is exact. Measures f64 arithmetic and
;; address computation in a triple loop.
(module
  ;; 8 pages = 512 KiB: room for $n up to 147 (3 * n * n * 8 bytes).
  (memory 8)
  (func (export "run") (param $n i32) (result i64)
    (local $i i32) (local $j i32) (local $k i32)
    (local $a i32) (local $b i32) (local $c i32) (local $row i32)
    (local $acc f64) (local $sum f64)
    (local.set $a (i32.const 0))
    (local.set $b (i32.mul (i32.mul (local.get $n) (local.get $n)) (i32.const 8)))
    (local.set $c (i32.shl (local.get $b) (i32.const 1)))
    ;; Fill A and B.
    (local.set $i (i32.const 0))
    (block $fill_done
      (loop $fill_i
        (br_if $fill_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $fill_row_done
          (loop $fill_j
            (br_if $fill_row_done (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $k
              (i32.shl
                (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j))
                (i32.const 3)))
            (f64.store (i32.add (local.get $a) (local.get $k))
              (f64.convert_i32_u
                (i32.rem_u (i32.add (local.get $i) (local.get $j)) (i32.const 7))))
            (f64.store (i32.add (local.get $b) (local.get $k))
              (f64.sub
                (f64.convert_i32_u
                  (i32.rem_u (i32.mul (local.get $i) (local.get $j)) (i32.const 5)))
                (f64.const 2)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $fill_j)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill_i)))
    ;; C = A * B, summing C as we go.
    (local.set $i (i32.const 0))
    (block $mul_done
      (loop $mul_i
        (br_if $mul_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $row (i32.mul (local.get $i) (local.get $n)))
        (local.set $j (i32.const 0))
        (block $row_done
          (loop $mul_j
            (br_if $row_done (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $acc (f64.const 0))
            (local.set $k (i32.const 0))
            (block $dot_done
              (loop $dot
                (br_if $dot_done (i32.ge_u (local.get $k) (local.get $n)))
                (local.set $acc
                  (f64.add (local.get $acc)
                    (f64.mul
                      (f64.load (i32.add (local.get $a)
                        (i32.shl (i32.add (local.get $row) (local.get $k)) (i32.const 3))))
                      (f64.load (i32.add (local.get $b)
                        (i32.shl
                          (i32.add (i32.mul (local.get $k) (local.get $n)) (local.get $j))
                          (i32.const 3)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $dot)))
            (f64.store
              (i32.add (local.get $c)
                (i32.shl (i32.add (local.get $row) (local.get $j)) (i32.const 3)))
              (local.get $acc))
            (local.set $sum (f64.add (local.get $sum) (local.get $acc)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $mul_j)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $mul_i)))
    (i64.trunc_f64_s (local.get $sum))))
