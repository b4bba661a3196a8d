// Search over files whose sections store SQ8 codes (1,024 rows or more): the index is restored
// from graph and codes alone, candidates are re-scored on vectors read page by page. With a
// beam covering every file the results must equal brute force over the vectors as stored, for
// every metric and precision, with filters (selective ones scan the codes) and deletes; and a
// cold query must read far fewer bytes than the vector columns of the files it searches.
// The oracle decodes stored precision with an independent model (stored-model.ts) and scores
// with the exact kernel.
//
// AILAKE_SEED=<n> reproduces a run (failures print the seed and case).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from '../../src/index.js'
import { QueryCaches, SearchBuilder } from '../../src/query/index.js'
import { distance } from '../../src/vector/distance.js'
import { METRICS, PRECISIONS, type Metric, type Precision } from '../../src/vector/types.js'
import { gauss, rng, tempDir } from '../helpers/tmpdir.js'
import { storedModel } from './stored-model.js'

const SEED = Number(process.env.AILAKE_SEED ?? 1515)

interface Row { id: number; tag: string; n: number; stored: Float32Array; deleted: boolean }

for (const codes of ['sq8', 'pq'] as const) test(`files with stored ${codes} codes: large-ef search equals brute force, every metric and precision, with filters and deletes`, async (t) => {
  const { dir, cleanup } = await tempDir()
  const lake = await connect(dir)
  let queries = 0
  let paged = 0
  try {
    const r = rng(SEED)
    for (let c = 0; c < 9; c++) {
      const metric = METRICS[c % 3] as Metric
      const precision = PRECISIONS[Math.floor(c / 3)] as Precision
      const dim = [3, 8, 16, 24][Math.floor(r() * 4)] as number
      const label = `AILAKE_SEED=${SEED}, table ${c} (${codes}, ${metric}, ${precision}, dim ${dim})`
      const pq = codes === 'pq' ? { codes, subvectors: Math.max(1, Math.floor(dim / (1 + Math.floor(r() * 4)))) } : {}
      const table = await lake.createTable(`default.c${c}`, { vector: { dim, metric, precision, M: 8, efConstruction: 32, ...pq }, schema: { id: 'int', tag: 'string', n: 'int' } })
      const scale = 10 ** (r() * 4 - 2)
      const origin = Float32Array.from({ length: dim }, () => (r() < 0.5 ? 0 : gauss(r) * scale * 3))
      const centres = Array.from({ length: 6 }, () => Float32Array.from(origin, (o) => o + gauss(r) * scale))
      const rows: Row[] = []
      const input: Record<string, unknown>[] = []
      // Two files with codes and a small one without (searched on its vectors, as before).
      const counts = [1100 + Math.floor(r() * 200), 1024 + Math.floor(r() * 100), 300]
      for (const count of counts) {
        for (let i = 0; i < count; i++) {
          const centre = centres[Math.floor(r() * centres.length)] as Float32Array
          // Some exact duplicates: ties must still come back with their own distances.
          const v = i % 50 === 7 && i > 0 ? (input[input.length - 1]?.embedding as Float32Array) : Float32Array.from(centre, (x) => x + gauss(r) * scale * 0.4)
          const row = { id: rows.length, tag: ['a', 'b', 'c', 'd'][Math.floor(r() * 4)] as string, n: Math.floor(r() * 100) }
          rows.push({ ...row, stored: storedModel(precision, v, dim), deleted: false })
          input.push({ ...row, embedding: v })
        }
      }
      let at = 0
      for (const count of counts) {
        await table.add(input.slice(at, at + count), { maxRowsPerFile: count })
        at += count
      }
      const gone = rows.filter(() => r() < 0.03).map((x) => x.id)
      await table.delete(`id IN (${gone.join(', ')})`)
      for (const id of gone) (rows[id] as Row).deleted = true
      const caches = new QueryCaches()
      for (let qi = 0; qi < 24; qi++) {
        const pick = rows[Math.floor(r() * rows.length)] as Row
        const q = qi % 3 === 0 ? pick.stored.slice() : Float32Array.from(origin, (o) => o + gauss(r) * scale * 1.5)
        const k = 1 + Math.floor(r() * 15)
        const kind = Math.floor(r() * 4)
        const threshold = Math.floor(r() * 100)
        // Broad filters traverse the graph; `n = t` (about 1%) scans the codes of the allowed rows.
        const filter = kind === 0 ? undefined : kind === 1 ? { sql: `tag = 'b'`, keep: (x: Row) => x.tag === 'b' }
          : kind === 2 ? { sql: `n < ${threshold}`, keep: (x: Row) => x.n < threshold } : { sql: `n = ${threshold}`, keep: (x: Row) => x.n === threshold }
        let b = new SearchBuilder({ table: table.core, caches }, q).limit(k).ef(1500)
        if (filter !== undefined) b = b.where(filter.sql)
        const { rows: got } = await b.execute()
        const own = new Map(rows.filter((x) => !x.deleted && (filter === undefined || filter.keep(x))).map((x) => [x.id, distance(metric, q, x.stored)]))
        const expected = [...own.values()].sort((x, y) => x - y).slice(0, k)
        const what = `${label}, query ${qi} (k ${k}${filter === undefined ? '' : `, WHERE ${filter.sql}`})`
        assert.deepEqual(got.map((x) => x._distance), expected, `${what}: distances differ from brute force over the stored vectors`)
        for (const x of got) assert.equal(x._distance, own.get(x.id as number), `${what}: row ${String(x.id)} returned with another row's distance (or filtered out, or deleted)`)
        queries++
      }
      paged += caches.vectorPageBytes
    }
  } finally {
    await lake.close()
    await cleanup()
  }
  t.diagnostic(`9 tables, ${queries} queries`)
  // The run must exercise the new path: candidates re-scored on vectors read page by page.
  assert.ok(paged > 0, 'no vector page was read: the files were not searched on their codes')
})

for (const codes of ['sq8', 'pq'] as const) test(`a cold query on a multi-file table with ${codes} codes reads the sections and a few vector pages, not the vector columns`, async (t) => {
  const { dir, cleanup } = await tempDir()
  const lake = await connect(dir)
  try {
    const r = rng(SEED + 1)
    // 256-d, a common embedding size: the codes are a quarter of the f32 vectors, the graph
    // (M 16) about an eighth.
    const dim = 256
    const files = 4
    const perFile = 2000
    // Isotropic noise around 20 centres is PQ's hardest case (no structure within a sub-vector):
    // 4-d sub-vectors keep recall at the default beam.
    const table = await lake.createTable('default.cold', { vector: { dim, metric: 'cosine', efConstruction: 64, ...(codes === 'pq' ? { codes, subvectors: dim / 4 } : {}) }, schema: { id: 'int', name: 'string' } })
    const centres = Array.from({ length: 20 }, () => Float32Array.from({ length: dim }, () => gauss(r)))
    const vectors: Float32Array[] = []
    for (let f = 0; f < files; f++) {
      const batch: Record<string, unknown>[] = []
      for (let i = 0; i < perFile; i++) {
        const c = centres[Math.floor(r() * centres.length)] as Float32Array
        const v = Float32Array.from(c, (x) => x + gauss(r) * 0.6)
        batch.push({ id: vectors.length, name: `row ${vectors.length}`, embedding: v })
        vectors.push(v)
      }
      await table.add(batch, { maxRowsPerFile: perFile })
    }
    const caches = new QueryCaches()
    const columnBytes = files * perFile * dim * 4
    let read = 0
    let hits = 0
    const n = 10
    for (let qi = 0; qi < n; qi++) {
      caches.clear()
      const q = Float32Array.from(centres[qi % centres.length] as Float32Array, (x) => x + gauss(r) * 0.6)
      const { rows, plan } = await new SearchBuilder({ table: table.core, caches }, q).limit(10).select(['id', 'name', 'embedding']).prune('exact').execute()
      assert.equal(plan.filesSearchedByIndex, files, 'every file is searched (the rows of every cluster are in every file)')
      read += plan.bytesRead
      const truth = new Set(vectors.map((v, id) => ({ id, d: distance('cosine', q, v) })).sort((a, b) => a.d - b.d).slice(0, 10).map((x) => x.id))
      for (const row of rows) {
        if (truth.has(row.id as number)) hits++
        assert.deepEqual(Array.from(row.embedding as Float32Array), Array.from(vectors[row.id as number] as Float32Array), 'the returned vector is the row\'s')
      }
    }
    const perQuery = read / n
    t.diagnostic(`cold query: ${(perQuery / 2 ** 20).toFixed(2)} MiB read; the vector columns hold ${(columnBytes / 2 ** 20).toFixed(2)} MiB; recall@10 ${hits / (n * 10)}`)
    // Before codes were stored, a cold query read every searched file's whole vector column
    // plus its graph.
    // (PQ codes are a quarter of SQ8's here, but a PQ search re-ranks more rows, each read with its
    // 8 KiB page: at 256-d and 2,000 rows a file the two read about as much; bench/codes.ts measures wider ones.)
    assert.ok(perQuery < 0.55 * columnBytes, `a cold query read ${perQuery} bytes; the vector columns hold ${columnBytes}`)
    assert.ok(hits / (n * 10) >= 0.95, `recall@10 ${hits / (n * 10)}`)
  } finally {
    await lake.close()
    await cleanup()
  }
})
