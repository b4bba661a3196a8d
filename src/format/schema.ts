/**
 * The table schema model shared by the Parquet data-file codec and the Iceberg metadata codec.
 * Types follow Iceberg's primitive types; every field carries its Iceberg field id.
 *
 * JS value of each type, in rows and columns:
 * boolean → boolean; int, float, double → number; long → bigint (number accepted on write);
 * string → string; binary, fixed → Uint8Array; date, timestamp, timestamptz → Date.
 */

export type PrimitiveType =
  | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'string' | 'binary'
  | 'date' | 'timestamp' | 'timestamptz'

/** A list of primitives: how an f32 vector column is typed (`list<float>`, element required). */
export interface ListType {
  type: 'list'
  elementId: number
  element: PrimitiveType
  elementRequired: boolean
}

/** Fixed-length bytes (`fixed[length]` in Iceberg): how f16 and i8 vector columns are typed. */
export interface FixedType {
  type: 'fixed'
  length: number
}

export type FieldType = PrimitiveType | ListType | FixedType

export interface Field {
  id: number
  /** Case-sensitive: `docId` stays `docId`. */
  name: string
  type: FieldType
  required: boolean
  doc?: string
}

export interface Schema {
  schemaId: number
  fields: Field[]
}

/** Per-column statistics of one data file, keyed by field id (feeds Iceberg manifest metrics). */
export interface ColumnStats {
  fieldId: number
  /** Values in the column, nulls included (for lists: element count). */
  valueCount: number
  nullCount: number
  /** NaN values (float and double columns only; they are left out of `lower` / `upper`). */
  nanCount?: number
  /** Compressed bytes of the column chunk(s) on disk. */
  sizeBytes: number
  /** Smallest non-null, non-NaN value, in the JS representation of the column type; absent if unknown. */
  lower?: unknown
  upper?: unknown
}

/** The largest field id used anywhere in `fields` (list element ids included). */
export function maxFieldId(fields: readonly Field[]): number {
  let max = 0
  for (const f of fields) {
    max = Math.max(max, f.id)
    if (typeof f.type === 'object' && f.type.type === 'list') max = Math.max(max, f.type.elementId)
  }
  return max
}
