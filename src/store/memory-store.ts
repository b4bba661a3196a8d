import { AilakeError } from '../errors.js'
import { compareKeys, resolveRange, validateKey, validatePrefix } from './keys.js'
import type { AppendableObject, ObjectInfo, ObjectStore } from './object-store.js'

interface Entry {
  bytes: Uint8Array
  etag: string
  lastModified: Date
}

/**
 * An in-process store for tests and ephemeral tables. Bytes are copied in and out, so callers
 * can never mutate a stored object, and `putIfAbsent` rejects a second create like S3's 412.
 */
export class MemoryStore implements ObjectStore {
  readonly #objects = new Map<string, Entry>()
  #version = 0

  async get(key: string): Promise<Uint8Array> {
    return this.#entry(key).bytes.slice()
  }

  async getRange(key: string, offset: number, length?: number): Promise<Uint8Array> {
    const e = this.#entry(key)
    const [start, end] = resolveRange(key, e.bytes.length, offset, length)
    return e.bytes.slice(start, end)
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const e = this.#objects.get(validateKey(key))
    return e === undefined ? undefined : { key, size: e.bytes.length, etag: e.etag, lastModified: e.lastModified }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.#objects.set(validateKey(key), this.#newEntry(bytes))
  }

  async putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    if (this.#objects.has(validateKey(key))) return false
    this.#objects.set(key, this.#newEntry(bytes))
    return true
  }

  /** Appends grow a private buffer by doubling; the visible object is always a prefix view of it (copied out by `get`). */
  async createAppendable(key: string): Promise<AppendableObject | undefined> {
    if (this.#objects.has(validateKey(key))) return undefined
    let buf = new Uint8Array(0)
    let length = 0
    let mine = this.#newEntry(buf)
    this.#objects.set(key, mine)
    return {
      append: async (bytes: Uint8Array): Promise<void> => {
        if (!(bytes instanceof Uint8Array)) throw new AilakeError('INVALID_ARGUMENT', 'Appended bytes must be a Uint8Array.')
        // A deleted (or replaced) log is not resurrected, as with an unlinked file.
        if (this.#objects.get(key) !== mine) return
        if (length + bytes.length > buf.length) {
          const grown = new Uint8Array(Math.max(length + bytes.length, buf.length * 2, 256))
          grown.set(buf.subarray(0, length))
          buf = grown
        }
        buf.set(bytes, length)
        length += bytes.length
        mine = { bytes: buf.subarray(0, length), etag: `m${++this.#version}`, lastModified: new Date() }
        this.#objects.set(key, mine)
      },
      close: async (): Promise<void> => {},
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    validatePrefix(prefix)
    const out: ObjectInfo[] = []
    for (const [key, e] of this.#objects) {
      if (key.startsWith(prefix)) out.push({ key, size: e.bytes.length, etag: e.etag, lastModified: e.lastModified })
    }
    return out.sort((a, b) => compareKeys(a.key, b.key))
  }

  async delete(key: string): Promise<void> {
    this.#objects.delete(validateKey(key))
  }

  /** Holds nothing to release; the contents stay readable so a test can reopen a lake on the same store. */
  async close(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #newEntry(bytes: Uint8Array): Entry {
    if (!(bytes instanceof Uint8Array)) throw new AilakeError('INVALID_ARGUMENT', 'Object bytes must be a Uint8Array.')
    return { bytes: bytes.slice(), etag: `m${++this.#version}`, lastModified: new Date() }
  }

  #entry(key: string): Entry {
    const e = this.#objects.get(validateKey(key))
    if (e === undefined) throw new AilakeError('NOT_FOUND', `Object ${JSON.stringify(key)} does not exist in the memory store.`, { context: { key } })
    return e
  }
}
