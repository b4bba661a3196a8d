/**
 * Row-level changes as Iceberg v2 position deletes: `delete` (rows matching a filter),
 * `update` (those rows with some columns replaced) and `upsert` (rows replacing the live rows
 * with the same key, the rest inserted). Each is one snapshot: one position delete file per data
 * file it deletes from, plus the new rows' data files.
 *
 * Concurrency follows Iceberg's validation rules. A change is planned on one snapshot and
 * committed optimistically; if a data file it deletes from was replaced meanwhile (an index
 * build, compaction) or deleted from by another commit, or, for update and upsert, if
 * concurrent commits added rows it would have had to change, the change is planned again on
 * the new table (at most `MAX_PLANS` times). Concurrent appends simply land alongside a delete.
 */
import { vectorColumnNames } from '../table/vector-policy.js'
import { constrainsPartitions, PartitionPruner } from './partition-prune.js'
import { AilakeError, isAilakeError } from '../errors.js'
import type { DataFile, TableMetadata } from '../format/iceberg/types.js'
import type { Schema } from '../format/schema.js'
import { TableWriter, type IndexBuilder, type UpsertPlan } from '../ingest/index.js'
import { encodePositionDeletes } from '../table/data-writer.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { newUuid } from '../table/ids.js'
import type { RowsInput } from '../table/rows.js'
import { addedSince, type LiveFile } from '../table/scan.js'
import { mapLimit, sleep } from '../util/limiter.js'
import type { QueryCaches } from './caches.js'
import { bindFilter, fileMayMatch, filterColumns, matchingRows, type BoundFilter } from './filter-bind.js'
import type { Filter, FilterValue } from './filter-types.js'
import { bitAllowed } from '../vector-index/filter.js'
import { liveRows, readColumnValues } from './file-rows.js'
import { normalizeKey } from '../table/deletes.js'
import { identityValues } from '../table/partition.js'

export interface ChangeContext {
  table: IcebergTable
  caches: QueryCaches
  /** Receives the new rows' files when their index is deferred. */
  indexBuilder?: IndexBuilder
}

/** What a row change did. */
export interface ChangeResult {
  /** The snapshot holding the change; null when nothing matched, so nothing was committed. */
  snapshotId: bigint | null
  /** Rows deleted (`delete`). */
  deleted: number
  /** Rows replaced by a new version (`update`, and `upsert` for keys that existed). */
  updated: number
  /** Rows added whose key did not exist (`upsert`). */
  inserted: number
}

/** Plans per change before giving up with COMMIT_CONFLICT (each after a concurrent commit forced a re-plan). */
const MAX_PLANS = 8

interface Target {
  live: LiveFile
  /** Live matching positions, ascending. */
  positions: number[]
}

/** The live rows of `files` matching `filter`, per data file (files the statistics rule out are not read). */
async function findTargets(ctx: ChangeContext, files: LiveFile[], filter: BoundFilter): Promise<Target[]> {
  const columns = filterColumns(filter)
  const meta = ctx.table.metadata
  const pruner = constrainsPartitions(filter, meta) ? new PartitionPruner(filter, meta, ctx.table.schema) : undefined
  const found = await mapLimit(files, 4, async (live): Promise<Target | undefined> => {
    if (live.dataFile.recordCount === 0 || pruner?.file(live.dataFile) === false || !fileMayMatch(filter, live.dataFile)) return undefined
    const [values, mask] = await Promise.all([readColumnValues(ctx, live.dataFile, columns), liveRows(ctx, live)])
    const n = live.dataFile.recordCount
    const candidates = new Uint8Array(n)
    if (mask === undefined) candidates.fill(1)
    else for (let i = 0; i < n; i++) candidates[i] = bitAllowed(mask, i) ? 1 : 0
    const matched = matchingRows(filter, values, candidates)
    const positions: number[] = []
    for (let i = 0; i < n; i++) if (matched[i] !== 0) positions.push(i)
    return positions.length === 0 ? undefined : { live, positions }
  })
  return found.filter((t): t is Target => t !== undefined)
}

/** Stores one position delete file per target; returns their manifest entries. */
async function writeDeletes(table: IcebergTable, targets: readonly Target[]): Promise<DataFile[]> {
  return mapLimit([...targets], 8, async (t) => {
    const location = `${table.location}/data/${newUuid()}-deletes.parquet`
    const { bytes, dataFile } = encodePositionDeletes(location, t.live.dataFile, t.positions)
    await table.store.put(table.keyOf(location), bytes)
    return dataFile
  })
}

async function removeFiles(table: IcebergTable, files: readonly DataFile[]): Promise<void> {
  for (const f of files) await table.store.delete(table.keyOf(f.filePath)).catch(() => undefined)
}

function isReplan(err: unknown): boolean {
  return isAilakeError(err, 'COMMIT_CONFLICT') && err.context.replan === true
}

/**
 * Fails (re-plan) when commits after `since` deleted from a data file this change deletes from:
 * an update of a row deleted meanwhile would otherwise bring it back.
 */
function noConcurrentDeletes(ctx: ChangeContext, since: bigint | null, targets: readonly Target[], alsoData?: (f: DataFile) => boolean): (base: TableMetadata) => Promise<void> {
  const paths = new Set(targets.map((t) => t.live.dataFile.filePath))
  return async (base: TableMetadata): Promise<void> => {
    const added = await addedSince(base, since, ctx.table.cache)
    const clash = added.deletes.find((d) => d.referencedDataFile === undefined || paths.has(d.referencedDataFile))
      ?? (alsoData === undefined ? undefined : added.data.find(alsoData))
    if (clash !== undefined) {
      throw new AilakeError('COMMIT_CONFLICT', `a concurrent commit changed rows this change depends on (${clash.filePath}); it is planned again on the new table`, { retryable: true, context: { replan: true } })
    }
  }
}

/**
 * Plans and commits a change until it lands on a table no concurrent commit invalidated.
 * `plan` returns undefined when there is nothing to change.
 */
async function withReplans(ctx: ChangeContext, plan: () => Promise<ChangeResult | undefined>): Promise<ChangeResult> {
  for (let attempt = 1; ; attempt++) {
    await ctx.table.refresh()
    try {
      return (await plan()) ?? { snapshotId: null, deleted: 0, updated: 0, inserted: 0 }
    } catch (err) {
      if (!isReplan(err) || attempt >= MAX_PLANS) throw err
      await sleep(Math.random() * 20 * attempt)
    }
  }
}

/** Deletes the live rows matching `where`, in one snapshot. */
export async function deleteRows(ctx: ChangeContext, where: string | Filter): Promise<ChangeResult> {
  const { table } = ctx
  const policy = requireVector(table)
  const bind = binder(where, table, vectorColumnNames(policy))
  return withReplans(ctx, async () => {
    // Bound again on each plan: columns are read by the names of the schema the table has now.
    const filter = bind()
    const since = table.currentSnapshotId
    const targets = await findTargets(ctx, await table.planFiles(), filter)
    if (targets.length === 0) return undefined
    const deletes = await writeDeletes(table, targets)
    try {
      // Rows another commit deleted (or replaced by a new version) meanwhile are planned again,
      // so the count is exact and a row updated concurrently is not left behind.
      const snapshotId = await table.commit({ kind: 'delta', added: [], addedDeletes: deletes, precondition: noConcurrentDeletes(ctx, since, targets) })
      return { snapshotId, deleted: count(targets), updated: 0, inserted: 0 }
    } catch (err) {
      if (!(isAilakeError(err) && err.context.outcomeUnknown === true)) await removeFiles(table, deletes)
      throw err
    }
  })
}

/**
 * Replaces, in the live rows matching `where`, the columns named in `values` (the vector column
 * included), as position deletes of the old rows plus the new versions, in one snapshot.
 */
export async function updateRows(ctx: ChangeContext, where: string | Filter, values: Record<string, unknown>, options: { buildIndex?: boolean } = {}): Promise<ChangeResult> {
  const { table } = ctx
  const policy = requireVector(table)
  const bind = binder(where, table, vectorColumnNames(policy))
  if (values === null || typeof values !== 'object' || Object.keys(values).length === 0) {
    throw new AilakeError('INVALID_ARGUMENT', 'update(): values must name at least one column to set, e.g. { status: "archived" }')
  }
  checkColumns(table.schema, Object.keys(values), 'update()')
  return withReplans(ctx, async () => {
    const filter = bind()
    const since = table.currentSnapshotId
    const targets = await findTargets(ctx, await table.planFiles(), filter)
    if (targets.length === 0) return undefined
    const rows: Record<string, unknown>[] = []
    for (const t of targets) {
      const reader = await ctx.caches.reader(table.store, table.keyOf(t.live.dataFile.filePath), t.live.dataFile.fileSizeInBytes)
      // Old rows come back through the current schema (their file may predate it) and are written under it.
      for (const r of await reader.readRows({ rows: t.positions, schema: table.schema, identity: identityValues(table.metadata, t.live.dataFile) })) rows.push({ ...r, ...values })
    }
    const deletes = await writeDeletes(table, targets)
    try {
      const snapshotId = await writeAndCommit(ctx, rows, deletes, options, noConcurrentDeletes(ctx, since, targets, (f) => fileMayMatch(filter, f)))
      return { snapshotId, deleted: 0, updated: count(targets), inserted: 0 }
    } catch (err) {
      if (!(isAilakeError(err) && err.context.outcomeUnknown === true)) await removeFiles(table, deletes)
      throw err
    }
  })
}

/**
 * Writes `rows`; each replaces the live rows whose `on` column holds its key, the rest are
 * inserted, in one snapshot. Keys must be present and distinct within `rows`.
 */
export async function upsertRows(ctx: ChangeContext, rows: RowsInput, on: string, options: { buildIndex?: boolean } = {}): Promise<ChangeResult> {
  const { table } = ctx
  const policy = requireVector(table)
  if (!Array.isArray(rows)) throw new AilakeError('INVALID_ARGUMENT', 'upsert() takes plain-object rows; convert an Arrow table with table.toArray() first')
  if (rows.length === 0) return { snapshotId: null, deleted: 0, updated: 0, inserted: 0 }
  checkColumns(table.schema, [on], 'upsert({ on })')
  if (on === policy.column) throw new AilakeError('INVALID_ARGUMENT', `upsert(): the key column cannot be the vector column ${on}`)
  const keys = upsertKeys(rows as Record<string, unknown>[], on)
  return withReplans(ctx, async () => {
    const plan = await planKeyed(ctx, on, keys)
    try {
      const snapshotId = await writeAndCommit(ctx, rows as Record<string, unknown>[], plan.deletes, options, plan.precondition)
      return { snapshotId, deleted: 0, updated: plan.matched, inserted: rows.length - plan.matched }
    } catch (err) {
      if (!(isAilakeError(err) && err.context.outcomeUnknown === true)) await plan.discard()
      throw err
    }
  })
}

/**
 * Plans the deletes of an upsert of `keys` on column `on` against the table's current snapshot:
 * stores one position delete file per data file holding live rows with those keys. Its
 * precondition fails (re-plan) if later commits added rows that may hold the keys or deleted
 * from those files.
 */
export async function planKeyed(ctx: ChangeContext, on: string, keys: readonly unknown[]): Promise<UpsertPlan & { matched: number }> {
  const { table } = ctx
  const policy = requireVector(table)
  const since = table.currentSnapshotId
  const filter = bindFilter({ column: on, op: 'in', values: keys as FilterValue[] }, table.schema, vectorColumnNames(policy))
  const targets = await findTargets(ctx, await table.planFiles(), filter)
  // Keys matched in the table: their rows are updates, the others inserts.
  const matched = new Set<unknown>()
  for (const t of targets) {
    const values = (await readColumnValues(ctx, t.live.dataFile, [on])).get(on) ?? []
    for (const p of t.positions) matched.add(normalizeKey(values[p]))
  }
  const deletes = await writeDeletes(table, targets)
  return {
    deletes,
    matched: matched.size,
    precondition: noConcurrentDeletes(ctx, since, targets, (f) => fileMayMatch(filter, f)),
    discard: () => removeFiles(table, deletes),
  }
}

/** Writes `rows` as new data files and commits them with position deletes of `targets` in one snapshot. */
/** Writes `rows` as new data files and commits them with `deletes` in one snapshot; on a definite failure the new data files are removed. */
async function writeAndCommit(ctx: ChangeContext, rows: Record<string, unknown>[], deletes: DataFile[], options: { buildIndex?: boolean }, precondition: (base: TableMetadata) => Promise<void>): Promise<bigint> {
  const writer = new TableWriter(ctx.table, ctx.indexBuilder === undefined ? {} : { indexBuilder: ctx.indexBuilder })
  try {
    if (options.buildIndex === false) await writer.writeBatchDeferred(rows)
    else await writer.writeBatch(rows)
    return await writer.commit({ deletes, precondition })
  } catch (err) {
    if (!(isAilakeError(err) && err.context.outcomeUnknown === true)) await writer.abort()
    throw err
  }
}

/**
 * Binds `where` now (so a bad filter fails before any I/O) and returns the filter bound to the
 * table's schema at each call: bound again only after a schema change (a filter of ten thousand
 * ids is not parsed and bound once per plan).
 */
function binder(where: string | Filter, table: IcebergTable, vectorColumn: readonly string[]): () => BoundFilter {
  let schema = table.schema
  let bound = bindFilter(where, schema, vectorColumn)
  return () => {
    if (table.schema !== schema) {
      schema = table.schema
      bound = bindFilter(where, schema, vectorColumn)
    }
    return bound
  }
}

function count(targets: readonly Target[]): number {
  return targets.reduce((n, t) => n + t.positions.length, 0)
}

function requireVector(table: IcebergTable): NonNullable<IcebergTable['policy']> {
  const p = table.policy
  if (p === undefined) throw new AilakeError('UNSUPPORTED', `table ${table.name} has no ailake vector policy; ailake changes rows only in its own tables`)
  return p
}

function checkColumns(schema: Schema, names: readonly string[], where: string): void {
  for (const n of names) {
    if (!schema.fields.some((f) => f.name === n)) {
      throw new AilakeError('INVALID_ARGUMENT', `${where}: unknown column ${JSON.stringify(n)}; columns are case-sensitive, valid columns: ${schema.fields.map((f) => f.name).join(', ')}`, { context: { column: n } })
    }
  }
}

/** The keys of upsert rows: present, filterable values, distinct (a duplicate is an error naming both rows). */
function upsertKeys(rows: Record<string, unknown>[], on: string): Array<string | number | bigint | boolean | Date> {
  const seen = new Map<unknown, number>()
  const keys: Array<string | number | bigint | boolean | Date> = []
  rows.forEach((r, i) => {
    const v = r?.[on]
    if (v === null || v === undefined) throw new AilakeError('INVALID_ARGUMENT', `upsert(): row ${i} has no value in key column ${on}`, { context: { row: i, column: on } })
    if (!(typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v instanceof Date)) {
      throw new AilakeError('INVALID_ARGUMENT', `upsert(): row ${i} key ${on} must be a string, number, bigint, boolean or Date`, { context: { row: i, column: on } })
    }
    const k = normalizeKey(v)
    const first = seen.get(k)
    if (first !== undefined) throw new AilakeError('INVALID_ARGUMENT', `upsert(): rows ${first} and ${i} have the same key ${on} = ${String(v)}; keys must be distinct within one upsert`, { context: { rows: [first, i], column: on } })
    seen.set(k, i)
    keys.push(v)
  })
  return keys
}
