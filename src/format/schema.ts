/**
 * The table schema model shared by the Parquet data-file codec and the Iceberg metadata codec.
 * Types follow Iceberg's primitive types; every field carries its Iceberg field id.
 *
 * JS value of each type, in rows and columns:
 * boolean → boolean; int, float, double → number; long → bigint (number accepted on write);
 * string → string; binary, fixed → Uint8Array; date, timestamp, timestamptz → Date;
 * time → `"HH:MM:SS.ffffff"`; uuid → lowercase canonical text (util/uuid-time.ts);
 * decimal(P, S) → its canonical decimal string, exactly S fraction digits (`"-12.50"`; a decimal
 * string, a number or a bigint accepted on write, never rounded; see util/decimal.ts).
 */
import { AilakeError } from '../errors.js'
import { MAX_DECIMAL_PRECISION } from '../util/decimal.js'

/** `decimal(P, S)`, spelled as Iceberg's Java and Python libraries write it (one space). */
export type DecimalType = `decimal(${number}, ${number})`

/** How a decimal type may be named on input: with or without the space (`decimal(10,2)`). */
export type DecimalTypeInput = DecimalType | `decimal(${number},${number})`

export type PrimitiveType =
  | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'string' | 'binary'
  | 'date' | 'timestamp' | 'timestamptz' | 'time' | 'uuid' | DecimalType

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/
const decimalCache = new Map<string, { precision: number; scale: number } | null>()

/**
 * Precision and scale of a decimal type name (any spacing, as Iceberg's parsers accept), or
 * undefined for other types. Throws `INVALID_ARGUMENT` for a decimal Iceberg does not allow
 * (precision 1..38, scale 0..precision).
 */
export function decimalOf(type: FieldType | string): { precision: number; scale: number } | undefined {
  if (typeof type !== 'string' || !type.startsWith('decimal')) return undefined
  let d = decimalCache.get(type)
  if (d === undefined) {
    const m = DECIMAL.exec(type)
    d = m === null ? null : { precision: Number(m[1]), scale: Number(m[2]) }
    if (d !== null && (d.precision < 1 || d.precision > MAX_DECIMAL_PRECISION || d.scale > d.precision)) {
      throw new AilakeError('INVALID_ARGUMENT', `${type} is not a valid Iceberg decimal: precision must be 1..${MAX_DECIMAL_PRECISION} and scale 0..precision`, { context: { type } })
    }
    decimalCache.set(type, d)
  }
  return d ?? undefined
}

/** The canonical name of decimal(P, S). */
export function decimalType(precision: number, scale: number): DecimalType {
  return `decimal(${precision}, ${scale})`
}

/** The scalar types a column may be declared with, decimals aside (`decimal(P, S)`). */
export const SCALAR_TYPES: readonly PrimitiveType[] = ['boolean', 'int', 'long', 'float', 'double', 'string', 'binary', 'date', 'timestamp', 'timestamptz', 'time', 'uuid']

/**
 * The scalar type a user-given name declares, decimals in canonical spelling (`decimal(10,2)`
 * is `decimal(10, 2)`), or undefined when it names none; an out-of-range decimal throws
 * `INVALID_ARGUMENT`.
 */
export function scalarTypeOf(name: unknown): PrimitiveType | undefined {
  if (typeof name !== 'string') return undefined
  if ((SCALAR_TYPES as readonly string[]).includes(name)) return name as PrimitiveType
  const d = decimalOf(name)
  return d === undefined ? undefined : decimalType(d.precision, d.scale)
}

/** True when `t` is a decimal type name. */
export function isDecimalType(t: FieldType | string): t is DecimalType {
  return decimalOf(t) !== undefined
}

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

/**
 * True when values written as `from` read as `to` under Iceberg's type promotion: the same type,
 * int → long, float → double, or decimal(P, S) → decimal(P', S) with P' >= P. Other changes would make old files unreadable.
 */
export function promotable(from: FieldType, to: FieldType): boolean {
  if (typeof from === 'object' || typeof to === 'object') {
    if (typeof from !== 'object' || typeof to !== 'object') return false
    if (from.type === 'list') return to.type === 'list' && from.elementId === to.elementId && from.element === to.element && from.elementRequired === to.elementRequired
    return to.type === 'fixed' && from.length === to.length
  }
  if (from === to || (from === 'int' && to === 'long') || (from === 'float' && to === 'double')) return true
  // decimal(P, S) widens to decimal(P', S) for P' >= P: the unscaled values are unchanged.
  const a = decimalOf(from)
  const b = decimalOf(to)
  return a !== undefined && b !== undefined && a.scale === b.scale && b.precision >= a.precision
}

/** One column of a read schema as a file holds it: under `source` (its name in the file), or absent (reads as null). */
export interface ProjectedColumn {
  /** The name in the read schema. */
  name: string
  /** The column's name in the file, or undefined when the file predates the column. */
  source?: string
  /** Widens a stored value to the read type (int → long); undefined when values read as they are. */
  widen?: (v: unknown) => unknown
  /** For a column the file lacks: the value every row reads as (its identity partition value), else null. */
  constant?: unknown
}

/**
 * How columns `names` of schema `read` are found in a file written with schema `file`: by field
 * id, as Iceberg resolves columns, so a renamed column keeps its data, a dropped one is not
 * read, one added after the file was written reads as null and a widened one widens. A column
 * the file lacks reads as its value in `identity` (field id → the file's identity partition
 * value) when there is one, as the spec says (writers may leave such columns out of the file). A file
 * column whose type cannot be promoted to the read type is `SCHEMA_MISMATCH` (never a
 * misread value).
 */
export function projectColumns(file: Schema, read: Schema, names: readonly string[], identity?: ReadonlyMap<number, unknown>): ProjectedColumn[] {
  const byId = new Map(file.fields.map((f) => [f.id, f]))
  return names.map((name) => {
    const r = read.fields.find((f) => f.name === name)
    if (r === undefined) throw new AilakeError('NOT_FOUND', `column ${JSON.stringify(name)} is not in the schema read; columns: ${read.fields.map((f) => f.name).join(', ')}`, { context: { column: name } })
    const f = byId.get(r.id)
    if (f === undefined) {
      const constant = identity?.get(r.id)
      return constant === undefined || constant === null ? { name } : { name, constant }
    }
    if (!promotable(f.type, r.type)) {
      throw new AilakeError('SCHEMA_MISMATCH', `column ${JSON.stringify(name)} (field id ${r.id}) is ${typeName(r.type)} in the table but ${typeName(f.type)} in the data file, which Iceberg cannot promote; the file was written for another table or is corrupt`, {
        context: { column: name, fieldId: r.id },
      })
    }
    return f.type === 'int' && r.type === 'long' ? { name, source: f.name, widen: toLong } : { name, source: f.name }
  })
}

function toLong(v: unknown): unknown {
  return typeof v === 'number' ? BigInt(v) : v
}

/** A type as Iceberg writes it (`long`, `list<float>`, `fixed[8]`). */
export function typeName(t: FieldType): string {
  if (typeof t === 'string') return t
  return t.type === 'list' ? `list<${t.element}>` : `fixed[${t.length}]`
}
