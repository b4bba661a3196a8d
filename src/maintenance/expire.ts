/**
 * Keeping storage bounded: expiring old snapshots (and deleting the files only they referenced),
 * and removing orphan files that no snapshot references (left by crashed or failed writers).
 * Both keep a grace window, so readers pinned to a recent snapshot never lose their files.
 */
import { walWatermarkKey, walWatermarks } from '../ingest/wal-watermark.js'
import { pinnedSnapshots } from '../table/pins.js'
import { invalid } from '../errors.js'
import type { LoadedTable } from '../catalog/catalog.js'
import { deleteAfterCommit, deleteGraceMs, nextMetadataLog, previousVersionsMax } from '../catalog/metadata-files.js'
import type { ManifestFile, TableMetadata } from '../format/iceberg/types.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { commitMetadataChange } from '../table/metadata-commit.js'

export interface ExpireOptions {
  /** Snapshots committed before this time may expire. Default: 5 days ago (Iceberg's default). */
  olderThan?: Date | number
  /** Always keep at least this many of the newest snapshots. Default 1. */
  retainLast?: number
}

export interface ExpireResult {
  expiredSnapshots: number
  deletedDataFiles: number
  deletedManifests: number
  deletedManifestLists: number
  deletedMetadataFiles: number
}

const FIVE_DAYS = 5 * 24 * 3600 * 1000

function cutoffOf(t: Date | number | undefined, fallbackAgeMs: number): number {
  const ms = t === undefined ? Date.now() - fallbackAgeMs : t instanceof Date ? t.getTime() : t
  if (!Number.isFinite(ms)) throw invalid(`olderThan must be a Date or epoch milliseconds, got ${String(t)}`)
  return ms
}

/** Every file a set of snapshots references (as store keys): manifest lists, manifests, live data files. */
interface Reachable {
  lists: Set<string>
  manifests: Set<string>
  dataFiles: Set<string>
  /** Data files named by DELETED entries (removed by those snapshots' commits). */
  deletedDataFiles: Set<string>
}

async function reachable(table: IcebergTable, meta: TableMetadata, ids: Iterable<bigint>): Promise<Reachable> {
  const r: Reachable = { lists: new Set(), manifests: new Set(), dataFiles: new Set(), deletedDataFiles: new Set() }
  for (const id of ids) {
    const snap = meta.snapshots.find((s) => s.snapshotId === id)
    if (snap === undefined) continue
    if (snap.manifestList !== undefined) r.lists.add(table.keyOf(snap.manifestList))
    const manifests: ManifestFile[] = await table.cache.snapshotManifests(snap)
    for (const m of manifests) {
      r.manifests.add(table.keyOf(m.manifestPath))
      for (const e of await table.cache.manifest(m)) {
        if (e.status === 'DELETED') r.deletedDataFiles.add(table.keyOf(e.dataFile.filePath))
        else r.dataFiles.add(table.keyOf(e.dataFile.filePath))
      }
    }
  }
  return r
}

/** Which snapshots survive: recent ones, the newest `retainLast`, and every ref's target. */
function keptSnapshots(meta: TableMetadata, cutoff: number, retainLast: number): Set<bigint> {
  const ordered = [...meta.snapshots].sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? -1 : 1))
  const keep = new Set<bigint>()
  ordered.slice(-retainLast).forEach((s) => keep.add(s.snapshotId))
  for (const s of ordered) if (s.timestampMs >= cutoff) keep.add(s.snapshotId)
  for (const ref of Object.values(meta.refs)) keep.add(ref.snapshotId)
  if (meta.currentSnapshotId !== null) keep.add(meta.currentSnapshotId)
  // Snapshots searches in this process are reading right now.
  for (const id of pinnedSnapshots(meta.tableUuid)) keep.add(id)
  return keep
}

/**
 * Removes snapshots older than `olderThan` (keeping the newest `retainLast`, every ref, and the
 * snapshots searches in this process are reading) from
 * the table metadata, then deletes the data files, manifests and manifest lists that only they
 * referenced, and metadata files that fell out of the metadata log. Time travel to an expired
 * snapshot is no longer possible afterwards.
 */
export async function expireSnapshots(table: IcebergTable, options: ExpireOptions = {}): Promise<ExpireResult> {
  const cutoff = cutoffOf(options.olderThan, FIVE_DAYS)
  const retainLast = options.retainLast ?? 1
  if (!Number.isInteger(retainLast) || retainLast < 1) throw invalid(`retainLast must be an integer >= 1, got ${String(retainLast)}`)
  const result: ExpireResult = { expiredSnapshots: 0, deletedDataFiles: 0, deletedManifests: 0, deletedManifestLists: 0, deletedMetadataFiles: 0 }

  const done = await commitMetadataChange(table, 'expireSnapshots', async (base) => {
    const meta = base.metadata
    const keep = keptSnapshots(meta, cutoff, retainLast)
    const expired = meta.snapshots.filter((s) => !keep.has(s.snapshotId)).map((s) => s.snapshotId)
    if (expired.length === 0) return undefined
    // WAL watermarks that only expiring summaries carried (tables written before they were kept
    // in the properties) move to the properties, so recovery never replays committed records.
    const properties = { ...meta.properties }
    for (const [writerId, seq] of walWatermarks(meta)) properties[walWatermarkKey(writerId)] = String(seq)
    const next: TableMetadata = {
      ...meta,
      properties,
      lastUpdatedMs: Math.max(Date.now(), meta.lastUpdatedMs + 1),
      snapshots: meta.snapshots.filter((s) => keep.has(s.snapshotId)),
      snapshotLog: meta.snapshotLog.filter((e) => keep.has(e.snapshotId)),
      metadataLog: nextMetadataLog(meta, base.metadataLocation),
    }
    return { next, value: expired }
  })
  if (done === undefined) {
    // Nothing expires, but metadata files older commits could not delete still go.
    result.deletedMetadataFiles = await deleteOldMetadata(table, table.loaded)
    return result
  }
  const committed = { before: done.base.metadata, after: done.committed, expired: done.value }
  result.expiredSnapshots = committed.expired.length

  // What the surviving snapshots still need is never deleted.
  const kept = committed.after.metadata.snapshots.map((s) => s.snapshotId)
  const live = await reachable(table, committed.after.metadata, kept)
  const gone = await reachable(table, committed.before, committed.expired)
  const del = async (keys: Iterable<string>, keepSet: Set<string>): Promise<number> => {
    let n = 0
    for (const key of keys) {
      if (keepSet.has(key)) continue
      await table.store.delete(key)
      n++
    }
    return n
  }
  result.deletedDataFiles = await del(new Set([...gone.dataFiles, ...gone.deletedDataFiles, ...live.deletedDataFiles]), live.dataFiles)
  result.deletedManifests = await del(gone.manifests, live.manifests)
  result.deletedManifestLists = await del(gone.lists, live.lists)
  result.deletedMetadataFiles = await deleteOldMetadata(table, committed.after)
  return result
}

/**
 * Deletes this table's metadata JSON files that are neither current nor in the metadata log
 * (left by commits that could not delete them, or written before the log was trimmed): only
 * versions older than the current one whose successor was written more than the grace period
 * ago (see catalog/metadata-files.ts), unless the table keeps them
 * (`write.metadata.delete-after-commit.enabled = false`).
 */
async function deleteOldMetadata(table: IcebergTable, current: LoadedTable): Promise<number> {
  const meta = current.metadata
  if (!deleteAfterCommit(meta)) return 0
  const versionOf = (key: string): number | undefined => {
    const m = /\/v(\d+)\.metadata\.json$/.exec(key)
    return m === null ? undefined : Number(m[1])
  }
  const logged = new Set([current.metadataLocation, ...meta.metadataLog.map((e) => e.metadataFile)].map((l) => versionOf(l)))
  // The folder of the table's own versions: after a rename it is not the one its location names,
  // and the versions there (the sealed old name) are not this table's to delete.
  const dir = current.metadataLocation.slice(0, current.metadataLocation.lastIndexOf('/') + 1)
  const listed = (await table.store.list(table.keyOf(dir))).filter((o) => versionOf(o.key) !== undefined)
  const written = new Map(listed.map((o) => [versionOf(o.key) as number, o.lastModified?.getTime()]))
  const cutoff = Date.now() - deleteGraceMs(meta)
  let n = 0
  for (const o of listed) {
    const v = versionOf(o.key) as number
    if (v >= current.version - previousVersionsMax(meta) || logged.has(v)) continue
    const superseded = written.get(v + 1)
    if (superseded === undefined || superseded > cutoff) continue
    await table.store.delete(o.key)
    n++
  }
  return n
}

export interface OrphanOptions {
  /** Only files last modified before this are removed (in-flight writes are younger). Default: 3 days ago. */
  olderThan?: Date | number
  /** List what would be removed without deleting. Default false. */
  dryRun?: boolean
}

/**
 * Deletes files under the table's `data/` and `metadata/` folders that no snapshot references
 * (data files and manifests of failed or crashed writers). Write-ahead-log segments and metadata
 * JSON files are left alone. Returns the locations removed (or that would be, with `dryRun`).
 */
export async function removeOrphanFiles(table: IcebergTable, options: OrphanOptions = {}): Promise<string[]> {
  const cutoff = cutoffOf(options.olderThan, 3 * 24 * 3600 * 1000)
  await table.refresh()
  const meta = table.metadata
  const r = await reachable(table, meta, meta.snapshots.map((s) => s.snapshotId))
  const referenced = new Set([...r.lists, ...r.manifests, ...r.dataFiles, ...r.deletedDataFiles])
  const removed: string[] = []
  for (const sub of ['data/', 'metadata/']) {
    for (const o of await table.store.list(`${table.keyOf(table.location)}/${sub}`)) {
      const location = table.catalog.locationOf(o.key)
      if (referenced.has(o.key) || /\.metadata\.json$|version-hint\.text$/.test(o.key)) continue
      if (o.lastModified === undefined || o.lastModified.getTime() >= cutoff) continue
      removed.push(location)
      if (options.dryRun !== true) await table.store.delete(o.key)
    }
  }
  return removed
}
