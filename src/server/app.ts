/**
 * The server as a Hono app: web-standard `Request` in, `Response` out, so it runs wherever
 * `fetch` handlers do (the Node listener is node.ts). Every request is counted for graceful
 * shutdown and authenticated (except `/health`, `/openapi.json` and the web console's files); each route's work runs
 * under the request deadline; every failure becomes the JSON error of its API.
 */
import { Hono } from 'hono'
import type { Lakehouse } from '../index.js'
import { EVERYONE } from './auth.js'
import { consoleAsset, isConsolePath } from './console.js'
import { ServerContext } from './context.js'
import { apiErrorJson, describeError, HttpError, icebergErrorJson } from './http-errors.js'
import { json, type Ctx, type Env } from './http.js'
import { checkPrefix, configResponse, honoPath, ICEBERG_BASE, ICEBERG_ROUTES } from './iceberg.js'
import { withDeadline } from './limits.js'
import { handleMcp } from './mcp.js'
import { openApiDocument } from './openapi.js'
import type { AppOptions } from './options.js'
import { API_ROUTES } from './tables.js'
import { CHANGE_ROUTES } from './changes.js'

export interface App {
  /** The Hono app: `app.fetch(request)` answers a request. */
  app: Hono<Env>
  context: ServerContext
  /** Stops taking requests, waits for those in flight, then flushes and closes tables. */
  close(timeoutMs?: number): Promise<void>
}

const PUBLIC = new Set(['/health', '/openapi.json'])
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

/** The error response of the API the path belongs to. */
function errorResponse(c: Ctx, err: unknown, ctx: ServerContext): Response {
  const e = describeError(err, ctx.log)
  if (c.req.path.startsWith('/iceberg/')) {
    const { status, body } = icebergErrorJson(e)
    return c.body(body, status as 400, { 'content-type': 'application/json', ...e.headers })
  }
  return c.body(apiErrorJson(e), e.status as 400, { 'content-type': 'application/json', ...e.headers })
}

export function createApp(lake: Lakehouse, options: AppOptions = {}): App {
  const ctx = new ServerContext(lake, options)
  const app = new Hono<Env>()

  app.onError((err, c) => errorResponse(c, err, ctx))
  app.notFound((c) => errorResponse(c, new HttpError(404, 'NO_ROUTE', `no route ${c.req.method} ${c.req.path}; see /openapi.json`), ctx))

  app.use('*', async (c, next) => {
    await ctx.track(async () => {
      if (PUBLIC.has(c.req.path) || isConsolePath(c.req.path)) return next()
      const header = c.req.header('authorization')
      if (header === undefined) {
        if (ctx.requireAuth || !(await ctx.keys.empty())) throw new HttpError(401, 'UNAUTHENTICATED', 'send an API key: Authorization: Bearer <key> (ailake keys create makes one)', { 'WWW-Authenticate': 'Bearer' })
        // Without keys the server is open, but only to requests addressed to this machine by
        // name: a page elsewhere that rebinds its own host name to 127.0.0.1 cannot use it.
        if (!LOOPBACK_HOSTS.has(new URL(c.req.url).hostname)) throw new HttpError(403, 'FORBIDDEN', 'this server has no API keys, so it only answers requests addressed to localhost or 127.0.0.1')
        c.set('principal', EVERYONE)
        return next()
      }
      const m = /^Bearer +([^\s]+)\s*$/i.exec(header)
      const principal = m === null ? undefined : await ctx.keys.verify(m[1] as string)
      if (principal === undefined) throw new HttpError(401, 'UNAUTHENTICATED', 'the API key is not valid (wrong, revoked or malformed); send Authorization: Bearer <key>', { 'WWW-Authenticate': 'Bearer error="invalid_token"' })
      c.set('principal', principal)
      return next()
    })
  })

  // `auth` tells a client (the console) whether to ask for a key before it requests anything.
  app.get('/health', async (c) => json(c, { status: ctx.isClosing ? 'closing' : 'ok', auth: ctx.requireAuth || !(await ctx.keys.empty()) }))
  app.get('/openapi.json', (c) => json(c, openApiDocument()))
  app.get('/', (c) => consoleAsset('index.html', c.req.header('if-none-match')))
  app.get('/console/:asset', (c) => consoleAsset(c.req.param('asset'), c.req.header('if-none-match')))

  const deadline = (mutates: boolean, handle: (c: Ctx) => Promise<Response>) =>
    (c: Ctx): Promise<Response> => withDeadline(handle(c), ctx.limits.requestTimeoutMs, mutates)

  for (const r of [...API_ROUTES, ...CHANGE_ROUTES]) app.on(r.method, r.path, deadline(r.mutates, (c) => r.handle(c, ctx)))

  app.get(`${ICEBERG_BASE}/config`, deadline(false, async (c) => configResponse(c, ctx)))
  for (const r of ICEBERG_ROUTES) {
    const methods = r.methods.filter((m) => m !== 'HEAD')
    app.on(methods, honoPath(r.spec), deadline(r.mutates, async (c) => {
      checkPrefix(c, ctx)
      return r.handle(c, ctx)
    }))
  }

  app.all('/mcp', deadline(true, (c) => handleMcp(c, ctx)))

  return { app, context: ctx, close: (timeoutMs) => ctx.close(timeoutMs) }
}
