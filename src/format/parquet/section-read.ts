/**
 * Reading ailake sections by ranged reads: the whole section, its head (facts and integrity
 * table, without the index), its full-text block alone, or finding it through the trailer.
 */
import { AilakeError, corrupt } from '../../errors.js'
import type { ByteSource } from '../../util/byte-source.js'
import { readRange } from './footer.js'
import { checkedTextBlock, COLUMN_SECTION_VERSION, decodeSection, decodeSectionHead, decodeTrailer, headLengthFromHeader, readSectionHeader, HEADER_LENGTH, HEADER_LENGTH_V4, TRAILER_LENGTH, type DecodedSection, type SectionHeader } from './section.js'

/** Reads one section with exactly one ranged read (offsets kept in table metadata). */
export async function readSectionAt(source: ByteSource, at: { offset: number; length: number }): Promise<DecodedSection> {
  checkSectionLength(at.length)
  return decodeSection(await readRange(source, at.offset, at.length, 'ailake section'), at.offset)
}

/** What reads of columns need of a section: its facts and integrity table. */
export type SectionFacts = Pick<DecodedSection, 'version' | 'facts' | 'integrity'>

function checkSectionLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < HEADER_LENGTH) throw corrupt(`ailake section length ${length} is smaller than its ${HEADER_LENGTH}-byte header`)
}

/** The checked header at the start of `bytes`, which must declare the section length the file records. */
function recordedHeader(bytes: Uint8Array, at: { length: number }): SectionHeader {
  const header = readSectionHeader(bytes)
  if (header.length !== at.length) {
    throw corrupt(`ailake section: header declares ${header.length} bytes but ${at.length} were recorded; the recorded section offsets are wrong or the file is corrupt`, { length: header.length, given: at.length })
  }
  return header
}

/** Bytes read first for a section's head: its header, column name, centroid and integrity table fit in most files. */
const HEAD_READ_BYTES = 64 * 1024

/** The section without its index bytes (facts and integrity part): one small ranged read, two for a large integrity table. */
export async function readSectionHeadAt(source: ByteSource, at: { offset: number; length: number }): Promise<SectionFacts> {
  checkSectionLength(at.length)
  const first = await readRange(source, at.offset, Math.min(at.length, HEAD_READ_BYTES), 'ailake section')
  recordedHeader(first, at)
  const headLength = headLengthFromHeader(first)
  const bytes = headLength <= first.length ? first.subarray(0, headLength) : await readRange(source, at.offset, headLength, 'ailake section')
  const head = decodeSectionHead(bytes, at.offset)
  return { version: head.header.version, facts: head.facts, integrity: head.integrity }
}

/**
 * Only the full-text index block of a section (undefined when it has none): two ranged reads,
 * the header and the block (the section's last bytes), each checked against its CRC, so a text
 * query does not read the vector index.
 */
export async function readTextBlockAt(source: ByteSource, at: { offset: number; length: number }): Promise<Uint8Array | undefined> {
  checkSectionLength(at.length)
  const header = recordedHeader(await readRange(source, at.offset, Math.min(at.length, HEADER_LENGTH_V4), 'ailake section header'), at)
  if (header.textLength === 0) return undefined
  if (header.textLength > at.length - header.headerLength) throw corrupt('ailake section: the full-text block is longer than the section')
  return checkedTextBlock(header, await readRange(source, at.offset + at.length - header.textLength, header.textLength, 'full-text index'))
}

/** Finds the first section through the trailer just before the footer (no footer parsing). */
export async function locateByTrailer(source: ByteSource, footerStart: number): Promise<{ offset: number; length: number }> {
  if (footerStart - TRAILER_LENGTH < 4) throw new AilakeError('NOT_FOUND', 'this Parquet file has no ailake section (no trailer before the footer)')
  const t = decodeTrailer(await readRange(source, footerStart - TRAILER_LENGTH, TRAILER_LENGTH, 'ailake trailer'), source.size)
  if (t === undefined) throw new AilakeError('NOT_FOUND', 'this Parquet file has no ailake section (no trailer before the footer)')
  const header = await readRange(source, t.sectionsOffset, Math.min(t.sectionsLength, HEADER_LENGTH_V4), 'ailake section header')
  const length = readSectionHeader(header).length
  if (length > t.sectionsLength) throw corrupt('ailake section is longer than the sections region in the trailer')
  return { offset: t.sectionsOffset, length }
}

/** One entry of the footer's `ailake.sections` list: a vector column's section. */
export interface SectionEntry { column: string; offset: number; length: number }

/** The footer's `ailake.sections` value parsed (the primary column's section first); undefined when the footer has none. */
export function parseSectionList(kv: string | undefined): SectionEntry[] | undefined {
  if (kv === undefined) return undefined
  let list: unknown
  try {
    list = JSON.parse(kv)
  } catch {
    throw corrupt('Parquet key ailake.sections is not valid JSON')
  }
  if (!Array.isArray(list)) throw corrupt('Parquet key ailake.sections is not a list')
  return list.map((e: { column?: unknown; offset?: unknown; length?: unknown } | null) => {
    if (e === null || typeof e !== 'object' || typeof e.offset !== 'number' || typeof e.length !== 'number') throw corrupt('Parquet key ailake.sections has an invalid section entry')
    return { column: typeof e.column === 'string' ? e.column : '', offset: e.offset, length: e.length }
  })
}

/** The entry of vector column `column`'s column section (never the first, primary one) in a parsed section list. */
export function columnEntry(list: readonly SectionEntry[] | undefined, column: string): SectionEntry | undefined {
  return list?.slice(1).find((e) => e.column === column)
}

/** `s`, once checked to be the column section (version 6) of vector column `column` in `file`, a file of `rowCount` rows; else `CORRUPT_DATA`. */
export function checkColumnSection<S extends SectionFacts>(s: S, column: string, rowCount: number, file: string): S {
  if (s.version !== COLUMN_SECTION_VERSION) throw corrupt(`${file}: the section of vector column ${column} is version ${s.version}, not a column section (${COLUMN_SECTION_VERSION})`, { column })
  if (s.facts.column !== column) throw corrupt(`${file}: the section recorded for vector column ${column} is the section of ${s.facts.column}`, { column })
  if (s.facts.rowCount !== rowCount) throw corrupt(`${file}: the section of vector column ${column} says ${s.facts.rowCount} rows but the Parquet footer says ${rowCount}`, { column })
  return s
}
