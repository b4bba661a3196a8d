/**
 * Reads manifest lists, manifests and delete files through a bounded cache. All are immutable
 * once written (a committed path is never rewritten), so a cache entry never goes stale. Entries are
 * keyed by store key, not by location: two copies of a table record the same locations for
 * different objects (see IcebergTable.keyOf), and each resolves them with its own `keyOf`.
 */
import { inFile } from '../errors.js'
import type { ObjectStore } from '../store/object-store.js'
import { decodeManifest } from '../format/iceberg/manifest.js'
import { decodeManifestList } from '../format/iceberg/manifest-list.js'
import type { DataFile, ManifestEntry, ManifestFile, Snapshot } from '../format/iceberg/types.js'
import { readEqualityDeletes, readPositionDeletes } from '../format/delete-file.js'
import type { Field } from '../format/schema.js'
import { bytesSource } from '../util/byte-source.js'

interface Entries {
  lists: Map<string, Promise<ManifestFile[]>>
  manifests: Map<string, Promise<ManifestEntry[]>>
  positionDeletes: Map<string, Promise<Map<string, number[]>>>
  equalityDeletes: Map<string, Promise<Record<string, unknown>[]>>
}

export class ManifestCache {
  private readonly entries: Entries

  constructor(
    private readonly store: ObjectStore,
    private readonly keyOf: (location: string) => string,
    private readonly maxEntries = 1024,
    shared?: Entries,
  ) {
    this.entries = shared ?? { lists: new Map(), manifests: new Map(), positionDeletes: new Map(), equalityDeletes: new Map() }
  }

  /** The same cache (shared entries) resolving locations with `keyOf`: one table's view. */
  withKeys(keyOf: (location: string) => string): ManifestCache {
    return new ManifestCache(this.store, keyOf, this.maxEntries, this.entries)
  }

  manifestList(location: string): Promise<ManifestFile[]> {
    const key = this.keyOf(location)
    return this.cached(this.entries.lists, key, async () => {
      const bytes = await this.store.get(key)
      let list: ManifestFile[]
      try {
        list = decodeManifestList(bytes)
      } catch (err) {
        throw inFile(err, location, 'manifest list')
      }
      return Promise.all(list.map((m) => (m.countsUnknown === true ? this.counted(m) : m)))
    })
  }

  /**
   * `m` with the file and row counts its manifest holds, for lists that left them out: commits
   * and planners skip manifests whose counts say they hold no live file, so an unknown count
   * must never read as 0 (a later commit would drop the manifest, and its rows, from the table).
   */
  private async counted(m: ManifestFile): Promise<ManifestFile> {
    const c = { addedFilesCount: 0, existingFilesCount: 0, deletedFilesCount: 0, addedRowsCount: 0, existingRowsCount: 0, deletedRowsCount: 0 }
    for (const e of await this.manifest(m)) {
      const rows = e.dataFile.recordCount
      if (e.status === 'ADDED') { c.addedFilesCount++; c.addedRowsCount += rows }
      else if (e.status === 'EXISTING') { c.existingFilesCount++; c.existingRowsCount += rows }
      else { c.deletedFilesCount++; c.deletedRowsCount += rows }
    }
    const out: ManifestFile = { ...m, ...c }
    delete out.countsUnknown
    return out
  }

  /**
   * A snapshot's manifests: its manifest list, or (v1 snapshots without one) the manifests it
   * names, with the v1 defaults a manifest list would supply (data, spec 0, sequence number 0).
   */
  snapshotManifests(snap: Snapshot): Promise<ManifestFile[]> {
    if (snap.manifestList !== undefined) return this.manifestList(snap.manifestList)
    return Promise.all((snap.manifests ?? []).map((manifestPath) => this.counted({
      manifestPath, manifestLength: 0, partitionSpecId: 0, content: 'data', sequenceNumber: 0n, minSequenceNumber: 0n,
      addedSnapshotId: snap.snapshotId, addedFilesCount: 0, existingFilesCount: 0, deletedFilesCount: 0, addedRowsCount: 0, existingRowsCount: 0, deletedRowsCount: 0,
    })))
  }

  manifest(file: ManifestFile): Promise<ManifestEntry[]> {
    const key = this.keyOf(file.manifestPath)
    return this.cached(this.entries.manifests, key, async () => {
      const bytes = await this.store.get(key)
      try {
        return decodeManifest(bytes, { snapshotId: file.addedSnapshotId, sequenceNumber: file.sequenceNumber, specId: file.partitionSpecId })
      } catch (err) {
        throw inFile(err, file.manifestPath, 'manifest')
      }
    })
  }

  /** The positions a position delete file deletes, by data file path (as it records them). */
  positionDeletes(file: DataFile): Promise<Map<string, number[]>> {
    const key = this.keyOf(file.filePath)
    return this.cached(this.entries.positionDeletes, key, async () => {
      try {
        return await readPositionDeletes(bytesSource(await this.store.get(key), key))
      } catch (err) {
        throw inFile(err, file.filePath, 'position delete file')
      }
    })
  }

  /** The rows of an equality delete file, with the values of `fields` (its equality columns). */
  equalityDeletes(file: DataFile, fields: readonly Field[]): Promise<Record<string, unknown>[]> {
    const key = this.keyOf(file.filePath)
    return this.cached(this.entries.equalityDeletes, `${key}\u0000${fields.map((f) => f.id).join(',')}`, async () => {
      try {
        return await readEqualityDeletes(bytesSource(await this.store.get(key), key), fields)
      } catch (err) {
        throw inFile(err, file.filePath, 'equality delete file')
      }
    })
  }

  private cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key)
    if (hit !== undefined) {
      map.delete(key)
      map.set(key, hit)
      return hit
    }
    const p = load()
    p.catch(() => map.delete(key))
    map.set(key, p)
    while (map.size > this.maxEntries) map.delete(map.keys().next().value as string)
    return p
  }
}
