import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { AilakeError } from '../errors.js'
import { crc32c } from '../util/crc32c.js'
import type { AppendableObject, ObjectInfo, ObjectStore } from './object-store.js'

export interface IndexCacheStoreOptions {
  /** Local directory for cached ranges; created if missing. */
  dir: string
  /** Total bytes of cached ranges kept on disk; least recently used ranges go first. Default 256 MiB. */
  maxBytes?: number
  /** Only ranged reads of at most this many bytes are cached (index sections, footers). Default 8 MiB. */
  maxRangeBytes?: number
  /**
   * HEAD the object on every cached read to pick up a changed ETag. Default false: ailake never
   * rewrites a committed path, so the ETag seen first is remembered until this store writes or
   * deletes the key.
   */
  revalidate?: boolean
}

/**
 * A read-through cache for small ranged reads (data-file index sections) on local disk, in
 * front of a remote store. Entries are keyed by object key, ETag and range, checksummed, and
 * evicted least-recently-used by bytes. Everything else passes straight to the inner store.
 */
export class IndexCacheStore implements ObjectStore {
  readonly inner: ObjectStore
  readonly requestCostBytes?: number
  /** Cache hits and misses since creation. */
  readonly stats = { hits: 0, misses: 0 }
  readonly #dir: string
  readonly #maxBytes: number
  readonly #maxRange: number
  readonly #revalidate: boolean
  readonly #etags = new Map<string, string>()
  // Insertion order is recency order: a hit re-inserts its entry at the end.
  readonly #lru = new Map<string, number>()
  #bytes = 0
  #ready: Promise<void> | undefined

  /** Present when the inner store has it (logs are never cached). */
  readonly createAppendable?: (key: string) => Promise<AppendableObject | undefined>

  constructor(inner: ObjectStore, options: IndexCacheStoreOptions) {
    const create = inner.createAppendable?.bind(inner)
    if (create !== undefined) {
      this.createAppendable = (key) => {
        this.#etags.delete(key)
        return create(key)
      }
    }
    if (typeof options?.dir !== 'string' || options.dir === '') throw new AilakeError('INVALID_ARGUMENT', 'IndexCacheStore needs { dir: "<local directory>" }.')
    this.inner = inner
    if (inner.requestCostBytes !== undefined) this.requestCostBytes = inner.requestCostBytes
    this.#dir = path.resolve(options.dir)
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024
    this.#maxRange = options.maxRangeBytes ?? 8 * 1024 * 1024
    this.#revalidate = options.revalidate ?? false
  }

  /** Bytes of cached ranges currently on disk. */
  get cachedBytes(): number {
    return this.#bytes
  }

  async getRange(key: string, offset: number, length?: number): Promise<Uint8Array> {
    if (length === undefined || offset < 0 || length > this.#maxRange || length > this.#maxBytes) return this.inner.getRange(key, offset, length)
    await (this.#ready ??= this.#load())
    const etag = await this.#etag(key)
    if (etag === undefined) return this.inner.getRange(key, offset, length)
    const id = createHash('sha256').update(`${key}\0${etag}\0${offset}\0${length}`).digest('hex')
    const hit = await this.#read(id)
    if (hit !== undefined && hit.length === length) {
      this.stats.hits++
      this.#touch(id, hit.length)
      return hit
    }
    this.stats.misses++
    const bytes = await this.inner.getRange(key, offset, length)
    await this.#write(id, bytes).catch(() => {})
    return bytes
  }

  get(key: string): Promise<Uint8Array> {
    return this.inner.get(key)
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.inner.head(key)
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.#etags.delete(key)
    await this.inner.put(key, bytes)
  }

  async putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    this.#etags.delete(key)
    return this.inner.putIfAbsent(key, bytes)
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.inner.list(prefix)
  }

  async delete(key: string): Promise<void> {
    this.#etags.delete(key)
    await this.inner.delete(key)
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #etag(key: string): Promise<string | undefined> {
    const known = this.#revalidate ? undefined : this.#etags.get(key)
    if (known !== undefined) return known
    const info = await this.inner.head(key)
    if (info === undefined) return undefined
    const tag = info.etag ?? `size:${info.size}`
    this.#etags.set(key, tag)
    return tag
  }

  // Entries left by an earlier process count toward the bound, oldest first.
  async #load(): Promise<void> {
    await mkdir(this.#dir, { recursive: true })
    const names = (await readdir(this.#dir)).filter((n) => /^[0-9a-f]{64}$/.test(n))
    const found = await Promise.all(names.map(async (n) => {
      const st = await stat(path.join(this.#dir, n)).catch(() => undefined)
      return st === undefined ? undefined : { n, size: st.size - 4, t: st.mtimeMs }
    }))
    for (const f of found.filter((x) => x !== undefined).sort((a, b) => a.t - b.t)) this.#touch(f.n, f.size)
    await this.#evict()
  }

  async #read(id: string): Promise<Uint8Array | undefined> {
    if (!this.#lru.has(id)) return undefined
    try {
      const buf = await readFile(path.join(this.#dir, id))
      const body = new Uint8Array(buf.buffer, buf.byteOffset + 4, buf.byteLength - 4)
      if (buf.byteLength >= 4 && buf.readUInt32LE(0) === crc32c(body)) return body
    } catch {
      // Missing or unreadable: fall through and refetch.
    }
    this.#forget(id)
    await unlink(path.join(this.#dir, id)).catch(() => {})
    return undefined
  }

  async #write(id: string, bytes: Uint8Array): Promise<void> {
    const file = path.join(this.#dir, id)
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
    const head = Buffer.alloc(4)
    head.writeUInt32LE(crc32c(bytes), 0)
    try {
      await writeFile(tmp, Buffer.concat([head, bytes]))
      await rename(tmp, file)
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    }
    this.#touch(id, bytes.length)
    await this.#evict()
  }

  #touch(id: string, size: number): void {
    this.#forget(id)
    this.#lru.set(id, size)
    this.#bytes += size
  }

  #forget(id: string): void {
    const old = this.#lru.get(id)
    if (old === undefined) return
    this.#lru.delete(id)
    this.#bytes -= old
  }

  async #evict(): Promise<void> {
    for (const [id] of this.#lru) {
      if (this.#bytes <= this.#maxBytes) break
      this.#forget(id)
      await unlink(path.join(this.#dir, id)).catch(() => {})
    }
  }
}
