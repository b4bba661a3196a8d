(module
  (memory (export "memory") 1)
  ;; A reflected 32-bit CRC, slicing-by-8, over bytes [p, p + n) of this memory, continuing from
  ;; the raw (uncomplemented) register $crc; the polynomial is in the tables (CRC-32C, CRC-32).
  ;; The JS side writes the eight 256-entry u32 tables at byte 0 (T0 at 0, T1 at 1024, ... T7 at
  ;; 7168) and copies input after them. Plain JS runs the same loop at 0.4-1.3 GB/s depending on
  ;; how V8 optimised it; this holds ~1.3 GB/s.
  (func (export "crc") (param $crc i32) (param $p i32) (param $n i32) (result i32)
    (local $end8 i32) (local $end i32) (local $a i32) (local $b i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $end8 (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -8))))
    (block $d8 (loop $l8
      (br_if $d8 (i32.ge_u (local.get $p) (local.get $end8)))
      (local.set $a (i32.xor (local.get $crc) (i32.load (local.get $p))))
      (local.set $b (i32.load offset=4 (local.get $p)))
      (local.set $crc
        (i32.xor
          (i32.xor
            (i32.xor (i32.load offset=7168 (i32.shl (i32.and (local.get $a) (i32.const 255)) (i32.const 2)))
                     (i32.load offset=6144 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 8)) (i32.const 255)) (i32.const 2))))
            (i32.xor (i32.load offset=5120 (i32.shl (i32.and (i32.shr_u (local.get $a) (i32.const 16)) (i32.const 255)) (i32.const 2)))
                     (i32.load offset=4096 (i32.shl (i32.shr_u (local.get $a) (i32.const 24)) (i32.const 2)))))
          (i32.xor
            (i32.xor (i32.load offset=3072 (i32.shl (i32.and (local.get $b) (i32.const 255)) (i32.const 2)))
                     (i32.load offset=2048 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 8)) (i32.const 255)) (i32.const 2))))
            (i32.xor (i32.load offset=1024 (i32.shl (i32.and (i32.shr_u (local.get $b) (i32.const 16)) (i32.const 255)) (i32.const 2)))
                     (i32.load (i32.shl (i32.shr_u (local.get $b) (i32.const 24)) (i32.const 2)))))))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br $l8)))
    (block $d1 (loop $l1
      (br_if $d1 (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $crc (i32.xor (i32.load (i32.shl (i32.and (i32.xor (local.get $crc) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))
                               (i32.shr_u (local.get $crc) (i32.const 8))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $l1)))
    (local.get $crc))
)
