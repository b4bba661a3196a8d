/**
 * Decompression of what other Iceberg writers store compressed: Avro manifest blocks (`deflate`,
 * `zstandard`, `snappy`; Java Iceberg's default is deflate) and Parquet pages (`ZSTD`, Iceberg's
 * default since 1.4, and `GZIP`; `SNAPPY` hyparquet decodes itself). Pure JavaScript, so the
 * core keeps running wherever JavaScript runs.
 */
import { inflateSync, gunzipSync } from 'fflate'
import { decompress as zstdDecompress } from 'fzstd'
import { snappyUncompress, type Compressors } from 'hyparquet'
import { AilakeError, corrupt } from '../errors.js'
import { crc32 } from '../util/crc32.js'

/** Avro codecs this reader decodes; others fail with `UNSUPPORTED`. */
export const AVRO_CODECS = ['null', 'deflate', 'zstandard', 'snappy'] as const

/**
 * A block's decompressed bytes may not exceed this (an Avro block is at most a few MiB in
 * practice): a crafted block cannot make the reader allocate without bound.
 */
const MAX_AVRO_BLOCK_BYTES = 256 * 2 ** 20

/** Throws `UNSUPPORTED` unless `codec` is one this reader decodes. */
export function checkAvroCodec(codec: string, what: string): void {
  if (!(AVRO_CODECS as readonly string[]).includes(codec)) {
    throw new AilakeError('UNSUPPORTED', `${what} uses Avro codec ${JSON.stringify(codec)}; ailake reads ${AVRO_CODECS.join(', ')}: rewrite the table's manifests with one of them (Iceberg's write.avro.compression-codec)`, { context: { what, codec } })
  }
}

/** The decompressed bytes of one Avro block. */
export function avroBlock(codec: string, data: Uint8Array, what: string): Uint8Array {
  if (codec === 'null') return data
  let out: Uint8Array
  try {
    if (codec === 'deflate') out = inflateSync(data)
    else if (codec === 'zstandard') out = zstdDecompress(data)
    else if (codec === 'snappy') out = avroSnappy(data, what)
    else throw new AilakeError('UNSUPPORTED', `${what}: Avro codec ${JSON.stringify(codec)}`)
  } catch (err) {
    if (err instanceof AilakeError) throw err
    throw new AilakeError('CORRUPT_DATA', `${what}: a ${codec} block does not decompress; the file is corrupt`, { context: { what, codec }, cause: err })
  }
  if (out.length > MAX_AVRO_BLOCK_BYTES) throw corrupt(`${what}: a ${codec} block expands to ${out.length} bytes, more than the ${MAX_AVRO_BLOCK_BYTES} an Avro block may hold`, { what })
  return out
}

/** Avro's snappy blocks: raw snappy, then the CRC-32 (big-endian) of the uncompressed bytes. */
function avroSnappy(data: Uint8Array, what: string): Uint8Array {
  if (data.length < 5) throw corrupt(`${what}: a snappy block of ${data.length} bytes is too short`, { what })
  const body = data.subarray(0, data.length - 4)
  const length = snappyLength(body, what)
  if (length > MAX_AVRO_BLOCK_BYTES) throw corrupt(`${what}: a snappy block declares ${length} bytes`, { what })
  const out = new Uint8Array(length)
  snappyUncompress(body, out)
  const expected = new DataView(data.buffer, data.byteOffset + data.length - 4, 4).getUint32(0, false)
  if (crc32(out) !== expected) throw corrupt(`${what}: a snappy block fails its CRC-32; the file is corrupt`, { what })
  return out
}

/** The uncompressed length a snappy stream starts with (a varint). */
function snappyLength(b: Uint8Array, what: string): number {
  let n = 0
  for (let i = 0, shift = 0; i < 5 && i < b.length; i++, shift += 7) {
    const byte = b[i] as number
    n += (byte & 0x7f) * 2 ** shift
    if ((byte & 0x80) === 0) return n
  }
  throw corrupt(`${what}: a snappy block has no valid length`, { what })
}

/** A gzip-compressed metadata.json may not expand past this. */
const MAX_METADATA_BYTES = 512 * 2 ** 20

/**
 * The text bytes of a `*.gz.metadata.json` file (Iceberg's `write.metadata.compression-codec`
 * gzip). The gzip trailer's size field sizes the output, bounded, and must match what inflates.
 */
export function gunzipMetadata(data: Uint8Array, what: string): Uint8Array {
  if (data.length < 18 || data[0] !== 0x1f || data[1] !== 0x8b) throw corrupt(`${what}: not a gzip stream (a .gz.metadata.json file starts with 1f 8b)`, { what })
  const size = new DataView(data.buffer, data.byteOffset + data.length - 4, 4).getUint32(0, true)
  if (size > MAX_METADATA_BYTES) throw corrupt(`${what}: declares ${size} bytes of metadata, more than ${MAX_METADATA_BYTES}`, { what })
  let out: Uint8Array
  try {
    out = gunzipSync(data, { out: new Uint8Array(size) })
  } catch (err) {
    throw new AilakeError('CORRUPT_DATA', `${what}: the gzip stream does not decompress; the file is corrupt`, { context: { what }, cause: err })
  }
  if (out.length !== size) throw corrupt(`${what}: inflates to ${out.length} bytes, not the ${size} its trailer declares`, { what })
  return out
}

/**
 * Parquet page decompressors beyond hyparquet's built-in snappy. hyparquet passes the page's
 * declared uncompressed size, which the page guard has bounded; output is written into a buffer
 * of exactly that size, and a page that decompresses to another size is damaged.
 */
export const PARQUET_DECOMPRESSORS: Compressors = {
  ZSTD: (input, length) => exactly('ZSTD', zstdDecompress(input, new Uint8Array(length)), length),
  GZIP: (input, length) => exactly('GZIP', gunzipSync(input, { out: new Uint8Array(length) }), length),
}

function exactly(codec: string, out: Uint8Array, length: number): Uint8Array {
  if (out.length !== length) throw corrupt(`a ${codec} page decompresses to ${out.length} bytes, not the ${length} its header declares`, { codec })
  return out
}
