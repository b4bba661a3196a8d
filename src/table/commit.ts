/**
 * Optimistic commits with intent re-application. Data files and the manifest of added files
 * are written once; each attempt rebuilds only the manifest list (and any manifests a rewrite
 * must change) on the latest base, then creates metadata version N+1 with create-if-absent.
 * On a lost race it reloads and tries again with jittered backoff.
 */
import { AilakeError, invalid, isAilakeError } from '../errors.js'
import { reloadTable, type Catalog, type LoadedTable } from '../catalog/catalog.js'
import type { TableIdentifier } from '../catalog/identifier.js'
import { encodeManifest, manifestCounts } from '../format/iceberg/manifest.js'
import { encodeManifestList } from '../format/iceberg/manifest-list.js'
import { encodeTableMetadata } from '../format/iceberg/table-metadata.js'
import type { Schema } from '../format/schema.js'
import type { DataFile, ManifestEntry, ManifestFile, Snapshot, TableMetadata } from '../format/iceberg/types.js'
import type { ObjectStore } from '../store/object-store.js'
import { sleep } from '../util/limiter.js'
import type { OptionKeys } from '../util/options.js'
import { newSnapshotId, newUuid } from './ids.js'
import type { ManifestCache } from './manifest-cache.js'
import { currentSchema, nextTimestamp, readableAs, withProperties, withSchema, withSnapshot } from './metadata-builder.js'
import { applyUpdates, checkRequirements, type TableChange } from './metadata-updates.js'
import { snapshotManifests } from './scan.js'

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
  /** Replace `removed` (file paths, which must still be live) with `added`. */
  | { kind: 'rewrite'; removed: string[]; added: DataFile[] }
) & {
  /** Extra snapshot summary properties (e.g. which write-ahead-log entries this commit holds). */
  summary?: Record<string, string>
  /** Table properties this commit sets, in the same atomic metadata write (re-applied on every base). */
  setProperties?: Record<string, string>
  /**
   * Checked against every base the commit is built on; throwing gives the commit up (a definite
   * failure, its files are removed). Lets an operation refuse a base that already holds its effect.
   */
  precondition?: (base: TableMetadata) => void
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
  const put = async (name: string, bytes: Uint8Array): Promise<string> => {
    const path = `${location}/metadata/${name}`
    await ctx.store.put(ctx.keyOf(path), bytes)
    written.push(path)
    return path
  }

  // Entries of added files leave snapshot id and sequence numbers null: they are inherited from
  // the manifest list, so this manifest stays valid whichever base the commit finally lands on.
  let attempts = 0
  let addedManifest: { path: string; length: number } | undefined
  if (op.added.length > 0) {
    const bytes = encodeManifest({
      schema: op.kind === 'append' && op.inferred !== undefined ? op.inferred.schema : currentSchema(start.metadata), spec: start.metadata.partitionSpecs[0] ?? { specId: 0, fields: [] },
      content: 'data', snapshotId,
      entries: op.added.map((dataFile) => ({ status: 'ADDED', snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, dataFile })),
    })
    addedManifest = { path: await put(`${newUuid()}-m0.avro`, bytes), length: bytes.length }
  }

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
    op.precondition?.(base.metadata)
    const meta = op.setProperties === undefined ? base.metadata : withProperties(base.metadata, op.setProperties)
    const seq = meta.lastSequenceNumber + 1n
    const carried = await snapshotManifests(meta, meta.currentSnapshotId, ctx.cache)
    const list: ManifestFile[] = []
    if (addedManifest !== undefined) {
      list.push(manifestFileOf(addedManifest.path, addedManifest.length, seq, snapshotId, op.added.map((dataFile) => ({ status: 'ADDED', snapshotId, sequenceNumber: seq, fileSequenceNumber: seq, dataFile }))))
    }
    let deleted = { files: 0, rows: 0 }
    if (op.kind === 'rewrite') {
      const r = await applyRewrite(ctx, meta, carried, new Set(op.removed), snapshotId, seq, put)
      list.push(...r.list)
      deleted = r.deleted
    } else {
      list.push(...carried.filter((m) => m.addedFilesCount + m.existingFilesCount > 0))
    }
    const listBytes = encodeManifestList(list, { snapshotId, parentSnapshotId: meta.currentSnapshotId, sequenceNumber: seq })
    const listPath = await put(`snap-${snapshotId}-${attempt}-${newUuid()}.avro`, listBytes)
    const snapshot: Snapshot = {
      snapshotId,
      sequenceNumber: seq,
      timestampMs: nextTimestamp(meta),
      manifestList: listPath,
      summary: summarize(op, list, deleted),
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
 * reference, so a commit must not reach into another table), no delete files (not applied yet).
 */
export async function commitTableChange(ctx: Pick<CommitContext, 'catalog' | 'cache'>, ident: TableIdentifier, change: TableChange, retry: RetryOptions = {}): Promise<LoadedTable> {
  const maxAttempts = retry.maxAttempts ?? 50
  const start = await ctx.catalog.loadTable(ident)
  const checked = new Set<bigint>()
  let base = start
  for (let attempt = 1; ; attempt++) {
    checkRequirements(base.metadata, change.requirements)
    const next = applyUpdates(base, change.updates)
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
    for (const m of await cache.manifestList(snapshot.manifestList)) {
      inside(m.manifestPath, 'manifest')
      if (m.content === 'deletes') throw new AilakeError('UNSUPPORTED', `add-snapshot ${snapshot.snapshotId}: manifest ${m.manifestPath} lists delete files, which ailake does not apply yet`, { context: { path: m.manifestPath } })
      for (const e of await cache.manifest(m)) inside(e.dataFile.filePath, 'data file')
    }
  } catch (err) {
    // The files are the request's: unreadable or missing ones are the caller's mistake.
    if (isAilakeError(err, 'CORRUPT_DATA') || isAilakeError(err, 'NOT_FOUND')) {
      throw invalid(`add-snapshot ${snapshot.snapshotId}: ${err.message}`, { ...err.context })
    }
    throw err
  }
}

function manifestFileOf(path: string, length: number, seq: bigint, snapshotId: bigint, entries: ManifestEntry[]): ManifestFile {
  return {
    manifestPath: path, manifestLength: length, partitionSpecId: 0, content: 'data',
    sequenceNumber: seq, addedSnapshotId: snapshotId, ...manifestCounts(entries, seq),
  }
}

/** Rewrites the manifests that hold removed files; fails if any removed file is no longer live. */
async function applyRewrite(
  ctx: CommitContext, meta: TableMetadata, carried: ManifestFile[], removed: Set<string>, snapshotId: bigint, seq: bigint,
  put: (name: string, bytes: Uint8Array) => Promise<string>,
): Promise<{ list: ManifestFile[]; deleted: { files: number; rows: number } }> {
  const list: ManifestFile[] = []
  const found = new Set<string>()
  const deleted = { files: 0, rows: 0 }
  for (const m of carried) {
    if (m.addedFilesCount + m.existingFilesCount === 0) continue
    const entries = await ctx.cache.manifest(m)
    if (!entries.some((e) => e.status !== 'DELETED' && removed.has(e.dataFile.filePath))) {
      list.push(m)
      continue
    }
    const rewritten: ManifestEntry[] = []
    for (const e of entries) {
      if (e.status === 'DELETED') continue
      const inherited = {
        sequenceNumber: e.sequenceNumber ?? m.sequenceNumber,
        fileSequenceNumber: e.fileSequenceNumber ?? m.sequenceNumber,
      }
      if (removed.has(e.dataFile.filePath)) {
        found.add(e.dataFile.filePath)
        deleted.files++
        deleted.rows += e.dataFile.recordCount
        rewritten.push({ status: 'DELETED', snapshotId, ...inherited, dataFile: e.dataFile })
      } else {
        rewritten.push({ status: 'EXISTING', snapshotId: e.snapshotId ?? m.addedSnapshotId, ...inherited, dataFile: e.dataFile })
      }
    }
    const bytes = encodeManifest({ schema: currentSchema(meta), spec: meta.partitionSpecs[0] ?? { specId: 0, fields: [] }, content: 'data', snapshotId, entries: rewritten })
    const path = await put(`${newUuid()}-m1.avro`, bytes)
    list.push(manifestFileOf(path, bytes.length, seq, snapshotId, rewritten))
  }
  const missing = [...removed].filter((p) => !found.has(p))
  if (missing.length > 0) {
    throw new AilakeError('COMMIT_CONFLICT', `rewrite conflicts with a concurrent commit: ${missing.length} file(s) it replaces are no longer live (e.g. ${missing[0]}); re-plan the rewrite on the current table`, { context: { missing: missing.slice(0, 10) } })
  }
  return { list, deleted }
}

function summarize(op: Operation, list: ManifestFile[], deleted: { files: number; rows: number }): Snapshot['summary'] {
  let files = 0
  let rows = 0
  for (const m of list) {
    files += m.addedFilesCount + m.existingFilesCount
    rows += m.addedRowsCount + m.existingRowsCount
  }
  const added = op.added.reduce((n, f) => n + f.recordCount, 0)
  const summary: Snapshot['summary'] = {
    ...op.summary,
    operation: op.kind === 'append' ? 'append' : 'replace',
    'added-data-files': String(op.added.length),
    'added-records': String(added),
    'added-files-size': String(op.added.reduce((n, f) => n + f.fileSizeInBytes, 0)),
    'total-data-files': String(files),
    'total-records': String(rows),
  }
  if (deleted.files > 0) {
    summary['deleted-data-files'] = String(deleted.files)
    summary['deleted-records'] = String(deleted.rows)
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
