/**
 * Row changes and compaction over HTTP: delete, update, upsert (write scope) and optimize
 * (admin scope). Each is one snapshot, as through the library; the response says what changed.
 */
import { AilakeError, type ChangeResult, type Filter } from '../index.js'
import { json, jsonBody } from './http.js'
import { fields, rowsFromJson } from './operations.js'
import { table, type ApiRoute } from './tables.js'

function where(v: unknown): string | Filter {
  if (typeof v === 'string' && v.trim() !== '') return v
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Filter
  throw new AilakeError('INVALID_ARGUMENT', 'where is required: a filter as text ("id IN (1, 2)") or in the typed form; to delete every row, drop the table instead')
}

function changed(r: ChangeResult): Record<string, unknown> {
  return { snapshotId: r.snapshotId, deleted: r.deleted, updated: r.updated, inserted: r.inserted }
}

const flag = (v: unknown, name: string): boolean | undefined => {
  if (v === undefined || typeof v === 'boolean') return v
  throw new AilakeError('INVALID_ARGUMENT', `${name} must be true or false`)
}

export const CHANGE_ROUTES: readonly ApiRoute[] = [
  {
    method: 'POST', path: '/v1/tables/:table/delete', mutates: true,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'write')
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), ['where'], 'delete')
      return json(c, changed(await t.delete(where(body.where))))
    },
  },
  {
    method: 'POST', path: '/v1/tables/:table/update', mutates: true,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'write')
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), ['where', 'values'], 'update')
      const filter = where(body.where)
      const [values] = rowsFromJson([body.values], t.columns(), 1)
      if (values === undefined || Object.keys(values).length === 0) throw new AilakeError('INVALID_ARGUMENT', 'values must name at least one column and its new value')
      return json(c, changed(await t.update(filter, values)))
    },
  },
  {
    method: 'POST', path: '/v1/tables/:table/upsert', mutates: true,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'write')
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), ['on', 'rows', 'embedFrom'], 'upsert')
      if (typeof body.on !== 'string') throw new AilakeError('INVALID_ARGUMENT', 'on must name the key column')
      if (body.embedFrom !== undefined && typeof body.embedFrom !== 'string') throw new AilakeError('INVALID_ARGUMENT', 'embedFrom must be the name of a text column')
      const rows = rowsFromJson(body.rows, t.columns(), ctx.limits.maxRowsPerRequest)
      return json(c, changed(await t.upsert(rows, { on: body.on, ...(typeof body.embedFrom === 'string' && { embedFrom: body.embedFrom }) })))
    },
  },
  {
    method: 'POST', path: '/v1/tables/:table/optimize', mutates: true,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'admin')
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), ['targetRowsPerFile', 'full', 'cluster', 'applyDeletes'], 'optimize')
      const target = body.targetRowsPerFile
      if (target !== undefined && !(typeof target === 'number' && Number.isSafeInteger(target) && target > 0)) throw new AilakeError('INVALID_ARGUMENT', 'targetRowsPerFile must be a positive integer')
      const full = flag(body.full, 'full')
      const cluster = flag(body.cluster, 'cluster')
      const applyDeletes = flag(body.applyDeletes, 'applyDeletes')
      const report = await ctx.optimizes.record(t.name, (onProgress) => t.optimize({
        ...(target !== undefined && { targetRowsPerFile: target }),
        ...(full !== undefined && { full }),
        ...(cluster !== undefined && { cluster }),
        ...(applyDeletes !== undefined && { applyDeletes }),
        onProgress,
      }))
      return json(c, report)
    },
  },
]
