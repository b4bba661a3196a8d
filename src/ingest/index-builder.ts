/**
 * Deferred index builds. A build reads a committed unindexed ("pending") data file, builds its
 * HNSW graph in a worker thread, writes a NEW indexed file with the same rows at a new path and
 * commits a rewrite swapping it in. Committed paths are never overwritten, so a crash or a lost
 * race leaves the unindexed file live (searchable by exact scan) and the build can simply be
 * scheduled again (`scheduleAllPending`).
 */
import { AilakeError, inFile, isAilakeError } from '../errors.js'
import { parseIdentifier } from '../catalog/identifier.js'
import type { Schema } from '../format/schema.js'
import type { ObjectStore } from '../store/object-store.js'
import { toDataFile } from '../table/data-writer.js'
import { IcebergTable } from '../table/iceberg-table.js'
import { newUuid } from '../table/ids.js'
import type { ByteSource } from '../util/byte-source.js'
import { openDataFile } from '../format/data-file.js'
import { bytesSource } from '../util/byte-source.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import type { BuildSource } from './build-task.js'
import { activeFlushes } from './ingest-activity.js'
import { BuildPool, defaultWorkerCount } from './worker-pool.js'

/** The schema a data file was written with (read from its footer; cheap next to the build). */
async function fileSchema(bytes: Uint8Array): Promise<Schema> {
  return (await openDataFile(bytesSource(bytes))).schema
}

export interface IndexBuilderOptions {
  /**
   * Worker threads doing the CPU work (HNSW build). Default max(1, min(2, cores - 1)). 0 builds on the
   * calling thread (for environments without worker_threads); it blocks the event loop while
   * a graph is built.
   */
  workers?: number
  /** Builds in flight at once (each holds one file's rows in memory). Default max(1, workers). */
  concurrency?: number
  /**
   * Bytes of freshly written rows a builder may keep in memory so a build need not read its
   * file back (vectors as f32 plus a rough per-row estimate). Beyond this, builds read the
   * store. Default 256 MiB.
   */
  memoryCacheBytes?: number
}

export const INDEX_BUILDER_OPTION_KEYS = { workers: true, concurrency: true, memoryCacheBytes: true } as const satisfies OptionKeys<IndexBuilderOptions>

/** Rows of a file just written, handed to `schedule` so the build skips reading them back. */
export interface WrittenRows {
  schema: Schema
  columns: Map<number, unknown[]>
  vectors: Float32Array
}

/** What happened to one scheduled build. */
export type BuildOutcome = 'indexed' | 'skipped' | 'conflict'

export interface BuildFailure {
  path: string
  error: Error
}

interface Job {
  table: IcebergTable
  path: string
}

/** The bytes of a pending file, which must be as long as the table metadata records. */
async function readPending(store: ObjectStore, key: string, location: string, size: number): Promise<Uint8Array> {
  const bytes = await store.get(key)
  if (bytes.length !== size) {
    throw new AilakeError('CORRUPT_DATA', `data file ${location} has ${bytes.length} bytes but the table metadata records ${size}: it is truncated or damaged; verify the table to list damaged files, and quarantine them to keep the rest searchable`, { context: { file: location, size: bytes.length, expectedSize: size } })
  }
  return bytes
}

/** A ByteSource over one stored object, read with ranged GETs. */
export async function storeSource(store: ObjectStore, key: string): Promise<ByteSource> {
  const info = await store.head(key)
  if (info === undefined) throw new AilakeError('NOT_FOUND', `data file ${key} does not exist`, { context: { key } })
  return { size: info.size, read: (offset, length) => store.getRange(key, offset, length), ...(store.requestCostBytes === undefined ? {} : { requestCostBytes: store.requestCostBytes }) }
}

export class IndexBuilder {
  private readonly pool: BuildPool
  private readonly concurrency: number
  private readonly queue: Job[] = []
  private readonly queued = new Set<string>()
  private running = 0
  /** Builds started and not yet settled (close() waits for them). */
  private readonly inFlight = new Set<Promise<BuildOutcome>>()
  private readonly waiters: Array<() => void> = []
  private failures: BuildFailure[] = []
  /** The builder commits through its own handle per table, so it never races a user's handle state. */
  private readonly handles = new Map<string, IcebergTable>()
  private readonly userTables = new Set<IcebergTable>()
  /** Tables (by root) whose queued builds wait: an optimize is rewriting their files. */
  private readonly held = new Map<string, number>()
  private closed = false
  private readonly cache = new Map<string, WrittenRows & { bytes: number }>()
  private cacheBytes = 0
  private readonly maxCacheBytes: number
  /** Counts for observability and tests. */
  readonly stats = { indexed: 0, skipped: 0, conflicts: 0, failed: 0 }

  constructor(options: IndexBuilderOptions = {}) {
    checkOptions(options, INDEX_BUILDER_OPTION_KEYS, 'new IndexBuilder()')
    this.pool = new BuildPool(options.workers ?? defaultWorkerCount())
    const c = options.concurrency ?? Math.max(1, this.pool.size)
    if (!Number.isInteger(c) || c < 1) throw new AilakeError('INVALID_ARGUMENT', `concurrency must be a positive integer, got ${String(c)}`)
    this.concurrency = c
    this.maxCacheBytes = options.memoryCacheBytes ?? 256 * 2 ** 20
  }

  /** Worker threads actually used (0 when running in-thread). */
  get workers(): number {
    return this.pool.size
  }

  /** Builds queued or running. */
  get pending(): number {
    return this.queue.length + this.running
  }

  /**
   * Queues index builds for these committed files of `table` (duplicates are ignored).
   * `rows` may carry the files' rows as just written (kept only within `memoryCacheBytes`).
   */
  schedule(table: IcebergTable, paths: readonly string[], rows?: ReadonlyMap<string, WrittenRows>): void {
    if (this.closed) throw new AilakeError('CLOSED', 'the index builder is closed')
    this.userTables.add(table)
    for (const path of paths) {
      const id = `${table.root}\u0000${path}`
      if (this.queued.has(id)) continue
      const r = rows?.get(path)
      if (r !== undefined) {
        const bytes = r.vectors.byteLength + 64 * (r.vectors.length / Math.max(1, table.policy?.dim ?? 1))
        if (this.cacheBytes + bytes <= this.maxCacheBytes) {
          this.cache.set(id, { ...r, bytes })
          this.cacheBytes += bytes
        }
      }
      this.queued.add(id)
      this.queue.push({ table, path })
    }
    this.pump()
  }

  /** Finds every live file of the table's latest snapshot still waiting for its index and queues it; returns how many. */
  async scheduleAllPending(table: IcebergTable): Promise<number> {
    await table.refresh()
    const live = await table.planFiles()
    const paths = live.filter((f) => f.dataFile.ailake?.indexStatus === 'pending').map((f) => f.dataFile.filePath)
    this.schedule(table, paths)
    return paths.length
  }

  /**
   * Resolves once no build is queued or running, after refreshing the tables the builds were
   * scheduled for (so their handles see the indexed files). Rejects with the first build
   * failure since the previous call (an AggregateError when there were several); failed files
   * stay live and unindexed, and can be rescheduled. A rewrite that lost to a concurrent
   * commit removing its file is not a failure (the rows live on in whatever replaced it).
   */
  async waitForIndexes(): Promise<void> {
    while (this.pending > 0 && !this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve))
    for (const t of this.userTables) await t.refresh()
    const failures = this.failures
    this.failures = []
    if (failures.length === 1) throw (failures[0] as BuildFailure).error
    if (failures.length > 1) throw new AggregateError(failures.map((f) => f.error), `${failures.length} index builds failed (first: ${failures[0]?.path}: ${failures[0]?.error.message})`)
  }

  /**
   * Keeps queued builds of `table` from starting until the returned function is called (builds
   * already running finish). An optimize holds them: it rewrites those files with indexes
   * anyway, and each build committing meanwhile would replace one of its inputs and make its
   * commit fail. Afterwards the held builds find their files gone and are skipped.
   */
  hold(table: IcebergTable): () => void {
    this.held.set(table.root, (this.held.get(table.root) ?? 0) + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const n = (this.held.get(table.root) ?? 1) - 1
      if (n > 0) this.held.set(table.root, n)
      else this.held.delete(table.root)
      this.pump()
    }
  }

  private pump(): void {
    while (this.running < this.concurrency && !this.closed) {
      const at = this.queue.findIndex((j) => !this.held.has(j.table.root))
      if (at < 0) break
      const job = this.queue.splice(at, 1)[0] as Job
      this.running++
      const run = this.buildOne(job)
      this.inFlight.add(run)
      run
        .then((outcome) => { this.stats[outcome === 'indexed' ? 'indexed' : outcome === 'skipped' ? 'skipped' : 'conflicts']++ })
        .catch((error: unknown) => {
          if (this.closed && isAilakeError(error, 'CLOSED')) return
          this.stats.failed++
          this.failures.push({ path: job.path, error: error instanceof Error ? error : new Error(String(error)) })
        })
        .finally(() => {
          this.inFlight.delete(run)
          this.running--
          const id = `${job.table.root}\u0000${job.path}`
          this.queued.delete(id)
          this.dropCached(id)
          this.pump()
          if (this.pending === 0) for (const w of this.waiters.splice(0)) w()
        })
    }
  }

  private async handleFor(table: IcebergTable): Promise<IcebergTable> {
    let h = this.handles.get(table.root)
    if (h === undefined) {
      h = new IcebergTable({ catalog: table.catalog, store: table.store, cache: table.cache }, await table.catalog.loadTable(parseIdentifier(table.name)))
      this.handles.set(table.root, h)
    } else {
      await h.refresh()
    }
    return h
  }

  /** One build: read, index (worker), write the new file, commit the swap. @internal */
  async buildOne(job: Job): Promise<BuildOutcome> {
    const table = await this.handleFor(job.table)
    const policy = table.policy
    if (policy === undefined) throw new AilakeError('UNSUPPORTED', `table ${table.name} has no vector policy; nothing to index`)
    const live = (await table.planFiles()).find((f) => f.dataFile.filePath === job.path)
    if (live === undefined || live.dataFile.ailake?.indexStatus !== 'pending') return 'skipped'

    const store = table.store
    const cached = this.cache.get(`${job.table.root}\u0000${job.path}`)
    const source: BuildSource = cached === undefined
      ? { kind: 'file', bytes: await readPending(store, table.keyOf(job.path), job.path, live.dataFile.fileSizeInBytes) }
      : { kind: 'rows', schema: cached.schema, columns: cached.columns, vectors: cached.vectors }
    this.dropCached(`${job.table.root}\u0000${job.path}`)
    // The whole policy: the rebuilt file carries the full-text block too.
    const written = await this.pool.run({ source, policy, ...(this.pool.size > 0 && activeFlushes !== undefined ? { throttle: activeFlushes } : {}) })
      .catch((err: unknown) => { throw inFile(err, job.path, 'data file') })
    if (this.closed) throw new AilakeError('CLOSED', 'the index builder was closed')
    const schema = source.kind === 'rows' ? source.schema : await fileSchema(written.bytes)
    const location = `${table.location}/data/${newUuid()}.parquet`
    const key = table.keyOf(location)
    await store.put(key, written.bytes)
    try {
      // The same rows: the same partition (and spec) as the file it replaces.
      const { partition, specId } = live.dataFile
      await table.rewrite([job.path], [toDataFile(location, written, schema, { specId: specId ?? table.metadata.defaultSpecId, tuple: partition })], { sameRows: true })
      return 'indexed'
    } catch (err) {
      if (isAilakeError(err) && err.context.outcomeUnknown === true) throw err
      await store.delete(key).catch(() => undefined)
      // The file was removed by a concurrent commit (compaction, another build): its rows live on there.
      if (isAilakeError(err, 'COMMIT_CONFLICT') && Array.isArray(err.context.missing)) return 'conflict'
      throw err
    }
  }

  private dropCached(id: string): void {
    const c = this.cache.get(id)
    if (c === undefined) return
    this.cache.delete(id)
    this.cacheBytes -= c.bytes
  }

  /** Terminates the workers. Queued and running builds are abandoned (their files stay pending, resumable). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.queue.splice(0)
    this.queued.clear()
    this.cache.clear()
    this.cacheBytes = 0
    await this.pool.close()
    // A build past its worker may be writing or committing: close() returns after it, so no
    // write reaches the table once the builder is closed.
    await Promise.allSettled([...this.inFlight])
    for (const w of this.waiters.splice(0)) w()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
