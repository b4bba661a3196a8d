/**
 * Binds a filter to a table schema: checks every column and literal (clear errors instead of a
 * silently empty result), pushes NOT down to the leaves (exact under SQL's three-valued logic,
 * so afterwards "unknown" can be treated as false), and evaluates it on rows or, conservatively,
 * on a data file's column statistics.
 */
import { invalid } from '../errors.js'
import { decodeBound } from '../format/iceberg/bounds.js'
import type { DataFile } from '../format/iceberg/types.js'
import { decimalOf, isDecimalType, type Field, type PrimitiveType, type Schema } from '../format/schema.js'
import { tryUnscaled } from '../util/decimal.js'
import { timeMicros, uuidText } from '../util/uuid-time.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import { compareUtf8 } from '../util/utf8-order.js'
import { parseFilter } from './filter-parse.js'
import type { CompareOp, Filter, FilterValue } from './filter-types.js'

type Key = number | bigint | string | boolean
type LeafOp = CompareOp | 'in' | 'not in' | 'is null' | 'is not null' | 'is nan' | 'is not nan'

/** `nan`: the leaf's value on a NaN (IEEE: only `!=`, `not in`, `is nan` and negated comparisons hold). */
interface Leaf {
  kind: 'leaf'; field: Field; type: PrimitiveType; op: LeafOp; keys: Key[]; nan: boolean
  /** For in / not in: the keys as a set, and sorted (ten thousand ids stay cheap per row and per file). */
  set?: Set<Key>
  sorted?: Key[]
}
export type BoundFilter = Leaf | { kind: 'and' | 'or'; parts: BoundFilter[] }

const NEGATE: Record<LeafOp, LeafOp> = {
  '=': '!=', '!=': '=', '<': '>=', '>=': '<', '<=': '>', '>': '<=',
  'in': 'not in', 'not in': 'in', 'is null': 'is not null', 'is not null': 'is null', 'is nan': 'is not nan', 'is not nan': 'is nan',
}
// The keys of each filter form; a stray key (`vlaue`, `and` next to `or`) is an error, not ignored.
type FormOf<K extends string> = Extract<Filter, Record<K, unknown>>
const AND_KEYS = { and: true } as const satisfies OptionKeys<FormOf<'and'>>
const OR_KEYS = { or: true } as const satisfies OptionKeys<FormOf<'or'>>
const NOT_KEYS = { not: true } as const satisfies OptionKeys<FormOf<'not'>>
const COMPARE_KEYS = { column: true, op: true, value: true } as const satisfies OptionKeys<FormOf<'value'>>
const LIST_KEYS = { column: true, op: true, values: true } as const satisfies OptionKeys<FormOf<'values'>>
const NULL_KEYS = { column: true, op: true } as const satisfies OptionKeys<Exclude<FormOf<'op'>, FormOf<'value' | 'values'>>>
const NAN_HOLDS: ReadonlySet<LeafOp> = new Set(['!=', 'not in', 'is nan'])
const FILTERABLE: readonly PrimitiveType[] = ['boolean', 'int', 'long', 'float', 'double', 'string', 'date', 'timestamp', 'timestamptz', 'time', 'uuid']

function describe(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`
  if (typeof v === 'bigint') return `bigint ${v}`
  if (v instanceof Date) return `Date ${v.toISOString()}`
  return `${typeof v} ${String(v)}`
}

/** The comparable key of a literal for a column type, or an error naming both. */
function literalKey(field: Field, type: PrimitiveType, v: FilterValue): Key {
  const bad = (why = ''): never => {
    throw invalid(`where(): column ${field.name} is ${type} but the filter compares it with ${describe(v)}${why}`, { column: field.name, type })
  }
  switch (type) {
    case 'boolean': return typeof v === 'boolean' ? v : bad()
    case 'string': return typeof v === 'string' ? v : bad()
    case 'int': case 'float': case 'double':
      // float values are stored as f32: compare with the f32 the literal would be stored as.
      if (typeof v === 'number' && !Number.isNaN(v)) return type === 'float' ? Math.fround(v) : v
      if (typeof v === 'bigint' && Number.isSafeInteger(Number(v))) return Number(v)
      return bad()
    case 'long':
      if (typeof v === 'bigint') return v
      if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v)
      return bad(typeof v === 'number' ? ' (a long column compares with integers only)' : '')
    case 'date': case 'timestamp': case 'timestamptz': {
      const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN
      return Number.isFinite(ms) ? ms : bad(' (use a Date or an ISO date string)')
    }
    case 'time': return timeMicros(v) ?? bad(' (use "HH:MM[:SS[.ffffff]]")')
    case 'uuid': return uuidText(v) ?? bad(' (use the uuid\'s text)')
  }
  // Decimals compare by their unscaled value at the column's scale: exact at any precision.
  const d = decimalOf(type)
  if (d === undefined || typeof v === 'boolean' || v instanceof Date) return bad()
  const unscaled = tryUnscaled(v, MAX_DIGITS, d.scale)
  return typeof unscaled === 'bigint' ? unscaled : bad(` (${unscaled})`)
}

/** Literals may have more digits than the column holds (`price < 1e30` on decimal(9,2) is fine). */
const MAX_DIGITS = 76

/** The comparable key of a stored value (row value or decoded bound); null when absent. */
function valueKey(type: PrimitiveType, v: unknown): Key | null {
  if (v === null || v === undefined) return null
  if (v instanceof Date) return v.getTime()
  if (type === 'time') return timeMicros(v) ?? null
  if (type === 'uuid') return uuidText(v) ?? null
  if (typeof v === 'string' && type.startsWith('decimal')) {
    const d = decimalOf(type)
    const unscaled = d === undefined ? null : tryUnscaled(v, MAX_DIGITS, d.scale)
    return typeof unscaled === 'bigint' ? unscaled : null
  }
  if (type === 'long') {
    if (typeof v === 'bigint') return v
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v)
  }
  if (typeof v === 'bigint' && type !== 'long') return Number(v)
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v
  return null
}

/** Strings compare in UTF-8 byte order, the order of Iceberg bounds. Not for NaN (see `leafTrue`). */
function cmp(a: Key, b: Key): number {
  if (typeof a === 'string' && typeof b === 'string') return compareUtf8(a, b)
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b)
  return a < b ? -1 : a > b ? 1 : 0
}

function columnError(name: unknown, schema: Schema, vectorColumns: readonly string[]): never {
  const names = schema.fields.filter((f) => !vectorColumns.includes(f.name)).map((f) => f.name)
  throw invalid(`where(): unknown column ${JSON.stringify(name)}; columns are case-sensitive, valid columns: ${names.join(', ')}`, { column: String(name), columns: names })
}

function bindNode(f: Filter, schema: Schema, vectorColumn: readonly string[], negate: boolean): BoundFilter {
  if (f === null || typeof f !== 'object') throw invalid(`where(): expected a filter object or string, got ${describe(f)}`)
  if ('and' in f || 'or' in f) {
    checkOptions(f, 'and' in f ? AND_KEYS : OR_KEYS, 'where()', 'filter key')
    const list = 'and' in f ? f.and : (f as { or: Filter[] }).or
    if (!Array.isArray(list) || list.length === 0) throw invalid(`where(): ${'and' in f ? 'and' : 'or'} needs a non-empty array of filters`)
    const isAnd = ('and' in f) !== negate
    return { kind: isAnd ? 'and' : 'or', parts: list.map((p) => bindNode(p, schema, vectorColumn, negate)) }
  }
  if ('not' in f) {
    checkOptions(f, NOT_KEYS, 'where()', 'filter key')
    return bindNode(f.not, schema, vectorColumn, !negate)
  }
  if (!('column' in f) || !('op' in f)) throw invalid(`where(): a filter needs { column, op, value } or and / or / not, got ${JSON.stringify(Object.keys(f))}`)
  const field = schema.fields.find((x) => x.name === f.column)
  if (field === undefined || vectorColumn.includes(f.column)) {
    if (vectorColumn.includes(f.column)) throw invalid(`where(): cannot filter on the vector column ${f.column}; search by vector instead`, { column: f.column })
    columnError(f.column, schema, vectorColumn)
  }
  const type = field.type
  if (typeof type !== 'string' || !(FILTERABLE.includes(type) || isDecimalType(type))) {
    throw invalid(`where(): column ${field.name} has type ${typeof type === 'string' ? type : type.type}, which filters do not support`, { column: field.name })
  }
  const op = String(f.op).toLowerCase() as LeafOp
  if (op in NEGATE) checkOptions(f, op === 'in' || op === 'not in' ? LIST_KEYS : op === 'is null' || op === 'is not null' ? NULL_KEYS : COMPARE_KEYS, 'where()', 'filter key')
  let keys: Key[]
  if (op === 'in' || op === 'not in') {
    const given = (f as { values?: unknown }).values
    const values = Array.isArray(given) ? given : given !== null && typeof given === 'object' && Symbol.iterator in given && typeof given !== 'string' ? [...(given as Iterable<unknown>)] : undefined
    if (values === undefined || values.length === 0) throw invalid(`where(): ${op} on column ${field.name} needs a non-empty array (or Set) of values`)
    keys = values.map((v) => literalKey(field, type, v as FilterValue))
  } else if (op === 'is null' || op === 'is not null') {
    keys = []
  } else if (op === 'is nan' || op === 'is not nan') {
    if (type !== 'float' && type !== 'double') throw invalid(`where(): ${op} applies to float and double columns; ${field.name} is ${type}`, { column: field.name, type })
    keys = []
  } else if (op in NEGATE) {
    const value = (f as { value?: unknown }).value
    if (value === null || value === undefined) throw invalid(`where(): ${field.name} ${op} needs a value; use op 'is null' to test for null`)
    keys = [literalKey(field, type, value as FilterValue)]
  } else {
    throw invalid(`where(): unknown operator ${JSON.stringify(f.op)}; use =, !=, <, <=, >, >=, in, not in, is null, is not null, is nan, is not nan`)
  }
  // NOT flips the value on NaN too: NOT (x < 1) holds for NaN although x >= 1 does not.
  const leaf: Leaf = { kind: 'leaf', field, type, op: negate ? NEGATE[op] : op, keys, nan: NAN_HOLDS.has(op) !== negate }
  if (op === 'in' || op === 'not in') {
    leaf.set = new Set(keys)
    leaf.sorted = [...leaf.set].sort(cmp)
  }
  return leaf
}

/** Parses (if a string) and binds `filter` to `schema`, where no vector column (one name or all of them) may be filtered on. Throws `INVALID_ARGUMENT` with the reason. */
export function bindFilter(filter: string | Filter, schema: Schema, vectorColumn: string | readonly string[]): BoundFilter {
  return bindNode(typeof filter === 'string' ? parseFilter(filter) : filter, schema, typeof vectorColumn === 'string' ? [vectorColumn] : vectorColumn, false)
}

/** Names of the columns a bound filter reads. */
export function filterColumns(f: BoundFilter): string[] {
  const out = new Set<string>()
  const walk = (n: BoundFilter): void => {
    if (n.kind === 'leaf') out.add(n.field.name)
    else n.parts.forEach(walk)
  }
  walk(f)
  return [...out]
}

function leafTrue(n: Leaf, v: Key | null): boolean {
  if (n.op === 'is null') return v === null
  if (n.op === 'is not null') return v !== null
  if (v === null) return false
  if (typeof v === 'number' && Number.isNaN(v)) return n.nan
  const k0 = n.keys[0] as Key
  switch (n.op) {
    case 'is nan': return false
    case 'is not nan': return true
    case '=': return cmp(v, k0) === 0
    case '!=': return cmp(v, k0) !== 0
    case '<': return cmp(v, k0) < 0
    case '<=': return cmp(v, k0) <= 0
    case '>': return cmp(v, k0) > 0
    case '>=': return cmp(v, k0) >= 0
    case 'in': return n.set?.has(v) ?? n.keys.some((k) => cmp(v, k) === 0)
    case 'not in': return !(n.set?.has(v) ?? n.keys.some((k) => cmp(v, k) === 0))
  }
}

/** True when `row` satisfies the filter (unknown counts as false, as in SQL WHERE). */
export function matchesRow(f: BoundFilter, row: Record<string, unknown>): boolean {
  if (f.kind !== 'leaf') return f.kind === 'and' ? f.parts.every((p) => matchesRow(p, row)) : f.parts.some((p) => matchesRow(p, row))
  return leafTrue(f, valueKey(f.type, row[f.field.name]))
}

/**
 * The rows, among those `candidates` marks (one byte per row, nonzero = candidate), that satisfy
 * the filter, evaluated on decoded columns (one array per column, by name) without an object per
 * row; `candidates` is left unchanged. Same semantics as `matchesRow`.
 */
export function matchingRows(f: BoundFilter, columns: ReadonlyMap<string, ArrayLike<unknown>>, candidates: Uint8Array): Uint8Array {
  const out = candidates.slice()
  keepMatching(f, columns, out)
  return out
}

/** Clears the marks in `sel` of rows the filter rejects; rows not marked are not evaluated. */
function keepMatching(f: BoundFilter, columns: ReadonlyMap<string, ArrayLike<unknown>>, sel: Uint8Array): void {
  if (f.kind === 'leaf') {
    keepMatchingLeaf(f, columns, sel)
  } else if (f.kind === 'and') {
    for (const p of f.parts) keepMatching(p, columns, sel)
  } else {
    const any = new Uint8Array(sel.length)
    for (const p of f.parts) {
      // Each part decides only the rows no earlier part accepted.
      const open = new Uint8Array(sel.length)
      for (let i = 0; i < sel.length; i++) open[i] = sel[i] !== 0 && any[i] === 0 ? 1 : 0
      keepMatching(p, columns, open)
      for (let i = 0; i < sel.length; i++) any[i] = (any[i] as number) | (open[i] as number)
    }
    sel.set(any)
  }
}

function keepMatchingLeaf(f: Leaf, columns: ReadonlyMap<string, ArrayLike<unknown>>, sel: Uint8Array): void {
  const values = columns.get(f.field.name)
  if (values === undefined) throw invalid(`where(): column ${f.field.name} was not read`, { column: f.field.name })
  if (values.length < sel.length) throw invalid(`where(): column ${f.field.name} has ${values.length} values for ${sel.length} rows`, { column: f.field.name })
  for (let i = 0; i < sel.length; i++) {
    if (sel[i] !== 0 && !leafTrue(f, valueKey(f.type, values[i]))) sel[i] = 0
  }
}

function leafMayMatch(n: Leaf, file: DataFile): boolean {
  const id = n.field.id
  const nulls = file.nullValueCounts?.get(id)
  const allNull = nulls !== undefined && nulls >= file.recordCount
  if (n.op === 'is null') return nulls === undefined || nulls > 0
  if (n.op === 'is not null') return !allNull
  if (allNull) return false
  // Bounds leave NaN out (a NaN bound, from old writers, is ignored below): a leaf that holds on
  // NaN may match whenever the file may hold one, and one that does not needs a non-NaN value.
  const float = n.type === 'float' || n.type === 'double'
  const nans = float ? file.nanValueCounts?.get(id) : 0
  if (n.nan && (nans === undefined || nans > 0)) return true
  if (nans !== undefined && nulls !== undefined && nulls + nans >= file.recordCount) return false
  if (n.op === 'is nan') return false
  if (n.op === 'is not nan') return true
  // Java writers ordered uuid bounds as two signed longs (UUID.compareTo), not by bytes: not trusted.
  if (n.type === 'uuid') return true
  const loBytes = file.lowerBounds?.get(id)
  const hiBytes = file.upperBounds?.get(id)
  let lo: Key | null = null
  let hi: Key | null = null
  try {
    if (loBytes !== undefined) lo = valueKey(n.type, decodeBound(n.type, loBytes))
    if (hiBytes !== undefined) hi = valueKey(n.type, decodeBound(n.type, hiBytes))
  } catch {
    return true // unreadable stats never prune
  }
  if (typeof lo === 'number' && Number.isNaN(lo)) lo = null
  if (typeof hi === 'number' && Number.isNaN(hi)) hi = null
  const k0 = n.keys[0] as Key
  const within = (k: Key): boolean => (lo === null || cmp(lo, k) <= 0) && (hi === null || cmp(k, hi) <= 0)
  const single = lo !== null && hi !== null && cmp(lo, hi) === 0 ? lo : null
  switch (n.op) {
    case '=': return within(k0)
    case 'in': return anyWithin(n.sorted ?? n.keys, lo, hi)
    case '!=': return single === null || cmp(single, k0) !== 0
    case 'not in': return single === null || !n.keys.some((k) => cmp(single, k) === 0)
    case '<': return lo === null || cmp(lo, k0) < 0
    case '<=': return lo === null || cmp(lo, k0) <= 0
    case '>': return hi === null || cmp(hi, k0) > 0
    case '>=': return hi === null || cmp(hi, k0) >= 0
  }
}

/** Whether some of `sorted` (ascending) lies in [lo, hi] (null: unbounded). */
function anyWithin(sorted: readonly Key[], lo: Key | null, hi: Key | null): boolean {
  let a = 0
  let b = sorted.length
  while (a < b) {
    const mid = (a + b) >> 1
    if (lo !== null && cmp(sorted[mid] as Key, lo) < 0) a = mid + 1
    else b = mid
  }
  return a < sorted.length && (hi === null || cmp(sorted[a] as Key, hi) <= 0)
}

/** False only when the file's column statistics prove no row can match. */
export function fileMayMatch(f: BoundFilter, file: DataFile): boolean {
  if (f.kind !== 'leaf') return f.kind === 'and' ? f.parts.every((p) => fileMayMatch(p, file)) : f.parts.some((p) => fileMayMatch(p, file))
  return leafMayMatch(f, file)
}
