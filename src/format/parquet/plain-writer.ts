/**
 * Writes a Parquet file of scalar columns with no vector column and no ailake section: Iceberg
 * position delete files. Same pages as data files (each with its CRC), offset indexes, field ids
 * and the Iceberg schema in the footer, so every engine reads it.
 */
import { ByteWriter } from 'hyparquet-writer'
import { writeMetadata } from 'hyparquet-writer/src/metadata.js'
import type { ColumnChunk, RowGroup } from 'hyparquet'
import { AilakeError, invalid } from '../../errors.js'
import type { ColumnStats, Schema } from '../schema.js'
import { icebergSchemaJson, prepareColumn, toParquetSchema } from './schema-map.js'
import { isFastScalar, writeScalarChunk } from './scalar-pages.js'
import { CREATED_BY, KV_ICEBERG_SCHEMA, offsetIndexBytes, PAR1 } from './writer.js'
import type { PageLocation } from './vector-pages.js'

export interface PlainFileWritten {
  bytes: Uint8Array
  rowCount: number
  columnStats: ColumnStats[]
}

/** One row group holding `columns` (by field id, `rowCount` values each) under `schema`. */
export function writePlainFile(schema: Schema, columns: Map<number, readonly unknown[]>, rowCount: number): PlainFileWritten {
  if (!Number.isInteger(rowCount) || rowCount < 1) throw invalid(`a Parquet file needs at least one row, got ${rowCount}`)
  const w = new ByteWriter(64 + rowCount * 16 * schema.fields.length)
  w.appendUint32(PAR1)
  const chunks: ColumnChunk[] = []
  const indexes: Array<{ chunk: ColumnChunk; pages: PageLocation[] }> = []
  const columnStats: ColumnStats[] = []
  let totalBytes = 0n
  for (const field of schema.fields) {
    if (!isFastScalar(field)) throw new AilakeError('INTERNAL', `writePlainFile: column ${field.name} of type ${JSON.stringify(field.type)} is not supported`)
    const values = columns.get(field.id)
    if (values === undefined || values.length !== rowCount) throw new AilakeError('INTERNAL', `writePlainFile: column ${field.name} needs ${rowCount} values`)
    const { data, stats } = prepareColumn(field, values)
    const written = writeScalarChunk(w, field, data, 0, rowCount, 64 * 1024)
    chunks.push(written.chunk)
    indexes.push({ chunk: written.chunk, pages: written.pages })
    totalBytes += written.chunk.meta_data?.total_uncompressed_size ?? 0n
    columnStats.push({ ...stats, sizeBytes: written.totalBytes })
  }
  for (const { chunk, pages } of indexes) {
    const bytes = offsetIndexBytes(pages)
    chunk.offset_index_offset = BigInt(w.offset)
    chunk.offset_index_length = bytes.length
    w.appendBytes(bytes)
  }
  const rowGroup: RowGroup = { columns: chunks, num_rows: BigInt(rowCount), total_byte_size: totalBytes }
  writeMetadata(w, {
    version: 2, created_by: CREATED_BY, schema: toParquetSchema(schema), num_rows: BigInt(rowCount), row_groups: [rowGroup],
    key_value_metadata: [{ key: KV_ICEBERG_SCHEMA, value: icebergSchemaJson(schema) }], metadata_length: 0,
  })
  w.appendUint32(PAR1)
  return { bytes: w.getBytes().slice(), rowCount, columnStats }
}
