/**
 * Data files: valid Parquet files with the vector column and, between the last row group and
 * the footer, one checksummed ailake section per vector column (header, centroid and radius,
 * opaque index bytes). Layout: docs/format.md.
 */
import { corrupt } from '../errors.js'
import type { ByteSource } from '../util/byte-source.js'
import { openDataFileImpl, type DataFileReader, type OpenDataFileOptions } from './parquet/reader.js'
import { locateByTrailer, readSectionAt } from './parquet/section-read.js'
import { readFooter } from './parquet/footer.js'
import type { DataFileWritten, VectorFacts, WriteDataFileInput } from './parquet/types.js'
import { writeDataFileImpl } from './parquet/writer.js'
import { checkOptions, type OptionKeys } from '../util/options.js'

const WRITE_KEYS = {
  schema: true,
  columns: true,
  vector: { fieldId: true, column: true, dim: true, metric: true, precision: true, vectors: true, stored: true },
  index: { type: true, bytes: true, codes: true },
  extraVectors: true,
  text: true,
  rowGroupRows: true,
} as const satisfies OptionKeys<WriteDataFileInput>
const OPEN_KEYS = { section: { offset: true, length: true }, vector: { column: true, dim: true, metric: true } } as const satisfies OptionKeys<OpenDataFileOptions>

export type { DataFileWritten, ExtraVectorInput, IndexType, VectorFacts, VectorInput, WriteDataFileInput } from './parquet/types.js'
export type { DataFileReader, ForeignVector, OpenDataFileOptions, VectorPageCache } from './parquet/reader.js'
export { readSectionAt, readTextBlockAt } from './parquet/section-read.js'
export { decodeStoredVectors, encodeVectorValues, fixedLength, rowBytes } from './parquet/vector-pages.js'

/**
 * Writes one data file into memory.
 *
 * - `schema` includes the vector field: f32 → `{ type: 'list', element: 'float', elementRequired: true, elementId }`;
 *   f16 → `{ type: 'fixed', length: 2·dim }`; i8 → `{ type: 'fixed', length: dim + 8 }` (see `fixedLength`).
 * - `columns` holds every other column by field id (nulls allowed for optional fields; a missing
 *   optional column is written as all nulls).
 * - `index` is stored opaquely; without it the section still records centroid and radius (`indexType: 'none'`).
 * - `rowGroupRows` defaults to as many rows as fit in 128 MiB of vector data (at most 1,000,000).
 *
 * Throws `INVALID_ARGUMENT` (bad dim, no rows, f16 overflow) or `SCHEMA_MISMATCH` (values that do not fit the schema).
 */
export function writeDataFile(input: WriteDataFileInput): DataFileWritten {
  checkOptions(input, WRITE_KEYS, 'writeDataFile()')
  return writeDataFileImpl(input)
}

/**
 * Opens a data file: reads and validates the footer (one tail read, usually 64 KiB). Pass
 * `section` (offsets kept in table metadata) so `readSection()` is one ranged read of exactly
 * the section; otherwise it is found through the footer key-value metadata.
 */
export async function openDataFile(source: ByteSource, options: OpenDataFileOptions = {}): Promise<DataFileReader> {
  checkOptions(options, OPEN_KEYS, 'openDataFile()')
  return openDataFileImpl(source, options)
}

/**
 * Checks a data file end to end and throws `CORRUPT_DATA` on the first problem: footer offsets,
 * the section CRCs (found both via the footer and via the trailer, which must agree), Parquet
 * row count = section row count (= `indexNodeCount(indexBytes)` when given and the file has an
 * index), that the vector pages decode to exactly that many rows, the same for every other
 * vector column's column section, and every page (header, sizes, CRC) and offset index against
 * the section's integrity table.
 */
export async function verifyDataFile(source: ByteSource, options: {
  indexNodeCount?: (indexBytes: Uint8Array) => number
  /** Checks the section's codes block (throws `CORRUPT_DATA`); the format layer checks only its CRC. */
  checkCodes?: (codesBytes: Uint8Array, facts: VectorFacts) => void
} = {}): Promise<void> {
  checkOptions(options, { indexNodeCount: true, checkCodes: true }, 'verifyDataFile()')
  const footer = await readFooter(source)
  const reader = await openDataFileImpl(source)
  const { facts, indexBytes, codesBytes } = await reader.readSection()
  const byTrailer = await locateByTrailer(source, footer.footerStart)
  if (byTrailer.offset !== facts.sectionOffset || byTrailer.length !== facts.sectionLength) {
    throw corrupt('the trailer and the footer disagree on where the ailake section is', { trailer: byTrailer, footer: { offset: facts.sectionOffset, length: facts.sectionLength } })
  }
  await readSectionAt(source, byTrailer)
  if (facts.rowCount !== reader.rowCount) throw corrupt(`ailake section says ${facts.rowCount} rows but the Parquet footer says ${reader.rowCount}`)
  if (options.indexNodeCount !== undefined && indexBytes !== undefined) {
    const nodes = options.indexNodeCount(indexBytes)
    if (nodes !== facts.rowCount) throw corrupt(`the index has ${nodes} nodes but the file has ${facts.rowCount} rows`)
  }
  if (options.checkCodes !== undefined && codesBytes !== undefined) options.checkCodes(codesBytes, facts)
  const vectors = await reader.readVectors()
  if (vectors.length !== facts.rowCount * facts.dim) throw corrupt('vector column does not decode to one vector per row')
  // Each other vector column: its column section (every CRC), index and codes, and its vectors.
  for (const column of reader.columnSectionNames()) {
    const s = await reader.readColumnSection(column)
    if (s === undefined) throw corrupt(`the footer lists a section for vector column ${column} that cannot be found`)
    if (options.indexNodeCount !== undefined && s.indexBytes !== undefined && options.indexNodeCount(s.indexBytes) !== s.facts.rowCount) throw corrupt(`the index of vector column ${column} does not have one node per row`, { column })
    if (options.checkCodes !== undefined && s.codesBytes !== undefined) options.checkCodes(s.codesBytes, s.facts)
    if ((await reader.readVectors(column)).length !== s.facts.rowCount * s.facts.dim) throw corrupt(`vector column ${column} does not decode to one vector per row`, { column })
  }
  await reader.verifyPages()
}
