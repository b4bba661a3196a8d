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
import { isPqBlock } from '../../vector/pq-block.js'

export const SECTION_MAGIC = 0x4b4c4941 // "AILK" little-endian
export const TRAILER_MAGIC = 0x544c4941 // "AILT"
/**
 * Version 2 added the integrity part (integrity.ts); version 3 a full-text index block after the
 * index bytes (a 96-byte header); version 4 the SQ8 codes block between the index bytes and the
 * full-text block (a 112-byte header); version 5, the 112-byte header, is written for every
 * section with an HNSW index, whose index bytes are then the compact graph (HNSW format version
 * 2), codes block or not. Sections without an index are written as version 2 or 3, byte for
 * byte as before; 1 to 5 are read.
 */
export const SECTION_VERSION = 5
/**
 * Version 6 is a column section: the section of a vector column after the first (the table's
 * primary column keeps its version 5 section, byte for byte, so older readers still read it).
 * Its header is laid out as version 5's, with no integrity part and no full-text block (the
 * file's first section holds those for every column).
 */
export const COLUMN_SECTION_VERSION = 6
/** Header length of versions 1 and 2. */
export const HEADER_LENGTH = 80
/** Header length of version 3. */
export const HEADER_LENGTH_V3 = 96
/** Header length of versions 4 and 5, the longest: a read of this many bytes holds any header. */
export const HEADER_LENGTH_V4 = 112
/**
 * Codes kinds of a version 4 to 6 section: 1 SQ8 (src/vector/sq8-block.ts), 2 PQ
 * (src/vector/pq-block.ts, versions 5 and 6 only); 0 in a version 5 or 6 section without codes.
 * A reader that predates a kind refuses the file with UNSUPPORTED rather than misread it.
 */
const CODES_NONE = 0
const CODES_SQ8 = 1
const CODES_PQ = 2
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
  /** The full-text index block (opaque here, src/text owns it); in a section without an index its presence makes version 3. */
  textBytes?: Uint8Array
  /** The SQ8 codes block of the indexed vectors (opaque here, src/vector owns it); only next to an HNSW index. */
  codesBytes?: Uint8Array
  /** The primary section's integrity part; absent in a column section (version 6). */
  integrity: { footerCrc: number; entries: ReadonlyArray<readonly [number, number]> } | undefined
}

/**
 * The version a section with these parts is written as (`ailake.format-version` in the footer
 * too): 6 for a column section (`column`), else 5 with an HNSW index, else 3 or 2.
 */
export function sectionVersionFor(indexType: IndexType, textLength: number, column = false): number {
  if (column) return COLUMN_SECTION_VERSION
  return indexType === 'hnsw' ? SECTION_VERSION : textLength > 0 ? 3 : 2
}

/** The header length of a section version. */
function headerLengthOf(version: number): number {
  return version >= 4 ? HEADER_LENGTH_V4 : version === 3 ? HEADER_LENGTH_V3 : HEADER_LENGTH
}

/** The length of a section: `header + pad4(name) + 4·dim + 4 + 12·entries + index + codes + text`. */
export function sectionLength(s: { column: string; dim: number; indexType: IndexType; entryCount: number; indexLength: number; codesLength?: number; textLength?: number; columnSection?: boolean }): number {
  const text = s.textLength ?? 0
  const codes = s.codesLength ?? 0
  return headerLengthOf(sectionVersionFor(s.indexType, text, s.columnSection === true)) + pad4(utf8Encode(s.column).length) + 4 * s.dim + 4 + ENTRY_BYTES * s.entryCount + s.indexLength + codes + text
}

/** Encodes one section (current version); its length is `sectionLength`. */
export function encodeSection(s: SectionInput): Uint8Array {
  if (s.centroid.length !== s.dim) throw invalid(`centroid has ${s.centroid.length} values, dim is ${s.dim}`)
  if (s.dim < 1 || s.dim > MAX_DIM) throw invalid(`dim ${s.dim} outside [1, ${MAX_DIM}]`, { dim: s.dim })
  const name = utf8Encode(s.column)
  const centroidPart = new ByteWriter(4 * s.dim + 4).typed(s.centroid).f32(s.radius).finish()
  const integrity = s.integrity ?? { footerCrc: 0, entries: [] }
  const table = encodeIntegrityTable(integrity.entries)
  const text = s.textBytes !== undefined && s.textBytes.length > 0 ? s.textBytes : undefined
  const codes = s.codesBytes !== undefined && s.codesBytes.length > 0 ? s.codesBytes : undefined
  if (codes !== undefined && s.indexType === 'none') throw invalid('a section without an index cannot carry codes')
  if (s.integrity === undefined && text !== undefined) throw invalid('a column section cannot carry a full-text block; the first section holds it')
  const version = sectionVersionFor(s.indexType, text?.length ?? 0, s.integrity === undefined)
  const headerLength = headerLengthOf(version)
  const length = headerLength + pad4(name.length) + centroidPart.length + table.length + s.indexBytes.length + (codes?.length ?? 0) + (text?.length ?? 0)
  const w = new ByteWriter(length)
  w.u32(SECTION_MAGIC).u16(version).u16(headerLength)
  w.u8(INDEX_TYPES.indexOf(s.indexType)).u8(METRIC_CODES.indexOf(s.metric)).u8(PRECISION_CODES.indexOf(s.precision)).u8(0)
  w.u32(s.dim).u64(s.rowCount).u32(s.fieldId)
  w.u32(name.length).u32(crc32c(name))
  w.u32(centroidPart.length).u32(crc32c(centroidPart))
  w.u32(crc32c(s.indexBytes)).u64(s.indexBytes.length).u64(length)
  // A column section keeps the integrity fields zero (an empty table's CRC included).
  w.u32(integrity.footerCrc).u32(integrity.entries.length).u32(s.integrity === undefined ? 0 : crc32c(table))
  if (version === 3) w.u64((text as Uint8Array).length).u32(crc32c(text as Uint8Array)).u32(0)
  if (version >= SECTION_VERSION) {
    w.u64(text?.length ?? 0).u32(text === undefined ? 0 : crc32c(text))
    if (codes === undefined) w.u64(0).u32(0).u8(CODES_NONE)
    else w.u64(codes.length).u32(crc32c(codes)).u8(isPqBlock(codes) ? CODES_PQ : CODES_SQ8)
    w.u8(0).u16(0).u32(0)
  }
  w.u32(crc32c(w.view8().subarray(0, headerLength - 4)))
  w.bytes(name).bytes(new Uint8Array(pad4(name.length) - name.length))
  w.bytes(centroidPart).bytes(table).bytes(s.indexBytes)
  if (codes !== undefined) w.bytes(codes)
  if (text !== undefined) w.bytes(text)
  return w.finish()
}

export interface DecodedSection {
  /** The section version (6: a column section). */
  version: number
  facts: VectorFacts
  indexBytes: Uint8Array | undefined
  /** Absent in version 1 sections. */
  integrity: Integrity | undefined
  /** The full-text index block (version 3 and 4 sections that have one). */
  textBytes: Uint8Array | undefined
  /** The SQ8 codes block (version 4 and 5 sections that have one), CRC-checked; its layout is checked by its decoder (src/vector/sq8-block.ts). */
  codesBytes: Uint8Array | undefined
}

/** A section without its index bytes and full-text block (its last parts): what every read of the file needs. */
export interface SectionHead {
  facts: VectorFacts
  integrity: Integrity | undefined
  indexLength: number
  indexCrc: number
  header: SectionHeader
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

/** What the fixed header says, once its CRC is checked. */
export interface SectionHeader {
  version: number
  headerLength: number
  length: number
  /** Length and CRC-32C of the full-text block, the section's last bytes (0 and 0 when it has none). */
  textLength: number
  textCrc: number
  /** Length and CRC-32C of the codes block, right after the index bytes (0 and 0 before version 4, and in a version 5 section without codes). */
  codesLength: number
  codesCrc: number
  /** 0 none, 1 SQ8, 2 PQ. */
  codesKind: number
}

/**
 * Reads and checks the fixed header (`header` holds at least its first 80 bytes; a version 3
 * header needs 96, versions 4 and 5 112; `UNSUPPORTED` for versions this build does not know).
 */
export function readSectionHeader(header: Uint8Array): SectionHeader {
  const r = new ByteReader(header, 'ailake section header')
  if (r.u32('magic') !== SECTION_MAGIC) throw corrupt('ailake section: bad magic (expected "AILK"); the section offset is wrong or the file is corrupt')
  r.need(HEADER_LENGTH - 4, 'header')
  const version = r.u16('version')
  const headerLength = headerLengthOf(version)
  r.offset = 0
  r.need(headerLength, 'header')
  if (crc32c(header.subarray(0, headerLength - 4)) !== new DataView(header.buffer, header.byteOffset + headerLength - 4, 4).getUint32(0, true)) {
    throw corrupt('ailake section: header checksum mismatch; the file is corrupt')
  }
  if (version < 1 || version > COLUMN_SECTION_VERSION) {
    throw new AilakeError('UNSUPPORTED', `ailake section format version ${version} is not supported (this build reads 1 to ${COLUMN_SECTION_VERSION}); upgrade ailake`, { context: { version } })
  }
  r.offset = 56
  const length = r.u64('section length')
  if (version < 3) return { version, headerLength, length, textLength: 0, textCrc: 0, codesLength: 0, codesCrc: 0, codesKind: CODES_NONE }
  r.offset = 76
  const textLength = r.u64('text length')
  const textCrc = r.u32('text crc')
  if (version === 3) {
    if (r.u32('reserved') !== 0) throw corrupt('ailake section: reserved header bytes are not zero; the file is corrupt')
    if (textLength === 0 || textLength > length) throw corrupt(`ailake section: full-text block of ${textLength} bytes in a ${length}-byte section`)
    return { version, headerLength, length, textLength, textCrc, codesLength: 0, codesCrc: 0, codesKind: CODES_NONE }
  }
  const codesLength = r.u64('codes length')
  const codesCrc = r.u32('codes crc')
  const kind = r.u8('codes kind')
  if (r.u8('reserved') !== 0 || r.u16('reserved') !== 0 || r.u32('reserved') !== 0) throw corrupt('ailake section: reserved header bytes are not zero; the file is corrupt')
  // Version 4 always has SQ8 codes; in versions 5 and 6 the kind says whether there are any, and which.
  if (kind !== CODES_SQ8 && !((kind === CODES_NONE || kind === CODES_PQ) && version >= 5)) {
    throw new AilakeError('UNSUPPORTED', `ailake section: codes kind ${kind} is not known to this version of ailake; upgrade to read this file`, { context: { kind } })
  }
  const codesWrong = kind !== CODES_NONE ? codesLength === 0 : codesLength !== 0 || codesCrc !== 0
  if ((textLength === 0 && textCrc !== 0) || codesWrong || codesLength + textLength > length || (version === COLUMN_SECTION_VERSION && textLength !== 0)) {
    throw corrupt(`ailake section: codes block of ${codesLength} bytes (kind ${kind}) and full-text block of ${textLength} bytes in a ${length}-byte section`, { codesLength, kind, textLength, length })
  }
  return { version, headerLength, length, textLength, textCrc, codesLength, codesCrc, codesKind: kind }
}

/**
 * The full-text block at the end of a section, checked against the CRC in the header (`undefined`
 * when the section has none): `text` holds the section's last `header.textLength` bytes.
 */
export function checkedTextBlock(header: SectionHeader, text: Uint8Array): Uint8Array | undefined {
  if (header.textLength === 0) return undefined
  if (text.length !== header.textLength || crc32c(text) !== header.textCrc) throw corrupt('ailake section: full-text index checksum mismatch; the file is corrupt')
  return text
}

/** The length of the section's head (all but the index bytes, codes and full-text block) its checked header declares. */
export function headLengthFromHeader(header: Uint8Array): number {
  const h = readSectionHeader(header)
  const indexLength = new ByteReader(header, 'ailake section header', 48).u64('index length')
  if (indexLength + h.codesLength + h.textLength > h.length - h.headerLength) {
    throw corrupt(`ailake section: index length ${indexLength}, codes length ${h.codesLength} and full-text length ${h.textLength} exceed the section length ${h.length}`, { indexLength, codesLength: h.codesLength, textLength: h.textLength, length: h.length })
  }
  return h.length - indexLength - h.codesLength - h.textLength
}

/**
 * Decodes and verifies (every CRC) the section in `bytes` (exactly the section), which starts at
 * absolute file offset `sectionOffset`.
 */
export function decodeSection(bytes: Uint8Array, sectionOffset: number): DecodedSection {
  const length = readSectionHeader(bytes).length
  if (length !== bytes.length) {
    throw corrupt(`ailake section: header declares ${length} bytes but ${bytes.length} were given; the recorded section offsets are wrong or the file is corrupt`, { length, given: bytes.length })
  }
  const headLength = headLengthFromHeader(bytes)
  const head = decodeSectionHead(bytes.subarray(0, headLength), sectionOffset)
  const index = bytes.subarray(headLength, headLength + head.indexLength)
  if (crc32c(index) !== head.indexCrc) throw corrupt('ailake section: index checksum mismatch; the file is corrupt')
  const codesEnd = headLength + head.indexLength + head.header.codesLength
  const codes = bytes.subarray(headLength + head.indexLength, codesEnd)
  if (crc32c(codes) !== head.header.codesCrc) throw corrupt('ailake section: codes checksum mismatch; the file is corrupt')
  if (codes.length > 0 && isPqBlock(codes) !== (head.header.codesKind === CODES_PQ)) throw corrupt(`ailake section: the header says codes kind ${head.header.codesKind} but the block is ${isPqBlock(codes) ? 'PQ' : 'not PQ'}; the file is corrupt`)
  const textBytes = checkedTextBlock(head.header, bytes.subarray(codesEnd))
  return { version: head.header.version, facts: head.facts, indexBytes: head.facts.indexType === 'none' ? undefined : index, integrity: head.integrity, textBytes, codesBytes: codes.length === 0 ? undefined : codes }
}

/**
 * Decodes and verifies (every CRC but the index's and the full-text block's) the head of a
 * section: `bytes` is exactly the part before its index bytes (`headLengthFromHeader`), starting
 * at file offset `sectionOffset`.
 */
export function decodeSectionHead(bytes: Uint8Array, sectionOffset: number): SectionHead {
  const header = readSectionHeader(bytes)
  const length = header.length
  const r = new ByteReader(bytes, 'ailake section', 4)
  const version = r.u16('version')
  const headerLength = r.u16('header length')
  if (headerLength !== header.headerLength) throw corrupt(`ailake section: header length ${headerLength}, expected ${header.headerLength}`)
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
  if ((version === 1 || version === COLUMN_SECTION_VERSION) && (footerCrc !== 0 || entryCount !== 0 || tableCrc !== 0)) throw corrupt(`ailake section: version ${version} has no integrity part but its fields are not zero; the file is corrupt`)
  if (dim < 1 || dim > MAX_DIM) throw corrupt(`ailake section: dim ${dim} outside [1, ${MAX_DIM}]`, { dim })
  if (centroidLength !== 4 * dim + 4) throw corrupt(`ailake section: centroid part is ${centroidLength} bytes, expected ${4 * dim + 4} for dim ${dim}`)
  if (headerLength + pad4(nameLength) + centroidLength + ENTRY_BYTES * entryCount + indexLength + header.codesLength + header.textLength !== length) {
    throw corrupt('ailake section: part lengths do not add up to the section length', { nameLength, centroidLength, entryCount, indexLength, codesLength: header.codesLength, textLength: header.textLength, length })
  }
  const headLength = length - indexLength - header.codesLength - header.textLength
  if (bytes.length !== headLength) throw corrupt(`ailake section: its head is ${headLength} bytes but ${bytes.length} were given`, { length, indexLength, given: bytes.length })
  if (indexType === 'none' && (indexLength !== 0 || header.codesLength !== 0)) throw corrupt(`ailake section: index type none but ${indexLength} index bytes and ${header.codesLength} bytes of codes`)
  r.offset = headerLength
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
  if (version !== COLUMN_SECTION_VERSION && crc32c(table) !== tableCrc) throw corrupt('ailake section: integrity table checksum mismatch; the file is corrupt')
  return {
    facts: {
      column: utf8Decode(name, 'ailake section column name'), fieldId, dim, metric, precision, rowCount, centroid, radius,
      indexType, sectionOffset, sectionLength: length,
    },
    integrity: version === 1 || version === COLUMN_SECTION_VERSION ? undefined : { footerCrc, entries: decodeIntegrityTable(table) },
    indexLength,
    indexCrc,
    header,
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
