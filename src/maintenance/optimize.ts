/**
 * `table.optimize()`: lays the rows out in files by proximity (k-means clusters, one file each,
 * with its HNSW index and a tight centroid and radius), drops deleted rows, then expires old
 * snapshots and orphan files. Rows keep their stored vector bytes. The rewrite commits as an
 * Iceberg `replace` that applied the deletes up to the snapshot it read: appends committed
 * meanwhile survive untouched, and a delete committed meanwhile on a file it rewrites makes it
 * plan again, so no delete is lost. A crash leaves the last good snapshot and, at worst, orphan
 * files for the orphan pass. See optimize-plan.ts for what gets rewritten.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import { openDataFile } from '../format/data-file.js'
import type { DataFile } from '../format/iceberg/types.js'
import { encodeLayout, type Layout } from '../format/layout.js'
import type { Schema } from '../format/schema.js'
import { activeFlushes, BuildPool, defaultWorkerCount, storeSource } from '../ingest/index.js'
import { toDataFile } from '../table/data-writer.js'
import { deletedPositions } from '../table/deletes.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { newUuid } from '../table/ids.js'
import type { LiveFile } from '../table/scan.js'
import type { VectorPolicy } from '../table/vector-policy.js'
import { mapLimit } from '../util/limiter.js'
import { assignWithinPartitions, clustersByPartition, outputGroups, poolPartitions, trainLayout } from './optimize-layout.js'
import { defaultSpec, identityValues } from '../table/partition.js'
import { expireSnapshots, removeOrphanFiles, type ExpireResult } from './expire.js'
import { clustersToMerge, LAYOUT_PROPERTY, loadLayout, planOptimize, type PlanMode } from './optimize-plan.js'

export interface OptimizeOptions {
  /** Rows per file the layout aims at (clusters hold up to about twice this). Default 50,000. */
  targetRowsPerFile?: number
  /** Lay rows out by k-means clusters; false only merges small files and drops deleted rows. Default true. */
  cluster?: boolean
  /** Train a new layout over every row even if the current one still fits. Default false. */
  full?: boolean
  /** Rewrite files with deleted rows without them. Default true. */
  applyDeletes?: boolean
  /** Expire snapshots older than this afterwards (false: keep all). Default: 7 days ago. */
  expireOlderThan?: Date | number | false
  /** Delete unreferenced files older than this afterwards (false: keep). Default: 3 days ago. */
  orphansOlderThan?: Date | number | false
  /** Threads that build the new files' indexes. Default: one less than the cores, 1 or 2. */
  workers?: number
  /** Told as the work advances. */
  onProgress?: (progress: OptimizeProgress) => void
  /** Stops the optimize before its commit (it then rejects with `CLOSED` and leaves the table as it was). */
  signal?: AbortSignal
}

export interface OptimizeProgress {
  phase: 'read' | 'cluster' | 'write' | 'commit' | 'expire'
  done: number
  total: number
}

export interface OptimizeReport {
  /** What was done: nothing, a full layout, an incremental one, or compaction without clustering. */
  mode: PlanMode
  reason: string
  snapshotId: bigint | null
  filesBefore: number
  filesAfter: number
  rowsBefore: number
  rowsAfter: number
  /** Live rows written into new files. */
  rowsRewritten: number
  /** Deleted rows dropped for good. */
  deletedRowsRemoved: number
  bytesWritten: number
  /** Clusters in the table's layout afterwards (0 without one). */
  clusters: number
  seconds: number
  expired?: ExpireResult
  orphanFiles?: number
}

/** Plans of one optimize before giving up (each after a concurrent commit invalidated the last). */
const MAX_PLANS = 3

interface Pool {
  schema: Schema
  columns: Map<number, unknown[]>
  vectors: Float32Array
  /** Stored vector bytes of every row (undefined when some input could not give them). */
  stored: Uint8Array | undefined
  /** Layout cluster of each row, where known (rows from clustered files). */
  labels: Int32Array
  rows: number
  deleted: number
}

function requirePolicy(table: IcebergTable): VectorPolicy {
  const p = table.policy
  if (p === undefined) throw new AilakeError('UNSUPPORTED', `table ${table.name} has no ailake vector policy; optimize lays out ailake tables`)
  return p
}

function storedRowBytes(policy: VectorPolicy): number {
  return policy.precision === 'f32' ? 4 * policy.dim : policy.precision === 'f16' ? 2 * policy.dim : policy.dim + 8
}

/** Reads the live rows of `inputs` (columns by field id, decoded and stored vectors). */
async function readPool(table: IcebergTable, policy: VectorPolicy, inputs: LiveFile[], progress: (done: number) => void): Promise<Pool> {
  const schema = table.schema
  const scalar = schema.fields.filter((f) => f.name !== policy.column)
  const rb = storedRowBytes(policy)
  let done = 0
  const parts = await mapLimit(inputs, 2, async (lf) => {
    const reader = await openDataFile(await storeSource(table.store, table.keyOf(lf.dataFile.filePath)), { vector: { column: policy.column, dim: policy.dim, metric: policy.metric } })
    // Through the current schema by field id: renamed columns keep their data, added ones are null.
    const identity = identityValues(table.metadata, lf.dataFile)
    const rows = await reader.readRows({ columns: scalar.map((f) => f.name), schema, identity })
    const vectors = await reader.readVectors()
    const stored = lf.dataFile.ailake?.precision === policy.precision ? await reader.readVectorValues() : undefined
    const gone = new Set(await deletedPositions({ cache: table.cache, schema }, lf, async (columns) => reader.readRows({ columns, schema, identity })))
    progress(++done)
    return { lf, rows, vectors, stored, gone }
  })
  let total = 0
  let deleted = 0
  for (const p of parts) {
    total += p.rows.length - p.gone.size
    deleted += p.gone.size
  }
  const pool: Pool = {
    schema, columns: new Map(scalar.map((f) => [f.id, new Array<unknown>(total)])),
    vectors: new Float32Array(total * policy.dim),
    stored: parts.every((p) => p.stored !== undefined) ? new Uint8Array(total * rb) : undefined,
    labels: new Int32Array(total).fill(-1), rows: total, deleted,
  }
  let at = 0
  for (const p of parts) {
    const cluster = p.lf.dataFile.ailake?.cluster
    for (let i = 0; i < p.rows.length; i++) {
      if (p.gone.has(i)) continue
      const row = p.rows[i] as Record<string, unknown>
      for (const f of scalar) (pool.columns.get(f.id) as unknown[])[at] = row[f.name] ?? null
      pool.vectors.set(p.vectors.subarray(i * policy.dim, (i + 1) * policy.dim), at * policy.dim)
      if (pool.stored !== undefined) pool.stored.set((p.stored as Uint8Array).subarray(i * rb, (i + 1) * rb), at * rb)
      if (cluster !== undefined) pool.labels[at] = cluster
      at++
    }
  }
  return pool
}

/** Runs one optimize of `table` (see the module comment). */
export async function optimizeTable(table: IcebergTable, options: OptimizeOptions = {}): Promise<OptimizeReport> {
  const started = Date.now()
  const policy = requirePolicy(table)
  const target = options.targetRowsPerFile ?? 50_000
  if (!Number.isInteger(target) || target < 1) throw new AilakeError('INVALID_ARGUMENT', `optimize(): targetRowsPerFile must be a positive integer, got ${String(target)}`)
  const progress = (phase: OptimizeProgress['phase'], done: number, total: number): void => {
    if (options.signal?.aborted === true) throw new AilakeError('CLOSED', `optimize of ${table.name} was stopped`, { cause: options.signal.reason })
    options.onProgress?.({ phase, done, total })
  }
  const pool = new BuildPool(options.workers ?? defaultWorkerCount())
  try {
    let report: OptimizeReport | undefined
    for (let attempt = 1; report === undefined; attempt++) {
      try {
        report = await optimizeOnce(table, policy, target, options, pool, progress)
      } catch (err) {
        // A concurrent commit removed an input or deleted rows from one: plan again on the new table.
        if (!(isAilakeError(err, 'COMMIT_CONFLICT') && (Array.isArray(err.context.missing) || err.context.deletesApply === true)) || attempt >= MAX_PLANS) throw err
      }
    }
    if (options.expireOlderThan !== false) {
      progress('expire', 0, 1)
      report.expired = await expireSnapshots(table, { olderThan: options.expireOlderThan ?? Date.now() - 7 * 86_400_000 })
    }
    if (options.orphansOlderThan !== false) {
      report.orphanFiles = (await removeOrphanFiles(table, options.orphansOlderThan === undefined ? {} : { olderThan: options.orphansOlderThan })).length
    }
    report.seconds = (Date.now() - started) / 1000
    return report
  } finally {
    await pool.close()
  }
}

async function optimizeOnce(
  table: IcebergTable, policy: VectorPolicy, target: number, options: OptimizeOptions, buildPool: BuildPool,
  progress: (phase: OptimizeProgress['phase'], done: number, total: number) => void,
): Promise<OptimizeReport> {
  await table.refresh()
  const snapshotId = table.currentSnapshotId
  const seq = table.metadata.snapshots.find((s) => s.snapshotId === snapshotId)?.sequenceNumber ?? 0n
  const files = await table.planFiles(snapshotId)
  const layout = await loadLayout(table, policy)
  const plan = planOptimize(files, layout, { targetRowsPerFile: target, cluster: options.cluster !== false, applyDeletes: options.applyDeletes !== false, full: options.full === true })
  const report: OptimizeReport = {
    mode: plan.mode, reason: plan.reason, snapshotId: null, filesBefore: files.length, filesAfter: files.length,
    rowsBefore: 0, rowsAfter: 0, rowsRewritten: 0, deletedRowsRemoved: 0, bytesWritten: 0,
    clusters: layout === undefined ? 0 : layout.centroids.length / layout.dim, seconds: 0,
  }
  const liveCount = async (lf: LiveFile): Promise<number> => lf.dataFile.recordCount - (await deletedPositions({ cache: table.cache, schema: table.schema }, lf, async (columns) => {
    const reader = await openDataFile(await storeSource(table.store, table.keyOf(lf.dataFile.filePath)), { vector: { column: policy.column, dim: policy.dim, metric: policy.metric } })
    return reader.readRows({ columns, schema: table.schema, identity: identityValues(table.metadata, lf.dataFile) })
  })).length
  report.rowsBefore = (await mapLimit(files, 8, liveCount)).reduce((a, b) => a + b, 0)
  report.rowsAfter = report.rowsBefore
  if (plan.mode === 'none') return report

  let inputs = plan.inputs
  let mode = plan.mode
  const spec = defaultSpec(table.metadata)
  progress('read', 0, inputs.length)
  let rowPool = await readPool(table, policy, inputs, (d) => progress('read', d, inputs.length))
  let parts = poolPartitions(spec, rowPool)
  let newLayout: Layout | undefined
  progress('cluster', 0, 1)
  if (mode === 'incremental' && plan.layout !== undefined) {
    // Loose rows go to their nearest cluster of their partition: as a delta file of their own, or merged with the cluster's files.
    const clusters = clustersByPartition(spec, files.map((f) => f.dataFile))
    const assigned = assignWithinPartitions(rowPool, parts, spec, plan.layout, clusters)
    const incoming = new Map<number, number>()
    assigned?.forEach((c, i) => { if (rowPool.labels[i] === -1) incoming.set(c, (incoming.get(c) ?? 0) + 1) })
    const kept = new Map<number, number[]>()
    for (const f of files) {
      const c = f.dataFile.ailake?.cluster
      if (c === undefined || inputs.includes(f)) continue
      let l = kept.get(c)
      if (l === undefined) kept.set(c, l = [])
      l.push(f.dataFile.recordCount)
    }
    const merge = clustersToMerge(incoming, kept)
    const more = files.filter((f) => !inputs.includes(f) && f.dataFile.ailake?.cluster !== undefined && merge.has(f.dataFile.ailake.cluster))
    if (more.length > 0) {
      inputs = [...inputs, ...more]
      rowPool = await readPool(table, policy, inputs, (d) => progress('read', d, inputs.length))
      parts = poolPartitions(spec, rowPool)
    }
    const labels = assigned === undefined ? undefined : assignWithinPartitions(rowPool, parts, spec, plan.layout, clusters)
    if (labels === undefined) {
      // Rows arrived in a partition that has no clusters yet: lay the whole table out again.
      mode = 'full'
      report.mode = mode
      report.reason = `${report.reason}; rows arrived in a partition without clusters, so a full layout`
      inputs = files
      rowPool = await readPool(table, policy, inputs, (d) => progress('read', d, inputs.length))
      parts = poolPartitions(spec, rowPool)
    } else {
      rowPool.labels = labels
    }
  }
  if (mode === 'full') newLayout = trainLayout(rowPool, parts, policy, target)
  progress('cluster', 1, 1)

  const out = outputGroups(rowPool, parts, mode, target).filter((g) => g.rows.length > 0)
  /** Store keys written so far (removed again if the commit certainly failed), and the new data files. */
  const keys: string[] = []
  const added: DataFile[] = []
  const rb = storedRowBytes(policy)
  try {
    progress('write', 0, out.length)
    let done = 0
    await Promise.all(out.map(async (g) => {
      const columns = new Map<number, unknown[]>()
      for (const [id, values] of rowPool.columns) columns.set(id, g.rows.map((i) => values[i]))
      const vectors = new Float32Array(g.rows.length * policy.dim)
      const stored = rowPool.stored === undefined ? undefined : new Uint8Array(g.rows.length * rb)
      g.rows.forEach((i, j) => {
        vectors.set(rowPool.vectors.subarray(i * policy.dim, (i + 1) * policy.dim), j * policy.dim)
        stored?.set((rowPool.stored as Uint8Array).subarray(i * rb, (i + 1) * rb), j * rb)
      })
      // Builds pause while this process ingests (as background index builds do).
      const file = await buildPool.run({
        source: { kind: 'rows', schema: rowPool.schema, columns, vectors, ...(stored === undefined ? {} : { stored }) }, policy, buildIndex: true,
        ...(buildPool.size > 0 && activeFlushes !== undefined ? { throttle: activeFlushes } : {}),
      })
      progress('write', done, out.length)
      const location = `${table.location}/data/${newUuid()}.parquet`
      const key = table.keyOf(location)
      keys.push(key)
      await table.store.put(key, file.bytes)
      const dataFile = toDataFile(location, file, rowPool.schema, { specId: spec.specId, tuple: g.tuple })
      if (g.cluster !== undefined && dataFile.ailake !== undefined) dataFile.ailake.cluster = g.cluster
      added.push(dataFile)
      report.bytesWritten += file.bytes.length
      progress('write', ++done, out.length)
    }))
    const setProperties: Record<string, string> = {}
    if (newLayout !== undefined) {
      const location = `${table.location}/metadata/layout-${newUuid()}.bin`
      keys.push(table.keyOf(location))
      await table.store.put(table.keyOf(location), encodeLayout(newLayout))
      setProperties[LAYOUT_PROPERTY] = location
    }
    progress('commit', 0, 1)
    report.snapshotId = await table.commit({
      kind: 'rewrite', removed: inputs.map((f) => f.dataFile.filePath), added,
      deletesAppliedThrough: seq, ...(Object.keys(setProperties).length > 0 ? { setProperties } : {}),
    })
    progress('commit', 1, 1)
  } catch (err) {
    if (!(isAilakeError(err) && err.context.outcomeUnknown === true)) for (const key of keys) await table.store.delete(key).catch(() => undefined)
    throw err
  }
  report.filesAfter = files.length - inputs.length + out.length
  report.rowsRewritten = rowPool.rows
  report.deletedRowsRemoved = rowPool.deleted
  report.clusters = newLayout !== undefined ? newLayout.centroids.length / policy.dim : report.clusters
  return report
}
