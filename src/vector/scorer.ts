/**
 * Exact distances from one query to many stored rows, bit-identical to `distance()` but run on
 * the SIMD kernels: the plain-JS kernels round every step with Math.fround and cost ~1 µs per
 * 100-d row, which made re-scoring a query's candidates a tenth of a warm search.
 */
import { checkMetric, cosineDistance } from './distance.js'
import { ARENA_RESERVED, createArena, type VectorArena } from './simd.js'
import type { Metric } from './types.js'

let shared: VectorArena | undefined

/**
 * A scorer for `query`: `(vectors, offset)` returns `distance(metric, query, row)` for the row of
 * `query.length` values at `offset`. Scorers share one small arena, so each call copies its query
 * and row in (two short copies, far cheaper than the JS kernels).
 */
export function distanceFrom(metric: Metric, query: Float32Array): (vectors: Float32Array, offset: number) => number {
  checkMetric(metric)
  const n = query.length
  const qOff = ARENA_RESERVED
  const rOff = ARENA_RESERVED + n
  const arena = shared ?? createArena(rOff + n)
  shared = arena
  arena.ensure(rOff + n)
  arena.f32.set(query, qOff)
  const na = arena.dot(qOff, qOff, n)
  return (vectors, offset) => {
    const f32 = arena.f32
    f32.set(query, qOff)
    for (let j = 0; j < n; j++) f32[rOff + j] = vectors[offset + j] as number
    if (metric === 'euclidean') return arena.l2sq(qOff, rOff, n)
    const ab = arena.dot(qOff, rOff, n)
    if (metric === 'dot') return -ab
    return cosineDistance(ab, na, arena.dot(rOff, rOff, n))
  }
}
