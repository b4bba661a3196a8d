;; SIMD distance kernels over one linear memory. Offsets are f32 element indices (not bytes),
;; so JS passes the same numbers it would use to index a Float32Array view of the memory.
;;
;; The summation order is fixed and mirrored exactly by the plain-JS kernels in distance.ts:
;; 16 lanes (four f32x4 accumulators) over blocks of 16, then blocks of 4 into the first
;; accumulator, then a fixed pairwise reduction, then the scalar tail in order. Wasm SIMD does
;; not fuse multiply-add, so every step rounds to f32 exactly as Math.fround does in JS.
(module
  (memory (export "memory") 1)

  (func $reduce (param $a v128) (param $b v128) (param $c v128) (param $d v128) (result f32)
    (local $v v128)
    (local.set $v (f32x4.add (f32x4.add (local.get $a) (local.get $b))
                             (f32x4.add (local.get $c) (local.get $d))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func $dot (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $pa i32) (local $pb i32) (local $end16 i32) (local $end4 i32) (local $end i32)
    (local $r f32)
    (local.set $pa (i32.shl (local.get $a) (i32.const 2)))
    (local.set $pb (i32.shl (local.get $b) (i32.const 2)))
    (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $pa) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $pa) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done16
      (loop $l16
        (br_if $done16 (i32.ge_u (local.get $pa) (local.get $end16)))
        (local.set $s0 (f32x4.add (local.get $s0)
          (f32x4.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
        (local.set $s1 (f32x4.add (local.get $s1)
          (f32x4.mul (v128.load offset=16 (local.get $pa)) (v128.load offset=16 (local.get $pb)))))
        (local.set $s2 (f32x4.add (local.get $s2)
          (f32x4.mul (v128.load offset=32 (local.get $pa)) (v128.load offset=32 (local.get $pb)))))
        (local.set $s3 (f32x4.add (local.get $s3)
          (f32x4.mul (v128.load offset=48 (local.get $pa)) (v128.load offset=48 (local.get $pb)))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 64)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 64)))
        (br $l16)))
    (block $done4
      (loop $l4
        (br_if $done4 (i32.ge_u (local.get $pa) (local.get $end4)))
        (local.set $s0 (f32x4.add (local.get $s0)
          (f32x4.mul (v128.load (local.get $pa)) (v128.load (local.get $pb)))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
        (br $l4)))
    (local.set $r (call $reduce (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $pa) (local.get $end)))
        (local.set $r (f32.add (local.get $r)
          (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 4)))
        (br $l1)))
    (local.get $r))

  (func $l2sq (export "l2sq") (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $d v128)
    (local $pa i32) (local $pb i32) (local $end16 i32) (local $end4 i32) (local $end i32)
    (local $r f32) (local $x f32)
    (local.set $pa (i32.shl (local.get $a) (i32.const 2)))
    (local.set $pb (i32.shl (local.get $b) (i32.const 2)))
    (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $pa) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (local.set $end4 (i32.add (local.get $pa) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done16
      (loop $l16
        (br_if $done16 (i32.ge_u (local.get $pa) (local.get $end16)))
        (local.set $d (f32x4.sub (v128.load (local.get $pa)) (v128.load (local.get $pb))))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (v128.load offset=16 (local.get $pa)) (v128.load offset=16 (local.get $pb))))
        (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (v128.load offset=32 (local.get $pa)) (v128.load offset=32 (local.get $pb))))
        (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d (f32x4.sub (v128.load offset=48 (local.get $pa)) (v128.load offset=48 (local.get $pb))))
        (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 64)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 64)))
        (br $l16)))
    (block $done4
      (loop $l4
        (br_if $done4 (i32.ge_u (local.get $pa) (local.get $end4)))
        (local.set $d (f32x4.sub (v128.load (local.get $pa)) (v128.load (local.get $pb))))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
        (br $l4)))
    (local.set $r (call $reduce (local.get $s0) (local.get $s1) (local.get $s2) (local.get $s3)))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $pa) (local.get $end)))
        (local.set $x (f32.sub (f32.load (local.get $pa)) (f32.load (local.get $pb))))
        (local.set $r (f32.add (local.get $r) (f32.mul (local.get $x) (local.get $x))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 4)))
        (br $l1)))
    (local.get $r))
;; Batched kernels: out[i] = kernel(q, base + ids[i] * dim) for i < n, where `ids` (i32) and
  ;; `out` (f32) are byte addresses in this memory. One call per expanded graph node instead of
  ;; one per neighbour keeps the JS-to-wasm call overhead out of the search loop.
  (func (export "dotBatch") (param $q i32) (param $ids i32) (param $n i32) (param $base i32) (param $dim i32) (param $out i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (call $dot (local.get $q)
            (i32.add (local.get $base) (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $dim)))
            (local.get $dim)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

  (func (export "l2Batch") (param $q i32) (param $ids i32) (param $n i32) (param $base i32) (param $dim i32) (param $out i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (call $l2sq (local.get $q)
            (i32.add (local.get $base) (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $dim)))
            (local.get $dim)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))
)
