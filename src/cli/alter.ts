/** `ailake alter`: change a table's columns (Iceberg schema evolution; no data is rewritten). */
import type { PrimitiveType, SchemaChange } from '../index.js'
import { JSON_FLAG, type Command, type Values } from './command.js'
import { UsageError } from './exit-codes.js'
import { toJson } from './format.js'
import { openTable } from './words.js'

const LIST = { type: 'string', multiple: true } as const

export const alterCommand: Command = {
  positionals: ['table'],
  options: { add: LIST, rename: LIST, drop: LIST, widen: LIST, optional: LIST, order: { type: 'string' }, ...JSON_FLAG },
  async run(lake, [name], values, io) {
    const change = parseChange(values)
    if (Object.keys(change).length === 0) throw new UsageError('alter needs at least one of --add, --rename, --drop, --widen, --optional, --order; run ailake alter --help')
    const table = await openTable(lake, name as string)
    const before = table.schema.schemaId
    let schema
    try {
      schema = await table.alterSchema(change)
    } finally {
      await table.close()
    }
    if (values.json === true) {
      io.out(toJson({ schemaId: schema.schemaId, changed: schema.schemaId !== before, columns: schema.fields.map((f) => ({ id: f.id, name: f.name, type: f.type, required: f.required })) }, 2))
      return
    }
    io.out(schema.schemaId === before ? `${table.name}: nothing to change (schema ${before})` : `${table.name}: schema ${schema.schemaId} is current (was ${before})`)
    for (const f of schema.fields) io.out(`  ${String(f.id).padStart(3)}  ${f.name}  ${typeof f.type === 'string' ? f.type : f.type.type}${f.required ? ' not null' : ''}`)
  },
}

function list(values: Values, flag: string): string[] {
  const v = values[flag]
  // Commas inside parentheses belong to a type (`price:decimal(12,2)`), not between items.
  return v === undefined ? [] : (Array.isArray(v) ? v : [String(v)]).flatMap((x) => x.split(/,(?![^(]*\))/)).map((x) => x.trim()).filter((x) => x !== '')
}

/** `name:type` / `a=b` pairs of a repeatable flag. */
function pairs(values: Values, flag: string, sep: ':' | '=', example: string): Array<[string, string]> {
  return list(values, flag).map((p) => {
    const i = p.indexOf(sep)
    if (i <= 0 || i === p.length - 1) throw new UsageError(`--${flag} ${JSON.stringify(p)} must look like ${example}`)
    return [p.slice(0, i).trim(), p.slice(i + 1).trim()]
  })
}

function parseChange(values: Values): SchemaChange {
  const change: SchemaChange = {}
  const add = pairs(values, 'add', ':', 'name:type, e.g. --add category:string')
  if (add.length > 0) change.add = Object.fromEntries(add.map(([n, t]) => [n, t as PrimitiveType]))
  const rename = pairs(values, 'rename', '=', 'old=new, e.g. --rename title=headline')
  if (rename.length > 0) change.rename = Object.fromEntries(rename)
  const widen = pairs(values, 'widen', ':', "name:long, name:double or name:decimal(P,S), e.g. --widen views:long")
  if (widen.length > 0) change.widen = Object.fromEntries(widen) as SchemaChange['widen']
  const drop = list(values, 'drop')
  if (drop.length > 0) change.drop = drop
  const optional = list(values, 'optional')
  if (optional.length > 0) change.makeOptional = optional
  const order = list(values, 'order')
  if (order.length > 0) change.order = order
  return change
}
