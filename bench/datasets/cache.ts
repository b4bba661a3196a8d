/**
 * The benchmark data cache: each prepared data set lives in git-ignored `.cache/bench/<name>/`
 * as raw little-endian arrays plus `meta.json`, so later benchmark runs load it in a second.
 * Exact ground truth (top-100 per query) is computed here in worker threads.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { Metric } from '../../src/vector/types.js'
export { seededRandom } from '../../src/util/rng.js'

/** A prepared benchmark data set. */
export interface Dataset {
  name: string
  /** Base vectors, flat row-major (count * dim). */
  base: Float32Array
  dim: number
  count: number
  /** Held-out query vectors, flat (queryCount * dim); never part of `base`. */
  queries: Float32Array
  queryCount: number
  /** Exact nearest base ids per query (empty when loaded with `groundTruth: false`), `gtK` per query, nearest first (ties: smaller id). */
  groundTruth: Int32Array
  /** The matching exact distances (same scale as the index: 1-cos, squared L2). */
  groundTruthDistances: Float32Array
  /** Ground-truth neighbours per query (100), or 0 when not computed. */
  gtK: number
  metric: Metric
  /** GloVe only: the word of each base row and of each query. */
  words?: string[]
  queryWords?: string[]
}

export const GT_K = 100
const CACHE_VERSION = 1

/** Root of all local caches (git-ignored). */
export function cacheRoot(): string {
  return join(process.cwd(), '.cache')
}

function dir(name: string): string {
  return join(cacheRoot(), 'bench', name)
}

/** A little-endian f32 array file. */
export function readF32(path: string): Float32Array {
  const b = readFileSync(path)
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}

/** A little-endian i32 array file. */
export function readI32(path: string): Int32Array {
  const b = readFileSync(path)
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))
}

function bytesOf(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

/** The cached data set, or null when it has not been prepared yet. */
export function readCached(name: string): Dataset | null {
  const d = dir(name)
  const metaPath = join(d, 'meta.json')
  if (!existsSync(metaPath)) return null
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as {
    version: number; dim: number; count: number; queryCount: number; metric: Metric; gtK: number; hasWords: boolean
  }
  if (meta.version !== CACHE_VERSION) return null
  const ds: Dataset = {
    name, dim: meta.dim, count: meta.count, queryCount: meta.queryCount, metric: meta.metric, gtK: meta.gtK,
    base: readF32(join(d, 'base.f32')),
    queries: readF32(join(d, 'queries.f32')),
    groundTruth: meta.gtK > 0 ? readI32(join(d, 'gt.i32')) : new Int32Array(0),
    groundTruthDistances: meta.gtK > 0 ? readF32(join(d, 'gt-dist.f32')) : new Float32Array(0),
  }
  if (meta.hasWords) {
    const w = JSON.parse(readFileSync(join(d, 'words.json'), 'utf8')) as { base: string[]; queries: string[] }
    ds.words = w.base
    ds.queryWords = w.queries
  }
  if (ds.base.length !== ds.count * ds.dim || ds.queries.length !== ds.queryCount * ds.dim ||
    ds.groundTruth.length !== ds.queryCount * ds.gtK) return null
  return ds
}

/**
 * Writes a data set to the cache (ground truth only when `gtK > 0`); meta.json goes last so a
 * partial write is never read.
 */
export function writeCached(ds: Dataset, parts: { vectors: boolean } = { vectors: true }): void {
  const d = dir(ds.name)
  mkdirSync(d, { recursive: true })
  if (parts.vectors) {
    writeFileSync(join(d, 'base.f32'), bytesOf(ds.base))
    writeFileSync(join(d, 'queries.f32'), bytesOf(ds.queries))
    if (ds.words !== undefined) writeFileSync(join(d, 'words.json'), JSON.stringify({ base: ds.words, queries: ds.queryWords ?? [] }))
  }
  if (ds.gtK > 0) {
    writeFileSync(join(d, 'gt.i32'), bytesOf(ds.groundTruth))
    writeFileSync(join(d, 'gt-dist.f32'), bytesOf(ds.groundTruthDistances))
  }
  writeFileSync(join(d, 'meta.json'), JSON.stringify({
    version: CACHE_VERSION, name: ds.name, dim: ds.dim, count: ds.count, queryCount: ds.queryCount,
    metric: ds.metric, gtK: ds.gtK, hasWords: ds.words !== undefined, createdAt: new Date().toISOString(),
  }, null, 2))
}

/** Adds exact ground truth to a cached data set that lacks it (computed in 2 worker threads). */
export async function ensureGroundTruth(ds: Dataset, log: (line: string) => void): Promise<Dataset> {
  if (ds.gtK > 0) return ds
  log(`${ds.name}: computing exact top-${GT_K} for ${ds.queryCount} queries over ${ds.count} vectors (2 workers, once) ...`)
  const t = performance.now()
  const gt = await computeGroundTruth(ds.base, ds.dim, ds.metric, ds.queries, GT_K, 2)
  const full: Dataset = { ...ds, groundTruth: gt.ids, groundTruthDistances: gt.distances, gtK: GT_K }
  writeCached(full, { vectors: false })
  log(`${ds.name}: ground truth done in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  return full
}

/**
 * Exact top-`k` for every query, split over `workers` worker threads (see gt-worker.ts).
 */
export async function computeGroundTruth(base: Float32Array, dim: number, metric: Metric, queries: Float32Array,
  k: number, workers = 2): Promise<{ ids: Int32Array; distances: Float32Array }> {
  const queryCount = queries.length / dim
  const ids = new Int32Array(queryCount * k)
  const distances = new Float32Array(queryCount * k)
  const per = Math.ceil(queryCount / workers)
  const jobs: Promise<void>[] = []
  for (let w = 0; w < workers; w++) {
    const from = w * per
    const to = Math.min(queryCount, from + per)
    if (from >= to) continue
    jobs.push(new Promise((resolve, reject) => {
      const worker = new Worker(new URL('../gt-worker.js', import.meta.url), {
        workerData: { base, dim, metric, queries: queries.slice(from * dim, to * dim), k },
      })
      worker.once('message', (m: { ids: Int32Array; distances: Float32Array }) => {
        ids.set(m.ids, from * k)
        distances.set(m.distances, from * k)
        void worker.terminate()
        resolve()
      })
      worker.once('error', reject)
    }))
  }
  await Promise.all(jobs)
  return { ids, distances }
}

