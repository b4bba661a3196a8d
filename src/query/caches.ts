/**
 * Per-lakehouse query caches. Committed data files are immutable (a path is never rewritten),
 * so entries keyed by path + size never need invalidation; they are only evicted for space.
 * - decoded per-file search state (an index restored from its graph and SQ8 codes; for files
 *   without codes, the index with the file's vectors), LRU bounded by bytes;
 * - decoded vector pages read to re-score candidates and return vectors, LRU bounded by bytes;
 * - open data-file readers (parsed footers), LRU bounded by count;
 * - planned file lists per snapshot (metadata never changes for a given snapshot).
 */
import { AilakeError, inFile, isAilakeError } from '../errors.js'
import { openDataFile, type DataFileReader, type ForeignVector, type OpenDataFileOptions, type VectorPageCache } from '../format/data-file.js'
import type { HnswIndex } from '../vector-index/hnsw.js'
import type { ObjectStore } from '../store/object-store.js'
import type { LiveFile } from '../table/scan.js'
import type { ByteSource } from '../util/byte-source.js'
import type { TextIndex } from '../text/text-index.js'
import { checkOptions, type OptionKeys } from '../util/options.js'

/** The rows of a data file its delete files leave: a bitset (bit i set = row i live) and how many it allows. */
export interface LiveMask {
  bits: Uint8Array
  allowed: number
}

/**
 * What a search keeps of a file: its index restored from graph and SQ8 codes (`vectors`
 * undefined: candidates are re-scored on vectors read page by page), or, for files without
 * codes (small, older or unindexed), the vectors decoded to f32 and the index over them if any.
 */
export interface FileVectors {
  vectors: Float32Array | undefined
  index: HnswIndex | undefined
  /** Memory held (vectors, the index's arena and graph). */
  bytes: number
}

export interface QueryCachesOptions {
  /**
   * Memory bound of decoded per-file search state. Default 1 GiB. A file with stored codes takes
   * its graph, codes and beam state (about 400 bytes per row at 100-d, M 16); one without (under
   * 1,024 rows, or written before codes were stored) its f32 vectors twice plus its graph.
   * Below a table's need, queries re-read sections.
   */
  maxIndexBytes?: number
  /**
   * Memory bound of decoded vector pages (candidates re-scored, vectors returned). Default 256
   * MiB. Warm queries re-score from here; a page not held is read again (GloVe 340k as 35
   * files: 100 queries touch 77 MiB of pages, and with 64 MiB warm queries ran at half speed).
   */
  maxVectorPageBytes?: number
  /** Open readers kept (each holds a parsed footer). Default 512. */
  maxReaders?: number
  /** Planned snapshots kept. Default 32. */
  maxPlans?: number
  /** Memory bound of decoded scalar columns (rows fetched and filters evaluated). Default 64 MiB. */
  maxColumnBytes?: number
}

export const QUERY_CACHES_OPTION_KEYS = { maxIndexBytes: true, maxVectorPageBytes: true, maxReaders: true, maxPlans: true, maxColumnBytes: true } as const satisfies OptionKeys<QueryCachesOptions>

/** Counters since creation; a query reports the difference over its run. */
export interface CacheCounters {
  bytesRead: number
  reads: number
  indexHits: number
  indexMisses: number
  readerHits: number
  readerMisses: number
}

class Lru<V> {
  private readonly map = new Map<string, { value: V; size: number }>()
  private total = 0
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const e = this.map.get(key)
    if (e === undefined) return undefined
    this.map.delete(key)
    this.map.set(key, e)
    return e.value
  }

  set(key: string, value: V, size = 1): void {
    const old = this.map.get(key)
    if (old !== undefined) {
      this.total -= old.size
      this.map.delete(key)
    }
    this.map.set(key, { value, size })
    this.total += size
    for (const [k, e] of this.map) {
      if (this.total <= this.max || this.map.size === 1) break
      this.map.delete(k)
      this.total -= e.size
    }
  }

  delete(key: string): void {
    const e = this.map.get(key)
    if (e === undefined) return
    this.total -= e.size
    this.map.delete(key)
  }

  get size(): number { return this.total }
  clear(): void { this.map.clear(); this.total = 0 }
}

/**
 * Create one per lakehouse and pass it to every search. Safe to share between tables: keys
 * are full file locations plus sizes.
 */
export class QueryCaches {
  readonly counters: CacheCounters = { bytesRead: 0, reads: 0, indexHits: 0, indexMisses: 0, readerHits: 0, readerMisses: 0 }
  private readonly files: Lru<Promise<FileVectors>>
  private readonly readers: Lru<Promise<DataFileReader>>
  private readonly plans: Lru<Promise<LiveFile[]>>
  /** Decoded scalar columns: row objects (`columnRows`) and value arrays (`columnValues`). */
  private readonly columns: Lru<Promise<unknown>>
  private readonly pages: Lru<Float32Array>
  /** Live-row bitsets of data files with deletes, by file and delete files. */
  private readonly masks = new Lru<Promise<LiveMask | undefined>>(64 * 2 ** 20)
  /** Decoded full-text indexes by file (and analyser and columns), bounded by their approximate size. */
  private readonly texts = new Lru<Promise<TextIndex>>(256 * 2 ** 20)

  constructor(options: QueryCachesOptions = {}) {
    checkOptions(options, QUERY_CACHES_OPTION_KEYS, 'new QueryCaches()')
    this.files = new Lru(options.maxIndexBytes ?? 1024 * 2 ** 20)
    this.readers = new Lru(options.maxReaders ?? 512)
    this.plans = new Lru(options.maxPlans ?? 32)
    this.columns = new Lru(options.maxColumnBytes ?? 64 * 2 ** 20)
    this.pages = new Lru(options.maxVectorPageBytes ?? 256 * 2 ** 20)
  }

  /** Bytes of decoded per-file search state currently held. */
  get indexBytes(): number { return this.files.size }

  /** Bytes of decoded vector pages currently held. */
  get vectorPageBytes(): number { return this.pages.size }

  /** Bytes (estimated) of decoded scalar columns currently held. */
  get columnBytes(): number { return this.columns.size }

  /** The vector-page cache of one data file, for `DataFileReader.readVectorsAt`. */
  vectorPages(key: string, size: number): VectorPageCache {
    const pages = this.pages
    return {
      get: (offset) => pages.get(`${key}#${size}#${offset}`),
      set: (offset, vectors) => pages.set(`${key}#${size}#${offset}`, vectors, vectors.byteLength),
    }
  }

  /** Drops everything (tests and benchmarks use it to measure cold queries). */
  clear(): void {
    this.files.clear()
    this.readers.clear()
    this.plans.clear()
    this.columns.clear()
    this.pages.clear()
    this.masks.clear()
    this.texts.clear()
  }

  /**
   * A metered byte source over one data file of `size` bytes (as the table metadata records). Reads
   * are planned within that size, so a range the store finds outside the object, or a short read,
   * means the file is shorter than recorded: `CORRUPT_DATA`, not a caller's mistake.
   */
  source(store: ObjectStore, key: string, size: number): ByteSource {
    const counters = this.counters
    return {
      name: key,
      size,
      ...(store.requestCostBytes === undefined ? {} : { requestCostBytes: store.requestCostBytes }),
      async read(offset: number, length: number): Promise<Uint8Array> {
        let bytes: Uint8Array
        try {
          bytes = await store.getRange(key, offset, length)
        } catch (err) {
          throw readError(err, key, size)
        }
        if (bytes.length !== length) throw truncated(key, size, { offset, length, got: bytes.length })
        counters.bytesRead += bytes.length
        counters.reads++
        return bytes
      },
    }
  }

  /** The open reader of a data file; `section` (from table metadata) saves locating the section. @internal */
  reader(store: ObjectStore, key: string, size: number, section?: { offset: number; length: number }, vector?: ForeignVector): Promise<DataFileReader> {
    const id = `${key}#${size}`
    const hit = this.readers.get(id)
    if (hit !== undefined) {
      this.counters.readerHits++
      return hit
    }
    this.counters.readerMisses++
    const options: OpenDataFileOptions = {}
    if (section !== undefined) options.section = section
    if (vector !== undefined) options.vector = vector
    const p = openDataFile(this.source(store, key, size), options).then((r) => namingFile(r, key), (err: unknown) => { throw inFile(err, key, 'data file') })
    this.readers.set(id, p)
    p.catch(() => this.readers.delete(id))
    return p
  }

  /** The decoded vectors (and index) of a file, loading them with `load` on a miss. */
  fileVectors(key: string, size: number, load: () => Promise<FileVectors>): Promise<FileVectors> {
    const id = `${key}#${size}`
    const hit = this.files.get(id)
    if (hit !== undefined) {
      this.counters.indexHits++
      return hit
    }
    this.counters.indexMisses++
    const p = load().catch((err: unknown) => { throw inFile(err, key, 'data file') })
    // Reserve nominal space until the real size is known, then account for it.
    this.files.set(id, p, 0)
    p.then((v) => { if (this.files.get(id) === p) this.files.set(id, p, v.bytes) }, () => this.files.delete(id))
    return p
  }

  /**
   * Every row of some scalar columns of a file, loaded with `load` on a miss; `bytes` estimates
   * the decoded size for the memory bound.
   */
  columnRows(key: string, size: number, columns: readonly string[], bytes: number, load: () => Promise<Record<string, unknown>[]>): Promise<Record<string, unknown>[]> {
    return this.decodedColumns(`${key}#${size}#rows#${JSON.stringify(columns)}`, key, bytes, load)
  }

  /** Like `columnRows`, as one array of values per column (by name). */
  columnValues(key: string, size: number, columns: readonly string[], bytes: number, load: () => Promise<Map<string, ArrayLike<unknown>>>): Promise<Map<string, ArrayLike<unknown>>> {
    return this.decodedColumns(`${key}#${size}#values#${JSON.stringify(columns)}`, key, bytes, load)
  }

  private decodedColumns<T>(id: string, key: string, bytes: number, load: () => Promise<T>): Promise<T> {
    const hit = this.columns.get(id)
    if (hit !== undefined) return hit as Promise<T>
    const p = load().catch((err: unknown) => { throw inFile(err, key, 'data file') })
    this.columns.set(id, p, bytes)
    p.catch(() => this.columns.delete(id))
    return p
  }

  /** The live-row bitset of a data file under a set of delete files (undefined: nothing deleted), loaded on a miss. */
  liveMask(key: string, rows: number, load: () => Promise<LiveMask | undefined>): Promise<LiveMask | undefined> {
    const hit = this.masks.get(key)
    if (hit !== undefined) return hit
    const p = load()
    this.masks.set(key, p, 64 + (rows >> 3))
    p.catch(() => this.masks.delete(key))
    return p
  }

  /** The decoded full-text index of a file for one analyser and column list, loaded with `load` on a miss. */
  textIndex(key: string, size: number, what: string, load: () => Promise<TextIndex>): Promise<TextIndex> {
    const id = `${key}#${size}#${what}`
    const hit = this.texts.get(id)
    if (hit !== undefined) {
      this.counters.indexHits++
      return hit
    }
    this.counters.indexMisses++
    const p = load().catch((err: unknown) => { throw inFile(err, key, 'data file') })
    this.texts.set(id, p, 0)
    p.then((v) => { if (this.texts.get(id) === p) this.texts.set(id, p, v.bytes) }, () => this.texts.delete(id))
    return p
  }

  /** The planned live files of a snapshot, planning with `load` on a miss. */
  plan(key: string, load: () => Promise<LiveFile[]>): Promise<LiveFile[]> {
    const hit = this.plans.get(key)
    if (hit !== undefined) return hit
    const p = load()
    this.plans.set(key, p)
    p.catch(() => this.plans.delete(key))
    return p
  }
}

/** What a failed read of a data file means for the table. */
function readError(err: unknown, key: string, size: number): unknown {
  if (isAilakeError(err, 'INVALID_ARGUMENT')) return truncated(key, size, err.context)
  if (isAilakeError(err, 'NOT_FOUND')) {
    return new AilakeError('NOT_FOUND', `data file ${key} is missing, though the table lists it: it was deleted outside ailake, or expired while this query read an old snapshot; verify the table to list what is damaged, and quarantine it to keep the rest searchable`, { cause: err, context: { file: key, missing: true } })
  }
  return err
}

function truncated(key: string, size: number, context: Readonly<Record<string, unknown>>): AilakeError {
  const actual = typeof context.size === 'number' && context.size !== size ? `has ${context.size} bytes but ` : 'is shorter than '
  return new AilakeError('CORRUPT_DATA', `data file ${key} ${actual}the table metadata records ${size}: it is truncated or damaged; verify the table to list damaged files, and quarantine them to keep the rest searchable`, { context: { ...context, file: key, expectedSize: size } })
}

/**
 * The reader, with its reads' decoding errors naming the file. A proxy rather than a subclass, so
 * it follows whatever methods the format layer's reader has.
 */
function namingFile(reader: DataFileReader, key: string): DataFileReader {
  return new Proxy(reader, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target)
      if (typeof v !== 'function') return v
      return (...args: unknown[]): unknown => {
        const r: unknown = (v as (...a: unknown[]) => unknown).apply(target, args)
        return r instanceof Promise ? r.catch((err: unknown) => { throw inFile(err, key, 'data file') }) : r
      }
    },
  })
}
