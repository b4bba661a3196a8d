/**
 * Serving benchmark: GloVe-100 (its first 100,000 words, cosine, 10 data files) in a local
 * warehouse, searched over HTTP by autocannon against `ailake serve` running in its own process,
 * at 1, 8 and 32 connections: queries/s and p50/p99 latency (each response timed exactly, not
 * autocannon's whole-millisecond histogram). At one connection the same queries also run in
 * process (`table.search().toArray()`, and through the app without sockets), which gives the
 * server's overhead.
 *
 *   npm run bench:serve     (ROWS=100000 DURATION=10 CONNECTIONS=1,8,32 QUERIES=1000)
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { connect, type Table } from '../src/index.js'
import { createApp } from '../src/server/index.js'
import { cacheRoot } from './datasets/cache.js'
import { loadDataset, type Dataset } from './prepare.js'

const ROWS = Number(process.env.ROWS ?? 100_000)
const DURATION = Number(process.env.DURATION ?? 10)
const CONNECTIONS = (process.env.CONNECTIONS ?? '1,8,32').split(',').map(Number)
const QUERIES = Number(process.env.QUERIES ?? 1000)
const ROWS_PER_FILE = 10_000
const K = 10
const NAME = 'bench.glove100k'
const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))

const log = (s: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`)

function stats(ms: number[]): { p50: number; p99: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b)
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number
  return { p50: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length }
}

async function build(ds: Dataset, dir: string): Promise<void> {
  const lake = await connect(dir)
  if ((await lake.listTables('bench')).includes(NAME)) {
    if (await (await lake.openTable(NAME)).countRows() === ROWS) return lake.close()
    await lake.dropTable(NAME)
  }
  const t = await lake.createTable(NAME, { vector: { column: 'embedding', dim: ds.dim, metric: 'cosine' }, schema: { id: 'int', word: 'string' } })
  for (let start = 0; start < ROWS; start += ROWS_PER_FILE) {
    const rows = []
    for (let i = start; i < Math.min(ROWS, start + ROWS_PER_FILE); i++) rows.push({ id: i, word: ds.words?.[i] ?? String(i), embedding: ds.base.subarray(i * ds.dim, (i + 1) * ds.dim) })
    await t.add(rows, { maxRowsPerFile: ROWS_PER_FILE })
    log(`wrote rows ${start}..${start + rows.length}`)
  }
  await lake.close()
}

/** Sequential in-process latencies: the library directly, and the app without sockets. */
async function inProcess(dir: string, bodies: string[], queries: Float32Array[]): Promise<{ library: number[]; app: number[]; ids: number[][] }> {
  const lake = await connect(dir)
  const table: Table = await lake.openTable(NAME)
  const { app, close } = createApp(lake)
  const viaApp = async (i: number): Promise<unknown> => {
    const res = await app.fetch(new Request(`http://localhost/v1/tables/${NAME}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i] }))
    return res.json()
  }
  for (let i = 0; i < Math.min(300, queries.length); i++) {
    await table.search(queries[i] as Float32Array).limit(K).toArray()
    await viaApp(i)
  }
  const library: number[] = []
  const ids: number[][] = []
  for (let i = 0; i < queries.length; i++) {
    const t = performance.now()
    const rows = await table.search(queries[i] as Float32Array).limit(K).toArray()
    library.push(performance.now() - t)
    ids.push(rows.map((r) => r.id as number))
  }
  const through: number[] = []
  for (let i = 0; i < queries.length; i++) {
    const t = performance.now()
    await viaApp(i)
    through.push(performance.now() - t)
  }
  await close()
  await lake.close()
  return { library, app: through, ids }
}

async function startServer(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [MAIN, '--warehouse', dir, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /ailake serving (http:\/\/[^\s]+)/.exec(out)
      if (m !== null) resolve(m[1] as string)
    })
    child.on('exit', (code) => reject(new Error(`ailake serve exited with ${String(code)}: ${out}`)))
  })
  return {
    url,
    stop: () => new Promise((resolve) => {
      child.on('exit', () => resolve())
      child.kill('SIGTERM')
    }),
  }
}

async function load(url: string, bodies: string[], connections: number, seconds: number): Promise<{ qps: number; times: number[]; errors: number }> {
  let next = 0
  const times: number[] = []
  let errors = 0
  // No bodies: GET /health, the cost of HTTP itself on this machine.
  const request = bodies.length === 0 ? { method: 'GET', path: '/health' } : {
    method: 'POST', path: `/v1/tables/${NAME}/search`, headers: { 'content-type': 'application/json' },
    setupRequest: (req: { body?: string }) => ({ ...req, body: bodies[next++ % bodies.length] }),
  }
  const instance = autocannon({ url, connections, duration: seconds, requests: [request] })
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) times.push(ms)
    else errors++
  })
  const result = await instance
  return { qps: times.length / (result.duration || seconds), times, errors: errors + result.errors + result.timeouts }
}

const ds = await loadDataset('glove-100', { log, groundTruth: false })
if (ds.count < ROWS) throw new Error(`GloVe has ${ds.count} base vectors, fewer than ROWS=${ROWS}`)
const root = join(cacheRoot(), 'bench', 'serve')
if (!existsSync(root)) mkdirSync(root, { recursive: true })
const dir = join(root, 'warehouse')
await build(ds, dir)

const queries = Array.from({ length: QUERIES }, (_, i) => ds.queries.subarray((i % ds.queryCount) * ds.dim, ((i % ds.queryCount) + 1) * ds.dim))
const bodies = queries.map((q) => JSON.stringify({ vector: Array.from(q), limit: K }))
log(`in-process baseline: ${QUERIES} queries, sequential`)
const base = await inProcess(dir, bodies, queries)
const lib = stats(base.library)
const viaApp = stats(base.app)

const server = await startServer(dir)
log(`server at ${server.url}`)
// The same answers over HTTP as in process.
for (let i = 0; i < 20; i++) {
  const res = await fetch(`${server.url}/v1/tables/${NAME}/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i] })
  const got = ((await res.json()) as { rows: { id: number }[] }).rows.map((r) => Number(r.id))
  if (got.join() !== base.ids[i]?.join()) throw new Error(`query ${i}: the server answered ${got.join()} but the library ${base.ids[i]?.join()}`)
}
const rows: string[] = []
let oneConnection: { p50: number; p99: number; mean: number } | undefined
for (const c of CONNECTIONS) {
  await load(server.url, bodies, c, 2) // warm-up: caches, JIT, connections
  const r = await load(server.url, bodies, c, DURATION)
  const s = stats(r.times)
  if (c === 1) oneConnection = s
  rows.push(`| HTTP, ${c} connection${c === 1 ? '' : 's'} | ${r.qps.toFixed(0)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${r.errors} |`)
  log(rows[rows.length - 1] as string)
}
await load(server.url, [], 1, 2)
const floor = stats((await load(server.url, [], 1, DURATION)).times)
await server.stop()

console.log(`\nailake serve, GloVe-100 first ${ROWS} words (cosine, ${ROWS / ROWS_PER_FILE} files), k=${K}, default ef; ${DURATION} s per run after a 2 s warm-up\n`)
console.log('| client | queries/s | p50 ms | p99 ms | errors |')
console.log('|---|---:|---:|---:|---:|')
console.log(`| in process, table.search() (sequential) | ${(1000 / lib.mean).toFixed(0)} | ${lib.p50.toFixed(2)} | ${lib.p99.toFixed(2)} | 0 |`)
console.log(`| in process, app.fetch() without sockets (sequential) | ${(1000 / viaApp.mean).toFixed(0)} | ${viaApp.p50.toFixed(2)} | ${viaApp.p99.toFixed(2)} | 0 |`)
for (const r of rows) console.log(r)
console.log(`| HTTP, 1 connection, GET /health (HTTP alone, no search) | | ${floor.p50.toFixed(2)} | ${floor.p99.toFixed(2)} | |`)
if (oneConnection !== undefined) {
  console.log(`\nserver overhead at 1 connection: p50 ${(oneConnection.p50 / lib.p50).toFixed(2)}x, mean ${(oneConnection.mean / lib.mean).toFixed(2)}x the in-process search (goal <= 1.3x)`)
}
