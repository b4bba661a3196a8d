/**
 * Turns user rows (plain objects or an Arrow table) into a columnar batch checked against the
 * table schema: every value has the column's JS type, required columns are present, and the
 * embeddings are one validated flat Float32Array (never widened to float64).
 */
import { AilakeError, invalid } from '../errors.js'
import { decimalOf, type Field, type PrimitiveType, type Schema } from '../format/schema.js'
import { decimalText, tryUnscaled } from '../util/decimal.js'
import { timeMicros, timeText, uuidText } from '../util/uuid-time.js'
import { arrowToPrimitive, fromArrowValue, isArrowListField, isArrowTableLike, type ArrowTableLike } from './arrow-like.js'
import { isVectorColumn, vectorColumns, type VectorPolicy } from './vector-policy.js'

export type Row = Record<string, unknown>
export type RowsInput = readonly Row[] | ArrowTableLike

export interface RowBatch {
  rowCount: number
  /** Non-vector columns by field id, values in ailake's JS representation (null for missing). */
  columns: Map<number, unknown[]>
  /** rowCount × dim embeddings. */
  vectors: Float32Array
}

/** The rows `rows` (indices, in that order) of `batch`, copied. */
export function takeRows(batch: RowBatch, rows: readonly number[], dim: number): RowBatch {
  const columns = new Map<number, unknown[]>()
  for (const [id, values] of batch.columns) columns.set(id, rows.map((i) => values[i]))
  const vectors = new Float32Array(rows.length * dim)
  rows.forEach((i, j) => vectors.set(batch.vectors.subarray(i * dim, (i + 1) * dim), j * dim))
  return { rowCount: rows.length, columns, vectors }
}

function mismatch(message: string, context: Record<string, unknown>): AilakeError {
  return new AilakeError('SCHEMA_MISMATCH', message, { context })
}

/** Column-wise view over either input form. */
interface Columns {
  rowCount: number
  names: string[]
  get(name: string, row: number): unknown
}

function columnsOf(input: RowsInput): Columns {
  if (isArrowTableLike(input)) {
    const children = new Map(input.schema.fields.map((f) => [f.name, { field: f, vec: input.getChild(f.name) }]))
    return {
      rowCount: input.numRows,
      names: input.schema.fields.map((f) => f.name),
      get(name, row) {
        const c = children.get(name)
        if (c === undefined || c.vec === null) return undefined
        const v = c.vec.get(row)
        if (isArrowListField(c.field)) return v
        const prim = arrowToPrimitive(c.field)
        return prim === undefined ? v : fromArrowValue(prim, v)
      },
    }
  }
  if (!Array.isArray(input)) {
    throw new AilakeError('INVALID_ARGUMENT', 'rows must be an array of plain objects or an Apache Arrow table / record batch')
  }
  const names = new Set<string>()
  input.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new AilakeError('INVALID_ARGUMENT', `row ${i} is not a plain object (got ${r === null ? 'null' : Array.isArray(r) ? 'an array' : typeof r})`, { context: { row: i } })
    }
    for (const k of Object.keys(r)) names.add(k)
  })
  return { rowCount: input.length, names: [...names], get: (name, row) => (input[row] as Row)[name] }
}

/**
 * Infers a schema from the first batch: numbers → double, bigint → long, Date → timestamptz.
 * The vector column keeps `vector`, the field the table was created with (so its ids never
 * change), and the other columns, in the rows' order, take ids from `firstId` on, which must
 * lie above the table's last-column-id: Iceberg never gives an id to a second column.
 */
export function inferSchema(input: RowsInput, policy: VectorPolicy, vectors: readonly Field[], firstId: number, schemaId: number): Schema {
  const cols = columnsOf(input)
  for (const v of vectorColumns(policy)) {
    if (!cols.names.includes(v.column)) {
      throw mismatch(`the rows have no vector column ${JSON.stringify(v.column)} (columns: ${cols.names.join(', ') || 'none'}); names are case-sensitive`, { column: v.column })
    }
  }
  // Ids follow the names' sorted order, not the rows' key order: writers racing to make the
  // first write with the same columns, listed in any order, then infer the same schema.
  const names = cols.names.filter((n) => !isVectorColumn(policy, n))
  const idOf = new Map([...names].sort().map((n, i) => [n, firstId + i]))
  const fields: Field[] = []
  const arrowFields = isArrowTableLike(input) ? new Map(input.schema.fields.map((f) => [f.name, f])) : undefined
  for (const name of names) {
    let type: PrimitiveType | undefined
    const af = arrowFields?.get(name)
    if (af !== undefined) {
      type = arrowToPrimitive(af)
      if (type === undefined) throw mismatch(`column ${JSON.stringify(name)} has an Arrow type ailake cannot store (typeId ${af.type.typeId}); use numbers, strings, booleans, dates or binary`, { column: name })
    } else {
      for (let r = 0; r < cols.rowCount && type === undefined; r++) type = inferType(cols.get(name, r), name, r)
    }
    fields.push({ id: idOf.get(name) as number, name, type: type ?? 'string', required: false })
  }
  fields.push(...vectors)
  return { schemaId, fields }
}

function inferType(v: unknown, name: string, row: number): PrimitiveType | undefined {
  if (v === null || v === undefined) return undefined
  switch (typeof v) {
    case 'number': return 'double'
    case 'bigint': return 'long'
    case 'string': return 'string'
    case 'boolean': return 'boolean'
  }
  if (v instanceof Date) return 'timestamptz'
  if (v instanceof Uint8Array) return 'binary'
  throw mismatch(`column ${JSON.stringify(name)} row ${row}: cannot store a value of type ${Array.isArray(v) ? 'array' : typeof v}; use numbers, strings, booleans, bigint, Date or Uint8Array`, { column: name, row })
}

/**
 * Rejects an input without rows: `add([])` and `insert([])` would write nothing, and an empty
 * batch usually means a mistake upstream, so both say so instead of returning quietly.
 */
export function requireRows(input: RowsInput, call: string, table: string): void {
  const n = Array.isArray(input) ? input.length : isArrowTableLike(input) ? input.numRows : undefined
  if (n === 0) throw invalid(`${call} got no rows for table ${table}; pass at least one row (skip empty batches)`)
}

/**
 * Checks and converts rows to a batch for `schema`. Nothing is written if this throws. `alloc`
 * gives the vectors' array (every element is written; default a new one).
 */
export function toRowBatch(input: RowsInput, schema: Schema, policy: VectorPolicy, alloc?: (length: number) => Float32Array): RowBatch {
  const cols = columnsOf(input)
  const known = new Set(schema.fields.map((f) => f.name))
  const unknown = cols.names.filter((n) => !known.has(n))
  if (unknown.length > 0) {
    throw mismatch(`column(s) ${unknown.map((n) => JSON.stringify(n)).join(', ')} are not in the table schema (${[...known].join(', ')}); names are case-sensitive`, { columns: unknown })
  }
  const n = cols.rowCount
  const columns = new Map<number, unknown[]>()
  const extra = new Map((policy.extra ?? []).map((c) => [c.column, c]))
  for (const field of schema.fields) {
    if (field.name === policy.column) continue
    const vector = extra.get(field.name)
    if (vector !== undefined) {
      // One copy per row, not views of one array: a worker thread the batch is posted to would
      // otherwise get a copy of the whole array per row.
      const flat = collectVectors(cols, vector)
      const { dim } = vector
      columns.set(field.id, Array.from({ length: n }, (_, r) => flat.slice(r * dim, (r + 1) * dim)))
      continue
    }
    const out = new Array<unknown>(n)
    for (let r = 0; r < n; r++) out[r] = coerce(field, cols.get(field.name, r), r)
    columns.set(field.id, out)
  }
  return { rowCount: n, columns, vectors: collectVectors(cols, policy, alloc) }
}

function allFinite(a: Float32Array, start: number, n: number): boolean {
  // x - x is 0 for every finite x and NaN for NaN and ±Infinity.
  let acc = 0
  for (let i = start; i < start + n; i++) acc += (a[i] as number) - (a[i] as number)
  return acc === 0
}

/** The vectors of column `column` of every row, checked (present, `dim` finite numbers), row-major; `alloc` gives the array. */
function collectVectors(cols: Columns, policy: { column: string; dim: number }, alloc?: (length: number) => Float32Array): Float32Array {
  const { dim, column } = policy
  const out = alloc === undefined ? new Float32Array(cols.rowCount * dim) : alloc(cols.rowCount * dim)
  for (let r = 0; r < cols.rowCount; r++) {
    let v = cols.get(column, r)
    if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !Array.isArray(v) && typeof (v as { toArray?: unknown }).toArray === 'function') {
      v = (v as { toArray(): unknown }).toArray()
    }
    if (v === null || v === undefined) {
      throw mismatch(`row ${r} has no embedding in column ${JSON.stringify(column)}`, { row: r, column })
    }
    if (!(v instanceof Float32Array || v instanceof Float64Array || Array.isArray(v))) {
      throw mismatch(`row ${r}: column ${JSON.stringify(column)} must hold a Float32Array or number[], got ${typeof v}`, { row: r, column })
    }
    if (v.length !== dim) {
      throw new AilakeError('DIMENSION_MISMATCH', `row ${r}: embedding in column ${JSON.stringify(column)} has ${v.length} dimensions but the table expects ${dim}`, { context: { row: r, column, expected: dim, actual: v.length } })
    }
    const base = r * dim
    if (v instanceof Float32Array) {
      // The common case: one copy, then a check over a monomorphic Float32Array.
      out.set(v, base)
      if (allFinite(out, base, dim)) continue
    }
    for (let d = 0; d < dim; d++) {
      const x = (v as ArrayLike<unknown>)[d]
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new AilakeError('INVALID_ARGUMENT', `row ${r}: embedding value [${d}] of column ${JSON.stringify(column)} is ${String(x)}; embeddings must be finite numbers`, { context: { row: r, column, index: d } })
      }
      out[base + d] = x
    }
  }
  return out
}

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

function coerce(field: Field, v: unknown, row: number): unknown {
  if (v === null || v === undefined) {
    if (field.required) throw mismatch(`row ${row}: column ${JSON.stringify(field.name)} is required but missing`, { row, column: field.name })
    return null
  }
  const bad = (expected: string): AilakeError =>
    mismatch(`row ${row}: column ${JSON.stringify(field.name)} expects ${expected}, got ${typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : `${typeof v} ${String(v).slice(0, 40)}`}`, { row, column: field.name })
  const t = field.type
  if (typeof t === 'object') {
    if (t.type === 'fixed' || v instanceof Uint8Array) {
      if (!(v instanceof Uint8Array)) throw bad('a Uint8Array')
      return v
    }
    throw bad('a supported value')
  }
  switch (t) {
    case 'boolean':
      if (typeof v !== 'boolean') throw bad('a boolean')
      return v
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw bad('a 32-bit integer')
      return v
    case 'long': {
      const b = typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined
      if (b === undefined || b < INT64_MIN || b > INT64_MAX) throw bad('a bigint or safe integer (64-bit)')
      return b
    }
    case 'float': case 'double':
      if (typeof v !== 'number') throw bad('a number')
      return v
    case 'string':
      if (typeof v !== 'string') throw bad('a string')
      return v
    case 'binary':
      if (!(v instanceof Uint8Array)) throw bad('a Uint8Array')
      return v
    case 'date': case 'timestamp': case 'timestamptz': {
      const d = v instanceof Date ? v : typeof v === 'number' ? new Date(v) : typeof v === 'string' ? new Date(v) : undefined
      if (d === undefined || Number.isNaN(d.getTime())) throw bad('a Date (or epoch milliseconds / ISO string)')
      return d
    }
    case 'time': {
      const us = timeMicros(v)
      if (us === undefined) throw bad('a time of day as "HH:MM[:SS[.ffffff]]"')
      return timeText(us)
    }
    case 'uuid': {
      const text = uuidText(v)
      if (text === undefined) throw bad('a uuid as text (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) or 16 bytes')
      return text
    }
  }
  const d = decimalOf(t)
  if (d === undefined) throw bad('a supported value')
  const unscaled = tryUnscaled(v, d.precision, d.scale)
  if (typeof unscaled === 'string') throw bad(`a ${t} value as a decimal string (${unscaled})`)
  return decimalText(unscaled, d.scale)
}
