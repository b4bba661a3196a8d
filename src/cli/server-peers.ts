/**
 * The HTTP server's packages (hono, @hono/node-server, the MCP SDK) are optional peers, so a
 * library install stays small: `serve` and `mcp` load them on demand and say how to install
 * them when they are missing.
 */
import { AilakeError } from '../index.js'

const INSTALL = 'npm install hono@4.13.19 @hono/node-server@2.1.9 @modelcontextprotocol/sdk@1.32.2'

export async function loadServerPeer<T>(command: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load()
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== 'ERR_MODULE_NOT_FOUND') throw err
    throw new AilakeError('UNSUPPORTED', `ailake ${command} needs the optional packages hono, @hono/node-server and @modelcontextprotocol/sdk, which are not installed; install them with \`${INSTALL}\``, { cause: err })
  }
}
