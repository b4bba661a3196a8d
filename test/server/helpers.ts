/**
 * What the server tests share: requests through the app in this process (no sockets), a
 * deterministic text embedder (optionally held at a gate, to keep a search running), and
 * brute-force nearest neighbours as the oracle for search results.
 */
import type { Embedder } from '../../src/index.js'

export interface Reply {
  status: number
  headers: Headers
  text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any // eslint-disable-line @typescript-eslint/no-explicit-any -- test replies are read freely
}

export interface Fetcher {
  fetch(request: Request): Response | Promise<Response>
}

export async function send(app: Fetcher, method: string, path: string, options: { body?: unknown; raw?: NonNullable<RequestInit['body']>; key?: string; headers?: Record<string, string>; host?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`
  let body: RequestInit['body'] = options.raw
  if (options.body !== undefined) {
    body = JSON.stringify(options.body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))
    headers['content-type'] ??= 'application/json'
  }
  const res = await app.fetch(new Request(`http://${options.host ?? 'localhost'}${path}`, { method, headers, body, ...(body instanceof ReadableStream && { duplex: 'half' }) } as RequestInit))
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

/** Words hashed into `dim` buckets, normalised: texts sharing words are near. */
export function hashEmbedder(dim = 8, gate?: () => Promise<void>): Embedder & { calls: number } {
  const e = {
    name: 'test-hash', dim, calls: 0,
    async embed(texts: readonly string[]): Promise<Float32Array[]> {
      e.calls++
      if (gate !== undefined) await gate()
      return texts.map((t) => {
        const v = new Float32Array(dim).fill(0.01)
        for (const w of t.toLowerCase().split(/\W+/).filter(Boolean)) {
          let h = 2166136261
          for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619)
          v[(h >>> 0) % dim] = (v[(h >>> 0) % dim] as number) + 1
        }
        return v
      })
    },
  }
  return e
}

export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number)
    na += (a[i] as number) ** 2
    nb += (b[i] as number) ** 2
  }
  return 1 - dot / Math.sqrt(na * nb)
}

/** Ids of the `k` rows nearest to `q` by brute force (ties: smaller id). */
export function nearest(rows: { id: number; v: ArrayLike<number> }[], q: ArrayLike<number>, k: number): number[] {
  return rows.map((r) => ({ id: r.id, d: cosineDistance(r.v, q) })).sort((x, y) => x.d - y.d || x.id - y.id).slice(0, k).map((r) => r.id)
}

/** A promise to hold something at, and the function that lets it go. */
export function latch(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void
  const p = new Promise<void>((resolve) => { open = resolve })
  return { wait: () => p, open }
}
