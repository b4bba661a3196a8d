/**
 * Reading ailake sections by ranged reads: the whole section, its head (facts and integrity
 * table, without the index), its full-text block alone, or finding it through the trailer.
 */
import { AilakeError, corrupt } from '../../errors.js'
import type { ByteSource } from '../../util/byte-source.js'
import { readRange } from './footer.js'
import { checkedTextBlock, decodeSection, decodeSectionHead, decodeTrailer, headLengthFromHeader, readSectionHeader, HEADER_LENGTH, HEADER_LENGTH_V4, TRAILER_LENGTH, type DecodedSection, type SectionHeader } from './section.js'

/** Reads one section with exactly one ranged read (offsets kept in table metadata). */
export async function readSectionAt(source: ByteSource, at: { offset: number; length: number }): Promise<DecodedSection> {
  checkSectionLength(at.length)
  return decodeSection(await readRange(source, at.offset, at.length, 'ailake section'), at.offset)
}

/** What reads of columns need of a section: its facts and integrity table. */
export type SectionFacts = Pick<DecodedSection, 'facts' | 'integrity'>

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
  return decodeSectionHead(bytes, at.offset)
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
