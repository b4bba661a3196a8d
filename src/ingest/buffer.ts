/**
 * The MemTableWriter's in-memory buffer: acknowledged inserts in WAL sequence order, each
 * already validated, and the read-your-writes view the query layer searches.
 */
import { AilakeError } from '../errors.js'
import type { Schema } from '../format/schema.js'
import type { RowBatch } from '../table/rows.js'
import type { InsertArena, Slab } from './insert-arena.js'

/**
 * Rows buffered in a MemTableWriter, for brute-force search merged with the table.
 * `rows[i]` holds the non-vector columns of row i; its embedding is
 * `vectors.subarray(i * dim, (i + 1) * dim)`, decoded from the table's storage precision exactly
 * as it will be read back once flushed, so a row scores the same before and after its flush.
 */
export interface BufferedRows {
  schema: Schema
  rows: Record<string, unknown>[]
  /** rowCount × dim, at the storage precision. */
  vectors: Float32Array
  /** The writer whose WAL sequence numbers `seqs` are. */
  writerId: string
  /**
   * `ends[i]` rows belong to WAL records with seq <= `seqs[i]` (both ascending): a query reading
   * a snapshot whose WAL watermark for `writerId` is W skips the rows of records <= W, which
   * that snapshot already holds (a commit that landed before its flush finished, or whose
   * outcome was unknown).
   */
  seqs: readonly number[]
  ends: readonly number[]
  /** The newest snapshot the writer knows does not hold these rows (informational). */
  snapshotId: bigint | null
  /** For an upsert writer, its key column: a buffered row hides earlier rows with its key, buffered or committed. */
  upsertOn?: string
}

export interface BufferEntry {
  seq: number
  batch: RowBatch
  /** `batch.vectors` at the storage precision (the same array for f32). */
  stored: Float32Array
  /** The arena slab `batch.vectors` lies in, if any. */
  slab: Slab | undefined
}

export class WriteBuffer {
  entries: BufferEntry[] = []
  rows = 0
  private cached: { rows: Record<string, unknown>[]; vectors: Float32Array; seqs: number[]; ends: number[] } | undefined

  /**
   * `toStored` decodes inserted vectors to what the table stores (identity for f32); `arena`
   * holds the vectors of inserts (see `take`).
   */
  constructor(private readonly toStored: (vectors: Float32Array) => Float32Array, private readonly arena?: InsertArena) {}

  push(seq: number, batch: RowBatch): void {
    this.entries.push({ seq, batch, stored: this.toStored(batch.vectors), slab: this.arena?.hold(batch.vectors) })
    this.rows += batch.rowCount
    this.cached = undefined
  }

  /**
   * An array of `length` for an insert's vectors, from the arena (see InsertArena): memory
   * already touched when a slab is reused, and laid out so a flush window's vectors are one
   * contiguous run. Nothing outside the writer keeps these arrays (`view` copies, a flush is done
   * with its batch by its commit), and their space is reused only once their insert committed.
   */
  take(length: number): Float32Array {
    return this.arena?.take(length) ?? new Float32Array(length)
  }

  /** Later inserts fill other memory than the entries buffered now (a flush took them). */
  seal(): void {
    this.arena?.seal()
  }

  /** Drops the first `count` entries (they have been committed). */
  dropFirst(count: number): void {
    const gone = this.entries.splice(0, count)
    for (const e of gone) {
      this.rows -= e.batch.rowCount
      if (e.slab !== undefined) this.arena?.release(e.slab)
    }
    this.cached = undefined
  }

  /** How many leading entries have seq <= `seq`. */
  countThrough(seq: number): number {
    let n = 0
    while (n < this.entries.length && (this.entries[n] as BufferEntry).seq <= seq) n++
    return n
  }

  /**
   * `count` entries from `start` as one batch. `owned` when no entry shares its arrays (built
   * here); `shared` when its vectors are a view of the arena the entries still hold, given with
   * `shareVectors` to a reader that is done with them before the entries commit (the flush
   * worker), instead of a copy. `alloc` gives the array vectors are copied into (default: new).
   */
  merged(count: number, dim: number, start = 0, options: { alloc?: (length: number) => Float32Array; shareVectors?: boolean } = {}): { batch: RowBatch; owned: boolean; shared: boolean } {
    const parts = this.entries.slice(start, start + count)
    const view = options.shareVectors === true ? this.arena?.contiguous(parts.map((p) => ({ slab: p.slab, vectors: p.batch.vectors }))) : undefined
    if (parts.length === 1) {
      const only = (parts[0] as BufferEntry).batch
      return { batch: only, owned: false, shared: view !== undefined }
    }
    let rowCount = 0
    for (const p of parts) rowCount += p.batch.rowCount
    const vectors = view ?? concatVectors(parts.map((p) => p.batch.vectors), rowCount * dim, options.alloc)
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
    return { batch: { rowCount, columns, vectors }, owned: view === undefined, shared: view !== undefined }
  }

  /** Rows as objects keyed by column name, stored-precision vectors and seq boundaries (cached until the buffer changes). */
  view(schema: Schema, vectorColumn: string, dim: number): { rows: Record<string, unknown>[]; vectors: Float32Array; seqs: number[]; ends: number[] } {
    if (this.cached !== undefined) return this.cached
    const fields = schema.fields.filter((f) => f.name !== vectorColumn)
    const rows: Record<string, unknown>[] = new Array(this.rows)
    const seqs: number[] = []
    const ends: number[] = []
    let at = 0
    for (const e of this.entries) {
      const b = e.batch
      for (let i = 0; i < b.rowCount; i++) {
        const row: Record<string, unknown> = {}
        for (const f of fields) row[f.name] = b.columns.get(f.id)?.[i] ?? null
        rows[at + i] = row
      }
      at += b.rowCount
      seqs.push(e.seq)
      ends.push(at)
    }
    // Always a copy: an entry's memory is reused once its insert commits (see `take`).
    const vectors = concatVectors(this.entries.map((e) => e.stored), this.rows * dim)
    this.cached = { rows, vectors, seqs, ends }
    return this.cached
  }
}

function concatVectors(parts: Float32Array[], length: number, alloc?: (length: number) => Float32Array): Float32Array {
  const out = alloc === undefined ? new Float32Array(length) : alloc(length)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
