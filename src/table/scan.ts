/**
 * Scan planning: the live data files of one snapshot, with their inherited sequence numbers
 * and their ailake vector facts, read from the snapshot's manifest list and manifests.
 */
import { AilakeError } from '../errors.js'
import { FILE_PATH_FIELD_ID } from '../format/delete-file.js'
import type { DataFile, ManifestFile, TableMetadata } from '../format/iceberg/types.js'
import { partitionKey } from '../format/iceberg/partition-transform.js'
import { mapLimit } from '../util/limiter.js'
import type { ManifestCache } from './manifest-cache.js'

export interface LiveFile {
  dataFile: DataFile
  /** Data sequence number (inherited where the manifest left it null). */
  sequenceNumber: bigint
  fileSequenceNumber: bigint
  /** Snapshot that added the file. */
  snapshotId: bigint
  /** Delete files that apply to this data file under the spec's sequence-number rules. */
  deletes: LiveDeleteFile[]
}

export interface LiveDeleteFile {
  file: DataFile
  /** Data sequence number of the delete file. */
  sequenceNumber: bigint
}

/** Manifests of a snapshot (empty for a table with no snapshot). */
export async function snapshotManifests(meta: TableMetadata, snapshotId: bigint | null, cache: ManifestCache): Promise<ManifestFile[]> {
  if (snapshotId === null) return []
  const snap = meta.snapshots.find((s) => s.snapshotId === snapshotId)
  if (snap === undefined) {
    throw new AilakeError('NOT_FOUND', `snapshot ${snapshotId} does not exist in this table (it may have been expired)`, { context: { snapshotId: String(snapshotId) } })
  }
  return cache.snapshotManifests(snap)
}

/** Live entries of the manifests of one content kind, with inherited sequence numbers. */
async function liveEntries(manifests: ManifestFile[], content: ManifestFile['content'], cache: ManifestCache, keep: (m: ManifestFile) => boolean = () => true): Promise<Array<Omit<LiveFile, 'deletes'>>> {
  const perManifest = await mapLimit(manifests.filter((m) => m.content === content && keep(m)), 8, async (m) => {
    const entries = await cache.manifest(m)
    const out: Array<Omit<LiveFile, 'deletes'>> = []
    for (const e of entries) {
      if (e.status === 'DELETED') continue
      out.push({
        dataFile: e.dataFile,
        sequenceNumber: e.sequenceNumber ?? m.sequenceNumber,
        fileSequenceNumber: e.fileSequenceNumber ?? m.sequenceNumber,
        snapshotId: e.snapshotId ?? m.addedSnapshotId,
      })
    }
    return out
  })
  return perManifest.flat()
}

export interface PlanOptions {
  /** Data manifests to read (false: the manifest and every file it lists are left out unread), e.g. by partition summaries. */
  dataManifests?: (m: ManifestFile) => boolean
}

/** The live delete files of a snapshot. */
export async function planDeleteFiles(meta: TableMetadata, snapshotId: bigint | null, cache: ManifestCache): Promise<LiveDeleteFile[]> {
  const manifests = await snapshotManifests(meta, snapshotId, cache)
  return (await liveEntries(manifests, 'deletes', cache)).map((e) => ({ file: e.dataFile, sequenceNumber: e.sequenceNumber }))
}

/**
 * The live data files of a snapshot, in manifest order, each with the delete files that apply
 * to it: position deletes with a data sequence number >= the data file's that may name it
 * (`referenced_data_file`, else the `file_path` bounds), and equality deletes with a strictly
 * greater one, in the data file's partition (same spec and tuple) unless their spec is
 * unpartitioned (then they apply to every file), as the spec scopes delete files.
 */
export async function planFiles(meta: TableMetadata, snapshotId: bigint | null, cache: ManifestCache, options: PlanOptions = {}): Promise<LiveFile[]> {
  const manifests = await snapshotManifests(meta, snapshotId, cache)
  const [data, deletes] = await Promise.all([liveEntries(manifests, 'data', cache, options.dataManifests), liveEntries(manifests, 'deletes', cache)])
  const byPath = new Map<string, LiveDeleteFile[]>()
  const general: LiveDeleteFile[] = []
  for (const d of deletes) {
    const ref = d.dataFile.content === 'position-deletes' ? referencedPath(d.dataFile) : undefined
    const live = { file: d.dataFile, sequenceNumber: d.sequenceNumber }
    if (ref === undefined) general.push(live)
    else {
      let list = byPath.get(ref)
      if (list === undefined) byPath.set(ref, list = [])
      list.push(live)
    }
  }
  const scope = partitionScope(meta)
  return data.map((f) => {
    const applicable: LiveDeleteFile[] = []
    for (const d of byPath.get(f.dataFile.filePath) ?? []) if (d.sequenceNumber >= f.sequenceNumber) applicable.push(d)
    for (const d of general) {
      if (d.file.content === 'position-deletes' ? d.sequenceNumber >= f.sequenceNumber && mayReference(d.file, f.dataFile.filePath) : d.sequenceNumber > f.sequenceNumber && scope(d.file, f.dataFile)) applicable.push(d)
    }
    return { ...f, deletes: applicable }
  })
}

/** Whether an equality delete file applies to a data file by partition: a global (unpartitioned) delete, or the same spec and tuple. */
function partitionScope(meta: TableMetadata): (del: DataFile, data: DataFile) => boolean {
  const specs = new Map(meta.partitionSpecs.map((s) => [s.specId, s]))
  return (del, data) => {
    const spec = specs.get(del.specId ?? meta.defaultSpecId)
    if (spec === undefined || spec.fields.length === 0) return true
    if ((data.specId ?? meta.defaultSpecId) !== spec.specId) return false
    const tuple = (f: DataFile): string => partitionKey(spec.fields.map((pf) => f.partition[pf.name] ?? null))
    return tuple(del) === tuple(data)
  }
}

/**
 * The one data file a position delete file deletes from, when it names it (field 143). Equal
 * `file_path` bounds are not trusted for this: bounds may be truncated prefixes.
 */
export function referencedPath(file: DataFile): string | undefined {
  return file.referencedDataFile
}

/** Whether a position delete file's `file_path` bounds admit `path` (no bounds: it may). */
function mayReference(file: DataFile, path: string): boolean {
  const lo = file.lowerBounds?.get(FILE_PATH_FIELD_ID)
  const hi = file.upperBounds?.get(FILE_PATH_FIELD_ID)
  // Truncated string bounds are prefixes: compare on their length only.
  const p = new TextEncoder().encode(path)
  const cmp = (b: Uint8Array): number => {
    const n = Math.min(b.length, p.length)
    for (let i = 0; i < n; i++) if (p[i] !== b[i]) return (p[i] as number) - (b[i] as number)
    return 0
  }
  return (lo === undefined || cmp(lo) >= 0) && (hi === undefined || cmp(hi) <= 0)
}

/** Files that snapshots after `since` (up to the current one) added, by kind; `replaced` from rewrites. */
export interface AddedSince {
  data: DataFile[]
  deletes: DataFile[]
  /** Data files added by rewrites (same rows in a new file, or compaction). */
  rewritten: DataFile[]
}

/**
 * What the snapshots committed after `since` added (walking parents from the current snapshot).
 * Throws COMMIT_CONFLICT when `since` is no longer an ancestor (expired, or history rewritten).
 */
export async function addedSince(meta: TableMetadata, since: bigint | null, cache: ManifestCache): Promise<AddedSince> {
  const out: AddedSince = { data: [], deletes: [], rewritten: [] }
  const byId = new Map(meta.snapshots.map((s) => [s.snapshotId, s]))
  const lost = (): AilakeError => new AilakeError('COMMIT_CONFLICT', `snapshot ${String(since)} is no longer an ancestor of the current snapshot; the change is re-planned`, { retryable: true, context: { replan: true } })
  let id = meta.currentSnapshotId
  while (id !== null && id !== since) {
    const snap = byId.get(id)
    if (snap === undefined) throw lost()
    for (const m of await cache.snapshotManifests(snap)) {
      if (m.addedSnapshotId !== snap.snapshotId || m.addedFilesCount === 0) continue
      for (const e of await cache.manifest(m)) {
        if (e.status !== 'ADDED') continue
        if (m.content === 'deletes') out.deletes.push(e.dataFile)
        else if (snap.summary.operation === 'replace') out.rewritten.push(e.dataFile)
        else out.data.push(e.dataFile)
      }
    }
    id = snap.parentSnapshotId ?? null
  }
  if (id !== since) throw lost()
  return out
}
