/**
 * Reads manifest lists, manifests and delete files through a bounded cache. All are immutable
 * once written (a committed path is never rewritten), so a cache entry never goes stale.
 */
import type { ObjectStore } from '../store/object-store.js'
import { decodeManifest } from '../format/iceberg/manifest.js'
import { decodeManifestList } from '../format/iceberg/manifest-list.js'
import type { DataFile, ManifestEntry, ManifestFile } from '../format/iceberg/types.js'
import { readEqualityDeletes, readPositionDeletes } from '../format/delete-file.js'
import type { Field } from '../format/schema.js'
import { bytesSource } from '../util/byte-source.js'

export class ManifestCache {
  private readonly lists = new Map<string, Promise<ManifestFile[]>>()
  private readonly manifests = new Map<string, Promise<ManifestEntry[]>>()
  private readonly positionDeleteFiles = new Map<string, Promise<Map<string, number[]>>>()
  private readonly equalityDeleteFiles = new Map<string, Promise<Record<string, unknown>[]>>()

  constructor(
    private readonly store: ObjectStore,
    private readonly keyOf: (location: string) => string,
    private readonly maxEntries = 1024,
  ) {}

  manifestList(location: string): Promise<ManifestFile[]> {
    return this.cached(this.lists, location, async () => decodeManifestList(await this.store.get(this.keyOf(location))))
  }

  manifest(file: ManifestFile): Promise<ManifestEntry[]> {
    return this.cached(this.manifests, file.manifestPath, async () =>
      decodeManifest(await this.store.get(this.keyOf(file.manifestPath)), { snapshotId: file.addedSnapshotId, sequenceNumber: file.sequenceNumber }))
  }

  /** The positions a position delete file deletes, by data file path. */
  positionDeletes(file: DataFile): Promise<Map<string, number[]>> {
    return this.cached(this.positionDeleteFiles, file.filePath, async () => {
      const key = this.keyOf(file.filePath)
      return readPositionDeletes(bytesSource(await this.store.get(key), key))
    })
  }

  /** The rows of an equality delete file, with the values of `fields` (its equality columns). */
  equalityDeletes(file: DataFile, fields: readonly Field[]): Promise<Record<string, unknown>[]> {
    return this.cached(this.equalityDeleteFiles, `${file.filePath}\u0000${fields.map((f) => f.id).join(',')}`, async () => {
      const key = this.keyOf(file.filePath)
      return readEqualityDeletes(bytesSource(await this.store.get(key), key), fields)
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
