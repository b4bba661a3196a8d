/**
 * The MemTableWriter's write-ahead log: one object per acknowledged insert, under
 * `<table>/wal/<writerId>/<seq, 16 digits>.wal`, so a segment is either wholly present or
 * absent (stores put atomically) and the lexical key order is the sequence order.
 *
 * Segment layout (v1, little-endian):
 *   magic "ALKW" · u16 version (1) · u16 flags (0) · u32 bodyLength · body · u32 crc32c(everything before)
 *   body: u32 headerLength · header JSON { seq, rowCount, dim, schema } · columns · vectors
 *   columns: for each non-vector schema field in order, rowCount tagged values
 *   vectors: rowCount × dim f32
 * The CRC covers the magic through the body, so a torn or bit-flipped segment is rejected
 * rather than replayed.
 */
import { AilakeError, corrupt } from '../errors.js'
import type { Schema } from '../format/schema.js'
import type { ObjectStore } from '../store/object-store.js'
import type { RowBatch } from '../table/rows.js'
import { ByteReader, ByteWriter, utf8Decode, utf8Encode } from '../util/bytes.js'
import { crc32c } from '../util/crc32c.js'

const MAGIC = 0x574b4c41 // "ALKW" read as u32 LE
const VERSION = 1
const SEQ_DIGITS = 16

export interface WalSegment {
  seq: number
  schema: Schema
  batch: RowBatch
}

const enum Tag { Null = 0, Number = 1, String = 2, False = 3, True = 4, BigInt = 5, Date = 6, Bytes = 7 }

export function walPrefix(tableKey: string, writerId: string): string {
  return `${tableKey}/wal/${writerId}/`
}

export function segmentKey(tableKey: string, writerId: string, seq: number): string {
  return walPrefix(tableKey, writerId) + String(seq).padStart(SEQ_DIGITS, '0') + '.wal'
}

/** The sequence number a segment key names, or undefined for a foreign object. */
export function seqOfKey(key: string): number | undefined {
  const m = /\/(\d{16})\.wal$/.exec(key)
  return m?.[1] === undefined ? undefined : Number(m[1])
}

export function encodeSegment(seq: number, schema: Schema, vectorColumn: string, batch: RowBatch, dim: number): Uint8Array {
  const w = new ByteWriter(64 + batch.vectors.byteLength * 1.1)
  w.u32(MAGIC).u16(VERSION).u16(0)
  const bodyLenAt = w.length
  w.u32(0)
  const header = utf8Encode(JSON.stringify({ seq, rowCount: batch.rowCount, dim, schema }))
  w.u32(header.length).bytes(header)
  for (const field of schema.fields) {
    if (field.name === vectorColumn) continue
    const values = batch.columns.get(field.id)
    if (values === undefined) throw new AilakeError('INTERNAL', `WAL: batch lacks column ${field.name}`)
    for (const v of values) writeValue(w, v)
  }
  w.typed(batch.vectors)
  w.patchU32(bodyLenAt, w.length - bodyLenAt - 4)
  w.u32(crc32c(w.view8()))
  return w.finish()
}

function writeValue(w: ByteWriter, v: unknown): void {
  if (v === null || v === undefined) { w.u8(Tag.Null); return }
  switch (typeof v) {
    case 'number': w.u8(Tag.Number).f64(v); return
    case 'boolean': w.u8(v ? Tag.True : Tag.False); return
    case 'bigint': {
      const b = new Uint8Array(8)
      new DataView(b.buffer).setBigInt64(0, BigInt.asIntN(64, v), true)
      w.u8(Tag.BigInt).bytes(b)
      return
    }
    case 'string': {
      const b = utf8Encode(v)
      w.u8(Tag.String).u32(b.length).bytes(b)
      return
    }
  }
  if (v instanceof Date) { w.u8(Tag.Date).f64(v.getTime()); return }
  if (v instanceof Uint8Array) { w.u8(Tag.Bytes).u32(v.length).bytes(v); return }
  throw new AilakeError('INTERNAL', `WAL: cannot encode a value of type ${typeof v}`)
}

/** Decodes and checks a segment; throws CORRUPT_DATA for anything torn, flipped or foreign. */
export function decodeSegment(bytes: Uint8Array, vectorColumn: string): WalSegment {
  const r = new ByteReader(bytes, 'WAL segment')
  if (r.u32('magic') !== MAGIC) throw corrupt('WAL segment: bad magic; not an ailake WAL segment')
  const version = r.u16('version')
  if (version !== VERSION) throw corrupt(`WAL segment: unsupported version ${version} (this build reads ${VERSION})`)
  r.u16('flags')
  const bodyLength = r.u32('bodyLength')
  r.need(bodyLength + 4, 'body and checksum')
  const end = r.offset + bodyLength
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const stored = view.getUint32(end, true)
  if (crc32c(bytes.subarray(0, end)) !== stored) throw corrupt('WAL segment: checksum mismatch; the segment is torn or corrupt')
  if (end + 4 !== bytes.length) throw corrupt(`WAL segment: ${bytes.length - end - 4} trailing bytes after the checksum`)
  const headerText = utf8Decode(r.bytesView(r.u32('headerLength'), 'header'), 'WAL header')
  let header: { seq: number; rowCount: number; dim: number; schema: Schema }
  try {
    header = JSON.parse(headerText) as typeof header
  } catch {
    throw corrupt('WAL segment: header is not valid JSON')
  }
  const { seq, rowCount, dim, schema } = header
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(rowCount) || rowCount < 0 || !Number.isSafeInteger(dim) || dim < 1 || !Array.isArray(schema?.fields)) {
    throw corrupt('WAL segment: malformed header')
  }
  const columns = new Map<number, unknown[]>()
  for (const field of schema.fields) {
    if (field.name === vectorColumn) continue
    const values = new Array<unknown>(rowCount)
    for (let i = 0; i < rowCount; i++) values[i] = readValue(r)
    columns.set(field.id, values)
  }
  const vectors = r.f32Array(rowCount * dim, 'vectors')
  if (r.offset !== end) throw corrupt(`WAL segment: body has ${end - r.offset} unread bytes`)
  return { seq, schema, batch: { rowCount, columns, vectors } }
}

function readValue(r: ByteReader): unknown {
  const tag = r.u8('value tag')
  switch (tag) {
    case Tag.Null: return null
    case Tag.Number: return r.f64('number')
    case Tag.False: return false
    case Tag.True: return true
    case Tag.BigInt: {
      const b = r.bytesView(8, 'bigint')
      return new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true)
    }
    case Tag.String: return utf8Decode(r.bytesView(r.u32('string length'), 'string'), 'WAL string')
    case Tag.Date: return new Date(r.f64('date'))
    case Tag.Bytes: return r.bytesView(r.u32('bytes length'), 'bytes').slice()
  }
  throw corrupt(`WAL segment: unknown value tag ${tag} at offset ${r.offset - 1}`)
}

export interface WalListing {
  /** Valid segments in sequence order. */
  segments: WalSegment[]
  /** Keys of torn/corrupt segments (never acknowledged: a put is atomic and acks after it lands). */
  corrupt: string[]
  /** Highest sequence number seen, corrupt segments included (never reuse it). */
  maxSeq: number
}

/** Reads every segment of a writer with seq > `after`; keys of older ones are returned for deletion. */
export async function readWal(store: ObjectStore, tableKey: string, writerId: string, vectorColumn: string, after: number): Promise<WalListing & { committed: string[] }> {
  const listing = await store.list(walPrefix(tableKey, writerId))
  const out: WalListing & { committed: string[] } = { segments: [], corrupt: [], maxSeq: 0, committed: [] }
  for (const info of listing) {
    const seq = seqOfKey(info.key)
    if (seq === undefined) continue
    out.maxSeq = Math.max(out.maxSeq, seq)
    if (seq <= after) { out.committed.push(info.key); continue }
    try {
      const seg = decodeSegment(await store.get(info.key), vectorColumn)
      if (seg.seq !== seq) throw corrupt(`WAL segment ${info.key} holds seq ${seg.seq}`)
      out.segments.push(seg)
    } catch (err) {
      if (!(err instanceof AilakeError && err.code === 'CORRUPT_DATA')) throw err
      out.corrupt.push(info.key)
    }
  }
  return out
}
