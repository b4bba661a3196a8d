/**
 * Writes one data file in one pass: row groups (scalar columns through hyparquet-writer, the
 * vector column as hand-written pages), the ailake section, all offset indexes, the trailer,
 * then hyparquet-writer's footer with the section offsets in its key-value metadata.
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer'
import type { ColumnChunk, KeyValue } from 'hyparquet'
import { AilakeError, invalid } from '../../errors.js'
import { computeBounds } from '../../vector/bounds.js'
import type { ColumnStats } from '../schema.js'
import { icebergSchemaJson, checkVectorField, prepareColumn, toParquetSchema } from './schema-map.js'
import { encodeSection, encodeTrailer } from './section.js'
import { CompactWriter, T_I32, T_I64 } from './thrift.js'
import type { DataFileWritten, VectorFacts, WriteDataFileInput } from './types.js'
import { isFastScalar, writeScalarChunk } from './scalar-pages.js'
import { decodeStoredVectors, encodeVectorValues, rowBytes, writeVectorChunk, type PageLocation } from './vector-pages.js'

export const CREATED_BY = 'ailake version 0.1.0'
/** Key-value keys in the Parquet footer. */
export const KV_FORMAT_VERSION = 'ailake.format-version'
export const KV_SECTIONS = 'ailake.sections'
export const KV_ICEBERG_SCHEMA = 'iceberg.schema'

const MAX_ROW_GROUP_BYTES = 128 * 1024 * 1024
const SCALAR_PAGE_BYTES = 64 * 1024

function offsetIndexBytes(pages: readonly PageLocation[]): Uint8Array {
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

/** See `writeDataFile` in data-file.ts. */
export function writeDataFileImpl(input: WriteDataFileInput): DataFileWritten {
  const { schema, vector } = input
  const { dim, precision, metric } = vector
  if (!Number.isInteger(dim) || dim < 1) throw invalid(`vector dim must be a positive integer, got ${dim}`, { dim })
  if (vector.vectors.length % dim !== 0) throw invalid(`vector data has ${vector.vectors.length} values, not a multiple of dim ${dim}`)
  const rowCount = vector.vectors.length / dim
  if (rowCount === 0) throw invalid('a data file needs at least one row')
  const vField = schema.fields.find((f) => f.id === vector.fieldId)
  if (vField === undefined || vField.name !== vector.column) {
    throw new AilakeError('SCHEMA_MISMATCH', `vector column ${vector.column} (field id ${vector.fieldId}) is not in the schema`, { context: { column: vector.column } })
  }
  checkVectorField(vField, precision, dim)

  const scalar = schema.fields.filter((f) => f.id !== vector.fieldId).map((f) => {
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

  const values = encodeVectorValues(vector.vectors, dim, precision)
  const rb = rowBytes(precision, dim)
  const groupRows = input.rowGroupRows ?? Math.min(1_000_000, Math.max(1, Math.floor(MAX_ROW_GROUP_BYTES / rb)))
  if (!Number.isInteger(groupRows) || groupRows < 1) throw invalid(`rowGroupRows must be a positive integer, got ${groupRows}`)

  // Search scores the vectors as stored, which f16 and i8 move away from the input: the bounds
  // must contain those, or a file holding a top-k row can be pruned.
  const stored = precision === 'f32' ? vector.vectors : decodeStoredVectors(values, dim, precision)
  const { centroid, radius } = computeBounds(stored, dim, metric)
  const indexBytes = input.index?.bytes ?? new Uint8Array(0)
  const section = encodeSection({
    column: vector.column, fieldId: vector.fieldId, dim, metric, precision, rowCount, centroid, radius,
    indexType: input.index === undefined ? 'none' : 'hnsw', indexBytes,
  })

  const parquetSchema = toParquetSchema(schema)
  const w = new ByteWriter(values.length + section.length + rowCount * 8 * (scalar.length + 2) + 64 * 1024)
  const kv: KeyValue[] = [{ key: KV_ICEBERG_SCHEMA, value: icebergSchemaJson(schema) }, { key: KV_FORMAT_VERSION, value: '1' }]
  const pw = new ParquetWriter({ writer: w, schema: parquetSchema, codec: 'SNAPPY', kvMetadata: kv, createdBy: CREATED_BY })
  const vectorLeafIndex = schema.fields.indexOf(vField)
  const vectorPath = precision === 'f32' ? [vector.column, 'list', 'element'] : [vector.column]
  const vectorChunkSizes: number[] = []
  for (let start = 0; start < rowCount; start += groupRows) {
    const n = Math.min(groupRows, rowCount - start)
    const slow = scalar.filter((c) => !isFastScalar(c.field))
    if (slow.length > 0) {
      pw.write({
        columnData: slow.map((c) => ({
          name: c.field.name, data: c.data.slice(start, start + n) as never,
          codec: c.field.type === 'string' || c.field.type === 'binary' ? 'SNAPPY' : 'UNCOMPRESSED',
        })),
        rowGroupSize: n,
        // Small pages give every scalar chunk an offset index, so fetching a few rows reads a few pages.
        pageSize: SCALAR_PAGE_BYTES,
      })
    } else {
      pw.row_groups.push({ columns: [], num_rows: BigInt(n), total_byte_size: 0n, total_compressed_size: 0n })
      pw.num_rows += BigInt(n)
    }
    const rg = pw.row_groups[pw.row_groups.length - 1]
    if (rg === undefined) throw new AilakeError('INTERNAL', 'row group missing after write')
    // hyparquet-writer wrote the other columns in schema order; ours join them by field id.
    const chunks = new Map<number, ColumnChunk>()
    slow.forEach((c, i) => { const ch = rg.columns[i]; if (ch !== undefined) chunks.set(c.field.id, ch) })
    for (const c of scalar) {
      if (!isFastScalar(c.field)) continue
      const sc = writeScalarChunk(w, c.field, c.data, start, n, SCALAR_PAGE_BYTES)
      chunks.set(c.field.id, sc.chunk)
      rg.total_byte_size += BigInt(sc.totalBytes)
      rg.total_compressed_size = (rg.total_compressed_size ?? 0n) + BigInt(sc.totalBytes)
      ;(pw.pendingIndexes as PendingIndex[]).push({ chunk: sc.chunk, offsetIndex: { page_locations: sc.pages } })
    }
    rg.columns = schema.fields.filter((f) => f.id !== vector.fieldId).map((f) => {
      const ch = chunks.get(f.id)
      if (ch === undefined) throw new AilakeError('INTERNAL', `no column chunk written for ${f.name}`)
      return ch
    })
    const written = writeVectorChunk(w, values.subarray(start * rb, (start + n) * rb), n, dim, precision)
    const chunk: ColumnChunk = {
      file_offset: BigInt(written.dataPageOffset),
      meta_data: {
        type: precision === 'f32' ? 'FLOAT' : 'FIXED_LEN_BYTE_ARRAY',
        encodings: precision === 'f32' ? ['PLAIN', 'RLE'] : ['PLAIN'],
        path_in_schema: vectorPath,
        codec: 'UNCOMPRESSED',
        num_values: BigInt(written.numValues),
        total_uncompressed_size: BigInt(written.totalBytes),
        total_compressed_size: BigInt(written.totalBytes),
        data_page_offset: BigInt(written.dataPageOffset),
      },
    }
    rg.columns.splice(vectorLeafIndex, 0, chunk)
    rg.total_byte_size += BigInt(written.totalBytes)
    rg.total_compressed_size = (rg.total_compressed_size ?? 0n) + BigInt(written.totalBytes)
    vectorChunkSizes.push(written.totalBytes)
    ;(pw.pendingIndexes as PendingIndex[]).push({ chunk, offsetIndex: { page_locations: written.pages } })
  }

  const sectionOffset = w.offset
  w.appendBytes(section)
  // Offset indexes go after the section so the trailer can sit right before the footer.
  for (const p of pw.pendingIndexes as PendingIndex[]) {
    if (p.offsetIndex === undefined) continue
    const b = offsetIndexBytes(p.offsetIndex.page_locations)
    p.chunk.offset_index_offset = BigInt(w.offset)
    p.chunk.offset_index_length = b.length
    w.appendBytes(b)
  }
  pw.pendingIndexes = []
  const facts: VectorFacts = {
    column: vector.column, fieldId: vector.fieldId, dim, metric, precision, rowCount, centroid, radius,
    indexType: input.index === undefined ? 'none' : 'hnsw', sectionOffset, sectionLength: section.length,
  }
  kv.push({ key: KV_SECTIONS, value: JSON.stringify([{ column: vector.column, fieldId: vector.fieldId, offset: sectionOffset, length: section.length }]) })
  w.appendBytes(encodeTrailer({ sectionsOffset: sectionOffset, sectionsLength: section.length, count: 1 }))
  pw.finish()
  const all = w.getBytes()
  const bytes = all.buffer.byteLength > all.length * 1.1 ? all.slice() : all

  const columnStats: ColumnStats[] = []
  for (const f of schema.fields) {
    if (f.id === vector.fieldId) {
      const size = vectorChunkSizes.reduce((a, b) => a + b, 0)
      columnStats.push({ fieldId: f.id, valueCount: precision === 'f32' ? rowCount * dim : rowCount, nullCount: 0, sizeBytes: size })
      continue
    }
    const c = scalar.find((s) => s.field.id === f.id)
    if (c === undefined) continue
    const idx = schema.fields.indexOf(f)
    let size = 0
    for (const rg of pw.row_groups) size += Number(rg.columns[idx]?.meta_data?.total_compressed_size ?? 0n)
    columnStats.push({ ...c.stats, sizeBytes: size })
  }
  return { bytes, rowCount, fileSize: bytes.length, columnStats, vector: facts }
}
