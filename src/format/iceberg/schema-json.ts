/**
 * Iceberg schema JSON (spec Appendix C) <-> the shared schema model of `format/schema.ts`.
 */
import { AilakeError } from '../../errors.js'
import { decimalOf, decimalType, type Field, type FieldType, type PrimitiveType, type Schema } from '../schema.js'
import { JsonFields, type JsonObject } from './json-fields.js'

const PRIMITIVES: ReadonlySet<string> = new Set<PrimitiveType>([
  'boolean', 'int', 'long', 'float', 'double', 'string', 'binary', 'date', 'timestamp', 'timestamptz', 'time', 'uuid',
])

/** True for the Iceberg primitive type names the schema model supports (decimals in canonical spelling). */
export function isPrimitiveType(name: string): name is PrimitiveType {
  if (PRIMITIVES.has(name)) return true
  if (!name.startsWith('decimal')) return false
  try {
    return canonicalDecimal(name) === name
  } catch {
    return false // out of range
  }
}

/**
 * The canonical spelling (`decimal(P, S)`) of a decimal type name written with any spacing, or
 * undefined when `name` is not a decimal; an out-of-range one throws `INVALID_ARGUMENT`.
 */
export function canonicalDecimal(name: string): PrimitiveType | undefined {
  const d = decimalOf(name)
  return d === undefined ? undefined : decimalType(d.precision, d.scale)
}

/** The JSON form of one field type (`"long"`, `"fixed[16]"`, or a list object). */
export function typeToJson(type: FieldType): unknown {
  if (typeof type === 'string') return type
  if (type.type === 'fixed') return `fixed[${type.length}]`
  return { type: 'list', 'element-id': type.elementId, element: type.element, 'element-required': type.elementRequired }
}

/** The JSON form of a schema, as stored in `schemas[]` of metadata.json and in manifest headers. */
export function schemaToJson(schema: Schema): JsonObject {
  return {
    type: 'struct',
    'schema-id': schema.schemaId,
    fields: schema.fields.map((f) => {
      const out: JsonObject = { id: f.id, name: f.name, required: f.required, type: typeToJson(f.type) }
      if (f.doc !== undefined) out.doc = f.doc
      return out
    }),
  }
}

function unsupported(what: string, path: string, shown: string): never {
  throw new AilakeError('UNSUPPORTED', `${what}: ${path} has type ${shown}, which ailake cannot represent yet (supported: primitives, decimal(P,S), time, uuid, fixed[L], list<primitive>)`, {
    context: { what, path, type: shown },
  })
}

/**
 * Parses one field type. Primitive names (decimals spelled canonically), `fixed[L]` and lists of
 * primitives are supported; timestamp_ns, struct and map throw `UNSUPPORTED`; anything malformed `CORRUPT_DATA`.
 */
export function parseFieldType(json: unknown, path: string, what = 'Iceberg schema'): FieldType {
  const r = new JsonFields(what)
  if (typeof json === 'string') {
    if (isPrimitiveType(json)) return json
    if (json.startsWith('decimal')) {
      let d: PrimitiveType | undefined
      try {
        d = canonicalDecimal(json)
      } catch {
        r.fail(path, 'a decimal of precision 1..38 and scale 0..precision', json)
      }
      if (d !== undefined) return d
    }
    const fixed = /^fixed\[(\d+)\]$/.exec(json)
    if (fixed) {
      const length = Number(fixed[1])
      if (!Number.isSafeInteger(length) || length <= 0) r.fail(path, 'a positive fixed length', json)
      return { type: 'fixed', length }
    }
    if (/^(timestamp_ns|timestamptz_ns|unknown|variant|geometry.*|geography.*)$/.test(json)) {
      unsupported(what, path, json)
    }
    return r.fail(path, 'an Iceberg type name', json)
  }
  const o = r.object(json, path)
  const kind = r.string(o.type, `${path}.type`)
  if (kind !== 'list') {
    if (kind === 'struct' || kind === 'map') unsupported(what, path, kind)
    r.fail(`${path}.type`, '"list"', kind)
  }
  const elementId = r.int(o['element-id'], `${path}.element-id`)
  const elementRequired = r.boolean(o['element-required'], `${path}.element-required`)
  const el = o.element
  // Lists of decimals, times and uuids are not read yet: their elements would need the exact decoding of rows.
  if (typeof el !== 'string' || !isPrimitiveType(el) || el.startsWith('decimal') || el === 'time' || el === 'uuid') {
    if (typeof el === 'string' || (typeof el === 'object' && el !== null)) unsupported(what, `${path}.element`, JSON.stringify(el))
    return r.fail(`${path}.element`, 'a primitive type name', el)
  }
  return { type: 'list', elementId, element: el, elementRequired }
}

/**
 * Parses a schema object (`{"type":"struct","schema-id":…,"fields":[…]}`), checking that field
 * ids are positive and unique (list element ids included) and names unique.
 *
 * @throws AilakeError `CORRUPT_DATA` on malformed input, `UNSUPPORTED` for types ailake cannot represent.
 */
export function schemaFromJson(json: unknown, what = 'Iceberg schema', path = 'schema'): Schema {
  const r = new JsonFields(what)
  const o = r.object(json, path)
  if (o.type !== undefined && o.type !== 'struct') r.fail(`${path}.type`, '"struct"', o.type)
  const schemaId = o['schema-id'] === undefined ? 0 : r.int(o['schema-id'], `${path}.schema-id`)
  const ids = new Set<number>()
  const names = new Set<string>()
  const claim = (id: number, p: string): void => {
    if (id <= 0) r.fail(p, 'a positive field id', id)
    if (ids.has(id)) r.fail(p, 'a field id unique in the schema', id)
    ids.add(id)
  }
  const fields: Field[] = r.array(o.fields, `${path}.fields`).map((fj, i) => {
    const p = `${path}.fields[${i}]`
    const f = r.object(fj, p)
    const id = r.int(f.id, `${p}.id`)
    claim(id, `${p}.id`)
    const name = r.string(f.name, `${p}.name`)
    if (names.has(name)) r.fail(`${p}.name`, 'a name unique in the schema', name)
    names.add(name)
    let type: FieldType
    try {
      type = parseFieldType(f.type, `${p}.type`, what)
    } catch (err) {
      // Name the column, so the owner of a table other engines wrote knows what blocks the read.
      if (!(err instanceof AilakeError) || err.code !== 'UNSUPPORTED') throw err
      throw new AilakeError('UNSUPPORTED', `${what}: column ${JSON.stringify(name)} (field id ${id}) has type ${String(err.context?.type ?? 'unknown')}, which ailake cannot read yet, so neither table.scan() nor search can open this table; supported: primitives, decimal(P,S), time, uuid, fixed[L], list<primitive>`, {
        context: { ...err.context, column: name, fieldId: id }, cause: err,
      })
    }
    if (typeof type === 'object' && type.type === 'list') claim(type.elementId, `${p}.type.element-id`)
    const field: Field = { id, name, type, required: r.boolean(f.required, `${p}.required`) }
    if (f.doc !== undefined) field.doc = r.string(f.doc, `${p}.doc`)
    return field
  })
  return { schemaId, fields }
}
