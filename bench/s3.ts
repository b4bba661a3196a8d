/**
 * S3 benchmark: the same GloVe table (a subset, ROWS rows in files of ROWS_PER_FILE) written to
 * a local warehouse and to S3 (Ceph radosgw), then searched through the public API:
 *   - cold: a new connection per query (open the table, then one search; nothing cached in-process),
 *   - cold index: table open, search caches cleared before each query,
 *   - warm: every cache warm.
 * Reported per query: latency, store requests and bytes (counted by a wrapper under ailake), and
 * the ratio S3 / local. "S3 + index cache" uses connect({ indexCache }) with a disk cache filled
 * by an earlier pass, so it shows what a restarted process pays.
 *
 *   npm run bench:s3     (ROWS=100000 ROWS_PER_FILE=10000 QUERIES=200 COLD=10 to change sizes)
 * Uses AILAKE_S3_ENDPOINT (etc.) when set; otherwise starts radosgw with scripts/s3-up.sh.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect, type ConnectOptions, type ObjectInfo, type ObjectStore, type Table } from '../src/index.js'
import { QueryCaches, SearchBuilder } from '../src/query/index.js'
import { LocalStore } from '../src/store/local-store.js'
import { S3Store } from '../src/store/s3-store.js'
import { mapLimit } from '../src/util/limiter.js'
import { loadDataset, type Dataset } from './prepare.js'

const ROWS = Number(process.env.ROWS ?? 100_000)
const ROWS_PER_FILE = Number(process.env.ROWS_PER_FILE ?? 10_000)
const QUERIES = Number(process.env.QUERIES ?? 200)
const COLD = Number(process.env.COLD ?? 10)
const K = 10
const log = (s: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`)

/** Counts what reaches the store below it: requests by kind and bytes read. */
class CountingStore implements ObjectStore {
  requests = 0
  bytes = 0
  readonly byOp: Record<string, number> = {}
  readonly requestCostBytes?: number
  constructor(readonly inner: ObjectStore) {
    if (inner.requestCostBytes !== undefined) this.requestCostBytes = inner.requestCostBytes
  }
  reset(): void {
    this.requests = 0
    this.bytes = 0
    for (const k of Object.keys(this.byOp)) delete this.byOp[k]
  }
  #count(op: string): void {
    this.requests++
    this.byOp[op] = (this.byOp[op] ?? 0) + 1
  }
  async get(key: string): Promise<Uint8Array> {
    this.#count('get')
    const b = await this.inner.get(key)
    this.bytes += b.length
    return b
  }
  async getRange(key: string, offset: number, length?: number): Promise<Uint8Array> {
    this.#count('getRange')
    const b = await this.inner.getRange(key, offset, length)
    this.bytes += b.length
    return b
  }
  head(key: string): Promise<ObjectInfo | undefined> {
    this.#count('head')
    return this.inner.head(key)
  }
  put(key: string, bytes: Uint8Array): Promise<void> {
    this.#count('put')
    return this.inner.put(key, bytes)
  }
  putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    this.#count('putIfAbsent')
    return this.inner.putIfAbsent(key, bytes)
  }
  list(prefix: string): Promise<ObjectInfo[]> {
    this.#count('list')
    return this.inner.list(prefix)
  }
  delete(key: string): Promise<void> {
    this.#count('delete')
    return this.inner.delete(key)
  }
  close(): Promise<void> {
    return this.inner.close()
  }
}

interface Target {
  name: string
  uri: string
  /** A fresh counting store for one connection. */
  store(): CountingStore
  options?: Partial<ConnectOptions>
}

interface Measure { ms: number[]; requests: number; bytes: number; n: number }
const empty = (): Measure => ({ ms: [], requests: 0, bytes: 0, n: 0 })
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN

function startServerIfNeeded(): (() => void) | undefined {
  if ((process.env.AILAKE_S3_ENDPOINT ?? '') !== '') return undefined
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const dir = join(tmpdir(), 'ailake-bench-s3')
  log(`AILAKE_S3_ENDPOINT is not set: starting radosgw in ${dir}`)
  const out = execFileSync(join(root, 'scripts/s3-up.sh'), [dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) process.env[m[1] as string] = m[2] as string
  return () => execFileSync(join(root, 'scripts/s3-down.sh'), [dir], { stdio: 'inherit' })
}

async function build(target: Target, ds: Dataset): Promise<void> {
  const lake = await connect(target.uri, { ...target.options, store: target.store(), indexCache: undefined } as ConnectOptions)
  const table = await lake.createTable('bench.glove', { vector: { dim: ds.dim, metric: 'cosine' }, schema: { id: 'int', word: 'string' } })
  const t0 = performance.now()
  for (let start = 0; start < ROWS; start += ROWS_PER_FILE) {
    const end = Math.min(ROWS, start + ROWS_PER_FILE)
    const rows = []
    for (let i = start; i < end; i++) rows.push({ id: i, word: ds.words?.[i] ?? String(i), embedding: ds.base.subarray(i * ds.dim, (i + 1) * ds.dim) })
    await table.add(rows, { maxRowsPerFile: ROWS_PER_FILE })
  }
  log(`${target.name}: wrote ${ROWS} rows as ${(await table.files()).length} files in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  await lake.close()
}

const query = (ds: Dataset, qi: number): Float32Array => ds.queries.subarray(qi * ds.dim, (qi + 1) * ds.dim)

async function open(target: Target): Promise<{ table: Table; counter: CountingStore; close(): Promise<void> }> {
  const counter = target.store()
  const lake = await connect(target.uri, { ...target.options, store: counter })
  const table = await lake.openTable('bench.glove')
  return { table, counter, close: () => lake.close() }
}

interface Result { cold: Measure; coldIndex: Measure; warm: Measure; ids: number[][] }

async function measure(target: Target, ds: Dataset): Promise<Result> {
  const r: Result = { cold: empty(), coldIndex: empty(), warm: empty(), ids: [] }
  // Cold: new connection, open, one query; everything it reads is counted.
  for (let qi = 0; qi < COLD; qi++) {
    const t = performance.now()
    const c = await open(target)
    await c.table.search(query(ds, qi)).limit(K).toArray()
    r.cold.ms.push(performance.now() - t)
    r.cold.requests += c.counter.requests
    r.cold.bytes += c.counter.bytes
    r.cold.n++
    await c.close()
  }
  const c = await open(target)
  const caches = new QueryCaches({ maxIndexBytes: 1024 * 2 ** 20 })
  const search = (qi: number): SearchBuilder => new SearchBuilder({ table: c.table.core, caches }, query(ds, qi)).limit(K)
  await search(0).toArray() // table metadata and manifests loaded once
  for (let qi = 0; qi < COLD; qi++) {
    caches.clear()
    c.counter.reset()
    const t = performance.now()
    await search(qi).toArray()
    r.coldIndex.ms.push(performance.now() - t)
    r.coldIndex.requests += c.counter.requests
    r.coldIndex.bytes += c.counter.bytes
    r.coldIndex.n++
  }
  for (let qi = 0; qi < QUERIES; qi++) await search(qi).toArray()
  c.counter.reset()
  for (let qi = 0; qi < QUERIES; qi++) {
    const t = performance.now()
    const rows = await search(qi).toArray()
    r.warm.ms.push(performance.now() - t)
    r.ids.push(rows.map((x) => Number(x.id)))
  }
  r.warm.requests = c.counter.requests
  r.warm.bytes = c.counter.bytes
  r.warm.n = QUERIES
  await c.close()
  return r
}

const stop = startServerIfNeeded()
try {
  const ds = await loadDataset('glove-100', { groundTruth: false })
  const rows = Math.min(ROWS, ds.count)
  if (rows !== ROWS) throw new Error(`ROWS=${ROWS} exceeds the ${ds.count} GloVe rows`)
  const env = process.env
  const s3 = {
    endpoint: env.AILAKE_S3_ENDPOINT ?? '', region: env.AILAKE_S3_REGION ?? 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: env.AILAKE_S3_ACCESS_KEY_ID ?? 'AK', secretAccessKey: env.AILAKE_S3_SECRET_ACCESS_KEY ?? 'SK' },
  }
  const bucket = env.AILAKE_S3_BUCKET ?? 'ailake-test'
  const prefix = `bench/s3-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
  const localDir = mkdtempSync(join(tmpdir(), 'ailake-bench-s3-local-'))
  const cacheDir = mkdtempSync(join(tmpdir(), 'ailake-bench-s3-cache-'))
  const local: Target = { name: 'local', uri: localDir, store: () => new CountingStore(new LocalStore({ root: localDir })) }
  // REQUEST_COST=<bytes> overrides the S3 store's requestCostBytes (how far apart ranges may lie and still be read in one request).
  const cost = process.env.REQUEST_COST === undefined ? {} : { requestCostBytes: Number(process.env.REQUEST_COST) }
  const remote: Target = { name: 'S3', uri: `s3://${bucket}/${prefix}`, store: () => new CountingStore(new S3Store({ ...s3, ...cost, bucket, prefix })) }
  const cached: Target = { ...remote, name: 'S3 + index cache', options: { indexCache: { dir: cacheDir } } }
  try {
    log(`GloVe subset: ${ROWS} x ${ds.dim}, ${Math.ceil(ROWS / ROWS_PER_FILE)} files; ${COLD} cold queries, ${QUERIES} warm`)
    await build(local, ds)
    await build(remote, ds)
    // Warm up the JIT and the wasm kernels so the first target measured is not penalised.
    {
      const c = await open(local)
      const caches = new QueryCaches()
      for (let qi = 0; qi < 30; qi++) {
        if (qi % 3 === 0) caches.clear()
        await new SearchBuilder({ table: c.table.core, caches }, query(ds, QUERIES + qi)).limit(K).toArray()
      }
      await c.close()
    }
    const results: [string, Result][] = []
    for (const t of [local, remote]) {
      results.push([t.name, await measure(t, ds)])
      log(`${t.name}: measured`)
    }
    await measure(cached, ds) // fills the disk cache
    results.push([cached.name, await measure(cached, ds)])
    const base = results[0]?.[1] as Result
    const same = results.every(([, r]) => r.ids.every((ids, qi) => ids.join() === base.ids[qi]?.join()))

    const lines = [
      `ailake bench:s3 — GloVe-100 subset ${ROWS} rows, ${Math.ceil(ROWS / ROWS_PER_FILE)} files, cosine, k=${K}; local disk vs Ceph radosgw (memstore) on loopback`,
      `identical top-${K} ids across stores: ${same ? 'yes' : 'NO'}`,
      '',
      '| store | mode | mean ms | p50 ms | p95 ms | requests/query | KiB/query | ms ratio vs local | requests ratio | bytes ratio |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for (const mode of ['cold', 'coldIndex', 'warm'] as const) {
      const b = base[mode]
      for (const [name, r] of results) {
        const m = r[mode]
        const ratio = (a: number, z: number): string => (z === 0 ? (a === 0 ? '—' : '∞') : (a / z).toFixed(2))
        const label = { cold: 'cold (new connection + open + query)', coldIndex: 'cold index (open table, caches cleared)', warm: 'warm' }[mode]
        lines.push(`| ${name} | ${label} | ${mean(m.ms).toFixed(1)} | ${pct(m.ms, 0.5).toFixed(1)} | ${pct(m.ms, 0.95).toFixed(1)} | ${(m.requests / m.n).toFixed(1)} | ${(m.bytes / m.n / 1024).toFixed(1)} | ${ratio(mean(m.ms), mean(b.ms))} | ${ratio(m.requests / m.n, b.requests / b.n)} | ${ratio(m.bytes, b.bytes)} |`)
      }
    }
    console.log(lines.join('\n'))
  } finally {
    rmSync(localDir, { recursive: true, force: true })
    rmSync(cacheDir, { recursive: true, force: true })
    const cleaner = new S3Store({ ...s3, bucket, prefix })
    await mapLimit(await cleaner.list(''), 16, (o) => cleaner.delete(o.key)).catch(() => {})
    await cleaner.close()
  }
} finally {
  stop?.()
}
