/**
 * Routing calibration: a data set written as many small unindexed files, laid out by
 * `optimize()`, then searched with routing to the n nearest clustered files (n swept) and with
 * the default ('auto'): recall@10, q/s and files searched per query. Used to choose the routing
 * defaults in src/query/search.ts.
 *
 *   npm run build && node dist/bench/route.js            (DATASET=fashion-mnist TARGET=20000 QUERIES=300 EFS=1,2)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '../src/index.js'
import type { PruneMode } from '../src/query/index.js'
import { loadDataset, type Dataset, type DatasetName } from './prepare.js'

const DATASET = (process.env.DATASET ?? 'glove-100') as DatasetName
const TARGET = Number(process.env.TARGET ?? 20_000)
const QUERIES = Number(process.env.QUERIES ?? 300)
const FILE_ROWS = Number(process.env.FILE_ROWS ?? 5_000)
const EF_FACTORS = (process.env.EFS ?? '1').split(',').map(Number)
const K = 10

const log = (s: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`)

function recall(ds: Dataset, qi: number, ids: number[]): number {
  const truth = new Set<number>()
  for (let j = 0; j < K; j++) truth.add(ds.groundTruth[qi * ds.gtK + j] as number)
  return ids.slice(0, K).filter((id) => truth.has(id)).length / K
}

async function main(): Promise<void> {
  const ds = await loadDataset(DATASET, log)
  const dir = mkdtempSync(join(tmpdir(), 'ailake-route-'))
  try {
    const lake = await connect(dir)
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
    const files = (await t.files()).length
    const modes: Array<{ name: string; prune: PruneMode }> = [{ name: 'auto', prune: 'auto' }, { name: 'exact', prune: 'exact' }]
    for (const n of [1, 2, 3, 4, 6, 8, 12]) if (n < files) modes.push({ name: `probe ${n}`, prune: { probe: n } })
    console.log(`| ${DATASET} (${files} files) | ef x | recall@10 | q/s | files searched |`)
    console.log('|---|---|---|---|---|')
    for (const m of modes) {
      for (const f of EF_FACTORS) {
        const q = Math.min(QUERIES, ds.queryCount)
        // Warm-up pass, then the measured pass.
        for (let qi = 0; qi < q; qi++) await t.search(ds.queries.subarray(qi * ds.dim, (qi + 1) * ds.dim)).limit(K).prune(m.prune).toArray()
        let r = 0
        let searched = 0
        const s0 = performance.now()
        for (let qi = 0; qi < q; qi++) {
          let b = t.search(ds.queries.subarray(qi * ds.dim, (qi + 1) * ds.dim)).limit(K).prune(m.prune)
          if (f !== 1) b = b.ef(Math.round(64 * f))
          const { rows, plan } = await b.execute()
          r += recall(ds, qi, rows.map((x) => x.id as number))
          searched += plan.filesSearchedByIndex + plan.filesSearchedByScan
        }
        const secs = (performance.now() - s0) / 1000
        console.log(`| ${m.name} | ${f} | ${(r / q).toFixed(3)} | ${Math.round(q / secs)} | ${(searched / q).toFixed(1)} |`)
      }
    }
    await lake.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
