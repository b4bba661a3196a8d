/**
 * Search benchmark: GloVe-100 (340k words, cosine) written as ~35 data files into a local
 * warehouse, searched through ailake's query layer at default settings (warm and cold cache)
 * and at a few ef values; compared in the same run with one hnswlib-node index over the same
 * vectors and with LanceDB (IVF_HNSW_SQ). Reports queries/s, recall@10, files searched and
 * bytes read per cold query.
 *
 *   npm run bench:search            (QUERIES=300 COLD=20 ROWS_PER_FILE=10000 to change sizes;
 *                                    PEERS=0 skips hnswlib and LanceDB; REBUILD=1 rewrites the tables;
 *                                    WAREHOUSE=<dir> keeps ailake's table elsewhere, e.g. to compare
 *                                    builds whose files differ)
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { connect, type Table } from '../src/index.js'
import { QueryCaches, SearchBuilder } from '../src/query/index.js'
import { cacheRoot } from './datasets/cache.js'
import { loadDataset, type Dataset } from './prepare.js'

// LanceDB 0.31's logger reads LANCEDB_LOG, not RUST_LOG: without it every query warns about `_distance`.
process.env.LANCEDB_LOG ??= 'error'
const QUERIES = Number(process.env.QUERIES ?? 300)
const COLD = Number(process.env.COLD ?? 20)
const ROWS_PER_FILE = Number(process.env.ROWS_PER_FILE ?? 10_000)
const PEERS = process.env.PEERS !== '0'
const REBUILD = process.env.REBUILD === '1'
const WAREHOUSE = process.env.WAREHOUSE
const K = 10

const log = (s: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`)

function recallAt(ds: Dataset, qi: number, got: ArrayLike<number>): number {
  const truth = new Set<number>()
  for (let j = 0; j < K; j++) truth.add(ds.groundTruth[qi * ds.gtK + j] as number)
  let hit = 0
  for (let j = 0; j < got.length && j < K; j++) if (truth.has(got[j] as number)) hit++
  return hit / K
}

const query = (ds: Dataset, qi: number): Float32Array => ds.queries.subarray(qi * ds.dim, (qi + 1) * ds.dim)

interface Row { system: string; setting: string; qps: number; recall: number; note: string }
const results: Row[] = []

async function buildAilake(ds: Dataset, dir: string): Promise<Table> {
  const lake = await connect(dir)
  if (!REBUILD && (await lake.listTables('bench')).includes('bench.glove')) {
    const t = await lake.openTable('bench.glove')
    if (await t.countRows() === ds.count) return t
    await lake.dropTable('bench.glove')
  }
  const table = await lake.createTable('bench.glove', { vector: { column: 'embedding', dim: ds.dim, metric: 'cosine' }, schema: { id: 'int', word: 'string' } })
  const t0 = performance.now()
  for (let start = 0; start < ds.count; start += ROWS_PER_FILE) {
    const end = Math.min(ds.count, start + ROWS_PER_FILE)
    const rows = []
    for (let i = start; i < end; i++) rows.push({ id: i, word: ds.words?.[i] ?? String(i), embedding: ds.base.subarray(i * ds.dim, (i + 1) * ds.dim) })
    await table.add(rows, { maxRowsPerFile: ROWS_PER_FILE })
    log(`ailake: wrote rows ${start}..${end} (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
  }
  log(`ailake: table built in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  return table
}

async function benchAilake(ds: Dataset, table: Table): Promise<void> {
  const caches = new QueryCaches()
  const search = (qi: number): SearchBuilder => new SearchBuilder({ table: table.core, caches }, query(ds, qi))
  const files = (await table.files()).length

  // Cold: fresh caches before every query.
  let coldMs = 0
  let coldBytes = 0
  let coldRecall = 0
  let coldSearched = 0
  let coldReads = 0
  for (let qi = 0; qi < COLD; qi++) {
    caches.clear()
    const t = performance.now()
    const { rows, plan } = await search(qi).execute()
    coldMs += performance.now() - t
    coldBytes += plan.bytesRead
    coldReads += plan.reads
    coldSearched += plan.filesSearchedByIndex + plan.filesSearchedByScan
    coldRecall += recallAt(ds, qi, rows.map((r) => r.id as number))
  }
  results.push({
    system: 'ailake', setting: 'defaults, cold cache', qps: COLD / (coldMs / 1000), recall: coldRecall / COLD,
    note: `${(coldMs / COLD).toFixed(0)} ms/query, ${(coldBytes / COLD / 2 ** 20).toFixed(1)} MiB read/query, ${(coldReads / COLD).toFixed(0)} reads/query, ${(coldSearched / COLD / files * 100).toFixed(0)}% of ${files} files searched`,
  })

  // The first setting measured after the cold pass read ~40% low (collecting the garbage of 20
  // cold loads), so the first warm-up is a full pass.
  let warmUp = QUERIES
  for (const ef of [16, 20, 24, 32, 128, undefined]) {
    for (let qi = 0; qi < warmUp; qi++) await (ef === undefined ? search(qi) : search(qi).ef(ef)).toArray()
    warmUp = Math.min(50, QUERIES)
    let recall = 0
    let searched = 0
    let pruned = 0
    const t = performance.now()
    for (let qi = 0; qi < QUERIES; qi++) {
      const { rows, plan } = await (ef === undefined ? search(qi) : search(qi).ef(ef)).execute()
      recall += recallAt(ds, qi, rows.map((r) => r.id as number))
      searched += plan.filesSearchedByIndex + plan.filesSearchedByScan
      pruned += plan.filesPrunedByBound
    }
    const ms = performance.now() - t
    results.push({
      system: 'ailake', setting: ef === undefined ? 'defaults (ef grows with file rows: 28 at 10k), warm' : `ef ${ef}, warm`, qps: QUERIES / (ms / 1000), recall: recall / QUERIES,
      note: `${(searched / QUERIES / files * 100).toFixed(0)}% of ${files} files searched, ${(pruned / QUERIES).toFixed(1)} pruned by bound/query`,
    })
    log(`ailake ef ${ef ?? 'default'}: ${JSON.stringify(results[results.length - 1])}`)
  }
  // What the warm table keeps resident: per-file search state, and decoded vector pages.
  const pages = (caches as { vectorPageBytes?: number }).vectorPageBytes ?? 0
  results.push({
    system: 'ailake', setting: 'resident, warm', qps: NaN, recall: NaN,
    note: `${(caches.indexBytes / 2 ** 20).toFixed(0)} MiB per-file state (${(caches.indexBytes / ds.count).toFixed(0)} bytes/row) + ${(pages / 2 ** 20).toFixed(0)} MiB vector pages`,
  })
}

async function benchHnswlib(ds: Dataset): Promise<void> {
  const { default: hnswlib } = await import('hnswlib-node') as unknown as { default: { HierarchicalNSW: new (space: string, dim: number) => { initIndex(n: number, m: number, ef: number): void; addPoint(v: number[], label: number): void; setEf(ef: number): void; searchKnn(v: number[], k: number): { neighbors: number[] } } } }
  const index = new hnswlib.HierarchicalNSW('cosine', ds.dim)
  index.initIndex(ds.count, 16, 200)
  const t0 = performance.now()
  for (let i = 0; i < ds.count; i++) index.addPoint(Array.from(ds.base.subarray(i * ds.dim, (i + 1) * ds.dim)), i)
  log(`hnswlib: built in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const qs = Array.from({ length: QUERIES }, (_, qi) => Array.from(query(ds, qi)))
  for (const ef of [32, 64, 128, 256]) {
    index.setEf(ef)
    let recall = 0
    const t = performance.now()
    for (let qi = 0; qi < QUERIES; qi++) recall += recallAt(ds, qi, index.searchKnn(qs[qi] as number[], K).neighbors)
    const ms = performance.now() - t
    results.push({ system: 'hnswlib-node (one index)', setting: `ef ${ef}`, qps: QUERIES / (ms / 1000), recall: recall / QUERIES, note: 'in memory, M 16, efConstruction 200' })
  }
}

async function benchLance(ds: Dataset, dir: string): Promise<void> {
  const lancedb = await import('@lancedb/lancedb')
  const db = await lancedb.connect(dir)
  let table
  const names = await db.tableNames()
  if (!REBUILD && names.includes('glove')) {
    table = await db.openTable('glove')
    // A run stopped mid-build leaves the data without its index: build it now.
    if ((await table.listIndices()).length === 0) {
      const t0 = performance.now()
      await table.createIndex('vector', { config: lancedb.Index.hnswSq({ distanceType: 'cosine', m: 16, efConstruction: 200 }) })
      log(`lancedb: IVF_HNSW_SQ index built in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    }
  } else {
    const t0 = performance.now()
    const batch = (start: number, end: number): { id: number; vector: number[] }[] => {
      const out = []
      for (let i = start; i < end; i++) out.push({ id: i, vector: Array.from(ds.base.subarray(i * ds.dim, (i + 1) * ds.dim)) })
      return out
    }
    table = await db.createTable('glove', batch(0, 50_000), { mode: 'overwrite' })
    for (let s = 50_000; s < ds.count; s += 50_000) await table.add(batch(s, Math.min(ds.count, s + 50_000)))
    await table.createIndex('vector', { config: lancedb.Index.hnswSq({ distanceType: 'cosine', m: 16, efConstruction: 200 }) })
    log(`lancedb: table and IVF_HNSW_SQ index built in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  }
  for (const ef of [32, 64, 128, 256]) {
    const run = async (qi: number): Promise<number[]> => {
      const rows = await table.vectorSearch(query(ds, qi)).distanceType('cosine').ef(ef).limit(K).select(['id']).toArray() as { id: number }[]
      return rows.map((r) => r.id)
    }
    for (let qi = 0; qi < 20; qi++) await run(qi)
    let recall = 0
    const t = performance.now()
    for (let qi = 0; qi < QUERIES; qi++) recall += recallAt(ds, qi, await run(qi))
    const ms = performance.now() - t
    results.push({ system: 'LanceDB 0.31 (IVF_HNSW_SQ)', setting: `ef ${ef}`, qps: QUERIES / (ms / 1000), recall: recall / QUERIES, note: 'local dir, default partitions, sequential queries' })
    log(`lancedb ef ${ef}: ${JSON.stringify(results[results.length - 1])}`)
  }
}

const ds = await loadDataset('glove-100', log)
const root = join(cacheRoot(), 'bench', 'search')
if (REBUILD && existsSync(root)) rmSync(root, { recursive: true, force: true })
mkdirSync(root, { recursive: true })
const table = await buildAilake(ds, WAREHOUSE ?? join(root, 'warehouse'))
await benchAilake(ds, table)
if (PEERS) {
  await benchHnswlib(ds)
  await benchLance(ds, join(root, 'lancedb'))
}

console.log(`\nGloVe-100: ${ds.count} vectors, cosine, ${QUERIES} queries (cold: ${COLD}), k=${K}, one query at a time\n`)
console.log('| system | setting | queries/s | recall@10 | notes |')
console.log('|---|---|---:|---:|---|')
for (const r of results) console.log(`| ${r.system} | ${r.setting} | ${r.qps.toFixed(0)} | ${r.recall.toFixed(3)} | ${r.note} |`)
