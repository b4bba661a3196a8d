/**
 * Hybrid search: reciprocal-rank fusion (and the weighted option) of the vector and BM25 legs,
 * checked against fusion computed here from the two legs run on their own; the text embedded by
 * the table's embedder; where, select, asOf and buffered rows on all three searches; explain()
 * showing both legs, with the text leg skipping files that lack a required term.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Embedder, type Table } from '../../src/index.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { seededRandom } from '../../src/util/rng.js'

const WORDS = ['red', 'green', 'blue', 'shoe', 'boot', 'hat', 'running', 'leather', 'wool', 'cheap', 'warm', 'summer']

/** A deterministic bag-of-words embedder: each word adds a fixed random direction. */
const embedder: Embedder = {
  name: 'test-bow@1',
  dim: 8,
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((t) => {
      const v = new Float32Array(8)
      for (const w of t.toLowerCase().split(/\W+/)) {
        const r = seededRandom([...w].reduce((h, c) => h * 31 + c.charCodeAt(0), 7) >>> 0)
        for (let i = 0; i < 8; i++) v[i] = (v[i] as number) + r() - 0.5
      }
      v[0] = (v[0] as number) + 0.01
      return v
    })
  },
}

async function makeTable(): Promise<{ t: Table; titles: string[] }> {
  const lake = await connect('/nonexistent/ailake-hybrid', { store: new MemoryStore() })
  const t = await lake.createTable('default.items', { vector: {}, embedder, schema: { id: { type: 'long', required: true }, title: 'string', price: 'int' }, fullText: ['title'] })
  const r = seededRandom(3)
  const titles = Array.from({ length: 120 }, () => Array.from({ length: 2 + Math.floor(r() * 4) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' '))
  // Three files; "summer" only in the last one.
  const rows = titles.map((title, i) => ({ id: BigInt(i), title: i < 80 ? title.replaceAll('summer', 'warm') : title, price: i % 50 }))
  for (const part of [rows.slice(0, 40), rows.slice(40, 80), rows.slice(80)]) await t.add(part, { embedFrom: 'title', embedder })
  return { t, titles: rows.map((x) => x.title) }
}

function rrf(lists: Array<Array<{ id: bigint }>>, k = 60): Map<bigint, number> {
  const out = new Map<bigint, number>()
  for (const list of lists) list.forEach((r, i) => out.set(r.id, (out.get(r.id) ?? 0) + 1 / (k + i + 1)))
  return out
}

test('RRF (k = 60) of the two legs, the text embedded by the table embedder', async () => {
  const { t } = await makeTable()
  for (const text of ['red shoe', 'warm wool hat', '"leather boot"', '+cheap running']) {
    const [q] = await embedder.embed([text])
    const vector = await t.search(q!).limit(40).select(['id']).toArray<{ id: bigint }>()
    const bm25 = await t.fullTextSearch(text, { limit: 40, select: ['id'] }).toArray<{ id: bigint }>()
    const want = rrf([vector, bm25])
    const got = await t.hybridSearch({ embedder, text, limit: 15, select: ['id'] }).toArray<{ id: bigint }>()
    const wantOrder = [...want].sort((a, b) => b[1] - a[1])
    assert.equal(got.length, Math.min(15, want.size), text)
    got.forEach((r, i) => {
      assert.ok(Math.abs(r._score - (want.get(r.id) as number)) < 1e-12, `${text}: row ${r.id} fused ${r._score}, expected ${want.get(r.id)}`)
      assert.ok(Math.abs(r._score - (wantOrder[i] as [bigint, number])[1]) < 1e-12, `${text}: rank ${i}`)
      const v = vector.find((x) => x.id === r.id)
      const b = bm25.find((x) => x.id === r.id)
      assert.equal(r._distance, v?._distance)
      assert.equal(r._bm25, b?._score)
    })
    // Given the vector, the same.
    const same = await t.hybridSearch({ embedder, text, vector: q!, limit: 15, select: ['id'] }).toArray<{ id: bigint }>()
    assert.deepEqual(same.map((x) => x.id), got.map((x) => x.id))
  }
})

test('weighted fusion: weight 1 ranks as the vector leg, weight 0 as the text leg', async () => {
  const { t } = await makeTable()
  const text = 'blue leather'
  const [q] = await embedder.embed([text])
  const vector = await t.search(q!).limit(40).select(['id']).toArray<{ id: bigint }>()
  const bm25 = await t.fullTextSearch(text, { limit: 40, select: ['id'] }).toArray<{ id: bigint }>()
  const v1 = await t.hybridSearch({ embedder, text, fusion: 'weighted', vectorWeight: 1, limit: 10, select: ['id'] }).toArray<{ id: bigint }>()
  assert.deepEqual(v1.map((r) => r.id), vector.slice(0, 10).map((r) => r.id))
  const t0 = await t.hybridSearch({ embedder, text, fusion: 'weighted', vectorWeight: 0, limit: 5, select: ['id'] }).toArray<{ id: bigint }>()
  // Ties in BM25 may order differently; the scores must be the text leg's, best first.
  const top = bm25.slice(0, 5).map((r) => r._score)
  assert.deepEqual(t0.map((r) => r._bm25), top)
  assert.throws(() => t.hybridSearch({ embedder, text, vectorWeight: 0.3 }), /vectorWeight applies to fusion: 'weighted'/)
  assert.throws(() => t.hybridSearch({ embedder, text, fusion: 'weighted', vectorWeight: 2 }), /vectorWeight must be in \[0, 1\]/)
})

test('where, select, asOf and buffered rows hold in vector, full-text and hybrid search; explain shows both legs', async () => {
  const { t } = await makeTable()
  const before = t.currentSnapshotId!
  await t.add([{ id: 500n, title: 'summer zebra sandal', price: 7 }], { embedFrom: 'title', embedder })
  const w = t.memTableWriter({ flushMaxRows: 100_000, autoFlushTimer: false })
  const [bv] = await embedder.embed(['buffered zebra slipper'])
  await w.insert([{ id: 900n, title: 'buffered zebra slipper', price: 7, embedding: bv }])
  const ids = (rows: Array<{ id: bigint }>): bigint[] => rows.map((r) => r.id).sort((a, b) => Number(a - b))
  assert.deepEqual(ids(await t.fullTextSearch('zebra', { select: ['id'] }).toArray()), [500n, 900n])
  assert.deepEqual(ids(await t.fullTextSearch('zebra', { select: ['id'], asOf: before }).toArray()), [])
  assert.deepEqual(ids(await t.fullTextSearch('zebra', { select: ['id'], includeBuffered: false }).toArray()), [500n])
  assert.deepEqual(ids(await t.fullTextSearch('zebra', { select: ['id'], where: 'id > 600' }).toArray()), [900n])
  const hybrid = await t.hybridSearch({ embedder, text: 'zebra', where: 'price = 7', limit: 50, select: ['id', 'price'] }).toArray<{ id: bigint; price: number }>()
  assert.ok(hybrid.every((r) => r.price === 7 && Object.keys(r).every((k) => ['id', 'price', '_score', '_distance', '_bm25'].includes(k))))
  assert.deepEqual(hybrid.filter((r) => r._bm25 !== undefined).map((r) => r.id).sort(), [500n, 900n])
  const old = await t.hybridSearch({ embedder, text: 'zebra', asOf: before, limit: 200, select: ['id'] }).toArray<{ id: bigint }>()
  assert.ok(old.every((r) => r.id < 120n))
  const plan = await t.hybridSearch({ embedder, text: '+summer sandal', limit: 5 }).explain()
  assert.equal(plan.fusion.method, 'rrf')
  assert.equal(plan.text.filesTotal, 4)
  assert.equal(plan.text.filesSkippedByTerms, 2, 'the two files without "summer" are not scored')
  assert.equal(plan.text.filesScored, 2)
  assert.ok(plan.vector.filesTotal === 4 && plan.vector.bufferedRows === 1)
  assert.deepEqual(plan.text.clauses, [{ terms: ['summer'], phrase: false, required: true }, { terms: ['sandal'], phrase: false, required: false }])
  await w.close()
})
