/**
 * Writes one data file in one pass: row groups (common scalar columns and the vector column as
 * hand-written pages, other columns through hyparquet-writer), every page with a CRC, the ailake
 * section, all offset indexes, the trailer, then hyparquet-writer's footer with the section
 * offsets in its key-value metadata.
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import { writeMetadata } from 'hyparquet-writer/src/metadata.js'
import type { ColumnChunk, KeyValue, RowGroup } from 'hyparquet'
import { AilakeError, invalid } from '../../errors.js'
import { computeBounds } from '../../vector/bounds.js'
import { crc32c } from '../../util/crc32c.js'
import type { ColumnStats, Field, Schema } from '../schema.js'
import { icebergSchemaJson, checkVectorField, prepareColumn, toParquetSchema } from './schema-map.js'
import { COLUMN_SECTION_VERSION, encodeSection, encodeTrailer, sectionLength, sectionVersionFor } from './section.js'
import { CompactReader, CompactWriter, intField, T_I32, T_I64 } from './thrift.js'
import type { DataFileWritten, IndexType, VectorFacts, VectorInput, WriteDataFileInput } from './types.js'
import { isFastScalar, writeScalarChunk } from './scalar-pages.js'
import { copyChunkWithCrc } from './page-crc.js'
import { decodeStoredVectors, encodeVectorValues, PAGE_TARGET_BYTES, rowBytes, writeVectorChunk, type PageLocation } from './vector-pages.js'

export const CREATED_BY = 'ailake version 0.1.0'
/** Key-value keys in the Parquet footer. */
export const KV_FORMAT_VERSION = 'ailake.format-version'
export const KV_SECTIONS = 'ailake.sections'
export const KV_ICEBERG_SCHEMA = 'iceberg.schema'

const MAX_ROW_GROUP_BYTES = 128 * 1024 * 1024
const SCALAR_PAGE_BYTES = 64 * 1024

export function offsetIndexBytes(pages: readonly PageLocation[]): Uint8Array {
  const w = new CompactWriter(16 + pages.length * 12)
  w.beginStructList(1, pages.length)
  for (const p of pages) {
    w.beginListStruct()
    w.int(1, T_I64, Number(p.offset))
    w.int(2, T_I32, p.compressed_page_size)
    w.int(3, T_I64, Number(p.first_row_index))
    w.endStruct()
  }
  return w.finish()
}

interface PendingIndex { chunk: ColumnChunk; offsetIndex?: { page_locations: PageLocation[] } }

export const PAR1 = 0x31524150

/** [offset, CRC-32C of the header bytes] of every page header in the row groups, in file order. */
function pageHeaderCrcs(file: Uint8Array, rowGroups: readonly RowGroup[]): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (const rg of rowGroups) {
    for (const c of rg.columns) {
      const md = c.meta_data
      if (md === undefined) continue
      const start = Number(md.dictionary_page_offset ?? md.data_page_offset)
      const end = start + Number(md.total_compressed_size)
      for (let at = start; at < end;) {
        const r = new CompactReader(file, 'page header', at)
        const size = intField(r.struct(), 3, 'page header')
        out.push([at, crc32c(file.subarray(at, r.offset))])
        at = r.offset + size
      }
    }
  }
  return out.sort((a, b) => a[0] - b[0])
}

function requiredVector(f: Field): Field {
  const t = f.type
  return { ...f, required: true, type: typeof t === 'object' && t.type === 'list' ? { ...t, elementRequired: true } : t }
}

/** One vector column of a file as the writer lays it out: its stored values, bounds and chunks. */
interface VectorPlan {
  input: VectorInput
  index: { type: 'hnsw'; bytes: Uint8Array; codes?: Uint8Array } | undefined
  field: Field
  /** Position of its chunk in every row group (its field's position in the schema). */
  leafIndex: number
  values: Uint8Array
  rb: number
  centroid: Float32Array
  radius: number
  chunkSizes: number[]
}

/** Checks one vector column's input against the schema and lays it out (`rowCount` rows, or any when undefined). */
function planVector(schema: Schema, input: VectorInput, index: VectorPlan['index'], rowCount: number | undefined): VectorPlan {
  const { dim, precision, metric } = input
  if (!Number.isInteger(dim) || dim < 1) throw invalid(`vector dim must be a positive integer, got ${dim}`, { dim })
  if (input.vectors.length % dim !== 0) throw invalid(`vector data of ${input.column} has ${input.vectors.length} values, not a multiple of dim ${dim}`)
  const rows = input.vectors.length / dim
  if (rows === 0) throw invalid('a data file needs at least one row')
  if (rowCount !== undefined && rows !== rowCount) throw invalid(`vector column ${input.column} has ${rows} vectors but the file has ${rowCount} rows`, { column: input.column })
  const field = schema.fields.find((f) => f.id === input.fieldId)
  if (field === undefined || field.name !== input.column) {
    throw new AilakeError('SCHEMA_MISMATCH', `vector column ${input.column} (field id ${input.fieldId}) is not in the schema`, { context: { column: input.column } })
  }
  checkVectorField(field, precision, dim)
  const rb = rowBytes(precision, dim)
  if (input.stored !== undefined && input.stored.length !== rows * rb) {
    throw invalid(`stored vector values of ${input.column} hold ${input.stored.length} bytes; ${rows} rows of ${rb} bytes need ${rows * rb}`)
  }
  const values = input.stored ?? encodeVectorValues(input.vectors, dim, precision)
  // Search scores the vectors as stored, which f16 and i8 move away from the input: the bounds
  // must contain those, or a file holding a top-k row can be pruned.
  const decoded = precision === 'f32' ? input.vectors : decodeStoredVectors(values, dim, precision)
  const { centroid, radius } = computeBounds(decoded, dim, metric)
  return { input, index, field, leafIndex: schema.fields.indexOf(field), values, rb, centroid, radius, chunkSizes: [] }
}

/** See `writeDataFile` in data-file.ts. */
export function writeDataFileImpl(input: WriteDataFileInput): DataFileWritten {
  const extra = input.extraVectors ?? []
  const vectorIds = new Set([input.vector.fieldId, ...extra.map((e) => e.vector.fieldId)])
  if (vectorIds.size !== 1 + extra.length) throw invalid('writeDataFile(): two vector columns share a field id')
  // A table another engine created may declare its vector column (or its elements) optional;
  // every row written here has a whole vector, so the file declares it required: stricter than
  // the table schema, which Iceberg allows.
  const schema = { ...input.schema, fields: input.schema.fields.map((f) => (vectorIds.has(f.id) ? requiredVector(f) : f)) }
  const primary = planVector(schema, input.vector, input.index, undefined)
  const rowCount = input.vector.vectors.length / input.vector.dim
  const vectors = [primary, ...extra.map((e) => planVector(schema, e.vector, e.index, rowCount))]
  const byLeaf = [...vectors].sort((a, b) => a.leafIndex - b.leafIndex)

  const scalar = schema.fields.filter((f) => !vectorIds.has(f.id)).map((f) => {
    const values = input.columns.get(f.id)
    if (values === undefined) {
      if (f.required) throw new AilakeError('SCHEMA_MISMATCH', `required column ${f.name} (field id ${f.id}) has no values`, { context: { field: f.name } })
      return { field: f, ...prepareColumn(f, new Array<null>(rowCount).fill(null)) }
    }
    if (values.length !== rowCount) {
      throw new AilakeError('SCHEMA_MISMATCH', `column ${f.name} has ${values.length} values but there are ${rowCount} vectors`, { context: { field: f.name } })
    }
    return { field: f, ...prepareColumn(f, values) }
  })

  const rb = vectors.reduce((a, v) => a + v.rb, 0)
  const groupRows = input.rowGroupRows ?? Math.min(1_000_000, Math.max(1, Math.floor(MAX_ROW_GROUP_BYTES / rb)))
  if (!Number.isInteger(groupRows) || groupRows < 1) throw invalid(`rowGroupRows must be a positive integer, got ${groupRows}`)

  const indexBytes = input.index?.bytes ?? new Uint8Array(0)
  const codesBytes = input.index?.codes !== undefined && input.index.codes.length > 0 ? input.index.codes : undefined

  const parquetSchema = toParquetSchema(schema)
  const partBytes = vectors.reduce((a, v) => a + v.values.length + (v.index?.bytes.length ?? 0) + (v.index?.codes?.length ?? 0), 0)
  // Sized for the whole file up front: growing copies it into fresh memory at the end (a 67 MB
  // copy for a 64 MiB flush of 784-d rows). Each vector page adds a header, levels, a page-index
  // and an integrity entry, under 192 bytes.
  const vectorPages = vectors.reduce((a, v) => a + Math.ceil(rowCount / Math.max(1, Math.floor(PAGE_TARGET_BYTES / v.rb))), 0)
  const w = new ByteWriter(partBytes + (input.text?.length ?? 0) + rowCount * 8 * (scalar.length + 2) + vectorPages * 192 + 64 * 1024)
  w.appendUint32(PAR1)
  const rowGroups: RowGroup[] = []
  const offsetIndexes: PendingIndex[] = []
  for (let start = 0; start < rowCount; start += groupRows) {
    const n = Math.min(groupRows, rowCount - start)
    const rg: RowGroup = { columns: [], num_rows: BigInt(n), total_byte_size: 0n, total_compressed_size: 0n }
    const chunks = new Map<number, ColumnChunk>()
    const add = (fieldId: number, chunk: ColumnChunk, pages: PageLocation[] | undefined, uncompressed: bigint, stored: number): void => {
      chunks.set(fieldId, chunk)
      rg.total_byte_size += uncompressed
      rg.total_compressed_size = (rg.total_compressed_size ?? 0n) + BigInt(stored)
      offsetIndexes.push(pages === undefined ? { chunk } : { chunk, offsetIndex: { page_locations: pages } })
    }
    const slow = scalar.filter((c) => !isFastScalar(c.field))
    if (slow.length > 0) {
      // hyparquet-writer writes page headers without a CRC: it writes into scratch bytes, and its
      // pages are copied into the file with one (page-crc.ts).
      const scratch = new ByteWriter()
      const spw = new ParquetWriter({ writer: scratch, schema: parquetSchema, codec: 'SNAPPY', createdBy: CREATED_BY })
      spw.write({
        columnData: slow.map((c) => ({
          name: c.field.name, data: c.data.slice(start, start + n) as never,
          codec: c.field.type === 'string' || c.field.type === 'binary' ? 'SNAPPY' : 'UNCOMPRESSED',
        })),
        rowGroupSize: n,
        // Small pages give every scalar chunk an offset index, so fetching a few rows reads a few pages.
        pageSize: SCALAR_PAGE_BYTES,
      })
      const src = scratch.getBytes()
      const written = spw.pendingIndexes as PendingIndex[]
      if (written.length !== slow.length || spw.row_groups.length !== 1) throw new AilakeError('INTERNAL', 'hyparquet-writer wrote an unexpected number of column chunks')
      slow.forEach((c, i) => {
        const w0 = written[i] as PendingIndex
        const copied = copyChunkWithCrc(src, w0.chunk, w0.offsetIndex?.page_locations, w)
        add(c.field.id, copied.chunk, copied.pages, copied.chunk.meta_data?.total_uncompressed_size ?? 0n, copied.totalBytes)
      })
    }
    for (const c of scalar) {
      if (!isFastScalar(c.field)) continue
      const sc = writeScalarChunk(w, c.field, c.data, start, n, SCALAR_PAGE_BYTES)
      add(c.field.id, sc.chunk, sc.pages, sc.chunk.meta_data?.total_uncompressed_size ?? 0n, sc.totalBytes)
    }
    rg.columns = schema.fields.filter((f) => !vectorIds.has(f.id)).map((f) => {
      const ch = chunks.get(f.id)
      if (ch === undefined) throw new AilakeError('INTERNAL', `no column chunk written for ${f.name}`)
      return ch
    })
    // In schema order, so each splice lands at its field's position.
    for (const v of byLeaf) {
      const { precision, dim, column } = v.input
      const written = writeVectorChunk(w, v.values.subarray(start * v.rb, (start + n) * v.rb), n, dim, precision)
      const chunk: ColumnChunk = {
        file_offset: BigInt(written.dataPageOffset),
        meta_data: {
          type: precision === 'f32' ? 'FLOAT' : 'FIXED_LEN_BYTE_ARRAY',
          encodings: precision === 'f32' ? ['PLAIN', 'RLE'] : ['PLAIN'],
          path_in_schema: precision === 'f32' ? [column, 'list', 'element'] : [column],
          codec: 'UNCOMPRESSED',
          num_values: BigInt(written.numValues),
          total_uncompressed_size: BigInt(written.totalBytes),
          total_compressed_size: BigInt(written.totalBytes),
          data_page_offset: BigInt(written.dataPageOffset),
        },
      }
      rg.columns.splice(v.leafIndex, 0, chunk)
      rg.total_byte_size += BigInt(written.totalBytes)
      rg.total_compressed_size = (rg.total_compressed_size ?? 0n) + BigInt(written.totalBytes)
      v.chunkSizes.push(written.totalBytes)
      offsetIndexes.push({ chunk, offsetIndex: { page_locations: written.pages } })
    }
    rowGroups.push(rg)
  }

  // Everything after the row groups is laid out before it is written: the section records the
  // CRC-32C of the footer, and the footer records where the sections and the offset indexes are.
  const integrity = pageHeaderCrcs(w.getBytes(), rowGroups)
  const indexes = offsetIndexes.flatMap((p) => (p.offsetIndex === undefined ? [] : [{ chunk: p.chunk, bytes: offsetIndexBytes(p.offsetIndex.page_locations) }]))
  const sectionOffset = w.offset
  const textBytes = input.text !== undefined && input.text.length > 0 ? input.text : undefined
  const indexType = input.index === undefined ? 'none' : 'hnsw'
  const length = sectionLength({ column: primary.input.column, dim: primary.input.dim, indexType, entryCount: integrity.length + indexes.length, indexLength: indexBytes.length, codesLength: codesBytes?.length ?? 0, textLength: textBytes?.length ?? 0 })
  // The column sections of the other vector columns follow the first, back to back.
  const columnSections = vectors.slice(1).map((v) => {
    const section = encodeSection({
      column: v.input.column, fieldId: v.input.fieldId, dim: v.input.dim, metric: v.input.metric, precision: v.input.precision, rowCount,
      centroid: v.centroid, radius: v.radius, indexType: v.index === undefined ? 'none' : 'hnsw', indexBytes: v.index?.bytes ?? new Uint8Array(0),
      ...(v.index?.codes === undefined || v.index.codes.length === 0 ? {} : { codesBytes: v.index.codes }),
      integrity: undefined,
    })
    return { v, section }
  })
  const facts: VectorFacts[] = []
  let at = sectionOffset + length
  const sectionEntries = [{ column: primary.input.column, fieldId: primary.input.fieldId, offset: sectionOffset, length }]
  for (const { v, section } of columnSections) {
    sectionEntries.push({ column: v.input.column, fieldId: v.input.fieldId, offset: at, length: section.length })
    facts.push(factsOf(v, rowCount, v.index === undefined ? 'none' : 'hnsw', at, section.length))
    at += section.length
  }
  const sectionsLength = at - sectionOffset
  // Offset indexes go after the sections so the trailer can sit right before the footer.
  for (const { chunk, bytes } of indexes) {
    chunk.offset_index_offset = BigInt(at)
    chunk.offset_index_length = bytes.length
    integrity.push([at, crc32c(bytes)])
    at += bytes.length
  }
  const kv: KeyValue[] = [
    { key: KV_ICEBERG_SCHEMA, value: icebergSchemaJson(schema) },
    { key: KV_FORMAT_VERSION, value: String(extra.length > 0 ? COLUMN_SECTION_VERSION : sectionVersionFor(indexType, textBytes?.length ?? 0)) },
    { key: KV_SECTIONS, value: JSON.stringify(sectionEntries) },
  ]
  const footer = new ByteWriter(4096)
  writeMetadata(footer, {
    version: 2, created_by: CREATED_BY, schema: parquetSchema, num_rows: BigInt(rowCount), row_groups: rowGroups, key_value_metadata: kv, metadata_length: 0,
  })
  const footerBytes = footer.getBytes() // the FileMetaData thrift, then its u32 length
  const { dim, metric, precision } = primary.input
  const section = encodeSection({
    column: primary.input.column, fieldId: primary.input.fieldId, dim, metric, precision, rowCount, centroid: primary.centroid, radius: primary.radius,
    indexType, indexBytes,
    ...(textBytes === undefined ? {} : { textBytes }),
    ...(codesBytes === undefined ? {} : { codesBytes }),
    integrity: { footerCrc: crc32c(footerBytes.subarray(0, footerBytes.length - 4)), entries: integrity },
  })
  if (section.length !== length) throw new AilakeError('INTERNAL', `section is ${section.length} bytes, laid out as ${length}`)
  w.appendBytes(section)
  for (const c of columnSections) w.appendBytes(c.section)
  for (const { bytes } of indexes) w.appendBytes(bytes)
  w.appendBytes(encodeTrailer({ sectionsOffset: sectionOffset, sectionsLength, count: 1 + extra.length }))
  w.appendBytes(footerBytes)
  w.appendUint32(PAR1)
  const all = w.getBytes()
  const bytes = all.buffer.byteLength > all.length * 1.1 ? all.slice() : all

  const columnStats: ColumnStats[] = []
  for (const f of schema.fields) {
    const v = vectors.find((x) => x.field.id === f.id)
    if (v !== undefined) {
      const size = v.chunkSizes.reduce((a, b) => a + b, 0)
      columnStats.push({ fieldId: f.id, valueCount: v.input.precision === 'f32' ? rowCount * v.input.dim : rowCount, nullCount: 0, sizeBytes: size })
      continue
    }
    const c = scalar.find((s) => s.field.id === f.id)
    if (c === undefined) continue
    const idx = schema.fields.indexOf(f)
    let size = 0
    for (const rg of rowGroups) size += Number(rg.columns[idx]?.meta_data?.total_compressed_size ?? 0n)
    columnStats.push({ ...c.stats, sizeBytes: size })
  }
  return { bytes, rowCount, fileSize: bytes.length, columnStats, vector: factsOf(primary, rowCount, indexType, sectionOffset, length), extraVectors: facts }
}

function factsOf(v: VectorPlan, rowCount: number, indexType: IndexType, sectionOffset: number, sectionLength: number): VectorFacts {
  const { column, fieldId, dim, metric, precision } = v.input
  return { column, fieldId, dim, metric, precision, rowCount, centroid: v.centroid, radius: v.radius, indexType, sectionOffset, sectionLength }
}
