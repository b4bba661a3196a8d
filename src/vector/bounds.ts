/**
 * A file's centroid and radius, and a lower bound on the distance from a query to any vector
 * of the file. Search visits files in bound order and skips a file once its bound exceeds the
 * current k-th distance, which is exact only if the bound never exceeds a distance as the exact
 * kernels (distance.ts, scorer.ts) compute it, rounding included.
 *
 * - cosine: centroid = normalised mean direction of the normalised members, radius = the
 *   largest angle (radians) between the centroid and a member; by the triangle inequality on
 *   the sphere angle(q, v) >= angle(q, c) - radius, so 1 - cos(max(0, angle(q, c) - radius))
 *   bounds 1 - cos(q, v). Members without a direction (`COSINE_MIN_NORM2`) are at distance
 *   exactly 1 from everything: they raise the radius to at least π/2, which caps the bound at 1.
 * - euclidean (squared L2): centroid = mean, radius = largest L2 distance to a member;
 *   |q - v| >= |q - c| - radius.
 * - dot (-(q·v)): same ball; q·v = q·c + q·(v - c) <= q·c + |q| radius.
 *
 * Radii are computed in f64 against the f32-rounded centroid and rounded up to f32. The kernels
 * sum in f32, so a computed distance can sit below the true one: by at most `kernelError(dim)`
 * times the sum of the absolute terms (standard summation analysis over the kernels' longest
 * chain of roundings), plus dim·2^-149 from terms that underflow. Every bound is lowered by
 * that much, taking the sum of absolute terms at its largest over the ball; inputs are finite
 * with norms below 2^62 (validate.ts), so no kernel overflows.
 */
import { invalid } from '../errors.js'
import { COSINE_MIN_NORM2, dot } from './distance.js'
import type { Metric } from './types.js'

export interface Bounds {
  centroid: Float32Array
  radius: number
}

/**
 * A bound on the relative error of the f32 kernels over `dim` elements, as a fraction of the sum
 * of the absolute terms. The longest chain of roundings in distance.ts's order is dim/16 adds
 * per lane, 3 in the 4-wide loop, 4 in the reduction, 3 in the scalar tail and 2 forming a term
 * (difference and square), so L <= dim/16 + 12 and the error is at most γ_L = L·u/(1 - L·u) with
 * u = 2^-24; twice L·u covers γ_L and the f64 rounding of the bound itself.
 */
export function kernelError(dim: number): number {
  return 2 * (Math.ceil(dim / 16) + 12) * 2 ** -24
}

/** Absolute error from terms that underflow: at most 2^-150 per rounding, dim terms plus the chain. */
function underflowError(dim: number): number {
  return (2 * dim + 64) * 2 ** -149
}

function roundUpF32(x: number): number {
  const r = Math.fround(x * (1 + 1e-6))
  return r < x ? Math.fround(x * (1 + 1e-5)) : r
}

function norm(a: Float32Array, off: number, dim: number): number {
  let s = 0
  for (let j = 0; j < dim; j++) {
    const x = a[off + j] as number
    s += x * x
  }
  return Math.sqrt(s)
}

// Four independent accumulators: the loop-carried dependency of one sum, not the loads, bounded
// these loops, and they run over every vector of every file written.
function sumSquares4(a: Float32Array, off: number, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0
  let j = 0
  for (; j + 3 < dim; j += 4) {
    const x0 = a[off + j] as number, x1 = a[off + j + 1] as number, x2 = a[off + j + 2] as number, x3 = a[off + j + 3] as number
    s0 += x0 * x0; s1 += x1 * x1; s2 += x2 * x2; s3 += x3 * x3
  }
  for (; j < dim; j++) {
    const x = a[off + j] as number
    s0 += x * x
  }
  return (s0 + s1) + (s2 + s3)
}

function dot4(a: Float32Array, off: number, c: Float64Array, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0
  let j = 0
  for (; j + 3 < dim; j += 4) {
    s0 += (a[off + j] as number) * (c[j] as number)
    s1 += (a[off + j + 1] as number) * (c[j + 1] as number)
    s2 += (a[off + j + 2] as number) * (c[j + 2] as number)
    s3 += (a[off + j + 3] as number) * (c[j + 3] as number)
  }
  for (; j < dim; j++) s0 += (a[off + j] as number) * (c[j] as number)
  return (s0 + s1) + (s2 + s3)
}

function distSq4(a: Float32Array, off: number, c: Float64Array, dim: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0
  let j = 0
  for (; j + 3 < dim; j += 4) {
    const x0 = (a[off + j] as number) - (c[j] as number), x1 = (a[off + j + 1] as number) - (c[j + 1] as number)
    const x2 = (a[off + j + 2] as number) - (c[j + 2] as number), x3 = (a[off + j + 3] as number) - (c[j + 3] as number)
    s0 += x0 * x0; s1 += x1 * x1; s2 += x2 * x2; s3 += x3 * x3
  }
  for (; j < dim; j++) {
    const x = (a[off + j] as number) - (c[j] as number)
    s0 += x * x
  }
  return (s0 + s1) + (s2 + s3)
}

/**
 * Centroid and radius of `flat` (count × dim) under `metric`. Throws `INVALID_ARGUMENT` for an
 * empty input or a length that is not a multiple of `dim`.
 */
export function computeBounds(flat: Float32Array, dim: number, metric: Metric): Bounds {
  if (!Number.isInteger(dim) || dim <= 0) throw invalid(`computeBounds: dim must be a positive integer, got ${dim}`, { dim })
  if (flat.length === 0) throw invalid('computeBounds: no vectors; a centroid needs at least one vector')
  if (flat.length % dim !== 0) {
    throw invalid(`computeBounds: ${flat.length} values is not a multiple of dim ${dim}`, { length: flat.length, dim })
  }
  const count = flat.length / dim
  // Monomorphic loops over the f32 input with f64 accumulators: this runs on every file write.
  const mean = new Float64Array(dim)
  const norms = metric === 'cosine' ? new Float64Array(count) : undefined
  let zeroMember = false
  for (let r = 0; r < count; r++) {
    const off = r * dim
    let w = 1
    if (norms !== undefined) {
      // The kernel's own test (its f32 norm), so a member is directionless here iff it is there.
      if (!(dot(flat, off, flat, off, dim) >= COSINE_MIN_NORM2)) {
        zeroMember = true
        continue
      }
      const n = Math.sqrt(sumSquares4(flat, off, dim))
      norms[r] = n
      w = 1 / n
    }
    for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (flat[off + j] as number) * w
  }
  const centroid = new Float32Array(dim)
  if (norms !== undefined) {
    let n = 0
    for (let j = 0; j < dim; j++) n += (mean[j] as number) * (mean[j] as number)
    n = Math.sqrt(n)
    if (n === 0) {
      // Members cancel out (or are all zero): any direction works with radius π.
      mean.fill(0)
      mean[0] = 1
      n = 1
    }
    for (let j = 0; j < dim; j++) centroid[j] = (mean[j] as number) / n
    const cn = norm(centroid, 0, dim)
    const c64 = Float64Array.from(centroid)
    let minCos = 1
    for (let r = 0; r < count; r++) {
      const nr = norms[r] as number
      if (nr === 0) continue // directionless, covered below
      const cos = dot4(flat, r * dim, c64, dim) / (nr * cn)
      if (cos < minCos) minCos = cos
    }
    const angle = Math.acos(Math.min(1, Math.max(-1, minCos)))
    return { centroid, radius: roundUpF32(zeroMember ? Math.max(angle, Math.PI / 2) : angle) }
  }
  for (let j = 0; j < dim; j++) centroid[j] = (mean[j] as number) / count
  const c64 = Float64Array.from(centroid)
  let maxSq = 0
  for (let r = 0; r < count; r++) {
    const s = distSq4(flat, r * dim, c64, dim)
    if (s > maxSq) maxSq = s
  }
  return { centroid, radius: roundUpF32(Math.sqrt(maxSq)) }
}

/**
 * A lower bound on `distance(metric, query, v)` for every `v` within `radius` of `centroid`
 * (as produced by `computeBounds` for the same metric). Never NaN for finite inputs.
 */
export function lowerBound(metric: Metric, query: Float32Array, centroid: Float32Array, radius: number): number {
  const dim = centroid.length
  if (query.length !== dim) {
    throw invalid(`lowerBound: query has ${query.length} dimensions, centroid has ${dim}`, { query: query.length, dim })
  }
  const eps = kernelError(dim)
  const tiny = underflowError(dim)
  const qn = norm(query, 0, dim)
  if (metric === 'cosine') {
    // A directionless query (by the kernel's own test) is at distance exactly 1 from everything.
    if (!(dot(query, 0, query, 0, dim) >= COSINE_MIN_NORM2)) return 0
    const cn = norm(centroid, 0, dim)
    if (cn === 0) return 0
    let d = 0
    for (let j = 0; j < dim; j++) d += (query[j] as number) * (centroid[j] as number)
    const angle = Math.acos(Math.min(1, Math.max(-1, d / (qn * cn))))
    // The kernel's cosine is within 2·eps of the true one (a·b, |a|^2 and |b|^2 each within eps,
    // relative), plus 2^-34 from underflow above COSINE_MIN_NORM2. Not clamped at 0: an f32
    // cosine distance of a near-identical vector can be slightly negative.
    return 1 - Math.cos(Math.max(0, angle - radius)) - 3 * eps - 2 ** -30
  }
  let s = 0
  let qc = 0
  for (let j = 0; j < dim; j++) {
    const q = query[j] as number
    const c = centroid[j] as number
    s += (q - c) * (q - c)
    qc += q * c
  }
  if (metric === 'euclidean') {
    const gap = Math.sqrt(s) - radius
    if (gap <= 0) return 0
    // The terms sum to the true distance, at most (|q - c| + radius)^2 inside the ball.
    return Math.max(0, gap * gap - eps * (Math.sqrt(s) + radius) ** 2 - tiny)
  }
  if (metric === 'dot') {
    // The absolute terms sum to at most |q||v| <= |q|(|c| + radius).
    const cn = norm(centroid, 0, dim)
    return -qc - qn * radius - eps * qn * (cn + radius) - tiny
  }
  throw invalid(`lowerBound: unknown metric ${JSON.stringify(metric)}; use 'cosine', 'euclidean' or 'dot'`, { metric: String(metric) })
}
