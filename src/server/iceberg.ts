/**
 * The Iceberg REST catalog (apache/iceberg open-api/rest-catalog-open-api.yaml) over
 * `lake.iceberg`, under `/iceberg/v1`. Paths carry the prefix `GET /v1/config` hands out
 * (`overrides.prefix`), and the config's `endpoints` lists exactly the routes below, so
 * clients never call one that is missing. Bodies go through lossless JSON: snapshot ids are
 * 64-bit and must not be rounded.
 */
import { AilakeError, stringifyJson, type IcebergTableResult } from '../index.js'
import { allows, maysee } from './auth.js'
import type { ServerContext } from './context.js'
import { HttpError } from './http-errors.js'
import { jsonBody, need, type Ctx } from './http.js'
import { fields } from './operations.js'

export const ICEBERG_BASE = '/iceberg/v1'

export interface IcebergRoute {
  /** Methods as the spec lists them; HEAD is served by the GET handler. */
  methods: ('GET' | 'HEAD' | 'POST' | 'DELETE')[]
  /** Path below `/v1`, with `{prefix}`-style parameters as the spec writes them. */
  spec: string
  mutates: boolean
  handle(c: Ctx, ctx: ServerContext): Promise<Response>
}

function spec(c: Ctx, status: number, value: unknown): Response {
  return c.body(stringifyJson(value), status as 200, { 'content-type': 'application/json' })
}

/** The namespace path parameter: levels joined by the unit separator (0x1F). */
function namespace(c: Ctx): string[] {
  return (c.req.param('namespace') ?? '').split('\u001f')
}

function ident(c: Ctx): { namespace: string[]; name: string } {
  return { namespace: namespace(c), name: c.req.param('table') ?? '' }
}

function identifier(v: unknown, what: string): { namespace: string[]; name: string } {
  const o = fields(v, ['namespace', 'name'], what)
  if (!Array.isArray(o.namespace) || o.namespace.some((s) => typeof s !== 'string') || typeof o.name !== 'string') {
    throw new AilakeError('INVALID_ARGUMENT', `${what} must be { namespace: string[], name: string }`)
  }
  return { namespace: o.namespace as string[], name: o.name }
}

function tableResult(c: Ctx, status: number, t: IcebergTableResult): Response {
  return spec(c, status, { 'metadata-location': t.metadataLocation, metadata: t.metadata, config: {} })
}

function seeNamespace(c: Ctx, ns: string[]): void {
  if (!maysee(c.get('principal'), ns)) throw new HttpError(403, 'FORBIDDEN', `this key has no access to namespace ${ns.join('.')}`)
}

export const ICEBERG_ROUTES: readonly IcebergRoute[] = [
  {
    methods: ['GET'], spec: '/v1/{prefix}/namespaces', mutates: false,
    async handle(c, ctx) {
      const parent = c.req.query('parent')
      const levels = parent === undefined || parent === '' ? [] : parent.split('\u001f')
      const who = c.get('principal')
      const namespaces = (await ctx.lake.iceberg.listNamespaces(levels)).filter((ns) => maysee(who, ns))
      return spec(c, 200, { namespaces })
    },
  },
  {
    methods: ['POST'], spec: '/v1/{prefix}/namespaces', mutates: true,
    async handle(c, ctx) {
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), ['namespace', 'properties'], 'create namespace')
      if (!Array.isArray(body.namespace) || body.namespace.some((s) => typeof s !== 'string')) throw new AilakeError('INVALID_ARGUMENT', 'namespace must be an array of names')
      const ns = body.namespace as string[]
      need(c, 'admin', ns)
      const properties = await ctx.lake.iceberg.createNamespace(ns, (body.properties ?? {}) as Record<string, string>)
      return spec(c, 200, { namespace: ns, properties })
    },
  },
  {
    methods: ['GET', 'HEAD'], spec: '/v1/{prefix}/namespaces/{namespace}', mutates: false,
    async handle(c, ctx) {
      const ns = namespace(c)
      seeNamespace(c, ns)
      const properties = await ctx.lake.iceberg.loadNamespace(ns)
      return c.req.method === 'HEAD' ? c.body(null, 204) : spec(c, 200, { namespace: ns, properties })
    },
  },
  {
    methods: ['DELETE'], spec: '/v1/{prefix}/namespaces/{namespace}', mutates: true,
    async handle(c, ctx) {
      const ns = namespace(c)
      need(c, 'admin', ns)
      await ctx.lake.iceberg.dropNamespace(ns)
      return c.body(null, 204)
    },
  },
  {
    methods: ['POST'], spec: '/v1/{prefix}/namespaces/{namespace}/properties', mutates: true,
    async handle(c, ctx) {
      const ns = namespace(c)
      need(c, 'admin', ns)
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), ['updates', 'removals'], 'update namespace properties')
      const change = await ctx.lake.iceberg.updateNamespace(ns, { updates: (body.updates ?? {}) as Record<string, string>, removals: (body.removals ?? []) as string[] })
      return spec(c, 200, change)
    },
  },
  {
    methods: ['GET'], spec: '/v1/{prefix}/namespaces/{namespace}/tables', mutates: false,
    async handle(c, ctx) {
      const ns = namespace(c)
      seeNamespace(c, ns)
      const who = c.get('principal')
      const identifiers = (await ctx.lake.iceberg.listTables(ns)).filter((t) => allows(who, 'read', [...t.namespace, t.name]))
      return spec(c, 200, { identifiers })
    },
  },
  {
    methods: ['POST'], spec: '/v1/{prefix}/namespaces/{namespace}/tables', mutates: true,
    async handle(c, ctx) {
      const ns = namespace(c)
      const body = await jsonBody(c, ctx.limits.maxBodyBytes)
      const name = typeof body === 'object' && body !== null ? (body as { name?: unknown }).name : undefined
      need(c, 'admin', [...ns, typeof name === 'string' ? name : ''])
      return tableResult(c, 200, await ctx.lake.iceberg.createTable(ns, body))
    },
  },
  {
    methods: ['GET', 'HEAD'], spec: '/v1/{prefix}/namespaces/{namespace}/tables/{table}', mutates: false,
    async handle(c, ctx) {
      const id = ident(c)
      need(c, 'read', [...id.namespace, id.name])
      if (c.req.method === 'HEAD') {
        if (!(await ctx.lake.iceberg.tableExists(id))) throw new AilakeError('NOT_FOUND', `table ${[...id.namespace, id.name].join('.')} does not exist`)
        return c.body(null, 204)
      }
      return tableResult(c, 200, await ctx.lake.iceberg.loadTable(id))
    },
  },
  {
    methods: ['POST'], spec: '/v1/{prefix}/namespaces/{namespace}/tables/{table}', mutates: true,
    async handle(c, ctx) {
      const id = ident(c)
      need(c, 'write', [...id.namespace, id.name])
      const body = await jsonBody(c, ctx.limits.maxBodyBytes)
      const committed = await ctx.lake.iceberg.commitTable(id, body)
      ctx.stale([...id.namespace, id.name].join('.'))
      return spec(c, 200, { 'metadata-location': committed.metadataLocation, metadata: committed.metadata })
    },
  },
  {
    methods: ['DELETE'], spec: '/v1/{prefix}/namespaces/{namespace}/tables/{table}', mutates: true,
    async handle(c, ctx) {
      const id = ident(c)
      need(c, 'admin', [...id.namespace, id.name])
      await ctx.forget([...id.namespace, id.name].join('.'))
      await ctx.lake.iceberg.dropTable(id, { purge: c.req.query('purgeRequested') === 'true' })
      return c.body(null, 204)
    },
  },
  {
    methods: ['POST'], spec: '/v1/{prefix}/tables/rename', mutates: true,
    async handle(c, ctx) {
      const body = fields(await jsonBody(c, ctx.limits.maxBodyBytes), ['source', 'destination'], 'rename table')
      const from = identifier(body.source, 'source')
      const to = identifier(body.destination, 'destination')
      need(c, 'admin', [...from.namespace, from.name])
      need(c, 'admin', [...to.namespace, to.name])
      await ctx.lake.iceberg.renameTable(from, to)
      await ctx.forget([...from.namespace, from.name].join('.'))
      return c.body(null, 204)
    },
  },
]

/** The `endpoints` of `GET /v1/config`: every method and path served above. */
export function icebergEndpoints(): string[] {
  return ICEBERG_ROUTES.flatMap((r) => r.methods.map((m) => `${m} ${r.spec}`))
}

/** The Hono path of a spec path under `/iceberg`. */
export function honoPath(specPath: string): string {
  return `/iceberg${specPath.replace(/\{([a-z]+)\}/g, ':$1')}`
}

/** `GET /v1/config`: no defaults, the prefix, the endpoints. */
export function configResponse(c: Ctx, ctx: ServerContext): Response {
  return spec(c, 200, { defaults: {}, overrides: { prefix: ctx.icebergPrefix }, endpoints: icebergEndpoints() })
}

/** Fails with 404 unless the path's prefix is the one the config hands out. */
export function checkPrefix(c: Ctx, ctx: ServerContext): void {
  const prefix = c.req.param('prefix')
  if (prefix !== undefined && prefix !== ctx.icebergPrefix) {
    throw new AilakeError('NOT_FOUND', `unknown catalog prefix ${JSON.stringify(prefix)}; GET /iceberg/v1/config names the prefix (${ctx.icebergPrefix})`, { context: { namespaceMissing: true } })
  }
}
