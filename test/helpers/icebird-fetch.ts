/**
 * Test-only `globalThis.fetch` shim so icebird (which does all its I/O through fetch) can read
 * tables on the local filesystem. `file://` URLs and plain absolute paths are served from disk
 * with HEAD, `Range: bytes=a-b`, `bytes=a-` and suffix `bytes=-n` support; every other URL goes
 * to the real fetch.
 */
import { open, stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

function localPath(input: string | URL | Request): string | undefined {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  if (url.startsWith('file://')) return fileURLToPath(url)
  if (url.startsWith('/')) return url
  return undefined
}

async function readRange(path: string, start: number, end: number): Promise<Uint8Array> {
  const fh = await open(path, 'r')
  try {
    const out = new Uint8Array(Math.max(0, end - start))
    let done = 0
    while (done < out.length) {
      const { bytesRead } = await fh.read(out, done, out.length - done, start + done)
      if (bytesRead === 0) break
      done += bytesRead
    }
    return out.subarray(0, done)
  } finally {
    await fh.close()
  }
}

async function serve(path: string, init: RequestInit | undefined): Promise<Response> {
  let size: number
  try {
    const st = await stat(path)
    if (!st.isFile()) return new Response(null, { status: 404, statusText: 'Not Found' })
    size = st.size
  } catch {
    return new Response(null, { status: 404, statusText: 'Not Found' })
  }
  const method = (init?.method ?? 'GET').toUpperCase()
  if (method === 'HEAD') return new Response(null, { status: 200, headers: { 'Content-Length': String(size), 'Accept-Ranges': 'bytes' } })
  const range = new Headers(init?.headers).get('Range')
  if (range === null) {
    return new Response(await readRange(path, 0, size), { status: 200, headers: { 'Content-Length': String(size) } })
  }
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim())
  if (m === null || (m[1] === '' && m[2] === '')) return new Response(null, { status: 416, statusText: 'Range Not Satisfiable' })
  let start: number
  let end: number // exclusive
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]))
    end = size
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1)
  }
  if (start >= size || end <= start) {
    return new Response(null, { status: 416, statusText: 'Range Not Satisfiable', headers: { 'Content-Range': `bytes */${size}` } })
  }
  const body = await readRange(path, start, end)
  return new Response(body, {
    status: 206,
    headers: { 'Content-Length': String(body.length), 'Content-Range': `bytes ${start}-${end - 1}/${size}` },
  })
}

/** Installs the shim; returns a function that restores the previous `fetch`. */
export function installIcebirdFetch(): () => void {
  const original = globalThis.fetch
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const path = localPath(input)
    return path === undefined ? original(input, init) : serve(path, init)
  }) as typeof fetch
  return () => {
    globalThis.fetch = original
  }
}
