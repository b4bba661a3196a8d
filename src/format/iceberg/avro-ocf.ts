/**
 * Avro object container files (the on-disk form of Iceberg manifests and manifest lists):
 * magic `Obj\x01`, a metadata map, a 16-byte sync marker, then blocks of records, each
 * `count, byteLength, data, sync`. The writer schema JSON is stored exactly as given, so
 * Iceberg's `field-id` attributes survive.
 *
 * Avro has no checksum, so a flipped bit in a manifest decodes to another file path, row count
 * or bound without an error. ailake adds one: the last header metadata entry, `ailake.crc32c`,
 * holds the CRC-32C (8 hex digits) of the whole file with those 8 digits read as "00000000".
 * Readers check it when present; other readers ignore the key.
 *
 * Codecs: ailake writes `null` (no compression; the spec allows it and manifests are small).
 * Other writers' blocks are decompressed on read: `deflate` (Java Iceberg's default, Spark,
 * pyiceberg), `zstandard` and `snappy` (see ../codecs.ts).
 */
import { corrupt, invalid } from '../../errors.js'
import { ByteReader, ByteWriter, utf8Decode, utf8Encode } from '../../util/bytes.js'
import { crc32c } from '../../util/crc32c.js'
import { parseJson } from '../../util/json.js'
import { avroBlock, checkAvroCodec } from '../codecs.js'
import { compileAvroSchema, guardDecode, readAvro, writeAvro, type AvroNode } from './avro-binary.js'

const MAGIC = [0x4f, 0x62, 0x6a, 0x01]
const SYNC_SIZE = 16
/** Header metadata key of ailake's checksum; its value is always 8 hex digits. */
export const CHECKSUM_KEY = 'ailake.crc32c'
const PLACEHOLDER = utf8Encode('00000000')

/** Options for writing an object container file. */
export interface OcfWriteOptions {
  /** The writer schema as a JSON object; serialised verbatim into `avro.schema`. */
  schema: unknown
  /** Extra header metadata (string values). */
  metadata?: Record<string, string>
  records: readonly unknown[]
  /** Records per block (default 1000). */
  blockRecords?: number
  /** The codec name written to `avro.codec` (default `null`); any other needs `compress`. */
  codec?: string
  /** Compresses one block's bytes for `codec` (ailake writes `null`; tests write other engines' codecs). */
  compress?: (b: Uint8Array) => Uint8Array
  /** The 16-byte sync marker (default random); fixed only for golden-byte tests. */
  sync?: Uint8Array
}

/** Options for reading an object container file. */
export interface OcfReadOptions {
  /** Names the file in error messages. */
  what?: string
}

export interface OcfContents {
  /** The writer schema JSON, parsed. */
  schema: unknown
  metadata: Record<string, string>
  records: unknown[]
}

function randomSync(): Uint8Array {
  const s = new Uint8Array(SYNC_SIZE)
  globalThis.crypto.getRandomValues(s)
  return s
}

function writeLong(w: ByteWriter, v: number): void {
  writeAvro(w, { kind: 'long', min: 1 }, v)
}

/** Encodes records as an Avro object container file. */
export function writeOcf(opts: OcfWriteOptions): Uint8Array {
  const codec = opts.codec ?? 'null'
  const compress = opts.compress
  if (codec !== 'null' && compress === undefined) throw invalid(`writing an Avro file with codec ${JSON.stringify(codec)} needs a compress function`)
  const sync = opts.sync ?? randomSync()
  if (sync.length !== SYNC_SIZE) throw invalid(`the Avro sync marker must be ${SYNC_SIZE} bytes, got ${sync.length}`)
  const blockRecords = opts.blockRecords ?? 1000
  if (!Number.isSafeInteger(blockRecords) || blockRecords < 1) throw invalid(`blockRecords must be a positive integer, got ${blockRecords}`)
  const node = compileAvroSchema(opts.schema, 'writer schema')

  const w = new ByteWriter(4096)
  w.bytes(new Uint8Array(MAGIC))
  const given = Object.entries(opts.metadata ?? {}).filter(([k]) => k !== CHECKSUM_KEY && k !== 'avro.schema' && k !== 'avro.codec')
  const meta: [string, string][] = [['avro.schema', JSON.stringify(opts.schema)], ['avro.codec', codec], ...given, [CHECKSUM_KEY, '00000000']]
  writeLong(w, meta.length)
  for (const [k, v] of meta) {
    writeAvro(w, { kind: 'string', min: 1 }, k)
    writeAvro(w, { kind: 'bytes', min: 1 }, utf8Encode(v))
  }
  w.u8(0)
  const checksumAt = w.length - 1 - PLACEHOLDER.length
  w.bytes(sync)

  for (let start = 0; start < opts.records.length; start += blockRecords) {
    const block = new ByteWriter(4096)
    const end = Math.min(opts.records.length, start + blockRecords)
    for (let i = start; i < end; i++) writeAvro(block, node, opts.records[i], `record ${i}`)
    let data = block.view8()
    if (compress !== undefined && codec !== 'null') data = compress(data)
    writeLong(w, end - start)
    writeLong(w, data.length)
    w.bytes(data)
    w.bytes(sync)
  }
  const out = w.finish()
  out.set(utf8Encode(hex8(crc32c(out))), checksumAt)
  return out
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0')
}

/**
 * Checks the `ailake.crc32c` entry, which ailake writes last in the header map: its 8 digits end
 * one byte (the map's end) before `mapEnd`.
 */
function checkChecksum(bytes: Uint8Array, mapEnd: number, stored: string, what: string): void {
  const at = mapEnd - 1 - PLACEHOLDER.length
  const digits = at > 0 ? bytes.subarray(at, at + PLACEHOLDER.length) : new Uint8Array(0)
  if (!/^[0-9a-f]{8}$/.test(stored) || utf8Decode(digits, what) !== stored || bytes[at - 1] !== 2 * PLACEHOLDER.length) {
    throw corrupt(`${what}: the ${CHECKSUM_KEY} header entry is malformed or not where ailake writes it; the file is corrupt`, { what })
  }
  const crc = crc32c(bytes.subarray(at + PLACEHOLDER.length), crc32c(PLACEHOLDER, crc32c(bytes.subarray(0, at))))
  if (hex8(crc) !== stored) throw corrupt(`${what}: checksum mismatch (${CHECKSUM_KEY}); the file is corrupt`, { what })
}

function readHeader(r: ByteReader): { metadata: Record<string, string>; mapEnd: number; sync: Uint8Array } {
  const magic = r.bytesView(4, 'magic')
  if (!MAGIC.every((b, i) => magic[i] === b)) throw corrupt(`${r.what}: not an Avro object container file (bad magic)`, { what: r.what })
  const raw = readAvro(r, { kind: 'map', values: { kind: 'bytes', min: 1 }, min: 1 }, 'header metadata') as Map<string, Uint8Array>
  const metadata: Record<string, string> = {}
  for (const [k, v] of raw) metadata[k] = utf8Decode(v, `${r.what}: header ${k}`)
  const mapEnd = r.offset
  return { metadata, mapEnd, sync: r.bytesView(SYNC_SIZE, 'sync marker').slice() }
}

/**
 * Decodes an Avro object container file with its own writer schema.
 *
 * @throws AilakeError `CORRUPT_DATA` for anything malformed (bad magic, truncation, counts that
 *   cannot fit, sync mismatch, trailing bytes in a block, a block that does not decompress);
 *   `UNSUPPORTED` for a codec outside {@link AVRO_CODECS}.
 */
export function readOcf(bytes: Uint8Array, opts: OcfReadOptions = {}): OcfContents {
  const what = opts.what ?? 'Avro file'
  return guardDecode(what, () => {
    const r = new ByteReader(bytes, what)
    const { metadata, mapEnd, sync } = readHeader(r)
    const checksum = metadata[CHECKSUM_KEY]
    if (checksum !== undefined) checkChecksum(bytes, mapEnd, checksum, what)
    const schemaText = metadata['avro.schema']
    if (schemaText === undefined) throw corrupt(`${what}: header has no avro.schema`, { what })
    const schema = parseJson(schemaText, `${what}: avro.schema`)
    const node: AvroNode = compileAvroSchema(schema, what)
    const codec = metadata['avro.codec'] ?? 'null'
    checkAvroCodec(codec, what)
    const records: unknown[] = []
    while (r.remaining > 0) {
      const count = Number(readAvro(r, { kind: 'long', min: 1 }, 'block record count') as bigint)
      const size = Number(readAvro(r, { kind: 'long', min: 1 }, 'block byte length') as bigint)
      if (count < 0 || size < 0) throw corrupt(`${what}: negative block count ${count} or size ${size}`, { what })
      const stored = r.bytesView(size, 'block data')
      const blockSync = r.bytesView(SYNC_SIZE, 'block sync marker')
      if (!blockSync.every((b, i) => b === sync[i])) throw corrupt(`${what}: block sync marker does not match the header; the file is corrupt`, { what })
      const data = avroBlock(codec, stored, what)
      const br = new ByteReader(data, what)
      if (node.min > 0 ? count > data.length / node.min : count > 1_000_000) throw corrupt(`${what}: block claims ${count} records in ${data.length} bytes`, { what })
      for (let i = 0; i < count; i++) records.push(readAvro(br, node, `record ${records.length}`))
      if (br.remaining !== 0) throw corrupt(`${what}: ${br.remaining} stray bytes after the records of a block`, { what })
    }
    return { schema, metadata, records }
  })
}
