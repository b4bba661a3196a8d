/**
 * Relocation: a copied or moved table records the absolute locations of where it was written.
 * ailake reads it where it is anyway (IcebergTable.keyOf maps them), but other engines follow
 * the recorded locations, to the original or to nothing. Relocating rewrites the metadata so
 * every location names the table's own folder: new manifests and manifest lists (files are
 * never rewritten in place) and one new metadata version, committed atomically. Data files stay.
 */
import { specById } from './partition.js'
import { nextMetadataLog } from '../catalog/metadata-files.js'
import { encodeManifest } from '../format/iceberg/manifest.js'
import { encodeManifestList } from '../format/iceberg/manifest-list.js'
import type { ManifestFile, Snapshot, TableMetadata } from '../format/iceberg/types.js'
import { newUuid } from './ids.js'
import type { IcebergTable } from './iceberg-table.js'
import { currentSchema, nextTimestamp } from './metadata-builder.js'
import { commitMetadataChange } from './metadata-commit.js'

export interface RelocateResult {
  /** False when the table already records where it is (nothing was written). */
  relocated: boolean
  /** The location the table recorded before. */
  from: string
  /** Where it is, and what it records now. */
  to: string
  manifests: number
  manifestLists: number
}

/** Rewrites the table's metadata to record its own folder (see the module comment). */
export async function relocateTable(table: IcebergTable): Promise<RelocateResult> {
  const from = table.location
  const done = await commitMetadataChange(table, 'relocate', async (base) => {
    if (!table.moved) return undefined
    const written: string[] = []
    const discard = async (): Promise<void> => {
      for (const l of written.splice(0)) await table.store.delete(table.keyOf(l)).catch(() => undefined)
    }
    const put = async (location: string, bytes: Uint8Array): Promise<void> => {
      written.push(location)
      await table.store.put(table.keyOf(location), bytes)
    }
    try {
      const next = await rebasedMetadata(table, base.metadata, base.metadataLocation, put)
      const lists = base.metadata.snapshots.length
      return { next, value: { from: base.metadata.location, manifestLists: lists, manifests: written.length - lists }, discard }
    } catch (err) {
      await discard()
      throw err
    }
  })
  if (done === undefined) return { relocated: false, from, to: table.root, manifests: 0, manifestLists: 0 }
  return { relocated: true, to: table.root, ...done.value }
}

async function rebasedMetadata(table: IcebergTable, meta: TableMetadata, baseLocation: string, put: (location: string, bytes: Uint8Array) => Promise<void>): Promise<TableMetadata> {
  const to = table.root
  // A manifest is shared by many snapshots: rewrite it once.
  const manifests = new Map<string, { path: string; length: number }>()
  const snapshots: Snapshot[] = []
  for (const snap of meta.snapshots) {
    const list: ManifestFile[] = []
    for (const m of await table.cache.snapshotManifests(snap)) {
      let done = manifests.get(m.manifestPath)
      if (done === undefined) {
        const entries = (await table.cache.manifest(m)).map((e) => ({ ...e, dataFile: { ...e.dataFile, filePath: table.rebased(e.dataFile.filePath) } }))
        const bytes = encodeManifest({
          schema: meta.schemas.find((s) => s.schemaId === snap.schemaId) ?? currentSchema(meta),
          spec: specById(meta, m.partitionSpecId),
          content: m.content, snapshotId: m.addedSnapshotId, entries,
        })
        done = { path: `${to}/metadata/${newUuid()}-m0.avro`, length: bytes.length }
        await put(done.path, bytes)
        manifests.set(m.manifestPath, done)
      }
      list.push({ ...m, manifestPath: done.path, manifestLength: done.length })
    }
    const bytes = encodeManifestList(list, { snapshotId: snap.snapshotId, parentSnapshotId: snap.parentSnapshotId ?? null, sequenceNumber: snap.sequenceNumber })
    const manifestList = `${to}/metadata/snap-${snap.snapshotId}-1-${newUuid()}.avro`
    await put(manifestList, bytes)
    snapshots.push({ ...snap, manifestList })
  }
  return {
    ...meta,
    location: to,
    lastUpdatedMs: nextTimestamp(meta),
    snapshots,
    metadataLog: nextMetadataLog(meta, baseLocation).map((e) => ({ ...e, metadataFile: table.rebased(e.metadataFile) })),
  }
}
