/**
 * Reads manifest lists and manifests through a bounded cache. Both are immutable once
 * written (a committed path is never rewritten), so a cache entry never goes stale.
 */
import type { ObjectStore } from '../store/object-store.js'
import { decodeManifest } from '../format/iceberg/manifest.js'
import { decodeManifestList } from '../format/iceberg/manifest-list.js'
import type { ManifestEntry, ManifestFile } from '../format/iceberg/types.js'

export class ManifestCache {
  private readonly lists = new Map<string, Promise<ManifestFile[]>>()
  private readonly manifests = new Map<string, Promise<ManifestEntry[]>>()

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
