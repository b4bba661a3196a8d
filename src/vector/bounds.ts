/**
 * A file's centroid and radius, and a lower bound on the distance from a query to any vector
 * of the file. Search visits files in bound order and skips a file once its bound exceeds the
 * current k-th distance, which is exact only if the bound never exceeds a true distance.
 *
 * - cosine: centroid = normalised mean direction of the normalised members, radius = the
 *   largest angle (radians) between the centroid and a member; by the triangle inequality on
 *   the sphere angle(q, v) >= angle(q, c) - radius, so 1 - cos(max(0, angle(q, c) - radius))
 *   bounds 1 - cos(q, v).
 * - euclidean (squared L2): centroid = mean, radius = largest L2 distance to a member;
 *   |q - v| >= |q - c| - radius.
 * - dot (-(q·v)): same ball; q·v = q·c + q·(v - c) <= q·c + |q| radius.
 *
 * Radii are computed in f64 against the f32-rounded centroid and rounded up to f32, and every
 * bound is lowered by a small slack so f32 rounding in the exact distance kernels (which sum
 * in f32) cannot push a true distance below its bound.
 */
import { invalid } from '../errors.js'
import type { Metric } from './types.js'

export interface Bounds {
  centroid: Float32Array
  radius: number
}

/** Relative slack absorbing f32 rounding of the distance kernels (≈ 100 × 2^-24, generous for 4096-d). */
const SLACK = 1e-5

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
      const n = Math.sqrt(sumSquares4(flat, off, dim))
      norms[r] = n
      if (n === 0) {
        zeroMember = true
        continue
      }
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
    if (zeroMember) return { centroid, radius: roundUpF32(Math.PI) }
    const c64 = Float64Array.from(centroid)
    let minCos = 1
    for (let r = 0; r < count; r++) {
      const cos = dot4(flat, r * dim, c64, dim) / ((norms[r] as number) * cn)
      if (cos < minCos) minCos = cos
    }
    return { centroid, radius: roundUpF32(Math.acos(Math.min(1, Math.max(-1, minCos)))) }
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
  const qn = norm(query, 0, dim)
  if (metric === 'cosine') {
    if (qn === 0) return 0 // a zero query is at distance 1 from everything; 0 is trivially sound
    const cn = norm(centroid, 0, dim)
    if (cn === 0) return 0
    let d = 0
    for (let j = 0; j < dim; j++) d += (query[j] as number) * (centroid[j] as number)
    const angle = Math.acos(Math.min(1, Math.max(-1, d / (qn * cn))))
    // Not clamped at 0: an f32 cosine distance of a near-identical vector can be slightly negative.
    return 1 - Math.cos(Math.max(0, angle - radius)) - SLACK
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
    const scale = (Math.sqrt(s) + radius) ** 2
    return Math.max(0, gap * gap - SLACK * scale)
  }
  if (metric === 'dot') {
    const cn = norm(centroid, 0, dim)
    return -qc - qn * radius - SLACK * qn * (cn + radius)
  }
  throw invalid(`lowerBound: unknown metric ${JSON.stringify(metric)}; use 'cosine', 'euclidean' or 'dot'`, { metric: String(metric) })
}
