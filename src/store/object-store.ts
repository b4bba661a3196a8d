/**
 * The storage contract every backend (memory, local directory, S3) implements. Keys are
 * '/'-separated relative paths; a store never interprets them beyond that.
 */

export interface ObjectInfo {
  key: string
  size: number
  /** Opaque version tag (S3 ETag, mtime+size locally), if the store has one. */
  etag?: string
  lastModified?: Date
}

/** An object open for appending; see {@link ObjectStore.createAppendable}. */
export interface AppendableObject {
  /**
   * Appends `bytes` at the end of the object; once resolved they are durable as far as the
   * store's puts are (a fsyncing LocalStore fdatasyncs). After a rejection the object may end
   * in a partial write, so a caller stops appending to it.
   */
  append(bytes: Uint8Array): Promise<void>
  /** Releases the handle; the object keeps what was appended. */
  close(): Promise<void>
}

export interface ObjectStore {
  /**
   * About how many bytes of transfer one request costs in time (its latency times the store's
   * bandwidth). Readers fetch ranges lying closer together than this in one request, the bytes
   * between them included. Absent: 16 KiB (a local disk).
   */
  readonly requestCostBytes?: number
  /** Whole object. Rejects with `NOT_FOUND` if absent. */
  get(key: string): Promise<Uint8Array>
  /**
   * `length` bytes starting at `offset`. A negative `offset` with no `length` reads the last
   * `-offset` bytes (a suffix range). Rejects with `NOT_FOUND` if absent and `INVALID_ARGUMENT`
   * if the range lies outside the object.
   */
  getRange(key: string, offset: number, length?: number): Promise<Uint8Array>
  /** Size and version, or `undefined` if absent. */
  head(key: string): Promise<ObjectInfo | undefined>
  /** Creates or replaces the object atomically: readers see the old or the new bytes, never a mix. */
  put(key: string, bytes: Uint8Array): Promise<void>
  /**
   * Creates the object only if the key does not exist, atomically across processes and
   * machines. Returns false (without writing) if it already exists.
   */
  putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean>
  /**
   * Optional, for logs: creates `key` empty only if it does not exist (atomic across processes,
   * like `putIfAbsent`) and returns a handle appending to it, or `undefined` if it exists.
   * Unlike every other write this is not atomic: a reader or a crash may see the object at any
   * length, even mid-append, so only checksummed, self-delimiting records belong in it. Stores
   * without cheap appends (S3) leave it out and callers write one object per record instead.
   */
  createAppendable?(key: string): Promise<AppendableObject | undefined>
  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>
  /** Deletes the object; deleting a missing key is not an error. */
  delete(key: string): Promise<void>
  /** Releases resources (connections, handles). */
  close(): Promise<void>
}
