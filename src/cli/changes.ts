/**
 * `ailake delete`, `ailake update` and `ailake upsert`: row-level changes, each one snapshot of
 * Iceberg position deletes (plus the new rows for update and upsert).
 */
import { AilakeError, type ChangeResult, type Table } from '../index.js'
import { JSON_FLAG, type Command, type Io, type Values } from './command.js'
import { UsageError } from './exit-codes.js'
import { count, toJson } from './format.js'
import { convertTo, detectFormat, parseVectorLiteral, prepareRows, readRecords } from './input.js'
import { schemaPending } from './table-api.js'
import { openTable } from './words.js'

function report(io: Io, values: Values, table: Table, verb: string, r: ChangeResult, changed: number): void {
  if (values.json === true) {
    io.out(toJson({ table: table.name, snapshotId: r.snapshotId, deleted: r.deleted, updated: r.updated, inserted: r.inserted }, 2))
  } else if (r.snapshotId === null) {
    io.out(`no row matched; nothing ${verb} and nothing committed`)
  } else {
    io.out(`${verb} ${count(changed)} row(s) of ${table.name}${r.inserted > 0 && verb === 'updated' ? `, inserted ${count(r.inserted)}` : ''}; snapshot ${String(r.snapshotId)}`)
  }
}

function whereOf(values: Values): string {
  const where = values.where
  if (typeof where !== 'string' || where.trim() === '') throw new UsageError('--where is required: the rows to change, e.g. --where "id = 42" or --where "status = \'draft\' AND year < 2020"')
  return where
}

export const deleteCommand: Command = {
  positionals: ['table'],
  options: { where: { type: 'string' }, ...JSON_FLAG },
  async run(lake, [name], values, io) {
    const where = whereOf(values)
    const table = await openTable(lake, name as string)
    try {
      const r = await table.delete(where)
      report(io, values, table, 'deleted', r, r.deleted)
    } finally {
      await table.close()
    }
  },
}

export const updateCommand: Command = {
  positionals: ['table'],
  options: { where: { type: 'string' }, set: { type: 'string', multiple: true }, ...JSON_FLAG },
  async run(lake, [name], values, io) {
    const where = whereOf(values)
    const sets = values.set
    if (!Array.isArray(sets) || sets.length === 0) throw new UsageError('--set column=value is required (repeat it for several columns), e.g. --set status=archived')
    const table = await openTable(lake, name as string)
    try {
      const r = await table.update(where, assignments(table, sets))
      report(io, values, table, 'updated', r, r.updated)
    } finally {
      await table.close()
    }
  },
}

export const upsertCommand: Command = {
  positionals: ['table', 'file'],
  options: { on: { type: 'string' }, format: { type: 'string' }, ...JSON_FLAG },
  async run(lake, [name, file], values, io) {
    const on = values.on
    if (typeof on !== 'string' || on === '') throw new UsageError('--on <column> is required: the key column whose value identifies a row')
    const table = await openTable(lake, name as string)
    try {
      const path = file as string
      const format = detectFormat(path, values.format as string | undefined)
      const policy = table.vector
      const rows = prepareRows(await readRecords(path, format), {
        schema: table.schema, schemaPending: schemaPending(table), vectorColumn: policy.column, dim: policy.dim, csv: format === 'csv', source: path,
      })
      const r = await table.upsert(rows, { on })
      if (values.json === true) report(io, values, table, 'upserted', r, 0)
      else io.out(`upserted ${count(rows.length)} row(s) into ${table.name}: ${count(r.updated)} replaced, ${count(r.inserted)} inserted; snapshot ${String(r.snapshotId)}`)
    } finally {
      await table.close()
    }
  },
}

/** `column=value` pairs as typed values (the vector column takes a JSON array). */
function assignments(table: Table, sets: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const s of sets) {
    const eq = s.indexOf('=')
    if (eq <= 0) throw new UsageError(`--set ${JSON.stringify(s)} must look like column=value`)
    const column = s.slice(0, eq)
    const raw = s.slice(eq + 1)
    const field = table.schema.fields.find((f) => f.name === column)
    if (field === undefined) {
      throw new AilakeError('INVALID_ARGUMENT', `--set: unknown column ${JSON.stringify(column)}; columns are case-sensitive: ${table.schema.fields.map((f) => f.name).join(', ')}`)
    }
    if (column in out) throw new UsageError(`--set names ${column} twice`)
    if (column === table.vector.column) {
      const v = parseVectorLiteral(raw, `--set ${column}`)
      if (v.length !== table.vector.dim) throw new AilakeError('DIMENSION_MISMATCH', `--set ${column} has ${v.length} dimensions but the table expects ${table.vector.dim}`)
      out[column] = Float32Array.from(v)
    } else {
      out[column] = raw === 'null' ? null : convertTo(raw, field, true, `--set ${column}`)
    }
  }
  return out
}
