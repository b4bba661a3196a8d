/**
 * The public table handle: write rows, read history and files, and (through the query layer)
 * search. One handle per open table; `close()` releases background work.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import type { Field, Schema } from '../format/schema.js'
import { IndexBuilder, MemTableWriter, TableWriter, type IndexBuilderOptions, type MemTableWriterOptions, type TableWriterOptions } from '../ingest/index.js'
import { discardWal, inspectWals, type DiscardResult, type WalInfo } from '../ingest/wal-inspect.js'
import { FullTextSearch, HybridSearch, SearchBuilder, checkInt64As, vectorLeg, deleteRows, liveRows, planKeyed, sampleVectors, scanRows, updateRows, upsertRows, type ChangeContext, type ChangeResult, type Filter, type FullTextSearchOptions, type HybridSearchOptions, type Int64As, type QueryCaches, type ScanOptions, type VectorSample } from '../query/index.js'
import { countAllowed } from '../vector-index/filter.js'
import { mapLimit } from '../util/limiter.js'
import { expireSnapshots, removeOrphanFiles, type ExpireOptions, type ExpireResult, type OrphanOptions } from '../maintenance/expire.js'
import { optimizeTable, type OptimizeOptions, type OptimizeReport } from '../maintenance/optimize.js'
import { quarantineTable, verifyTable, type QuarantineResult, type VerifyOptions, type VerifyReport } from '../maintenance/verify.js'
import { relocateTable, type RelocateResult } from '../table/relocate.js'
import { defaultSpec, partitionInputs, type PartitionInput } from '../table/partition.js'
import { requireRows } from '../table/rows.js'
import { checkSchemaChange, type SchemaChange } from '../table/schema-evolution.js'
import { AutoOptimizer, type AutoOptimizeOptions, type MaintenanceStatus } from './auto-optimize.js'
import type { Embedder, EmbedderIdentity } from '../embed/embedder.js'
import { columnEmbedder, embedderFor, recordedEmbedder, textSearchColumn } from './embedding.js'
import type { DataWriteOptions } from '../table/data-writer.js'
import type { AsOf, IcebergTable } from '../table/iceberg-table.js'
import type { RowsInput } from '../table/rows.js'
import type { FullTextPolicy, VectorPolicy, VectorPolicyInput } from '../table/vector-policy.js'
import { setFullText, setVectorColumn } from '../table/policy-change.js'
import type { TextLanguage } from '../text/analyze.js'
import { checkOptions, type OptionKeys } from '../util/options.js'

/** Attempts of one `add()` when its first write races another that sets the table's columns. */
const ADD_ATTEMPTS = 3

export interface SnapshotInfo {
  snapshotId: bigint
  parentId: bigint | null
  timestamp: Date
  operation: string
  addedRows: number
  /** Rows this snapshot deleted (position deletes it added). */
  deletedRows: number
  /** Rows in the snapshot's data files, deleted ones included (Iceberg's total-records). */
  totalRows: number
  /** Position deletes live in the snapshot (total-position-deletes): live rows = totalRows - this. */
  totalDeletes: number
  totalFiles: number
}

export interface FileInfo {
  path: string
  /** Rows stored in the file, deleted ones included. */
  rows: number
  /** Of those, rows deleted by delete files. */
  deletedRows: number
  bytes: number
  indexStatus: 'ready' | 'pending' | 'none'
  /** The centroid of the file's vectors and their largest distance from it; absent for files without ailake facts. */
  centroid?: Float32Array
  radius?: number
  /** The layout cluster whose rows the file holds (files written by optimize). */
  cluster?: number
}

export interface SearchOptions {
  /** For text queries: the embedder to use (must match the table's). Default: rebuilt from the table's record. */
  embedder?: Embedder
  /**
   * The vector column to search (`createTable(..., { vectors })`), with its own metric, index and
   * bounds. Default: the primary vector column; for a text query, the column whose recorded
   * embedder is `embedder`, else the only column that records one.
   */
  column?: string
}

export interface ChangeOptions {
  /** Build the new rows' index now (default), or leave it to a background build. */
  buildIndex?: boolean
}

export interface UpsertOptions extends ChangeOptions {
  /** The key column: a row replaces the live rows with the same value in it. */
  on: string
  /** As in `add()`: embed this text column for rows without a vector. */
  embedFrom?: string
  embedder?: Embedder
}

export interface AddOptions extends Omit<DataWriteOptions, 'encoder'> {
  /**
   * Compute each row's vector by embedding this text column with the table's embedder (rows
   * that already carry a vector keep it). Plain-object rows only.
   */
  embedFrom?: string
  /** The embedder for `embedFrom` (must match the table's). Default: rebuilt from the table's record. */
  embedder?: Embedder
}

/** Options of `table.writer()`. */
export type WriterOptions = Omit<TableWriterOptions, 'indexBuilder' | 'encoder'>
/** Options of `table.memTableWriter()`. */
export type StreamWriterOptions = Omit<MemTableWriterOptions, 'indexBuilder' | 'upsertPlanner' | 'onCommit' | 'embedRows'>

const ROLL_KEYS = { maxRowsPerFile: true, targetFileBytes: true } as const satisfies OptionKeys<WriterOptions>
const ADD_KEYS = { ...ROLL_KEYS, buildIndex: true, embedFrom: true, embedder: true } as const satisfies OptionKeys<AddOptions>
const MEM_TABLE_WRITER_KEYS = {
  ...ROLL_KEYS, flushSizeBytes: true, flushMaxRows: true, flushIntervalMs: true, writerId: true, autoFlushTimer: true, deferIndex: true, backgroundFlush: true, leaseTtlMs: true, adoptAbandoned: true, lease: true, upsertOn: true,
} as const satisfies OptionKeys<StreamWriterOptions>
const SEARCH_KEYS = { embedder: true, column: true } as const satisfies OptionKeys<SearchOptions>
const TEXT_SEARCH_KEYS = {
  columns: true, limit: true, where: true, asOf: true, select: true, includeBuffered: true, int64: true,
} as const satisfies OptionKeys<FullTextSearchOptions>
const HYBRID_SEARCH_KEYS = {
  ...TEXT_SEARCH_KEYS, text: true, vector: true, fusion: true, rrfK: true, vectorWeight: true, candidates: true, embedder: true, column: true,
} as const satisfies OptionKeys<HybridSearchOptions & SearchOptions>
const EXPIRE_KEYS = { olderThan: true, retainLast: true } as const satisfies OptionKeys<ExpireOptions>
const VERIFY_KEYS = { readData: true, wals: true } as const satisfies OptionKeys<VerifyOptions>
const ORPHAN_KEYS = { olderThan: true, dryRun: true } as const satisfies OptionKeys<OrphanOptions>
const CHANGE_KEYS = { buildIndex: true } as const satisfies OptionKeys<ChangeOptions>
const OPTIMIZE_KEYS = {
  targetRowsPerFile: true, cluster: true, full: true, applyDeletes: true, expireOlderThan: true, orphansOlderThan: true, workers: true, onProgress: true, signal: true,
} as const satisfies OptionKeys<OptimizeOptions>
const UPSERT_KEYS = { ...CHANGE_KEYS, on: true, embedFrom: true, embedder: true } as const satisfies OptionKeys<UpsertOptions>

/** Shared per lakehouse: caches and background index builds. */
export interface TableServices {
  caches: QueryCaches
  indexBuilderOptions?: IndexBuilderOptions
  /** Background optimize after commits, when enabled. */
  autoOptimize?: AutoOptimizeOptions
  /** Told when the handle closes (the lakehouse stops tracking it). */
  onClose?: (table: Table) => void
  /** How searches return 64-bit integers unless a query says otherwise. */
  int64?: Int64As
}

export class Table {
  /** @internal */
  readonly core: IcebergTable
  private readonly services: TableServices
  private builder: IndexBuilder | undefined
  private readonly writers = new Set<MemTableWriter>()
  private closed = false
  private autoOptimizer: AutoOptimizer | undefined

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

  /** How new files are partitioned, in `createTable({ partitionBy })`'s form; `[]` when not partitioned. */
  get partitionBy(): PartitionInput[] {
    return partitionInputs(defaultSpec(this.core.metadata), this.core.schema)
  }

  get currentSnapshotId(): bigint | null {
    return this.core.currentSnapshotId
  }

  /** The Iceberg table properties (a copy). */
  get properties(): Record<string, string> {
    return { ...this.core.metadata.properties }
  }

  /** The embedder recorded for this table's vectors, if any. */
  get embedder(): EmbedderIdentity | undefined {
    return recordedEmbedder(this.core.metadata.properties)
  }

  /**
   * The vector column a text query searches (`column` if given; else the column whose recorded
   * embedder is named `embedderName`; else the only one that records an embedder) and the
   * embedder identity recorded for it. `INVALID_ARGUMENT` when none or several qualify.
   */
  textSearchTarget(column?: string, embedderName?: string): { column: string; embedder: EmbedderIdentity } {
    const t = textSearchColumn(this.name, this.core.metadata.properties, this.vector, column, embedderName)
    return { column: t.column, embedder: t.recorded }
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
    this.checkOpen()
    checkOptions(options, ADD_KEYS, 'add()')
    requireRows(rows, 'add()', this.name)
    if (options.embedFrom !== undefined) rows = await this.embedRows(rows, options.embedFrom, options.embedder)
    // A first write to a table created without columns may find them set by another writer after
    // its files were laid out for others, or a table relocated after its files were recorded under
    // the old location: it writes the rows again. Either happens once, so the bound is a backstop.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.addOnce(rows, options)
      } catch (err) {
        if (attempt >= ADD_ATTEMPTS || !isAilakeError(err, 'COMMIT_CONFLICT') || (err.context.schemaChanged !== true && err.context.relocated !== true)) throw err
        await this.core.refresh()
      }
    }
  }

  private async addOnce(rows: RowsInput, options: AddOptions): Promise<bigint> {
    const writer = this.newWriter(options)
    try {
      if (options.buildIndex === false) await writer.writeBatchDeferred(rows)
      else await writer.writeBatch(rows)
      if (writer.uncommittedFiles.length === 0) {
        throw new AilakeError('INVALID_ARGUMENT', `add() got no rows for table ${this.name}; pass at least one row`)
      }
      const id = await writer.commit()
      this.committed()
      return id
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
  writer(options: WriterOptions = {}): TableWriter {
    this.checkOpen()
    checkOptions(options, ROLL_KEYS, 'writer()')
    return this.newWriter(options)
  }

  private newWriter(options: WriterOptions): TableWriter {
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
  memTableWriter(options: StreamWriterOptions = {}): MemTableWriter {
    this.checkOpen()
    checkOptions(options, MEM_TABLE_WRITER_KEYS, 'memTableWriter()')
    const changes = this.changeContext()
    const w = new MemTableWriter(this.core, {
      ...options, indexBuilder: this.indexBuilder(), embedRows: (rows, from, embedder) => this.embedRows(rows, from, embedder),
      upsertPlanner: (_table, on, keys) => planKeyed(changes, on, keys), onCommit: () => this.committed(),
    })
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
  search<R extends object = Record<string, unknown>>(query: Float32Array | readonly number[] | string, options: SearchOptions = {}): SearchBuilder<R> {
    this.checkOpen()
    checkOptions(options, SEARCH_KEYS, 'search()')
    const ctx = {
      table: this.core,
      caches: this.services.caches,
      buffered: () => this.openWriters().map((w) => w.bufferedSnapshot()),
    }
    let b: SearchBuilder<R>
    const policy = this.core.policy
    if (typeof query === 'string' && policy?.extra !== undefined) {
      // Several vector columns: the text goes to the one whose embedder it names (or the only one with an embedder).
      const target = textSearchColumn(this.name, this.core.metadata.properties, policy, options.column, options.embedder?.name)
      b = new SearchBuilder<R>(ctx, async () => {
        const embedder = await columnEmbedder(`column ${target.column} of table ${this.name}`, target.recorded, options.embedder)
        const [v] = await embedder.embed([query])
        return v as Float32Array
      }, undefined, target.column)
    } else {
      b = typeof query === 'string'
        ? new SearchBuilder<R>(ctx, async () => {
          const embedder = await embedderFor(this.name, this.core.metadata.properties, options.embedder)
          const [v] = await embedder.embed([query])
          return v as Float32Array
        }, undefined, options.column)
        : new SearchBuilder<R>(ctx, query as Float32Array | number[], undefined, options.column)
    }
    return this.services.int64 === undefined ? b : b.int64(this.services.int64)
  }

  /**
   * BM25 full-text search over the table's full-text columns (`createTable(..., { fullText })`):
   * words, "quoted phrases" and `+required` terms; scores use table-wide statistics, so they do
   * not depend on how rows are split into files. Buffered rows of this handle's open
   * MemTableWriters are included and deleted rows are not. Rows carry `_score`.
   */
  fullTextSearch<R extends object = Record<string, unknown>>(query: string, options: FullTextSearchOptions = {}): FullTextSearch<R> {
    this.checkOpen()
    checkOptions(options, TEXT_SEARCH_KEYS, 'fullTextSearch()')
    if (typeof query !== 'string') throw new AilakeError('INVALID_ARGUMENT', `fullTextSearch(): the query must be a string, got ${typeof query}`)
    return new FullTextSearch<R>(this.searchContext(), query, options, options.int64 === undefined ? this.services.int64 ?? 'bigint' : checkInt64As(options.int64, 'fullTextSearch()'))
  }

  /**
   * Vector and full-text search fused: the text is searched with BM25 and, unless `vector` is
   * given, embedded by the table's embedder for the vector leg; the two ranked lists are fused by
   * reciprocal-rank fusion (k = 60) or, with `fusion: 'weighted'`, by a weighted sum of
   * normalised scores. `explain()` shows both legs.
   */
  hybridSearch<R extends object = Record<string, unknown>>(options: HybridSearchOptions & SearchOptions): HybridSearch<R> {
    this.checkOpen()
    if (options === null || typeof options !== 'object' || typeof options.text !== 'string') {
      throw new AilakeError('INVALID_ARGUMENT', 'hybridSearch({ text }) needs the query text, e.g. { text: "red shoes", limit: 10 }')
    }
    checkOptions(options, HYBRID_SEARCH_KEYS, 'hybridSearch()')
    const { embedder, text, column } = options
    const leg: SearchOptions = { ...(embedder === undefined ? {} : { embedder }), ...(column === undefined ? {} : { column }) }
    const base = options.vector !== undefined ? this.search(options.vector, column === undefined ? {} : { column }) : this.search(text, leg)
    return new HybridSearch<R>(this.searchContext(), vectorLeg(base.int64('bigint'), options), options, options.int64 === undefined ? this.services.int64 ?? 'bigint' : checkInt64As(options.int64, 'hybridSearch()'))
  }

  private searchContext(): { table: IcebergTable; caches: QueryCaches; buffered: () => ReturnType<MemTableWriter['bufferedSnapshot']>[] } {
    return { table: this.core, caches: this.services.caches, buffered: () => this.openWriters().map((w) => w.bufferedSnapshot()) }
  }

  private async embedRows(rows: RowsInput, from: string, given?: Embedder): Promise<RowsInput> {
    if (!Array.isArray(rows)) throw new AilakeError('INVALID_ARGUMENT', 'add({ embedFrom }) takes plain-object rows, not an Arrow table')
    const column = this.vector.column
    const todo = rows.map((r, i) => ({ r: r as Record<string, unknown>, i })).filter(({ r }) => r[column] === undefined || r[column] === null)
    for (const { r, i } of todo) {
      if (typeof r[from] !== 'string') {
        throw new AilakeError('SCHEMA_MISMATCH', `row ${i}: column ${JSON.stringify(from)} must hold the text to embed, got ${typeof r[from]}`, { context: { row: i, column: from } })
      }
    }
    if (todo.length === 0) return rows
    const embedder = await embedderFor(this.name, this.core.metadata.properties, given)
    const vectors = await embedder.embed(todo.map(({ r }) => r[from] as string))
    const out = [...rows] as Record<string, unknown>[]
    todo.forEach(({ r, i }, j) => { out[i] = { ...r, [column]: vectors[j] } })
    return out
  }

  /**
   * Bounds storage: drops snapshots older than `olderThan` (default 5 days; the newest
   * `retainLast`, default 1, always stay) and deletes files only they referenced, such as
   * unindexed originals replaced by background index builds. Time travel ends at the oldest
   * snapshot kept.
   */
  async expireSnapshots(options: ExpireOptions = {}): Promise<ExpireResult> {
    this.checkOpen()
    checkOptions(options, EXPIRE_KEYS, 'expireSnapshots()')
    return expireSnapshots(this.core, options)
  }

  /**
   * Lays the table out for search and storage: rows clustered by k-means into files of about
   * `targetRowsPerFile` (each with its index and a tight centroid and radius, so a query visits
   * few of them), deleted rows dropped, small files merged; then snapshots older than 7 days and
   * orphan files are removed. Incremental after the first run: new rows join the existing
   * clusters as small files of their own (a cluster is merged into one file once these grow),
   * so the cost follows the new rows. Safe alongside writers (a concurrent append
   * survives, a concurrent delete is never lost). Returns what it did.
   */
  async optimize(options: OptimizeOptions = {}): Promise<OptimizeReport> {
    this.checkOpen()
    checkOptions(options, OPTIMIZE_KEYS, 'optimize()')
    const release = this.builder?.hold(this.core)
    try {
      return await optimizeTable(this.core, options)
    } finally {
      release?.()
    }
  }

  /**
   * Deletes files in the table's folders that no snapshot references (left by crashed or failed
   * writers) and that are older than `olderThan` (default 3 days). Returns what was removed.
   */
  async removeOrphanFiles(options: OrphanOptions = {}): Promise<string[]> {
    this.checkOpen()
    checkOptions(options, ORPHAN_KEYS, 'removeOrphanFiles()')
    return removeOrphanFiles(this.core, options)
  }

  /**
   * Reads the current snapshot's manifest list, manifests and every live data file from the
   * store (no cache), and every write-ahead log, and reports what cannot be read: the file, why,
   * and the rows that depend on it. `{ readData: false }` only checks that data files exist with
   * the recorded size. Damage is reported, never thrown.
   */
  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    this.checkOpen()
    checkOptions(options, VERIFY_KEYS, 'verify()')
    return verifyTable(this.core, options)
  }

  /**
   * Verifies the table and commits a snapshot without its damaged data files and manifests (the
   * rest stays searchable); an unreadable current manifest list rolls the table back to the
   * newest snapshot whose list reads. Returns what was removed and the rows lost with it.
   * Damaged write-ahead logs are left for `discardWal`. Older snapshots still name the removed
   * files until they expire.
   */
  async quarantine(): Promise<QuarantineResult> {
    this.checkOpen()
    return quarantineTable(this.core)
  }

  /** The write-ahead logs under the table, one per writer id: segments, rows not yet committed, lease, damage. */
  async wals(): Promise<WalInfo[]> {
    this.checkOpen()
    return inspectWals(this.core)
  }

  /**
   * Deletes the write-ahead log of `writerId` (a damaged one that stops its writer and adoption);
   * its rows not yet committed are lost and counted in the result. Takes the writer's lease
   * first: `ALREADY_EXISTS` while a live writer holds it.
   */
  async discardWal(writerId: string): Promise<DiscardResult> {
    this.checkOpen()
    if (typeof writerId !== 'string' || writerId === '') throw new AilakeError('INVALID_ARGUMENT', `discardWal() needs a writer id (see table.wals()), got ${JSON.stringify(writerId)}`)
    return discardWal(this.core, writerId)
  }

  /**
   * Makes a plain Iceberg table (one Spark, Trino or pyiceberg created) searchable: its existing
   * `list<float>` column `column` becomes the vector column (`{ column, dim, metric }`), recorded
   * in the table properties in one metadata commit; no data is rewritten. Its files are searched
   * by exact scan until `optimize()` rewrites them into indexed ailake files. Returns the policy.
   */
  async setVectorColumn(vector: VectorPolicyInput): Promise<VectorPolicy> {
    this.checkOpen()
    return setVectorColumn(this.core, vector)
  }

  /**
   * Chooses the full-text columns (string columns) and analyser language, in one metadata
   * commit: files written before are indexed from their rows when first queried, and carry
   * their own block once `optimize({ full: true })` rewrites them. Returns the policy.
   */
  async setFullText(columns: readonly string[], options: { language?: TextLanguage } = {}): Promise<FullTextPolicy> {
    this.checkOpen()
    checkOptions(options, { language: true }, 'setFullText()')
    return setFullText(this.core, columns, options.language)
  }

  /**
   * Rewrites the metadata of a table that was copied or moved (a copied warehouse, a restored
   * backup) so every location it records is where it is now, for other engines (ailake reads a
   * moved table either way). A no-op (`relocated: false`) when it already is.
   */
  async relocate(): Promise<RelocateResult> {
    this.checkOpen()
    return relocateTable(this.core)
  }

  /** True when the table was copied or moved since its metadata was written (see `relocate()`). */
  get moved(): boolean {
    return this.core.moved
  }

  /** Snapshots, oldest first. */
  history(): SnapshotInfo[] {
    return this.core.snapshots().map((s) => ({
      snapshotId: s.snapshotId,
      parentId: s.parentSnapshotId ?? null,
      timestamp: new Date(s.timestampMs),
      operation: s.summary.operation,
      addedRows: Number(s.summary['added-records'] ?? 0),
      deletedRows: Number(s.summary['added-position-deletes'] ?? 0),
      totalRows: Number(s.summary['total-records'] ?? 0),
      totalDeletes: Number(s.summary['total-position-deletes'] ?? 0),
      totalFiles: Number(s.summary['total-data-files'] ?? 0),
    }))
  }

  /** The live data files at `asOf` (default: now). */
  async files(asOf?: AsOf): Promise<FileInfo[]> {
    const live = await this.core.planFiles(this.core.resolveSnapshot(asOf))
    const ctx = { table: this.core, caches: this.services.caches, schema: this.core.schemaAt(asOf) }
    return mapLimit(live, 8, async (f) => {
      const mask = await liveRows(ctx, f)
      return {
        path: f.dataFile.filePath,
        rows: f.dataFile.recordCount,
        deletedRows: mask === undefined ? 0 : f.dataFile.recordCount - countAllowed(mask, f.dataFile.recordCount),
        bytes: f.dataFile.fileSizeInBytes,
        indexStatus: f.dataFile.ailake === undefined ? 'none' : f.dataFile.ailake.indexStatus,
        ...(f.dataFile.ailake !== undefined && { centroid: f.dataFile.ailake.centroid, radius: f.dataFile.ailake.radius }),
        ...(f.dataFile.ailake?.cluster !== undefined && { cluster: f.dataFile.ailake.cluster }),
      }
    })
  }

  /**
   * The live rows matching `options.where`, as of `options.asOf`, file by file (statistics rule
   * files out before any is opened; deletes, position and equality, are applied). Works on every
   * table, including tables other engines wrote that have no vector column:
   * `for await (const row of table.scan({ where: 'year >= 2020', limit: 100 })) ...`
   */
  scan<R extends Record<string, unknown> = Record<string, unknown>>(options: ScanOptions = {}): AsyncIterable<R> {
    return scanRows({ table: this.core, caches: this.services.caches }, options, this.services.int64 ?? 'bigint') as AsyncIterable<R>
  }

  /**
   * About `count` live vectors at `asOf` (default: now), spread over the files by their live rows
   * and evenly within each, with the file and row each came from: a picture of the layout.
   */
  async sampleVectors(count: number, asOf?: AsOf): Promise<VectorSample[]> {
    this.checkOpen()
    return sampleVectors({ table: this.core, caches: this.services.caches, schema: this.core.schemaAt(asOf) }, count, asOf)
  }

  /** Live row count at `asOf` (default: now): stored rows minus deleted ones. */
  async countRows(asOf?: AsOf): Promise<number> {
    return (await this.files(asOf)).reduce((n, f) => n + f.rows - f.deletedRows, 0)
  }

  /**
   * Deletes the rows matching `where` (the filter language of `search().where()`, string or
   * object form, e.g. `{ column: 'id', op: 'in', values: ids }`) in one snapshot, as Iceberg
   * position deletes that every engine applies. Rows buffered in this handle's open writers are
   * flushed first, so they are deleted too. Returns the snapshot, or `snapshotId: null` when no
   * row matched (nothing is committed).
   */
  async delete(where: string | Filter): Promise<ChangeResult> {
    this.checkOpen()
    await this.flushWriters()
    const r = await deleteRows(this.changeContext(), where)
    this.committed()
    return r
  }

  /**
   * Sets the columns in `values` (constants; the vector column may be replaced too) in every row
   * matching `where`, in one snapshot: the old rows are deleted and the new versions written.
   * On an `i8` table the new versions' vectors are quantised again from their decoded values,
   * which can move them by f32 rounding (far less than one quantisation step).
   */
  async update(where: string | Filter, values: Record<string, unknown>, options: ChangeOptions = {}): Promise<ChangeResult> {
    this.checkOpen()
    checkOptions(options, CHANGE_KEYS, 'update()')
    await this.flushWriters()
    const r = await updateRows(this.changeContext(), where, values, options)
    this.committed()
    return r
  }

  /**
   * Writes `rows`, each replacing the live rows whose `on` column holds its key (others are
   * inserted), in one snapshot. Keys must be distinct within `rows`. Two processes upserting the
   * same keys at once end with one row per key.
   */
  async upsert(rows: RowsInput, options: UpsertOptions): Promise<ChangeResult> {
    this.checkOpen()
    if (options === null || typeof options !== 'object' || typeof options.on !== 'string') {
      throw new AilakeError('INVALID_ARGUMENT', 'upsert(rows, { on }) needs the key column, e.g. { on: "docId" }')
    }
    checkOptions(options, UPSERT_KEYS, 'upsert()')
    if (options.embedFrom !== undefined) rows = await this.embedRows(rows, options.embedFrom, options.embedder)
    await this.flushWriters()
    const r = await upsertRows(this.changeContext(), rows, options.on, options.buildIndex === undefined ? {} : { buildIndex: options.buildIndex })
    this.committed()
    return r
  }

  /**
   * What background maintenance of this handle is doing: with `connect(uri, { optimize: { auto:
   * true } })`, whether an optimize runs (and its phase), its last report or error.
   */
  maintenance(): MaintenanceStatus {
    return { ...(this.autoOptimizer?.status ?? { optimizing: false }) }
  }

  /** After a commit through this handle: background optimize, when enabled and due. */
  private committed(): void {
    const auto = this.services.autoOptimize
    if (auto === undefined || this.closed) return
    this.autoOptimizer ??= new AutoOptimizer(this.core, auto, () => this.builder?.hold(this.core), (quietMs) => {
      const since = Date.now() - quietMs
      return this.openWriters().some((w) => w.isFlushing || w.lastInsertAt > since)
    })
    this.autoOptimizer.nudge()
  }

  private changeContext(): ChangeContext {
    return { table: this.core, caches: this.services.caches, indexBuilder: this.indexBuilder() }
  }

  /** Commits what this handle's open writers buffer, so a row change sees every acknowledged row. */
  private async flushWriters(): Promise<void> {
    for (const w of this.openWriters()) await w.flush()
  }

  /**
   * Changes the table's columns, Iceberg's way, in one atomic commit (a new schema, no data
   * rewritten): `add` optional columns (older rows read as null), `rename`, `drop`, `widen`
   * (`int` → `'long'`, `float` → `'double'`), `makeOptional`, and `order` (columns to put
   * first). Names in `rename`, `drop`, `widen` and `makeOptional` are the current ones; `add`
   * and `order` use the names after the change. Field ids are never reused, so files written
   * before read through the new schema by id; searches return the same rows and distances, and
   * time travel to an earlier snapshot reads it with the columns it had. The vector column
   * cannot be dropped, renamed or retyped. A concurrent change is resolved again against the
   * schema that won; concurrent appends land. Returns the new current schema.
   */
  async alterSchema(change: SchemaChange): Promise<Schema> {
    this.checkOpen()
    checkSchemaChange(change)
    return this.core.alterSchema(change)
  }

  /** Column names and types, the vector column included. */
  columns(): Field[] {
    return this.schema.fields.map((f) => ({ ...f }))
  }

  /** Flushes and closes open writers, then stops background index builds (they resume later). */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.services.onClose?.(this)
    const errors: unknown[] = []
    for (const w of this.openWriters()) await w.close().catch((e: unknown) => errors.push(e))
    await this.autoOptimizer?.close()
    await this.builder?.close()
    if (errors.length > 0) throw errors[0]
  }

  /** Open writers of this handle (closed ones are forgotten). */
  private openWriters(): MemTableWriter[] {
    for (const w of this.writers) if (w.isClosed) this.writers.delete(w)
    return [...this.writers]
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
