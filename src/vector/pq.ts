/**
 * Product quantisation (Jégou et al.): the dimensions are cut into `m` consecutive sub-vectors,
 * each gets a codebook of up to 256 centroids trained by k-means on a sample of the file's rows,
 * and a row is stored as the `m` bytes naming its nearest centroid in each sub-vector. A row of
 * 768 f32 (3 KiB) becomes 96 bytes with 8-dimension sub-vectors. A query scores a row by adding
 * `m` precomputed terms (hnsw-pq.ts), so traversal reads `m` bytes a row instead of `4·dim`.
 *
 * Each row also keeps how far its reconstruction lies from it (its residual norm), rounded up to
 * one byte of the file's largest: a search turns that into a sound interval for the row's exact
 * distance, and so never drops a row that could be in the top k.
 */
import { invalid } from '../errors.js'
import { seededRandom } from '../util/rng.js'
import { encodeF16, decodeF16, F16_MAX } from './f16.js'
import { samplePositions } from './kmeans.js'

/** Centroids per sub-vector codebook. */
export const PQ_CENTROIDS = 256

/** A trained quantiser: sub-vector `j` covers dimensions [starts[j], starts[j + 1]). */
export interface PqCodebook {
  dim: number
  /** Number of sub-vectors. */
  m: number
  /** Centroids per sub-vector (1..256). */
  k: number
  /** m + 1 boundaries. */
  starts: Int32Array
  /** Per sub-vector j, k centroids of its width, at `k * starts[j]` (so `k * dim` values in all). */
  centroids: Float32Array
  /** The centroids are f16 values (stored in half the bytes); false when one lies outside f16's range. */
  half: boolean
}

/** The quantised rows of a file. */
export interface PqCodes {
  /** rows x m codes, row-major. */
  codes: Uint8Array
  /** Per row, its residual norm as a fraction of `residualMax`, rounded up to /255. */
  residuals: Uint8Array
  /** The largest residual norm (rounded up to an f32). */
  residualMax: number
}

/** Sub-vector boundaries: `m` runs of consecutive dimensions, the first `dim % m` one wider. */
export function pqStarts(dim: number, m: number): Int32Array {
  if (!Number.isInteger(m) || m < 1 || m > dim) throw invalid(`pq: sub-vectors must be an integer in [1, ${dim}] (the dimension), got ${m}`, { subvectors: m, dim })
  const starts = new Int32Array(m + 1)
  const base = Math.floor(dim / m)
  const wide = dim % m
  for (let j = 0; j < m; j++) starts[j + 1] = (starts[j] as number) + base + (j < wide ? 1 : 0)
  return starts
}

/** The default number of sub-vectors: one per 8 dimensions (at least 1). */
export function defaultSubvectors(dim: number): number {
  return Math.max(1, Math.ceil(dim / 8))
}

/** Lloyd iterations per codebook; the sample is small and the codebook only steers traversal. */
const ITERATIONS = 8
/** Rows each codebook is trained on, per centroid. */
const SAMPLE_PER_CENTROID = 16

/**
 * Trains a codebook of `m` sub-vectors on `rows` rows of `vectors` (flat, row-major, already
 * normalised for cosine indexes). Deterministic for a given input and seed.
 */
export function trainPq(vectors: Float32Array, dim: number, rows: number, m: number, seed = 1): PqCodebook {
  const starts = pqStarts(dim, m)
  if (rows < 1) throw invalid('pq: no rows to train on')
  const k = Math.min(PQ_CENTROIDS, rows)
  const random = seededRandom(seed)
  const sample = samplePositions(rows, Math.min(rows, k * SAMPLE_PER_CENTROID), random)
  const centroids = new Float32Array(k * dim)
  for (let j = 0; j < m; j++) {
    const s0 = starts[j] as number
    const w = (starts[j + 1] as number) - s0
    const sub = new Float32Array(sample.length * w)
    for (let i = 0; i < sample.length; i++) {
      const at = (sample[i] as number) * dim + s0
      for (let t = 0; t < w; t++) sub[i * w + t] = vectors[at + t] as number
    }
    centroids.set(lloyd(sub, sample.length, w, k, random), k * s0)
  }
  // Rows are encoded against the centroids as stored, so residual bounds hold for what a reader decodes.
  const half = centroids.every((v) => Math.abs(v) <= F16_MAX)
  if (half) decodeF16(encodeF16(centroids), centroids)
  return { dim, m, k, starts, centroids, half }
}

/** k-means on `n` points of width `w`: seeded from distinct sample points, then Lloyd iterations. */
function lloyd(points: Float32Array, n: number, w: number, k: number, random: () => number): Float32Array {
  const c = new Float32Array(k * w)
  const seeds = samplePositions(n, k, random)
  for (let i = 0; i < k; i++) c.set(points.subarray((seeds[i] as number) * w, ((seeds[i] as number) + 1) * w), i * w)
  const assign = new Int32Array(n)
  const sums = new Float64Array(k * w)
  const sizes = new Int32Array(k)
  const norms = new Float64Array(k)
  for (let it = 0; it < ITERATIONS; it++) {
    nearestAll(points, n, w, c, k, norms, assign, undefined)
    sums.fill(0)
    sizes.fill(0)
    for (let i = 0; i < n; i++) {
      const a = assign[i] as number
      sizes[a] = (sizes[a] as number) + 1
      for (let t = 0; t < w; t++) sums[a * w + t] = (sums[a * w + t] as number) + (points[i * w + t] as number)
    }
    for (let a = 0; a < k; a++) {
      const size = sizes[a] as number
      // An empty centroid restarts at a random point, so all k stay useful.
      if (size === 0) {
        const r = Math.floor(random() * n)
        c.set(points.subarray(r * w, (r + 1) * w), a * w)
      } else for (let t = 0; t < w; t++) c[a * w + t] = (sums[a * w + t] as number) / size
    }
  }
  return c
}

/**
 * The nearest of `k` centroids (k x w) for each of `n` points (n x w) into `out`, and, when
 * `dist` is given, the squared distance to it. ||x - c||² = ||x||² - 2 x·c + ||c||², with ||x||²
 * left out of the comparison.
 */
function nearestAll(points: Float32Array, n: number, w: number, c: Float32Array, k: number, norms: Float64Array, out: Int32Array, dist: Float64Array | undefined): void {
  for (let a = 0; a < k; a++) {
    let s = 0
    for (let t = 0; t < w; t++) s += (c[a * w + t] as number) ** 2
    norms[a] = s
  }
  for (let i = 0; i < n; i++) {
    const p = i * w
    let best = 0
    let bestS = Infinity
    for (let a = 0; a < k; a++) {
      const q = a * w
      let d = 0
      for (let t = 0; t < w; t++) d += (points[p + t] as number) * (c[q + t] as number)
      const s = (norms[a] as number) - 2 * d
      if (s < bestS) {
        bestS = s
        best = a
      }
    }
    out[i] = best
    if (dist !== undefined) {
      let x = 0
      for (let t = 0; t < w; t++) x += ((points[p + t] as number) - (c[best * w + t] as number)) ** 2
      dist[i] = x
    }
  }
}

/** Encodes `rows` rows of `vectors` with `book`: their codes and residual bounds. */
export function encodePq(vectors: Float32Array, rows: number, book: PqCodebook): PqCodes {
  const { dim, m, k, starts, centroids } = book
  const codes = new Uint8Array(rows * m)
  const resid2 = new Float64Array(rows)
  const assign = new Int32Array(rows)
  const dist = new Float64Array(rows)
  const norms = new Float64Array(k)
  for (let j = 0; j < m; j++) {
    const s0 = starts[j] as number
    const w = (starts[j + 1] as number) - s0
    const sub = new Float32Array(rows * w)
    for (let r = 0; r < rows; r++) for (let t = 0; t < w; t++) sub[r * w + t] = vectors[r * dim + s0 + t] as number
    nearestAll(sub, rows, w, centroids.subarray(k * s0, k * (s0 + w)), k, norms, assign, dist)
    for (let r = 0; r < rows; r++) {
      codes[r * m + j] = assign[r] as number
      resid2[r] = (resid2[r] as number) + (dist[r] as number)
    }
  }
  return residualBytes(codes, resid2)
}

/**
 * Residual norms as bytes of their maximum. The norm is computed in f64 from f32 values; the
 * bound a byte stands for, `residualMax * byte / 255`, must not fall below it, so the maximum
 * is nudged up and each byte rounded up.
 */
function residualBytes(codes: Uint8Array, resid2: Float64Array): PqCodes {
  const rows = resid2.length
  let max = 0
  for (let r = 0; r < rows; r++) max = Math.max(max, Math.sqrt(resid2[r] as number))
  const residualMax = max === 0 ? 0 : Math.fround(max * (1 + 1e-6) + 1e-30)
  const residuals = new Uint8Array(rows)
  if (residualMax > 0) {
    for (let r = 0; r < rows; r++) {
      const q = Math.ceil((Math.sqrt(resid2[r] as number) / residualMax) * 255 * (1 + 1e-9))
      residuals[r] = Math.min(255, q)
    }
  }
  return { codes, residuals, residualMax }
}

/** Row `row`'s reconstruction from its codes (for tests and checks). */
export function reconstruct(book: PqCodebook, codes: Uint8Array, row: number): Float32Array {
  const { dim, m, k, starts, centroids } = book
  const out = new Float32Array(dim)
  for (let j = 0; j < m; j++) {
    const s0 = starts[j] as number
    const w = (starts[j + 1] as number) - s0
    const c = codes[row * m + j] as number
    out.set(centroids.subarray(k * s0 + c * w, k * s0 + (c + 1) * w), s0)
  }
  return out
}
