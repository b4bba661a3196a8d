/**
 * What an optimize rewrites. A table's layout is a set of centroids (the layout file named by
 * the table property `ailake.layout`); files optimize wrote hold the rows of one centroid each
 * (their `cluster` fact). Rows in other files (appended, streamed, written by other engines) are
 * *loose*. A full layout trains new centroids over every live row and rewrites every file; an
 * incremental one assigns the loose rows to the existing centroids and writes each receiving
 * cluster's new rows as a file of their own (a *delta*, tagged with the cluster), so its cost
 * follows the new rows, not the table; a cluster is merged (all its files rewritten as one with
 * the new rows) once its deltas would pass half its largest file or it would hold more than
 * four files (see `clustersToMerge`). Files with deleted rows are rewritten without them. A full layout is chosen when there is no
 * usable layout, when loose rows outnumber clustered ones (the centroids no longer describe the
 * table), or when clusters have grown past twice the target file size.
 */
import { decodeLayout, type Layout } from '../format/layout.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import type { LiveFile } from '../table/scan.js'
import type { VectorPolicy } from '../table/vector-policy.js'

/** Table property naming the current layout file. */
export const LAYOUT_PROPERTY = 'ailake.layout'

export interface OptimizePlanOptions {
  targetRowsPerFile: number
  cluster: boolean
  applyDeletes: boolean
  full: boolean
}

export type PlanMode = 'none' | 'full' | 'incremental' | 'compact'

export interface OptimizePlan {
  mode: PlanMode
  /** Files to rewrite (with their delete files). */
  inputs: LiveFile[]
  /** Existing layout for incremental plans. */
  layout?: Layout
  /** Why this mode (for the report). */
  reason: string
}

/** The table's layout, when it exists and matches the vector policy. */
export async function loadLayout(table: IcebergTable, policy: VectorPolicy): Promise<Layout | undefined> {
  const location = table.metadata.properties[LAYOUT_PROPERTY]
  if (location === undefined) return undefined
  const layout = decodeLayout(await table.store.get(table.keyOf(location)))
  return layout.dim === policy.dim && layout.metric === policy.metric ? layout : undefined
}

function liveRowsOf(f: LiveFile): number {
  return f.dataFile.recordCount // deleted rows are few before optimize; a bound is enough here
}

export function planOptimize(files: LiveFile[], layout: Layout | undefined, o: OptimizePlanOptions): OptimizePlan {
  const k = layout === undefined ? 0 : layout.centroids.length / layout.dim
  const clustered = files.filter((f) => f.dataFile.ailake?.cluster !== undefined && (f.dataFile.ailake.cluster as number) < k)
  const loose = files.filter((f) => !clustered.includes(f))
  const withDeletes = files.filter((f) => f.deletes.length > 0)
  const total = files.reduce((n, f) => n + liveRowsOf(f), 0)
  if (total === 0) return { mode: 'none', inputs: [], reason: 'the table holds no rows' }
  if (!o.cluster) {
    // Compaction only: small files merged, deleted rows dropped.
    const small = files.filter((f) => f.dataFile.recordCount < o.targetRowsPerFile / 2)
    const inputs = unique([...(small.length > 1 ? small : []), ...(o.applyDeletes ? withDeletes : [])])
    return inputs.length === 0 ? { mode: 'none', inputs: [], reason: 'no small files and no deleted rows' } : { mode: 'compact', inputs, reason: `${small.length} small file(s), ${withDeletes.length} with deletes` }
  }
  const looseRows = loose.reduce((n, f) => n + liveRowsOf(f), 0)
  const clusterRows = new Map<number, number>()
  for (const f of clustered) clusterRows.set(f.dataFile.ailake?.cluster as number, (clusterRows.get(f.dataFile.ailake?.cluster as number) ?? 0) + liveRowsOf(f))
  const oversized = [...clusterRows.values()].some((n) => n > 2 * o.targetRowsPerFile)
  const wantK = Math.max(1, Math.round(total / o.targetRowsPerFile))
  if (o.full || layout === undefined || looseRows > total - looseRows || oversized || k < wantK / 2) {
    const reason = o.full ? 'a full layout was asked for'
      : layout === undefined ? 'the table has no layout yet'
        : looseRows > total - looseRows ? `${looseRows} loose rows outnumber ${total - looseRows} clustered ones`
          : oversized ? 'a cluster grew past twice the target file size' : `${k} clusters are too few for ${total} rows`
    // Nothing to gain from re-clustering one already clustered file.
    if (files.length === 1 && layout !== undefined && clustered.length === 1 && withDeletes.length === 0 && !o.full) return { mode: 'none', inputs: [], reason: 'one clustered file' }
    return { mode: 'full', inputs: files, reason }
  }
  if (loose.length === 0 && (!o.applyDeletes || withDeletes.length === 0)) return { mode: 'none', inputs: [], layout, reason: 'every row is clustered and nothing is deleted' }
  // Loose rows join their nearest clusters; which those are is known only after assignment, so
  // the executor adds the receiving clusters' files (see optimize.ts).
  return { mode: 'incremental', inputs: unique([...loose, ...(o.applyDeletes ? withDeletes : [])]), layout, reason: `${looseRows} loose row(s) in ${loose.length} file(s), ${withDeletes.length} file(s) with deletes` }
}

/** A cluster's deltas together stay under this fraction of its largest file, or it is merged. */
export const DELTA_FRACTION = 0.5
/** A cluster holds at most this many files (each costs a query that routes to it a file visit). */
export const MAX_FILES_PER_CLUSTER = 4

/**
 * The receiving clusters to merge rather than give a delta file. `incoming`: new rows per
 * cluster; `kept`: row counts of each cluster's files that are not rewritten anyway.
 */
export function clustersToMerge(incoming: ReadonlyMap<number, number>, kept: ReadonlyMap<number, readonly number[]>): Set<number> {
  const merge = new Set<number>()
  for (const [cluster, rows] of incoming) {
    const files = kept.get(cluster) ?? []
    if (files.length === 0) continue // nothing to merge with: the new rows form the cluster's file
    const largest = Math.max(...files)
    const deltas = files.reduce((a, b) => a + b, 0) - largest + rows
    if (files.length + 1 > MAX_FILES_PER_CLUSTER || deltas > DELTA_FRACTION * largest) merge.add(cluster)
  }
  return merge
}

function unique(files: LiveFile[]): LiveFile[] {
  return [...new Map(files.map((f) => [f.dataFile.filePath, f])).values()]
}
