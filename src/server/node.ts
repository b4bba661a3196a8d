/**
 * The app on Node's HTTP server: loopback by default; any other address only with auth
 * required (at least one key, and no open mode even if every key is later revoked). Slow
 * clients are cut off by the header and request timeouts; `close()` stops accepting, lets
 * requests in flight finish, then flushes writers and closes the lakehouse's tables.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { AilakeError, type Lakehouse } from '../index.js'
import { createApp, type App } from './app.js'
import { KeyStore } from './auth.js'
import type { AppOptions } from './options.js'

export interface ListenOptions extends AppOptions {
  /** Address to bind. Default 127.0.0.1. Anything but a loopback address needs API keys. */
  host?: string
  /** Port; 0 picks a free one. Default 8080. */
  port?: number
  /** A client must send its request headers within this many ms. Default 10 s. */
  headersTimeoutMs?: number
  /** A client must send its whole request within this many ms. Default 60 s. */
  receiveTimeoutMs?: number
  /** How long `close()` waits for requests in flight before closing tables. Default 30 s. */
  shutdownTimeoutMs?: number
}

export interface Listening {
  app: App
  /** `http://host:port` */
  url: string
  port: number
  close(): Promise<void>
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host)
}

export async function listen(lake: Lakehouse, options: ListenOptions = {}): Promise<Listening> {
  const host = options.host ?? '127.0.0.1'
  const remote = !isLoopback(host)
  if (remote && (await new KeyStore(lake.store).empty())) {
    throw new AilakeError('INVALID_ARGUMENT', `refusing to serve on ${host} without API keys: anyone who can reach it could read and change every table. Create a key first (ailake keys create --grant read:*), or serve on 127.0.0.1`)
  }
  const app = createApp(lake, { ...options, requireAuth: options.requireAuth === true || remote })
  const headersTimeout = options.headersTimeoutMs ?? 10_000
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({
      fetch: app.app.fetch,
      hostname: host,
      port: options.port ?? 8080,
      serverOptions: {
        headersTimeout,
        requestTimeout: options.receiveTimeoutMs ?? 60_000,
        // Node checks the two timeouts on this interval (default 30 s, far too coarse for them).
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
      },
    }, () => resolve(s as Server))
    ;(s as Server).once('error', reject)
  })
  server.keepAliveTimeout = 5_000
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  return {
    app,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        await app.close(options.shutdownTimeoutMs ?? 30_000)
        server.closeAllConnections()
        await stopped
      })()
      return closing
    },
  }
}
