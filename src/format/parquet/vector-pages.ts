/**
 * The vector column chunk, written and read page by page at memory-copy speed.
 *
 * f32 vectors are a Parquet LIST<FLOAT> (list and element REQUIRED), which DuckDB reads as
 * FLOAT[]; f16 and i8 vectors are FIXED_LEN_BYTE_ARRAY values. Every page is an uncompressed
 * DATA_PAGE_V2 with PLAIN values: for LIST pages the repetition levels (per row: a run of one 0
 * and a run of dim-1 ones, RLE, bit width 1) and definition levels (one run of rows*dim ones)
 * precede the floats; FLBA pages have no levels. Because every row has the same length, the
 * reader can check the level bytes against the expected pattern and then copy the values out
 * in one move; anything else falls back to the general reader.
 */
import { corrupt, invalid } from '../../errors.js'
import { decodeF16, encodeF16, firstNonFiniteF16 } from '../../vector/f16.js'
import { quantizeI8 } from '../../vector/i8.js'
import type { Precision } from '../../vector/types.js'
import { checkPageCrc, pageCrc } from './page-crc.js'
import type { AppendWriter, PageLocation } from './page-location.js'

export type { AppendWriter, PageLocation } from './page-location.js'
import { CompactReader, CompactWriter, T_I32, intField, structField } from './thrift.js'

/**
 * Target bytes of vector values per page. A search re-scores its candidates on their exact
 * vectors, each read with its whole page (the page CRC covers the page), and candidates of a
 * file are scattered over it: 8 KiB (20 rows at 100-d f32) keeps that read near the row's own
 * size, while headers, levels and offset-index entries stay under 1% of a page.
 */
export const PAGE_TARGET_BYTES = 8 * 1024

/** Bytes one vector occupies in the column's values. */
export function rowBytes(precision: Precision, dim: number): number {
  return precision === 'f32' ? 4 * dim : precision === 'f16' ? 2 * dim : dim + 8
}

/** The fixed length of an f16 / i8 vector field (`fixed[L]`). */
export function fixedLength(precision: 'f16' | 'i8', dim: number): number {
  return rowBytes(precision, dim)
}

/**
 * The value bytes of every vector, row-major: f32 LE; f16 LE halves; i8 rows of
 * [offset f32 LE, scale f32 LE, dim int8 codes].
 */
export function encodeVectorValues(vectors: Float32Array, dim: number, precision: Precision): Uint8Array {
  if (precision === 'f32') return new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength)
  if (precision === 'f16') {
    const h = encodeF16(vectors)
    // Every path that stores f16 (and the index built over the stored form) goes through here.
    const bad = firstNonFiniteF16(h)
    if (bad >= 0) {
      throw invalid(`vector ${Math.floor(bad / dim)} has value ${vectors[bad]} beyond the f16 range (±65504); use precision f32`, { row: Math.floor(bad / dim) })
    }
    return new Uint8Array(h.buffer, h.byteOffset, h.byteLength)
  }
  const count = vectors.length / dim
  const { codes, scales, offsets } = quantizeI8(vectors, dim)
  const out = new Uint8Array(count * (dim + 8))
  const view = new DataView(out.buffer)
  const codeBytes = new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength)
  for (let r = 0; r < count; r++) {
    const o = r * (dim + 8)
    view.setFloat32(o, offsets[r] as number, true)
    view.setFloat32(o + 4, scales[r] as number, true)
    out.set(codeBytes.subarray(r * dim, (r + 1) * dim), o + 8)
  }
  return out
}

/**
 * The vectors exactly as a reader decodes them from `values` (see `encodeVectorValues`): what
 * search scores, so what bounds and indexes must be computed over.
 */
export function decodeStoredVectors(values: Uint8Array, dim: number, precision: Precision): Float32Array {
  const rows = values.length / rowBytes(precision, dim)
  const out = new Float32Array(rows * dim)
  decodeVectorValues(values, 0, rows, dim, precision, out, 0)
  return out
}

function varintBytes(v: number): number[] {
  const out: number[] = []
  while (v >= 0x80) {
    out.push((v % 128) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return out
}

/** Repetition-level bytes for `rows` lists of length `dim` (RLE hybrid, bit width 1, no length prefix). */
export function repetitionLevels(rows: number, dim: number): Uint8Array {
  if (dim === 1) return Uint8Array.from([...varintBytes(rows * 2), 0])
  const row = Uint8Array.from([0x02, 0x00, ...varintBytes((dim - 1) * 2), 0x01])
  const out = new Uint8Array(rows * row.length)
  for (let r = 0; r < rows; r++) out.set(row, r * row.length)
  return out
}

/** Definition-level bytes: every element present. */
export function definitionLevels(rows: number, dim: number): Uint8Array {
  return Uint8Array.from([...varintBytes(rows * dim * 2), 1])
}

/**
 * A DATA_PAGE_V2 header for a PLAIN page. `valuesBytes` is the stored size of the values; when
 * `compressed`, `uncompressedValuesBytes` is their size before compression (levels never are).
 * `crc` is the page checksum of the bytes that follow the header (page-crc.ts).
 */
export function pageHeader(p: {
  valuesBytes: number; numValues: number; numRows: number; repLen: number; defLen: number; crc: number
  numNulls?: number; compressed?: boolean; uncompressedValuesBytes?: number
}): Uint8Array {
  const levels = p.repLen + p.defLen
  const w = new CompactWriter(48)
  w.int(1, T_I32, 3) // DATA_PAGE_V2
  w.int(2, T_I32, levels + (p.uncompressedValuesBytes ?? p.valuesBytes))
  w.int(3, T_I32, levels + p.valuesBytes)
  w.int(4, T_I32, p.crc)
  w.beginStruct(8)
  w.int(1, T_I32, p.numValues)
  w.int(2, T_I32, p.numNulls ?? 0)
  w.int(3, T_I32, p.numRows)
  w.int(4, T_I32, 0) // PLAIN
  w.int(5, T_I32, p.defLen)
  w.int(6, T_I32, p.repLen)
  w.bool(7, p.compressed === true) // is_compressed
  w.endStruct()
  return w.finish().slice()
}

export interface WrittenVectorChunk {
  dataPageOffset: number
  totalBytes: number
  numValues: number
  pages: PageLocation[]
}

/**
 * Appends the pages of one row group's vectors. `values` holds exactly `rows * rowBytes` bytes.
 */
export function writeVectorChunk(w: AppendWriter, values: Uint8Array, rows: number, dim: number, precision: Precision,
  firstRowInFile = 0): WrittenVectorChunk {
  const rb = rowBytes(precision, dim)
  const isList = precision === 'f32'
  const pageRows = Math.max(1, Math.floor(PAGE_TARGET_BYTES / rb))
  const start = w.offset
  const pages: PageLocation[] = []
  const fullRep = isList && rows >= pageRows ? repetitionLevels(pageRows, dim) : undefined
  const fullDef = isList && rows >= pageRows ? definitionLevels(pageRows, dim) : undefined
  for (let r = 0; r < rows; r += pageRows) {
    const n = Math.min(pageRows, rows - r)
    const rep = isList ? (n === pageRows && fullRep ? fullRep : repetitionLevels(n, dim)) : new Uint8Array(0)
    const def = isList ? (n === pageRows && fullDef ? fullDef : definitionLevels(n, dim)) : new Uint8Array(0)
    const pageValues = values.subarray(r * rb, (r + n) * rb)
    const crc = pageCrc(rep, def, pageValues)
    const header = pageHeader({ valuesBytes: n * rb, numValues: isList ? n * dim : n, numRows: n, repLen: rep.length, defLen: def.length, crc })
    const pageStart = w.offset
    w.appendBytes(header)
    if (rep.length > 0) w.appendBytes(rep)
    if (def.length > 0) w.appendBytes(def)
    w.appendBytes(pageValues)
    pages.push({ offset: BigInt(pageStart), compressed_page_size: w.offset - pageStart, first_row_index: BigInt(r) })
  }
  void firstRowInFile
  return { dataPageOffset: start, totalBytes: w.offset - start, numValues: isList ? rows * dim : rows, pages }
}

let lastLevels: { rows: number; dim: number; rep: Uint8Array; def: Uint8Array } | undefined

/** Expected level bytes, memoised for the common case of many same-sized pages in a row. */
function expectedLevels(rows: number, dim: number): { rep: Uint8Array; def: Uint8Array } {
  if (lastLevels === undefined || lastLevels.rows !== rows || lastLevels.dim !== dim) {
    lastLevels = { rows, dim, rep: repetitionLevels(rows, dim), def: definitionLevels(rows, dim) }
  }
  return lastLevels
}

/** One decoded page header of the vector column, with where its parts start. */
export interface VectorPage {
  /** Offset of the first value byte, relative to the bytes given to `parseVectorPage`. */
  valuesStart: number
  /** Offset just past the page. */
  end: number
  numRows: number
}

/**
 * Parses the page at `offset` of `bytes` and returns its value range when it is a page ailake
 * writes (uncompressed PLAIN V2, fixed-length rows, expected level bytes); `undefined` when it is
 * valid-looking but laid out differently (use the general reader); throws `CORRUPT_DATA` when its
 * sizes do not fit the data or its checksum does not match. `where` names the page in errors;
 * `checkHeader` is given the end of the header bytes (from `offset`) to check them before use.
 */
export function parseVectorPage(bytes: Uint8Array, offset: number, dim: number, precision: Precision, where: string,
  checkHeader: (headerEnd: number) => void): VectorPage | undefined {
  const r = new CompactReader(bytes, `${where}: page header`, offset)
  const h = r.struct()
  checkHeader(r.offset)
  const type = intField(h, 1, 'page header')
  const compressed = intField(h, 3, 'page header')
  const start = r.offset
  if (compressed < 0 || compressed > bytes.length - start) {
    throw corrupt(`${where}: page claims ${compressed} bytes but only ${bytes.length - start} remain`, { offset, compressed })
  }
  checkPageCrc(h, bytes, start, compressed, where)
  const end = start + compressed
  const v2 = structField(h, 8)
  if (type !== 3 || v2 === undefined) return undefined
  const numValues = intField(v2, 1, 'data page v2 header')
  const numNulls = intField(v2, 2, 'data page v2 header')
  const numRows = intField(v2, 3, 'data page v2 header')
  const encoding = intField(v2, 4, 'data page v2 header')
  const defLen = intField(v2, 5, 'data page v2 header')
  const repLen = intField(v2, 6, 'data page v2 header')
  const isList = precision === 'f32'
  const rb = rowBytes(precision, dim)
  if (encoding !== 0 || numNulls !== 0 || numRows < 0 || defLen < 0 || repLen < 0) return undefined
  if (numValues !== (isList ? numRows * dim : numRows)) return undefined
  if (repLen + defLen + numRows * rb !== compressed) return undefined
  if (isList) {
    const { rep: expectRep, def: expectDef } = expectedLevels(numRows, dim)
    if (expectRep.length !== repLen || expectDef.length !== defLen) return undefined
    for (let i = 0; i < repLen; i++) if (bytes[start + i] !== expectRep[i]) return undefined
    for (let i = 0; i < defLen; i++) if (bytes[start + repLen + i] !== expectDef[i]) return undefined
  } else if (repLen !== 0 || defLen !== 0) {
    return undefined
  }
  return { valuesStart: start + repLen + defLen, end, numRows }
}

/**
 * Decodes `rows` consecutive vectors whose value bytes start at `bytes[start]` into `out`
 * starting at vector `outRow`. The caller has checked that the bytes are in range.
 */
export function decodeVectorValues(bytes: Uint8Array, start: number, rows: number, dim: number, precision: Precision,
  out: Float32Array, outRow: number): void {
  const rb = rowBytes(precision, dim)
  const src = bytes.subarray(start, start + rows * rb)
  if (precision === 'f32') {
    new Uint8Array(out.buffer, out.byteOffset + outRow * dim * 4, rows * rb).set(src)
    return
  }
  if (precision === 'f16') {
    const aligned = (src.byteOffset & 1) === 0 ? src : src.slice()
    decodeF16(new Uint16Array(aligned.buffer, aligned.byteOffset, rows * dim), out.subarray(outRow * dim, (outRow + rows) * dim))
    return
  }
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength)
  const codes = new Int8Array(src.buffer, src.byteOffset, src.byteLength)
  for (let r = 0; r < rows; r++) {
    const o = r * rb
    const offset = view.getFloat32(o, true)
    const scale = view.getFloat32(o + 4, true)
    const base = (outRow + r) * dim
    for (let j = 0; j < dim; j++) out[base + j] = offset + scale * (codes[o + 8 + j] as number)
  }
}
