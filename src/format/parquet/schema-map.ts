/**
 * Mapping between ailake's schema model (Iceberg types with field ids) and Parquet schema
 * elements, plus per-column value checks and statistics.
 */
import type { SchemaElement } from 'hyparquet'
import { AilakeError, corrupt } from '../../errors.js'
import { decimalOf, decimalType, type ColumnStats, type Field, type FieldType, type PrimitiveType, type Schema } from '../schema.js'
import { decimalFixedLength, decimalText, tryUnscaled } from '../../util/decimal.js'
import { timeMicros, timeText, uuidText } from '../../util/uuid-time.js'
import type { Precision } from '../../vector/types.js'
import { compareUtf8 } from '../../util/utf8-order.js'
import { rowBytes } from './vector-pages.js'

function primitiveElement(name: string, t: PrimitiveType, required: boolean, id: number): SchemaElement {
  const repetition_type = required ? 'REQUIRED' : 'OPTIONAL'
  const base = { name, repetition_type, field_id: id } as const
  switch (t) {
    case 'boolean': return { ...base, type: 'BOOLEAN' }
    case 'int': return { ...base, type: 'INT32' }
    case 'long': return { ...base, type: 'INT64' }
    case 'float': return { ...base, type: 'FLOAT' }
    case 'double': return { ...base, type: 'DOUBLE' }
    case 'string': return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } }
    case 'binary': return { ...base, type: 'BYTE_ARRAY' }
    case 'date': return { ...base, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } }
    case 'timestamp':
    case 'timestamptz':
      return {
        ...base, type: 'INT64', converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: t === 'timestamptz', unit: 'MICROS' },
      }
    case 'time': return { ...base, type: 'INT64', converted_type: 'TIME_MICROS', logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' } }
    case 'uuid': return { ...base, type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' } }
  }
  return decimalElement(base, t)
}

/**
 * decimal(P, S) as Iceberg's Parquet mapping stores it: INT32 up to 9 digits, INT64 up to 18,
 * else FIXED_LEN_BYTE_ARRAY of the fewest bytes that hold P digits.
 */
function decimalElement(base: { name: string; repetition_type: 'REQUIRED' | 'OPTIONAL'; field_id: number }, t: PrimitiveType): SchemaElement {
  const d = decimalOf(t)
  if (d === undefined) throw new AilakeError('INTERNAL', `no Parquet mapping for type ${t}`)
  const { precision, scale } = d
  const logical = { converted_type: 'DECIMAL', precision, scale, logical_type: { type: 'DECIMAL', precision, scale } } as const
  if (precision <= 9) return { ...base, type: 'INT32', ...logical }
  if (precision <= 18) return { ...base, type: 'INT64', ...logical }
  return { ...base, type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalFixedLength(precision), ...logical }
}

/** Parquet schema elements for `schema`, in field order; lists use the standard 3-level layout. */
export function toParquetSchema(schema: Schema): SchemaElement[] {
  const out: SchemaElement[] = [{ name: 'schema', num_children: schema.fields.length }]
  for (const f of schema.fields) {
    const t = f.type
    if (typeof t === 'string') {
      out.push(primitiveElement(f.name, t, f.required, f.id))
    } else if (t.type === 'fixed') {
      out.push({ name: f.name, type: 'FIXED_LEN_BYTE_ARRAY', type_length: t.length, repetition_type: f.required ? 'REQUIRED' : 'OPTIONAL', field_id: f.id })
    } else {
      out.push({ name: f.name, repetition_type: f.required ? 'REQUIRED' : 'OPTIONAL', num_children: 1, converted_type: 'LIST', logical_type: { type: 'LIST' }, field_id: f.id })
      out.push({ name: 'list', repetition_type: 'REPEATED', num_children: 1 })
      out.push(primitiveElement('element', t.element, t.elementRequired, t.elementId))
    }
  }
  return out
}

function icebergType(t: FieldType): unknown {
  if (typeof t === 'string') return t
  if (t.type === 'fixed') return `fixed[${t.length}]`
  return { type: 'list', 'element-id': t.elementId, element: t.element, 'element-required': t.elementRequired }
}

/** The Iceberg schema JSON that Iceberg writers put in the `iceberg.schema` key. */
export function icebergSchemaJson(schema: Schema): string {
  return JSON.stringify({
    type: 'struct', 'schema-id': schema.schemaId,
    fields: schema.fields.map((f) => ({ id: f.id, name: f.name, required: f.required, type: icebergType(f.type), ...(f.doc === undefined ? {} : { doc: f.doc }) })),
  })
}

function primitiveFromElement(e: SchemaElement): PrimitiveType {
  const lt = e.logical_type?.type
  if (lt === 'DECIMAL' || e.converted_type === 'DECIMAL') {
    const precision = e.logical_type?.type === 'DECIMAL' ? e.logical_type.precision : e.precision
    const scale = e.logical_type?.type === 'DECIMAL' ? e.logical_type.scale : e.scale ?? 0
    if (precision === undefined) throw corrupt(`Parquet column ${e.name} is a DECIMAL without a precision`)
    if (!(precision >= 1 && precision <= 38 && scale >= 0 && scale <= precision)) throw corrupt(`Parquet column ${e.name} is DECIMAL(${precision}, ${scale}), outside Iceberg's precision 1..38, scale 0..precision`)
    return decimalType(precision, scale)
  }
  if (lt === 'UUID') return 'uuid'
  if (lt === 'TIME' || e.converted_type === 'TIME_MICROS') {
    if (e.type !== 'INT64' || (e.logical_type?.type === 'TIME' && e.logical_type.unit !== 'MICROS')) throw new AilakeError('UNSUPPORTED', `Parquet column ${e.name} is a TIME other than INT64 microseconds, which Iceberg's time is not`)
    return 'time'
  }
  switch (e.type) {
    case 'BOOLEAN': return 'boolean'
    case 'INT32': return lt === 'DATE' || e.converted_type === 'DATE' ? 'date' : 'int'
    case 'INT64':
      if (e.logical_type?.type === 'TIMESTAMP') return e.logical_type.isAdjustedToUTC ? 'timestamptz' : 'timestamp'
      if (e.converted_type === 'TIMESTAMP_MICROS') return 'timestamptz'
      return 'long'
    case 'FLOAT': return 'float'
    case 'DOUBLE': return 'double'
    case 'BYTE_ARRAY': return lt === 'STRING' || e.converted_type === 'UTF8' ? 'string' : 'binary'
    default:
      throw new AilakeError('UNSUPPORTED', `Parquet column ${e.name} has physical type ${String(e.type)}, which ailake does not map to an Iceberg type`)
  }
}

function fieldId(e: SchemaElement): number {
  if (typeof e.field_id !== 'number') throw corrupt(`Parquet column ${e.name} has no field id; ailake data files carry Iceberg field ids on every column`)
  return e.field_id
}

/** Rebuilds the schema from Parquet elements (flat primitives, fixed, and 3-level lists). */
export function fromParquetSchema(elements: readonly SchemaElement[], schemaId: number): Schema {
  const root = elements[0]
  if (root === undefined) throw corrupt('Parquet schema is empty')
  const fields: Field[] = []
  let i = 1
  const n = root.num_children ?? 0
  for (let c = 0; c < n; c++) {
    const e = elements[i]
    if (e === undefined) throw corrupt('Parquet schema has fewer elements than its root declares')
    const required = e.repetition_type === 'REQUIRED'
    if (e.num_children === undefined || e.num_children === 0) {
      const annotated = e.converted_type === 'DECIMAL' || e.logical_type?.type === 'DECIMAL' || e.logical_type?.type === 'UUID'
      const type: FieldType = e.type === 'FIXED_LEN_BYTE_ARRAY' && !annotated ? { type: 'fixed', length: e.type_length ?? 0 } : primitiveFromElement(e)
      fields.push({ id: fieldId(e), name: e.name, type, required })
      i += 1
      continue
    }
    const list = elements[i + 1]
    const el = elements[i + 2]
    if (e.num_children !== 1 || list === undefined || list.num_children !== 1 || list.repetition_type !== 'REPEATED' || el === undefined || (el.num_children ?? 0) !== 0) {
      throw new AilakeError('UNSUPPORTED', `Parquet column ${e.name} is a nested type other than a list of primitives`)
    }
    fields.push({
      id: fieldId(e), name: e.name, required,
      type: { type: 'list', element: primitiveFromElement(el), elementRequired: el.repetition_type === 'REQUIRED', elementId: fieldId(el) },
    })
    i += 3
  }
  return { schemaId, fields }
}

/** Throws `SCHEMA_MISMATCH` unless `field` is typed right for a vector column of this precision. */
export function checkVectorField(field: Field, precision: Precision, dim: number): void {
  const t = field.type
  const ok = precision === 'f32'
    ? typeof t === 'object' && t.type === 'list' && t.element === 'float' && t.elementRequired
    : typeof t === 'object' && t.type === 'fixed' && t.length === rowBytes(precision, dim)
  if (!ok || !field.required) {
    const want = precision === 'f32' ? "a required { type: 'list', element: 'float', elementRequired: true }" : `a required { type: 'fixed', length: ${rowBytes(precision, dim)} }`
    throw new AilakeError('SCHEMA_MISMATCH', `vector field ${field.name} (id ${field.id}) must be ${want} for ${precision} vectors of dim ${dim}`, {
      context: { field: field.name, precision, dim },
    })
  }
}

function badValue(field: Field, row: number, v: unknown, want: string): AilakeError {
  const shown = typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `Uint8Array(${v.length})` : JSON.stringify(v) ?? String(v)
  return new AilakeError('SCHEMA_MISMATCH', `column ${field.name} row ${row}: ${shown} is not ${want}`, { context: { field: field.name, row } })
}

/** The order of Iceberg bounds: strings by UTF-8 bytes, binary unsigned bytewise, numbers and dates by value. */
function compare(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') return compareUtf8(a, b)
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
    return a.length - b.length
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime()
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
}

/**
 * Checks a primitive column's values, converts them to what hyparquet-writer expects (numbers
 * for `long` become bigint), and computes statistics (sizeBytes filled in later).
 */
export function prepareColumn(field: Field, values: readonly unknown[]): { data: unknown[]; stats: ColumnStats } {
  const t = field.type
  const data: unknown[] = new Array(values.length)
  let nullCount = 0
  let lower: unknown
  let upper: unknown
  let valueCount = 0
  let nanCount = 0
  for (let r = 0; r < values.length; r++) {
    let v = values[r]
    if (v === null || v === undefined) {
      if (field.required) throw new AilakeError('SCHEMA_MISMATCH', `column ${field.name} is required but row ${r} is null`, { context: { field: field.name, row: r } })
      nullCount++
      valueCount++
      data[r] = null
      continue
    }
    if (typeof t === 'object') {
      if (t.type === 'fixed') {
        if (!(v instanceof Uint8Array) || v.length !== t.length) throw badValue(field, r, v, `a Uint8Array of ${t.length} bytes`)
      } else {
        if (!Array.isArray(v)) throw badValue(field, r, v, 'an array')
        valueCount += v.length - 1
      }
      data[r] = v
      valueCount++
      continue
    }
    switch (t) {
      case 'boolean': if (typeof v !== 'boolean') throw badValue(field, r, v, 'a boolean'); break
      case 'int': if (!Number.isInteger(v) || (v as number) < -(2 ** 31) || (v as number) >= 2 ** 31) throw badValue(field, r, v, 'a 32-bit integer'); break
      case 'long':
        if (typeof v === 'number' && Number.isSafeInteger(v)) v = BigInt(v)
        if (typeof v !== 'bigint' || v < -(2n ** 63n) || v >= 2n ** 63n) throw badValue(field, r, v, 'a 64-bit integer (bigint)')
        break
      case 'float': case 'double': if (typeof v !== 'number') throw badValue(field, r, v, 'a number'); break
      case 'string': if (typeof v !== 'string') throw badValue(field, r, v, 'a string'); break
      case 'binary': if (!(v instanceof Uint8Array)) throw badValue(field, r, v, 'a Uint8Array'); break
      case 'date': case 'timestamp': case 'timestamptz':
        if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw badValue(field, r, v, 'a valid Date')
        break
      case 'time': {
        // Stored as microseconds since midnight (a bigint for hyparquet-writer); bounds as text.
        const us = timeMicros(v)
        if (us === undefined) throw badValue(field, r, v, 'a time of day ("HH:MM:SS.ffffff")')
        v = us
        break
      }
      case 'uuid': {
        const text = uuidText(v)
        if (text === undefined) throw badValue(field, r, v, 'a uuid ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")')
        v = text
        break
      }
      default: {
        // Decimals reach hyparquet-writer as their unscaled bigint, which it writes exactly.
        const d = decimalOf(t)
        const unscaled = d === undefined ? 'a supported type' : tryUnscaled(v, d.precision, d.scale)
        if (typeof unscaled === 'string') throw badValue(field, r, v, `a ${t} value (${unscaled})`)
        v = unscaled
      }
    }
    data[r] = v
    valueCount++
    // NaN has no order: Iceberg bounds skip it and count it instead (filters rely on the count).
    if (typeof v === 'number' && Number.isNaN(v)) { nanCount++; continue }
    if (lower === undefined || compare(v, lower) < 0) lower = v
    if (upper === undefined || compare(v, upper) > 0) upper = v
  }
  const stats: ColumnStats = { fieldId: field.id, valueCount, nullCount, sizeBytes: 0 }
  if (t === 'float' || t === 'double') stats.nanCount = nanCount
  const d = decimalOf(t)
  if (t === 'time' && lower !== undefined) {
    stats.lower = timeText(lower as bigint)
    stats.upper = timeText(upper as bigint)
  } else if (d !== undefined && lower !== undefined) {
    stats.lower = decimalText(lower as bigint, d.scale)
    stats.upper = decimalText(upper as bigint, d.scale)
  } else if (lower !== undefined && typeof t === 'string') {
    // -0 and +0 are equal as values but Iceberg orders -0 first: widen the bounds to both zeros.
    stats.lower = lower === 0 ? -0 : lower
    stats.upper = upper === 0 ? 0 : upper
  }
  return { data, stats }
}
