import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HnswIndex } from '../../src/vector-index/hnsw.js'
import { flatSearch } from '../../src/vector-index/flat.js'
import { distance } from '../../src/vector/distance.js'
import { bitsetFromIds } from '../../src/vector-index/filter.js'
import { isAilakeError } from '../../src/errors.js'
import type { Metric } from '../../src/vector/types.js'
import { clustered, rng, rows } from './clustered.js'

const DIM = 48
const N = 4000
const DATA = clustered(N, DIM, 11)
const QUERIES = rows(clustered(100, DIM, 12), DIM)
const METRICS: Metric[] = ['cosine', 'euclidean', 'dot']
const built = new Map<Metric, HnswIndex>()

function index(metric: Metric): HnswIndex {
  let idx = built.get(metric)
  if (idx === undefined) {
    idx = HnswIndex.build(DATA, { metric, dim: DIM })
    built.set(metric, idx)
  }
  return idx
}

function recall(idx: HnswIndex, metric: Metric, k: number, ef: number): number {
  let hit = 0
  for (const q of QUERIES) {
    const exact = new Set(flatSearch(DATA, DIM, metric, q, k).ids)
    for (const id of idx.search(q, k, { ef }).ids) if (exact.has(id)) hit++
  }
  return hit / (k * QUERIES.length)
}

test('recall@10 against exact search on clustered data is high for every metric', () => {
  for (const metric of METRICS) {
    const idx = index(metric)
    assert.equal(idx.size, N)
    assert.equal(idx.dim, DIM)
    assert.equal(idx.metric, metric)
    assert.equal(idx.M, 16)
    assert.equal(idx.efConstruction, 200)
    const r = recall(idx, metric, 10, 128)
    assert.ok(r >= 0.97, `${metric} recall ${r}`)
  }
})

test('results are best-first and carry the metric\'s distances (cosine = 1 - cos)', () => {
  for (const metric of METRICS) {
    const q = QUERIES[0] as Float32Array
    const res = index(metric).search(q, 10)
    assert.equal(res.ids.length, 10)
    assert.ok(res.ids instanceof Int32Array && res.distances instanceof Float32Array)
    for (let i = 1; i < 10; i++) assert.ok((res.distances[i] as number) >= (res.distances[i - 1] as number))
    const exact = flatSearch(DATA, DIM, metric, q, 1)
    assert.ok(Math.abs((res.distances[0] as number) - (exact.distances[0] as number)) < 1e-4 * Math.max(1, Math.abs(exact.distances[0] as number)))
  }
})

test('higher ef never hurts recall much and reaches near-exact results', () => {
  const idx = index('euclidean')
  assert.ok(recall(idx, 'euclidean', 10, 300) >= 0.99)
})

test('the same input and seed build byte-identical graphs; another seed builds another graph', () => {
  const small = DATA.subarray(0, 500 * DIM)
  const a = HnswIndex.build(small, { metric: 'euclidean', dim: DIM, seed: 3 }).serialize()
  const b = HnswIndex.build(small, { metric: 'euclidean', dim: DIM, seed: 3 }).serialize()
  const c = HnswIndex.build(small, { metric: 'euclidean', dim: DIM, seed: 4 }).serialize()
  assert.deepEqual(a, b)
  assert.notDeepEqual(a, c)
})

test('WebAssembly and plain-JS kernels build identical graphs and return identical results', () => {
  const small = DATA.subarray(0, 1500 * DIM)
  for (const metric of METRICS) {
    const w = HnswIndex.build(small, { metric, dim: DIM, wasm: true })
    const j = HnswIndex.build(small, { metric, dim: DIM, wasm: false })
    assert.equal(w.usesWasm, true)
    assert.equal(j.usesWasm, false)
    assert.deepEqual(w.serialize(), j.serialize(), metric)
    for (const q of QUERIES.slice(0, 20)) assert.deepEqual(w.search(q, 10), j.search(q, 10))
    // A bitset runs inside the WebAssembly beam search and the JS one alike.
    const bits = bitsetFromIds(Array.from({ length: 1500 }, (_, i) => i).filter((i) => i % 3 === 0), 1500)
    for (const q of QUERIES.slice(20, 30)) {
      const got = w.search(q, 10, { filter: bits })
      assert.deepEqual(got, j.search(q, 10, { filter: bits }))
      assert.ok(got.ids.length === 10 && [...got.ids].every((id) => id % 3 === 0))
    }
  }
})

test('incremental add returns consecutive ids and keeps recall', () => {
  const half = (N / 2) * DIM
  const idx = HnswIndex.build(DATA.subarray(0, half), { metric: 'cosine', dim: DIM })
  for (let i = N / 2; i < N; i++) assert.equal(idx.add(DATA.slice(i * DIM, (i + 1) * DIM)), i)
  assert.equal(idx.size, N)
  assert.ok(recall(idx, 'cosine', 10, 128) >= 0.97)
})

test('an index built from nothing grows by add, taking its dimension from the first vector', () => {
  const idx = HnswIndex.build([], { metric: 'euclidean' })
  assert.equal(idx.size, 0)
  assert.equal(idx.search(new Float32Array(3), 5).ids.length, 0)
  assert.equal(idx.add(new Float32Array([1, 0, 0])), 0)
  assert.equal(idx.dim, 3)
  assert.equal(idx.add(new Float32Array([0, 1, 0])), 1)
  assert.deepEqual(Array.from(idx.search(new Float32Array([0, 0.9, 0]), 5).ids), [1, 0])
  assert.throws(() => idx.add(new Float32Array(4)), (e: unknown) => isAilakeError(e, 'DIMENSION_MISMATCH'))
})

test('empty and one-vector indexes work', () => {
  const empty = HnswIndex.build(new Float32Array(0), { metric: 'cosine', dim: 8 })
  assert.equal(empty.size, 0)
  assert.equal(empty.search(new Float32Array(8).fill(1), 3).ids.length, 0)
  const one = HnswIndex.build([new Float32Array([1, 2])], { metric: 'dot' })
  const res = one.search(new Float32Array([1, 1]), 10)
  assert.deepEqual(Array.from(res.ids), [0])
  assert.deepEqual(Array.from(res.distances), [-3])
})

test('duplicates and zero vectors: search returns the exact nearest rows and their exact distances', () => {
  const flat = new Float32Array(300 * 4)
  for (let i = 0; i < 300; i++) flat.set(i % 3 === 0 ? [0, 0, 0, 0] : [1, 1, i % 2, 0], i * 4)
  const sorted = (a: ArrayLike<number>): number[] => Array.from(a).sort((x, y) => x - y)
  for (const metric of METRICS) {
    const idx = HnswIndex.build(flat, { metric, dim: 4, M: 4, efConstruction: 20 })
    for (const q of [[1, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0], [-1, 0, 0, 2]]) {
      const query = Float32Array.from(q)
      const exact = flatSearch(flat, 4, metric, query, 150)
      // A beam of every row is exact (reachability, see reachability.test.ts).
      for (const ef of [300, 1000]) {
        const got = idx.search(query, 150, { ef })
        // Many rows tie: compare the lists of exact distances of the rows returned.
        const own = Array.from(got.ids, (id) => distance(metric, query, flat.subarray(id * 4, id * 4 + 4)))
        assert.deepEqual(sorted(own), sorted(Array.from(exact.ids, (id) => distance(metric, query, flat.subarray(id * 4, id * 4 + 4)))), `${metric} ${q} ef ${ef}`)
        assert.equal(new Set(got.ids).size, 150)
        // Returned distances are the rows' own (cosine indexes score normalised copies: rounding only).
        own.forEach((d, i) => assert.ok(Math.abs((got.distances[i] as number) - d) <= 1e-6, `${metric}: ${got.distances[i]} vs ${d}`))
      }
    }
  }
})

test('filters return exactly k allowed results at many selectivities (bitset and predicate)', () => {
  const r = rng(99)
  for (const metric of ['cosine', 'euclidean'] as Metric[]) {
    const idx = index(metric)
    for (const selectivity of [0.001, 0.003, 0.01, 0.05, 0.1, 0.3, 0.9]) {
      const allowedIds: number[] = []
      for (let id = 0; id < N; id++) if (r() < selectivity) allowedIds.push(id)
      const allowed = new Set(allowedIds)
      const bits = bitsetFromIds(allowedIds, N)
      const k = 10
      let hit = 0
      let total = 0
      for (const q of QUERIES.slice(0, 20)) {
        const exact = flatSearch(DATA, DIM, metric, q, k, { filter: bits })
        const expected = Math.min(k, allowed.size)
        assert.equal(exact.ids.length, expected)
        for (const filter of [bits, (id: number) => allowed.has(id)]) {
          const res = idx.search(q, k, { filter })
          assert.equal(res.ids.length, expected, `${metric} selectivity ${selectivity}`)
          for (const id of res.ids) assert.ok(allowed.has(id), `id ${id} is not allowed`)
          assert.equal(new Set(res.ids).size, res.ids.length, 'no duplicates')
          const ex = new Set(exact.ids)
          for (const id of res.ids) if (ex.has(id)) hit++
          total += expected
        }
      }
      assert.ok(hit / total >= 0.9, `${metric} filtered recall ${hit / total} at ${selectivity}`)
    }
  }
})

test('a filter allowing fewer than k ids returns all of them; allowing none returns nothing', () => {
  const idx = index('euclidean')
  const q = QUERIES[1] as Float32Array
  const res = idx.search(q, 10, { filter: bitsetFromIds([5, 3999, 1234], N) })
  assert.deepEqual(Array.from(res.ids).sort((a, b) => a - b), [5, 1234, 3999])
  assert.equal(idx.search(q, 10, { filter: new Uint8Array(0) }).ids.length, 0)
  assert.equal(idx.search(q, 10, { filter: () => false }).ids.length, 0)
  // A short bitset allows only ids it covers.
  const short = idx.search(q, 10, { filter: new Uint8Array([0xff]) })
  assert.deepEqual(Array.from(short.ids).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7])
})

test('flatSearch is exact: it agrees with sorting all distances', () => {
  const q = QUERIES[2] as Float32Array
  const all = Array.from({ length: N }, (_, id) => {
    let d = 0
    for (let j = 0; j < DIM; j++) d += ((DATA[id * DIM + j] as number) - (q[j] as number)) ** 2
    return { id, d }
  }).sort((a, b) => a.d - b.d || a.id - b.id)
  const res = flatSearch(DATA, DIM, 'euclidean', q, 25)
  assert.deepEqual(Array.from(res.ids), all.slice(0, 25).map((x) => x.id))
  assert.equal(flatSearch(new Float32Array(0), DIM, 'cosine', q, 3).ids.length, 0)
})

test('bad inputs get clear AilakeErrors', () => {
  const idx = index('cosine')
  const q = QUERIES[0] as Float32Array
  const code = (c: string) => (e: unknown) => isAilakeError(e) && e.code === c
  for (const k of [0, -1, 1.5, NaN]) assert.throws(() => idx.search(q, k), code('INVALID_ARGUMENT'))
  assert.throws(() => idx.search(new Float32Array(DIM + 1), 3), code('DIMENSION_MISMATCH'))
  const nan = q.slice()
  nan[3] = NaN
  assert.throws(() => idx.search(nan, 3), code('INVALID_ARGUMENT'))
  assert.throws(() => idx.search([1, 2] as unknown as Float32Array, 3), code('INVALID_ARGUMENT'))
  assert.throws(() => idx.search(q, 3, { ef: 0 }), code('INVALID_ARGUMENT'))
  assert.throws(() => idx.search(q, 3, { filter: [1, 2] as unknown as Uint8Array }), code('INVALID_ARGUMENT'))
  assert.throws(() => idx.add(nan), code('INVALID_ARGUMENT'))
  const bad = DATA.slice(0, 10 * DIM)
  bad[7 * DIM + 2] = Infinity
  assert.throws(() => HnswIndex.build(bad, { metric: 'euclidean', dim: DIM }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && e.context.row === 7)
  assert.throws(() => HnswIndex.build(DATA.subarray(0, 10), { metric: 'euclidean', dim: DIM }), code('DIMENSION_MISMATCH'))
  assert.throws(() => HnswIndex.build([new Float32Array(3), new Float32Array(4)], { metric: 'euclidean' }), code('DIMENSION_MISMATCH'))
  assert.throws(() => HnswIndex.build(DATA, { metric: 'hamming' as Metric, dim: DIM }), code('INVALID_ARGUMENT'))
  assert.throws(() => HnswIndex.build(DATA, { metric: 'cosine', dim: DIM, M: 1 }), code('INVALID_ARGUMENT'))
  assert.throws(() => HnswIndex.build(DATA, { metric: 'cosine', dim: DIM, efConstruction: 0 }), code('INVALID_ARGUMENT'))
  assert.throws(() => HnswIndex.build(DATA, { metric: 'cosine' }), code('INVALID_ARGUMENT'))
  assert.throws(() => flatSearch(DATA, DIM, 'cosine', q, 0), code('INVALID_ARGUMENT'))
})

test('quantised traversal (the default at this size) keeps recall and returns exact distances', () => {
  for (const metric of METRICS) {
    const idx = index(metric)
    let hitQ = 0
    let hitE = 0
    for (const q of QUERIES) {
      const truth = flatSearch(DATA, DIM, metric, q, 10)
      const want = new Set(truth.ids)
      const quant = idx.search(q, 10, { ef: 128 })
      const exact = idx.search(q, 10, { ef: 128, quantized: false })
      for (const id of quant.ids) if (want.has(id)) hitQ++
      for (const id of exact.ids) if (want.has(id)) hitE++
      // Distances are re-scored on the f32 vectors: each equals the exact distance of its id.
      for (let i = 0; i < quant.ids.length; i++) {
        const id = quant.ids[i] as number
        const d = flatSearch(DATA.subarray(id * DIM, (id + 1) * DIM), DIM, metric, q, 1).distances[0] as number
        assert.ok(Math.abs((quant.distances[i] as number) - d) <= 1e-5 * Math.max(1, Math.abs(d)), `${metric} id ${id}: ${quant.distances[i]} vs ${d}`)
      }
    }
    const n = 10 * QUERIES.length
    assert.ok(hitQ / n >= 0.97, `${metric} quantised recall ${hitQ / n}`)
    assert.ok(hitQ / n >= hitE / n - 0.02, `${metric} quantised recall ${hitQ / n} vs exact traversal ${hitE / n}`)
  }
})

test('vectors added after a quantised search are found, also past the first capacity', () => {
  const base = DATA.subarray(0, 1500 * DIM)
  for (const metric of METRICS) {
    const idx = HnswIndex.build(base, { metric, dim: DIM })
    idx.search(QUERIES[0] as Float32Array, 5) // builds the codes
    // Far outside the learned code ranges: the codes clamp, the exact re-score still ranks it first.
    const far = new Float32Array(DIM).fill(40)
    far[0] = -40
    const id = idx.add(far)
    const hit = idx.search(far, 1, { ef: 64 })
    assert.equal(hit.ids[0], id, metric)
    for (let i = 1500; i < 2600; i++) idx.add(DATA.slice(i * DIM, (i + 1) * DIM)) // grows the graph
    // Row 2500 of DATA got id 2501 (the far vector took 1500); under dot a row need not be its own best match.
    if (metric !== 'dot') assert.equal(idx.search(DATA.subarray(2500 * DIM, 2501 * DIM), 1, { ef: 64 }).ids[0], 2501, metric)
  }
})

test('within: also returns the candidates up to the k-th distance plus within, by beam and by scan', () => {
  // Rows at distances 0, 1, 1.0001, 1.0002 and 4 from the query; 1.0001 and 1.0002 are within 0.001 of the 2nd.
  const flat = Float32Array.from([0, 0, 1, 0, 0, Math.sqrt(1.0001), -Math.sqrt(1.0002), 0, 2, 0])
  const idx = HnswIndex.build(flat, { metric: 'euclidean', dim: 2, M: 2 })
  const q = new Float32Array(2)
  const sorted = (ids: ArrayLike<number>): number[] => Array.from(ids).sort((a, b) => a - b)
  assert.deepEqual(sorted(idx.search(q, 2).ids), [0, 1])
  assert.deepEqual(sorted(idx.search(q, 2, { within: 0.001 }).ids), [0, 1, 2, 3])
  assert.deepEqual(sorted(idx.search(q, 2, { within: 0.001, filter: (id) => id !== 0 }).ids), [1, 2, 3])
  assert.deepEqual(sorted(idx.search(q, 2, { within: 0.001, filter: bitsetFromIds([1, 2, 3, 4], 5) }).ids), [1, 2, 3])
  assert.deepEqual(sorted(idx.search(q, 5, { within: 10 }).ids), [0, 1, 2, 3, 4])
  for (const bad of [-1, NaN, Infinity]) assert.throws(() => idx.search(q, 2, { within: bad }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
})

test('property: a sparse bitset scans exactly, with and without within and a given allowed count, equal to brute force over the allowed rows', () => {
  const idx = index('euclidean')
  const r = rng(31)
  let cases = 0
  for (let c = 0; c < 60; c++) {
    // 1-5% of rows allowed: the index scans them (allowed^2 <= ef * 2M * count).
    const allowedIds = Array.from({ length: N }, (_, i) => i).filter(() => r() < 0.01 + 0.04 * r())
    const bits = bitsetFromIds(allowedIds, N)
    const q = QUERIES[c % QUERIES.length] as Float32Array
    const k = 1 + Math.floor(r() * 12)
    const within = c % 3 === 0 ? 0 : r() * 2
    const byDist = allowedIds.map((id) => ({ id, d: distance('euclidean', q, DATA.subarray(id * DIM, (id + 1) * DIM)) })).sort((a, b) => a.d - b.d || a.id - b.id)
    const kth = (byDist[Math.min(k, byDist.length) - 1] as { d: number }).d
    const want = byDist.filter((x, i) => i < k || (within > 0 && x.d <= Math.fround(kth) + within)).map((x) => x.id).sort((a, b) => a - b)
    for (const opts of [{ filter: bits }, { filter: bits, allowed: allowedIds.length }]) {
      const got = Array.from(idx.search(q, k, { ...opts, ef: 32, ...(within > 0 ? { within } : {}) }).ids).sort((a, b) => a - b)
      assert.deepEqual(got, want, `case ${c}: k ${k}, within ${within}, ${allowedIds.length} allowed`)
      cases++
    }
  }
  assert.ok(cases >= 120)
  for (const bad of [-1, N + 1, 1.5]) assert.throws(() => idx.search(QUERIES[0] as Float32Array, 2, { filter: new Uint8Array(N >> 3), allowed: bad }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
})
