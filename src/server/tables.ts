/**
 * The JSON API over ailake tables, as one route table: method, path, whether it changes data
 * (a timed-out change may still land) and the handler. Table names in paths are `ns.table`
 * (or `table` in namespace `default`). Responses are JSON with 64-bit integers as strings;
 * search and row input also speak Arrow IPC streams.
 */
import { AilakeError, type Row, type Table } from '../index.js'
import { activityFor } from './activity.js'
import type { ServerContext } from './context.js'
import { HttpError } from './http-errors.js'
import { json, jsonBody, mediaType, need, readBody, tableLevels, type Ctx } from './http.js'
import { addRows, anySearch, fields, intField, readableTables, rowsFromJson, searchBuilder, SEARCH_FIELDS, tableInfo } from './operations.js'

export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  /** True when the route changes data: a timed-out request may still have done so. */
  mutates: boolean
  handle(c: Ctx, ctx: ServerContext): Promise<Response>
}

const ARROW = 'application/vnd.apache.arrow.stream'
/** Most vectors `GET .../sample` returns (enough for a map, small enough to send). */
const MAX_SAMPLE_POINTS = 5000

interface ArrowIpc {
  tableFromIPC(bytes: Uint8Array): { numRows: number }
  tableToIPC(table: unknown, type: 'stream'): Uint8Array
}

async function arrow(): Promise<ArrowIpc> {
  try {
    const name = 'apache-arrow'
    return await import(name) as ArrowIpc
  } catch (err) {
    throw new AilakeError('UNSUPPORTED', 'Arrow IPC needs the optional package apache-arrow on the server (npm install apache-arrow); use JSON', { cause: err })
  }
}

/** The table named in the path, after the caller's access to it is checked. */
export async function table(c: Ctx, ctx: ServerContext, level: 'read' | 'write' | 'admin'): Promise<Table> {
  const levels = tableLevels(c.req.param('table') ?? '')
  need(c, level, levels)
  return ctx.table(levels.join('.'))
}

function wantsArrow(c: Ctx): boolean {
  return (c.req.header('accept') ?? '').toLowerCase().includes(ARROW)
}

const CREATE_FIELDS = ['name', 'vector', 'vectors', 'schema', 'properties', 'embedder']
const ROWS_FIELDS = ['rows', 'embedFrom', 'buffered']
const EXPIRE_FIELDS = ['olderThan', 'retainLast', 'orphans']

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'GET', path: '/v1/tables', mutates: false,
    async handle(c, ctx) {
      return json(c, { tables: await readableTables(ctx, c.get('principal')) })
    },
  },
  {
    method: 'POST', path: '/v1/tables', mutates: true,
    async handle(c, ctx) {
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), CREATE_FIELDS, 'create table')
      if (typeof body.name !== 'string') throw new AilakeError('INVALID_ARGUMENT', 'create table: name must be a string like "docs" or "sales.docs"')
      need(c, 'admin', tableLevels(body.name))
      if (body.embedder !== undefined && typeof body.embedder !== 'string') throw new AilakeError('INVALID_ARGUMENT', 'create table: embedder must be the name of an embedder, e.g. "use-lite"')
      const options: Record<string, unknown> = { vector: body.vector }
      if (body.vectors !== undefined) options.vectors = body.vectors
      if (body.schema !== undefined) options.schema = body.schema
      if (body.properties !== undefined) options.properties = body.properties
      if (body.embedder !== undefined) options.embedder = await ctx.embedder(body.embedder)
      const t = await ctx.lake.createTable(body.name, options as unknown as Parameters<typeof ctx.lake.createTable>[1])
      await t.close()
      return json(c, await tableInfo(await ctx.table(tableLevels(body.name).join('.'))), 201)
    },
  },
  {
    method: 'GET', path: '/v1/activity', mutates: false,
    async handle(c, ctx) {
      return json(c, await activityFor(c.get('principal'), ctx.openTables(), ctx.optimizes))
    },
  },
  {
    method: 'GET', path: '/v1/tables/:table', mutates: false,
    async handle(c, ctx) {
      return json(c, await tableInfo(await table(c, ctx, 'read')))
    },
  },
  {
    method: 'DELETE', path: '/v1/tables/:table', mutates: true,
    async handle(c, ctx) {
      const levels = tableLevels(c.req.param('table') ?? '')
      need(c, 'admin', levels)
      await ctx.forget(levels.join('.'))
      await ctx.lake.dropTable(levels.join('.'))
      return c.body(null, 204)
    },
  },
  {
    method: 'GET', path: '/v1/tables/:table/schema', mutates: false,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'read')
      return json(c, { columns: t.columns() })
    },
  },
  {
    method: 'GET', path: '/v1/tables/:table/history', mutates: false,
    async handle(c, ctx) {
      return json(c, { snapshots: (await table(c, ctx, 'read')).history() })
    },
  },
  {
    method: 'GET', path: '/v1/tables/:table/files', mutates: false,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'read')
      const asOf = c.req.query('asOf')
      return json(c, { files: await t.files(asOf === undefined ? undefined : asOf) })
    },
  },
  {
    method: 'POST', path: '/v1/tables/:table/rows', mutates: true,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'write')
      if (mediaType(c) === ARROW) {
        const bytes = await readBody(c, ctx.limits.maxBodyBytes)
        let batch: { numRows: number }
        const ipc = await arrow()
        try {
          batch = ipc.tableFromIPC(bytes)
        } catch (err) {
          throw new AilakeError('INVALID_ARGUMENT', `the body is not an Arrow IPC stream (${err instanceof Error ? err.message.slice(0, 120) : 'unreadable'})`)
        }
        if (batch.numRows === 0) throw new AilakeError('INVALID_ARGUMENT', 'the Arrow stream holds no rows')
        if (batch.numRows > ctx.limits.maxRowsPerRequest) throw new HttpError(413, 'TOO_MANY_ROWS', `${batch.numRows} rows in one request; the server takes at most ${ctx.limits.maxRowsPerRequest}`)
        const result = await addRows(ctx, t.name, batch, batch.numRows, { buffered: c.req.query('buffered') === 'true' })
        return json(c, result, result.buffered ? 202 : 201)
      }
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), ROWS_FIELDS, 'add rows')
      const rows: Row[] = rowsFromJson(body.rows, t.columns(), ctx.limits.maxRowsPerRequest)
      if (body.embedFrom !== undefined && typeof body.embedFrom !== 'string') throw new AilakeError('INVALID_ARGUMENT', 'embedFrom must be the name of a text column')
      if (body.buffered !== undefined && typeof body.buffered !== 'boolean') throw new AilakeError('INVALID_ARGUMENT', 'buffered must be true or false')
      const result = await addRows(ctx, t.name, rows, rows.length, {
        ...(typeof body.embedFrom === 'string' && { embedFrom: body.embedFrom }),
        ...(body.buffered === true && { buffered: true }),
      })
      return json(c, result, result.buffered ? 202 : 201)
    },
  },
  {
    method: 'POST', path: '/v1/tables/:table/search', mutates: false,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'read')
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), SEARCH_FIELDS, 'search')
      if (wantsArrow(c)) {
        const b = await searchBuilder(ctx, t, body)
        const ipc = await arrow()
        const result = await ctx.searches.run(() => b.toArrow())
        return c.body(ipc.tableToIPC(result, 'stream') as Uint8Array<ArrayBuffer>, 200, { 'content-type': ARROW })
      }
      const s = await anySearch(ctx, t, body)
      return json(c, { rows: await ctx.searches.run(() => s.toArray()) })
    },
  },
  {
    method: 'POST', path: '/v1/tables/:table/explain', mutates: false,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'read')
      const s = await anySearch(ctx, t, fields(await jsonBody(c, ctx.limits.maxBodyBytes), SEARCH_FIELDS, 'explain'))
      return json(c, { plan: await ctx.searches.run(() => s.explain()) })
    },
  },
  {
    method: 'GET', path: '/v1/tables/:table/sample', mutates: false,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'read')
      const raw = c.req.query('count')
      const count = intField(raw !== undefined && /^\d{1,9}$/.test(raw) ? Number(raw) : raw, 'count', MAX_SAMPLE_POINTS) ?? 1000
      const asOf = c.req.query('asOf')
      const points = await ctx.searches.run(() => t.sampleVectors(count, asOf))
      return json(c, { points })
    },
  },
  {
    method: 'POST', path: '/v1/tables/:table/expire', mutates: true,
    async handle(c, ctx) {
      const t = await table(c, ctx, 'admin')
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), EXPIRE_FIELDS, 'expire')
      const time = (v: unknown, name: string): Date | undefined => {
        if (v === undefined || v === null) return undefined
        const d = typeof v === 'string' || typeof v === 'number' ? new Date(v) : undefined
        if (d === undefined || Number.isNaN(d.getTime())) throw new AilakeError('INVALID_ARGUMENT', `${name} must be an ISO 8601 time or epoch milliseconds`)
        return d
      }
      const olderThan = time(body.olderThan, 'olderThan')
      const retainLast = body.retainLast === undefined ? undefined : Number(body.retainLast)
      const result = await t.expireSnapshots({ ...(olderThan !== undefined && { olderThan }), ...(retainLast !== undefined && { retainLast }) })
      const orphans = body.orphans === true ? await t.removeOrphanFiles(olderThan === undefined ? {} : { olderThan }) : []
      return json(c, { ...result, orphanFiles: orphans.length })
    },
  },
]
