/**
 * Streaming write buffer. Small inserts are logged (one WAL segment each) and buffered; a flush
 * writes them as data files (index deferred by default) and commits one append whose snapshot
 * summary records the highest WAL sequence number it holds (`ailake.wal.<writerId>`), then
 * deletes those segments. Reopening a writer with the same id replays exactly the segments no
 * snapshot records, so a crash at any moment loses no acknowledged row and duplicates none.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import type { Schema } from '../format/schema.js'
import type { FileRollOptions } from '../table/data-writer.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { toRowBatch, type RowsInput } from '../table/rows.js'
import type { VectorPolicy } from '../table/vector-policy.js'
import { mapLimit } from '../util/limiter.js'
import { WriteBuffer, type BufferedRows } from './buffer.js'
import { IndexBuilder } from './index-builder.js'
import { requirePolicy, schemaFor, schemaPending, TableWriter } from './table-writer.js'
import { encodeSegment, readWal, segmentKey } from './wal.js'

export type { BufferedRows } from './buffer.js'

/** Thresholds and durability of the buffer; the roll-over options size the data files of a flush. */
export interface MemTableWriterOptions extends FileRollOptions {
  /** Flush once buffered vector bytes (rows × dim × bytes per element of the storage precision) reach this. Default 64 MiB. */
  flushSizeBytes?: number
  /** Flush once this many rows are buffered. Default 100,000. */
  flushMaxRows?: number
  /** Age of unflushed data after which `flushIfDue()` (and the optional timer) flushes. Default 30,000 ms. */
  flushIntervalMs?: number
  /** Names this writer's WAL; one active writer per id and table. Letters, digits, `._-`. Default 'default'. */
  writerId?: string
  /** Run `flushIfDue()` on a background (unref'd) timer. Default false. */
  autoFlushTimer?: boolean
  /** Write flushed files without an index and build it in the background. Default true. */
  deferIndex?: boolean
  /**
   * Builds the deferred indexes. Default: a builder owned by this writer, closed by `close()`
   * (builds still running then are abandoned and stay resumable via `scheduleAllPending`).
   */
  indexBuilder?: IndexBuilder
}

const active = new Set<string>()

/** Snapshot summary property recording the highest WAL seq a commit holds. */
export function walSummaryKey(writerId: string): string {
  return `ailake.wal.${writerId}`
}

/** Highest WAL seq of `writerId` recorded in any snapshot of the table (0 if none). */
export function committedWalSeq(table: IcebergTable, writerId: string): number {
  const key = walSummaryKey(writerId)
  let max = 0
  for (const s of table.metadata.snapshots) {
    const v = Number(s.summary[key] ?? 0)
    if (Number.isSafeInteger(v) && v > max) max = v
  }
  return max
}

function bytesPerElement(policy: VectorPolicy): number {
  return policy.precision === 'f32' ? 4 : policy.precision === 'f16' ? 2 : 1
}

export class MemTableWriter {
  readonly table: IcebergTable
  readonly writerId: string
  readonly flushSizeBytes: number
  readonly flushMaxRows: number
  readonly flushIntervalMs: number
  /** The last error of a flush that an insert or the timer triggered (such a failure does not reject the insert). */
  lastFlushError: Error | undefined
  private readonly policy: VectorPolicy
  private readonly deferIndex: boolean
  private readonly builder: IndexBuilder | undefined
  private readonly ownsBuilder: boolean
  private readonly fileOptions: FileRollOptions
  private readonly tableKey: string
  private readonly buffer = new WriteBuffer()
  private schema: Schema | undefined
  private nextSeq = 1
  private lastFlush = Date.now()
  private tail: Promise<unknown>
  private readonly ready: Promise<void>
  private timer: ReturnType<typeof setInterval> | undefined
  private closed = false
  /** A commit may have landed without us knowing; the next flush checks before rewriting. */
  private uncertain = false
  private visibleSnapshotId: bigint | null
  private readonly activeKey: string

  /** Starts recovery at once; every method waits for it. `MemTableWriter.open()` awaits it for you. */
  constructor(table: IcebergTable, options: MemTableWriterOptions = {}) {
    this.table = table
    this.policy = requirePolicy(table)
    this.writerId = options.writerId ?? 'default'
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(this.writerId)) {
      throw new AilakeError('INVALID_ARGUMENT', `writerId ${JSON.stringify(this.writerId)} must be 1-64 letters, digits, '.', '_' or '-'`)
    }
    this.flushSizeBytes = positive('flushSizeBytes', options.flushSizeBytes ?? 64 * 2 ** 20)
    this.flushMaxRows = positive('flushMaxRows', options.flushMaxRows ?? 100_000)
    this.flushIntervalMs = positive('flushIntervalMs', options.flushIntervalMs ?? 30_000)
    this.deferIndex = options.deferIndex ?? true
    this.ownsBuilder = this.deferIndex && options.indexBuilder === undefined
    this.builder = options.indexBuilder ?? (this.ownsBuilder ? new IndexBuilder() : undefined)
    this.fileOptions = {}
    if (options.maxRowsPerFile !== undefined) this.fileOptions.maxRowsPerFile = options.maxRowsPerFile
    if (options.targetFileBytes !== undefined) this.fileOptions.targetFileBytes = options.targetFileBytes
    this.tableKey = table.keyOf(table.location)
    this.activeKey = `${table.location}\u0000${this.writerId}`
    if (active.has(this.activeKey)) {
      throw new AilakeError('ALREADY_EXISTS', `a MemTableWriter with writerId ${JSON.stringify(this.writerId)} is already open on ${table.name}; close it first or pick another writerId`)
    }
    active.add(this.activeKey)
    this.visibleSnapshotId = table.currentSnapshotId
    this.ready = this.recover()
    this.tail = this.ready.catch(() => undefined)
    this.ready.catch(() => active.delete(this.activeKey))
    if (options.autoFlushTimer === true) {
      this.timer = setInterval(() => {
        this.flushIfDue().catch((err: unknown) => { this.lastFlushError = err as Error })
      }, Math.max(10, Math.min(this.flushIntervalMs, 1000)))
      this.timer.unref()
    }
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

  /** True when a size or row threshold has been reached. */
  get isFull(): boolean {
    return this.bufferedBytes >= this.flushSizeBytes || this.buffer.rows >= this.flushMaxRows
  }

  /** The index builder receiving this writer's deferred files (if indexing is deferred). */
  get indexBuilder(): IndexBuilder | undefined {
    return this.builder
  }

  /**
   * Validates `rows` (nothing is logged if any is bad), appends them to the WAL and buffers them;
   * resolves once they are durable. Flushes when a threshold is reached and returns that
   * snapshot's id, else null. A flush triggered here that fails does not reject (the rows are
   * safely logged); it is kept in `lastFlushError` and retried by the next insert or flush. An
   * insert into a buffer that is still full after a failed flush retries the flush first and
   * rejects (without logging) if it fails again, so the buffer never grows without bound.
   * Inserts wait while a flush runs (backpressure).
   */
  async insert(rows: RowsInput): Promise<bigint | null> {
    return this.serial(async () => {
      this.checkOpen()
      if (this.isFull) await this.flushLocked()
      const schema = this.schema ?? schemaFor(this.table, rows, this.policy)
      const batch = toRowBatch(rows, schema, this.policy)
      if (batch.rowCount === 0) return null
      const seq = this.nextSeq++
      const bytes = encodeSegment(seq, schema, this.policy.column, batch, this.policy.dim)
      if (!(await this.table.store.putIfAbsent(segmentKey(this.tableKey, this.writerId, seq), bytes))) {
        throw new AilakeError('COMMIT_CONFLICT', `WAL segment ${seq} of writer ${JSON.stringify(this.writerId)} already exists: another process is writing with the same writerId`, { context: { writerId: this.writerId, seq } })
      }
      this.schema = schema
      this.buffer.push({ seq, batch })
      if (!this.isFull) return null
      try {
        return await this.flushLocked()
      } catch (err) {
        this.lastFlushError = err as Error
        return null
      }
    })
  }

  /** Flushes if data is buffered and `flushIntervalMs` has passed since the last flush; returns the snapshot id or null. */
  async flushIfDue(): Promise<bigint | null> {
    return this.serial(async () => {
      this.checkOpen()
      if (this.buffer.rows === 0) {
        this.lastFlush = Date.now()
        return null
      }
      return Date.now() - this.lastFlush >= this.flushIntervalMs ? this.flushLocked() : null
    })
  }

  /** Commits everything buffered as one snapshot and returns its id; null (a no-op) when empty. On failure the buffer and WAL are kept: retry. */
  async flush(): Promise<bigint | null> {
    return this.serial(async () => {
      this.checkOpen()
      return this.flushLocked()
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
    const { rows, vectors } = this.buffer.view(schema, this.policy.column, this.policy.dim)
    return { schema, rows, vectors, snapshotId: this.visibleSnapshotId }
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
    try {
      await this.serial(async () => {
        this.checkOpen()
        await this.flushLocked()
        this.closed = true
      })
    } finally {
      if (this.closed) {
        active.delete(this.activeKey)
        if (this.ownsBuilder) await this.builder?.close()
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private checkOpen(): void {
    if (this.closed) throw new AilakeError('CLOSED', `MemTableWriter ${JSON.stringify(this.writerId)} on ${this.table.name} is closed`)
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => this.ready).then(fn)
    this.tail = run.catch(() => undefined)
    return run
  }

  /** Replays WAL segments no snapshot records; deletes the ones that are committed or torn. */
  private async recover(): Promise<void> {
    await this.table.refresh()
    const committed = committedWalSeq(this.table, this.writerId)
    const wal = await readWal(this.table.store, this.tableKey, this.writerId, this.policy.column, committed)
    const lastGood = wal.segments.at(-1)?.seq ?? 0
    const badKey = wal.corrupt.find((k) => Number(/(\d{16})\.wal$/.exec(k)?.[1]) < lastGood)
    if (badKey !== undefined) {
      // Only the last segment can be torn by a crash; damage before a good one is data loss to report.
      throw new AilakeError('CORRUPT_DATA', `WAL segment ${badKey} is corrupt but later segments are valid; the log was damaged after it was written. Move the segment aside to continue (its rows are lost)`, { context: { key: badKey } })
    }
    for (const key of [...wal.committed, ...wal.corrupt]) await this.table.store.delete(key)
    for (const seg of wal.segments) {
      if (this.schema === undefined) this.schema = schemaPending(this.table) ? seg.schema : this.table.schema
      this.buffer.push({ seq: seg.seq, batch: seg.batch })
    }
    this.nextSeq = Math.max(committed, wal.maxSeq) + 1
    this.visibleSnapshotId = this.table.currentSnapshotId
  }

  private async flushLocked(): Promise<bigint | null> {
    const count = this.buffer.entries.length
    if (count === 0) {
      this.lastFlush = Date.now()
      return null
    }
    const maxSeq = (this.buffer.entries[count - 1] as { seq: number }).seq
    if (this.uncertain) {
      await this.table.refresh()
      if (committedWalSeq(this.table, this.writerId) >= maxSeq) {
        const snap = this.table.snapshots().find((s) => Number(s.summary[walSummaryKey(this.writerId)]) >= maxSeq)
        return this.committed(count, snap?.snapshotId ?? this.table.currentSnapshotId ?? 0n)
      }
      this.uncertain = false
    }
    const schema = this.schema ?? this.table.schema
    const writer = new TableWriter(this.table, { ...this.fileOptions, ...(this.builder === undefined ? {} : { indexBuilder: this.builder }) })
    try {
      await writer.writeRowBatch(this.buffer.merged(count, this.policy.dim), { deferIndex: this.deferIndex, schema })
      const id = await writer.commit({ summary: { [walSummaryKey(this.writerId)]: String(maxSeq) } })
      return await this.committed(count, id)
    } catch (err) {
      if (isAilakeError(err) && err.context.outcomeUnknown === true) this.uncertain = true
      else await writer.abort()
      throw err
    }
  }

  /** Drops the committed entries (same synchronous step as the visible snapshot moves), then their WAL segments. */
  private async committed(count: number, snapshotId: bigint): Promise<bigint> {
    const seqs = this.buffer.entries.slice(0, count).map((e) => e.seq)
    this.buffer.dropFirst(count)
    this.visibleSnapshotId = snapshotId
    this.lastFlush = Date.now()
    this.uncertain = false
    this.lastFlushError = undefined
    // A segment left behind is harmless: recovery sees it is committed and deletes it.
    await mapLimit(seqs, 16, (seq) => this.table.store.delete(segmentKey(this.tableKey, this.writerId, seq)).catch(() => undefined))
    return snapshotId
  }
}

function positive(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new AilakeError('INVALID_ARGUMENT', `${name} must be a positive number, got ${String(v)}`)
  return v
}
