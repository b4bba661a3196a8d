/**
 * Batch writer: any number of `writeBatch` / `writeBatchDeferred` calls, then one `commit()`
 * that makes everything one atomic append snapshot. Deferred files are written without an
 * index (fast) and handed to an IndexBuilder once committed (a build can only swap a live file).
 */
import { AilakeError, corrupt } from '../errors.js'
import type { Schema } from '../format/schema.js'
import type { DataFile, PartitionSpec, TableMetadata } from '../format/iceberg/types.js'
import { writeDataFiles, type FileEncoder, type FileRollOptions } from '../table/data-writer.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { nextSchemaId } from '../table/metadata-builder.js'
import { defaultSpec, partitionRows, type PartitionGroup } from '../table/partition.js'
import { inferSchema, takeRows, toRowBatch, type RowBatch, type RowsInput } from '../table/rows.js'
import { SCHEMA_PENDING_PROPERTY } from '../table/schema-evolution.js'
import { vectorColumns, type VectorPolicy } from '../table/vector-policy.js'
import type { IndexBuilder, WrittenRows } from './index-builder.js'
import { checkOptions } from '../util/options.js'

export { SCHEMA_PENDING_PROPERTY }

export interface TableWriterOptions extends FileRollOptions {
  /** Receives deferred files after commit. Without one, deferred files stay pending until scheduled elsewhere. */
  indexBuilder?: IndexBuilder
  /** Encodes deferred (unindexed) files off this thread; it takes over the batch's arrays, so the builder then reads the files back. */
  encoder?: FileEncoder
}

export interface CommitOptions {
  /** Extra snapshot summary properties. */
  summary?: Record<string, string>
  /** Table properties set in the same atomic commit. */
  setProperties?: Record<string, string>
  /**
   * Position delete files committed in the same snapshot (an update or upsert: deletes plus the
   * new rows, operation `overwrite`, or `delete` when nothing was written).
   */
  deletes?: DataFile[]
  /** Checked on every base the commit is attempted on; throwing gives the commit up. */
  precondition?: (base: TableMetadata) => void | Promise<void>
}

export function requirePolicy(table: IcebergTable): VectorPolicy {
  const p = table.policy
  if (p === undefined) throw new AilakeError('UNSUPPORTED', `table ${table.name} has no ailake vector policy (ailake.vector.* properties); it is a plain Iceberg table`)
  return p
}

/** True while the table's columns are still to be inferred from the first rows written. */
export function schemaPending(table: IcebergTable): boolean {
  return table.metadata.properties[SCHEMA_PENDING_PROPERTY] === 'pending'
}

/**
 * The schema rows are checked against: the table's, or one inferred from `rows` for a table
 * created without columns. An inference is a function of the rows and the table's state only
 * (new column ids from last-column-id + 1, the next schema id), so writers racing to make the
 * first write with rows of the same columns infer the same schema and all of them commit.
 */
export function schemaFor(table: IcebergTable, rows: RowsInput, policy: VectorPolicy): Schema {
  if (!schemaPending(table)) return table.schema
  const meta = table.metadata
  const vectors = vectorColumns(policy).map(({ column }) => {
    const vector = table.schema.fields.find((f) => f.name === column)
    if (vector === undefined) throw corrupt(`table ${table.name} is waiting for its columns but its schema has no vector column ${JSON.stringify(column)}`)
    return vector
  })
  return inferSchema(rows, policy, vectors, meta.lastColumnId + 1, nextSchemaId(meta))
}

export class TableWriter {
  readonly table: IcebergTable
  private readonly options: TableWriterOptions
  private readonly policy: VectorPolicy
  /** The partition spec files are written with: the table's default when the writer starts. */
  private readonly spec: PartitionSpec
  private schemaInUse: Schema | undefined
  private readonly inferred: boolean
  private files: DataFile[] = []
  private keys: string[] = []
  private deferred: string[] = []
  private deferredRows = new Map<string, WrittenRows>()
  private committing = false

  constructor(table: IcebergTable, options: TableWriterOptions = {}) {
    this.table = table
    this.options = options
    this.policy = requirePolicy(table)
    this.spec = defaultSpec(table.metadata)
    this.inferred = schemaPending(table)
    if (!this.inferred) this.schemaInUse = table.schema
  }

  /** Files written and not yet committed. */
  get uncommittedFiles(): readonly DataFile[] {
    return this.files
  }

  /** Validates `rows` (nothing is written if any row is bad) and writes them with their index built now. */
  async writeBatch(rows: RowsInput): Promise<DataFile[]> {
    return this.writeRowBatch(this.validate(rows), { deferIndex: false })
  }

  /** Validates and writes `rows` without an index; the build is scheduled when `commit()` lands. */
  async writeBatchDeferred(rows: RowsInput): Promise<DataFile[]> {
    return this.writeRowBatch(this.validate(rows), { deferIndex: true })
  }

  /** Checks rows against the schema in use (inferring it on the first batch of a schema-less table). */
  validate(rows: RowsInput): RowBatch {
    const schema = this.schemaInUse ?? schemaFor(this.table, rows, this.policy)
    const batch = toRowBatch(rows, schema, this.policy)
    this.schemaInUse = schema
    return batch
  }

  /** The schema batches are written with (undefined until the first batch of a schema-less table). */
  get schema(): Schema | undefined {
    return this.schemaInUse
  }

  /**
   * Writes an already validated batch checked against `schema` (defaults to the schema in use).
   * `handOver`: the caller gives the batch away, so the index builder (or the `encoder`) may keep
   * and transfer to a worker its arrays instead of copies.
   * @internal the path of `MemTableWriter` flushes; users call `writeBatch`
   */
  async writeRowBatch(batch: RowBatch, options: { deferIndex: boolean; schema?: Schema; handOver?: boolean }): Promise<DataFile[]> {
    if (this.committing) throw new AilakeError('INVALID_ARGUMENT', 'TableWriter: cannot write while commit() is running')
    const schema = options.schema ?? this.schemaInUse
    if (schema === undefined) throw new AilakeError('INTERNAL', 'TableWriter: no schema for this batch')
    this.schemaInUse = schema
    if (batch.rowCount === 0) return []
    if (this.spec.fields.length === 0) return this.writePartition(batch, schema, {}, options)
    // A partitioned table gets one run of files per partition: no file mixes partitions.
    const groups = partitionRows(this.spec, schema, batch.columns, batch.rowCount)
    if (groups.length === 1) return this.writePartition(batch, schema, (groups[0] as PartitionGroup).tuple, options)
    const out: DataFile[] = []
    for (const g of groups) out.push(...await this.writePartition(takeRows(batch, g.rows, this.policy.dim), schema, g.tuple, { ...options, handOver: true }))
    return out
  }

  private async writePartition(batch: RowBatch, schema: Schema, tuple: Record<string, unknown>, options: { deferIndex: boolean; handOver?: boolean }): Promise<DataFile[]> {
    const target = { store: this.table.store, location: this.table.location, keyOf: (l: string) => this.table.keyOf(l), schema, policy: this.policy, partition: { specId: this.spec.specId, tuple } }
    const encoder = options.deferIndex && options.handOver === true ? this.options.encoder : undefined
    const writeOptions: { buildIndex: boolean; maxRowsPerFile?: number; targetFileBytes?: number; encoder?: FileEncoder } = { buildIndex: !options.deferIndex }
    if (encoder !== undefined) writeOptions.encoder = encoder
    if (this.options.maxRowsPerFile !== undefined) writeOptions.maxRowsPerFile = this.options.maxRowsPerFile
    if (this.options.targetFileBytes !== undefined) writeOptions.targetFileBytes = this.options.targetFileBytes
    const { files, keys } = await writeDataFiles(target, batch, writeOptions)
    this.files.push(...files)
    this.keys.push(...keys)
    if (options.deferIndex) {
      this.deferred.push(...files.map((f) => f.filePath))
      // Hand the builder the rows it would otherwise read back (copies unless the caller hands the batch over).
      if (this.options.indexBuilder !== undefined && encoder === undefined) {
        const dim = this.policy.dim
        const whole = options.handOver === true && files.length === 1
        let start = 0
        for (const f of files) {
          const end = start + f.recordCount
          const columns = whole ? batch.columns : new Map<number, unknown[]>()
          if (!whole) for (const [id, values] of batch.columns) columns.set(id, values.slice(start, end))
          const vectors = options.handOver === true ? batch.vectors.subarray(start * dim, end * dim) : batch.vectors.slice(start * dim, end * dim)
          this.deferredRows.set(f.filePath, { schema, columns, vectors })
          start = end
        }
      }
    }
    return files
  }

  /**
   * Commits every file written so far as one append snapshot and returns its id; deferred files
   * are then queued on the index builder. On a failure with a known outcome the files stay
   * uncommitted (retry `commit()` or `abort()`); on an unknown outcome (error context
   * `outcomeUnknown`) they are kept, as the snapshot may have landed.
   */
  async commit(options: CommitOptions = {}): Promise<bigint> {
    checkOptions(options, { summary: true, setProperties: true, precondition: true, deletes: true }, 'commit()')
    const deletes = options.deletes ?? []
    if (this.files.length === 0 && deletes.length === 0) throw new AilakeError('INVALID_ARGUMENT', `TableWriter: nothing to commit to ${this.table.name}; write a batch first`)
    this.committing = true
    try {
      const extra: Pick<CommitOptions, 'summary' | 'setProperties' | 'precondition'> & { schema?: Schema } = {}
      if (options.summary !== undefined) extra.summary = options.summary
      if (options.setProperties !== undefined) extra.setProperties = options.setProperties
      if (options.precondition !== undefined) extra.precondition = options.precondition
      if (this.schemaInUse !== undefined) extra.schema = this.schemaInUse
      // A writer that started while the columns were unknown may have inferred them: the commit
      // sets them, or checks the files against those another writer set meanwhile.
      const inferred = this.inferred && this.schemaInUse !== undefined ? { schema: this.schemaInUse, pendingProperty: SCHEMA_PENDING_PROPERTY } : undefined
      const id = deletes.length > 0
        ? await this.table.commit({ kind: 'delta', added: this.files, addedDeletes: deletes, ...extra })
        : await this.table.commit({ kind: 'append', added: this.files, ...(inferred === undefined ? {} : { inferred }), ...extra })
      const deferred = this.deferred
      const rows = this.deferredRows
      this.files = []
      this.keys = []
      this.deferred = []
      this.deferredRows = new Map()
      if (deferred.length > 0) this.options.indexBuilder?.schedule(this.table, deferred, rows)
      return id
    } finally {
      this.committing = false
    }
  }

  /** Deletes the files written since the last commit. */
  async abort(): Promise<void> {
    const keys = this.keys
    this.files = []
    this.keys = []
    this.deferred = []
    this.deferredRows = new Map()
    for (const k of keys) await this.table.store.delete(k).catch(() => undefined)
  }
}
