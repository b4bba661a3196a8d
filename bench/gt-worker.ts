// Worker thread: exact top-k of a slice of queries against all base vectors, with the same
// SIMD kernels and distance scale as the index (cosine: 1 - dot of normalised vectors).
import { parentPort, workerData } from 'node:worker_threads'
import { createArena } from '../src/vector/simd.js'
import { normalizeInPlace } from '../src/vector/normalize.js'
import { MaxHeap, drainBestFirst } from '../src/vector-index/heap.js'
import type { Metric } from '../src/vector/types.js'

const { base, dim, metric, queries, k } = workerData as { base: Float32Array; dim: number; metric: Metric; queries: Float32Array; k: number }
const count = base.length / dim
const qn = queries.length / dim
const arena = createArena(dim * (count + 1))
const f32 = arena.f32
f32.set(base, dim)
if (metric === 'cosine') normalizeInPlace(f32.subarray(dim, dim * (count + 1)), dim)
const ids = new Int32Array(qn * k)
const distances = new Float32Array(qn * k)
const heap = new MaxHeap(k + 1)
for (let q = 0; q < qn; q++) {
  f32.set(queries.subarray(q * dim, (q + 1) * dim), 0)
  if (metric === 'cosine') normalizeInPlace(f32.subarray(0, dim), dim)
  heap.clear()
  for (let i = 0, off = dim; i < count; i++, off += dim) {
    const d = metric === 'euclidean' ? arena.l2sq(0, off, dim) : metric === 'cosine' ? 1 - arena.dot(0, off, dim) : -arena.dot(0, off, dim)
    if (heap.size < k) heap.push(d, i)
    else if (d < heap.topDist()) {
      heap.pop()
      heap.push(d, i)
    }
  }
  const r = drainBestFirst(heap, k)
  ids.set(r.ids, q * k)
  distances.set(r.distances, q * k)
}
parentPort?.postMessage({ ids, distances }, [ids.buffer, distances.buffer])
