/**
 * Lake-scale search benchmark (issue 15, item 2): a ~1M-row table, GloVe-100 (340,479 words,
 * cosine) plus seeded perturbed copies of it (copy c of word w: `perturbed(w, 15_000_000 + row)`,
 * 10% Gaussian noise of the row's RMS; rows in order base, copy 1, copy 2 up to ROWS), written
 * with `table.add` as ROWS/100k calls of 100k rows (the default file size: one file each).
 * Measured against exact ground truth over all ROWS rows for the first QUERIES held-out queries:
 *
 *  - ailake with default caches and with the caches capped at 256 MiB in total
 *    (`connect(uri, { cache: CAPPED })`): warm q/s over an ef sweep and at recall@10 >= 0.95,
 *    warm MiB read per query, resident cache bytes (per row), peak RSS, cold query ms and MiB;
 *    and the defaults with a 256 MiB column cache (COLUMNS), which isolates the cost of the
 *    winners' fetch through whole decoded columns;
 *  - LanceDB (IVF_HNSW_SQ as bench/lance.ts builds it) on the same rows: q/s at recall 0.95;
 *  - the ratios, and the 10M-row table on paper from the measured per-row figures.
 *
 * Each measurement runs in its own child process (one at a time), so its peak RSS is that of a
 * process holding the table's caches and the queries, not the data set or the other system.
 *
 *   npm run bench:lake
 *   env: ROWS=1000000 QUERIES=200 PASSES=1 COLD=10 PEERS=0 (no LanceDB) COLUMNS=0 (no columns run) REBUILD=1
 *        CODES=pq (a table whose files store PQ codes, kept apart from the SQ8 one)
 *
 * The tables, queries and ground truth live in `.cache/bench/lake/`; a rerun measures them
 * without rebuilding.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type * as arrow from 'apache-arrow'
import { connect } from '../src/index.js'
import { executeSearch, QueryCaches, type QueryCachesOptions } from '../src/query/index.js'
import { cacheRoot, computeGroundTruth, readF32, readI32 } from './datasets/cache.js'
import { buildLanceIndex, lanceAppend, lanceBatch, lanceSearch, type BenchRow, type Lance } from './lance.js'
import { cpuSeconds, firstAt, load, log, perturbed, qpsAt, sweep, type Point } from './measure.js'
import { loadDataset } from './prepare.js'

// LanceDB 0.31's logger reads LANCEDB_LOG, not RUST_LOG: without it every query warns about `_distance`.
process.env.LANCEDB_LOG ??= 'error'
const ROWS = Number(process.env.ROWS ?? 1_000_000)
const QUERIES = Number(process.env.QUERIES ?? 200)
const PASSES = Number(process.env.PASSES ?? 1)
const COLD = Number(process.env.COLD ?? 10)
const PEERS = process.env.PEERS !== '0'
const REBUILD = process.env.REBUILD === '1'
const K = 10
const ROWS_PER_ADD = 100_000
const SEED = 15_000_000
const TABLE = 'bench.lake'
/** Per-file beams; 0 = the default (`defaultEf` of each file's rows). */
const EFS = [16, 24, 32, 48, 64, 96, 128, 192]
const LANCE_EFS = [32, 64, 128, 256, 384, 512]
const MiB = 2 ** 20
/** 256 MiB in total over every byte-bounded cache: `connect(uri, { cache: { maxBytes } })`, split as QueryCaches does. */
const CAPPED: QueryCachesOptions = { maxBytes: 256 * MiB }
/** The defaults of QueryCaches (src/query/caches.ts), for the report. */
const DEFAULT_TOTAL = new QueryCaches().budget.maxBytes
/** A capped run whose warm queries take longer than this gets fewer queries (its figure is then a thrash rate). */
const SLOW_QUERY_S = 0.1
const CAPPED_BUDGET_S = 150
/** The default caches but a column cache of 256 MiB: the 64 MiB default thrashes on 10 files' `id` columns (see the report). */
const COLUMNS: QueryCachesOptions = { maxColumnBytes: 256 * MiB }

const CODES = process.env.CODES === 'pq' ? 'pq' : 'sq8'
const root = join(cacheRoot(), 'bench', 'lake')
const tableDir = join(root, CODES === 'pq' ? 'ailake-pq' : 'ailake')
const lanceDir = join(root, 'lancedb')
const queriesPath = join(root, `queries-${QUERIES}.f32`)
const truthPath = join(root, `truth-${ROWS}-${QUERIES}.i32`)
const statePath = join(root, CODES === 'pq' ? 'state-pq.json' : 'state.json')

interface BuildState { config: string; dim: number; files: number; buildS: number; buildCpuS: number; buildLoad: string; lance?: { buildS: number; indexS: number; load: string } }

/** What one child process measured. */
interface ChildResult {
  name: string
  points: Point[]
  defaultPoint?: Point
  queries: number
  cold?: { ef: number; ms: number; mib: number; reads: number }
  resident?: { indexBytes: number; pageBytes: number; totalBytes: number }
  rssAfterOpenMiB: number
  /** Peak RSS before the cold queries (which drop every cache before each query). */
  peakWarmMiB?: number
  rssWarmMiB: number
  maxRssMiB: number
  heapUsedMiB: number
  externalMiB: number
  note: string
}

const mib = (b: number): number => b / MiB
/**
 * This process's peak RSS. On Linux from VmHWM: `resourceUsage().maxRSS` survives exec, so a
 * child would report its parent's peak (the parent holds the 1M-row data set).
 */
const maxRssMiB = (): number => {
  const hwm = existsSync('/proc/self/status') ? /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] : undefined
  return (hwm === undefined ? process.resourceUsage().maxRSS : Number(hwm)) / 1024
}

// ---------------------------------------------------------------------------------------------
// Child: one system and cache setting, measured in a process of its own

async function child(name: string): Promise<ChildResult> {
  const vectors = readF32(queriesPath)
  const truth = readI32(truthPath)
  const dim = vectors.length / QUERIES
  const query = (qi: number): Float32Array => vectors.subarray(qi * dim, (qi + 1) * dim)
  if (name === 'lancedb') {
    const lancedb: Lance = await import('@lancedb/lancedb')
    const db = await lancedb.connect(lanceDir)
    const table = await db.openTable('bench')
    const rssAfterOpenMiB = mib(process.memoryUsage().rss)
    const points = (await sweep(LANCE_EFS, { [name]: { truth, run: (qi, ef) => lanceSearch(table, query(qi), 'cosine', K, ef) } }, { queries: QUERIES, passes: PASSES, k: K }))[name] as Point[]
    const mem = process.memoryUsage()
    table.close()
    db.close()
    return { name, points, queries: QUERIES, rssAfterOpenMiB, rssWarmMiB: mib(mem.rss), maxRssMiB: maxRssMiB(), heapUsedMiB: mib(mem.heapUsed), externalMiB: mib(mem.external), note: 'local dir, sequential queries' }
  }

  const capped = name === 'capped'
  const options = capped ? CAPPED : name === 'columns' ? COLUMNS : {}
  // The same options object `connect(uri, { cache })` hands to its QueryCaches (src/api/lakehouse.ts),
  // held here so the benchmark can read its byte counts.
  const lake = await connect(tableDir, { cache: options })
  const table = await lake.openTable(TABLE)
  const caches = new QueryCaches(options)
  const rssAfterOpenMiB = mib(process.memoryUsage().rss)
  const search = (qi: number, ef: number) => executeSearch({ table: table.core, caches }, { query: query(qi), k: K, select: ['id'], ...(ef === 0 ? {} : { ef }) })
  const run = async (qi: number, ef: number): Promise<{ ids: number[]; extra: number }> => {
    const { rows, plan } = await search(qi, ef)
    return { ids: rows.map((r) => r.id as number), extra: mib(plan.bytesRead) }
  }

  let queries = QUERIES
  let settings = EFS
  let note = name === 'columns' ? 'default caches but columns 256 MiB (index 1 GiB, vector pages 256 MiB)' : 'default caches (index 1 GiB, vector pages 256 MiB, columns 64 MiB)'
  if (capped) {
    // Caches never change results, so the capped run measures the ef the default run chose.
    const ef = Number(process.env.LAKE_EF ?? 0)
    settings = [ef]
    const b = caches.budget
    note = `caches capped: maxBytes ${mib(b.maxBytes)} MiB = index ${mib(b.index).toFixed(1)}, vector pages ${mib(b.vectorPages).toFixed(1)}, columns ${mib(b.columns).toFixed(1)}, masks ${mib(b.masks).toFixed(1)}, texts ${mib(b.texts).toFixed(1)} MiB`
    // A probe after five warm-up queries: a capped cache that thrashes answers at cold speed, and
    // 200 queries would not fit the run.
    for (let qi = 0; qi < 5; qi++) await run(qi, ef)
    const t0 = performance.now()
    for (let qi = 5; qi < 10; qi++) await run(qi, ef)
    const perQuery = (performance.now() - t0) / 5000
    if (perQuery > SLOW_QUERY_S) {
      queries = Math.max(10, Math.min(QUERIES, Math.floor(CAPPED_BUDGET_S / perQuery / 3)))
      note += `; ${(perQuery * 1000).toFixed(0)} ms per query in the probe, so ${queries} queries`
    }
    log(`capped probe: ${(perQuery * 1000).toFixed(0)} ms/query at ef ${ef}, measuring ${queries} queries`)
  }
  const points = (await sweep(settings, { [name]: { truth, run } }, { queries, passes: PASSES, k: K }))[name] as Point[]
  const defaultPoint = capped ? undefined : ((await sweep([0], { [`${name} default ef`]: { truth, run } }, { queries, passes: PASSES, k: K }))[`${name} default ef`] as Point[])[0]
  const mem = process.memoryUsage()
  const peakWarmMiB = maxRssMiB()
  const resident = { indexBytes: caches.indexBytes, pageBytes: caches.vectorPageBytes, totalBytes: caches.held().total }
  log(`${name}: resident ${mib(resident.indexBytes).toFixed(0)} MiB index state + ${mib(resident.pageBytes).toFixed(0)} MiB vector pages; rss ${mib(mem.rss).toFixed(0)} MiB, heap ${mib(mem.heapUsed).toFixed(0)} MiB, external ${mib(mem.external).toFixed(0)} MiB`)

  // Cold: every cache cleared before each query (the OS page cache still holds the local files).
  const chosen = firstAt(points) ?? points[points.length - 1] as Point
  let ms = 0
  let bytes = 0
  let reads = 0
  const cold = Math.min(COLD, queries)
  for (let j = 0; j < cold; j++) {
    caches.clear()
    const t0 = performance.now()
    const { plan } = await search(Math.floor(j * queries / cold), chosen.setting)
    ms += performance.now() - t0
    bytes += plan.bytesRead
    reads += plan.reads
  }
  await lake.close()
  return {
    name, points, ...(defaultPoint === undefined ? {} : { defaultPoint }), queries,
    ...(cold === 0 ? {} : { cold: { ef: chosen.setting, ms: ms / cold, mib: mib(bytes / cold), reads: reads / cold } }),
    resident, rssAfterOpenMiB, peakWarmMiB, rssWarmMiB: mib(mem.rss), maxRssMiB: maxRssMiB(), heapUsedMiB: mib(mem.heapUsed), externalMiB: mib(mem.external), note,
  }
}

// ---------------------------------------------------------------------------------------------
// Parent: build once (cached), then one child per measurement

async function build(): Promise<BuildState> {
  const config = JSON.stringify({ rows: ROWS, perAdd: ROWS_PER_ADD, seed: SEED, data: 'glove-100 + perturbed copies' })
  let state: BuildState | undefined
  if (!REBUILD && existsSync(statePath)) {
    const s = JSON.parse(readFileSync(statePath, 'utf8')) as BuildState
    if (s.config === config) state = s
  }
  const needLance = PEERS && state?.lance === undefined
  const needTruth = !existsSync(truthPath) || !existsSync(queriesPath) || state === undefined
  if (state !== undefined && !needLance && !needTruth) {
    log(`cached table, ground truth${PEERS ? ' and LanceDB table' : ''} in ${root}`)
    return state
  }

  const ds = await loadDataset('glove-100', { log, groundTruth: false })
  const n = ds.count
  const dim = ds.dim
  const rows = Math.min(ROWS, 3 * n)
  if (rows !== ROWS) throw new Error(`ROWS ${ROWS}: at most ${3 * n} (GloVe and two perturbed copies)`)
  log(`generating ${ROWS} rows: ${n} GloVe words, then perturbed copies (load ${load()})`)
  const all = new Float32Array(ROWS * dim)
  all.set(ds.base.subarray(0, Math.min(n, ROWS) * dim))
  for (let i = n; i < ROWS; i++) all.set(perturbed(ds.base.subarray((i % n) * dim, (i % n + 1) * dim), SEED + i), i * dim)
  const vec = (i: number): Float32Array => all.subarray(i * dim, (i + 1) * dim)
  const row = (i: number): BenchRow => ({ id: i, word: i < n ? ds.words?.[i] ?? String(i) : `${ds.words?.[i % n] ?? i % n}~${Math.floor(i / n)}`, embedding: vec(i) })
  const batch = (s: number, e: number): BenchRow[] => Array.from({ length: e - s }, (_, j) => row(s + j))

  if (state === undefined) {
    // The PQ table is built beside the SQ8 one and LanceDB's, which stay.
    rmSync(CODES === 'pq' ? tableDir : root, { recursive: true, force: true })
    mkdirSync(root, { recursive: true })
    const lake = await connect(tableDir)
    const table = await lake.createTable(TABLE, { vector: { column: 'embedding', dim, metric: 'cosine', ...(CODES === 'pq' ? { codes: CODES } : {}) }, schema: { id: 'int', word: 'string' } })
    const buildLoad = load()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    for (let s = 0; s < ROWS; s += ROWS_PER_ADD) {
      await table.add(batch(s, Math.min(ROWS, s + ROWS_PER_ADD)))
      log(`ailake: added rows ${s}..${Math.min(ROWS, s + ROWS_PER_ADD)} (${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load()})`)
    }
    const files = (await table.files()).length
    state = { config, dim, files, buildS: (performance.now() - t0) / 1000, buildCpuS: cpuSeconds(c0), buildLoad }
    await lake.close()
    writeFileSync(statePath, JSON.stringify(state, null, 2))
    log(`ailake: ${files} files in ${state.buildS.toFixed(0)} s (CPU ${state.buildCpuS.toFixed(0)} s)`)
  }
  if (needTruth) {
    const qs = ds.queries.slice(0, QUERIES * dim)
    const t0 = performance.now()
    const gt = await computeGroundTruth(all, dim, 'cosine', qs, K, 1)
    writeFileSync(queriesPath, new Uint8Array(qs.buffer))
    writeFileSync(truthPath, new Uint8Array(gt.ids.buffer))
    log(`exact top-${K} over ${ROWS} rows for ${QUERIES} queries in ${((performance.now() - t0) / 1000).toFixed(0)} s (one worker)`)
  }
  if (needLance) {
    const lancedb: Lance = await import('@lancedb/lancedb')
    rmSync(lanceDir, { recursive: true, force: true })
    const db = await lancedb.connect(lanceDir)
    const l = load()
    const t0 = performance.now()
    const batches: arrow.Table[] = []
    for (let s = 0; s < ROWS; s += 50_000) batches.push(lanceBatch(lancedb, batch(s, Math.min(ROWS, s + 50_000)), dim))
    const table = await lanceAppend(db, 'bench', batches)
    batches.length = 0
    const indexS = await buildLanceIndex(lancedb, table, 'cosine')
    state.lance = { buildS: (performance.now() - t0) / 1000, indexS, load: l }
    table.close()
    db.close()
    writeFileSync(statePath, JSON.stringify(state, null, 2))
    log(`lancedb: table and IVF_HNSW_SQ index in ${state.lance.buildS.toFixed(0)} s (index ${indexS.toFixed(0)} s)`)
  }
  return state
}

function measure(name: string, env: Record<string, string> = {}): ChildResult {
  log(`measuring ${name} in a child process (load ${load()})`)
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * MiB,
  }).toString().trim().split('\n')
  return JSON.parse(out[out.length - 1] as string) as ChildResult
}

if (process.argv[2] === '--child') {
  const r = await child(process.argv[3] as string)
  console.log(JSON.stringify(r))
  process.exit(0)
}

const startMs = performance.now()
const startLoad = load()
const state = await build()
const defaults = measure('defaults')
const chosenEf = (firstAt(defaults.points) ?? defaults.points[defaults.points.length - 1] as Point).setting
const capped = measure('capped', { LAKE_EF: String(chosenEf) })
const columns = process.env.COLUMNS === '0' ? undefined : measure('columns')
const lance = PEERS ? measure('lancedb') : undefined

// ---------------------------------------------------------------------------------------------
// Report

const f0 = (x: number | undefined): string => x === undefined ? 'n/a' : x < 10 ? x.toFixed(2) : x.toFixed(0)
const ratio = (a: number | undefined, b: number | undefined): string => a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(a / b < 0.1 ? 4 : 2)}x`
const reached = (r: ChildResult): Point | undefined => firstAt(r.points)
console.log(`\nGloVe-100 + perturbed copies: ${ROWS} x ${state.dim}, cosine, ${state.files} files written by table.add (${ROWS_PER_ADD} rows each); ${QUERIES} queries, k=${K}, one at a time, best of ${PASSES} pass(es)`)
console.log(`Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load (1/5/15 min) at start ${startLoad}, at end ${load()}; ${((performance.now() - startMs) / 60_000).toFixed(1)} min; ${new Date().toISOString().slice(0, 16)} UTC`)
console.log(`Build (cached): ailake ${state.buildS.toFixed(0)} s wall, ${state.buildCpuS.toFixed(0)} s CPU (load ${state.buildLoad})${state.lance === undefined ? '' : `; LanceDB ${state.lance.buildS.toFixed(0)} s, of which IVF_HNSW_SQ index ${state.lance.indexS.toFixed(0)} s (load ${state.lance.load})`}`)

console.log('\n| system | caches | setting reaching recall 0.95 | recall@10 | q/s | q/s per CPU-s | q/s at 0.95 (interpolated) | warm MiB read/query | peak RSS MiB | resident cache MiB | cold ms/query | cold MiB/query |')
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
for (const r of [defaults, capped, ...(columns === undefined ? [] : [columns]), ...(lance === undefined ? [] : [lance])]) {
  const p = reached(r)
  const res = r.resident === undefined ? '-' : `${mib(r.resident.indexBytes).toFixed(0)} + ${mib(r.resident.pageBytes).toFixed(0)} pages`
  console.log(`| ${r.name === 'lancedb' ? 'LanceDB 0.31 IVF_HNSW_SQ' : 'ailake'} | ${r.name === 'lancedb' ? 'its defaults' : r.name === 'capped' ? '256 MiB total' : r.name === 'columns' ? 'defaults, columns 256 MiB' : `defaults (${(DEFAULT_TOTAL / 2 ** 30).toFixed(2)} GiB total)`} | ${p === undefined ? `not reached (best ${Math.max(...r.points.map((x) => x.recall)).toFixed(3)})` : `ef ${p.setting}`} | ${p?.recall.toFixed(3) ?? '-'} | ${f0(p?.qps)} | ${f0(p?.cpuQps)} | ${f0(qpsAt(r.points))} | ${r.name === 'lancedb' || p === undefined ? '-' : p.extra.toFixed(1)} | ${r.maxRssMiB.toFixed(0)} | ${res} | ${r.cold === undefined ? '-' : r.cold.ms.toFixed(0)} | ${r.cold === undefined ? '-' : r.cold.mib.toFixed(1)} |`)
}

console.log('\n| ratio | q/s at recall 0.95 | per CPU-s | goal |')
console.log('|---|---:|---:|---|')
const dq = reached(defaults)
const cq = reached(capped)
const lq = lance === undefined ? undefined : reached(lance)
const goal = (x: number | undefined, min: number): string => x === undefined ? 'n/a' : x >= min ? 'met' : 'missed'
console.log(`| ailake defaults / LanceDB | ${ratio(dq?.qps, lq?.qps)} | ${ratio(dq?.cpuQps, lq?.cpuQps)} | >= 2x: ${goal(dq === undefined || lq === undefined ? undefined : dq.qps / lq.qps, 2)} |`)
console.log(`| ailake capped / LanceDB | ${ratio(cq?.qps, lq?.qps)} | ${ratio(cq?.cpuQps, lq?.cpuQps)} | - |`)
const oq = columns === undefined ? undefined : reached(columns)
console.log(`| ailake defaults with columns 256 MiB / LanceDB | ${ratio(oq?.qps, lq?.qps)} | ${ratio(oq?.cpuQps, lq?.cpuQps)} | >= 2x: ${goal(oq === undefined || lq === undefined ? undefined : oq.qps / lq.qps, 2)} |`)
console.log(`| ailake capped / defaults | ${ratio(cq?.qps, dq?.qps)} | ${ratio(cq?.cpuQps, dq?.cpuQps)} | within 3x (>= 0.33x): ${goal(cq === undefined || dq === undefined ? undefined : cq.qps / dq.qps, 1 / 3)} |`)

console.log('\nEvery sweep point:\n')
console.log('| system | caches | ef | recall@10 | q/s | q/s per CPU-s | warm MiB read/query |')
console.log('|---|---|---:|---:|---:|---:|---:|')
for (const r of [defaults, capped, ...(columns === undefined ? [] : [columns]), ...(lance === undefined ? [] : [lance])]) {
  const pts = r.defaultPoint === undefined ? r.points : [...r.points, r.defaultPoint]
  for (const p of pts) console.log(`| ${r.name === 'lancedb' ? 'LanceDB' : 'ailake'} | ${r.name} | ${p.setting === 0 ? 'default' : p.setting} | ${p.recall.toFixed(3)} | ${f0(p.qps)} | ${f0(p.cpuQps)} | ${r.name === 'lancedb' ? '-' : p.extra.toFixed(1)} |`)
}

console.log('\nMemory (MiB; RSS after opening the table, after the warm sweep, peak before the cold queries, peak; caches held, V8 heap and external after the sweep):\n')
console.log('| run | queries | RSS open | RSS warm | peak RSS warm | peak RSS | caches held | heap used | external | notes |')
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|')
for (const r of [defaults, capped, ...(columns === undefined ? [] : [columns]), ...(lance === undefined ? [] : [lance])]) console.log(`| ${r.name} | ${r.queries} | ${r.rssAfterOpenMiB.toFixed(0)} | ${r.rssWarmMiB.toFixed(0)} | ${r.peakWarmMiB?.toFixed(0) ?? '-'} | ${r.maxRssMiB.toFixed(0)} | ${r.resident === undefined ? '-' : mib(r.resident.totalBytes).toFixed(0)} | ${r.heapUsedMiB.toFixed(0)} | ${r.externalMiB.toFixed(0)} | ${r.note} |`)

// 10M on paper: per-file state and cold reads scale with the rows of the files a query searches;
// an unclustered table (files written by add) has every query search every file.
const perRow = defaults.resident === undefined ? undefined : defaults.resident.indexBytes / ROWS
const coldPerRow = defaults.cold === undefined ? undefined : defaults.cold.mib * MiB / ROWS
if (perRow !== undefined && coldPerRow !== undefined) {
  const ten = 10_000_000
  console.log(`\n10M rows on paper (from the defaults run: ${perRow.toFixed(0)} resident bytes per row of per-file search state, ${mib(defaults.resident?.pageBytes ?? 0).toFixed(0)} MiB of vector pages after ${defaults.queries} queries; ${coldPerRow.toFixed(1)} cold bytes per row per query):\n`)
  console.log('| rows | files of 100k | resident search state (all files) | fits default index cache (1 GiB)? | fits 256 MiB? | cold bytes per query, every file searched | cold bytes if routing searched 25% of files |')
  console.log('|---:|---:|---:|---|---|---:|---:|')
  for (const rows of [ROWS, ten]) {
    const res = perRow * rows
    console.log(`| ${rows.toLocaleString('en-US')} | ${Math.ceil(rows / ROWS_PER_ADD)} | ${(res / 2 ** 30).toFixed(2)} GiB | ${res <= 1024 * MiB ? 'yes' : 'no'} | ${res <= 256 * MiB ? 'yes' : 'no'} | ${(coldPerRow * rows / MiB).toFixed(0)} MiB | ${(coldPerRow * rows / 4 / MiB).toFixed(0)} MiB |`)
  }
  console.log(`\nDefault caches total ${mib(DEFAULT_TOTAL).toFixed(0)} MiB (index 1024 + vector pages 256 + columns 64 + live-row masks 64 + full-text 256); capped: ${JSON.stringify(Object.fromEntries(Object.entries(new QueryCaches(CAPPED).budget).map(([k, v]) => [k, `${mib(v).toFixed(1)} MiB`])))}.`)
}
