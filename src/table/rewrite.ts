/**
 * The manifests of a rewrite (replace live data files with new ones) on one base: removed
 * entries become DELETED, and delete files that apply to a removed file are dealt with. A
 * same-rows rewrite (an index build: the new file holds the old file's rows in the same order)
 * keeps the old file's data sequence number, so equality deletes keep applying, and moves the
 * position deletes naming the old file to new delete files naming the new one. Any other rewrite
 * (compaction) says up to which data sequence number it applied the deletes of the files it
 * removes: position delete files naming only removed files drop out, and a delete committed
 * after that point fails the rewrite, which is then planned again, so no delete is ever lost.
 */
import { AilakeError } from '../errors.js'
import { encodeManifest, manifestCounts } from '../format/iceberg/manifest.js'
import { partitionSummaries } from '../format/iceberg/partition-summary.js'
import type { DataFile, ManifestEntry, ManifestFile, PartitionSpec, TableMetadata } from '../format/iceberg/types.js'
import type { Schema } from '../format/schema.js'
import { encodePositionDeletes } from './data-writer.js'
import { newUuid } from './ids.js'
import type { ManifestCache } from './manifest-cache.js'
import { currentSchema } from './metadata-builder.js'
import { specById } from './partition.js'
import { referencedPath } from './scan.js'

export interface RewriteFiles {
  /** Stores a manifest under metadata/ (removed again if the commit fails); returns its location. */
  putManifest(name: string, bytes: Uint8Array): Promise<string>
  /** Stores a file under data/ (removed again if the commit fails); returns its location. */
  putData(name: string, bytes: Uint8Array): Promise<string>
}

export interface RewriteChanges {
  removedData: { files: number; rows: number }
  addedDeletes: DataFile[]
  removedDeletes: DataFile[]
}

export interface RewriteContext {
  cache: ManifestCache
  /** Store key of a location (dropped manifests are matched by key). */
  keyOf(location: string): string
  meta: TableMetadata
  carried: ManifestFile[]
  snapshotId: bigint
  seq: bigint
  files: RewriteFiles
}

/** The schema and partition spec a manifest's entries are written with. */
export interface ManifestLayout {
  schema: Schema
  spec: PartitionSpec
}

/** The manifest-list record of a manifest of `entries`: counts and partition summaries. */
export function manifestFileOf(path: string, length: number, content: ManifestFile['content'], seq: bigint, snapshotId: bigint, entries: ManifestEntry[], layout: ManifestLayout): ManifestFile {
  const partitions = partitionSummaries(layout.schema, layout.spec, entries.map((e) => e.dataFile))
  return {
    manifestPath: path, manifestLength: length, partitionSpecId: layout.spec.specId, content,
    sequenceNumber: seq, addedSnapshotId: snapshotId, ...manifestCounts(entries, seq),
    ...(partitions === undefined ? {} : { partitions }),
  }
}

/** `items` grouped by the partition spec of their file (undefined: `fallback`, the default spec), in first-seen order. */
export function bySpec<T>(items: readonly T[], fileOf: (item: T) => DataFile, fallback: number): Map<number, T[]> {
  const out = new Map<number, T[]>()
  for (const item of items) {
    const id = fileOf(item).specId ?? fallback
    let list = out.get(id)
    if (list === undefined) out.set(id, list = [])
    list.push(item)
  }
  return out
}

function conflict(message: string, context: Record<string, unknown>): AilakeError {
  return new AilakeError('COMMIT_CONFLICT', message, { context })
}

/** Writes `entries` (all of spec `specId`) as one manifest. */
async function writeEntries(ctx: RewriteContext, content: ManifestFile['content'], entries: ManifestEntry[], specId: number): Promise<ManifestFile> {
  const layout = { schema: currentSchema(ctx.meta), spec: specById(ctx.meta, specId) }
  const bytes = encodeManifest({ ...layout, content, snapshotId: ctx.snapshotId, entries })
  const path = await ctx.files.putManifest(`${newUuid()}-m1.avro`, bytes)
  return manifestFileOf(path, bytes.length, content, ctx.seq, ctx.snapshotId, entries, layout)
}

/** Writes new `entries` as one manifest per partition spec of their files. */
async function writeNew(ctx: RewriteContext, content: ManifestFile['content'], entries: ManifestEntry[]): Promise<ManifestFile[]> {
  const out: ManifestFile[] = []
  for (const [specId, group] of bySpec(entries, (e) => e.dataFile, ctx.meta.defaultSpecId)) out.push(await writeEntries(ctx, content, group, specId))
  return out
}

/** An entry as it is carried into a rewritten manifest (EXISTING, or DELETED by this snapshot). */
function carriedEntry(e: ManifestEntry, m: ManifestFile, status: 'EXISTING' | 'DELETED', snapshotId: bigint): ManifestEntry {
  return {
    status,
    snapshotId: status === 'DELETED' ? snapshotId : e.snapshotId ?? m.addedSnapshotId,
    sequenceNumber: e.sequenceNumber ?? m.sequenceNumber,
    fileSequenceNumber: e.fileSequenceNumber ?? m.sequenceNumber,
    dataFile: e.dataFile,
  }
}

/**
 * The manifest list entries of `removed` → `added` on this base. Fails with COMMIT_CONFLICT if a
 * removed file is no longer live (`context.missing`) or, without `sameRows`, if deletes apply to
 * one (`context.deletesApply`).
 */
export async function applyRewrite(
  ctx: RewriteContext, removed: readonly string[], added: readonly DataFile[], sameRows: boolean, appliedThrough?: bigint, droppedManifests: ReadonlySet<string> = new Set(),
): Promise<{ list: ManifestFile[]; changes: RewriteChanges }> {
  const applied = (deleteSeq: bigint): boolean => appliedThrough !== undefined && deleteSeq <= appliedThrough
  if (sameRows && removed.length !== added.length) throw new AilakeError('INTERNAL', 'a same-rows rewrite replaces each removed file with one added file')
  const removedSet = new Set(removed)
  const replacement = new Map(sameRows ? removed.map((p, i) => [p, added[i] as DataFile]) : [])
  const list: ManifestFile[] = []
  const changes: RewriteChanges = { removedData: { files: 0, rows: 0 }, addedDeletes: [], removedDeletes: [] }
  const removedSeq = new Map<string, bigint>()

  // Dropped manifests (a quarantine of ones that cannot be read) leave unread, with all they list.
  const droppedFound = new Set<string>()
  const dropped = (m: ManifestFile): boolean => {
    if (!droppedManifests.has(ctx.keyOf(m.manifestPath))) return false
    droppedFound.add(ctx.keyOf(m.manifestPath))
    if (m.content === 'data') {
      changes.removedData.files += m.addedFilesCount + m.existingFilesCount
      changes.removedData.rows += m.addedRowsCount + m.existingRowsCount
    }
    return true
  }
  // Entries of manifests the rewrite empties, per spec: recorded as DELETED in one manifest, not
  // one each (a compaction of many small files would write, and every plan would walk, hundreds).
  const emptied = new Map<number, ManifestEntry[]>()
  for (const m of ctx.carried) {
    if (m.content !== 'data' || m.addedFilesCount + m.existingFilesCount === 0 || dropped(m)) continue
    const entries = await ctx.cache.manifest(m)
    if (!entries.some((e) => e.status !== 'DELETED' && removedSet.has(e.dataFile.filePath))) {
      list.push(m)
      continue
    }
    const rewritten: ManifestEntry[] = []
    for (const e of entries) {
      if (e.status === 'DELETED') continue
      const gone = removedSet.has(e.dataFile.filePath)
      const entry = carriedEntry(e, m, gone ? 'DELETED' : 'EXISTING', ctx.snapshotId)
      if (gone) {
        removedSeq.set(e.dataFile.filePath, entry.sequenceNumber as bigint)
        changes.removedData.files++
        changes.removedData.rows += e.dataFile.recordCount
      }
      rewritten.push(entry)
    }
    if (rewritten.every((e) => e.status === 'DELETED')) emptied.set(m.partitionSpecId, [...(emptied.get(m.partitionSpecId) ?? []), ...rewritten])
    else list.push(await writeEntries(ctx, 'data', rewritten, m.partitionSpecId))
  }
  for (const [specId, entries] of emptied) list.push(await writeEntries(ctx, 'data', entries, specId))
  const missing = removed.filter((p) => !removedSeq.has(p))
  if (missing.length > 0) {
    throw conflict(`rewrite conflicts with a concurrent commit: ${missing.length} file(s) it replaces are no longer live (e.g. ${missing[0]}); re-plan the rewrite on the current table`, { missing: missing.slice(0, 10) })
  }
  if (sameRows) {
    list.push(...await writeNew(ctx, 'data', added.map((dataFile, i) => ({
      status: 'ADDED', snapshotId: ctx.snapshotId, sequenceNumber: removedSeq.get(removed[i] as string) as bigint, fileSequenceNumber: null, dataFile,
    }))))
  }

  // Delete files that apply to a removed file.
  const carriedDeletes: ManifestEntry[] = []
  for (const m of ctx.carried) {
    if (m.content !== 'deletes' || m.addedFilesCount + m.existingFilesCount === 0 || dropped(m)) continue
    const entries = await ctx.cache.manifest(m)
    const rewritten: ManifestEntry[] = []
    let touched = false
    for (const e of entries) {
      if (e.status === 'DELETED') continue
      const d = e.dataFile
      const deleteSeq = e.sequenceNumber ?? m.sequenceNumber
      let drop = false
      if (d.content === 'position-deletes') {
        const ref = referencedPath(d)
        const targets = ref !== undefined ? (removedSet.has(ref) ? [ref] : []) : removed.filter((p) => deleteSeq >= (removedSeq.get(p) as bigint))
        if (targets.length > 0) {
          const byPath = await ctx.cache.positionDeletes(d)
          for (const path of targets) {
            const positions = byPath.get(path)
            if (positions === undefined || positions.length === 0) continue
            const to = replacement.get(path)
            if (to === undefined && applied(deleteSeq)) continue // the rewrite left these rows out
            if (to === undefined) {
              throw conflict(`rewrite of ${path} would drop ${positions.length} row deletion(s) committed meanwhile (${d.filePath}); re-plan the rewrite so it applies them`, { deletesApply: true, path })
            }
            const moved = encodePositionDeletes('', to, positions)
            moved.dataFile.filePath = await ctx.files.putData(`${newUuid()}-deletes.parquet`, moved.bytes)
            carriedDeletes.push({ status: 'ADDED', snapshotId: ctx.snapshotId, sequenceNumber: deleteSeq, fileSequenceNumber: null, dataFile: moved.dataFile })
            changes.addedDeletes.push(moved.dataFile)
          }
          // A delete file naming only removed files is done with once its deletes moved.
          drop = ref !== undefined
        }
      } else if (!sameRows && !applied(deleteSeq) && removed.some((p) => deleteSeq > (removedSeq.get(p) as bigint))) {
        throw conflict(`rewrite of ${removed.length} file(s) would drop equality deletes (${d.filePath}) that apply to them; re-plan the rewrite so it applies them`, { deletesApply: true })
      }
      if (drop) {
        touched = true
        changes.removedDeletes.push(d)
      }
      rewritten.push(carriedEntry(e, m, drop ? 'DELETED' : 'EXISTING', ctx.snapshotId))
    }
    list.push(touched ? await writeEntries(ctx, 'deletes', rewritten, m.partitionSpecId) : m)
  }
  if (carriedDeletes.length > 0) list.push(...await writeNew(ctx, 'deletes', carriedDeletes))
  const gone = [...droppedManifests].filter((k) => !droppedFound.has(k))
  if (gone.length > 0) throw conflict(`rewrite conflicts with a concurrent commit: ${gone.length} manifest(s) it drops are no longer current (e.g. ${gone[0]}); re-plan on the current table`, { missing: gone.slice(0, 10) })
  return { list, changes }
}
