/** Options of the HNSW index and their validation. */
import { invalid } from '../errors.js'
import type { Metric } from '../vector/types.js'
import type { SearchFilter } from './filter.js'
import type { OptionKeys } from '../util/options.js'

/** Options of `HnswIndex.build`. */
export interface HnswBuildOptions {
  /** Distance metric. Cosine indexes keep a normalised copy of the vectors. */
  metric: Metric
  /** Dimension; required when `vectors` is one flat Float32Array. */
  dim?: number
  /** Neighbours per node on upper levels (level 0 keeps 2M). Default 16. */
  M?: number
  /** Candidate list size while building; larger is slower and more accurate. Default 200. */
  efConstruction?: number
  /** Seed of the level generator. Default 42. */
  seed?: number
  /** Use WebAssembly SIMD kernels when available. Default true; false forces plain JS. */
  wasm?: boolean
  /** Called after every 256 vectors inserted (and at the end) with the count so far: progress, or a place to yield. */
  onProgress?: (inserted: number, total: number) => void
}

/** Options of `HnswIndex.search`. */
export interface HnswSearchOptions {
  /** Candidate list size; larger is slower and more accurate. Default max(k, 64). */
  ef?: number
  /** Allow-list applied inside the traversal (predicate or bitset, bit i set = id i allowed). */
  filter?: SearchFilter
  /**
   * How many ids a bitset `filter` allows, when the caller knows it (a cached allow-list queried
   * many times): saves counting the bitset on every search. It only chooses between the graph
   * and an exact scan, and must be exact.
   */
  allowed?: number
  /**
   * Traverse the graph on 8-bit scalar-quantised copies of the vectors (a quarter of the memory
   * traffic), then re-score the `ef` candidates on the exact vectors. Returned distances are
   * always exact. Default: true for indexes of 1,024 vectors or more.
   */
  quantized?: boolean
  /**
   * Also return every candidate whose distance is at most the k-th one plus `within` (from the
   * beam, or every such allowed row when the search scans). For callers that re-score with a
   * kernel that may order near-equal candidates differently: a cosine index scores normalised
   * copies of the vectors. Default 0 (exactly k).
   */
  within?: number
}

export const HNSW_BUILD_OPTION_KEYS = {
  metric: true, dim: true, M: true, efConstruction: true, seed: true, wasm: true, onProgress: true,
} as const satisfies OptionKeys<HnswBuildOptions>
export const HNSW_SEARCH_OPTION_KEYS = { ef: true, filter: true, allowed: true, quantized: true, within: true } as const satisfies OptionKeys<HnswSearchOptions>

export const DEFAULT_EF = 64

export function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw invalid(`HnswIndex: ${name} must be an integer in [${min}, ${max}], got ${v}`, { [name]: v })
  }
  return v
}
