/**
 * The web console's static files (bundled into `dist/src/server/console` by scripts/build-console.mjs),
 * served at `/` and `/console/<name>`. Only the names listed here are served, so no request
 * path reaches the file system. The files are public (they hold no data; the console asks the
 * JSON API, with the user's key, for everything), revalidated by ETag, and the page may load
 * scripts, styles and workers from this server only.
 */
import { HttpError } from './http-errors.js'

const TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'projection-worker.js': 'text/javascript; charset=utf-8',
}

/** Where the bundle lies: next to this module in dist/src/server. */
const DIR = new URL('./console/', import.meta.url)

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

interface Asset {
  bytes: Uint8Array
  etag: string
}

const loaded = new Map<string, Promise<Asset>>()

async function load(name: string): Promise<Asset> {
  const [{ readFile }, { createHash }] = await Promise.all([import('node:fs/promises'), import('node:crypto')])
  const bytes = new Uint8Array(await readFile(new URL(name, DIR)))
  return { bytes, etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"` }
}

/** True for the paths of the console's files (they need no key). */
export function isConsolePath(path: string): boolean {
  return path === '/' || path.startsWith('/console/')
}

/** The console file `name` (from the allow-list), 304 when the client's copy is current. */
export async function consoleAsset(name: string, ifNoneMatch: string | undefined): Promise<Response> {
  const type = TYPES[name]
  if (type === undefined || !Object.hasOwn(TYPES, name)) throw new HttpError(404, 'NOT_FOUND', `the console has no file ${JSON.stringify(name)}`)
  let p = loaded.get(name)
  if (p === undefined) {
    p = load(name)
    loaded.set(name, p)
    p.catch(() => loaded.delete(name))
  }
  let asset: Asset
  try {
    asset = await p
  } catch {
    throw new HttpError(404, 'NOT_FOUND', 'the console is not built: run npm run build (it bundles dist/src/server/console)')
  }
  const headers: Record<string, string> = {
    'content-type': type,
    'cache-control': 'no-cache',
    etag: asset.etag,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...(name === 'index.html' && { 'content-security-policy': CSP, 'x-frame-options': 'DENY' }),
  }
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === asset.etag)) return new Response(null, { status: 304, headers })
  return new Response(asset.bytes as Uint8Array<ArrayBuffer>, { status: 200, headers })
}
