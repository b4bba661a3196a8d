/**
 * Per-lakehouse query caches. Committed data files are immutable (a path is never rewritten),
 * so entries keyed by path + size never need invalidation; they are only evicted for space.
 * - decoded per-file search state (an index restored from its graph and SQ8 codes; for files
 *   without codes, the index with the file's vectors), bounded by bytes;
 * - decoded vector pages read to re-score candidates and return vectors, bounded by bytes;
 * - open data-file readers (parsed footers), bounded by count;
 * each a ByteCache (LRU eviction with frequency admission, so a working set larger than a bound
 * keeps part of itself resident instead of cycling all of it).
 * - planned file lists per snapshot (metadata never changes for a given snapshot).
 */
import { AilakeError, inFile, invalid, isAilakeError } from '../errors.js'
import { openDataFile, type DataFileReader, type ForeignVector, type OpenDataFileOptions, type VectorPageCache } from '../format/data-file.js'
import type { HnswIndex } from '../vector-index/hnsw.js'
import type { ObjectStore } from '../store/object-store.js'
import type { LiveFile } from '../table/scan.js'
import type { ByteSource } from '../util/byte-source.js'
import type { TextIndex } from '../text/text-index.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import { ByteCache } from './byte-cache.js'

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
   * One memory budget for all the byte-bounded caches below, split among those not given
   * explicitly (per-file search state 80%, vector pages 10%, scalar columns 5%, live-row masks
   * and full-text indexes 2.5% each; the index state is what a miss costs most to rebuild, a
   * whole section, while pages and columns miss a page at a time); vector pages may also use
   * what the others leave unused (unless `maxVectorPageBytes` is given). Explicit per-cache
   * bounds count against it and may not exceed it. Default: no total (each cache its own
   * default, 1,664 MiB in all).
   */
  maxBytes?: number
  /**
   * Memory bound of decoded per-file search state. Default 1 GiB. A file with stored codes takes
   * its graph, codes and beam state (about 200 bytes per row at 100-d, M 16); one without (under
   * 1,024 rows, or written before codes were stored) its f32 vectors twice plus its graph.
   * Below a table's need, queries re-read sections for the files not held.
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

export const QUERY_CACHES_OPTION_KEYS = { maxBytes: true, maxIndexBytes: true, maxVectorPageBytes: true, maxReaders: true, maxPlans: true, maxColumnBytes: true } as const satisfies OptionKeys<QueryCachesOptions>

/** The byte bounds of the caches (what `explain()` reports as `cacheBudget`). */
export interface CacheBudget {
  /** The total asked for (`maxBytes`), or the sum of the defaults when none was. */
  maxBytes: number
  index: number
  vectorPages: number
  columns: number
  masks: number
  texts: number
}

const MiB = 2 ** 20
/** Each byte-bounded cache's default bound, and its share of a `maxBytes` total. */
const BUDGETS = {
  index: { option: 'maxIndexBytes', fallback: 1024 * MiB, share: 0.8 },
  vectorPages: { option: 'maxVectorPageBytes', fallback: 256 * MiB, share: 0.1 },
  columns: { option: 'maxColumnBytes', fallback: 64 * MiB, share: 0.05 },
  masks: { option: undefined, fallback: 64 * MiB, share: 0.025 },
  texts: { option: undefined, fallback: 256 * MiB, share: 0.025 },
} as const

/**
 * The byte bound of each cache: an explicit option, else its share of `maxBytes` (shares
 * rescaled over the caches left to it), else its default. Throws `INVALID_ARGUMENT` for a bound
 * that is not a positive integer, or explicit bounds that exceed `maxBytes`.
 */
export function cacheBudget(options: QueryCachesOptions): CacheBudget {
  const check = (name: string, v: number | undefined): number | undefined => {
    if (v === undefined) return undefined
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw invalid(`cache.${name} must be a positive whole number of bytes (or count), got ${String(v)}`, { option: name, value: v })
    return v
  }
  for (const name of ['maxReaders', 'maxPlans'] as const) check(name, options[name])
  const total = check('maxBytes', options.maxBytes)
  const names = Object.keys(BUDGETS) as (keyof typeof BUDGETS)[]
  const explicit = new Map<string, number>()
  for (const n of names) {
    const opt = BUDGETS[n].option
    const v = opt === undefined ? undefined : check(opt, options[opt])
    if (v !== undefined) explicit.set(n, v)
  }
  const out = {} as Record<keyof typeof BUDGETS, number>
  if (total === undefined) {
    for (const n of names) out[n] = explicit.get(n) ?? BUDGETS[n].fallback
    return { maxBytes: names.reduce((s, n) => s + out[n], 0), ...out }
  }
  const given = [...explicit.values()].reduce((s, v) => s + v, 0)
  const rest = names.filter((n) => !explicit.has(n))
  if (given > total || (given === total && rest.length > 0)) {
    throw invalid(`cache.maxBytes ${total} leaves nothing for ${rest.length === 0 ? 'the explicit bounds' : rest.join(', ')}: the explicit per-cache bounds add up to ${given}; raise maxBytes or lower ${[...explicit.keys()].map((n) => BUDGETS[n as keyof typeof BUDGETS].option).join(', ')}`, { maxBytes: total, explicit: given })
  }
  const shares = rest.reduce((s, n) => s + BUDGETS[n].share, 0)
  for (const n of names) out[n] = explicit.get(n) ?? Math.max(1, Math.floor((total - given) * BUDGETS[n].share / shares))
  return { maxBytes: total, ...out }
}

/** Bytes the caches hold (what `explain()` reports as `cacheBytes`). */
export interface CacheHeld {
  /** Per-file search state. */
  index: number
  /** Decoded vector pages. */
  vectorPages: number
  /** Decoded scalar columns. */
  columns: number
  /** Every byte-bounded cache, live-row masks and full-text indexes included. */
  total: number
}

/** Counters since creation; a query reports the difference over its run. */
export interface CacheCounters {
  bytesRead: number
  reads: number
  indexHits: number
  indexMisses: number
  readerHits: number
  readerMisses: number
}

/**
 * Create one per lakehouse and pass it to every search. Safe to share between tables: keys
 * are full file locations plus sizes.
 */
export class QueryCaches {
  readonly counters: CacheCounters = { bytesRead: 0, reads: 0, indexHits: 0, indexMisses: 0, readerHits: 0, readerMisses: 0 }
  /** The byte bound of each cache. */
  readonly budget: CacheBudget
  private readonly files: ByteCache<Promise<FileVectors>>
  private readonly readers: ByteCache<Promise<DataFileReader>>
  private readonly plans: ByteCache<Promise<LiveFile[]>>
  /** Decoded scalar columns: row objects (`columnRows`) and value arrays (`columnValues`). */
  private readonly columns: ByteCache<Promise<unknown>>
  private readonly pages: ByteCache<Float32Array>
  /** Live-row bitsets of data files with deletes, by file and delete files. */
  private readonly masks: ByteCache<Promise<LiveMask | undefined>>
  /** Decoded full-text indexes by file (and analyser and columns), bounded by their approximate size. */
  private readonly texts: ByteCache<Promise<TextIndex>>

  constructor(options: QueryCachesOptions = {}) {
    checkOptions(options, QUERY_CACHES_OPTION_KEYS, 'new QueryCaches()')
    const b = cacheBudget(options)
    this.budget = b
    this.files = new ByteCache(b.index)
    this.readers = new ByteCache(options.maxReaders ?? 512)
    this.plans = new ByteCache(options.maxPlans ?? 32)
    this.columns = new ByteCache(b.columns)
    this.pages = new ByteCache(b.vectorPages)
    this.masks = new ByteCache(b.masks)
    this.texts = new ByteCache(b.texts)
    this.pooled = options.maxBytes !== undefined && options.maxVectorPageBytes === undefined
    this.fitPages()
  }

  /** Whether vector pages take what the other caches leave of `maxBytes` (see `fitPages`). */
  private readonly pooled: boolean

  /**
   * Under a total budget, vector pages may use whatever the other caches leave unused of it (at
   * least their own share): the other caches' entries cost a whole section or column to load
   * again, a page one small read. Called after every entry the other caches take.
   */
  private fitPages(): void {
    if (!this.pooled) return
    const others = this.files.size + this.columns.size + this.masks.size + this.texts.size
    this.pages.resize(Math.max(this.budget.vectorPages, this.budget.maxBytes - others))
  }

  /** Bytes of decoded per-file search state currently held. */
  get indexBytes(): number { return this.files.size }

  /** Bytes of decoded vector pages currently held. */
  get vectorPageBytes(): number { return this.pages.size }

  /** Bytes (estimated) of decoded scalar columns currently held. */
  get columnBytes(): number { return this.columns.size }

  /** What the byte-bounded caches hold now; `total` (with live-row masks and full-text indexes) stays within `budget.maxBytes`. */
  held(): CacheHeld {
    const total = this.files.size + this.pages.size + this.columns.size + this.masks.size + this.texts.size
    return { index: this.files.size, vectorPages: this.pages.size, columns: this.columns.size, total }
  }

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
    this.fitPages()
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
    p.then((v) => {
      if (this.files.peek(id) === p) this.files.set(id, p, v.bytes)
      this.fitPages()
    }, () => this.files.delete(id))
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
    this.fitPages()
    p.catch(() => this.columns.delete(id))
    return p
  }

  /** The live-row bitset of a data file under a set of delete files (undefined: nothing deleted), loaded on a miss. */
  liveMask(key: string, rows: number, load: () => Promise<LiveMask | undefined>): Promise<LiveMask | undefined> {
    const hit = this.masks.get(key)
    if (hit !== undefined) return hit
    const p = load()
    this.masks.set(key, p, 64 + (rows >> 3))
    this.fitPages()
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
    p.then((v) => {
      if (this.texts.peek(id) === p) this.texts.set(id, p, v.bytes)
      this.fitPages()
    }, () => this.texts.delete(id))
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
