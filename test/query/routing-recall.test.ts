/**
 * Routing's defaults on an optimized table whose neighbourhoods straddle many clusters (a
 * mixture of heavily overlapping blobs, as in GloVe: k-means cuts through them), against brute
 * force over the same vectors; 'exact' stays exact.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from '../../src/index.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { QueryCaches } from '../../src/query/caches.js'
import type { Metric } from '../../src/vector/types.js'
import { rng } from '../helpers/tmpdir.js'
import { bruteForce } from './fixture.js'

const DIM = 24
const ROWS = 3000
const QUERIES = 60

/** Overlapping gaussian-ish blobs: centres spread about as wide as each blob. */
function mixture(count: number, seed: number, centres: Float32Array[]): Float32Array[] {
  const r = rng(seed)
  const gauss = (): number => (r() + r() + r() - 1.5) * 2
  return Array.from({ length: count }, () => {
    const c = centres[Math.floor(r() * centres.length)] as Float32Array
    return Float32Array.from(c, (x) => x + gauss())
  })
}

for (const metric of ['cosine', 'euclidean'] as Metric[]) {
  test(`${metric}: default routing keeps recall@10 >= 0.95 where neighbourhoods straddle clusters, in fewer files than exact`, async (tt) => {
    const r = rng(11)
    const centres = Array.from({ length: 40 }, () => Float32Array.from({ length: DIM }, () => (r() * 2 - 1) * 1.5))
    const vectors = mixture(ROWS, 12, centres)
    const lake = await connect(`/nonexistent/ailake-route-${metric}`, { store: new MemoryStore() })
    const t = await lake.createTable('default.t', { vector: { dim: DIM, metric }, schema: { id: 'int' } })
    for (let s = 0; s < ROWS; s += 500) await t.add(vectors.slice(s, s + 500).map((v, j) => ({ id: s + j, embedding: v })))
    const report = await t.optimize({ targetRowsPerFile: 200 })
    assert.ok(report.filesAfter >= 12, `${report.filesAfter} files`)
    const fx = { rows: vectors.map((_, id) => ({ id })), vectors }
    const caches = (lake as unknown as { queryCaches: QueryCaches }).queryCaches
    let hits = 0
    let exactHits = 0
    let searched = 0
    let exactSearched = 0
    for (const [qi, q] of mixture(QUERIES, 99, centres).entries()) {
      const truth = new Set(bruteForce(fx, metric, q, 10).map((e) => e.id))
      // Cold, so the plan's index loads show which files were read.
      caches.clear()
      const { rows, plan } = await t.search(q).limit(10).execute()
      hits += rows.filter((row) => truth.has(row.id as number)).length
      searched += plan.filesSearchedByIndex
      assert.ok(plan.cacheMisses.index <= plan.filesSearchedByIndex, `query ${qi}: ${plan.cacheMisses.index} files read for ${plan.filesSearchedByIndex} searched (read-ahead past what routing searches)`)
      assert.equal(plan.filesSkippedByRouting + plan.filesSearchedByIndex + plan.filesPrunedByBound + plan.filesNoMatch, report.filesAfter, `query ${qi}: every file accounted for`)
      const exact = await t.search(q).limit(10).prune('exact').execute()
      assert.equal(exact.plan.filesSkippedByRouting, 0)
      exactHits += exact.rows.filter((row) => truth.has(row.id as number)).length
      exactSearched += exact.plan.filesSearchedByIndex
    }
    const recall = hits / (QUERIES * 10)
    const exactRecall = exactHits / (QUERIES * 10)
    tt.diagnostic(`${report.filesAfter} files; routed: recall@10 ${recall}, ${searched / QUERIES} files per query; exact: ${exactRecall}, ${exactSearched / QUERIES}`)
    assert.ok(recall >= Math.min(0.95, exactRecall - 0.005), `recall@10 ${recall} (exact mode ${exactRecall}), ${searched / QUERIES} files per query`)
    assert.ok(searched < exactSearched, `routing searched ${searched / QUERIES} files per query, exact ${exactSearched / QUERIES}`)
    await lake.close()
  })
}
