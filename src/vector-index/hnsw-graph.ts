/**
 * The raw graph state of an HNSW index, shared by the index and its codec. No per-node
 * objects: level 0 lists live in one fixed-stride Int32Array (`[count, id0, id1, ...]`, stride
 * 2M+1); upper levels of node `i` live in `upper` from `upperOff[i]`, one fixed-stride list
 * (stride M+1) per level 1..levels[i].
 */
import type { Metric } from '../vector/types.js'

export interface HnswGraph {
  metric: Metric
  dim: number
  count: number
  M: number
  efConstruction: number
  /** Highest level of any node (0 when empty). */
  maxLevel: number
  /** Entry point id, -1 when empty. */
  entry: number
  /** Top level of each node (length >= count). */
  levels: Uint8Array
  /** Level-0 lists, stride 2M+1 (length >= count * (2M+1)). */
  links0: Int32Array
  /** Start of each node's upper lists in `upper`, -1 for level-0-only nodes. */
  upperOff: Int32Array
  /** Upper-level lists; `upperLen` elements are in use. */
  upper: Int32Array
  upperLen: number
}

/** Highest level a node may get; keeps levels in a u8 and the descent short. */
export const MAX_LEVEL = 31

export const METRIC_CODES: readonly Metric[] = ['cosine', 'euclidean', 'dot']
