/**
 * The CPU-only part of a deferred index build, shared by the worker thread and the in-thread
 * fallback: vectors in, serialised HNSW bytes out. No I/O here.
 */
import { HnswIndex } from '../index/hnsw.js'
import type { Metric } from '../vector/types.js'

export interface BuildTask {
  /** rowCount × dim vectors exactly as stored in the file (decoded from its precision). */
  vectors: Float32Array
  dim: number
  metric: Metric
  M: number
  efConstruction: number
}

export function buildIndexBytes(task: BuildTask): Uint8Array {
  const index = HnswIndex.build(task.vectors, { metric: task.metric, dim: task.dim, M: task.M, efConstruction: task.efConstruction })
  return index.serialize()
}
