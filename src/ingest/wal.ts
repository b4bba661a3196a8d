/**
 * The MemTableWriter's write-ahead log. Records live in segment objects
 * `<table>/wal/<writerId>/<first seq, 16 digits>.wal`, created exclusively (two processes
 * writing with one writerId collide loudly) so the lexical key order is the sequence order.
 * On a store that can append (local directory, memory) a segment holds every record of one
 * flush window, appended in place, one write (+ fdatasync) per insert; elsewhere (S3) each
 * record is its own atomically put segment, as older versions wrote everywhere.
 *
 * Record layout (v1, little-endian), back to back in a segment:
 *   magic "ALKW" · u16 version (1) · u16 flags (0) · u32 bodyLength · body · u32 crc32c(record before it)
 *   body: u32 headerLength · header JSON { seq, rowCount, dim, schema, restart?, upsertOn? } · columns · vectors
 *   columns: for each schema field but the primary vector column, in order, rowCount tagged values
 *     (a vector column after the primary one holds one F32 value per row: u32 count, count f32)
 *   vectors: rowCount × dim f32 (the primary vector column)
 * The CRC covers the record from its magic through its body, so a torn or bit-flipped record is
 * rejected rather than replayed. A crash can only tear the record being appended, at the tail
 * of the newest segment; `restart` marks the first record written after the writer gave up on
 * a segment (a failed append, or one recovery found torn), the one place a torn record may be
 * followed by valid ones. Any other damage followed by a valid record is reported as lost data.
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
  /** Written first after a failed append or a torn segment: the segment before may end torn. */
  restart?: boolean
  /** The key column when the rows were upserts (a row replaces earlier rows with its key). */
  upsertOn?: string
}

/** Value tags; F32 (a vector of a column after the primary one) appears only in logs of tables with several vector columns. */
const enum Tag { Null = 0, Number = 1, String = 2, False = 3, True = 4, BigInt = 5, Date = 6, Bytes = 7, F32 = 8 }

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

/** One record (a whole single-record segment, as S3 stores it). */
/**
 * One WAL record. With `into`, the record is built in that writer's buffer (reset first) and the
 * result is a view of it, valid until the writer is used again: a MemTableWriter reuses one
 * buffer for every insert instead of allocating ~400 KB per 1,000 rows of 100-d vectors.
 */
export function encodeSegment(seq: number, schema: Schema, vectorColumn: string, batch: RowBatch, dim: number, options: { restart?: boolean; into?: ByteWriter; upsertOn?: string } = {}): Uint8Array {
  const w = options.into?.reset() ?? new ByteWriter(64 + batch.vectors.byteLength * 1.1)
  w.u32(MAGIC).u16(VERSION).u16(0)
  const bodyLenAt = w.length
  w.u32(0)
  const header = utf8Encode(JSON.stringify({
    seq, rowCount: batch.rowCount, dim, schema,
    ...(options.restart === true ? { restart: true } : {}),
    ...(options.upsertOn === undefined ? {} : { upsertOn: options.upsertOn }),
  }))
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
  // A view, not finish()'s exact-size copy: the record is appended once and dropped.
  return w.view8()
}

function writeValue(w: ByteWriter, v: unknown): void {
  if (v === null || v === undefined) { w.u8(Tag.Null); return }
  switch (typeof v) {
    case 'number': w.u8(Tag.Number).f64(v); return
    case 'boolean': w.u8(v ? Tag.True : Tag.False); return
    case 'bigint': w.u8(Tag.BigInt).i64(BigInt.asIntN(64, v)); return
    case 'string': w.u8(Tag.String).utf8Prefixed(v); return
  }
  if (v instanceof Date) { w.u8(Tag.Date).f64(v.getTime()); return }
  if (v instanceof Uint8Array) { w.u8(Tag.Bytes).u32(v.length).bytes(v); return }
  if (v instanceof Float32Array) { w.u8(Tag.F32).u32(v.length).typed(v); return }
  throw new AilakeError('INTERNAL', `WAL: cannot encode a value of type ${typeof v}`)
}

/** Decodes and checks a single-record segment; throws CORRUPT_DATA for anything torn, flipped or foreign. */
export function decodeSegment(bytes: Uint8Array, vectorColumn: string): WalSegment {
  const { record, end } = decodeRecordAt(bytes, 0, vectorColumn)
  if (end !== bytes.length) throw corrupt(`WAL segment: ${bytes.length - end} trailing bytes after the checksum`)
  return record
}

/** The record starting at `offset` and the offset just past it; throws CORRUPT_DATA if it is torn, flipped or foreign. */
export function decodeRecordAt(bytes: Uint8Array, offset: number, vectorColumn: string): { record: WalSegment; end: number } {
  const r = new ByteReader(bytes, 'WAL record', offset)
  if (r.u32('magic') !== MAGIC) throw corrupt('WAL segment: bad magic; not an ailake WAL segment')
  const version = r.u16('version')
  if (version !== VERSION) throw corrupt(`WAL segment: unsupported version ${version} (this build reads ${VERSION})`)
  r.u16('flags')
  const bodyLength = r.u32('bodyLength')
  r.need(bodyLength + 4, 'body and checksum')
  const end = r.offset + bodyLength
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const stored = view.getUint32(end, true)
  if (crc32c(bytes.subarray(offset, end)) !== stored) throw corrupt('WAL segment: checksum mismatch; the segment is torn or corrupt')
  const headerText = utf8Decode(r.bytesView(r.u32('headerLength'), 'header'), 'WAL header')
  let header: { seq: number; rowCount: number; dim: number; schema: Schema; restart?: unknown; upsertOn?: unknown }
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
  const record: WalSegment = { seq, schema, batch: { rowCount, columns, vectors } }
  if (header.restart === true) record.restart = true
  if (header.upsertOn !== undefined) {
    if (typeof header.upsertOn !== 'string' || !schema.fields.some((f) => f.name === header.upsertOn)) throw corrupt('WAL segment: upsertOn names no column of the record')
    record.upsertOn = header.upsertOn
  }
  return { record, end: end + 4 }
}

/**
 * Every record of a segment in order. A damaged record ends the valid part (`tornAt`, its
 * offset) when nothing valid follows it; a valid record anywhere after damage means the log
 * was corrupted after it was written, and throws CORRUPT_DATA.
 */
export function decodeRecords(bytes: Uint8Array, vectorColumn: string): { records: WalSegment[]; tornAt?: number } {
  const records: WalSegment[] = []
  let offset = 0
  while (offset < bytes.length) {
    try {
      const { record, end } = decodeRecordAt(bytes, offset, vectorColumn)
      records.push(record)
      offset = end
    } catch (err) {
      if (!(err instanceof AilakeError && err.code === 'CORRUPT_DATA')) throw err
      // The damaged length field cannot be trusted, so look for any later record by its magic.
      for (let at = bytes.indexOf(MAGIC_BYTE0, offset + 1); at >= 0; at = bytes.indexOf(MAGIC_BYTE0, at + 1)) {
        if (validRecordAt(bytes, at, vectorColumn)) {
          throw corrupt(`WAL segment: the record at offset ${offset} is corrupt but a valid record follows at ${at}; the log was damaged after it was written. Discard this writer's log to continue (its rows not yet committed are lost)`, { offset, next: at })
        }
      }
      return { records, tornAt: offset }
    }
  }
  return { records }
}

const MAGIC_BYTE0 = MAGIC & 0xff

/**
 * Every record of a segment that decodes, skipping damaged ones (by looking for the next valid
 * record after each), for reporting what a damaged log still holds. Never throws for damage.
 */
export function readableRecords(bytes: Uint8Array, vectorColumn: string): WalSegment[] {
  const out: WalSegment[] = []
  let offset = 0
  while (offset < bytes.length) {
    try {
      const { record, end } = decodeRecordAt(bytes, offset, vectorColumn)
      out.push(record)
      offset = end
    } catch {
      let next = -1
      for (let at = bytes.indexOf(MAGIC_BYTE0, offset + 1); at >= 0 && next < 0; at = bytes.indexOf(MAGIC_BYTE0, at + 1)) {
        if (validRecordAt(bytes, at, vectorColumn)) next = at
      }
      if (next < 0) break
      offset = next
    }
  }
  return out
}

function validRecordAt(bytes: Uint8Array, at: number, vectorColumn: string): boolean {
  if (at + 4 > bytes.length || new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true) !== MAGIC) return false
  try {
    decodeRecordAt(bytes, at, vectorColumn)
    return true
  } catch {
    return false
  }
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
    case Tag.F32: return r.f32Array(r.u32('vector length'), 'vector')
  }
  throw corrupt(`WAL segment: unknown value tag ${tag} at offset ${r.offset - 1}`)
}

/** A segment as recovery found it. */
export interface WalSegmentInfo {
  key: string
  /** Highest seq of a valid record in it (its first seq - 1 if it holds none). */
  lastSeq: number
}

export interface WalListing {
  /** Valid records with seq > `after`, in sequence order. */
  records: WalSegment[]
  /** Every segment still needed or deletable once its records are committed, in key order. */
  segments: WalSegmentInfo[]
  /** Keys of segments with nothing to replay: wholly committed, or holding only a torn record (never acknowledged). */
  obsolete: string[]
  /** True when the newest segment with records ends torn: the next record written must say `restart`. */
  tornTail: boolean
  /** Highest sequence number seen in a key or record (never reuse it). */
  maxSeq: number
}

/**
 * Reads the records of a writer with seq > `after`. Segments whose records are all committed
 * are not read (their successor starts at or below `after + 1`). Throws CORRUPT_DATA when
 * damage is followed by a valid record not marked `restart`.
 */
export async function readWal(store: ObjectStore, tableKey: string, writerId: string, vectorColumn: string, after: number): Promise<WalListing> {
  const keyed = (await store.list(walPrefix(tableKey, writerId)))
    .map((info) => ({ key: info.key, first: seqOfKey(info.key) }))
    .filter((k): k is { key: string; first: number } => k.first !== undefined)
  const out: WalListing = { records: [], segments: [], obsolete: [], tornTail: false, maxSeq: 0 }
  let tornKey: string | undefined
  let lastSeq = 0
  for (let i = 0; i < keyed.length; i++) {
    const { key, first } = keyed[i] as { key: string; first: number }
    out.maxSeq = Math.max(out.maxSeq, first)
    const next = keyed[i + 1]
    // Seqs grow across segments, so one followed by a segment starting at or below after + 1 is wholly committed.
    if (next !== undefined && next.first <= after + 1) {
      out.obsolete.push(key)
      continue
    }
    let decoded: { records: WalSegment[]; tornAt?: number }
    try {
      decoded = decodeRecords(await store.get(key), vectorColumn)
    } catch (err) {
      throw withKey(err, key)
    }
    const { records } = decoded
    for (let j = 0; j < records.length; j++) {
      const rec = records[j] as WalSegment
      const expected = j === 0 ? first : lastSeq + 1
      // Seqs in a segment are consecutive (a failed append ends its segment), starting at the key's.
      if (j === 0 ? rec.seq !== first : rec.seq !== expected) {
        throw new AilakeError('CORRUPT_DATA', `WAL segment ${key} holds seq ${rec.seq} where ${expected} belongs`, { context: { key } })
      }
      lastSeq = rec.seq
    }
    if (tornKey !== undefined && records.length > 0) {
      if (records[0]?.restart !== true) {
        throw new AilakeError('CORRUPT_DATA', `WAL segment ${tornKey} is corrupt but later segments are valid; the log was damaged after it was written. Discard this writer's log to continue (its rows not yet committed are lost)`, { context: { key: tornKey } })
      }
      tornKey = undefined
    }
    if (decoded.tornAt !== undefined) tornKey = key
    out.maxSeq = Math.max(out.maxSeq, lastSeq)
    if (records.length === 0 || (records.at(-1) as WalSegment).seq <= after) {
      out.obsolete.push(key)
      continue
    }
    out.segments.push({ key, lastSeq: (records.at(-1) as WalSegment).seq })
    for (const rec of records) if (rec.seq > after) out.records.push(rec)
  }
  out.tornTail = tornKey !== undefined && out.segments.at(-1)?.key === tornKey
  return out
}

function withKey(err: unknown, key: string): unknown {
  if (!(err instanceof AilakeError && err.code === 'CORRUPT_DATA')) return err
  const message = err.message.replace(/^WAL segment: /, '')
  return new AilakeError('CORRUPT_DATA', `WAL segment ${key}: ${message}`, { context: { ...err.context, key }, cause: err })
}
