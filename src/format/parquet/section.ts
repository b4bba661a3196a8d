/**
 * The ailake section (one per vector column, between the last row group and the Parquet footer)
 * and the fixed trailer right before the footer. Byte-by-byte specification: docs/format.md.
 */
import { AilakeError, corrupt, invalid } from '../../errors.js'
import { ByteReader, ByteWriter, utf8Decode, utf8Encode } from '../../util/bytes.js'
import { crc32c } from '../../util/crc32c.js'
import type { Metric, Precision } from '../../vector/types.js'
import { decodeIntegrityTable, encodeIntegrityTable, ENTRY_BYTES, type Integrity } from './integrity.js'
import type { IndexType, VectorFacts } from './types.js'

export const SECTION_MAGIC = 0x4b4c4941 // "AILK" little-endian
export const TRAILER_MAGIC = 0x544c4941 // "AILT"
/** Version 2 added the integrity part (integrity.ts); version 1 sections are still read. */
export const SECTION_VERSION = 2
export const HEADER_LENGTH = 80
export const TRAILER_LENGTH = 32
/** Largest dimension a section may declare: bounds allocations driven by a hostile header. */
export const MAX_DIM = 65536

const INDEX_TYPES: readonly IndexType[] = ['none', 'hnsw'] // 2 is reserved for IVF-PQ
const METRIC_CODES: readonly Metric[] = ['cosine', 'euclidean', 'dot']
const PRECISION_CODES: readonly Precision[] = ['f32', 'f16', 'i8']

function pad4(n: number): number {
  return (n + 3) & ~3
}

/**
 * A section's content: the file's facts (their location aside), the index bytes, and the
 * integrity part: the footer's CRC-32C and the [offset, CRC-32C] entries of integrity.ts.
 */
export type SectionInput = Omit<VectorFacts, 'sectionOffset' | 'sectionLength'> & {
  indexBytes: Uint8Array
  integrity: { footerCrc: number; entries: ReadonlyArray<readonly [number, number]> }
}

/** The length of a section: `HEADER_LENGTH + pad4(name) + 4·dim + 4 + 12·entries + index`. */
export function sectionLength(s: { column: string; dim: number; entryCount: number; indexLength: number }): number {
  return HEADER_LENGTH + pad4(utf8Encode(s.column).length) + 4 * s.dim + 4 + ENTRY_BYTES * s.entryCount + s.indexLength
}

/** Encodes one section (current version); its length is `sectionLength`. */
export function encodeSection(s: SectionInput): Uint8Array {
  if (s.centroid.length !== s.dim) throw invalid(`centroid has ${s.centroid.length} values, dim is ${s.dim}`)
  if (s.dim < 1 || s.dim > MAX_DIM) throw invalid(`dim ${s.dim} outside [1, ${MAX_DIM}]`, { dim: s.dim })
  const name = utf8Encode(s.column)
  const centroidPart = new ByteWriter(4 * s.dim + 4).typed(s.centroid).f32(s.radius).finish()
  const table = encodeIntegrityTable(s.integrity.entries)
  const length = HEADER_LENGTH + pad4(name.length) + centroidPart.length + table.length + s.indexBytes.length
  const w = new ByteWriter(length)
  w.u32(SECTION_MAGIC).u16(SECTION_VERSION).u16(HEADER_LENGTH)
  w.u8(INDEX_TYPES.indexOf(s.indexType)).u8(METRIC_CODES.indexOf(s.metric)).u8(PRECISION_CODES.indexOf(s.precision)).u8(0)
  w.u32(s.dim).u64(s.rowCount).u32(s.fieldId)
  w.u32(name.length).u32(crc32c(name))
  w.u32(centroidPart.length).u32(crc32c(centroidPart))
  w.u32(crc32c(s.indexBytes)).u64(s.indexBytes.length).u64(length)
  w.u32(s.integrity.footerCrc).u32(s.integrity.entries.length).u32(crc32c(table))
  w.u32(crc32c(w.view8().subarray(0, 76)))
  w.bytes(name).bytes(new Uint8Array(pad4(name.length) - name.length))
  w.bytes(centroidPart).bytes(table).bytes(s.indexBytes)
  return w.finish()
}

export interface DecodedSection {
  facts: VectorFacts
  indexBytes: Uint8Array | undefined
  /** Absent in version 1 sections. */
  integrity: Integrity | undefined
}

/** A section without its index bytes (they are its last part): what every read of the file needs. */
export interface SectionHead {
  facts: VectorFacts
  integrity: Integrity | undefined
  indexLength: number
  indexCrc: number
}

function enumCode<T>(codes: readonly T[], code: number, what: string): T {
  const v = codes[code]
  if (v === undefined) {
    throw new AilakeError('UNSUPPORTED', `ailake section: ${what} code ${code} is not known to this version of ailake; upgrade to read this file`, {
      context: { what, code },
    })
  }
  return v
}

/** Reads the fixed header and returns the total section length it declares (after checking its CRC). */
export function sectionLengthFromHeader(header: Uint8Array): number {
  const r = new ByteReader(header, 'ailake section header')
  if (r.u32('magic') !== SECTION_MAGIC) throw corrupt('ailake section: bad magic (expected "AILK"); the section offset is wrong or the file is corrupt')
  r.need(HEADER_LENGTH - 4, 'header')
  const version = r.u16('version')
  if (crc32c(header.subarray(0, 76)) !== new DataView(header.buffer, header.byteOffset + 76, 4).getUint32(0, true)) {
    throw corrupt('ailake section: header checksum mismatch; the file is corrupt')
  }
  if (version !== 1 && version !== SECTION_VERSION) {
    throw new AilakeError('UNSUPPORTED', `ailake section format version ${version} is not supported (this build reads 1 to ${SECTION_VERSION}); upgrade ailake`, { context: { version } })
  }
  r.offset = 56
  return r.u64('section length')
}

/** The length of the section's head (all but the index bytes) its checked header declares. */
export function headLengthFromHeader(header: Uint8Array): number {
  const length = sectionLengthFromHeader(header)
  const indexLength = new ByteReader(header, 'ailake section header', 48).u64('index length')
  if (indexLength > length - HEADER_LENGTH) throw corrupt(`ailake section: index length ${indexLength} exceeds the section length ${length}`, { indexLength, length })
  return length - indexLength
}

/**
 * Decodes and verifies (every CRC) the section in `bytes` (exactly the section), which starts at
 * absolute file offset `sectionOffset`.
 */
export function decodeSection(bytes: Uint8Array, sectionOffset: number): DecodedSection {
  const length = sectionLengthFromHeader(bytes)
  if (length !== bytes.length) {
    throw corrupt(`ailake section: header declares ${length} bytes but ${bytes.length} were given; the recorded section offsets are wrong or the file is corrupt`, { length, given: bytes.length })
  }
  const head = decodeSectionHead(bytes.subarray(0, headLengthFromHeader(bytes)), sectionOffset)
  const index = bytes.subarray(length - head.indexLength)
  if (crc32c(index) !== head.indexCrc) throw corrupt('ailake section: index checksum mismatch; the file is corrupt')
  return { facts: head.facts, indexBytes: head.facts.indexType === 'none' ? undefined : index, integrity: head.integrity }
}

/**
 * Decodes and verifies (every CRC but the index's) the head of a section: `bytes` is exactly the
 * part before its index bytes (`headLengthFromHeader`), starting at file offset `sectionOffset`.
 */
export function decodeSectionHead(bytes: Uint8Array, sectionOffset: number): SectionHead {
  const length = sectionLengthFromHeader(bytes)
  const r = new ByteReader(bytes, 'ailake section', 4)
  const version = r.u16('version')
  const headerLength = r.u16('header length')
  if (headerLength !== HEADER_LENGTH) throw corrupt(`ailake section: header length ${headerLength}, expected ${HEADER_LENGTH}`)
  const indexType = enumCode(INDEX_TYPES, r.u8('index type'), 'index type')
  const metric = enumCode(METRIC_CODES, r.u8('metric'), 'metric')
  const precision = enumCode(PRECISION_CODES, r.u8('precision'), 'precision')
  r.u8('reserved')
  const dim = r.u32('dim')
  const rowCount = r.u64('row count')
  const fieldId = r.u32('field id')
  const nameLength = r.u32('name length')
  const nameCrc = r.u32('name crc')
  const centroidLength = r.u32('centroid length')
  const centroidCrc = r.u32('centroid crc')
  const indexCrc = r.u32('index crc')
  const indexLength = r.u64('index length')
  r.u64('section length')
  // Version 1 kept these 12 bytes zero.
  const footerCrc = r.u32('footer crc')
  const entryCount = r.u32('integrity entry count')
  const tableCrc = r.u32('integrity table crc')
  if (version === 1 && (footerCrc !== 0 || entryCount !== 0 || tableCrc !== 0)) throw corrupt('ailake section: version 1 reserved bytes are not zero; the file is corrupt')
  if (dim < 1 || dim > MAX_DIM) throw corrupt(`ailake section: dim ${dim} outside [1, ${MAX_DIM}]`, { dim })
  if (centroidLength !== 4 * dim + 4) throw corrupt(`ailake section: centroid part is ${centroidLength} bytes, expected ${4 * dim + 4} for dim ${dim}`)
  if (HEADER_LENGTH + pad4(nameLength) + centroidLength + ENTRY_BYTES * entryCount + indexLength !== length) {
    throw corrupt('ailake section: part lengths do not add up to the section length', { nameLength, centroidLength, entryCount, indexLength, length })
  }
  if (bytes.length !== length - indexLength) throw corrupt(`ailake section: its head is ${length - indexLength} bytes but ${bytes.length} were given`, { length, indexLength, given: bytes.length })
  if (indexType === 'none' && indexLength !== 0) throw corrupt(`ailake section: index type none but ${indexLength} index bytes`)
  r.offset = HEADER_LENGTH
  const name = r.bytesView(nameLength, 'column name')
  if (crc32c(name) !== nameCrc) throw corrupt('ailake section: column name checksum mismatch; the file is corrupt')
  for (const b of r.bytesView(pad4(nameLength) - nameLength, 'name padding')) {
    if (b !== 0) throw corrupt('ailake section: non-zero padding after the column name; the file is corrupt')
  }
  const centroidPart = r.bytesView(centroidLength, 'centroid')
  if (crc32c(centroidPart) !== centroidCrc) throw corrupt('ailake section: centroid checksum mismatch; the file is corrupt')
  const cr = new ByteReader(centroidPart, 'ailake centroid')
  const centroid = cr.f32Array(dim, 'centroid')
  const radius = cr.f32('radius')
  const table = r.bytesView(ENTRY_BYTES * entryCount, 'integrity table')
  if (crc32c(table) !== tableCrc) throw corrupt('ailake section: integrity table checksum mismatch; the file is corrupt')
  return {
    facts: {
      column: utf8Decode(name, 'ailake section column name'), fieldId, dim, metric, precision, rowCount, centroid, radius,
      indexType, sectionOffset, sectionLength: length,
    },
    integrity: version === 1 ? undefined : { footerCrc, entries: decodeIntegrityTable(table) },
    indexLength,
    indexCrc,
  }
}

export interface Trailer {
  sectionsOffset: number
  sectionsLength: number
  count: number
}

export function encodeTrailer(t: Trailer): Uint8Array {
  const w = new ByteWriter(TRAILER_LENGTH)
  w.u64(t.sectionsOffset).u64(t.sectionsLength).u32(t.count).u16(1).u16(0)
  w.u32(crc32c(w.view8().subarray(0, 24))).u32(TRAILER_MAGIC)
  return w.finish()
}

/** Decodes the 32-byte trailer; `undefined` if the bytes are not a trailer (no ailake section). */
export function decodeTrailer(bytes: Uint8Array, fileSize: number): Trailer | undefined {
  const r = new ByteReader(bytes, 'ailake trailer')
  r.need(TRAILER_LENGTH, 'trailer')
  if (new DataView(bytes.buffer, bytes.byteOffset + 28, 4).getUint32(0, true) !== TRAILER_MAGIC) return undefined
  if (crc32c(bytes.subarray(0, 24)) !== new DataView(bytes.buffer, bytes.byteOffset + 24, 4).getUint32(0, true)) {
    throw corrupt('ailake trailer: checksum mismatch; the file is corrupt')
  }
  const sectionsOffset = r.u64('sections offset')
  const sectionsLength = r.u64('sections length')
  const count = r.u32('section count')
  const version = r.u16('trailer version')
  if (version !== 1) throw new AilakeError('UNSUPPORTED', `ailake trailer version ${version} is not supported; upgrade ailake`)
  if (sectionsOffset < 4 || sectionsOffset + sectionsLength > fileSize || count < 1 || count * HEADER_LENGTH > sectionsLength) {
    throw corrupt('ailake trailer: section range lies outside the file', { sectionsOffset, sectionsLength, count, fileSize })
  }
  return { sectionsOffset, sectionsLength, count }
}
