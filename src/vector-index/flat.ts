/**
 * Exact (brute-force) k-nearest-neighbour search, for small or unindexed sets and as the
 * reference the HNSW index is tested against.
 */
import { AilakeError, invalid } from '../errors.js'
import { checkMetric, cosineDistance, dot, l2sq } from '../vector/distance.js'
import type { Metric } from '../vector/types.js'
import { validateVectors } from '../vector/validate.js'
import { MaxHeap, drainBestFirst } from './heap.js'
import { bitAllowed, checkFilter, EMPTY_RESULT } from './filter.js'
import type { SearchFilter, SearchResult } from './filter.js'
import { checkOptions } from '../util/options.js'

/** Throws `INVALID_ARGUMENT` unless k is a positive integer. */
export function checkK(k: number): void {
  if (!Number.isSafeInteger(k) || k <= 0) throw invalid(`search: k must be a positive integer, got ${k}`, { k })
}

/** Checks a query's dimension and values. */
export function checkQuery(query: Float32Array, dim: number): void {
  if (!(query instanceof Float32Array)) throw invalid('search: the query must be a Float32Array', { type: typeof query })
  if (query.length !== dim) {
    throw new AilakeError('DIMENSION_MISMATCH', `search: the query has ${query.length} dimensions but the vectors have ${dim}`, {
      context: { got: query.length, expected: dim },
    })
  }
  validateVectors(query, dim, 'query')
}

/**
 * The exact `k` nearest rows of `vectors` (flat, row-major, `dim` values per row) to `query`,
 * best first. Cosine is computed on the raw vectors (1 - cos). `options.filter` restricts the
 * result to allowed ids. Returns fewer than `k` only when fewer rows are allowed.
 */
export function flatSearch(
  vectors: Float32Array, dim: number, metric: Metric, query: Float32Array, k: number,
  options: { filter?: SearchFilter } = {},
): SearchResult {
  checkMetric(metric)
  checkK(k)
  checkOptions(options, { filter: true }, 'flatSearch()')
  if (!Number.isSafeInteger(dim) || dim <= 0) throw invalid(`flatSearch: dim must be a positive integer, got ${dim}`, { dim })
  if (vectors.length % dim !== 0) {
    throw new AilakeError('DIMENSION_MISMATCH', `flatSearch: ${vectors.length} values are not a whole number of ${dim}-dimensional vectors`, {
      context: { length: vectors.length, dim },
    })
  }
  checkQuery(query, dim)
  const filter = checkFilter(options.filter)
  const count = vectors.length / dim
  if (count === 0) return EMPTY_RESULT
  const heap = new MaxHeap(k + 1)
  const qn2 = metric === 'cosine' ? dot(query, 0, query, 0, dim) : 0
  for (let id = 0, off = 0; id < count; id++, off += dim) {
    if (filter !== undefined && (typeof filter === 'function' ? !filter(id) : !bitAllowed(filter, id))) continue
    let d: number
    if (metric === 'euclidean') d = l2sq(query, 0, vectors, off, dim)
    else if (metric === 'dot') d = -dot(query, 0, vectors, off, dim)
    else d = cosineDistance(dot(query, 0, vectors, off, dim), qn2, dot(vectors, off, vectors, off, dim))
    if (heap.size < k) heap.push(d, id)
    else if (d < heap.topDist()) {
      heap.pop()
      heap.push(d, id)
    }
  }
  return drainBestFirst(heap, k)
}
