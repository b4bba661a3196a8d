// Reachability: with a beam as large as the index, HNSW search must return every node, for
// every metric, so large-ef search is exact. Issue 12, defect 8: dot-product graphs on
// clustered, off-origin data left most rows without in-edges, never returned at any ef.
// Seeded random graphs of many shapes; AILAKE_SEED reproduces a run, AILAKE_SOAK=1 runs more.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HnswIndex } from '../../src/vector-index/hnsw.js'
import { flatSearch } from '../../src/vector-index/flat.js'
import { kernelError } from '../../src/vector/bounds.js'
import { distance } from '../../src/vector/distance.js'
import type { Metric } from '../../src/vector/types.js'
import { rng } from './clustered.js'
import { gauss } from '../helpers/tmpdir.js'

const METRICS: Metric[] = ['cosine', 'euclidean', 'dot']
const SEED = Number(process.env.AILAKE_SEED ?? 812)
const SOAK = process.env.AILAKE_SOAK === '1'

type Shape = 'offset-clusters' | 'clusters' | 'gaussian' | 'norms' | 'duplicates'
const SHAPES: Shape[] = ['offset-clusters', 'clusters', 'gaussian', 'norms', 'duplicates']

/** `count` vectors of one shape; 'norms' varies the lengths over four orders of magnitude (hard for dot). */
function data(r: () => number, shape: Shape, count: number, dim: number): Float32Array {
  const out = new Float32Array(count * dim)
  const offset = Float32Array.from({ length: dim }, () => (shape === 'offset-clusters' ? 3 + gauss(r) * 2 : 0))
  const clusters = 1 + Math.floor(r() * 8)
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, () => gauss(r)))
  const spread = 0.05 + r() * 0.5
  for (let i = 0; i < count; i++) {
    const c = centres[Math.floor(r() * clusters)] as Float32Array
    const len = shape === 'norms' ? 10 ** (r() * 4 - 2) : 1
    for (let j = 0; j < dim; j++) {
      const k = i * dim + j
      if (shape === 'duplicates' && i > 0 && r() < 0.5) out[k] = out[k - dim * (1 + Math.floor(r() * Math.min(i, 3)))] as number
      else if (shape === 'gaussian' || shape === 'norms') out[k] = gauss(r) * len
      else out[k] = (offset[j] as number) + (c[j] as number) + gauss(r) * spread
    }
  }
  return out
}

interface Case { metric: Metric; shape: Shape; count: number; dim: number; M: number; efConstruction: number; seed: number; wasm?: boolean }

/** Distances of `ids` to `q` under the exact kernel, sorted. */
function sortedDistances(metric: Metric, flat: Float32Array, dim: number, q: Float32Array, ids: ArrayLike<number>): number[] {
  return Array.from(ids, (id) => distance(metric, q, flat.subarray(id * dim, (id + 1) * dim))).sort((a, b) => a - b)
}

function checkCase(c: Case): void {
  const r = rng(c.seed)
  const flat = data(r, c.shape, c.count, c.dim)
  const index = HnswIndex.build(flat, { metric: c.metric, dim: c.dim, M: c.M, efConstruction: c.efConstruction, seed: c.seed, wasm: c.wasm !== false })
  const label = `seed ${c.seed}: ${JSON.stringify(c)}`
  for (let qi = 0; qi < 4; qi++) {
    // Queries from the data (a row, perturbed) and from nowhere in particular.
    const row = Math.floor(r() * c.count)
    const q = Float32Array.from({ length: c.dim }, (_, j) => (qi % 2 === 0 ? (flat[row * c.dim + j] as number) + gauss(r) * 0.01 : gauss(r) * 3))
    // Every node, in one search with a beam the size of the index.
    const all = index.search(q, c.count, { ef: c.count })
    assert.equal(new Set(all.ids).size, c.count, `${label}: ${c.count - new Set(all.ids).size} nodes unreachable`)
    // Large-ef top 10 equals brute force (as distance lists: equal distances may swap).
    const k = Math.min(10, c.count)
    const got = index.search(q, k, { ef: c.count })
    const exact = flatSearch(flat, c.dim, c.metric, q, k)
    const want = sortedDistances(c.metric, flat, c.dim, q, exact.ids)
    const have = sortedDistances(c.metric, flat, c.dim, q, got.ids)
    if (c.metric !== 'cosine') assert.deepEqual(have, want, label)
    else {
      // Cosine indexes rank normalised copies: rows within rounding of each other may swap
      // (search.ts asks for those near the k-th as well, see HnswSearchOptions.within).
      const tol = 4 * kernelError(c.dim)
      have.forEach((d, i) => assert.ok(Math.abs(d - (want[i] as number)) <= tol, `${label}: rank ${i}: ${d} vs ${want[i]}`))
    }
    // A predicate filter is applied inside the traversal (a bitset this large would be scanned).
    const allowed = (id: number): boolean => (id * 2654435761) % 7 < 3
    const nAllowed = Array.from({ length: c.count }, (_, id) => id).filter(allowed).length
    const filtered = index.search(q, c.count, { ef: c.count, filter: allowed })
    assert.equal(filtered.ids.length, nAllowed, `${label}: filtered search returned ${filtered.ids.length} of ${nAllowed} allowed nodes`)
    assert.ok([...filtered.ids].every(allowed), label)
  }
}

function cases(n: number, maxCount: number, seed: number): Case[] {
  const r = rng(seed)
  return Array.from({ length: n }, (_, i) => {
    const small = r() < 0.5
    return {
      metric: METRICS[i % 3] as Metric,
      shape: SHAPES[Math.floor(r() * SHAPES.length)] as Shape,
      count: small ? 1 + Math.floor(r() * 64) : 64 + Math.floor(r() * (maxCount - 64)),
      dim: [2, 3, 8, 16, 16, 33][Math.floor(r() * 6)] as number,
      M: [2, 3, 4, 8, 16][Math.floor(r() * 5)] as number,
      efConstruction: [4, 16, 64, 200][Math.floor(r() * 4)] as number,
      seed: seed * 1000 + i,
    }
  })
}

test('every node is reachable: a beam as large as the index returns all of them, for every metric and shape', () => {
  for (const c of cases(SOAK ? 3000 : 240, SOAK ? 3000 : 600, SEED)) checkCase(c)
})

test('issue 12 repro: 30 dot-product files of 40 clustered off-origin rows (16-d) return every row', () => {
  for (let f = 0; f < 30; f++) checkCase({ metric: 'dot', shape: 'offset-clusters', count: 40, dim: 16, M: 16, efConstruction: 200, seed: SEED + f })
})

test('indexes large enough for the quantised beam (WebAssembly and JS) reach every node', () => {
  for (const metric of METRICS) {
    for (const shape of ['offset-clusters', 'norms'] as Shape[]) {
      for (const wasm of [true, false]) checkCase({ metric, shape, count: 1500, dim: 16, M: 8, efConstruction: 64, seed: SEED + 7, wasm })
    }
  }
})

test('reachability survives serialisation and incremental adds', () => {
  for (const metric of METRICS) {
    const r = rng(SEED + 11)
    const dim = 8
    const flat = data(r, 'offset-clusters', 400, dim)
    const built = HnswIndex.build(flat.subarray(0, 200 * dim), { metric, dim, M: 4, efConstruction: 32 })
    const index = HnswIndex.deserialize(built.serialize(), flat.slice(0, 200 * dim), { dim })
    for (let i = 200; i < 400; i++) index.add(flat.slice(i * dim, (i + 1) * dim))
    for (let qi = 0; qi < 5; qi++) {
      const q = Float32Array.from({ length: dim }, () => gauss(r) * 4)
      assert.equal(new Set(index.search(q, 400, { ef: 400 }).ids).size, 400, `${metric}, query ${qi}`)
    }
  }
})
