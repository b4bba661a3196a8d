/**
 * The MemTableWriter's in-memory buffer: acknowledged inserts in WAL sequence order, each
 * already validated, and the read-your-writes view the query layer searches.
 */
import { AilakeError } from '../errors.js'
import type { Schema } from '../format/schema.js'
import type { RowBatch } from '../table/rows.js'

/**
 * Rows buffered in a MemTableWriter, for brute-force search merged with the table.
 * `rows[i]` holds the non-vector columns of row i; its embedding is
 * `vectors.subarray(i * dim, (i + 1) * dim)`, exactly as inserted (f32, not yet quantised).
 */
export interface BufferedRows {
  schema: Schema
  rows: Record<string, unknown>[]
  /** rowCount × dim, as inserted. */
  vectors: Float32Array
  /**
   * The table snapshot these rows are NOT yet part of: a query that reads this snapshot plus
   * these rows sees every acknowledged row exactly once. Null before the table's first snapshot.
   */
  snapshotId: bigint | null
}

export interface BufferEntry {
  seq: number
  batch: RowBatch
}

export class WriteBuffer {
  entries: BufferEntry[] = []
  rows = 0
  private cached: { rows: Record<string, unknown>[]; vectors: Float32Array } | undefined

  push(entry: BufferEntry): void {
    this.entries.push(entry)
    this.rows += entry.batch.rowCount
    this.cached = undefined
  }

  /** Drops the first `count` entries (they have been committed). */
  dropFirst(count: number): void {
    const gone = this.entries.splice(0, count)
    for (const e of gone) this.rows -= e.batch.rowCount
    this.cached = undefined
  }

  /** `count` entries from `start` as one batch; `fresh` when it was built here, so no entry shares its arrays. */
  merged(count: number, dim: number, start = 0): { batch: RowBatch; fresh: boolean } {
    const parts = this.entries.slice(start, start + count)
    if (parts.length === 1) return { batch: (parts[0] as BufferEntry).batch, fresh: false }
    let rowCount = 0
    for (const p of parts) rowCount += p.batch.rowCount
    const vectors = new Float32Array(rowCount * dim)
    let at = 0
    for (const p of parts) {
      vectors.set(p.batch.vectors, at * dim)
      at += p.batch.rowCount
    }
    const columns = new Map<number, unknown[]>()
    const first = parts[0]
    if (first !== undefined) {
      for (const id of first.batch.columns.keys()) {
        // Preallocated and filled by index: a push per value (or concat of holey arrays) was slow.
        const out = new Array<unknown>(rowCount)
        let k = 0
        for (const p of parts) {
          const values = p.batch.columns.get(id)
          if (values === undefined) throw new AilakeError('INTERNAL', `buffered batches disagree on column ${id}`)
          for (let i = 0; i < values.length; i++) out[k++] = values[i]
        }
        columns.set(id, out)
      }
    }
    return { batch: { rowCount, columns, vectors }, fresh: true }
  }

  /** Rows as objects keyed by column name (cached until the buffer changes). */
  view(schema: Schema, vectorColumn: string, dim: number): { rows: Record<string, unknown>[]; vectors: Float32Array } {
    if (this.cached !== undefined) return this.cached
    const batch = this.entries.length === 0 ? { rowCount: 0, columns: new Map<number, unknown[]>(), vectors: new Float32Array(0) } : this.merged(this.entries.length, dim).batch
    const fields = schema.fields.filter((f) => f.name !== vectorColumn)
    const rows: Record<string, unknown>[] = new Array(batch.rowCount)
    for (let i = 0; i < batch.rowCount; i++) {
      const row: Record<string, unknown> = {}
      for (const f of fields) row[f.name] = batch.columns.get(f.id)?.[i] ?? null
      rows[i] = row
    }
    this.cached = { rows, vectors: batch.vectors }
    return this.cached
  }
}
