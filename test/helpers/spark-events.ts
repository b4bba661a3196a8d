/**
 * A table as Spark would create it for tests that adopt another engine's table: `id int, tag
 * string, embedding list<float>`, no ailake properties, and its Parquet data files as Spark
 * writes them (hyparquet-writer, field ids on the columns, 3-level list).
 */
import { parquetWriteBuffer } from 'hyparquet-writer'
import type { Schema } from '../../src/format/schema.js'

export const SPARK_EVENTS_SCHEMA: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', type: 'int', required: false },
    { id: 2, name: 'tag', type: 'string', required: false },
    { id: 3, name: 'embedding', type: { type: 'list', elementId: 4, element: 'float', elementRequired: true }, required: false },
  ],
}

/** A data file of `SPARK_EVENTS_SCHEMA` rows. */
export function sparkEventsFile(ids: number[], tags: string[], vectors: number[][]): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({
    schema: [
      { name: 'root', num_children: 3 },
      { name: 'id', type: 'INT32', repetition_type: 'OPTIONAL', field_id: 1 },
      { name: 'tag', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL', field_id: 2 },
      { name: 'embedding', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST', field_id: 3 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED', field_id: 4 },
    ],
    columnData: [{ name: 'id', data: ids }, { name: 'tag', data: tags }, { name: 'embedding', data: vectors }],
  }))
}
