/**
 * Streaming upserts: a writer opened with `upsertOn` commits each flush as a row change, whose
 * planning (finding the live rows with the flushed keys) the query layer supplies. The writer
 * keeps only the last row per key of a flush.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import type { Schema } from '../format/schema.js'
import type { TableWriter } from './table-writer.js'
import type { walCommitOptions } from './wal-watermark.js'
import type { DataFile, TableMetadata } from '../format/iceberg/types.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { takeRows, type RowBatch } from '../table/rows.js'
import { normalizeKey } from '../table/deletes.js'

/** The deletes of one upsert flush, planned on the table's current snapshot. */
export interface UpsertPlan {
  /** Position delete files (already stored) of the live rows the keys replace. */
  deletes: DataFile[]
  /** Checked on each base the commit is attempted on: fails (re-plan) when commits since planning changed rows with these keys. */
  precondition: (base: TableMetadata) => Promise<void>
  /** Removes the delete files after a commit that certainly failed. */
  discard(): Promise<void>
}

/** Plans the deletes of an upsert of `keys` on column `on` (supplied by the query layer). */
export type UpsertPlanner = (table: IcebergTable, on: string, keys: unknown[]) => Promise<UpsertPlan>

/** `batch` with only the last row of each key in column `fieldId`, in their original order. */
export function lastPerKey(batch: RowBatch, fieldId: number, dim: number): RowBatch {
  const keys = batch.columns.get(fieldId)
  if (keys === undefined) throw new AilakeError('INTERNAL', `upsert batch lacks its key column (field id ${fieldId})`)
  const last = new Map<unknown, number>()
  keys.forEach((k, i) => last.set(normalizeKey(k), i))
  if (last.size === batch.rowCount) return batch
  return takeRows(batch, [...last.values()].sort((a, b) => a - b), dim)
}

/** Re-plans of one upsert flush whose commit met a concurrent change to its keys. */
const UPSERT_PLANS = 8

/**
 * Commits an upsert flush: the written rows plus the deletes `plan` finds, fenced on the WAL
 * watermark; a concurrent change to the same keys makes it plan again.
 */
export async function commitUpsert(writer: TableWriter, wal: ReturnType<typeof walCommitOptions>, plan: () => Promise<UpsertPlan>): Promise<bigint> {
  for (let attempt = 1; ; attempt++) {
    const p = await plan()
    try {
      return await writer.commit({
        summary: wal.summary, setProperties: wal.setProperties, deletes: p.deletes,
        precondition: async (base) => { wal.precondition(base); await p.precondition(base) },
      })
    } catch (err) {
      if (!(isAilakeError(err) && err.context.outcomeUnknown === true)) await p.discard()
      if (!(isAilakeError(err, 'COMMIT_CONFLICT') && err.context.replan === true) || attempt >= UPSERT_PLANS) throw err
    }
  }
}

export function keyField(schema: Schema, on: string): Schema['fields'][number] {
  const f = schema.fields.find((x) => x.name === on)
  if (f === undefined || typeof f.type !== 'string') {
    throw new AilakeError('INVALID_ARGUMENT', `upsertOn: ${JSON.stringify(on)} is not a scalar column; columns are case-sensitive: ${schema.fields.map((x) => x.name).join(', ')}`, { context: { column: on } })
  }
  return f
}

/** Every row of an upsert batch needs its key. */
export function checkKeys(batch: RowBatch, schema: Schema, on: string): void {
  const values = batch.columns.get(keyField(schema, on).id) ?? []
  const missing = values.findIndex((v) => v === null || v === undefined)
  if (missing >= 0) throw new AilakeError('INVALID_ARGUMENT', `row ${missing} has no value in the upsert key column ${on}`, { context: { row: missing, column: on } })
}
