/** Shapes shared by the page writers (vector, scalar and CRC-copied pages), and the reader's decoding of offset indexes. */
import { corrupt } from '../../errors.js'
import { CompactReader, intField } from './thrift.js'

/** One page's entry in a Parquet offset index. */
export interface PageLocation {
  offset: bigint
  compressed_page_size: number
  first_row_index: bigint
}

/** Anything with hyparquet-writer's ByteWriter append interface. */
export interface AppendWriter {
  offset: number
  appendBytes(b: Uint8Array): void
}

/** A page of a column chunk as the reader locates it: file offset, stored size, first row in its row group. */
export interface PageSpan { offset: number; size: number; firstRow: number }

/**
 * The page locations of an offset index (`bytes`, already checked against the integrity table)
 * of a chunk spanning [chunkStart, chunkEnd) in a row group of `groupRows` rows: every page
 * inside the chunk, first rows strictly increasing from 0, else `CORRUPT_DATA`.
 */
export function decodePageLocations(bytes: Uint8Array, chunkStart: number, chunkEnd: number, groupRows: number): PageSpan[] {
  const s = new CompactReader(bytes, 'offset index').struct()
  const list = s.get(1)
  if (!Array.isArray(list) || list.length === 0) throw corrupt('offset index has no page locations')
  const pages: PageSpan[] = []
  for (const loc of list) {
    if (!(loc instanceof Map)) throw corrupt('offset index entry is not a struct')
    const page = { offset: intField(loc, 1, 'page location'), size: intField(loc, 2, 'page location'), firstRow: intField(loc, 3, 'page location') }
    const prev = pages[pages.length - 1]
    if (page.offset < chunkStart || page.size < 0 || page.offset + page.size > chunkEnd || page.firstRow < 0 || page.firstRow >= groupRows ||
      (prev !== undefined && page.firstRow <= prev.firstRow) || (prev === undefined && page.firstRow !== 0)) {
      throw corrupt('offset index page location is out of range or out of order', page)
    }
    pages.push(page)
  }
  return pages
}
