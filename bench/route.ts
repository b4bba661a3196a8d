/**
 * Routing calibration: a data set written as many small unindexed files, laid out by
 * `optimize()`, then searched with routing to the n nearest clustered files (n swept) and with
 * the default ('auto'): recall@10, q/s and files searched per query. Used to choose the routing
 * defaults in src/query/search.ts.
 *
 *   npm run build && node dist/bench/route.js            (DATASET=fashion-mnist TARGET=20000 QUERIES=300 EFS=1,2 ROUNDS=3)
 *   ROUTINGS='[{"patience":3},{"slack":0.5}]' adds routing variants (PROBES=2,4 the probe counts); the optimized table is kept
 *   in .cache/bench/route-<dataset>-<target> for the next run (REBUILD=1 writes it again).
 */
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { connect } from '../src/index.js'
import { executeSearch, QueryCaches, type PruneMode } from '../src/query/index.js'
import type { RouteTuning } from '../src/query/routing.js'
import { cacheRoot } from './datasets/cache.js'
import { loadDataset, type Dataset, type DatasetName } from './prepare.js'

const DATASET = (process.env.DATASET ?? 'glove-100') as DatasetName
const TARGET = Number(process.env.TARGET ?? 20_000)
const QUERIES = Number(process.env.QUERIES ?? 300)
const FILE_ROWS = Number(process.env.FILE_ROWS ?? 5_000)
const EF_FACTORS = (process.env.EFS ?? '1').split(',').map(Number)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const K = 10

const log = (s: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`)

function recall(ds: Dataset, qi: number, ids: number[]): number {
  const truth = new Set<number>()
  for (let j = 0; j < K; j++) truth.add(ds.groundTruth[qi * ds.gtK + j] as number)
  return ids.slice(0, K).filter((id) => truth.has(id)).length / K
}

async function main(): Promise<void> {
  const ds = await loadDataset(DATASET, log)
  const dir = join(cacheRoot(), 'bench', `route-${DATASET}-${TARGET}`)
  if (process.env.REBUILD === '1') rmSync(dir, { recursive: true, force: true })
  const fresh = !existsSync(dir)
  const lake = await connect(dir)
  if (fresh) {
    const t = await lake.createTable('bench.route', { vector: { dim: ds.dim, metric: ds.metric }, schema: { id: 'int' } })
    const t0 = performance.now()
    for (let s = 0; s < ds.count; s += FILE_ROWS) {
      const rows = []
      for (let i = s; i < Math.min(ds.count, s + FILE_ROWS); i++) rows.push({ id: i, embedding: ds.base.subarray(i * ds.dim, (i + 1) * ds.dim) })
      await t.add(rows, { buildIndex: false })
    }
    log(`wrote ${ds.count} rows as ${Math.ceil(ds.count / FILE_ROWS)} unindexed files in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const o0 = performance.now()
    const report = await t.optimize({ targetRowsPerFile: TARGET, expireOlderThan: false, orphansOlderThan: false })
    log(`optimize: ${report.filesBefore} -> ${report.filesAfter} files, ${report.clusters} clusters, ${((performance.now() - o0) / 1000).toFixed(1)} s`)
  }
  const t = await lake.openTable('bench.route')
  const files = (await t.files()).length
  const caches = new QueryCaches({ maxIndexBytes: 4 * 2 ** 30 })
  const modes: Array<{ name: string; prune: PruneMode; routing?: Partial<RouteTuning> }> = [{ name: 'auto', prune: 'auto' }, { name: 'exact', prune: 'exact' }]
  for (const n of (process.env.PROBES ?? '2,4,6,8,12').split(',').filter((x) => x !== '').map(Number)) if (n < files) modes.push({ name: `probe ${n}`, prune: { probe: n } })
  for (const r of JSON.parse(process.env.ROUTINGS ?? '[]') as Array<Partial<RouteTuning>>) modes.push({ name: JSON.stringify(r), prune: 'auto', routing: r })
  console.log(`| ${DATASET} (${files} files) | ef x | recall@10 | q/s | files searched |`)
  console.log('|---|---|---|---|---|')
  const q = Math.min(QUERIES, ds.queryCount)
  // One pass before any timing: the first mode measured should not pay for loading and JIT.
  for (let qi = 0; qi < q; qi++) await executeSearch({ table: t.core, caches }, { query: ds.queries.subarray(qi * ds.dim, (qi + 1) * ds.dim), k: K, prune: 'exact' })
  // Every variant is timed ROUNDS times, the rounds interleaved so that load from elsewhere on
  // the machine spreads over all of them; the best round counts.
  const variants = modes.flatMap((m) => EF_FACTORS.map((f) => ({ m, f, best: 0, recall: 0, searched: 0 })))
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      const { m, f } = v
      const run = async (qi: number) => executeSearch({ table: t.core, caches }, {
        query: ds.queries.subarray(qi * ds.dim, (qi + 1) * ds.dim), k: K, prune: m.prune,
        ...(f !== 1 ? { ef: Math.round(64 * f) } : {}), ...(m.routing === undefined ? {} : { routing: m.routing }),
      })
      if (round === 0) for (let qi = 0; qi < q; qi++) await run(qi) // warm
      let r = 0
      let searched = 0
      const s0 = performance.now()
      for (let qi = 0; qi < q; qi++) {
        const { rows, plan } = await run(qi)
        r += recall(ds, qi, rows.map((x) => x.id as number))
        searched += plan.filesSearchedByIndex + plan.filesSearchedByScan
      }
      v.best = Math.max(v.best, q / ((performance.now() - s0) / 1000))
      v.recall = r / q
      v.searched = searched / q
    }
  }
  for (const v of variants) console.log(`| ${v.m.name} | ${v.f} | ${v.recall.toFixed(3)} | ${Math.round(v.best)} | ${v.searched.toFixed(1)} |`)
  await lake.close()
}

await main()
