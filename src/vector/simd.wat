;; SIMD distance kernels over one linear memory. Offsets are f32 element indices (not bytes),
;; so JS passes the same numbers it would use to index a Float32Array view of the memory.
;;
;; The summation order is fixed and mirrored exactly by the plain-JS kernels in distance.ts:
;; 16 lanes (four f32x4 accumulators) over blocks of 16, then blocks of 4 into the first
;; accumulator, then a fixed pairwise reduction, then the scalar tail in order. Wasm SIMD does
;; not fuse multiply-add, so every step rounds to f32 exactly as Math.fround does in JS.
(module
  (memory (export "memory") 1)

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
    ;; $reduce (written out in each kernel: Node's wasm compiler does not inline calls):
    ;; lane-wise (s0 + s1) + (s2 + s3), then (l0 + l1) + (l2 + l3).
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
    (local.set $r (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
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
    ;; $reduce (written out in each kernel: Node's wasm compiler does not inline calls):
    ;; lane-wise (s0 + s1) + (s2 + s3), then (l0 + l1) + (l2 + l3).
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1)) (f32x4.add (local.get $s2) (local.get $s3))))
    (local.set $r (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $pa) (local.get $end)))
        (local.set $x (f32.sub (f32.load (local.get $pa)) (f32.load (local.get $pb))))
        (local.set $r (f32.add (local.get $r) (f32.mul (local.get $x) (local.get $x))))
        (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 4)))
        (br $l1)))
    (local.get $r))
  ;; Loads one word of every 64-byte line of rows base + ids[i] * stride (bytes) for i < n and
  ;; returns their xor. Wasm has no prefetch instruction: these loads have no dependencies, so
  ;; the CPU issues all the cache misses of a batch at once instead of one row at a time, which
  ;; measured ~1.4x faster batches over indexes larger than the cache.
  (func $touch (param $ids i32) (param $n i32) (param $base i32) (param $stride i32) (result i32)
    (local $i i32) (local $p i32) (local $k i32) (local $t i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $base)
          (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $stride))))
        (local.set $k (i32.add (local.get $p) (local.get $stride)))
        ;; Two lines per step (fewer instructions per load lets more misses be in flight at
        ;; once), then the row's last byte (its last line, when the row straddles one more).
        (block $kd
          (loop $kl
            (br_if $kd (i32.ge_u (i32.add (local.get $p) (i32.const 64)) (local.get $k)))
            (local.set $t (i32.xor (local.get $t) (i32.xor (i32.load8_u (local.get $p)) (i32.load8_u offset=64 (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 128)))
            (br $kl)))
        (if (i32.lt_u (local.get $p) (local.get $k))
          (then (local.set $t (i32.xor (local.get $t) (i32.load8_u (local.get $p))))))
        (local.set $t (i32.xor (local.get $t) (i32.load8_u (i32.sub (local.get $k) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $t))

  ;; Batched kernels: out[i] = kernel(q, base + ids[i] * dim) for i < n, where `ids` (i32) and
  ;; `out` (f32) are byte addresses in this memory. One call per expanded graph node instead of
  ;; one per neighbour keeps the JS-to-wasm call overhead out of the search loop. The touch
  ;; result is stored to out[0] so the loads cannot be dropped; the first result overwrites it.
  (func $dotBatch (export "dotBatch") (param $q i32) (param $ids i32) (param $n i32) (param $base i32) (param $dim i32) (param $out i32)
    (local $i i32)
    (i32.store (local.get $out) (call $touch (local.get $ids) (local.get $n)
      (i32.shl (local.get $base) (i32.const 2)) (i32.shl (local.get $dim) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (call $dot (local.get $q)
            (i32.add (local.get $base) (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $dim)))
            (local.get $dim)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

  (func $l2Batch (export "l2Batch") (param $q i32) (param $ids i32) (param $n i32) (param $base i32) (param $dim i32) (param $out i32)
    (local $i i32)
    (i32.store (local.get $out) (call $touch (local.get $ids) (local.get $n)
      (i32.shl (local.get $base) (i32.const 2)) (i32.shl (local.get $dim) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (call $l2sq (local.get $q)
            (i32.add (local.get $base) (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $dim)))
            (local.get $dim)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

  ;; Scalar-quantised rows (SQ8): each row is `blocks` x 16 u8 codes, then an f32 (the row's
  ;; exact squared norm), padded to `stride` bytes. `q` holds blocks x 16 i16 query weights.
  ;; out[i] = alpha * (q . codes[ids[i]]) + beta + gamma * norm[ids[i]], all byte addresses.
  ;; The dot is exact in i32 (callers bound the weights so it cannot overflow) and then rounds
  ;; to f32 in the order the plain-JS mirror in simd.ts uses.
  (func $sq8Batch (export "sq8Batch") (param $q i32) (param $ids i32) (param $n i32) (param $base i32) (param $stride i32)
        (param $blocks i32) (param $alpha f32) (param $beta f32) (param $gamma f32) (param $out i32)
    (local $i i32) (local $p i32) (local $qp i32) (local $end i32) (local $acc v128) (local $c v128)
    (i32.store (local.get $out) (call $touch (local.get $ids) (local.get $n) (local.get $base) (local.get $stride)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $base)
          (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $stride))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $blocks) (i32.const 4))))
        (local.set $qp (local.get $q))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (block $bd
          (loop $bl
            (br_if $bd (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $c (v128.load (local.get $p)))
            (local.set $acc (i32x4.add (local.get $acc)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $c)) (v128.load (local.get $qp)))))
            (local.set $acc (i32x4.add (local.get $acc)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $c)) (v128.load offset=16 (local.get $qp)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $qp (i32.add (local.get $qp) (i32.const 32)))
            (br $bl)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add
            (f32.add
              (f32.mul (local.get $alpha) (f32.convert_i32_s
                (i32.add (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
                         (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc))))))
              (local.get $beta))
            (f32.mul (local.get $gamma) (f32.load (local.get $end)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

;; PQ codes (vector/pq.ts): row r is `m4` u8 codes at base + r * stride, `m4` a multiple of 4
  ;; (padding codes are 0 and their terms 0). `lut` holds m4 x 256 f32, the query's term for
  ;; each code of each sub-vector. out[i] = the row's terms summed in f32 as four running sums
  ;; (sub-vectors 4t, 4t+1, 4t+2, 4t+3), then (s0 + s1) + (s2 + s3): four chains hide the add
  ;; latency, and the JS mirror in simd.ts adds in the same order.
  (func $pqBatch (export "pqBatch") (param $lut i32) (param $ids i32) (param $n i32) (param $base i32) (param $stride i32)
        (param $m4 i32) (param $out i32)
    (local $i i32) (local $p i32) (local $end i32) (local $t i32)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32)
    (i32.store (local.get $out) (call $touch (local.get $ids) (local.get $n) (local.get $base) (local.get $stride)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $p (i32.add (local.get $base)
          (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))) (local.get $stride))))
        (local.set $end (i32.add (local.get $p) (local.get $m4)))
        (local.set $t (local.get $lut))
        (local.set $s0 (f32.const 0)) (local.set $s1 (f32.const 0)) (local.set $s2 (f32.const 0)) (local.set $s3 (f32.const 0))
        (block $jd
          (loop $jl
            (br_if $jd (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $s0 (f32.add (local.get $s0) (f32.load (i32.add (local.get $t) (i32.shl (i32.load8_u (local.get $p)) (i32.const 2))))))
            (local.set $s1 (f32.add (local.get $s1) (f32.load offset=1024 (i32.add (local.get $t) (i32.shl (i32.load8_u offset=1 (local.get $p)) (i32.const 2))))))
            (local.set $s2 (f32.add (local.get $s2) (f32.load offset=2048 (i32.add (local.get $t) (i32.shl (i32.load8_u offset=2 (local.get $p)) (i32.const 2))))))
            (local.set $s3 (f32.add (local.get $s3) (f32.load offset=3072 (i32.add (local.get $t) (i32.shl (i32.load8_u offset=3 (local.get $p)) (i32.const 2))))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $t (i32.add (local.get $t) (i32.const 4096)))
            (br $jl)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add (f32.add (local.get $s0) (local.get $s1)) (f32.add (local.get $s2) (local.get $s3))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

  ;; ---- Level-0 beam search (HnswIndex.searchLayer, moved here so the loop runs without
  ;; crossing into JS per expanded node). It mirrors the JS loop and heaps step for step, with
  ;; distances as f64 like the JS heaps, so both paths return identical results.
  ;; Heaps are parallel arrays: f64 distances at $D, i32 ids at $I.

  (func $minPush (param $D i32) (param $I i32) (param $size i32) (param $d f64) (param $id i32) (result i32)
    (local $i i32) (local $p i32) (local $pd f64)
    (local.set $i (local.get $size))
    (block $done
      (loop $up
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $p (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
        (local.set $pd (f64.load (i32.add (local.get $D) (i32.shl (local.get $p) (i32.const 3)))))
        (br_if $done (f64.le (local.get $pd) (local.get $d)))
        (f64.store (i32.add (local.get $D) (i32.shl (local.get $i) (i32.const 3))) (local.get $pd))
        (i32.store (i32.add (local.get $I) (i32.shl (local.get $i) (i32.const 2)))
          (i32.load (i32.add (local.get $I) (i32.shl (local.get $p) (i32.const 2)))))
        (local.set $i (local.get $p))
        (br $up)))
    (f64.store (i32.add (local.get $D) (i32.shl (local.get $i) (i32.const 3))) (local.get $d))
    (i32.store (i32.add (local.get $I) (i32.shl (local.get $i) (i32.const 2))) (local.get $id))
    (i32.add (local.get $size) (i32.const 1)))

  (func $minPop (param $D i32) (param $I i32) (param $size i32) (result i32)
    (local $n i32) (local $i i32) (local $c i32) (local $d f64) (local $id i32) (local $cd f64)
    (local.set $n (i32.sub (local.get $size) (i32.const 1)))
    (if (i32.le_s (local.get $n) (i32.const 0)) (then (return (local.get $n))))
    (local.set $d (f64.load (i32.add (local.get $D) (i32.shl (local.get $n) (i32.const 3)))))
    (local.set $id (i32.load (i32.add (local.get $I) (i32.shl (local.get $n) (i32.const 2)))))
    (block $done
      (loop $down
        (local.set $c (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_s (local.get $c) (local.get $n)))
        (if (i32.lt_s (i32.add (local.get $c) (i32.const 1)) (local.get $n))
          (then (if (f64.lt (f64.load (i32.add (local.get $D) (i32.shl (i32.add (local.get $c) (i32.const 1)) (i32.const 3))))
                            (f64.load (i32.add (local.get $D) (i32.shl (local.get $c) (i32.const 3)))))
            (then (local.set $c (i32.add (local.get $c) (i32.const 1)))))))
        (local.set $cd (f64.load (i32.add (local.get $D) (i32.shl (local.get $c) (i32.const 3)))))
        (br_if $done (f64.ge (local.get $cd) (local.get $d)))
        (f64.store (i32.add (local.get $D) (i32.shl (local.get $i) (i32.const 3))) (local.get $cd))
        (i32.store (i32.add (local.get $I) (i32.shl (local.get $i) (i32.const 2)))
          (i32.load (i32.add (local.get $I) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $i (local.get $c))
        (br $down)))
    (f64.store (i32.add (local.get $D) (i32.shl (local.get $i) (i32.const 3))) (local.get $d))
    (i32.store (i32.add (local.get $I) (i32.shl (local.get $i) (i32.const 2))) (local.get $id))
    (local.get $n))

  (func $maxPush (param $D i32) (param $I i32) (param $size i32) (param $d f64) (param $id i32) (result i32)
    (local $i i32) (local $p i32) (local $pd f64)
    (local.set $i (local.get $size))
    (block $done
      (loop $up
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $p (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
        (local.set $pd (f64.load (i32.add (local.get $D) (i32.shl (local.get $p) (i32.const 3)))))
        (br_if $done (f64.ge (local.get $pd) (local.get $d)))
        (f64.store (i32.add (local.get $D) (i32.shl (local.get $i) (i32.const 3))) (local.get $pd))
        (i32.store (i32.add (local.get $I) (i32.shl (local.get $i) (i32.const 2)))
          (i32.load (i32.add (local.get $I) (i32.shl (local.get $p) (i32.const 2)))))
        (local.set $i (local.get $p))
        (br $up)))
    (f64.store (i32.add (local.get $D) (i32.shl (local.get $i) (i32.const 3))) (local.get $d))
    (i32.store (i32.add (local.get $I) (i32.shl (local.get $i) (i32.const 2))) (local.get $id))
    (i32.add (local.get $size) (i32.const 1)))

  ;; MaxHeap.replaceTop: sift (d, id) down from the root of a heap of $n.
  (func $maxReplaceTop (param $D i32) (param $I i32) (param $n i32) (param $d f64) (param $id i32)
    (local $i i32) (local $c i32) (local $cd f64)
    (block $done
      (loop $down
        (local.set $c (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_s (local.get $c) (local.get $n)))
        (if (i32.lt_s (i32.add (local.get $c) (i32.const 1)) (local.get $n))
          (then (if (f64.gt (f64.load (i32.add (local.get $D) (i32.shl (i32.add (local.get $c) (i32.const 1)) (i32.const 3))))
                            (f64.load (i32.add (local.get $D) (i32.shl (local.get $c) (i32.const 3)))))
            (then (local.set $c (i32.add (local.get $c) (i32.const 1)))))))
        (local.set $cd (f64.load (i32.add (local.get $D) (i32.shl (local.get $c) (i32.const 3)))))
        (br_if $done (f64.le (local.get $cd) (local.get $d)))
        (f64.store (i32.add (local.get $D) (i32.shl (local.get $i) (i32.const 3))) (local.get $cd))
        (i32.store (i32.add (local.get $I) (i32.shl (local.get $i) (i32.const 2)))
          (i32.load (i32.add (local.get $I) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $i (local.get $c))
        (br $down)))
    (f64.store (i32.add (local.get $D) (i32.shl (local.get $i) (i32.const 3))) (local.get $d))
    (i32.store (i32.add (local.get $I) (i32.shl (local.get $i) (i32.const 2))) (local.get $id)))

  ;; Pops a max-heap of $n ($D f64 distances, $I i32 ids) empty as MaxHeap.pop does, writing it
  ;; closest first to $outI / $outD: the sort HnswLinker.selectFromHeap starts with, done where
  ;; the beam left its result instead of copying the heap out to pop it in JS.
  (func (export "drain") (param $D i32) (param $I i32) (param $n i32) (param $outI i32) (param $outD i32)
    (block $done
      (loop $l
        (br_if $done (i32.le_s (local.get $n) (i32.const 0)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (i32.store (i32.add (local.get $outI) (i32.shl (local.get $n) (i32.const 2))) (i32.load (local.get $I)))
        (f64.store (i32.add (local.get $outD) (i32.shl (local.get $n) (i32.const 3))) (f64.load (local.get $D)))
        (if (i32.gt_s (local.get $n) (i32.const 0))
          (then (call $maxReplaceTop (local.get $D) (local.get $I) (local.get $n)
            (f64.load (i32.add (local.get $D) (i32.shl (local.get $n) (i32.const 3))))
            (i32.load (i32.add (local.get $I) (i32.shl (local.get $n) (i32.const 2)))))))
        (br $l))))

  (func $allowed (param $bits i32) (param $id i32) (result i32)
    (i32.and (i32.shr_u (i32.load8_u (i32.add (local.get $bits) (i32.shr_u (local.get $id) (i32.const 3))))
                        (i32.and (local.get $id) (i32.const 7)))
             (i32.const 1)))

  ;; Beam search of level 0 from entry $ep (distance $epD) keeping the best $ef allowed nodes.
  ;; $ctx (bytes) holds i32 addresses: +0 links (rows of $stride0 i32: count, then ids),
  ;; +4 stride0 (0: packed lists, links is then one i32 byte address per node of its list: a u16
  ;; count, then per id a u16 difference from the id before (the first from 0), or 0xffff and
  ;; the id as an i32 when the difference is negative or does not fit), +8 visited (u16 stamps), +12 candD, +16 candI, +20 resD, +24 resI, +28 bits
  ;; (0 = unfiltered), +32 the heaps' capacity (entries). Batch scratch: ids at byte 0, kernel output at byte 2048 (BATCH = 512).
  ;; $mode: 0 f32 l2, 1 f32 dot, 2 SQ8 ($q/$base/$dim are then q16/rows/stride and $blocks,
  ;; $alpha, $beta, $gamma the sq8Batch terms), 3 f32 l2 in the augmented space of a dot index
  ;; (see $augment), 4 PQ ($q/$base/$dim/$blocks are then pqBatch's lut/base/stride/m4). $kind turns a raw value into a distance: 0 raw, 1 1 - raw, 2 -raw.
  ;; Returns the result heap's size, or -1 when the candidate heap was full (the caller runs the
  ;; search again with larger heaps; $ef must not exceed their capacity).
  (func (export "beam") (param $ctx i32) (param $ep i32) (param $epD f64) (param $ef i32) (param $gen i32)
        (param $mode i32) (param $kind i32) (param $q i32) (param $base i32) (param $dim i32) (param $blocks i32)
        (param $alpha f32) (param $beta f32) (param $gamma f32) (param $aug i32) (param $h f64) (result i32)
    (local $links i32) (local $stride0 i32) (local $visited i32) (local $candD i32) (local $candI i32)
    (local $resD i32) (local $resI i32) (local $bits i32) (local $csize i32) (local $rsize i32)
    (local $bound f64) (local $cur i32) (local $p i32) (local $n i32) (local $i i32) (local $m i32)
    (local $nb i32) (local $d f64) (local $raw f64) (local $va i32) (local $t i32) (local $z i32) (local $ccap i32)
    (local.set $links (i32.load (local.get $ctx)))
    (local.set $stride0 (i32.load offset=4 (local.get $ctx)))
    (local.set $visited (i32.load offset=8 (local.get $ctx)))
    (local.set $candD (i32.load offset=12 (local.get $ctx)))
    (local.set $candI (i32.load offset=16 (local.get $ctx)))
    (local.set $resD (i32.load offset=20 (local.get $ctx)))
    (local.set $resI (i32.load offset=24 (local.get $ctx)))
    (local.set $bits (i32.load offset=28 (local.get $ctx)))
    (local.set $ccap (i32.load offset=32 (local.get $ctx)))
    (i32.store16 (i32.add (local.get $visited) (i32.shl (local.get $ep) (i32.const 1))) (local.get $gen))
    (local.set $csize (call $minPush (local.get $candD) (local.get $candI) (i32.const 0) (local.get $epD) (local.get $ep)))
    (local.set $bound (f64.const inf))
    (if (i32.or (i32.eqz (local.get $bits)) (call $allowed (local.get $bits) (local.get $ep)))
      (then
        (local.set $rsize (call $maxPush (local.get $resD) (local.get $resI) (i32.const 0) (local.get $epD) (local.get $ep)))
        (local.set $bound (local.get $epD))))
    (block $exit
      (loop $expand
        (br_if $exit (i32.eqz (local.get $csize)))
        (if (f64.gt (f64.load (local.get $candD)) (local.get $bound))
          (then (br_if $exit (i32.or (i32.eqz (local.get $bits)) (i32.ge_s (local.get $rsize) (local.get $ef))))))
        (local.set $cur (i32.load (local.get $candI)))
        (local.set $csize (call $minPop (local.get $candD) (local.get $candI) (local.get $csize)))
        ;; The next candidate is most often the one expanded next: start loading its list now
        ;; (its first two lines; wasm has no prefetch, see $touch).
        (if (local.get $csize)
          (then
            (local.set $t (if (result i32) (local.get $stride0)
              (then (i32.add (local.get $links) (i32.shl (i32.mul (i32.load (local.get $candI)) (local.get $stride0)) (i32.const 2))))
              (else (i32.load (i32.add (local.get $links) (i32.shl (i32.load (local.get $candI)) (i32.const 2)))))))
            (local.set $t (i32.xor (i32.load (local.get $t)) (i32.load offset=64 (local.get $t))))))
        (if (local.get $stride0)
          (then
            (local.set $p (i32.add (local.get $links) (i32.shl (i32.mul (local.get $cur) (local.get $stride0)) (i32.const 2))))
            (local.set $n (i32.load (local.get $p))))
          (else
            (local.set $p (i32.load (i32.add (local.get $links) (i32.shl (local.get $cur) (i32.const 2)))))
            (local.set $n (i32.load16_u (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (local.set $nb (i32.const 0))))
        (local.set $m (i32.const 0))
        (local.set $i (i32.const 1))
        (block $gathered
          (loop $gather
            (br_if $gathered (i32.gt_s (local.get $i) (local.get $n)))
            (if (local.get $stride0)
              (then (local.set $nb (i32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))))
              (else
                (local.set $z (i32.load16_u (local.get $p)))
                (local.set $p (i32.add (local.get $p) (i32.const 2)))
                (if (i32.eq (local.get $z) (i32.const 0xffff))
                  (then
                    (local.set $nb (i32.load (local.get $p)))
                    (local.set $p (i32.add (local.get $p) (i32.const 4))))
                  (else (local.set $nb (i32.add (local.get $nb) (local.get $z)))))))
            (local.set $va (i32.add (local.get $visited) (i32.shl (local.get $nb) (i32.const 1))))
            (if (i32.ne (i32.load16_u (local.get $va)) (local.get $gen))
              (then
                (i32.store16 (local.get $va) (local.get $gen))
                (i32.store (i32.shl (local.get $m) (i32.const 2)) (local.get $nb))
                (local.set $m (i32.add (local.get $m) (i32.const 1)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $gather)))
        (if (i32.eqz (local.get $m)) (then (br $expand)))
        (if (i32.eq (local.get $mode) (i32.const 4))
          (then (call $pqBatch (local.get $q) (i32.const 0) (local.get $m) (local.get $base) (local.get $dim) (local.get $blocks) (i32.const 2048)))
          (else
        (if (i32.eq (local.get $mode) (i32.const 2))
          (then (call $sq8Batch (local.get $q) (i32.const 0) (local.get $m) (local.get $base) (local.get $dim) (local.get $blocks)
                  (local.get $alpha) (local.get $beta) (local.get $gamma) (i32.const 2048)))
          (else (if (i32.eq (local.get $mode) (i32.const 1))
            (then (call $dotBatch (local.get $q) (i32.const 0) (local.get $m) (local.get $base) (local.get $dim) (i32.const 2048)))
            (else
              (call $l2Batch (local.get $q) (i32.const 0) (local.get $m) (local.get $base) (local.get $dim) (i32.const 2048))
              (if (i32.eq (local.get $mode) (i32.const 3))
                (then (call $augment (local.get $m) (local.get $aug) (local.get $h))))))))))
        (local.set $i (i32.const 0))
        (block $scored
          (loop $score
            (br_if $scored (i32.ge_s (local.get $i) (local.get $m)))
            (local.set $nb (i32.load (i32.shl (local.get $i) (i32.const 2))))
            (local.set $raw (f64.promote_f32 (f32.load offset=2048 (i32.shl (local.get $i) (i32.const 2)))))
            (local.set $d (if (result f64) (i32.eqz (local.get $kind)) (then (local.get $raw))
              (else (if (result f64) (i32.eq (local.get $kind) (i32.const 1))
                (then (f64.sub (f64.const 1) (local.get $raw))) (else (f64.neg (local.get $raw)))))))
            (if (i32.or (i32.lt_s (local.get $rsize) (local.get $ef)) (f64.lt (local.get $d) (local.get $bound)))
              (then
                (if (i32.ge_s (local.get $csize) (local.get $ccap)) (then (return (i32.const -1))))
                (local.set $csize (call $minPush (local.get $candD) (local.get $candI) (local.get $csize) (local.get $d) (local.get $nb)))
                (if (i32.or (i32.eqz (local.get $bits)) (call $allowed (local.get $bits) (local.get $nb)))
                  (then
                    (if (i32.lt_s (local.get $rsize) (local.get $ef))
                      (then (local.set $rsize (call $maxPush (local.get $resD) (local.get $resI) (local.get $rsize) (local.get $d) (local.get $nb))))
                      (else (call $maxReplaceTop (local.get $resD) (local.get $resI) (local.get $rsize) (local.get $d) (local.get $nb))))
                    (local.set $bound (f64.load (local.get $resD)))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $score)))
        (br $expand)))
    (i32.store offset=2048 (i32.const 0) (local.get $t)) ;; keeps the look-ahead loads
    (local.get $rsize))

  ;; Linking a dot index in the augmented space (vector-index/hnsw-core.ts, `aug`): adds the extra
  ;; coordinate's term to the l2 batch output, out[i] = f32(out[i] + (h - aug[ids[i]])^2) with the
  ;; term in f64, as HnswCore.batch does. $aug: byte address of one f64 per node.
  (func $augment (param $m i32) (param $aug i32) (param $h f64)
    (local $i i32) (local $e f64) (local $o i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $e (f64.sub (local.get $h)
          (f64.load (i32.add (local.get $aug) (i32.shl (i32.load (local.get $o)) (i32.const 3))))))
        (f32.store offset=2048 (local.get $o)
          (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load offset=2048 (local.get $o)))
                                   (f64.mul (local.get $e) (local.get $e)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l))))

  ;; Distance between nodes $a and $b as the graph is linked (HnswCore.nodeDist): $mode 0
  ;; euclidean, 1 cosine (1 - a.b), 2 dot (-a.b), 3 the augmented space of a dot index.
  (func $nodeDist (param $mode i32) (param $base i32) (param $dim i32) (param $aug i32) (param $a i32) (param $b i32) (result f64)
    (local $pa i32) (local $pb i32) (local $e f64)
    (local.set $pa (i32.add (local.get $base) (i32.mul (local.get $a) (local.get $dim))))
    (local.set $pb (i32.add (local.get $base) (i32.mul (local.get $b) (local.get $dim))))
    (if (i32.eqz (local.get $mode))
      (then (return (f64.promote_f32 (call $l2sq (local.get $pa) (local.get $pb) (local.get $dim))))))
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then (return (f64.sub (f64.const 1) (f64.promote_f32 (call $dot (local.get $pa) (local.get $pb) (local.get $dim)))))))
    (if (i32.eq (local.get $mode) (i32.const 2))
      (then (return (f64.neg (f64.promote_f32 (call $dot (local.get $pa) (local.get $pb) (local.get $dim)))))))
    (local.set $e (f64.sub (f64.load (i32.add (local.get $aug) (i32.shl (local.get $a) (i32.const 3))))
                           (f64.load (i32.add (local.get $aug) (i32.shl (local.get $b) (i32.const 3))))))
    (f64.promote_f32 (f32.demote_f64 (f64.add (f64.promote_f32 (call $l2sq (local.get $pa) (local.get $pb) (local.get $dim)))
                                              (f64.mul (local.get $e) (local.get $e))))))

  ;; The HNSW neighbour heuristic (HnswLinker.selectFromHeap's loop): over $total candidates
  ;; sorted closest first (ids i32 at $ids, distances f64 at $ds), keep a candidate when it is
  ;; closer to the base node than to every one kept so far, until $m are kept. Candidates whose
  ;; flag (u8 at $flags, 0 = none) is set are kept unconditionally; $free bounds the others.
  ;; Writes the kept ids and distances to $selI / $selD and returns how many.
  ;; $mode/$base/$dim/$aug as in $nodeDist.
  (func (export "select") (param $ids i32) (param $ds i32) (param $flags i32) (param $total i32) (param $m i32) (param $free i32)
        (param $selI i32) (param $selD i32) (param $mode i32) (param $base i32) (param $dim i32) (param $aug i32) (result i32)
    (local $i i32) (local $j i32) (local $count i32) (local $c i32) (local $cd f64) (local $good i32)
    (block $done
      (loop $cands
        (br_if $done (i32.ge_s (local.get $i) (local.get $total)))
        (br_if $done (i32.ge_s (local.get $count) (local.get $m)))
        (local.set $c (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $cd (f64.load (i32.add (local.get $ds) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $good (i32.const 0))
        (if (local.get $flags)
          (then (local.set $good (i32.load8_u (i32.add (local.get $flags) (local.get $i))))))
        (if (i32.and (i32.eqz (local.get $good)) (i32.gt_s (local.get $free) (i32.const 0)))
          (then
            (local.set $good (i32.const 1))
            (local.set $j (i32.const 0))
            (block $checked
              (loop $check
                (br_if $checked (i32.ge_s (local.get $j) (local.get $count)))
                (if (f64.lt (call $nodeDist (local.get $mode) (local.get $base) (local.get $dim) (local.get $aug) (local.get $c)
                              (i32.load (i32.add (local.get $selI) (i32.shl (local.get $j) (i32.const 2)))))
                            (local.get $cd))
                  (then
                    (local.set $good (i32.const 0))
                    (br $checked)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $check)))
            (if (local.get $good) (then (local.set $free (i32.sub (local.get $free) (i32.const 1)))))))
        (if (local.get $good)
          (then
            (i32.store (i32.add (local.get $selI) (i32.shl (local.get $count) (i32.const 2))) (local.get $c))
            (f64.store (i32.add (local.get $selD) (i32.shl (local.get $count) (i32.const 3))) (local.get $cd))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cands)))
    (local.get $count))

;; ---- PQ codebooks (vector/pq.ts, vector-index/hnsw-pq.ts). Byte addresses throughout.
  ;; A sub-vector's `k4` centroids (k4 a multiple of 4) come transposed: value t of centroid c at
  ;; cT + (t * k4 + c) * 4, with cn[c] their squared norms (or zeros).
  ;; out[c] = bias + scale * s_c for c < k4, where s_c = cn[c] - sum_t (2 x_t) c_t over the `w`
  ;; f32 at `x`, each step rounded to f32 in t order (as the plain-JS mirror in simd.ts does).
  ;; s_c is the squared distance less ||x||^2; with cn zero, -s_c / 2 is x . c.
  ;; `xs`: scratch for w v128.
  (func $pqScores (export "pqScores") (param $x i32) (param $w i32) (param $cT i32) (param $k4 i32) (param $cn i32)
        (param $xs i32) (param $out i32) (param $bias f32) (param $scale f32)
    (local $t i32) (local $c i32) (local $q i32) (local $row i32) (local $acc v128)
    (local.set $row (i32.shl (local.get $k4) (i32.const 2)))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $t) (local.get $w)))
      (v128.store (i32.add (local.get $xs) (i32.shl (local.get $t) (i32.const 4)))
        (f32x4.splat (f32.mul (f32.const 2) (f32.load (i32.add (local.get $x) (i32.shl (local.get $t) (i32.const 2)))))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $sl)))
    (block $cd (loop $cl
      (br_if $cd (i32.ge_u (local.get $c) (local.get $k4)))
      (local.set $acc (v128.load (i32.add (local.get $cn) (i32.shl (local.get $c) (i32.const 2)))))
      (local.set $q (i32.add (local.get $cT) (i32.shl (local.get $c) (i32.const 2))))
      (local.set $t (i32.const 0))
      (block $td (loop $tl
        (br_if $td (i32.ge_u (local.get $t) (local.get $w)))
        (local.set $acc (f32x4.sub (local.get $acc)
          (f32x4.mul (v128.load (i32.add (local.get $xs) (i32.shl (local.get $t) (i32.const 4)))) (v128.load (local.get $q)))))
        (local.set $q (i32.add (local.get $q) (local.get $row)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tl)))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
        (f32x4.add (f32x4.splat (local.get $bias)) (f32x4.mul (f32x4.splat (local.get $scale)) (local.get $acc))))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $cl))))

  ;; For each of `n` points of `w` f32 at `points` (row-major), the index of its nearest centroid
  ;; (lowest s_c of $pqScores, ties to the smaller index) into out[i] (i32); padding centroids
  ;; have cn +inf. `sc`: scratch for k4 f32.
  (func (export "pqAssign") (param $points i32) (param $n i32) (param $w i32) (param $cT i32) (param $k4 i32)
        (param $cn i32) (param $xs i32) (param $sc i32) (param $out i32)
    (local $i i32) (local $c i32) (local $acc v128) (local $best v128) (local $bi v128) (local $idx v128) (local $mask v128)
    (local $bv f32) (local $bj i32) (local $v f32) (local $j i32)
    (block $pd (loop $pl
      (br_if $pd (i32.ge_u (local.get $i) (local.get $n)))
      (call $pqScores (i32.add (local.get $points) (i32.shl (i32.mul (local.get $i) (local.get $w)) (i32.const 2)))
        (local.get $w) (local.get $cT) (local.get $k4) (local.get $cn) (local.get $xs) (local.get $sc) (f32.const 0) (f32.const 1))
      (local.set $best (v128.const f32x4 inf inf inf inf))
      (local.set $bi (v128.const i32x4 0 0 0 0))
      (local.set $idx (v128.const i32x4 0 1 2 3))
      (local.set $c (i32.const 0))
      (block $cd (loop $cl
        (br_if $cd (i32.ge_u (local.get $c) (local.get $k4)))
        (local.set $acc (v128.load (i32.add (local.get $sc) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $mask (f32x4.lt (local.get $acc) (local.get $best)))
        (local.set $best (v128.bitselect (local.get $acc) (local.get $best) (local.get $mask)))
        (local.set $bi (v128.bitselect (local.get $idx) (local.get $bi) (local.get $mask)))
        (local.set $idx (i32x4.add (local.get $idx) (v128.const i32x4 4 4 4 4)))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $cl)))
      (local.set $bv (f32x4.extract_lane 0 (local.get $best)))
      (local.set $bj (i32x4.extract_lane 0 (local.get $bi)))
      (local.set $v (f32x4.extract_lane 1 (local.get $best)))
      (local.set $j (i32x4.extract_lane 1 (local.get $bi)))
      (if (i32.or (f32.lt (local.get $v) (local.get $bv))
                  (i32.and (f32.eq (local.get $v) (local.get $bv)) (i32.lt_u (local.get $j) (local.get $bj))))
        (then (local.set $bv (local.get $v)) (local.set $bj (local.get $j))))
      (local.set $v (f32x4.extract_lane 2 (local.get $best)))
      (local.set $j (i32x4.extract_lane 2 (local.get $bi)))
      (if (i32.or (f32.lt (local.get $v) (local.get $bv))
                  (i32.and (f32.eq (local.get $v) (local.get $bv)) (i32.lt_u (local.get $j) (local.get $bj))))
        (then (local.set $bv (local.get $v)) (local.set $bj (local.get $j))))
      (local.set $v (f32x4.extract_lane 3 (local.get $best)))
      (local.set $j (i32x4.extract_lane 3 (local.get $bi)))
      (if (i32.or (f32.lt (local.get $v) (local.get $bv))
                  (i32.and (f32.eq (local.get $v) (local.get $bv)) (i32.lt_u (local.get $j) (local.get $bj))))
        (then (local.set $bv (local.get $v)) (local.set $bj (local.get $j))))
      (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $bj))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $pl))))

  ;; ---- SQ8 code building (vector/sq8.ts). Byte addresses throughout; rows are `dim` f32 each.
  ;; lo/hi/inv are dim f32 each. The plain-JS mirror in simd.ts rounds every step to f32 the
  ;; same way, so both paths produce the same codes.

  ;; lo[d] = min(lo[d], rows[r][d]), hi[d] = max(hi[d], rows[r][d]) over r < count.
  (func (export "sq8MinMax") (param $rows i32) (param $count i32) (param $dim i32) (param $lo i32) (param $hi i32)
    (local $r i32) (local $p i32) (local $d i32) (local $d4 i32) (local $v v128) (local $x f32) (local $a i32)
    (local.set $d4 (i32.and (local.get $dim) (i32.const -4)))
    (local.set $p (local.get $rows))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $count)))
      (local.set $d (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_u (local.get $d) (local.get $d4)))
        (local.set $a (i32.shl (local.get $d) (i32.const 2)))
        (local.set $v (v128.load (i32.add (local.get $p) (local.get $a))))
        (v128.store (i32.add (local.get $lo) (local.get $a)) (f32x4.min (v128.load (i32.add (local.get $lo) (local.get $a))) (local.get $v)))
        (v128.store (i32.add (local.get $hi) (local.get $a)) (f32x4.max (v128.load (i32.add (local.get $hi) (local.get $a))) (local.get $v)))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $d) (local.get $dim)))
        (local.set $a (i32.shl (local.get $d) (i32.const 2)))
        (local.set $x (f32.load (i32.add (local.get $p) (local.get $a))))
        (f32.store (i32.add (local.get $lo) (local.get $a)) (f32.min (f32.load (i32.add (local.get $lo) (local.get $a))) (local.get $x)))
        (f32.store (i32.add (local.get $hi) (local.get $a)) (f32.max (f32.load (i32.add (local.get $hi) (local.get $a))) (local.get $x)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $sl)))
      (local.set $p (i32.add (local.get $p) (i32.shl (local.get $dim) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))

  ;; codes of rows [from, to): code = clamp(trunc(((x - lo) * inv) + 0.5), 0, 255), each step
  ;; rounded to f32; row r's codes start at byte base + r * stride.
  (func (export "sq8EncodeRows") (param $rows i32) (param $from i32) (param $to i32) (param $dim i32)
        (param $lo i32) (param $inv i32) (param $base i32) (param $stride i32)
    (local $r i32) (local $p i32) (local $out i32) (local $d i32) (local $d4 i32) (local $a i32) (local $c v128) (local $k i32)
    (local.set $d4 (i32.and (local.get $dim) (i32.const -4)))
    (local.set $r (local.get $from))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u (local.get $r) (local.get $to)))
      (local.set $p (i32.add (local.get $rows) (i32.shl (i32.mul (local.get $r) (local.get $dim)) (i32.const 2))))
      (local.set $out (i32.add (local.get $base) (i32.mul (local.get $r) (local.get $stride))))
      (local.set $d (i32.const 0))
      (block $vd (loop $vl
        (br_if $vd (i32.ge_u (local.get $d) (local.get $d4)))
        (local.set $a (i32.shl (local.get $d) (i32.const 2)))
        (local.set $c (i32x4.trunc_sat_f32x4_s
          (f32x4.add
            (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $a))) (v128.load (i32.add (local.get $lo) (local.get $a))))
                       (v128.load (i32.add (local.get $inv) (local.get $a))))
            (v128.const f32x4 0.5 0.5 0.5 0.5))))
        (local.set $c (i16x8.narrow_i32x4_s (local.get $c) (local.get $c)))
        (local.set $c (i8x16.narrow_i16x8_u (local.get $c) (local.get $c)))
        (i32.store (i32.add (local.get $out) (local.get $d)) (i32x4.extract_lane 0 (local.get $c)))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (br $vl)))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $d) (local.get $dim)))
        (local.set $a (i32.shl (local.get $d) (i32.const 2)))
        (local.set $k (i32.trunc_sat_f32_s
          (f32.add
            (f32.mul (f32.sub (f32.load (i32.add (local.get $p) (local.get $a))) (f32.load (i32.add (local.get $lo) (local.get $a))))
                     (f32.load (i32.add (local.get $inv) (local.get $a))))
            (f32.const 0.5))))
        (i32.store8 (i32.add (local.get $out) (local.get $d))
          (select (i32.const 0) (select (i32.const 255) (local.get $k) (i32.gt_s (local.get $k) (i32.const 255))) (i32.lt_s (local.get $k) (i32.const 0))))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $sl)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rl))))
)
