/**
 * Streaming write buffer. Small inserts are logged (one WAL record each, appended to the
 * segment of the current flush window) and buffered; a flush writes them as data files (index
 * deferred by default) and commits one append that sets the writer's WAL watermark, the highest
 * sequence number the table holds (`ailake.wal.<writerId>` in the table properties and the
 * snapshot summary), then deletes the segments it covers. Reopening a writer with the same id
 * replays exactly the records above the watermark, so a crash at any moment loses no
 * acknowledged row and duplicates none. A lease (wal-lease.ts) keeps one live writer per id
 * across processes; writers left by dead processes are adopted (wal-adopt.ts).
 *
 * Flushes triggered by a full buffer run in the background (LSM-style) when indexes are
 * deferred: the rows being flushed are a frozen prefix of the buffer while later inserts keep
 * logging behind them. Two flushes may overlap (commits stay in WAL order); an insert waits only
 * when the buffer fills a third time before the older one is done. Rows leave the buffer in the same synchronous step in which the visible snapshot
 * moves to the one holding them, so `bufferedSnapshot()` never misses or doubles a row.
 */
import { cpus } from 'node:os'
import { AilakeError, isAilakeError } from '../errors.js'
import type { Schema } from '../format/schema.js'
import type { FileEncoder, FileRollOptions } from '../table/data-writer.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { requireRows, toRowBatch, type RowBatch, type RowsInput } from '../table/rows.js'
import type { Embedder } from '../embed/embedder.js'
import type { VectorPolicy } from '../table/vector-policy.js'
import { WriteBuffer, type BufferedRows } from './buffer.js'
import { InsertArena } from './insert-arena.js'
import { IndexBuilder } from './index-builder.js'
import { flushStarted } from './ingest-activity.js'
import { requirePolicy, schemaFor, schemaPending, TableWriter } from './table-writer.js'
import { storedVectors } from '../table/data-writer.js'
import { ByteWriter } from '../util/bytes.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import { encodeSegment, readWal } from './wal.js'
import { adoptAbandonedWals, type AdoptOutcome } from './wal-adopt.js'
import type { WalLease } from './wal-lease.js'
import { WriterId } from './writer-id.js'
import { WalLog } from './wal-log.js'
import { isWalFenced, walCommitOptions, walWatermark, walWatermarkKey } from './wal-watermark.js'
import { checkKeys, commitUpsert, keyField, lastPerKey, type UpsertPlan, type UpsertPlanner } from './upsert-plan.js'
import { BuildPool } from './worker-pool.js'

export type { BufferedRows } from './buffer.js'

/** Thresholds and durability of the buffer; the roll-over options size the data files of a flush. */
export interface MemTableWriterOptions extends FileRollOptions {
  /** Flush once buffered vector bytes (rows × dim × bytes per element of the storage precision) reach this. Default 64 MiB. */
  flushSizeBytes?: number
  /** Flush once this many rows are buffered. Default 100,000. */
  flushMaxRows?: number
  /** Age of unflushed data after which `flushIfDue()` (and the optional timer) flushes. Default 30,000 ms. */
  flushIntervalMs?: number
  /**
   * Names this writer's WAL; one live writer per id and table, enforced across processes by a
   * lease. Letters, digits, `._-`. Default: the first free `auto-<n>` (n = 0, 1, ...), which
   * takes over the WAL a dead writer left under that name. Set it when a restarted process must
   * find its own WAL again; a WAL whose writer is gone is adopted by any writer that opens.
   */
  writerId?: string
  /** Lease duration: a crashed writer's WAL can be taken over this long after its last renewal (sooner on the same host once its process is gone). Default 30,000 ms. */
  leaseTtlMs?: number
  /** On open, commit the WALs of writers whose lease expired (so no acknowledged row is stranded). Default true. */
  adoptAbandoned?: boolean
  /**
   * Makes the writer an upsert stream keyed on this column: a row replaces every earlier row
   * with the same key, buffered or committed (each flush commits its rows, the last per key, plus
   * position deletes of the committed rows they replace, in one snapshot). Default: plain inserts.
   */
  upsertOn?: string
  /** @internal plans the deletes of an upsert flush (`table.memTableWriter()` supplies it) */
  upsertPlanner?: UpsertPlanner
  /** @internal told after each commit of a flush (`table.memTableWriter()` starts background maintenance) */
  onCommit?: (snapshotId: bigint) => void
  /** @internal lease clock and owner identity (tests simulate crashed processes) */
  lease?: { now?: () => number; owner?: { host: string; pid: number } }
  /** Run `flushIfDue()` on a background (unref'd) timer. Default false. */
  autoFlushTimer?: boolean
  /** Write flushed files without an index and build it in the background. Default true. */
  deferIndex?: boolean
  /**
   * Run a flush that a full buffer triggers in the background while inserts continue (see
   * `insert`). Default: `deferIndex` — a flush that builds its index inline holds the thread
   * for most of its run anyway, so it stays in the foreground and the insert returns its id.
   */
  backgroundFlush?: boolean
  /**
   * Builds the deferred indexes. Default: a builder owned by this writer, closed by `close()`
   * (builds still running then are abandoned and stay resumable via `scheduleAllPending`).
   */
  indexBuilder?: IndexBuilder
  /** @internal how `insert(rows, { embedFrom })` embeds (the table handle supplies it) */
  embedRows?: (rows: RowsInput, from: string, embedder: Embedder | undefined) => Promise<RowsInput>
}

/** Options of one `insert`. */
export interface InsertOptions {
  /**
   * Compute each row's vector by embedding this text column with the table's embedder (rows that
   * already carry a vector keep it), as `table.add(rows, { embedFrom })` does. Plain-object rows only.
   */
  embedFrom?: string
  /** The embedder for `embedFrom` (must match the table's). Default: rebuilt from the table's record. */
  embedder?: Embedder
}

const INSERT_KEYS = { embedFrom: true, embedder: true } as const satisfies OptionKeys<InsertOptions>

/** Table property and snapshot summary key of a writer's WAL watermark. */
export function walSummaryKey(writerId: string): string {
  return walWatermarkKey(writerId)
}

/** Highest WAL seq of `writerId` that the table holds (0 if none). */
export function committedWalSeq(table: IcebergTable, writerId: string): number {
  return walWatermark(table.metadata, writerId)
}

function bytesPerElement(policy: VectorPolicy): number {
  return policy.precision === 'f32' ? 4 : policy.precision === 'f16' ? 2 : 1
}

export class MemTableWriter {
  readonly table: IcebergTable
  /** This writer's id; for the default (auto) id, known once `open()` resolves or the first call returns. */
  writerId: string
  readonly flushSizeBytes: number
  readonly flushMaxRows: number
  readonly flushIntervalMs: number
  /** The last error of a flush that an insert or the timer triggered (such a failure does not reject the insert). */
  lastFlushError: Error | undefined
  private readonly policy: VectorPolicy
  private readonly deferIndex: boolean
  private readonly backgroundFlush: boolean
  private readonly builder: IndexBuilder | undefined
  private readonly ownsBuilder: boolean
  private readonly fileOptions: FileRollOptions
  private readonly tableKey: string
  private readonly buffer: WriteBuffer
  private wal: WalLog | undefined
  private lease: WalLease | undefined
  private readonly leaseTtlMs: number
  private readonly leaseHooks: MemTableWriterOptions['lease']
  private readonly embedRows: MemTableWriterOptions['embedRows']
  private readonly adopt: boolean
  /** The upsert key column, if this writer upserts. */
  readonly upsertOn: string | undefined
  private readonly upsertPlanner: UpsertPlanner | undefined
  private readonly onCommit: ((snapshotId: bigint) => void) | undefined
  /** The WAL watermark this writer last saw the table hold (its commits are fenced on it). */
  private expectedWatermark = 0
  /** What opening adopted from writers that died (committed rows, or why not). */
  adopted: AdoptOutcome[] = []
  /** Reused for every WAL record (inserts are serial and each append completes before the next). */
  private readonly walBuffer = new ByteWriter(64 * 1024)
  /** Encodes the files of deferred-index flushes in a worker thread, so inserts keep the main thread. */
  private encodePool: BuildPool | undefined
  private schema: Schema | undefined
  private nextSeq = 1
  private lastFlush = Date.now()
  private lastInsert = 0
  /**
   * Running background flushes, oldest first; each holds the next run of entries at the front of
   * the buffer (frozen until it ends). Up to MAX_FLIGHTS overlap: the next one encodes while the
   * one before it writes and commits, and commits wait for their predecessor, in WAL order.
   * A flight's promise never rejects (its error lands in `lastFlushError`).
   */
  private flights: Flight[] = []
  /** Flushes running under the serial lock (flushLocked). */
  private foregroundFlushes = 0
  private tail: Promise<unknown>
  private readonly ready: Promise<void>
  private timer: ReturnType<typeof setInterval> | undefined
  private closed = false
  /** A commit may have landed without us knowing; the next flush checks before rewriting. */
  private uncertain = false
  private visibleSnapshotId: bigint | null
  private readonly ids: WriterId

  /** Starts recovery at once; every method waits for it. `MemTableWriter.open()` awaits it for you. */
  constructor(table: IcebergTable, options: MemTableWriterOptions = {}) {
    this.table = table
    this.policy = requirePolicy(table)
    const policy = this.policy
    this.writerId = options.writerId ?? ''
    if (options.writerId !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(options.writerId)) {
      throw new AilakeError('INVALID_ARGUMENT', `writerId ${JSON.stringify(options.writerId)} must be 1-64 letters, digits, '.', '_' or '-'`)
    }
    this.flushSizeBytes = positive('flushSizeBytes', options.flushSizeBytes ?? 64 * 2 ** 20)
    this.flushMaxRows = positive('flushMaxRows', options.flushMaxRows ?? 100_000)
    this.flushIntervalMs = positive('flushIntervalMs', options.flushIntervalMs ?? 30_000)
    this.leaseTtlMs = positive('leaseTtlMs', options.leaseTtlMs ?? 30_000)
    this.leaseHooks = options.lease
    this.embedRows = options.embedRows
    this.adopt = options.adoptAbandoned ?? true
    this.upsertOn = options.upsertOn
    this.upsertPlanner = options.upsertPlanner
    this.onCommit = options.onCommit
    if (this.upsertOn !== undefined) {
      if (typeof this.upsertOn !== 'string' || this.upsertOn === this.policy.column) throw new AilakeError('INVALID_ARGUMENT', `upsertOn must name a scalar column of ${table.name}, got ${JSON.stringify(this.upsertOn)}`)
      if (this.upsertPlanner === undefined) throw new AilakeError('INVALID_ARGUMENT', 'upsertOn needs a writer from table.memTableWriter({ upsertOn }), which plans its deletes')
    }
    this.deferIndex = options.deferIndex ?? true
    this.backgroundFlush = options.backgroundFlush ?? this.deferIndex
    const windowRows = Math.min(this.flushMaxRows, Math.ceil(this.flushSizeBytes / (policy.dim * bytesPerElement(policy))))
    // With background flushes the flush worker touches a filling slab's pages while inserts go on.
    const touch = this.backgroundFlush && this.deferIndex ? (memory: SharedArrayBuffer, bytes: number) => this.encodeWorkers().touch(memory, bytes) : undefined
    // Without shared memory (a browser without cross-origin isolation) inserts get plain arrays.
    const arena = typeof SharedArrayBuffer === 'function' ? new InsertArena(windowRows * policy.dim, touch) : undefined
    this.buffer = new WriteBuffer((v) => storedVectors(v, policy), arena)
    this.ownsBuilder = this.deferIndex && options.indexBuilder === undefined
    this.builder = options.indexBuilder ?? (this.ownsBuilder ? new IndexBuilder() : undefined)
    this.fileOptions = {}
    if (options.maxRowsPerFile !== undefined) this.fileOptions.maxRowsPerFile = options.maxRowsPerFile
    if (options.targetFileBytes !== undefined) this.fileOptions.targetFileBytes = options.targetFileBytes
    this.tableKey = table.keyOf(table.location)
    this.ids = new WriterId(table.root, table.name, options.lease?.owner)
    if (options.writerId !== undefined) this.ids.claim(options.writerId)
    this.visibleSnapshotId = table.currentSnapshotId
    this.ready = this.recover()
    this.tail = this.ready.catch(() => undefined)
    this.ready.catch(() => this.ids.release())
    const tick = Math.max(10, Math.min(options.autoFlushTimer === true ? this.flushIntervalMs : Infinity, 1000, this.leaseTtlMs / 3))
    this.timer = setInterval(() => this.onTimer(options.autoFlushTimer === true), tick)
    // Unref'd: an idle writer must not keep a process alive (a lease that then lapses is retaken on the next insert).
    if (typeof this.timer === 'object' && this.timer !== null && 'unref' in this.timer) this.timer.unref()
  }

  /** Opens a writer and waits until its WAL has been replayed. */
  static async open(table: IcebergTable, options: MemTableWriterOptions = {}): Promise<MemTableWriter> {
    const w = new MemTableWriter(table, options)
    await w.ready
    return w
  }

  /** True once `close()` has been called. */
  get isClosed(): boolean {
    return this.closed
  }

  /** Rows buffered (acknowledged, not yet committed). */
  get bufferedRows(): number {
    return this.buffer.rows
  }

  /** Buffered vector bytes in the storage precision. */
  get bufferedBytes(): number {
    return this.buffer.rows * this.policy.dim * bytesPerElement(this.policy)
  }

  /** True when the rows not already being flushed reach a size or row threshold. */
  get isFull(): boolean {
    let flushing = 0
    for (const f of this.flights) flushing += f.rows
    const rows = this.buffer.rows - flushing
    return rows * this.policy.dim * bytesPerElement(this.policy) >= this.flushSizeBytes || rows >= this.flushMaxRows
  }

  /** When the last insert was acknowledged (0 before the first), epoch milliseconds. */
  get lastInsertAt(): number {
    return this.lastInsert
  }

  /** When the last flush committed (the writer's start before its first), epoch milliseconds. */
  get lastFlushAt(): number {
    return this.lastFlush
  }

  /** True while a flush runs: in the background, or in `flush()`, `close()` or an insert. */
  get isFlushing(): boolean {
    return this.flights.length > 0 || this.foregroundFlushes > 0
  }

  /** The newest running flush; it settles only after every older one. */
  private get flight(): Promise<FlushOutcome> | undefined {
    return this.flights.at(-1)?.done
  }

  /** The index builder receiving this writer's deferred files (if indexing is deferred). */
  get indexBuilder(): IndexBuilder | undefined {
    return this.builder
  }

  /**
   * Validates `rows` (nothing is logged if any is bad), appends them to the WAL and buffers them;
   * resolves once they are durable. When they fill the buffer a flush starts:
   * - in the background (`backgroundFlush`, the default with deferred indexes): the insert
   *   resolves with null without waiting for it, unless two background flushes are already
   *   running, in which case it waits for the older one first (backpressure). `flush()`,
   *   `close()` and `waitForFlush()` wait for it; its snapshot id is what `flush()` returns.
   * - in the foreground: the insert returns that flush's snapshot id.
   * Otherwise it returns null. `rows` must hold at least one row (`INVALID_ARGUMENT` otherwise,
   * as for `table.add`); `options.embedFrom` embeds a text column first. A flush that fails does not reject the insert that triggered it
   * (the rows are safely logged); it is kept in `lastFlushError` and retried by the next insert
   * or flush. An insert into a buffer that is still full after a failed flush retries the flush
   * first and rejects (without logging) if it fails again, so the buffer never grows without bound.
   */
  async insert(rows: RowsInput, options: InsertOptions = {}): Promise<bigint | null> {
    return this.serial(async () => {
      this.checkOpen()
      checkOptions(options, INSERT_KEYS, 'insert()')
      requireRows(rows, 'insert()', this.table.name)
      if (options.embedFrom !== undefined) {
        if (this.embedRows === undefined) throw new AilakeError('UNSUPPORTED', 'insert({ embedFrom }) needs a writer from table.memTableWriter()')
        rows = await this.embedRows(rows, options.embedFrom, options.embedder)
      }
      if (this.isFull) {
        await this.flight
        if (this.isFull) await this.flushLocked()
      }
      const schema = this.schema ?? schemaFor(this.table, rows, this.policy)
      const batch = toRowBatch(rows, schema, this.policy, (n) => this.buffer.take(n))
      if (this.upsertOn !== undefined) checkKeys(batch, schema, this.upsertOn)
      // The flush encoder's thread boots while the buffer fills, not when the first flush needs it.
      if (this.backgroundFlush && this.deferIndex) this.encodeWorkers()
      const lease = await this.ownLease()
      const seq = this.nextSeq++
      await this.log.append(seq, (restart) => encodeSegment(seq, schema, this.policy.column, batch, this.policy.dim, { restart, into: this.walBuffer, ...(this.upsertOn === undefined ? {} : { upsertOn: this.upsertOn }) }))
      // Logged after the lease may have passed to a successor: not acknowledged (that successor
      // may or may not have seen the record; it is replayed at most once either way).
      lease.assertValid()
      this.schema = schema
      this.buffer.push(seq, batch)
      this.lastInsert = Date.now()
      if (!this.isFull) return null
      if (this.backgroundFlush) {
        while (this.flights.length >= MAX_FLIGHTS) await (this.flights[0] as Flight).done
        this.startFlush()
        return null
      }
      try {
        return await this.flushLocked()
      } catch (err) {
        this.lastFlushError = err as Error
        return null
      }
    })
  }

  /** Waits for a background flush in progress; its snapshot id, or null when none runs. Rejects with its error if it failed. */
  async waitForFlush(): Promise<bigint | null> {
    const outcome = await this.flight
    if (outcome === undefined) return null
    if ('error' in outcome) throw outcome.error
    return outcome.id
  }

  /** Flushes if data is buffered and `flushIntervalMs` has passed since the last flush; returns the snapshot id or null (also while a background flush runs). */
  async flushIfDue(): Promise<bigint | null> {
    return this.serial(async () => {
      this.checkOpen()
      if (this.flight !== undefined) return null
      if (this.buffer.rows === 0) {
        this.lastFlush = Date.now()
        return null
      }
      return Date.now() - this.lastFlush >= this.flushIntervalMs ? this.flushLocked() : null
    })
  }

  /**
   * Commits everything buffered and returns the id of the snapshot holding the last of it (after
   * waiting for a background flush); null (a no-op) when nothing was buffered. On failure the
   * buffer and WAL are kept: retry.
   */
  async flush(): Promise<bigint | null> {
    return this.serial(async () => {
      this.checkOpen()
      return this.flushAll()
    })
  }

  /**
   * A read-only view of every acknowledged row not yet committed, rows of a flush in progress
   * included: rows leave the buffer in the same synchronous step in which `snapshotId` moves to
   * the snapshot that holds them, so reading `snapshotId` plus these rows never misses or doubles
   * a row. Do not mutate the returned arrays.
   */
  bufferedSnapshot(): BufferedRows {
    const schema = this.schema ?? this.table.schema
    const { rows, vectors, seqs, ends } = this.buffer.view(schema, this.policy.column, this.policy.dim)
    return { schema, rows, vectors, writerId: this.writerId, seqs, ends, snapshotId: this.visibleSnapshotId, ...(this.upsertOn === undefined ? {} : { upsertOn: this.upsertOn }) }
  }

  /** Waits for this writer's deferred index builds (see IndexBuilder.waitForIndexes). */
  async waitForIndexes(): Promise<void> {
    await this.ready
    await this.builder?.waitForIndexes()
  }

  /** Flushes what is buffered, stops the timer and releases the writer id; an owned index builder is closed. */
  async close(): Promise<void> {
    if (this.closed) return
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    // A writer whose recovery failed holds nothing to flush; its error reached every call already,
    // so closing it (and the table and lakehouse around it) succeeds.
    if (!(await this.ready.then(() => true, () => false))) {
      this.closed = true
      this.ids.release()
      await this.encodePool?.close()
      if (this.ownsBuilder) await this.builder?.close()
      return
    }
    try {
      await this.serial(async () => {
        this.checkOpen()
        // A writer that lost its lease leaves its rows to the WAL's new owner.
        if (this.lease?.isLost !== true) await this.flushAll()
        else await this.flight
        await this.wal?.close()
        // Its queue is empty now (touches are dropped); the thread's exit (~50-150 ms here) is
        // not waited for: it holds nothing, and is unref'd.
        void this.encodePool?.close().catch(() => undefined)
        if (this.lease?.isLost === false) await this.lease.release().catch(() => undefined)
        this.closed = true
      })
    } finally {
      if (this.closed) {
        this.ids.release()
        if (this.ownsBuilder) await this.builder?.close()
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /**
   * @internal Drops this writer as a process crash would: no flush, no lease release, WAL left
   * as it is (tests of recovery and takeover in one process).
   */
  abandon(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.closed = true
    this.ids.release()
    void this.encodePool?.close()
  }

  private checkOpen(): void {
    if (this.closed) throw new AilakeError('CLOSED', `MemTableWriter ${JSON.stringify(this.writerId)} on ${this.table.name} is closed`)
  }

  /** Renews the lease when due (and flushes when due, with `autoFlush`); errors land in `lastFlushError`. */
  private onTimer(autoFlush: boolean): void {
    if (this.closed) return
    const lease = this.lease
    if (lease !== undefined && !lease.isLost && lease.renewalDue) lease.renew().catch((err: unknown) => { this.lastFlushError = err as Error })
    if (autoFlush) this.flushIfDue().catch((err: unknown) => { this.lastFlushError = err as Error })
  }

  /** The lease, renewed first if due; throws once it is lost. */
  private async ownLease(): Promise<WalLease> {
    const lease = this.lease
    if (lease === undefined) throw new AilakeError('INTERNAL', 'MemTableWriter: no lease after recovery')
    if (lease.renewalDue) await lease.renew()
    lease.assertValid()
    return lease
  }

  private get log(): WalLog {
    if (this.wal === undefined) throw new AilakeError('INTERNAL', 'MemTableWriter: WAL used before recovery')
    return this.wal
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.ready).then(fn)
    this.tail = run.catch(() => undefined)
    return run
  }

  /**
   * Takes the lease of this writer's id (or of the first free auto id), replays the WAL records
   * the table does not hold, deletes segments that are wholly committed or torn, then adopts the
   * WALs of writers whose lease expired.
   */
  private async recover(): Promise<void> {
    await this.table.refresh()
    const taken = await this.ids.lease(this.table.store, this.tableKey, this.writerId === '' ? undefined : this.writerId, this.leaseOptions())
    this.writerId = taken.writerId
    this.lease = taken.lease
    try {
      await this.replay()
    } catch (err) {
      // A log that cannot be replayed stays for inspection (table.wals(), ailake wal); letting the
      // id go lets `discardWal` take it at once instead of waiting for the lease to expire.
      await this.lease.release().catch(() => undefined)
      throw err
    }
  }

  private async replay(): Promise<void> {
    this.wal = new WalLog(this.table.store, this.tableKey, this.writerId)
    const committed = walWatermark(this.table.metadata, this.writerId)
    const wal = await readWal(this.table.store, this.tableKey, this.writerId, this.policy.column, committed)
    for (const key of wal.obsolete) await this.table.store.delete(key)
    this.wal.adopt(wal.segments, wal.tornTail)
    for (const rec of wal.records) {
      if (rec.upsertOn !== this.upsertOn) {
        throw new AilakeError('INVALID_ARGUMENT', `the WAL of writer ${JSON.stringify(this.writerId)} holds ${rec.upsertOn === undefined ? 'plain inserts' : `upserts keyed on ${rec.upsertOn}`}; open it with ${rec.upsertOn === undefined ? 'no upsertOn' : `upsertOn: ${JSON.stringify(rec.upsertOn)}`} to recover them`, { context: { writerId: this.writerId } })
      }
      if (this.schema === undefined) this.schema = schemaPending(this.table) ? rec.schema : this.table.schema
      this.buffer.push(rec.seq, rec.batch)
    }
    this.expectedWatermark = committed
    this.nextSeq = Math.max(committed, wal.maxSeq) + 1
    this.visibleSnapshotId = this.table.currentSnapshotId
    if (this.adopt) {
      this.adopted = await adoptAbandonedWals(this.table, {
        skip: (id) => id === this.writerId || this.ids.claimed(id),
        lease: this.leaseOptions(),
        ...(this.upsertPlanner === undefined ? {} : { upsertPlanner: this.upsertPlanner }),
        ...(this.builder === undefined ? {} : { indexBuilder: this.builder }),
      })
    }
  }

  private leaseOptions(): { ttlMs: number; now?: () => number; owner?: { host: string; pid: number } } {
    return { ttlMs: this.leaseTtlMs, ...this.leaseHooks }
  }

  /**
   * The flush encoder's worker pool, started on first use (a thread boots in ~100 ms). Two
   * threads where two cores exist: overlapping flushes (and close()'s last one) encode at once
   * rather than queueing, while inserts mostly wait on the disk. The second starts when needed.
   */
  private encodeWorkers(): BuildPool {
    if (this.encodePool === undefined) {
      this.encodePool = new BuildPool(Math.min(MAX_FLIGHTS, cpus().length))
      this.encodePool.prestart(1)
    }
    return this.encodePool
  }

  private encoder(): FileEncoder {
    const pool = this.encodeWorkers()
    return (schema, columns, vectors, policy) => pool.run({ source: { kind: 'rows', schema, columns, vectors }, policy, buildIndex: false })
  }

  /** Starts flushing every entry no running flush holds, in the background (at most `limit` run). */
  private startFlush(limit = MAX_FLIGHTS): void {
    if (this.flights.length >= limit) throw new AilakeError('INTERNAL', 'MemTableWriter: too many flushes running')
    const prev = this.flight
    let start = 0
    for (const f of this.flights) start += f.count
    const count = this.buffer.entries.length - start
    const rows = this.rowsOf(start, count)
    this.buffer.seal()
    const flight: Flight = { count, rows, done: Promise.resolve({ id: null }) }
    const ended = flushStarted()
    flight.done = this.flushEntries(start, count, prev, flight).finally(ended).then(
      (id): FlushOutcome => ({ id }),
      (err: unknown): FlushOutcome => {
        this.lastFlushError = err as Error
        return { error: err as Error }
      },
    ).then(async (outcome) => {
      // Settle after the older flushes, so awaiting the newest means all are done.
      if (prev !== undefined) await prev
      this.release(flight)
      return outcome
    })
    this.flights.push(flight)
  }

  private release(flight: Flight): void {
    const i = this.flights.indexOf(flight)
    if (i >= 0) this.flights.splice(i, 1)
  }

  /**
   * Commits every buffered entry; under the serial lock. While background flushes run, the
   * entries they do not hold start flushing at once as one more (the insert limit on running
   * flushes is backpressure, and no insert comes now), so their encode overlaps the older
   * flushes' writes and commits instead of waiting for them; what a failed flush left buffered
   * is then flushed again here, and its failure rejects. The id of the snapshot holding the
   * last row, or null when nothing was buffered.
   */
  private async flushAll(): Promise<bigint | null> {
    let held = 0
    for (const f of this.flights) held += f.count
    if (this.flights.length > 0 && this.buffer.entries.length > held) this.startFlush(MAX_FLIGHTS + 1)
    const background = await this.flight
    const id = await this.flushLocked()
    return id ?? (background !== undefined && 'id' in background ? background.id : null)
  }

  /** Flushes every buffered entry now; only under the serial lock with no background flush running. */
  private async flushLocked(): Promise<bigint | null> {
    if (this.flights.length > 0) throw new AilakeError('INTERNAL', 'MemTableWriter: a flush is already running')
    // Counted like a background flush: auto-optimize waits for it and index builds pause.
    this.foregroundFlushes++
    const ended = flushStarted()
    try {
      return await this.flushEntries(0, this.buffer.entries.length, undefined, undefined)
    } finally {
      this.foregroundFlushes--
      ended()
    }
  }

  /**
   * Writes `count` entries from `start` (frozen, and visible to searches, until it ends) and
   * commits them once `prev` (the flush of the entries before them) has committed; then they are
   * at the front of the buffer. If `prev` failed this one aborts: committing it would mark the
   * earlier records as committed too.
   */
  private async flushEntries(start: number, count: number, prev: Promise<FlushOutcome> | undefined, flight: Flight | undefined): Promise<bigint | null> {
    if (count === 0) {
      if (prev !== undefined) await prev
      this.lastFlush = Date.now()
      return null
    }
    // Later records go to a new segment, so this flush's segments can be deleted whole.
    this.log.rotate()
    if (this.uncertain) {
      // A commit may have landed unseen: settle that first, with nothing else in flight (then
      // this flush's entries are at the front of the buffer).
      if (prev !== undefined && 'error' in (await prev)) throw previousFailed()
      prev = undefined
      start = 0
      await this.table.refresh()
      const watermark = walWatermark(this.table.metadata, this.writerId)
      const landed = Math.min(count, this.buffer.countThrough(watermark))
      if (landed > 0) {
        const snap = this.table.snapshots().find((s) => Number(s.summary[walWatermarkKey(this.writerId)]) >= watermark)
        const id = snap?.snapshotId ?? this.table.currentSnapshotId ?? 0n
        await this.committed(landed, watermark, id, undefined)
        count -= landed
        if (flight !== undefined) {
          flight.count = count
          flight.rows = this.rowsOf(0, count)
        }
        if (count === 0) {
          if (flight !== undefined) this.release(flight)
          return id
        }
      }
      this.expectedWatermark = watermark
      this.uncertain = false
    }
    const entries = this.buffer.entries
    const maxSeq = (entries[start + count - 1] as { seq: number }).seq
    const schema = this.schema ?? this.table.schema
    const writer = new TableWriter(this.table, {
      ...this.fileOptions,
      ...(this.builder === undefined ? {} : { indexBuilder: this.builder }),
      ...(this.deferIndex ? { encoder: this.encoder() } : {}),
    })
    try {
      // Encoded in the flush worker, which reads the vectors in the insert arena where they lie
      // back to back, else a copy whose memory it hands back for the next flush. The encoder only
      // reads them, and is done before the commit that lets the arena reuse them.
      const merged = this.buffer.merged(count, this.policy.dim, start, this.deferIndex ? { alloc: (n) => this.encodeWorkers().lend(n), shareVectors: true } : {})
      const batch = this.upsertOn === undefined ? merged.batch : lastPerKey(merged.batch, keyField(schema, this.upsertOn).id, this.policy.dim)
      await writer.writeRowBatch(batch, { deferIndex: this.deferIndex, schema, handOver: merged.owned || merged.shared || batch !== merged.batch })
      if (prev !== undefined && 'error' in (await prev)) throw previousFailed()
      await this.ownLease()
      const wal = walCommitOptions(this.writerId, maxSeq, () => this.expectedWatermark)
      const id = this.upsertOn === undefined
        ? await writer.commit(wal)
        : await commitUpsert(writer, wal, () => this.planUpsert(batch, schema))
      return await this.committed(count, maxSeq, id, flight)
    } catch (err) {
      if (isAilakeError(err) && err.context.outcomeUnknown === true) this.uncertain = true
      else await writer.abort()
      // Another process committed this WAL: it owns it now.
      if (isWalFenced(err)) await this.lease?.release().catch(() => undefined)
      throw err
    }
  }

  /** Plans the deletes of an upsert flush of `batch` on the latest table (after the flushes before it committed). */
  private async planUpsert(batch: RowBatch, schema: Schema): Promise<UpsertPlan> {
    const on = this.upsertOn as string
    await this.table.refresh()
    return (this.upsertPlanner as UpsertPlanner)(this.table, on, batch.columns.get(keyField(schema, on).id) ?? [])
  }

  private rowsOf(start: number, count: number): number {
    let rows = 0
    for (let i = start; i < start + count; i++) rows += (this.buffer.entries[i] as { batch: { rowCount: number } }).batch.rowCount
    return rows
  }

  /** Drops the committed entries (same synchronous step as the visible snapshot moves), then their WAL segments. */
  private async committed(count: number, maxSeq: number, snapshotId: bigint, flight: Flight | undefined): Promise<bigint> {
    this.buffer.dropFirst(count)
    if (flight !== undefined) this.release(flight)
    this.visibleSnapshotId = snapshotId
    this.lastFlush = Date.now()
    this.uncertain = false
    this.expectedWatermark = Math.max(this.expectedWatermark, maxSeq)
    this.lastFlushError = undefined
    this.onCommit?.(snapshotId)
    // A segment left behind is harmless: recovery sees it is committed and deletes it.
    await this.log.deleteCommitted(maxSeq)
    return snapshotId
  }
}

type FlushOutcome = { id: bigint | null } | { error: Error }

interface Flight {
  /** Buffer entries this flush holds, and their rows. */
  count: number
  rows: number
  done: Promise<FlushOutcome>
}

/** Background flushes that may overlap (encode of one with write and commit of the one before); flush() and close() add one for the rest. */
const MAX_FLIGHTS = 2

function previousFailed(): AilakeError {
  return new AilakeError('STORE_ERROR', 'MemTableWriter: an earlier flush failed, so this one did not commit (its rows stay buffered and are retried)', { retryable: true })
}

function positive(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new AilakeError('INVALID_ARGUMENT', `${name} must be a positive number, got ${String(v)}`)
  return v
}
