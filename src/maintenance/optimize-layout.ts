/**
 * How optimize lays rows out: k-means clusters trained (and loose rows assigned) within each
 * partition of the table's default spec, so a file never mixes partitions and a partition filter
 * keeps its clusters. A cluster id names one centroid of the layout and belongs to one partition;
 * an unpartitioned table is one partition holding every row.
 */
import type { Layout } from '../format/layout.js'
import { partitionKey } from '../format/iceberg/partition-transform.js'
import type { DataFile, PartitionSpec } from '../format/iceberg/types.js'
import type { Schema } from '../format/schema.js'
import { partitionRows, type PartitionGroup } from '../table/partition.js'
import type { VectorPolicy } from '../table/vector-policy.js'
import { assignNearest, trainKMeans } from '../vector/kmeans.js'
import type { PlanMode } from './optimize-plan.js'

/** The rows optimize lays out (a subset of its pool: columns by field id, vectors, known labels). */
export interface LayoutRows {
  schema: Schema
  columns: Map<number, unknown[]>
  vectors: Float32Array
  /** Layout cluster of each row, where known (-1: loose). */
  labels: Int32Array
  rows: number
}

/** One output file: its partition, its cluster (none for compaction) and its rows. */
export interface OutputGroup {
  tuple: Record<string, unknown>
  cluster: number | undefined
  rows: number[]
}

/** The key of a partition tuple under `spec` (field order), to match rows with files. */
export function tupleKey(spec: PartitionSpec, tuple: Record<string, unknown>): string {
  return partitionKey(spec.fields.map((f) => tuple[f.name] ?? null))
}

/** The pool's rows by partition under `spec`. */
export function poolPartitions(spec: PartitionSpec, pool: LayoutRows): PartitionGroup[] {
  return partitionRows(spec, pool.schema, pool.columns, pool.rows)
}

function vectorsOf(pool: LayoutRows, rows: readonly number[], dim: number): Float32Array {
  if (rows.length === pool.rows) return pool.vectors
  const out = new Float32Array(rows.length * dim)
  rows.forEach((i, j) => out.set(pool.vectors.subarray(i * dim, (i + 1) * dim), j * dim))
  return out
}

/** k centroids over `vectors` (`n` rows), clusters past twice the target split by k-means of their own; labels every row. */
function trainOne(vectors: Float32Array, n: number, policy: VectorPolicy, target: number): { centroids: Float32Array; labels: Int32Array } {
  const { dim, metric } = policy
  const k = Math.min(512, Math.max(1, Math.round(n / target)))
  const centroids = trainKMeans(vectors, dim, { k, metric })
  const labels = assignNearest(vectors, dim, centroids, metric)
  // k-means does not balance: a cluster past twice the target is split by k-means of its own.
  const sizes = new Map<number, number[]>()
  labels.forEach((c, i) => { let l = sizes.get(c); if (l === undefined) sizes.set(c, l = []); l.push(i) })
  const kept: Float32Array[] = []
  const relabel = new Int32Array(n)
  for (const [c, members] of [...sizes].sort((a, b) => a[0] - b[0])) {
    if (members.length <= 2 * target || kept.length >= 512) {
      members.forEach((i) => { relabel[i] = kept.length })
      kept.push(centroids.slice(c * dim, (c + 1) * dim))
      continue
    }
    const sub = new Float32Array(members.length * dim)
    members.forEach((i, j) => sub.set(vectors.subarray(i * dim, (i + 1) * dim), j * dim))
    const parts = Math.min(512 - kept.length, Math.ceil(members.length / target))
    const subCentroids = trainKMeans(sub, dim, { k: parts, metric, seed: c + 2 })
    const subLabels = assignNearest(sub, dim, subCentroids, metric)
    const base = kept.length
    for (let s = 0; s < subCentroids.length / dim; s++) kept.push(subCentroids.slice(s * dim, (s + 1) * dim))
    members.forEach((i, j) => { relabel[i] = base + (subLabels[j] as number) })
  }
  const out = new Float32Array(kept.length * dim)
  kept.forEach((c, i) => out.set(c, i * dim))
  return { centroids: out, labels: relabel }
}

/**
 * Trains a layout within each partition (cluster ids numbered across partitions) and labels every
 * row of the pool with its cluster.
 */
export function trainLayout(pool: LayoutRows, parts: readonly PartitionGroup[], policy: VectorPolicy, target: number): Layout {
  const { dim, metric } = policy
  const all: Float32Array[] = []
  let base = 0
  for (const p of parts) {
    const { centroids, labels } = trainOne(vectorsOf(pool, p.rows, dim), p.rows.length, policy, target)
    p.rows.forEach((i, j) => { pool.labels[i] = base + (labels[j] as number) })
    all.push(centroids)
    base += centroids.length / dim
  }
  const centroids = new Float32Array(base * dim)
  let at = 0
  for (const c of all) { centroids.set(c, at); at += c.length }
  return { metric, dim, centroids }
}

/**
 * The cluster ids of each partition, from the live clustered files (files of another spec than
 * `spec` tell nothing). A partition without clusters needs a full layout.
 */
export function clustersByPartition(spec: PartitionSpec, files: readonly DataFile[]): Map<string, number[]> {
  const out = new Map<string, Set<number>>()
  for (const f of files) {
    const c = f.ailake?.cluster
    if (c === undefined || (f.specId ?? spec.specId) !== spec.specId) continue
    const key = tupleKey(spec, f.partition)
    let set = out.get(key)
    if (set === undefined) out.set(key, set = new Set())
    set.add(c)
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort((a, b) => a - b)]))
}

/**
 * The nearest cluster of each row among the clusters of its partition (`clusters`), or undefined
 * when some row's partition has none. Rows already labelled keep their label.
 */
export function assignWithinPartitions(pool: LayoutRows, parts: readonly PartitionGroup[], spec: PartitionSpec, layout: Layout, clusters: Map<string, number[]>): Int32Array | undefined {
  const { dim, metric } = layout
  const out = pool.labels.slice()
  for (const p of parts) {
    const loose = p.rows.filter((i) => out[i] === -1)
    if (loose.length === 0) continue
    const ids = clusters.get(tupleKey(spec, p.tuple)) ?? []
    if (ids.length === 0) return undefined
    const centroids = new Float32Array(ids.length * dim)
    ids.forEach((c, j) => centroids.set(layout.centroids.subarray(c * dim, (c + 1) * dim), j * dim))
    const near = assignNearest(vectorsOf(pool, loose, dim), dim, centroids, metric)
    loose.forEach((i, j) => { out[i] = ids[near[j] as number] as number })
  }
  return out
}

/** Row indices of the pool per output file: one group per partition and cluster (or chunks of a partition for compaction). */
export function outputGroups(pool: LayoutRows, parts: readonly PartitionGroup[], mode: PlanMode, target: number): OutputGroup[] {
  const out: OutputGroup[] = []
  for (const p of parts) {
    if (mode === 'compact') {
      const n = p.rows.length
      const per = Math.max(1, Math.ceil(n / Math.max(1, Math.round(n / target))))
      for (let s = 0; s < n; s += per) out.push({ tuple: p.tuple, cluster: undefined, rows: p.rows.slice(s, s + per) })
      continue
    }
    const byCluster = new Map<number, number[]>()
    for (const i of p.rows) {
      const c = pool.labels[i] as number
      let l = byCluster.get(c)
      if (l === undefined) byCluster.set(c, l = [])
      l.push(i)
    }
    for (const [cluster, rows] of [...byCluster].sort((a, b) => a[0] - b[0])) out.push({ tuple: p.tuple, cluster, rows })
  }
  return out
}
