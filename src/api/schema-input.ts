/**
 * Schemas a user may pass to createTable: an Arrow schema (any apache-arrow version, recognised
 * by shape) or a plain `{ column: 'long' | { type, required } }` map.
 */
import { AilakeError } from '../errors.js'
import { SCALAR_TYPES, scalarTypeOf, type DecimalTypeInput, type Field, type PrimitiveType, type Schema } from '../format/schema.js'
import { arrowToPrimitive, isArrowListField, type ArrowFieldLike } from '../table/arrow-like.js'
import { vectorFieldType } from '../table/data-writer.js'
import { isVectorColumn, vectorColumns, type VectorPolicy } from '../table/vector-policy.js'
import { checkOptions, type OptionKeys } from '../util/options.js'

export type ColumnSpec = PrimitiveType | DecimalTypeInput | { type: PrimitiveType | DecimalTypeInput; required?: boolean; doc?: string }
export type SchemaInput = { fields: ArrowFieldLike[] } | Record<string, ColumnSpec>

const COLUMN_SPEC_KEYS = { type: true, required: true, doc: true } as const satisfies OptionKeys<Exclude<ColumnSpec, string>>


/** Builds the Iceberg schema (field ids from 1, the vector columns last, the primary one first). */
export function schemaFromInput(input: SchemaInput, policy: VectorPolicy): Schema {
  const fields: Field[] = []
  let id = 1
  const add = (name: string, type: PrimitiveType, required: boolean, doc?: string): void => {
    const f: Field = { id: id++, name, type, required }
    if (doc !== undefined) f.doc = doc
    fields.push(f)
  }
  if (Array.isArray((input as { fields?: unknown }).fields)) {
    for (const af of (input as { fields: ArrowFieldLike[] }).fields) {
      if (isVectorColumn(policy, af.name)) {
        if (!isArrowListField(af)) throw new AilakeError('SCHEMA_MISMATCH', `schema column ${JSON.stringify(af.name)} is ${af.name === policy.column ? 'the' : 'a'} vector column and must be a List or FixedSizeList of floats`)
        continue
      }
      const t = arrowToPrimitive(af)
      if (t === undefined) throw new AilakeError('SCHEMA_MISMATCH', `schema column ${JSON.stringify(af.name)} has an Arrow type ailake cannot store (typeId ${af.type.typeId})`, { context: { column: af.name } })
      add(af.name, t, !af.nullable)
    }
  } else {
    for (const [name, spec] of Object.entries(input as Record<string, ColumnSpec>)) {
      if (isVectorColumn(policy, name)) {
        throw new AilakeError('INVALID_ARGUMENT', `schema column ${JSON.stringify(name)} is ${name === policy.column ? 'the' : 'a'} vector column, which cannot be declared again`, { context: { column: name } })
      }
      if (typeof spec === 'object' && spec !== null) checkOptions(spec, COLUMN_SPEC_KEYS, `createTable(): schema column ${JSON.stringify(name)}`)
      const given = typeof spec === 'string' ? spec : spec?.type
      const type = scalarTypeOf(given)
      if (type === undefined) {
        throw new AilakeError('INVALID_ARGUMENT', `schema column ${JSON.stringify(name)} has type ${JSON.stringify(given)}; use one of ${SCALAR_TYPES.join(', ')} or decimal(P, S)`, { context: { column: name } })
      }
      add(name, type, typeof spec === 'object' && spec.required === true, typeof spec === 'object' ? spec.doc : undefined)
    }
  }
  // Each vector field takes the next id and its list element the one after.
  for (const v of vectorColumns(policy)) {
    fields.push({ id, name: v.column, type: vectorFieldType(v, id + 1), required: true })
    id += 2
  }
  return { schemaId: 0, fields }
}
