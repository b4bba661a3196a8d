/**
 * Optimistic commits with intent re-application. Data files and the manifest of added files
 * are written once; each attempt rebuilds only the manifest list (and any manifests a rewrite
 * must change) on the latest base, then creates metadata version N+1 with create-if-absent.
 * On a lost race it reloads and tries again with jittered backoff.
 */
import { AilakeError, invalid, isAilakeError } from '../errors.js'
import { reloadTable, type Catalog, type LoadedTable } from '../catalog/catalog.js'
import type { TableIdentifier } from '../catalog/identifier.js'
import { normalizeLocation } from '../catalog/locations.js'
import { encodeManifest } from '../format/iceberg/manifest.js'
import { encodeManifestList } from '../format/iceberg/manifest-list.js'
import { encodeTableMetadata } from '../format/iceberg/table-metadata.js'
import type { Schema } from '../format/schema.js'
import type { DataFile, ManifestEntry, ManifestFile, Snapshot, TableMetadata } from '../format/iceberg/types.js'
import type { ObjectStore } from '../store/object-store.js'
import { sleep } from '../util/limiter.js'
import type { OptionKeys } from '../util/options.js'
import { newSnapshotId, newUuid } from './ids.js'
import type { ManifestCache } from './manifest-cache.js'
import { currentSchema, nextTimestamp, readableAs, readableById, withProperties, withSchema, withSnapshot } from './metadata-builder.js'
import { applyUpdates, checkRequirements, type TableChange } from './metadata-updates.js'
import { snapshotManifests } from './scan.js'
import { applyRewrite, bySpec, manifestFileOf, type ManifestLayout, type RewriteChanges, type RewriteFiles } from './rewrite.js'
import { specById } from './partition.js'

/** Files written with a schema inferred from their rows, for a table whose columns were not known yet. */
export interface InferredSchema {
  /** The schema the files were written with. */
  schema: Schema
  /** The table property that marks the table's columns as still to be inferred. */
  pendingProperty: string
}

/** What a commit means, re-applied to whatever base wins the race. */
export type Operation = (
  /**
   * With `inferred`, the commit that lands while the table still waits for its columns makes
   * that schema current; one that lands after another writer set them appends only if its
   * files read correctly under that schema (see `readableAs`).
   */
  | { kind: 'append'; added: DataFile[]; inferred?: InferredSchema }
  /**
   * Replace `removed` (file paths, which must still be live) with `added`. With `sameRows`,
   * `added[i]` holds exactly the rows of `removed[i]` in the same order (an index build): it keeps
   * that file's data sequence number and the position deletes naming it move to it. Without it,
   * the rewrite fails if deletes apply to a removed file, except those with a data sequence
   * number up to `deletesAppliedThrough` (the rewrite left their rows out). `droppedManifests`
   * (manifest paths, which must still be in the current manifest list) leave the table with every
   * file they list, unread (quarantining a manifest that cannot be read).
   */
  | { kind: 'rewrite'; removed: string[]; added: DataFile[]; sameRows?: boolean; deletesAppliedThrough?: bigint; droppedManifests?: string[] }
  /**
   * Row-level change: append `added` and add `addedDeletes` (position delete files, each naming
   * its one data file in `referencedDataFile`) in one snapshot (`delete` or `overwrite`). Fails
   * with a retryable `COMMIT_CONFLICT` (context `replan`) when a data file it deletes from is no
   * longer live: the caller re-evaluates its intent on the new table.
   */
  | { kind: 'delta'; added: DataFile[]; addedDeletes: DataFile[] }
) & {
  /**
   * The schema the added files were written with (default: the current schema of the base the
   * commit started from); they land on a newer schema only if they read through it by field id.
   */
  schema?: Schema
  /** Extra snapshot summary properties (e.g. which write-ahead-log entries this commit holds). */
  summary?: Record<string, string>
  /** Table properties this commit sets, in the same atomic metadata write (re-applied on every base). */
  setProperties?: Record<string, string>
  /**
   * Checked against every base the commit is built on; throwing gives the commit up (a definite
   * failure, its files are removed). Lets an operation refuse a base that already holds its effect.
   */
  precondition?: (base: TableMetadata) => void | Promise<void>
}

export interface CommitContext {
  catalog: Catalog
  store: ObjectStore
  cache: ManifestCache
  keyOf(location: string): string
}

export interface RetryOptions {
  /** Attempts before giving up with `COMMIT_CONFLICT`. Default 50. */
  maxAttempts?: number
  /** First backoff in ms; doubles per attempt up to `maxDelayMs`, with full jitter. Default 5. */
  baseDelayMs?: number
  /** Default 1000. */
  maxDelayMs?: number
}

export const RETRY_OPTION_KEYS = { maxAttempts: true, baseDelayMs: true, maxDelayMs: true } as const satisfies OptionKeys<RetryOptions>

export interface CommitResult {
  table: LoadedTable
  snapshotId: bigint
}

export async function commitOperation(ctx: CommitContext, start: LoadedTable, op: Operation, retry: RetryOptions = {}): Promise<CommitResult> {
  const maxAttempts = retry.maxAttempts ?? 50
  const snapshotId = newSnapshotId()
  const location = start.metadata.location
  const written: string[] = []
  const putIn = (folder: 'metadata' | 'data') => async (name: string, bytes: Uint8Array): Promise<string> => {
    const path = `${location}/${folder}/${name}`
    await ctx.store.put(ctx.keyOf(path), bytes)
    written.push(path)
    return path
  }
  const put = putIn('metadata')
  const files: RewriteFiles = { putManifest: put, putData: putIn('data') }

  // Entries of added files leave snapshot id and sequence numbers null: they are inherited from
  // the manifest list, so this manifest stays valid whichever base the commit finally lands on.
  let attempts = 0
  const inherit = (dataFile: DataFile): ManifestEntry => ({ status: 'ADDED', snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, dataFile })
  const schemaOfAdded = op.kind === 'append' && op.inferred !== undefined ? op.inferred.schema : op.schema ?? currentSchema(start.metadata)
  // A same-rows rewrite keeps each file's data sequence number, which only an attempt knows.
  const addedManifests = op.added.length > 0 && !(op.kind === 'rewrite' && op.sameRows === true)
    ? await writeManifests(start.metadata, schemaOfAdded, 'data', snapshotId, op.added.map(inherit), put)
    : []
  const deleteManifests = op.kind === 'delta' && op.addedDeletes.length > 0
    ? await writeManifests(start.metadata, currentSchema(start.metadata), 'deletes', snapshotId, op.addedDeletes.map(inherit), put)
    : []

  let base = start
  for (let attempt = 1; ; attempt++) {
    const attemptFiles = written.length
    let next: TableMetadata
    try {
      next = await buildAttempt(base)
    } catch (err) {
      await removeQuietly(ctx, written.splice(0))
      // The base's manifests are gone when the table was dropped under this handle: say that.
      if (isAilakeError(err, 'NOT_FOUND')) await reloadTable(ctx.catalog, start)
      throw err
    }
    let committed: LoadedTable | undefined
    try {
      committed = await ctx.catalog.commitTable(base, next)
    } catch (err) {
      if (isAilakeError(err) && err.context.outcomeUnknown === true) {
        // The write may have landed, so nothing is cleaned up: files may already be referenced.
        throw new AilakeError('STORE_ERROR', `commit to ${location} failed and its outcome is unknown; reload the table to see whether snapshot ${snapshotId} landed`, { cause: err, retryable: false, context: { outcomeUnknown: true, snapshotId: String(snapshotId) } })
      }
      await removeQuietly(ctx, written.splice(0))
      throw err
    }
    if (committed !== undefined) return { table: committed, snapshotId }

    // A store that retried a create which had landed reports the race as lost to ourselves;
    // then this attempt's files are referenced and must stay.
    const winner = await reloadTable(ctx.catalog, start)
    if (winner.metadata.snapshots.some((s) => s.snapshotId === snapshotId)) return { table: winner, snapshotId }
    await removeQuietly(ctx, written.splice(attemptFiles))
    if (attempt >= maxAttempts) {
      await removeQuietly(ctx, written.splice(0))
      throw new AilakeError('COMMIT_CONFLICT', `commit to ${location} lost the race ${attempt} times to concurrent writers; retry later or raise the retry limit`, { retryable: true, context: { attempts: attempt } })
    }
    await sleep(backoffMs(attempt, retry))
    try {
      base = await reloadTable(ctx.catalog, start)
    } catch (err) {
      await removeQuietly(ctx, written.splice(0))
      throw err
    }
  }

  async function buildAttempt(base: LoadedTable): Promise<TableMetadata> {
    const attempt = ++attempts
    if (normalizeLocation(base.metadata.location) !== normalizeLocation(location)) {
      // The files of this commit are recorded under the old location, which other engines no longer resolve.
      throw new AilakeError('COMMIT_CONFLICT', `table ${location} was relocated to ${base.metadata.location} while this write was in flight; nothing was committed: write it again`, { retryable: true, context: { relocated: true } })
    }
    await op.precondition?.(base.metadata)
    const meta = op.setProperties === undefined ? base.metadata : withProperties(base.metadata, op.setProperties)
    const seq = meta.lastSequenceNumber + 1n
    const carried = await snapshotManifests(meta, meta.currentSnapshotId, ctx.cache)
    const list: ManifestFile[] = []
    const added = (written: WrittenManifest[], content: ManifestFile['content']): void => {
      for (const m of written) list.push(manifestFileOf(m.path, m.length, content, seq, snapshotId, m.files.map((dataFile) => ({ status: 'ADDED', snapshotId, sequenceNumber: seq, fileSequenceNumber: seq, dataFile })), m.layout))
    }
    added(addedManifests, 'data')
    let changed: RewriteChanges = { removedData: { files: 0, rows: 0 }, addedDeletes: [], removedDeletes: [] }
    if (op.kind === 'rewrite') {
      const dropped = new Set((op.droppedManifests ?? []).map((p) => ctx.keyOf(p)))
      const r = await applyRewrite({ cache: ctx.cache, meta, carried, snapshotId, seq, files, keyOf: ctx.keyOf }, op.removed, op.added, op.sameRows === true, op.deletesAppliedThrough, dropped)
      list.push(...r.list)
      changed = r.changes
    } else {
      if (op.kind === 'delta') {
        await checkDeleteTargets(ctx.cache, carried, op.addedDeletes, location)
        added(deleteManifests, 'deletes')
        changed.addedDeletes = op.addedDeletes
      }
      list.push(...carried.filter((m) => m.addedFilesCount + m.existingFilesCount > 0))
    }
    const listBytes = encodeManifestList(list, { snapshotId, parentSnapshotId: meta.currentSnapshotId, sequenceNumber: seq })
    const listPath = await put(`snap-${snapshotId}-${attempt}-${newUuid()}.avro`, listBytes)
    const snapshot: Snapshot = {
      snapshotId,
      sequenceNumber: seq,
      timestampMs: nextTimestamp(meta),
      manifestList: listPath,
      summary: summarize(op, list, changed, await deleteTotals(ctx.cache, list)),
      schemaId: meta.currentSchemaId,
    }
    if (meta.currentSnapshotId !== null) snapshot.parentSnapshotId = meta.currentSnapshotId
    const inferred = op.kind === 'append' ? op.inferred : undefined
    if (inferred !== undefined && meta.properties[inferred.pendingProperty] !== undefined) {
      const evolved = withSchema(meta, inferred.schema, [inferred.pendingProperty])
      snapshot.schemaId = evolved.currentSchemaId
      return withSnapshot(evolved, base.metadataLocation, snapshot)
    }
    if (inferred !== undefined && !readableAs(inferred.schema, currentSchema(meta))) {
      throw new AilakeError('COMMIT_CONFLICT', `another writer set the columns of ${location} while this write was in flight, and this write's files were laid out for other columns (or ids); write the rows again so they are checked against the table's schema`, { retryable: true, context: { schemaChanged: true } })
    }
    // Files laid out for an older schema land when they read through the current one by field
    // id (every change alterSchema makes keeps that true); otherwise they are written again.
    if (inferred === undefined && op.kind !== 'rewrite' && op.added.length > 0 && !readableById(schemaOfAdded, currentSchema(meta))) {
      throw new AilakeError('COMMIT_CONFLICT', `the schema of ${location} changed while this write was in flight, and this write's files cannot be read through the new schema; write the rows again so they are checked against it`, { retryable: true, context: { schemaChanged: true } })
    }
    return withSnapshot(meta, base.metadataLocation, snapshot)
  }
}

/** Full-jitter exponential backoff before attempt `attempt + 1`. */
function backoffMs(attempt: number, retry: RetryOptions): number {
  return Math.random() * Math.min(retry.maxDelayMs ?? 1000, (retry.baseDelayMs ?? 5) * 2 ** Math.min(attempt, 20))
}

/**
 * Commits an Iceberg commit request (the REST catalog's requirements and updates) to table
 * `ident` by the protocol every ailake writer follows: on a lost race it reloads, checks the
 * requirements against the winner's state (`COMMIT_CONFLICT` when one fails) and re-applies the
 * updates, so a change racing an embedded writer loses neither. The files of each snapshot it
 * adds are checked first: all under the table's location (maintenance deletes what snapshots
 * reference, so a commit must not reach into another table).
 */
export async function commitTableChange(ctx: Pick<CommitContext, 'catalog' | 'cache'>, ident: TableIdentifier, change: TableChange, retry: RetryOptions = {}): Promise<LoadedTable> {
  return commitChange(ctx, await ctx.catalog.loadTable(ident), change, retry)
}

/**
 * `commitTableChange` from a loaded state. `change` may be a function of the base, re-evaluated
 * on every base the commit races on (an intent such as a schema change, resolved against the
 * schema it finds); returning undefined commits nothing.
 */
export async function commitChange(ctx: Pick<CommitContext, 'catalog' | 'cache'>, start: LoadedTable, change: TableChange | ((base: TableMetadata) => TableChange | undefined), retry: RetryOptions = {}): Promise<LoadedTable> {
  const maxAttempts = retry.maxAttempts ?? 50
  const checked = new Set<bigint>()
  let base = start
  for (let attempt = 1; ; attempt++) {
    const c = typeof change === 'function' ? change(base.metadata) : change
    if (c === undefined) return base
    checkRequirements(base.metadata, c.requirements)
    const next = applyUpdates(base, c.updates)
    if (next === undefined) return base
    for (const s of next.snapshots) {
      if (checked.has(s.snapshotId) || base.metadata.snapshots.some((b) => b.snapshotId === s.snapshotId)) continue
      await checkSnapshotFiles(ctx.cache, next.location, s)
      checked.add(s.snapshotId)
    }
    const committed = await ctx.catalog.commitTable(base, next)
    if (committed !== undefined) return committed
    const winner = await reloadTable(ctx.catalog, start)
    // A store that retried a create which had landed reports the race as lost to ourselves.
    if (winner.version === base.version + 1 && encodeTableMetadata(winner.metadata) === encodeTableMetadata(next)) return winner
    if (attempt >= maxAttempts) {
      throw new AilakeError('COMMIT_CONFLICT', `commit to ${next.location} lost the race ${attempt} times to concurrent writers; retry later or raise the retry limit`, { retryable: true, context: { attempts: attempt } })
    }
    await sleep(backoffMs(attempt, retry))
    base = await reloadTable(ctx.catalog, start)
  }
}

/** Reads a committed snapshot's manifest list and manifests and checks where their files are. */
async function checkSnapshotFiles(cache: ManifestCache, location: string, snapshot: Snapshot): Promise<void> {
  const inside = (path: string, what: string): void => {
    if (!path.startsWith(`${location}/`)) throw invalid(`add-snapshot ${snapshot.snapshotId}: ${what} ${path} lies outside the table's location ${location}; a table references only its own files`, { path })
  }
  try {
    for (const m of await cache.snapshotManifests(snapshot)) {
      inside(m.manifestPath, 'manifest')
      for (const e of await cache.manifest(m)) inside(e.dataFile.filePath, m.content === 'deletes' ? 'delete file' : 'data file')
    }
  } catch (err) {
    // The files are the request's: unreadable or missing ones are the caller's mistake.
    if (isAilakeError(err, 'CORRUPT_DATA') || isAilakeError(err, 'NOT_FOUND')) {
      throw invalid(`add-snapshot ${snapshot.snapshotId}: ${err.message}`, { ...err.context })
    }
    throw err
  }
}

interface WrittenManifest {
  path: string
  length: number
  layout: ManifestLayout
  files: DataFile[]
}

/** Writes `entries` as one manifest per partition spec of their files (undefined: the default spec). */
async function writeManifests(
  meta: TableMetadata, schema: Schema, content: ManifestFile['content'], snapshotId: bigint, entries: ManifestEntry[],
  put: (name: string, bytes: Uint8Array) => Promise<string>,
): Promise<WrittenManifest[]> {
  const out: WrittenManifest[] = []
  for (const [specId, group] of bySpec(entries, (e) => e.dataFile, meta.defaultSpecId)) {
    const layout = { schema, spec: specById(meta, specId) }
    const bytes = encodeManifest({ ...layout, content, snapshotId, entries: group })
    out.push({ path: await put(`${newUuid()}-m0.avro`, bytes), length: bytes.length, layout, files: group.map((e) => e.dataFile) })
  }
  return out
}

/** Every data file the position deletes delete from must still be live; else the intent must be re-planned. */
async function checkDeleteTargets(cache: ManifestCache, carried: ManifestFile[], deletes: readonly DataFile[], location: string): Promise<void> {
  if (deletes.length === 0) return
  const live = new Set<string>()
  for (const m of carried) {
    if (m.content !== 'data') continue
    for (const e of await cache.manifest(m)) if (e.status !== 'DELETED') live.add(e.dataFile.filePath)
  }
  // Position deletes name their data file; equality deletes apply by sequence number and need no target.
  const missing = deletes.filter((d) => d.content === 'position-deletes').map((d) => d.referencedDataFile).filter((p) => p === undefined || !live.has(p)).map(String)
  if (missing.length > 0) {
    throw new AilakeError('COMMIT_CONFLICT', `a concurrent commit replaced ${missing.length} data file(s) this change deletes from (e.g. ${missing[0]}) in ${location}; the change is re-planned on the new files`, { retryable: true, context: { replan: true, missing: missing.slice(0, 10) } })
  }
}

interface DeleteTotals { files: number; positionDeletes: number; equalityDeletes: number }

/** Live delete files of a snapshot's manifests and their rows, by kind. */
async function deleteTotals(cache: ManifestCache, list: ManifestFile[]): Promise<DeleteTotals> {
  const t: DeleteTotals = { files: 0, positionDeletes: 0, equalityDeletes: 0 }
  for (const m of list) {
    if (m.content !== 'deletes' || m.addedFilesCount + m.existingFilesCount === 0) continue
    for (const e of await cache.manifest(m)) {
      if (e.status === 'DELETED') continue
      t.files++
      if (e.dataFile.content === 'equality-deletes') t.equalityDeletes += e.dataFile.recordCount
      else t.positionDeletes += e.dataFile.recordCount
    }
  }
  return t
}

function summarize(op: Operation, list: ManifestFile[], changed: RewriteChanges, deletes: DeleteTotals): Snapshot['summary'] {
  let files = 0
  let rows = 0
  for (const m of list) {
    if (m.content !== 'data') continue
    files += m.addedFilesCount + m.existingFilesCount
    rows += m.addedRowsCount + m.existingRowsCount
  }
  const added = op.added.reduce((n, f) => n + f.recordCount, 0)
  const operation = op.kind === 'append' ? 'append' : op.kind === 'rewrite' ? 'replace' : op.added.length > 0 ? 'overwrite' : 'delete'
  const summary: Snapshot['summary'] = {
    ...op.summary,
    operation,
    'added-data-files': String(op.added.length),
    'added-records': String(added),
    'added-files-size': String(op.added.reduce((n, f) => n + f.fileSizeInBytes, 0)),
    'total-data-files': String(files),
    'total-records': String(rows),
    'total-delete-files': String(deletes.files),
    'total-position-deletes': String(deletes.positionDeletes),
    'total-equality-deletes': String(deletes.equalityDeletes),
  }
  if (changed.removedData.files > 0) {
    summary['deleted-data-files'] = String(changed.removedData.files)
    summary['deleted-records'] = String(changed.removedData.rows)
  }
  if (changed.addedDeletes.length > 0) {
    summary['added-delete-files'] = String(changed.addedDeletes.length)
    summary['added-position-delete-files'] = String(changed.addedDeletes.filter((d) => d.content === 'position-deletes').length)
    summary['added-position-deletes'] = String(changed.addedDeletes.reduce((n, d) => n + (d.content === 'position-deletes' ? d.recordCount : 0), 0))
    const equality = changed.addedDeletes.filter((d) => d.content === 'equality-deletes')
    if (equality.length > 0) {
      summary['added-equality-delete-files'] = String(equality.length)
      summary['added-equality-deletes'] = String(equality.reduce((n, d) => n + d.recordCount, 0))
    }
  }
  if (changed.removedDeletes.length > 0) {
    summary['removed-delete-files'] = String(changed.removedDeletes.length)
    summary['removed-position-deletes'] = String(changed.removedDeletes.reduce((n, d) => n + d.recordCount, 0))
  }
  return summary
}

async function removeQuietly(ctx: CommitContext, paths: string[]): Promise<void> {
  for (const p of paths) {
    try {
      await ctx.store.delete(ctx.keyOf(p))
    } catch {
      // Leftovers are unreferenced orphans; the orphan-file cleanup job removes them.
    }
  }
}
