/**
 * `ailake serve` (the HTTP server: JSON API, Iceberg REST catalog, MCP, web console) and `ailake mcp` (the
 * MCP tools over stdio, for an agent that starts ailake itself). Both run until stopped:
 * serve until SIGINT or SIGTERM (then it finishes requests in flight and flushes writers),
 * mcp until its client closes stdin.
 */
import { loadServerPeer } from './server-peers.js'
import { AilakeError, type Lakehouse } from '../index.js'
import { intOption, type Command, type Io, type Values } from './command.js'
import { UsageError } from './exit-codes.js'

/** `--limit maxBodyBytes=1048576,maxLimit=100` */
function limitsOf(raw: string | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  if (raw === undefined) return out
  for (const part of raw.split(',')) {
    const m = /^\s*([A-Za-z]+)\s*=\s*(\d+)\s*$/.exec(part)
    if (m === null) throw new UsageError(`--limit takes name=value pairs separated by commas, e.g. maxBodyBytes=1048576,maxLimit=100; got ${JSON.stringify(part)}`)
    out[m[1] as string] = Number(m[2])
  }
  return out
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string): void => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(signal)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
}

async function serve(lake: Lakehouse, _args: string[], values: Values, io: Io): Promise<void> {
  const { listen } = await loadServerPeer('serve', () => import('../server/node.js'))
  const host = (values.host as string | undefined) ?? '127.0.0.1'
  const port = values.port === '0' ? 0 : intOption(values, 'port', 8080, 65_535)
  const server = await listen(lake, {
    host, port,
    limits: limitsOf(values.limit as string | undefined),
    ...(values['iceberg-prefix'] !== undefined && { icebergPrefix: values['iceberg-prefix'] as string }),
    log: (line) => io.err(`${line}\n`),
  })
  const open = await server.app.context.keys.empty() && !server.app.context.requireAuth
  io.out(`ailake serving ${server.url} (warehouse ${lake.uri}; ${open ? 'no API keys: open to this machine only' : 'API keys required'})`)
  io.out(`  Console ${server.url}/   JSON API ${server.url}/v1/tables   Iceberg REST ${server.url}/iceberg   MCP ${server.url}/mcp   OpenAPI ${server.url}/openapi.json`)
  const signal = await untilSignal()
  io.err(`ailake: ${signal}: finishing requests in flight and flushing writers\n`)
  await server.close()
}

async function mcp(lake: Lakehouse, _args: string[], _values: Values, io: Io): Promise<void> {
  const { EVERYONE, KeyStore, mcpServer, ServerContext } = await loadServerPeer('mcp', () => import('../server/index.js'))
  const { StdioServerTransport } = await loadServerPeer('mcp', () => import('@modelcontextprotocol/sdk/server/stdio.js'))
  // With AILAKE_API_KEY the tools act with that key's grants (e.g. an agent that may only read).
  const key = io.env['AILAKE_API_KEY']
  const principal = key === undefined || key === '' ? EVERYONE : await new KeyStore(lake.store).verify(key)
  if (principal === undefined) throw new AilakeError('INVALID_ARGUMENT', 'AILAKE_API_KEY is not a valid key of this warehouse (wrong or revoked); ailake keys list shows the ids')
  const ctx = new ServerContext(lake, { log: (line) => io.err(`${line}\n`) })
  const server = mcpServer(ctx, principal)
  const transport = new StdioServerTransport()
  const closed = new Promise<void>((resolve) => { server.onclose = () => resolve() })
  process.stdin.once('end', () => { void server.close() })
  await server.connect(transport)
  await closed
  await ctx.close()
}

export const serveCommand: Command = {
  positionals: [],
  options: { host: { type: 'string' }, port: { type: 'string' }, limit: { type: 'string' }, 'iceberg-prefix': { type: 'string' } },
  run: serve,
}

export const mcpCommand: Command = { positionals: [], options: {}, run: mcp }
