/**
 * The public table handle: write rows, read history and files, and (through the query layer)
 * search. One handle per open table; `close()` releases background work.
 */
import { AilakeError } from '../errors.js'
import type { Field, Schema } from '../format/schema.js'
import { IndexBuilder, MemTableWriter, TableWriter, type IndexBuilderOptions, type MemTableWriterOptions, type TableWriterOptions } from '../ingest/index.js'
import { SearchBuilder, type QueryCaches } from '../query/index.js'
import type { AsOf, IcebergTable } from '../table/iceberg-table.js'
import type { RowsInput } from '../table/rows.js'
import type { VectorPolicy } from '../table/vector-policy.js'

export interface SnapshotInfo {
  snapshotId: bigint
  parentId: bigint | null
  timestamp: Date
  operation: string
  addedRows: number
  totalRows: number
  totalFiles: number
}

export interface FileInfo {
  path: string
  rows: number
  bytes: number
  indexStatus: 'ready' | 'pending' | 'none'
}

export interface AddOptions {
  /** Build the HNSW index now (default), or write the files unindexed and build it in the background. */
  buildIndex?: boolean
  /** Roll over to a new file after this many rows. Default 100,000. */
  maxRowsPerFile?: number
  /** Roll over once a file's vector bytes would exceed this. Default 128 MiB. */
  targetFileBytes?: number
}

/** Shared per lakehouse: caches and background index builds. */
export interface TableServices {
  caches: QueryCaches
  indexBuilderOptions?: IndexBuilderOptions
}

export class Table {
  /** @internal */
  readonly core: IcebergTable
  private readonly services: TableServices
  private builder: IndexBuilder | undefined
  private readonly writers = new Set<MemTableWriter>()
  private closed = false

  /** @internal use `lake.openTable()` */
  constructor(core: IcebergTable, services: TableServices) {
    this.core = core
    this.services = services
  }

  get name(): string {
    return this.core.name
  }

  get schema(): Schema {
    return this.core.schema
  }

  get vector(): VectorPolicy {
    const p = this.core.policy
    if (p === undefined) throw new AilakeError('UNSUPPORTED', `table ${this.name} has no ailake vector policy (ailake.vector.* properties); it is a plain Iceberg table`)
    return p
  }

  get currentSnapshotId(): bigint | null {
    return this.core.currentSnapshotId
  }

  /** Reloads the latest committed state (other writers' commits become visible). */
  async refresh(): Promise<void> {
    await this.core.refresh()
  }

  /**
   * Validates, writes and commits `rows` as one snapshot; returns its id. Rows are plain objects
   * carrying their embedding in the vector column (Float32Array or number[]), or an Arrow table.
   * Nothing is written if any row is invalid.
   */
  async add(rows: RowsInput, options: AddOptions = {}): Promise<bigint> {
    const writer = this.writer(options)
    try {
      if (options.buildIndex === false) await writer.writeBatchDeferred(rows)
      else await writer.writeBatch(rows)
      if (writer.uncommittedFiles.length === 0) {
        throw new AilakeError('INVALID_ARGUMENT', `add() got no rows for table ${this.name}; pass at least one row`)
      }
      return await writer.commit()
    } catch (err) {
      // After a commit whose outcome is unknown the snapshot may have landed and reference these
      // files, so they must stay (at worst they are orphans for maintenance to remove).
      if (!(err instanceof AilakeError && err.context.outcomeUnknown === true)) await writer.abort()
      throw err
    }
  }

  /**
   * A writer for several batches committed as one snapshot: `writeBatch(rows)` (indexed now),
   * `writeBatchDeferred(rows)` (indexed in the background), then `commit()`.
   */
  writer(options: Omit<TableWriterOptions, 'indexBuilder'> = {}): TableWriter {
    this.checkOpen()
    const o: TableWriterOptions = { indexBuilder: this.indexBuilder() }
    if (options.maxRowsPerFile !== undefined) o.maxRowsPerFile = options.maxRowsPerFile
    if (options.targetFileBytes !== undefined) o.targetFileBytes = options.targetFileBytes
    return new TableWriter(this.core, o)
  }

  /**
   * A durable streaming write buffer: `insert(rows)` resolves once the rows are in the
   * write-ahead log; they are flushed to the table by size, row count or age, and are
   * visible to `search()` while buffered. Reopening with the same `writerId` replays rows a
   * crash left uncommitted. Close it to flush what is buffered.
   */
  memTableWriter(options: Omit<MemTableWriterOptions, 'indexBuilder'> = {}): MemTableWriter {
    this.checkOpen()
    const w = new MemTableWriter(this.core, { ...options, indexBuilder: this.indexBuilder() })
    this.writers.add(w)
    return w
  }

  /**
   * Resolves once every data file of the table has its index: resumes builds left pending
   * (by a crash or another process) and waits for them.
   */
  async waitForIndexes(): Promise<void> {
    this.checkOpen()
    const builder = this.indexBuilder()
    await builder.scheduleAllPending(this.core)
    await builder.waitForIndexes()
  }

  /**
   * Starts a vector search: `table.search(vec).where("year > 2020").limit(10).toArray()`.
   * Buffered rows of this handle's open MemTableWriters are included.
   */
  search(vector: Float32Array | readonly number[]): SearchBuilder {
    this.checkOpen()
    return new SearchBuilder({
      table: this.core,
      caches: this.services.caches,
      buffered: () => [...this.writers].map((w) => w.bufferedSnapshot()),
    }, vector as Float32Array | number[])
  }

  /** Snapshots, oldest first. */
  history(): SnapshotInfo[] {
    return this.core.snapshots().map((s) => ({
      snapshotId: s.snapshotId,
      parentId: s.parentSnapshotId ?? null,
      timestamp: new Date(s.timestampMs),
      operation: s.summary.operation,
      addedRows: Number(s.summary['added-records'] ?? 0),
      totalRows: Number(s.summary['total-records'] ?? 0),
      totalFiles: Number(s.summary['total-data-files'] ?? 0),
    }))
  }

  /** The live data files at `asOf` (default: now). */
  async files(asOf?: AsOf): Promise<FileInfo[]> {
    const live = await this.core.planFiles(this.core.resolveSnapshot(asOf))
    return live.map((f) => ({
      path: f.dataFile.filePath,
      rows: f.dataFile.recordCount,
      bytes: f.dataFile.fileSizeInBytes,
      indexStatus: f.dataFile.ailake === undefined ? 'none' : f.dataFile.ailake.indexStatus,
    }))
  }

  /** Row count at `asOf` (default: now). */
  async countRows(asOf?: AsOf): Promise<number> {
    return (await this.files(asOf)).reduce((n, f) => n + f.rows, 0)
  }

  /** Column names and types, the vector column included. */
  columns(): Field[] {
    return this.schema.fields.map((f) => ({ ...f }))
  }

  /** Flushes and closes open writers, then stops background index builds (they resume later). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const errors: unknown[] = []
    for (const w of [...this.writers]) await w.close().catch((e: unknown) => errors.push(e))
    await this.builder?.close()
    if (errors.length > 0) throw errors[0]
  }

  private indexBuilder(): IndexBuilder {
    this.builder ??= new IndexBuilder(this.services.indexBuilderOptions)
    return this.builder
  }

  private checkOpen(): void {
    if (this.closed) throw new AilakeError('CLOSED', `table handle ${this.name} is closed; open it again with lake.openTable()`)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
