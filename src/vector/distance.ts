/**
 * Distance kernels. All three metrics are "smaller is closer":
 * - `cosine`: 1 - cos(a, b) (for unit vectors, 1 - a·b);
 * - `euclidean`: squared L2 (ranks the same as L2, and avoids a square root);
 * - `dot`: -(a·b).
 *
 * The flat kernels `dot` and `l2sq` round every step to f32 in the same fixed order as the
 * WebAssembly SIMD kernels in `simd.wat` (16 lanes, then a pairwise reduction, then the tail),
 * so the JS fallback and the SIMD path return bit-identical distances and identical search results.
 */
import { AilakeError, invalid } from '../errors.js'
import type { Metric } from './types.js'

const fr = Math.fround

/** Inner product of `a[aOff .. aOff+n)` and `b[bOff .. bOff+n)`, f32-exact in SIMD order. */
export function dot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0
  let s8 = 0, s9 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0
  let i = aOff
  let j = bOff
  const end = aOff + n
  const end16 = aOff + (n & ~15)
  const end4 = aOff + (n & ~3)
  // Offsets are in range by the callers' contract; `as number` keeps the hot loop free of checks.
  for (; i < end16; i += 16, j += 16) {
    s0 = fr(s0 + fr((a[i] as number) * (b[j] as number)))
    s1 = fr(s1 + fr((a[i + 1] as number) * (b[j + 1] as number)))
    s2 = fr(s2 + fr((a[i + 2] as number) * (b[j + 2] as number)))
    s3 = fr(s3 + fr((a[i + 3] as number) * (b[j + 3] as number)))
    s4 = fr(s4 + fr((a[i + 4] as number) * (b[j + 4] as number)))
    s5 = fr(s5 + fr((a[i + 5] as number) * (b[j + 5] as number)))
    s6 = fr(s6 + fr((a[i + 6] as number) * (b[j + 6] as number)))
    s7 = fr(s7 + fr((a[i + 7] as number) * (b[j + 7] as number)))
    s8 = fr(s8 + fr((a[i + 8] as number) * (b[j + 8] as number)))
    s9 = fr(s9 + fr((a[i + 9] as number) * (b[j + 9] as number)))
    s10 = fr(s10 + fr((a[i + 10] as number) * (b[j + 10] as number)))
    s11 = fr(s11 + fr((a[i + 11] as number) * (b[j + 11] as number)))
    s12 = fr(s12 + fr((a[i + 12] as number) * (b[j + 12] as number)))
    s13 = fr(s13 + fr((a[i + 13] as number) * (b[j + 13] as number)))
    s14 = fr(s14 + fr((a[i + 14] as number) * (b[j + 14] as number)))
    s15 = fr(s15 + fr((a[i + 15] as number) * (b[j + 15] as number)))
  }
  for (; i < end4; i += 4, j += 4) {
    s0 = fr(s0 + fr((a[i] as number) * (b[j] as number)))
    s1 = fr(s1 + fr((a[i + 1] as number) * (b[j + 1] as number)))
    s2 = fr(s2 + fr((a[i + 2] as number) * (b[j + 2] as number)))
    s3 = fr(s3 + fr((a[i + 3] as number) * (b[j + 3] as number)))
  }
  let r = reduce16(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15)
  for (; i < end; i++, j++) r = fr(r + fr((a[i] as number) * (b[j] as number)))
  return r
}

/** Squared L2 distance of two slices, f32-exact in SIMD order. */
export function l2sq(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0
  let s8 = 0, s9 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0
  let d: number
  let i = aOff
  let j = bOff
  const end = aOff + n
  const end16 = aOff + (n & ~15)
  const end4 = aOff + (n & ~3)
  for (; i < end16; i += 16, j += 16) {
    d = fr((a[i] as number) - (b[j] as number)); s0 = fr(s0 + fr(d * d))
    d = fr((a[i + 1] as number) - (b[j + 1] as number)); s1 = fr(s1 + fr(d * d))
    d = fr((a[i + 2] as number) - (b[j + 2] as number)); s2 = fr(s2 + fr(d * d))
    d = fr((a[i + 3] as number) - (b[j + 3] as number)); s3 = fr(s3 + fr(d * d))
    d = fr((a[i + 4] as number) - (b[j + 4] as number)); s4 = fr(s4 + fr(d * d))
    d = fr((a[i + 5] as number) - (b[j + 5] as number)); s5 = fr(s5 + fr(d * d))
    d = fr((a[i + 6] as number) - (b[j + 6] as number)); s6 = fr(s6 + fr(d * d))
    d = fr((a[i + 7] as number) - (b[j + 7] as number)); s7 = fr(s7 + fr(d * d))
    d = fr((a[i + 8] as number) - (b[j + 8] as number)); s8 = fr(s8 + fr(d * d))
    d = fr((a[i + 9] as number) - (b[j + 9] as number)); s9 = fr(s9 + fr(d * d))
    d = fr((a[i + 10] as number) - (b[j + 10] as number)); s10 = fr(s10 + fr(d * d))
    d = fr((a[i + 11] as number) - (b[j + 11] as number)); s11 = fr(s11 + fr(d * d))
    d = fr((a[i + 12] as number) - (b[j + 12] as number)); s12 = fr(s12 + fr(d * d))
    d = fr((a[i + 13] as number) - (b[j + 13] as number)); s13 = fr(s13 + fr(d * d))
    d = fr((a[i + 14] as number) - (b[j + 14] as number)); s14 = fr(s14 + fr(d * d))
    d = fr((a[i + 15] as number) - (b[j + 15] as number)); s15 = fr(s15 + fr(d * d))
  }
  for (; i < end4; i += 4, j += 4) {
    d = fr((a[i] as number) - (b[j] as number)); s0 = fr(s0 + fr(d * d))
    d = fr((a[i + 1] as number) - (b[j + 1] as number)); s1 = fr(s1 + fr(d * d))
    d = fr((a[i + 2] as number) - (b[j + 2] as number)); s2 = fr(s2 + fr(d * d))
    d = fr((a[i + 3] as number) - (b[j + 3] as number)); s3 = fr(s3 + fr(d * d))
  }
  let r = reduce16(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15)
  for (; i < end; i++, j++) {
    d = fr((a[i] as number) - (b[j] as number))
    r = fr(r + fr(d * d))
  }
  return r
}

// Mirrors simd.wat's $reduce: lane-wise (acc0+acc1)+(acc2+acc3), then (l0+l1)+(l2+l3).
function reduce16(
  s0: number, s1: number, s2: number, s3: number, s4: number, s5: number, s6: number, s7: number,
  s8: number, s9: number, s10: number, s11: number, s12: number, s13: number, s14: number, s15: number,
): number {
  const v0 = fr(fr(s0 + s4) + fr(s8 + s12))
  const v1 = fr(fr(s1 + s5) + fr(s9 + s13))
  const v2 = fr(fr(s2 + s6) + fr(s10 + s14))
  const v3 = fr(fr(s3 + s7) + fr(s11 + s15))
  return fr(fr(v0 + v1) + fr(v2 + v3))
}

/**
 * Squared norms (as `dot` computes them) below this, about 7.9e-31, leave a vector without a
 * reliable direction in f32: its squared components are subnormal, so the kernel's norm can be
 * off by any factor (or 0) and the cosine would land anywhere, even outside [-1, 1]. Above it,
 * underflow adds at most dim·2^-150 to any sum, a relative 2^-34 (see bounds.ts).
 */
export const COSINE_MIN_NORM2 = 2 ** -100

/**
 * Cosine distance from the kernels' a·b, a·a and b·b: 1 - cos, and exactly 1 when either vector
 * has no direction (squared norm below `COSINE_MIN_NORM2`, the zero vector included).
 */
export function cosineDistance(ab: number, na: number, nb: number): number {
  if (!(na >= COSINE_MIN_NORM2 && nb >= COSINE_MIN_NORM2)) return 1
  return 1 - ab / Math.sqrt(na * nb)
}

/**
 * The distance between two vectors under `metric` (smaller is closer). Cosine divides by both
 * norms, so it works on raw vectors; a zero (or directionless, see `COSINE_MIN_NORM2`) vector is
 * at cosine distance 1 from everything.
 * Throws `DIMENSION_MISMATCH` when the lengths differ.
 */
export function distance(metric: Metric, a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) {
    throw new AilakeError('DIMENSION_MISMATCH', `distance: vectors have ${a.length} and ${b.length} dimensions; both must have the same dimension`, {
      context: { a: a.length, b: b.length },
    })
  }
  const n = a.length
  switch (metric) {
    case 'euclidean':
      return l2sq(a, 0, b, 0, n)
    case 'dot':
      return -dot(a, 0, b, 0, n)
    case 'cosine':
      return cosineDistance(dot(a, 0, b, 0, n), dot(a, 0, a, 0, n), dot(b, 0, b, 0, n))
    default:
      throw invalid(`unknown metric ${JSON.stringify(metric)}; use 'cosine', 'euclidean' or 'dot'`, { metric })
  }
}

/** Throws `INVALID_ARGUMENT` unless `metric` is one of the supported metrics. */
export function checkMetric(metric: unknown): Metric {
  if (metric === 'cosine' || metric === 'euclidean' || metric === 'dot') return metric
  throw invalid(`unknown metric ${JSON.stringify(metric)}; use 'cosine', 'euclidean' or 'dot'`, { metric: String(metric) })
}
