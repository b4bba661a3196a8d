/**
 * Scan planning: the live data files of one snapshot, with their inherited sequence numbers
 * and their ailake vector facts, read from the snapshot's manifest list and manifests.
 */
import { AilakeError } from '../errors.js'
import type { DataFile, ManifestFile, TableMetadata } from '../format/iceberg/types.js'
import { mapLimit } from '../util/limiter.js'
import type { ManifestCache } from './manifest-cache.js'

export interface LiveFile {
  dataFile: DataFile
  /** Data sequence number (inherited where the manifest left it null). */
  sequenceNumber: bigint
  fileSequenceNumber: bigint
  /** Snapshot that added the file. */
  snapshotId: bigint
}

/** Manifests of a snapshot (empty for a table with no snapshot). */
export async function snapshotManifests(meta: TableMetadata, snapshotId: bigint | null, cache: ManifestCache): Promise<ManifestFile[]> {
  if (snapshotId === null) return []
  const snap = meta.snapshots.find((s) => s.snapshotId === snapshotId)
  if (snap === undefined) {
    throw new AilakeError('NOT_FOUND', `snapshot ${snapshotId} does not exist in this table (it may have been expired)`, { context: { snapshotId: String(snapshotId) } })
  }
  return cache.manifestList(snap.manifestList)
}

/** The live data files of a snapshot, in manifest order. */
export async function planFiles(meta: TableMetadata, snapshotId: bigint | null, cache: ManifestCache): Promise<LiveFile[]> {
  const manifests = await snapshotManifests(meta, snapshotId, cache)
  const deletes = manifests.filter((m) => m.content === 'deletes' && m.addedFilesCount + m.existingFilesCount > 0)
  if (deletes.length > 0) {
    // Applying another engine's delete files is not supported yet; refusing beats returning deleted rows.
    throw new AilakeError('UNSUPPORTED', `snapshot ${snapshotId} has ${deletes.length} delete manifest(s); reading tables with Iceberg delete files is not supported yet`, { context: { snapshotId: String(snapshotId) } })
  }
  const perManifest = await mapLimit(manifests.filter((m) => m.content === 'data'), 8, async (m) => {
    const entries = await cache.manifest(m)
    const out: LiveFile[] = []
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
