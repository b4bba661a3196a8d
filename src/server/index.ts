/**
 * `ailake/server`: the HTTP server as a platform-neutral Hono app (`createApp`), plus what the
 * CLI and embedders need to run it (`mcpServer`, the key store). The Node listener is
 * `ailake/server/node`.
 */
export { createApp } from './app.js'
export type { App } from './app.js'
export { KeyStore, parseGrant, EVERYONE } from './auth.js'
export type { Grant, KeyRecord, Level, Principal } from './auth.js'
export { ServerContext } from './context.js'
export { mcpServer } from './mcp.js'
export { DEFAULT_LIMITS } from './options.js'
export type { AppOptions, ServeLimits } from './options.js'
export { STATUS_OF_CODE } from './http-errors.js'
