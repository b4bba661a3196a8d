// Building runs its level-0 beam search and its neighbour selection in WebAssembly when the
// runtime has SIMD, and in plain JS otherwise; both must build byte-identical graphs (the JS path
// is the reference). Seeded random builds of many shapes and sizes, then the paths that keep the
// WebAssembly state alive across calls: adds after searches, adds to a restored index, and dot
// indexes whose longest vector grows (every extra coordinate changes). AILAKE_SEED reproduces
// a run, AILAKE_SOAK=1 runs more cases.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HnswIndex } from '../../src/vector-index/hnsw.js'
import type { Metric } from '../../src/vector/types.js'
import { rng } from './clustered.js'
import { gauss } from '../helpers/tmpdir.js'

const METRICS: Metric[] = ['cosine', 'euclidean', 'dot']
const SEED = Number(process.env.AILAKE_SEED ?? 1409)
const SOAK = process.env.AILAKE_SOAK === '1'

type Shape = 'clusters' | 'offset' | 'norms' | 'growing' | 'duplicates' | 'grid'
const SHAPES: Shape[] = ['clusters', 'offset', 'norms', 'growing', 'duplicates', 'grid']

/**
 * `count` vectors of one shape: 'norms' spans four orders of magnitude of length, 'growing'
 * gets longer row by row (a dot index's Φ moves on many adds), 'grid' has many exactly equal
 * distances (ties decide the heaps' order), 'duplicates' repeats rows.
 */
function data(r: () => number, shape: Shape, count: number, dim: number): Float32Array {
  const out = new Float32Array(count * dim)
  const centres = Array.from({ length: 1 + Math.floor(r() * 6) }, () => Float32Array.from({ length: dim }, () => gauss(r) + (shape === 'offset' ? 4 : 0)))
  for (let i = 0; i < count; i++) {
    const c = centres[Math.floor(r() * centres.length)] as Float32Array
    const len = shape === 'norms' ? 10 ** (r() * 4 - 2) : shape === 'growing' ? 1 + i / 8 : 1
    for (let j = 0; j < dim; j++) {
      const k = i * dim + j
      if (shape === 'grid') out[k] = Math.floor(r() * 3)
      else if (shape === 'duplicates' && i > 0 && r() < 0.5) out[k] = out[k - dim] as number
      else out[k] = ((c[j] as number) + gauss(r) * 0.3) * len
    }
  }
  return out
}

interface Case { metric: Metric; shape: Shape; count: number; dim: number; M: number; efConstruction: number; seed: number }

function cases(n: number, seed: number): Case[] {
  const r = rng(seed)
  return Array.from({ length: n }, (_, i) => ({
    metric: METRICS[i % 3] as Metric,
    shape: SHAPES[Math.floor(r() * SHAPES.length)] as Shape,
    count: r() < 0.3 ? 1 + Math.floor(r() * 40) : 40 + Math.floor(r() * 460),
    dim: [1, 2, 3, 8, 16, 33][Math.floor(r() * 6)] as number,
    M: [2, 3, 4, 8, 16][Math.floor(r() * 5)] as number,
    efConstruction: [1, 4, 16, 64, 200][Math.floor(r() * 5)] as number,
    seed: seed * 1000 + i,
  }))
}

test('WebAssembly and plain-JS builds make byte-identical graphs, for every metric and shape', () => {
  for (const c of cases(SOAK ? 1500 : 150, SEED)) {
    const flat = data(rng(c.seed), c.shape, c.count, c.dim)
    const options = { metric: c.metric, dim: c.dim, M: c.M, efConstruction: c.efConstruction, seed: c.seed }
    const w = HnswIndex.build(flat, { ...options, wasm: true })
    const j = HnswIndex.build(flat, { ...options, wasm: false })
    assert.equal(w.usesWasm, true)
    assert.equal(j.usesWasm, false)
    assert.deepEqual(w.serialize(), j.serialize(), `seed ${c.seed}: ${JSON.stringify(c)}`)
  }
})

test('adds interleaved with searches, and adds to a restored index, keep the two paths identical', () => {
  for (const c of cases(SOAK ? 300 : 30, SEED + 1)) {
    const label = `seed ${c.seed}: ${JSON.stringify(c)}`
    const r = rng(c.seed)
    const flat = data(r, c.shape, c.count, c.dim)
    const half = Math.floor(c.count / 2)
    const options = { metric: c.metric, dim: c.dim, M: c.M, efConstruction: c.efConstruction, seed: c.seed }
    const built = HnswIndex.build(flat.subarray(0, half * c.dim), options).serialize()
    // One index of each kind restored from the same bytes, one built from nothing by adds.
    const pairs = [
      [HnswIndex.deserialize(built, flat.slice(0, half * c.dim), { dim: c.dim, wasm: true }),
        HnswIndex.deserialize(built, flat.slice(0, half * c.dim), { dim: c.dim, wasm: false })],
      [HnswIndex.build([], { ...options, wasm: true }), HnswIndex.build([], { ...options, wasm: false })],
    ] as const
    for (const [p, [w, j]] of pairs.entries()) {
      const q = Float32Array.from({ length: c.dim }, () => gauss(r))
      const start = p === 0 ? half : 0
      for (let i = start; i < c.count; i++) {
        // A quantised search first and now and then builds the search state, which adds must
        // keep current (a restored dot index gets its extra coordinates only at its first add).
        if ((i === start || i % 7 === 0) && w.size > 0) {
          const ef = 1 + Math.floor(r() * 40)
          assert.deepEqual(w.search(q, 5, { ef, quantized: true }), j.search(q, 5, { ef, quantized: true }), `${label}, pair ${p}, before add ${i}`)
        }
        const row = flat.slice(i * c.dim, (i + 1) * c.dim)
        assert.equal(w.add(row), j.add(row))
      }
      assert.deepEqual(w.serialize(), j.serialize(), `${label}, pair ${p}`)
      assert.deepEqual(w.search(q, 10, { ef: c.count }), j.search(q, 10, { ef: c.count }), `${label}, pair ${p}`)
    }
  }
})
