/**
 * Reading and validating a Parquet footer from a byte source. hyparquet parses the thrift; this
 * module checks every offset and count ailake later relies on, so a hostile footer fails here
 * with `CORRUPT_DATA` instead of sending a reader past the end of the file.
 */
import { parquetMetadata, type FileMetaData } from 'hyparquet'
import { AilakeError, corrupt } from '../../errors.js'
import type { ByteSource } from '../../util/byte-source.js'

const PAR1 = 0x31524150
/** First read at the tail: usually footer, trailer and section in one request. */
export const TAIL_READ = 64 * 1024

export interface Footer {
  metadata: FileMetaData
  footerStart: number
  /** The bytes read from the end of the file, and the file offset they start at. */
  tail: Uint8Array
  tailStart: number
  kv: Map<string, string>
}

/** Reads `length` bytes at `offset`, turning store failures into STORE_ERROR and short reads into CORRUPT_DATA. */
export async function readRange(source: ByteSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > source.size) {
    throw corrupt(`${what}: range [${offset}, ${offset + length}) lies outside the ${source.size}-byte file`, { what, offset, length, size: source.size })
  }
  let bytes: Uint8Array
  try {
    bytes = await source.read(offset, length)
  } catch (err) {
    if (err instanceof AilakeError) throw err
    throw new AilakeError('STORE_ERROR', `reading ${what} [${offset}, ${offset + length}) failed: ${String(err)}`, { cause: err, retryable: true })
  }
  if (bytes.length !== length) throw corrupt(`${what}: asked for ${length} bytes at ${offset}, got ${bytes.length}`)
  return bytes
}

function checkRange(start: bigint | undefined, length: bigint | number | undefined, limit: number, what: string): void {
  if (start === undefined || length === undefined) return
  const s = Number(start)
  const l = Number(length)
  if (!Number.isSafeInteger(s) || !Number.isSafeInteger(l) || s < 4 || l < 0 || s + l > limit) {
    throw corrupt(`Parquet footer: ${what} [${s}, ${s + l}) is outside the file data [4, ${limit})`, { what, start: s, length: l })
  }
}

export async function readFooter(source: ByteSource): Promise<Footer> {
  const size = source.size
  if (!Number.isSafeInteger(size) || size < 12) throw corrupt(`file of ${size} bytes is too short to be Parquet (at least 12 bytes)`, { size })
  const tailStart = Math.max(0, size - TAIL_READ)
  let tail = await readRange(source, tailStart, size - tailStart, 'Parquet tail')
  let tailOffset = tailStart
  const dv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength)
  if (dv.getUint32(tail.length - 4, true) !== PAR1) throw corrupt('file does not end with "PAR1"; it is not a Parquet file or it is truncated')
  const footerLength = dv.getUint32(tail.length - 8, true)
  if (footerLength > size - 12) throw corrupt(`Parquet footer length ${footerLength} exceeds the file size ${size}`, { footerLength, size })
  const footerStart = size - 8 - footerLength
  if (footerStart < tailOffset) {
    tail = await readRange(source, footerStart, size - footerStart, 'Parquet footer')
    tailOffset = footerStart
  }
  const head = await readRange(source, 0, 4, 'Parquet header')
  if (new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true) !== PAR1) throw corrupt('file does not start with "PAR1"')
  let metadata: FileMetaData
  try {
    metadata = parquetMetadata(tail.subarray(footerStart - tailOffset))
  } catch (err) {
    throw new AilakeError('CORRUPT_DATA', `Parquet footer cannot be parsed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  validate(metadata, footerStart)
  const kv = new Map<string, string>()
  for (const e of metadata.key_value_metadata ?? []) if (typeof e.value === 'string') kv.set(e.key, e.value)
  return { metadata, footerStart, tail, tailStart: tailOffset, kv }
}

function validate(m: FileMetaData, footerStart: number): void {
  if (!Array.isArray(m.schema) || m.schema.length < 1 || !Array.isArray(m.row_groups)) throw corrupt('Parquet footer lacks a schema or row groups')
  const leaves = m.schema.filter((e) => !e.num_children).length
  let total = 0n
  for (const [g, rg] of m.row_groups.entries()) {
    if (typeof rg.num_rows !== 'bigint' || rg.num_rows < 0n) throw corrupt(`Parquet row group ${g} has an invalid row count`)
    total += rg.num_rows
    if (!Array.isArray(rg.columns) || rg.columns.length !== leaves) {
      throw corrupt(`Parquet row group ${g} has ${rg.columns?.length} column chunks for ${leaves} leaf columns`)
    }
    for (const c of rg.columns) {
      const md = c.meta_data
      if (md === undefined) throw corrupt(`Parquet row group ${g}: a column chunk has no metadata`)
      const start = md.dictionary_page_offset ?? md.data_page_offset
      checkRange(start, md.total_compressed_size, footerStart, `column ${md.path_in_schema?.join('.')} chunk`)
      checkRange(md.data_page_offset, 0, footerStart, `column ${md.path_in_schema?.join('.')} data page`)
      checkRange(c.offset_index_offset, c.offset_index_length, footerStart, 'offset index')
      checkRange(c.column_index_offset, c.column_index_length, footerStart, 'column index')
    }
  }
  if (typeof m.num_rows !== 'bigint' || total !== m.num_rows) throw corrupt(`Parquet footer says ${m.num_rows} rows but its row groups hold ${total}`)
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('Parquet row count exceeds 2^53')
}
