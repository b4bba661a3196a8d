/**
 * Partition pruning (issue 19): GloVe-100 rows with a synthetic 100-value `tenant` column, written
 * twice in one run — a table partitioned by tenant and the same rows unpartitioned — both laid
 * out by `optimize()`. Then `search(q).where("tenant = X")` for held-out queries and random
 * tenants: files opened per query (searched by index or scan, or opened and found without a
 * match), q/s, and recall@10 against the exact filtered answer.
 *
 *   npm run build && node dist/bench/partition.js     (ROWS=100000 TENANTS=100 TARGET=20000 QUERIES=300 ROUNDS=3 BATCH=20000 EFS=default,128)
 *
 * The tables are kept in .cache/bench/partition-<rows>-<tenants>-<target> (REBUILD=1 writes them again).
 */
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { connect, type Table } from '../src/index.js'
import { seededRandom } from '../src/util/rng.js'
import { distance } from '../src/vector/distance.js'
import { cacheRoot } from './datasets/cache.js'
import { loadDataset } from './prepare.js'

const ROWS = Number(process.env.ROWS ?? 100_000)
const TENANTS = Number(process.env.TENANTS ?? 100)
const TARGET = Number(process.env.TARGET ?? 20_000)
const QUERIES = Number(process.env.QUERIES ?? 300)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const BATCH = Number(process.env.BATCH ?? 20_000)
/** Beam sizes to run: `default` (the per-file default) and numbers. */
const EFS = (process.env.EFS ?? 'default,128').split(',')
const K = 10

const log = (s: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`)

async function main(): Promise<void> {
  const ds = await loadDataset('glove-100', { log, groundTruth: false })
  const n = Math.min(ROWS, ds.count)
  const random = seededRandom(19)
  const tenantOf = Array.from({ length: n }, () => `t${String(Math.floor(random() * TENANTS)).padStart(3, '0')}`)
  const dir = join(cacheRoot(), 'bench', `partition-${n}-${TENANTS}-${TARGET}`)
  if (process.env.REBUILD === '1') rmSync(dir, { recursive: true, force: true })
  const fresh = !existsSync(dir)
  const lake = await connect(dir)
  const tables: Array<{ name: string; table: Table }> = []
  for (const [name, partitionBy] of [['partitioned', ['tenant']], ['unpartitioned', undefined]] as const) {
    let table: Table
    if (fresh) {
      table = await lake.createTable(`bench.${name}`, { vector: { dim: ds.dim, metric: ds.metric }, schema: { id: 'int', tenant: 'string' }, ...(partitionBy === undefined ? {} : { partitionBy: [...partitionBy] }) })
      const t0 = performance.now()
      for (let s = 0; s < n; s += BATCH) {
        const rows = []
        for (let i = s; i < Math.min(n, s + BATCH); i++) rows.push({ id: i, tenant: tenantOf[i], embedding: ds.base.subarray(i * ds.dim, (i + 1) * ds.dim) })
        await table.add(rows, { buildIndex: false })
      }
      // optimize gives up after three plans while background builds keep replacing its inputs.
      await table.waitForIndexes()
      log(`${name}: wrote ${n} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(await table.files()).length} files, indexed)`)
      const o0 = performance.now()
      const report = await table.optimize({ targetRowsPerFile: TARGET, expireOlderThan: false, orphansOlderThan: false })
      log(`${name}: optimize ${report.filesBefore} -> ${report.filesAfter} files, ${report.clusters} clusters, ${((performance.now() - o0) / 1000).toFixed(1)} s`)
    } else {
      table = await lake.openTable(`bench.${name}`)
    }
    tables.push({ name, table })
  }

  // Queries: held-out GloVe queries, each with a random tenant; truth is the exact filtered top 10.
  const q = Math.min(QUERIES, ds.queryCount)
  const byTenant = new Map<string, number[]>()
  tenantOf.forEach((t, i) => { let l = byTenant.get(t); if (l === undefined) byTenant.set(t, l = []); l.push(i) })
  const pick = seededRandom(7)
  const work = Array.from({ length: q }, (_, qi) => {
    const tenant = `t${String(Math.floor(pick() * TENANTS)).padStart(3, '0')}`
    const query = ds.queries.subarray(qi * ds.dim, (qi + 1) * ds.dim)
    const truth = (byTenant.get(tenant) ?? [])
      .map((i) => [i, distance(ds.metric, query, ds.base.subarray(i * ds.dim, (i + 1) * ds.dim))] as const)
      .sort((a, b) => a[1] - b[1] || a[0] - b[0]).slice(0, K).map(([i]) => i)
    return { tenant, query, truth: new Set(truth) }
  })

  console.log(`| GloVe-100 ${n} rows, ${TENANTS} tenants, where tenant = X | ef | files | files opened / query | manifests pruned / query | q/s | recall@10 |`)
  console.log('|---|---|---|---|---|---|---|')
  const results = tables.flatMap((t) => EFS.map((ef) => ({ ...t, ef, best: 0, opened: 0, manifests: 0, recall: 0, files: 0 })))
  for (const r of results) r.files = (await r.table.files()).length
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved rounds, best counts: load from elsewhere on the machine spreads over both tables.
    for (const r of results) {
      const run = (w: (typeof work)[number]) => {
        const b = r.table.search(w.query).where(`tenant = '${w.tenant}'`).limit(K)
        return (r.ef === 'default' ? b : b.ef(Number(r.ef))).execute()
      }
      if (round === 0) for (const w of work) await run(w) // warm: indexes loaded, JIT
      let opened = 0
      let manifests = 0
      let hits = 0
      const s0 = performance.now()
      for (const w of work) {
        const { rows, plan } = await run(w)
        opened += plan.filesSearchedByIndex + plan.filesSearchedByScan + plan.filesNoMatch
        manifests += plan.manifestsPrunedByPartition
        hits += rows.filter((x) => w.truth.has(x.id as number)).length
      }
      r.best = Math.max(r.best, q / ((performance.now() - s0) / 1000))
      r.opened = opened / q
      r.manifests = manifests / q
      r.recall = hits / (q * K)
    }
  }
  for (const r of results) console.log(`| ${r.name} | ${r.ef} | ${r.files} | ${r.opened.toFixed(1)} | ${r.manifests.toFixed(1)} | ${Math.round(r.best)} | ${r.recall.toFixed(3)} |`)
  await lake.close()
}

await main()
