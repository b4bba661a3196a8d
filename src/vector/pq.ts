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
import { ARENA_RESERVED, createArena, type VectorArena } from './simd.js'

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
const ITERATIONS = 6
/** Rows each codebook is trained on, per centroid. */
const SAMPLE_PER_CENTROID = 12

/**
 * Trains a codebook of `m` sub-vectors on `rows` rows of `vectors` (flat, row-major, already
 * normalised for cosine indexes). Deterministic for a given input and seed, with or without
 * WebAssembly (the assignment kernels agree bit for bit).
 */
export function trainPq(vectors: Float32Array, dim: number, rows: number, m: number, seed = 1, wasm?: boolean): PqCodebook {
  const starts = pqStarts(dim, m)
  if (rows < 1) throw invalid('pq: no rows to train on')
  const k = Math.min(PQ_CENTROIDS, rows)
  const random = seededRandom(seed)
  const sample = samplePositions(rows, Math.min(rows, k * SAMPLE_PER_CENTROID), random)
  const centroids = new Float32Array(k * dim)
  const assigner = new Assigner(sample.length, maxWidth(starts), k, wasm)
  for (let j = 0; j < m; j++) {
    const s0 = starts[j] as number
    const w = (starts[j + 1] as number) - s0
    const sub = new Float32Array(sample.length * w)
    for (let i = 0; i < sample.length; i++) {
      const at = (sample[i] as number) * dim + s0
      for (let t = 0; t < w; t++) sub[i * w + t] = vectors[at + t] as number
    }
    assigner.load(sub, sample.length, w)
    centroids.set(lloyd(assigner, sub, sample.length, w, k, random), k * s0)
  }
  // Rows are encoded against the centroids as stored, so residual bounds hold for what a reader decodes.
  const half = centroids.every((v) => Math.abs(v) <= F16_MAX)
  if (half) decodeF16(encodeF16(centroids), centroids)
  return { dim, m, k, starts, centroids, half }
}

/** The widest sub-vector's dimensions. */
export function maxWidth(starts: Int32Array): number {
  let w = 0
  for (let j = 1; j < starts.length; j++) w = Math.max(w, (starts[j] as number) - (starts[j - 1] as number))
  return w
}

/** k-means on the `n` points of width `w` loaded in `assigner`: seeded from distinct points, then Lloyd iterations. */
function lloyd(assigner: Assigner, points: Float32Array, n: number, w: number, k: number, random: () => number): Float32Array {
  const c = new Float32Array(k * w)
  const seeds = samplePositions(n, k, random)
  for (let i = 0; i < k; i++) c.set(points.subarray((seeds[i] as number) * w, ((seeds[i] as number) + 1) * w), i * w)
  const assign = new Int32Array(n)
  const sums = new Float64Array(k * w)
  const sizes = new Int32Array(k)
  for (let it = 0; it < ITERATIONS; it++) {
    assigner.assign(c, k, assign)
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
 * Nearest-centroid assignment in the arena's `pqAssign` kernel (WebAssembly SIMD, four centroids
 * at a time): points are loaded once, then assigned against each new set of centroids.
 */
class Assigner {
  private readonly arena: VectorArena
  private readonly xs: number
  private readonly cn: number
  private readonly cT: number
  private readonly pts: number
  private readonly sc: number
  private readonly out: number
  private readonly k4: number
  private n = 0
  private w = 0

  constructor(maxPoints: number, maxW: number, k: number, wasm?: boolean) {
    this.k4 = Math.ceil(k / 4) * 4
    this.xs = ARENA_RESERVED * 4
    this.cn = this.xs + 16 * maxW
    this.cT = this.cn + 4 * this.k4
    this.pts = this.cT + 4 * maxW * this.k4
    this.sc = this.pts + 4 * maxW * maxPoints
    this.out = this.sc + 4 * this.k4
    this.arena = createArena(this.out / 4 + maxPoints, wasm === undefined ? {} : { wasm })
  }

  load(points: Float32Array, n: number, w: number): void {
    this.n = n
    this.w = w
    this.arena.f32.set(points.subarray(0, n * w), this.pts >> 2)
  }

  /** out[i] = the nearest of `k` centroids (k x w, row-major) to loaded point i. */
  assign(centroids: Float32Array, k: number, out: Int32Array): void {
    const { arena, k4, w, n } = this
    const f32 = arena.f32
    const cn = this.cn >> 2
    const cT = this.cT >> 2
    for (let c = 0; c < k4; c++) {
      if (c >= k) {
        f32[cn + c] = Infinity
        for (let t = 0; t < w; t++) f32[cT + t * k4 + c] = 0
        continue
      }
      let s = 0
      for (let t = 0; t < w; t++) {
        const v = centroids[c * w + t] as number
        f32[cT + t * k4 + c] = v
        s += v * v
      }
      f32[cn + c] = s
    }
    arena.pqAssign(this.pts, n, w, this.cT, k4, this.cn, this.xs, this.sc, this.out)
    out.set(new Int32Array(arena.f32.buffer, this.out, n))
  }
}

/** Encodes `rows` rows of `vectors` with `book`: their codes and residual bounds. */
export function encodePq(vectors: Float32Array, rows: number, book: PqCodebook, wasm?: boolean): PqCodes {
  const { dim, m, k, starts, centroids } = book
  const codes = new Uint8Array(rows * m)
  const resid2 = new Float64Array(rows)
  const assign = new Int32Array(rows)
  const maxW = maxWidth(starts)
  const assigner = new Assigner(rows, maxW, k, wasm)
  const sub = new Float32Array(rows * maxW)
  for (let j = 0; j < m; j++) {
    const s0 = starts[j] as number
    const w = (starts[j + 1] as number) - s0
    for (let r = 0; r < rows; r++) for (let t = 0; t < w; t++) sub[r * w + t] = vectors[r * dim + s0 + t] as number
    assigner.load(sub, rows, w)
    const c = centroids.subarray(k * s0, k * (s0 + w))
    assigner.assign(c, k, assign)
    // The residual is computed here in f64 whatever the kernel's roundings: the bound must hold.
    for (let r = 0; r < rows; r++) {
      const a = assign[r] as number
      codes[r * m + j] = a
      let x = 0
      for (let t = 0; t < w; t++) x += ((sub[r * w + t] as number) - (c[a * w + t] as number)) ** 2
      resid2[r] = (resid2[r] as number) + x
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
