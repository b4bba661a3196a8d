/**
 * Which rows a query over one snapshot sees besides the data files' live rows: buffered rows of
 * open MemTableWriters not yet in the snapshot, and committed rows a buffered upsert replaces.
 * Vector and full-text search both go through here, so they see the same rows.
 */
import type { BufferedRows } from '../ingest/buffer.js'
import { walWatermark } from '../ingest/wal-watermark.js'
import type { DataFile } from '../format/iceberg/types.js'
import { normalizeKey } from '../table/deletes.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import { readColumns, type FileRowsContext } from './file-rows.js'

/** A buffer and its rows the query sees: `visible` lists them, or is undefined for all of them. */
export interface BufferView {
  buffer: BufferedRows
  visible: number[] | undefined
}

/** The first buffered row of a WAL record above `watermark` (rows before it are in the snapshot). */
function firstRowNotHeld(b: BufferedRows, watermark: number): number {
  let from = 0
  for (let i = 0; i < b.seqs.length && (b.seqs[i] as number) <= watermark; i++) from = b.ends[i] as number
  return from
}

/**
 * The buffered rows visible over the snapshot `meta` describes (rows of WAL records the snapshot
 * already holds are skipped; an upsert writer's row hides its own earlier rows with the key),
 * and the keys, per key column, whose committed rows buffered upserts supersede.
 */
export function bufferedVisibility(buffers: readonly BufferedRows[], meta: IcebergTable['metadata']): { views: BufferView[]; hidden: Map<string, Set<unknown>> } {
  const hidden = new Map<string, Set<unknown>>()
  const views = buffers.map((b): BufferView => {
    const n = b.rows.length
    const from = n === 0 ? 0 : firstRowNotHeld(b, walWatermark(meta, b.writerId))
    if (from >= n) return { buffer: b, visible: [] }
    if (b.upsertOn !== undefined) {
      const last = new Map<unknown, number>()
      for (let i = from; i < n; i++) last.set(normalizeKey(b.rows[i]?.[b.upsertOn]), i)
      let keys = hidden.get(b.upsertOn)
      if (keys === undefined) hidden.set(b.upsertOn, keys = new Set())
      for (const key of last.keys()) keys.add(key)
      return { buffer: b, visible: [...last.values()] }
    }
    if (from === 0) return { buffer: b, visible: undefined }
    const visible: number[] = []
    for (let i = from; i < n; i++) visible.push(i)
    return { buffer: b, visible }
  })
  return { views, hidden }
}

/** `allow` (undefined: every row) with the rows of `file` whose key a buffered upsert supersedes cleared. */
export async function hideSuperseded(ctx: FileRowsContext, file: DataFile, allow: Uint8Array | undefined, hidden: ReadonlyMap<string, ReadonlySet<unknown>>): Promise<Uint8Array | undefined> {
  for (const [column, keys] of hidden) {
    const values = await readColumns(ctx, file, [column])
    // A copy: the mask may be a cached live-row bitset.
    const mask = allow?.slice() ?? new Uint8Array((file.recordCount + 7) >> 3).fill(0xff)
    values.forEach((r, i) => { if (keys.has(normalizeKey(r[column]))) mask[i >> 3] = (mask[i >> 3] as number) & ~(1 << (i & 7)) })
    allow = mask
  }
  return allow
}

/**
 * A stable identity for a row across queries over the same snapshot and buffers: the data file
 * and position, or the writer, WAL record and offset in it (buffer indexes shift as flushes land).
 */
export function rowId(file: string | BufferedRows, row: number): string {
  if (typeof file === 'string') return `${file}#${row}`
  let start = 0
  for (let i = 0; i < file.ends.length; i++) {
    const end = file.ends[i] as number
    if (row < end) return `wal:${file.writerId}:${file.seqs[i] as number}+${row - start}`
    start = end
  }
  return `wal:${file.writerId}:?+${row}`
}
