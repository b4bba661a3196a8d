/**
 * Schema evolution the Iceberg way: a change to the current schema (add, rename, drop, widen,
 * make optional, reorder) becomes a new schema with the next schema id, made current. Columns
 * are matched by field id everywhere, so files written before read through it unchanged:
 * renamed columns keep their data, dropped ones vanish, added ones read as null, widened ones
 * widen. Field ids are never reused: added columns take ids above last-column-id.
 */
import { invalid } from '../errors.js'
import type { TableMetadata } from '../format/iceberg/types.js'
import { SCALAR_TYPES, decimalOf, promotable, scalarTypeOf, typeName, type DecimalTypeInput, type Field, type PrimitiveType, type Schema } from '../format/schema.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import { currentSchema, sameType } from './metadata-builder.js'
import type { TableChange } from './metadata-updates.js'

/** Table property marking a table whose columns are inferred from its first rows. */
export const SCHEMA_PENDING_PROPERTY = 'ailake.schema.inferred'

/** A column `alterSchema` adds: always optional (rows written before read as null). */
export type AddedColumn = PrimitiveType | DecimalTypeInput | { type: PrimitiveType | DecimalTypeInput; doc?: string }

/**
 * One schema change, applied atomically. Names in `rename`, `drop`, `widen` and `makeOptional`
 * are the columns as they are before the change; names in `add` and `order` are as they are
 * after it. A column dropped and added under the same name in one change is a new column.
 */
export interface SchemaChange {
  /** New optional columns, appended in the order given (before `order` applies). */
  add?: Record<string, AddedColumn>
  /** Old name → new name. Data and field id stay. */
  rename?: Record<string, string>
  /** Columns to remove; their field ids are never given to another column. */
  drop?: string[]
  /**
   * Type promotions: an `int` column to `'long'`, a `float` column to `'double'`, a
   * `decimal(P, S)` column to `'decimal(P2, S)'` with P2 >= P (same scale).
   */
  widen?: Record<string, 'long' | 'double' | DecimalTypeInput>
  /** Required columns to make optional. */
  makeOptional?: string[]
  /** Columns to put first, in this order; the others follow in their current order. */
  order?: string[]
}

export const SCHEMA_CHANGE_KEYS = { add: true, rename: true, drop: true, widen: true, makeOptional: true, order: true } as const satisfies OptionKeys<SchemaChange>
const ADDED_COLUMN_KEYS = { type: true, doc: true } as const satisfies OptionKeys<Exclude<AddedColumn, string>>

/** Where the change came from, for messages. */
const WHERE = 'alterSchema()'

function stringList(v: unknown, key: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`${WHERE}: ${key} must be an array of column names, got ${JSON.stringify(v)}`, { option: key })
  return v as string[]
}

function stringMap(v: unknown, key: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${WHERE}: ${key} must be an object keyed by column name, got ${JSON.stringify(v)}`, { option: key })
  return v as Record<string, unknown>
}

/** Checks the shape of a change (no table needed); throws `INVALID_ARGUMENT` naming the bad part. */
export function checkSchemaChange(change: SchemaChange): void {
  checkOptions(change, SCHEMA_CHANGE_KEYS, WHERE)
  if (change === null || typeof change !== 'object') throw invalid(`${WHERE}: expected { add, rename, drop, widen, makeOptional, order }`)
  if (change.drop !== undefined) stringList(change.drop, 'drop')
  if (change.makeOptional !== undefined) stringList(change.makeOptional, 'makeOptional')
  if (change.order !== undefined) stringList(change.order, 'order')
  if (change.rename !== undefined) {
    for (const [from, to] of Object.entries(stringMap(change.rename, 'rename'))) {
      if (typeof to !== 'string' || to === '') throw invalid(`${WHERE}: rename ${JSON.stringify(from)} needs a new non-empty name, got ${JSON.stringify(to)}`, { column: from })
    }
  }
  if (change.widen !== undefined) {
    for (const [name, to] of Object.entries(stringMap(change.widen, 'widen'))) {
      if (to !== 'long' && to !== 'double' && decimalOf(typeof to === 'string' ? to : '') === undefined) {
        throw invalid(`${WHERE}: widen ${JSON.stringify(name)} to 'long' (from int), 'double' (from float) or 'decimal(P, S)' (from a decimal of smaller P, same S), got ${JSON.stringify(to)}`, { column: name })
      }
    }
  }
  if (change.add !== undefined) {
    for (const [name, spec] of Object.entries(stringMap(change.add, 'add'))) {
      if (name === '') throw invalid(`${WHERE}: add needs non-empty column names`)
      if (typeof spec === 'object' && spec !== null) checkOptions(spec, ADDED_COLUMN_KEYS, `${WHERE}: add ${JSON.stringify(name)}`)
      const type = typeof spec === 'string' ? spec : (spec as { type?: unknown } | null)?.type
      if (scalarTypeOf(type) === undefined) {
        throw invalid(`${WHERE}: add ${JSON.stringify(name)} has type ${JSON.stringify(type)}; use one of ${SCALAR_TYPES.join(', ')} or decimal(P, S)`, { column: name })
      }
    }
  }
}

/**
 * The schema `change` makes of `meta`'s current schema (its `schemaId` is a placeholder: the
 * commit assigns the next one), or undefined when it changes nothing. `vectorColumns`, the
 * columns ailake's files and indexes are built on, can be neither dropped, renamed nor retyped.
 * Names are resolved on `meta`, so a change re-applied after a concurrent one sees its result
 * (a rename of a column another change dropped fails, naming it).
 */
export function evolveSchema(meta: TableMetadata, change: SchemaChange, vectorColumns: readonly string[]): Schema | undefined {
  checkSchemaChange(change)
  const current = currentSchema(meta)
  const byName = new Map(current.fields.map((f) => [f.name, f]))
  const existing = (name: string, op: string): Field => {
    const f = byName.get(name)
    if (f === undefined) throw invalid(`${WHERE}: ${op} names column ${JSON.stringify(name)}, which the table does not have; columns are case-sensitive: ${current.fields.map((x) => x.name).join(', ')}`, { column: name })
    if (vectorColumns.includes(name)) {
      throw invalid(`${WHERE}: cannot ${op} the vector column ${JSON.stringify(name)}: every data file and index of the table is built on it as it is`, { column: name })
    }
    return f
  }
  const touched = new Map<string, string>()
  const claim = (name: string, op: string): void => {
    const prev = touched.get(name)
    if (prev !== undefined && (prev === 'drop' || op === 'drop')) throw invalid(`${WHERE}: column ${JSON.stringify(name)} is both ${prev === 'drop' ? 'dropped' : `${prev}d`} and ${op === 'drop' ? 'dropped' : `${op}d`}; do one or the other`, { column: name })
    touched.set(name, op)
  }

  const dropped = new Set<number>()
  for (const name of change.drop ?? []) {
    const f = existing(name, 'drop')
    // Files of every partition spec carry tuples derived from it, and writers derive new ones.
    const used = meta.partitionSpecs.flatMap((s) => s.fields).find((pf) => pf.sourceId === f.id)
    if (used !== undefined) throw invalid(`${WHERE}: cannot drop column ${JSON.stringify(name)}: partition field ${used.name} (${used.transform}) is derived from it`, { column: name })
    dropped.add(f.id)
    claim(name, 'drop')
  }
  const next = new Map<number, Field>(current.fields.map((f) => [f.id, { ...f }]))
  for (const [name, given] of Object.entries(change.widen ?? {})) {
    const f = existing(name, 'widen')
    claim(name, 'widen')
    const to = scalarTypeOf(given) as PrimitiveType
    if (f.type === to) continue
    if (typeof f.type !== 'string' || !promotable(f.type, to)) {
      throw invalid(`${WHERE}: column ${JSON.stringify(name)} is ${typeName(f.type)} and cannot be widened to ${to}; Iceberg promotes int to long, float to double and decimal(P, S) to a larger P of the same S only`, { column: name, from: typeName(f.type), to })
    }
    (next.get(f.id) as Field).type = to
  }
  for (const name of change.makeOptional ?? []) {
    const f = existing(name, 'make optional')
    claim(name, 'optional')
    ;(next.get(f.id) as Field).required = false
  }
  for (const [from, to] of Object.entries(change.rename ?? {})) {
    const f = existing(from, 'rename')
    claim(from, 'rename')
    ;(next.get(f.id) as Field).name = to
  }
  for (const id of dropped) next.delete(id)

  let nextId = meta.lastColumnId
  for (const [name, spec] of Object.entries(change.add ?? {})) {
    const type = scalarTypeOf(typeof spec === 'string' ? spec : spec.type) as PrimitiveType
    const f: Field = { id: ++nextId, name, type, required: false }
    if (typeof spec === 'object' && spec.doc !== undefined) f.doc = spec.doc
    next.set(f.id, f)
  }
  let fields = [...next.values()]
  const seen = new Set<string>()
  for (const f of fields) {
    if (seen.has(f.name)) {
      throw invalid(`${WHERE}: after the change two columns would be named ${JSON.stringify(f.name)}; drop or rename the existing one in the same change`, { column: f.name })
    }
    seen.add(f.name)
  }
  if (change.order !== undefined) {
    const first = change.order.map((name) => {
      const f = fields.find((x) => x.name === name)
      if (f === undefined) throw invalid(`${WHERE}: order names column ${JSON.stringify(name)}, which the table will not have; name columns as they are after the change: ${fields.map((x) => x.name).join(', ')}`, { column: name })
      return f
    })
    if (new Set(first).size !== first.length) throw invalid(`${WHERE}: order names a column twice`)
    fields = [...first, ...fields.filter((f) => !first.includes(f))]
  }
  const same = fields.length === current.fields.length && fields.every((f, i) => {
    const c = current.fields[i] as Field
    return f.id === c.id && f.name === c.name && f.required === c.required && sameType(f.type, c.type) && f.doc === c.doc
  })
  return same ? undefined : { schemaId: -1, fields }
}

/** The commit request (Iceberg's own language, as a REST client sends it) that makes `schema` current on `meta`. */
export function schemaUpdate(meta: TableMetadata, schema: Schema): TableChange {
  return {
    requirements: [],
    updates: [{ action: 'add-schema', schema, lastColumnId: Math.max(meta.lastColumnId, ...schema.fields.map((f) => f.id)) }, { action: 'set-current-schema', schemaId: -1 }],
  }
}
