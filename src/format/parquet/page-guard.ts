/**
 * Checks the page headers inside every byte range hyparquet reads from a column chunk, before it
 * parses them. hyparquet trusts header counts: a flipped bit that turns a page's row count into
 * 172,152 (or drops the level lengths of a V2 header) sent it into a loop that did not end, so a
 * hostile or damaged file could hang a reader. Data reads always start at a page boundary (the
 * chunk start, or a page location from the offset index), so the headers can be walked from the
 * range start by their sizes.
 */
import type { FileMetaData } from 'hyparquet'
import { corrupt } from '../../errors.js'
import { CompactReader, intField, structField, type ThriftStruct } from './thrift.js'

interface ChunkRange {
  start: number
  end: number
  rows: number
  /** Repeated (list) columns may hold more values than rows. */
  nested: boolean
}

/** The byte range of every column chunk, with its row group's row count. */
export function chunkRanges(metadata: FileMetaData): ChunkRange[] {
  const out: ChunkRange[] = []
  for (const rg of metadata.row_groups) {
    for (const c of rg.columns) {
      const m = c.meta_data
      if (m === undefined) continue
      // Some writers put 0 in dictionary_page_offset when there is no dictionary.
      const dict = Number(m.dictionary_page_offset ?? 0)
      const data = Number(m.data_page_offset)
      const start = dict > 0 && dict < data ? dict : data
      const end = start + Number(m.total_compressed_size)
      out.push({ start, end, rows: Number(rg.num_rows), nested: m.path_in_schema.length > 1 })
    }
  }
  return out.sort((a, b) => a.start - b.start)
}

function optInt(s: ThriftStruct, id: number): number | undefined {
  const v = s.get(id)
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined
}

function check(ok: boolean, at: number, what: string): void {
  if (!ok) throw corrupt(`Parquet page header at byte ${at}: ${what}`, { offset: at })
}

/**
 * Throws CORRUPT_DATA unless every whole page header in `bytes` (file bytes from `offset`) is sane
 * for its chunk. A read may start inside a chunk (at a page, from the offset index) and may cover
 * several chunks (hyparquet merges neighbouring reads); other reads (footer, indexes) pass.
 */
export function checkPageHeaders(bytes: Uint8Array, offset: number, chunks: readonly ChunkRange[]): void {
  const end = offset + bytes.length
  for (const c of chunks) {
    if (c.end <= offset || c.start >= end) continue
    checkChunkPages(bytes, offset, Math.max(offset, c.start), c)
  }
}

function checkChunkPages(bytes: Uint8Array, offset: number, from: number, chunk: ChunkRange): void {
  const end = Math.min(offset + bytes.length, chunk.end)
  let at = from
  while (at < end) {
    let r: CompactReader
    let h: ThriftStruct
    try {
      r = new CompactReader(bytes, 'page header', at - offset)
      h = r.struct()
    } catch (err) {
      // A header cut off by the range end is read with hyparquet's next request; a long range
      // that still does not parse is damaged.
      if (offset + bytes.length - at < 1024) return
      throw err
    }
    const type = intField(h, 1, 'page header')
    const uncompressed = intField(h, 2, 'page header')
    const compressed = intField(h, 3, 'page header')
    const body = offset + r.offset
    check(compressed >= 0 && uncompressed >= 0, at, 'negative page size')
    check(body + compressed <= chunk.end, at, `page of ${compressed} bytes runs past its column chunk`)
    const maxValues = chunk.nested ? Number.MAX_SAFE_INTEGER : chunk.rows
    if (type === 0) {
      const d = structField(h, 5)
      check(d !== undefined, at, 'data page without its header')
      const n = optInt(d as ThriftStruct, 1)
      check(n !== undefined && n >= 0 && n <= maxValues, at, `${String(n)} values for ${chunk.rows} rows`)
    } else if (type === 3) {
      const d = structField(h, 8)
      check(d !== undefined, at, 'data page v2 without its header')
      const v2 = d as ThriftStruct
      const [n, nulls, rows, , defLen, repLen] = [1, 2, 3, 4, 5, 6].map((i) => optInt(v2, i))
      check(n !== undefined && n >= 0 && n <= maxValues, at, `${String(n)} values for ${chunk.rows} rows`)
      check(rows !== undefined && rows >= 0 && rows <= chunk.rows, at, `${String(rows)} rows in a row group of ${chunk.rows}`)
      check(nulls !== undefined && nulls >= 0 && nulls <= (n as number), at, 'more nulls than values')
      check(defLen !== undefined && repLen !== undefined && defLen >= 0 && repLen >= 0 && defLen + repLen <= compressed, at, 'level lengths missing or larger than the page')
    } else if (type === 2) {
      const d = structField(h, 7)
      const n = d === undefined ? undefined : optInt(d, 1)
      check(n !== undefined && n >= 0 && n <= maxValues, at, `dictionary of ${String(n)} values for ${chunk.rows} rows`)
    }
    at = body + compressed
  }
}
