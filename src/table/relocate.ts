/**
 * Relocation: a copied or moved table records the absolute locations of where it was written.
 * ailake reads it where it is anyway (IcebergTable.keyOf maps them), but other engines follow
 * the recorded locations, to the original or to nothing. Relocating rewrites the metadata so
 * every location names the table's own folder: new manifests and manifest lists (files are
 * never rewritten in place) and one new metadata version, committed atomically. Data files stay.
 */
import { AilakeError } from '../errors.js'
import { nextMetadataLog } from '../catalog/metadata-files.js'
import { encodeManifest } from '../format/iceberg/manifest.js'
import { encodeManifestList } from '../format/iceberg/manifest-list.js'
import type { ManifestFile, Snapshot, TableMetadata } from '../format/iceberg/types.js'
import { sleep } from '../util/limiter.js'
import { newUuid } from './ids.js'
import type { IcebergTable } from './iceberg-table.js'
import { currentSchema, nextTimestamp } from './metadata-builder.js'

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

const ATTEMPTS = 10

/** Rewrites the table's metadata to record its own folder (see the module comment). */
export async function relocateTable(table: IcebergTable): Promise<RelocateResult> {
  for (let attempt = 1; ; attempt++) {
    await table.refresh()
    const base = table.loaded
    const result: RelocateResult = { relocated: false, from: base.metadata.location, to: table.root, manifests: 0, manifestLists: 0 }
    if (!table.moved) return result
    const written: string[] = []
    const put = async (location: string, bytes: Uint8Array): Promise<void> => {
      await table.store.put(table.keyOf(location), bytes)
      written.push(location)
    }
    let committed
    try {
      const next = await rebasedMetadata(table, base.metadata, base.metadataLocation, put)
      committed = await table.catalog.commitTable(base, next)
    } catch (err) {
      if (!(err instanceof AilakeError && err.context.outcomeUnknown === true)) await removeQuietly(table, written)
      throw err
    }
    if (committed !== undefined) {
      table.adopt(committed)
      result.relocated = true
      result.manifestLists = base.metadata.snapshots.length
      result.manifests = written.length - result.manifestLists
      return result
    }
    await removeQuietly(table, written)
    if (attempt >= ATTEMPTS) {
      throw new AilakeError('COMMIT_CONFLICT', `relocating ${table.name} lost the race ${attempt} times to concurrent writers; retry when they are idle`, { retryable: true })
    }
    await sleep(Math.random() * Math.min(1000, 10 * 2 ** attempt))
  }
}

async function rebasedMetadata(table: IcebergTable, meta: TableMetadata, baseLocation: string, put: (location: string, bytes: Uint8Array) => Promise<void>): Promise<TableMetadata> {
  const to = table.root
  // A manifest is shared by many snapshots: rewrite it once.
  const manifests = new Map<string, { path: string; length: number }>()
  const snapshots: Snapshot[] = []
  for (const snap of meta.snapshots) {
    const list: ManifestFile[] = []
    for (const m of await table.cache.manifestList(snap.manifestList)) {
      let done = manifests.get(m.manifestPath)
      if (done === undefined) {
        const entries = (await table.cache.manifest(m)).map((e) => ({ ...e, dataFile: { ...e.dataFile, filePath: table.rebased(e.dataFile.filePath) } }))
        const bytes = encodeManifest({
          schema: meta.schemas.find((s) => s.schemaId === snap.schemaId) ?? currentSchema(meta),
          spec: meta.partitionSpecs.find((s) => s.specId === m.partitionSpecId) ?? meta.partitionSpecs[0] ?? { specId: 0, fields: [] },
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

async function removeQuietly(table: IcebergTable, locations: string[]): Promise<void> {
  for (const l of locations) await table.store.delete(table.keyOf(l)).catch(() => undefined)
}
