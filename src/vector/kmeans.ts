/**
 * k-means for laying rows out in files by proximity: k-means++ seeding and Lloyd iterations on a
 * sample, then assignment of every vector to its nearest centroid. Cosine tables cluster on the
 * unit sphere (spherical k-means: normalised vectors, centroids renormalised, nearest by largest
 * dot product); euclidean and dot tables cluster by squared L2. The distance batches run on the
 * SIMD kernels (vector/simd.ts).
 */
import { invalid } from '../errors.js'
import { seededRandom } from '../util/rng.js'
import { ARENA_RESERVED, BATCH, createArena, type VectorArena } from './simd.js'
import type { Metric } from './types.js'

export interface KMeansOptions {
  /** Number of clusters, 1..512. */
  k: number
  metric: Metric
  /** Lloyd iterations on the sample. Default 12. */
  iterations?: number
  /** Vectors the centroids are trained on (a seeded sample when there are more). Default 64 per cluster, at least 10,000. */
  sampleSize?: number
  /** Seed of the sample and the seeding. Default 1. */
  seed?: number
}

/** Whether a metric clusters on the unit sphere. */
const spherical = (metric: Metric): boolean => metric === 'cosine'

function checkInput(vectors: Float32Array, dim: number): number {
  if (!Number.isInteger(dim) || dim < 1) throw invalid(`kmeans: dim must be a positive integer, got ${dim}`)
  if (vectors.length % dim !== 0) throw invalid(`kmeans: ${vectors.length} values is not a multiple of dim ${dim}`)
  return vectors.length / dim
}

/** Row `r` of `src`, normalised when `unit` (zero rows stay zero). */
function rowInto(src: Float32Array, r: number, dim: number, unit: boolean, out: Float32Array, at: number): void {
  let n = 0
  for (let j = 0; j < dim; j++) {
    const x = src[r * dim + j] as number
    out[at + j] = x
    n += x * x
  }
  if (unit && n > 0) {
    const inv = 1 / Math.sqrt(n)
    for (let j = 0; j < dim; j++) out[at + j] = (out[at + j] as number) * inv
  }
}

/**
 * Nearest-centroid search over the arena: centroids live at `base`, the query is copied to
 * ARENA_RESERVED. Returns [index, squared distance or -dot].
 */
class Nearest {
  private readonly arena: VectorArena
  private readonly base: number
  constructor(private readonly centroids: Float32Array, private readonly k: number, private readonly dim: number, private readonly unit: boolean) {
    this.base = ARENA_RESERVED + dim
    this.arena = createArena(this.base + k * dim)
    this.arena.f32.set(centroids, this.base)
    for (let i = 0; i < Math.min(k, BATCH); i++) this.arena.batchIds[i] = i
  }

  /** Index of the nearest centroid to row `r` of `src` (normalised first when spherical). */
  find(src: Float32Array, r: number): { index: number; score: number } {
    const { arena, dim, k } = this
    rowInto(src, r, dim, this.unit, arena.f32, ARENA_RESERVED)
    if (this.unit) arena.dotBatch(ARENA_RESERVED, k, this.base, dim)
    else arena.l2Batch(ARENA_RESERVED, k, this.base, dim)
    const out = arena.batchOut
    let best = 0
    let bestScore = this.unit ? -(out[0] as number) : (out[0] as number)
    for (let c = 1; c < k; c++) {
      const s = this.unit ? -(out[c] as number) : (out[c] as number)
      if (s < bestScore) {
        bestScore = s
        best = c
      }
    }
    return { index: best, score: bestScore }
  }

  refresh(): void {
    this.arena.f32.set(this.centroids, this.base)
  }
}

/** Trains `k` centroids (k × dim, row-major) on `vectors` (count × dim). */
export function trainKMeans(vectors: Float32Array, dim: number, options: KMeansOptions): Float32Array {
  const count = checkInput(vectors, dim)
  const { k, metric } = options
  if (!Number.isInteger(k) || k < 1 || k > BATCH) throw invalid(`kmeans: k must be an integer in [1, ${BATCH}], got ${k}`)
  if (count === 0) throw invalid('kmeans: no vectors to cluster')
  const unit = spherical(metric)
  const random = seededRandom(options.seed ?? 1)
  // The sample, as its own (normalised) array.
  const want = Math.min(count, options.sampleSize ?? Math.max(10_000, 64 * k))
  const picks = want === count ? Array.from({ length: count }, (_, i) => i) : samplePositions(count, want, random)
  const sample = new Float32Array(picks.length * dim)
  picks.forEach((r, i) => rowInto(vectors, r, dim, unit, sample, i * dim))
  const n = picks.length
  const kk = Math.min(k, n)
  const centroids = new Float32Array(k * dim)

  // k-means++ seeding: each next centroid drawn with probability proportional to its squared
  // distance to the nearest one chosen so far.
  const d2 = new Float64Array(n).fill(Infinity)
  let pick = Math.floor(random() * n)
  for (let c = 0; c < kk; c++) {
    centroids.set(sample.subarray(pick * dim, (pick + 1) * dim), c * dim)
    let total = 0
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let j = 0; j < dim; j++) {
        const x = (sample[i * dim + j] as number) - (centroids[c * dim + j] as number)
        s += x * x
      }
      if (s < (d2[i] as number)) d2[i] = s
      total += d2[i] as number
    }
    if (c + 1 === kk) break
    let target = random() * total
    pick = n - 1
    for (let i = 0; i < n; i++) {
      target -= d2[i] as number
      if (target <= 0) {
        pick = i
        break
      }
    }
  }
  // Lloyd iterations on the sample.
  const nearest = new Nearest(centroids, k, dim, unit)
  const sums = new Float64Array(k * dim)
  const sizes = new Int32Array(k)
  for (let it = 0; it < (options.iterations ?? 12); it++) {
    sums.fill(0)
    sizes.fill(0)
    for (let i = 0; i < n; i++) {
      const c = nearest.find(sample, i).index
      sizes[c] = (sizes[c] as number) + 1
      for (let j = 0; j < dim; j++) sums[c * dim + j] = (sums[c * dim + j] as number) + (sample[i * dim + j] as number)
    }
    let moved = false
    for (let c = 0; c < kk; c++) {
      if (sizes[c] === 0) {
        // An empty cluster restarts at a random sample vector.
        const r = Math.floor(random() * n)
        centroids.set(sample.subarray(r * dim, (r + 1) * dim), c * dim)
        moved = true
        continue
      }
      let norm = 0
      for (let j = 0; j < dim; j++) {
        const v = (sums[c * dim + j] as number) / (sizes[c] as number)
        sums[c * dim + j] = v
        norm += v * v
      }
      const scale = unit && norm > 0 ? 1 / Math.sqrt(norm) : 1
      for (let j = 0; j < dim; j++) {
        const v = Math.fround((sums[c * dim + j] as number) * scale)
        if (v !== centroids[c * dim + j]) moved = true
        centroids[c * dim + j] = v
      }
    }
    nearest.refresh()
    if (!moved) break
  }
  return centroids.subarray(0, kk * dim).slice()
}

/** The nearest of `centroids` (k × dim) for every row of `vectors`. */
export function assignNearest(vectors: Float32Array, dim: number, centroids: Float32Array, metric: Metric): Int32Array {
  const count = checkInput(vectors, dim)
  const k = checkInput(centroids, dim)
  if (k < 1 || k > BATCH) throw invalid(`kmeans: ${k} centroids; between 1 and ${BATCH} are supported`)
  const nearest = new Nearest(centroids, k, dim, spherical(metric))
  const out = new Int32Array(count)
  for (let r = 0; r < count; r++) out[r] = nearest.find(vectors, r).index
  return out
}

/** `want` distinct positions in [0, count), ascending (Floyd's algorithm, then sorted). */
export function samplePositions(count: number, want: number, random: () => number): number[] {
  const chosen = new Set<number>()
  for (let j = count - want; j < count; j++) {
    const t = Math.floor(random() * (j + 1))
    chosen.add(chosen.has(t) ? j : t)
  }
  return [...chosen].sort((a, b) => a - b)
}
