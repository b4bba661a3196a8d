/**
 * Checks every byte range hyparquet reads from a data file before hyparquet parses it. hyparquet
 * trusts header counts: a flipped bit that turns a page's row count into 172,152 (or drops the
 * level lengths of a V2 header) sent it into a loop that did not end, so a hostile or damaged
 * file could hang a reader; and it checks no checksum. So for every page header in the range the
 * guard checks the header against the file's integrity table (integrity.ts, files ailake wrote),
 * its sizes, counts and encoding against the column chunk, and the page body against its CRC
 * (page-crc.ts); and every offset index in the range against the integrity table. Data reads
 * always start at a page boundary (the chunk start, or a page location from the offset index),
 * so the headers can be walked from the range start by their sizes.
 */
import type { FileMetaData } from 'hyparquet'
import { AilakeError, corrupt } from '../../errors.js'
import { PARQUET_DECOMPRESSORS } from '../codecs.js'
import type { IntegrityChecks } from './integrity.js'
import { checkPageCrc } from './page-crc.js'
import { CompactReader, intField, structField, type ThriftStruct } from './thrift.js'

interface ChunkRange {
  column: string
  start: number
  end: number
  rows: number
  /** Repeated (list) columns may hold more values than rows. */
  nested: boolean
  /** Encoding ids the chunk's metadata lists; a page using another is damaged. */
  encodings: Set<number>
  codec: string
}

/**
 * Values one page of a nested column may declare. Level runs can describe any number of values
 * in a few bytes, so no size bounds them; hyparquet allocates arrays of this many entries.
 */
export const MAX_NESTED_PAGE_VALUES = 1 << 26
/** Snappy's best case is a 64-byte copy in 3 bytes; anything claiming more is damaged. */
const SNAPPY_MAX_RATIO = 22
/** Deflate's best case (a run of one byte) expands 258 bytes per 2 bits: about 1032x. */
const DEFLATE_MAX_RATIO = 1032
/**
 * Codecs such as ZSTD can expand a few bytes to almost any size, and hyparquet allocates the
 * declared size up front: pages above this are refused (writers default to 1 MiB pages).
 */
const MAX_PAGE_BYTES = 256 * 2 ** 20

/** Codecs hyparquet decodes itself (SNAPPY) or with PARQUET_DECOMPRESSORS. */
const READABLE_CODECS = new Set(['UNCOMPRESSED', 'SNAPPY', ...Object.keys(PARQUET_DECOMPRESSORS)])

/** Parquet's Encoding enum, by the names hyparquet gives them. */
const ENCODING_IDS: Record<string, number> = {
  PLAIN: 0, PLAIN_DICTIONARY: 2, RLE: 3, BIT_PACKED: 4, DELTA_BINARY_PACKED: 5, DELTA_LENGTH_BYTE_ARRAY: 6,
  DELTA_BYTE_ARRAY: 7, RLE_DICTIONARY: 8, BYTE_STREAM_SPLIT: 9,
}

function optInt(s: ThriftStruct, id: number): number | undefined {
  const v = s.get(id)
  return typeof v === 'number' ? v : undefined
}

export class PageGuard {
  private readonly chunks: ChunkRange[] = []
  private readonly offsetIndexes: Array<{ start: number; end: number; column: string }> = []

  constructor(metadata: FileMetaData, private readonly checks: IntegrityChecks) {
    for (const rg of metadata.row_groups) {
      for (const c of rg.columns) {
        const m = c.meta_data
        if (m === undefined) continue
        // Some writers put 0 in dictionary_page_offset when there is no dictionary.
        const dict = Number(m.dictionary_page_offset ?? 0)
        const data = Number(m.data_page_offset)
        const start = dict > 0 && dict < data ? dict : data
        const column = m.path_in_schema.join('.')
        const encodings = new Set((m.encodings ?? []).map((e) => ENCODING_IDS[e] ?? -1))
        this.chunks.push({
          column, start, end: start + Number(m.total_compressed_size), rows: Number(rg.num_rows), nested: m.path_in_schema.length > 1, encodings, codec: m.codec,
        })
        if (c.offset_index_offset !== undefined && c.offset_index_length !== undefined) {
          const at = Number(c.offset_index_offset)
          this.offsetIndexes.push({ start: at, end: at + c.offset_index_length, column })
        }
      }
    }
    this.chunks.sort((a, b) => a.start - b.start)
  }

  /**
   * Throws CORRUPT_DATA unless everything whole inside `bytes` (file bytes from `offset`) checks
   * out. A read may start inside a chunk (at a page, from the offset index) and may cover
   * several chunks (hyparquet merges neighbouring reads).
   */
  check(bytes: Uint8Array, offset: number): void {
    const end = offset + bytes.length
    for (const c of this.chunks) {
      if (c.end <= offset || c.start >= end) continue
      if (!READABLE_CODECS.has(c.codec)) {
        throw new AilakeError('UNSUPPORTED', `column ${c.column} is compressed with ${c.codec}; ailake reads ${[...READABLE_CODECS].join(', ')} Parquet: rewrite the file with one of them (e.g. Iceberg's write.parquet.compression-codec = zstd)`, { context: { column: c.column, codec: c.codec } })
      }
      this.checkChunkPages(bytes, offset, Math.max(offset, c.start), c)
    }
    for (const x of this.offsetIndexes) {
      if (x.start >= offset && x.end <= end) this.checks.check(x.start, bytes.subarray(x.start - offset, x.end - offset), `offset index of column ${x.column}`)
    }
  }

  /** Checks an offset index read on its own. */
  checkOffsetIndex(bytes: Uint8Array, offset: number, column: string): void {
    this.checks.check(offset, bytes, `offset index of column ${column}`)
  }

  private checkChunkPages(bytes: Uint8Array, offset: number, from: number, chunk: ChunkRange): void {
    const where = (at: number): string => `${this.checks.file}: column ${chunk.column}, Parquet page at byte ${at}`
    const check = (ok: boolean, at: number, what: string): void => {
      if (!ok) throw corrupt(`${where(at)}: ${what}`, { offset: at, column: chunk.column })
    }
    const rangeEnd = offset + bytes.length
    const end = Math.min(rangeEnd, chunk.end)
    let at = from
    while (at < end) {
      let r: CompactReader
      let h: ThriftStruct
      try {
        r = new CompactReader(bytes, `${where(at)}: header`, at - offset)
        h = r.struct()
      } catch (err) {
        // A header cut off where the range ends before the chunk does is read with hyparquet's
        // next request; one that does not parse inside the range is damaged.
        if (rangeEnd < chunk.end && rangeEnd - at < 1024) return
        throw err
      }
      const body = offset + r.offset
      this.checks.check(at, bytes.subarray(at - offset, body - offset), `column ${chunk.column}, Parquet page header`)
      const type = intField(h, 1, 'page header')
      const uncompressed = intField(h, 2, 'page header')
      const compressed = intField(h, 3, 'page header')
      check(compressed >= 0 && uncompressed >= 0, at, 'negative page size')
      check(body + compressed <= chunk.end, at, `page of ${compressed} bytes runs past its column chunk`)
      // hyparquet allocates the uncompressed size before decompressing: bound it by the codec.
      if (chunk.codec === 'UNCOMPRESSED') check(uncompressed === compressed, at, `uncompressed size ${uncompressed} differs from the stored ${compressed} in an uncompressed chunk`)
      if (chunk.codec === 'SNAPPY') check(uncompressed <= SNAPPY_MAX_RATIO * compressed + 64, at, `uncompressed size ${uncompressed} is more than snappy can expand ${compressed} bytes to`)
      if (chunk.codec === 'GZIP') check(uncompressed <= DEFLATE_MAX_RATIO * compressed + 1024, at, `uncompressed size ${uncompressed} is more than deflate can expand ${compressed} bytes to`)
      check(uncompressed <= MAX_PAGE_BYTES, at, `uncompressed page size ${uncompressed} exceeds the ${MAX_PAGE_BYTES} bytes ailake reads in one page`)
      const maxValues = chunk.nested ? MAX_NESTED_PAGE_VALUES : chunk.rows
      const checkEncoding = (e: number | undefined): void => check(e !== undefined && chunk.encodings.has(e), at, `encoding ${String(e)} is not among the chunk's encodings`)
      if (type === 0) {
        const d = structField(h, 5)
        check(d !== undefined, at, 'data page without its header')
        const n = optInt(d as ThriftStruct, 1)
        check(n !== undefined && n >= 0 && n <= maxValues, at, `${String(n)} values for ${chunk.rows} rows`)
        checkEncoding(optInt(d as ThriftStruct, 2))
      } else if (type === 3) {
        const d = structField(h, 8)
        check(d !== undefined, at, 'data page v2 without its header')
        const v2 = d as ThriftStruct
        const [n, nulls, rows, encoding, defLen, repLen] = [1, 2, 3, 4, 5, 6].map((i) => optInt(v2, i))
        check(n !== undefined && n >= 0 && n <= maxValues, at, `${String(n)} values for ${chunk.rows} rows`)
        check(rows !== undefined && rows >= 0 && rows <= chunk.rows, at, `${String(rows)} rows in a row group of ${chunk.rows}`)
        check(chunk.nested || rows === n, at, `${String(rows)} rows but ${String(n)} values in a flat column`)
        check(nulls !== undefined && nulls >= 0 && nulls <= (n as number), at, 'more nulls than values')
        check(defLen !== undefined && repLen !== undefined && defLen >= 0 && repLen >= 0 && defLen + repLen <= compressed, at, 'level lengths missing or larger than the page')
        checkEncoding(encoding)
      } else if (type === 2) {
        const d = structField(h, 7)
        const n = d === undefined ? undefined : optInt(d, 1)
        check(n !== undefined && n >= 0 && n <= maxValues, at, `dictionary of ${String(n)} values for ${chunk.rows} rows`)
      }
      if (body + compressed <= rangeEnd) checkPageCrc(h, bytes, body - offset, compressed, where(at))
      at = body + compressed
    }
  }
}
