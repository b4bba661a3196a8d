/**
 * The public table handle: write rows, read history and files, and (through the query layer)
 * search. One handle per open table; `close()` releases background work.
 */
import { AilakeError } from '../errors.js'
import type { Field, Schema } from '../format/schema.js'
import { writeDataFiles, vectorFieldType, type DataWriteOptions } from '../table/data-writer.js'
import type { AsOf, IcebergTable } from '../table/iceberg-table.js'
import { inferSchema, toRowBatch, type RowsInput } from '../table/rows.js'
import type { VectorPolicy } from '../table/vector-policy.js'

/** Marks a table whose columns will be inferred from its first rows. */
export const SCHEMA_PENDING = 'ailake.schema.inferred'

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

export type AddOptions = DataWriteOptions

export class Table {
  /** @internal */
  readonly core: IcebergTable

  /** @internal use `lake.openTable()` */
  constructor(core: IcebergTable) {
    this.core = core
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
    const policy = this.vector
    let schema = this.core.schema
    const pending = this.core.metadata.properties[SCHEMA_PENDING] === 'pending'
    if (pending) schema = inferSchema(rows, policy, (elementId) => vectorFieldType(policy, elementId))
    const batch = toRowBatch(rows, schema, policy)
    if (batch.rowCount === 0) {
      throw new AilakeError('INVALID_ARGUMENT', `add() got no rows for table ${this.name}; pass at least one row`)
    }
    const target = { store: this.core.store, location: this.core.location, keyOf: (l: string) => this.core.keyOf(l), schema, policy }
    const { files, keys } = await writeDataFiles(target, batch, options)
    try {
      if (pending) return await this.core.appendWithSchema(files, schema, [SCHEMA_PENDING])
      return await this.core.append(files)
    } catch (err) {
      if (!(err instanceof AilakeError && err.context.outcomeUnknown === true)) {
        for (const k of keys) await this.core.store.delete(k).catch(() => undefined)
      }
      throw err
    }
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

  async close(): Promise<void> {
    // Nothing held yet; background index builds and writers attach here.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
