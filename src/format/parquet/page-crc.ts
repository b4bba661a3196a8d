/**
 * Parquet page checksums. The format's `PageHeader.crc` (field 4) is the CRC-32 (zlib's
 * polynomial, not CRC-32C) of the page as stored after its header: for every page type (V1 and
 * V2 data pages, dictionary pages) the repetition levels, definition levels and values exactly
 * as written, compressed or not, i.e. the `compressed_page_size` bytes after the header. Without
 * it a flipped bit in the values reads back as a different row with no error. ailake writes it
 * on every page (hyparquet-writer does not, so its pages are copied here with one added) and
 * checks it on every page it reads that carries one; DuckDB checks it too.
 */
import type { ColumnChunk } from 'hyparquet'
import { AilakeError, corrupt } from '../../errors.js'
import { crc32 } from '../../util/crc32.js'
import { CompactReader, CompactWriter, intField, writeStructFields, type ThriftStruct } from './thrift.js'
import type { AppendWriter, PageLocation } from './page-location.js'

/** The CRC field value of a page whose body is `parts` in order (thrift i32, so signed). */
export function pageCrc(...parts: Uint8Array[]): number {
  let c = 0
  for (const p of parts) c = crc32(p, c)
  return c | 0
}

/**
 * Throws `CORRUPT_DATA` when the page header `h` carries a CRC that the `length` bytes at
 * `bytes[start]` (the page body) do not match. `where` names the page (file, column, offset).
 */
export function checkPageCrc(h: ThriftStruct, bytes: Uint8Array, start: number, length: number, where: string): void {
  const want = h.get(4)
  if (want === undefined) return
  const got = pageCrc(bytes.subarray(start, start + length))
  if (typeof want !== 'number' || (want | 0) !== got) {
    throw corrupt(`${where}: page checksum mismatch (CRC-32 of the page is ${got >>> 0}, its header says ${typeof want === 'number' ? want >>> 0 : String(want)}); the file is corrupt`, { crc: got >>> 0 })
  }
}

export interface CopiedChunk {
  chunk: ColumnChunk
  /** Page locations for the offset index, when the original had one. */
  pages: PageLocation[] | undefined
  totalBytes: number
}

/**
 * Appends to `w` the column chunk `chunk` that hyparquet-writer wrote into `src`, each page
 * header re-encoded with the CRC of its body, and returns the chunk's metadata and page
 * locations moved to where they now are.
 */
export function copyChunkWithCrc(src: Uint8Array, chunk: ColumnChunk, locations: readonly PageLocation[] | undefined, w: AppendWriter): CopiedChunk {
  const md = chunk.meta_data
  if (md === undefined) throw new AilakeError('INTERNAL', 'hyparquet-writer produced a column chunk without metadata')
  const start = Number(md.dictionary_page_offset ?? md.data_page_offset)
  const end = start + Number(md.total_compressed_size)
  const newStart = w.offset
  const moved = new Map<number, { offset: number; size: number }>()
  let headerGrowth = 0
  for (let at = start; at < end;) {
    const r = new CompactReader(src, 'page header', at)
    const h = r.struct()
    const size = intField(h, 3, 'page header')
    const body = src.subarray(r.offset, r.offset + size)
    h.set(4, pageCrc(body))
    const hw = new CompactWriter(64)
    writeStructFields(hw, h)
    const header = hw.finish()
    const offset = w.offset
    w.appendBytes(header)
    w.appendBytes(body)
    moved.set(at, { offset, size: w.offset - offset })
    headerGrowth += header.length - (r.offset - at)
    at = r.offset + size
  }
  const to = (old: bigint): bigint => {
    const m = moved.get(Number(old))
    if (m === undefined) throw new AilakeError('INTERNAL', `hyparquet-writer's page offset ${old} is not at a page start`)
    return BigInt(m.offset)
  }
  const meta = {
    ...md,
    data_page_offset: to(md.data_page_offset),
    total_compressed_size: BigInt(w.offset - newStart),
    total_uncompressed_size: md.total_uncompressed_size + BigInt(headerGrowth),
  }
  if (md.dictionary_page_offset !== undefined) meta.dictionary_page_offset = to(md.dictionary_page_offset)
  const pages = locations?.map((p) => {
    const m = moved.get(Number(p.offset))
    if (m === undefined) throw new AilakeError('INTERNAL', `hyparquet-writer's page location ${p.offset} is not at a page start`)
    return { offset: BigInt(m.offset), compressed_page_size: m.size, first_row_index: p.first_row_index }
  })
  return { chunk: { ...chunk, file_offset: BigInt(newStart), meta_data: meta }, pages, totalBytes: w.offset - newStart }
}
