/**
 * Vector codes benchmark (issue 15, benchmark item 3): ailake tables whose index sections carry
 * SQ8 codes (the default) and PQ codes (`createTable(..., { vector: { codes: 'pq', subvectors } })`),
 * against LanceDB IVF_PQ (same number of sub-vectors; refine factors swept, as a LanceDB user
 * tunes them for recall) and LanceDB IVF_HNSW_SQ (as bench/lance.ts builds it), all built from
 * the same rows in the same run. Data sets (no downloads at run time):
 *
 *  - `fashion-mnist`: 60,000 x 784 pixel vectors, euclidean (bench/datasets/fashion-mnist.ts);
 *  - `wordnet-use`: real model embeddings, 30,000 WordNet glosses embedded with the offline
 *    USE-lite model, 512-d, cosine; 500 held-out glosses as queries (bench/datasets/wordnet-use.ts,
 *    embedded once and cached). No packaged 768-d model embeddings exist on this machine.
 *
 * Per configuration: build seconds (rows written + index), on-disk MiB, the smallest setting of
 * an ascending sweep (ailake: ef; IVF_PQ: nprobes per refine factor; IVF_HNSW_SQ: ef) whose
 * recall@10 reaches 0.95 and its q/s (one query at a time, warm), then COLD queries each on a new
 * connection at that setting: open and search ms, MiB read per query as ailake's search stats
 * count it (`plan.bytesRead`) and as the process's read syscalls count it (`rchar` of
 * /proc/self/io over open + search, the one figure measurable for LanceDB too; local files stay
 * in the OS page cache, so this is bytes asked for, not disk traffic), and resident cache bytes
 * per row after the warm sweep (ailake: per-file search state in `plan.cacheBytes`; LanceDB: its
 * session's `sizeBytes()`).
 *
 * PQ runs only when the installed ailake accepts `codes: 'pq'` (probed with a throwaway table;
 * CODES=sq8 skips it, CODES=sq8,pq insists on it).
 *
 *   npm run bench:codes
 *   env: DATASET=fashion-mnist|wordnet-use (default both, one after the other), ROWS=<first n base
 *        rows, ground truth recomputed>, QUERIES=200, COLD=10, SUBVECTORS=<default dim/8>,
 *        PEERS=0 (no LanceDB), CODES=sq8|sq8,pq
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { AilakeError, connect, type Table } from '../src/index.js'
import type { SearchPlan } from '../src/query/index.js'
import { MemoryStore } from '../src/store/memory-store.js'
import type { Metric } from '../src/vector/types.js'
import { cacheRoot, computeGroundTruth, type Dataset } from './datasets/cache.js'
import { buildLanceIndex, lanceDistance, lanceSearch, lanceVectors, type Lance, type LanceTable } from './lance.js'
import { cpuSeconds, load, log, median, recallOf } from './measure.js'
import { loadDataset, type DatasetName } from './prepare.js'

// LanceDB 0.31's logger reads LANCEDB_LOG (not RUST_LOG): without it every query warns about `_distance`.
process.env.LANCEDB_LOG ??= 'error'
const DATASETS = (process.env.DATASET ?? 'fashion-mnist,wordnet-use').split(',') as DatasetName[]
const ROWS = Number(process.env.ROWS ?? 0)
const QUERIES = Number(process.env.QUERIES ?? 200)
const COLD = Number(process.env.COLD ?? 10)
const PEERS = process.env.PEERS !== '0'
const CODES = process.env.CODES
const K = 10
const TARGET = 0.95
const TABLE = 'bench.codes'
const MiB = 2 ** 20
const EFS = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
const LANCE_EFS = [16, 32, 48, 64, 96, 128, 192, 256, 384, 512]
const NPROBES = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256]
/** 0 = no refine step (LanceDB then ranks by PQ distances alone). */
const REFINES = [0, 2, 5, 10, 20]
const root = join(cacheRoot(), 'bench', 'codes')

/** One sweep point: the setting, its recall@10 and warm q/s. */
interface Point { setting: string; recall: number; qps: number; cpuQps: number }

/** One configuration's figures (one row of the report). */
interface Result {
  dataset: string
  system: string
  buildS: number
  buildCpuS: number
  diskMiB: number
  points: Point[]
  /** The first point reaching TARGET, or undefined. */
  reached?: Point
  cold?: { openMs: number; searchMs: number; statsMiB?: number; rcharMiB: number; recall: number }
  residentPerRow?: number
  note: string
}

const results: Result[] = []

/** Bytes the process has asked read syscalls for (page-cache hits included), or NaN off Linux. */
function rchar(): number {
  if (!existsSync('/proc/self/io')) return NaN
  const m = /^rchar:\s+(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'))
  return m === null ? NaN : Number(m[1])
}

function diskBytes(dir: string): number {
  let sum = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    sum += e.isDirectory() ? diskBytes(p) : statSync(p).size
  }
  return sum
}

/** The rows, queries and ground truth (K per query) one data set is measured with. */
interface Bench { name: string; dim: number; count: number; metric: Metric; base: Float32Array; queries: Float32Array; truth: Int32Array }

async function prepare(name: DatasetName): Promise<Bench> {
  const ds: Dataset = await loadDataset(name, { log })
  const count = ROWS > 0 ? Math.min(ROWS, ds.count) : ds.count
  const nq = Math.min(QUERIES, ds.queryCount)
  const dim = ds.dim
  const base = ds.base.subarray(0, count * dim)
  const queries = ds.queries.subarray(0, nq * dim)
  let truth: Int32Array = new Int32Array(nq * K)
  if (count === ds.count) {
    for (let q = 0; q < nq; q++) truth.set(ds.groundTruth.subarray(q * ds.gtK, q * ds.gtK + K), q * K)
  } else {
    const t0 = performance.now()
    truth = (await computeGroundTruth(base, dim, ds.metric, queries, K, 2)).ids
    log(`${name}: exact top-${K} over the first ${count} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
  return { name, dim, count, metric: ds.metric, base, queries, truth }
}

const query = (b: Bench, qi: number): Float32Array => b.queries.subarray(qi * b.dim, (qi + 1) * b.dim)
const queryCount = (b: Bench): number => b.truth.length / K

/**
 * Measures `settings` in order (cheap to expensive) until one reaches TARGET recall or recall
 * stops growing: recall and q/s over every query, after a warm-up (every query before the first
 * setting, 20 before each other).
 */
async function ladder(b: Bench, label: string, settings: string[], run: (qi: number, setting: string) => Promise<number[]>): Promise<Point[]> {
  const points: Point[] = []
  const nq = queryCount(b)
  for (let i = 0; i < settings.length; i++) {
    const setting = settings[i] as string
    for (let qi = 0; qi < (i === 0 ? nq : Math.min(20, nq)); qi++) await run(qi, setting)
    let recall = 0
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let qi = 0; qi < nq; qi++) recall += recallOf(b.truth, qi, await run(qi, setting), K)
    const p = { setting, recall: recall / nq, qps: nq / ((performance.now() - t0) / 1000), cpuQps: nq / cpuSeconds(c0) }
    points.push(p)
    log(`${b.name} ${label} ${setting}: recall ${p.recall.toFixed(3)}, ${p.qps.toFixed(0)} q/s (${p.cpuQps.toFixed(0)} per CPU-s, load ${load()})`)
    if (p.recall >= TARGET) break
    // Three settings without a gain: a plateau (IVF_PQ without refine past its partition count).
    const last3 = points.slice(-3)
    if (last3.length === 3 && last3.every((x) => x.recall === p.recall)) break
  }
  return points
}

// ---------------------------------------------------------------------------------------------
// ailake

type Codes = 'sq8' | 'pq'
const subvectorsFor = (dim: number): number => Number(process.env.SUBVECTORS ?? Math.max(1, Math.round(dim / 8)))

/**
 * The `vector` option of createTable; `codes` only for PQ, so SQ8 runs on builds without the
 * option. Untyped (passed `as never`): builds without PQ have no `codes` in their option types.
 */
function vectorOption(b: Bench, codes: Codes): Record<string, unknown> {
  return { column: 'embedding', dim: b.dim, metric: b.metric, ...(codes === 'pq' ? { codes: 'pq', subvectors: subvectorsFor(b.dim) } : {}) }
}

/** Whether this ailake build accepts PQ codes: a throwaway in-memory table is created with them. */
async function pqSupported(b: Bench): Promise<boolean> {
  const lake = await connect('/nonexistent/ailake-bench-codes-probe', { store: new MemoryStore() })
  try {
    await lake.createTable('probe', { vector: vectorOption(b, 'pq') as never, schema: { id: 'int' } })
    return true
  } catch (e) {
    if (e instanceof AilakeError && e.code === 'INVALID_ARGUMENT' && /codes|subvectors/.test(e.message)) {
      log(`PQ codes not supported by this build (${e.message}); measuring SQ8 only`)
      return false
    }
    throw e
  } finally {
    await lake.close()
  }
}

/** One ailake search at `ef` (`ef <n>`, or `default`). */
async function ailakeSearch(t: Table, v: Float32Array, ef: string): Promise<{ ids: number[]; plan: SearchPlan }> {
  const s = t.search(v).limit(K).select(['id'])
  const { rows, plan } = await (ef === 'default' ? s : s.ef(Number(ef.split(' ')[1]))).execute()
  return { ids: rows.map((r) => r.id as number), plan }
}

async function benchAilake(b: Bench, codes: Codes): Promise<void> {
  const dir = join(root, b.name, `ailake-${codes}`)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const system = codes === 'pq' ? `ailake PQ (${subvectorsFor(b.dim)} sub-vectors)` : 'ailake SQ8'
  let lake = await connect(dir)
  const table = await lake.createTable(TABLE, { vector: vectorOption(b, codes) as never, schema: { id: 'int' } })
  const rows = Array.from({ length: b.count }, (_, i) => ({ id: i, embedding: b.base.subarray(i * b.dim, (i + 1) * b.dim) }))
  log(`${b.name} ${system}: writing ${b.count} rows with one table.add (files of the default size) (load ${load()})`)
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await table.add(rows)
  await table.waitForIndexes()
  const buildS = (performance.now() - t0) / 1000
  const buildCpuS = cpuSeconds(c0)
  const files = (await table.files()).length
  await lake.close()
  const diskMiB = diskBytes(dir) / MiB
  log(`${b.name} ${system}: ${files} file(s) in ${buildS.toFixed(1)} s (CPU ${buildCpuS.toFixed(1)} s), ${diskMiB.toFixed(1)} MiB on disk`)

  // Warm: a connection of its own, so its caches hold only what the searches loaded.
  lake = await connect(dir)
  const warm = await lake.openTable(TABLE)
  const points = await ladder(b, system, ['default', ...EFS.map((e) => `ef ${e}`)], async (qi, ef) => (await ailakeSearch(warm, query(b, qi), ef)).ids)
  // 'default' is the default ef, measured first for the report; the ladder continues past it only if it missed.
  const defaultPoint = points[0] as Point
  const swept = defaultPoint.recall >= TARGET ? await ladder(b, system, EFS.map((e) => `ef ${e}`), async (qi, ef) => (await ailakeSearch(warm, query(b, qi), ef)).ids) : points.slice(1)
  const last = await ailakeSearch(warm, query(b, 0), (swept[swept.length - 1] as Point).setting)
  const held = last.plan.cacheBytes
  await lake.close()

  const reached = swept.find((p) => p.recall >= TARGET)
  const cold = await coldAilake(b, dir, (reached ?? swept[swept.length - 1] as Point).setting)
  results.push({
    dataset: b.name, system, buildS, buildCpuS, diskMiB, points: [defaultPoint, ...swept], ...(reached === undefined ? {} : { reached }), cold,
    residentPerRow: held.index / b.count,
    note: `${files} file(s); default ef: recall ${defaultPoint.recall.toFixed(3)} at ${defaultPoint.qps.toFixed(0)} q/s; resident after the sweep: ${(held.index / MiB).toFixed(1)} MiB search state + ${(held.vectorPages / MiB).toFixed(1)} MiB vector pages`,
  })
}

/** COLD queries, each on a new connection (fresh caches): open + search time and bytes. */
async function coldAilake(b: Bench, dir: string, ef: string): Promise<NonNullable<Result['cold']>> {
  const open: number[] = []
  const search: number[] = []
  let stats = 0
  let chars = 0
  let recall = 0
  const nq = queryCount(b)
  for (let j = 0; j < COLD; j++) {
    const qi = Math.floor(j * nq / COLD)
    const r0 = rchar()
    const t0 = performance.now()
    const lake = await connect(dir)
    const t = await lake.openTable(TABLE)
    const t1 = performance.now()
    const { ids, plan } = await ailakeSearch(t, query(b, qi), ef)
    const t2 = performance.now()
    chars += rchar() - r0
    await lake.close()
    open.push(t1 - t0)
    search.push(t2 - t1)
    stats += plan.bytesRead
    recall += recallOf(b.truth, qi, ids, K)
  }
  return { openMs: median(open), searchMs: median(search), statsMiB: stats / COLD / MiB, rcharMiB: chars / COLD / MiB, recall: recall / COLD }
}

// ---------------------------------------------------------------------------------------------
// LanceDB

type LanceIndex = 'ivf_pq' | 'ivf_hnsw_sq'

/** Rows written (one createTable) and the index built in a directory of its own; seconds of each. */
async function buildLance(lancedb: Lance, b: Bench, index: LanceIndex, dir: string): Promise<{ writeS: number; indexS: number; cpuS: number }> {
  rmSync(dir, { recursive: true, force: true })
  const db = await lancedb.connect(dir)
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const table = await db.createTable('bench', lanceVectors(b.base, b.dim) as never, { mode: 'overwrite' })
  const writeS = (performance.now() - t0) / 1000
  let indexS: number
  if (index === 'ivf_hnsw_sq') indexS = await buildLanceIndex(lancedb, table, b.metric)
  else {
    const t1 = performance.now()
    // Default partitions (sqrt(rows)); sub-vectors as ailake's PQ, so both compress alike.
    await table.createIndex('vector', { config: lancedb.Index.ivfPq({ distanceType: lanceDistance(b.metric), numSubVectors: subvectorsFor(b.dim) }) })
    indexS = (performance.now() - t1) / 1000
  }
  const cpuS = cpuSeconds(c0)
  table.close()
  db.close()
  return { writeS, indexS, cpuS }
}

/** One LanceDB query at `setting`: `ef <n>`, or `nprobes <n>` with `refine <r>` (0: none). */
async function lanceQuery(table: LanceTable, b: Bench, v: Float32Array, index: LanceIndex, setting: string, refine: number): Promise<number[]> {
  const n = Number(setting.split(' ')[1])
  if (index === 'ivf_hnsw_sq') return lanceSearch(table, v, b.metric, K, n)
  let q = table.vectorSearch(v).distanceType(lanceDistance(b.metric)).nprobes(n).limit(K).select(['id'])
  if (refine > 0) q = q.refineFactor(refine)
  return (await q.toArray() as { id: number }[]).map((r) => r.id)
}

async function benchLance(lancedb: Lance, b: Bench, index: LanceIndex): Promise<void> {
  const dir = join(root, b.name, `lancedb-${index}`)
  const built = await buildLance(lancedb, b, index, dir)
  const diskMiB = diskBytes(dir) / MiB
  const name = index === 'ivf_pq' ? `LanceDB IVF_PQ (${subvectorsFor(b.dim)} sub-vectors)` : 'LanceDB IVF_HNSW_SQ (M 16, efC 200)'
  log(`${b.name} ${name}: rows written in ${built.writeS.toFixed(1)} s, index in ${built.indexS.toFixed(1)} s, ${diskMiB.toFixed(1)} MiB on disk`)
  const variants = index === 'ivf_pq' ? REFINES : [0]
  for (const refine of variants) {
    const session = new lancedb.Session()
    // The session as an option: connect()'s third argument does not reach the native connection in 0.31.
    const db = await lancedb.connect(dir, { session })
    const table = await db.openTable('bench')
    const system = index === 'ivf_pq' ? `${name}, ${refine === 0 ? 'no refine' : `refine ${refine}`}` : name
    const settings = index === 'ivf_pq' ? NPROBES.map((n) => `nprobes ${n}`) : LANCE_EFS.map((n) => `ef ${n}`)
    const points = await ladder(b, system, settings, (qi, s) => lanceQuery(table, b, query(b, qi), index, s, refine))
    const resident = Number(session.sizeBytes())
    table.close()
    db.close()
    const reached = points.find((p) => p.recall >= TARGET)
    const setting = (reached ?? points[points.length - 1] as Point).setting
    const cold = await coldLance(lancedb, b, dir, index, setting, refine)
    results.push({
      dataset: b.name, system, buildS: built.writeS + built.indexS, buildCpuS: built.cpuS, diskMiB, points, ...(reached === undefined ? {} : { reached }), cold,
      residentPerRow: resident / b.count,
      note: `rows ${built.writeS.toFixed(1)} s + index ${built.indexS.toFixed(1)} s; resident = the session's index + metadata caches after the sweep (${(resident / MiB).toFixed(1)} MiB)`,
    })
  }
}

async function coldLance(lancedb: Lance, b: Bench, dir: string, index: LanceIndex, setting: string, refine: number): Promise<NonNullable<Result['cold']>> {
  const open: number[] = []
  const search: number[] = []
  let chars = 0
  let recall = 0
  const nq = queryCount(b)
  for (let j = 0; j < COLD; j++) {
    const qi = Math.floor(j * nq / COLD)
    const r0 = rchar()
    const t0 = performance.now()
    // A new session per connection: LanceDB's caches live in the session.
    const db = await lancedb.connect(dir, { session: new lancedb.Session() })
    const table = await db.openTable('bench')
    const t1 = performance.now()
    const ids = await lanceQuery(table, b, query(b, qi), index, setting, refine)
    const t2 = performance.now()
    chars += rchar() - r0
    table.close()
    db.close()
    open.push(t1 - t0)
    search.push(t2 - t1)
    recall += recallOf(b.truth, qi, ids, K)
  }
  return { openMs: median(open), searchMs: median(search), rcharMiB: chars / COLD / MiB, recall: recall / COLD }
}

// ---------------------------------------------------------------------------------------------
// Run and report

const startMs = performance.now()
const startLoad = load()
const header: string[] = []
for (const name of DATASETS) {
  const t0 = performance.now()
  const b = await prepare(name)
  const pq = CODES === undefined ? await pqSupported(b) : CODES.split(',').includes('pq')
  header.push(`${name}: ${b.count.toLocaleString('en-US')} x ${b.dim}, ${b.metric}, ${queryCount(b)} queries, k=${K}${pq ? `, PQ with ${subvectorsFor(b.dim)} sub-vectors (${b.dim * 4 / subvectorsFor(b.dim)}x smaller than f32)` : ', PQ not available in this build'}`)
  await benchAilake(b, 'sq8')
  if (pq) await benchAilake(b, 'pq')
  if (PEERS) {
    const lancedb: Lance = await import('@lancedb/lancedb')
    await benchLance(lancedb, b, 'ivf_pq')
    await benchLance(lancedb, b, 'ivf_hnsw_sq')
  }
  log(`${name} done in ${((performance.now() - t0) / 60_000).toFixed(1)} min`)
}

const f = (x: number | undefined, d = 1): string => x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d)
console.log(`\n## Vector codes: SQ8 vs PQ vs LanceDB (recall@10 target ${TARGET})\n`)
for (const h of header) console.log(`- ${h}`)
console.log(`- Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load (1/5/15 min) at start ${startLoad}, at end ${load()}; ${((performance.now() - startMs) / 60_000).toFixed(1)} min; ${new Date().toISOString().slice(0, 16)} UTC`)
console.log(`- q/s: warm, one query at a time, at the cheapest swept setting reaching the target. Cold: ${COLD} queries, each on a new connection (LanceDB: new session), medians of open and search ms; MiB read/query as ailake's search stats count it and as the process's read syscalls count it over open + search (/proc/self/io rchar; the OS page cache holds the files). Resident: cache bytes per row after the warm sweep.\n`)
console.log('| data set | system | build s (CPU s) | on disk MiB | setting at 0.95 | recall@10 | q/s | q/s per CPU-s | cold open ms | cold search ms | cold MiB/query (stats) | cold MiB/query (read syscalls) | resident bytes/row | notes |')
console.log('|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|')
for (const r of results) {
  const p = r.reached
  const best = Math.max(...r.points.map((x) => x.recall))
  console.log(`| ${r.dataset} | ${r.system} | ${f(r.buildS)} (${f(r.buildCpuS)}) | ${f(r.diskMiB)} | ${p?.setting ?? `not reached (best ${best.toFixed(3)})`} | ${f(p?.recall, 3)} | ${f(p?.qps, 0)} | ${f(p?.cpuQps, 0)} | ${f(r.cold?.openMs)} | ${f(r.cold?.searchMs)} | ${f(r.cold?.statsMiB, 2)} | ${f(r.cold?.rcharMiB, 2)} | ${f(r.residentPerRow, 0)} | ${r.note} |`)
}
console.log('\nEvery sweep point (ascending; each sweep stops at the first setting reaching the target):\n')
console.log('| data set | system | setting | recall@10 | q/s | q/s per CPU-s |')
console.log('|---|---|---|---:|---:|---:|')
for (const r of results) for (const p of r.points) console.log(`| ${r.dataset} | ${r.system} | ${p.setting} | ${p.recall.toFixed(3)} | ${p.qps.toFixed(0)} | ${p.cpuQps.toFixed(0)} |`)
