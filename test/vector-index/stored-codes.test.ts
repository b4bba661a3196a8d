// Stored SQ8 codes (src/vector/sq8-block.ts): an index restored from its graph and codes alone
// traverses exactly as the index that computed them, and the error bound a code search reports
// holds for every row against the exact kernel on the stored vector (the oracle: distance.ts,
// tested against f64 in test/vector/distance.test.ts), for every metric, at scales from 1e-3 to
// 1e3, off the origin or not. A damaged block is CORRUPT_DATA, never a crash. Restores into
// reused arenas (arena-pool.ts) full of stale bytes search exactly as on fresh memory.
//
// AILAKE_SEED=<n> reproduces a run (failures print the seed and case).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { AilakeError } from '../../src/errors.js'
import { HnswIndex } from '../../src/vector-index/hnsw.js'
import { WasmBeam } from '../../src/vector-index/hnsw-beam.js'
import { bitsetFromIds } from '../../src/vector-index/filter.js'
import { decodeSq8Block, encodeSq8Block } from '../../src/vector/sq8-block.js'
import { poolArena, pooledArenas } from '../../src/vector/arena-pool.js'
import { createArena, simdAvailable } from '../../src/vector/simd.js'
import { distance } from '../../src/vector/distance.js'
import { METRICS, type Metric } from '../../src/vector/types.js'
import { gauss, rng } from '../helpers/tmpdir.js'

const SEED = Number(process.env.AILAKE_SEED ?? 1515)

function data(r: () => number, n: number, dim: number, scale: number, offset: number): Float32Array {
  const centres = Array.from({ length: 5 }, () => Float32Array.from({ length: dim }, () => gauss(r) * scale + offset))
  const out = new Float32Array(n * dim)
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * centres.length)] as Float32Array
    for (let j = 0; j < dim; j++) out[i * dim + j] = (c[j] as number) + gauss(r) * scale * 0.3
  }
  return out
}

test('code distances lie within the reported error of the exact distance of every row; restored indexes search alike', () => {
  const r = rng(SEED)
  let rows = 0
  let ratio = 0
  for (let c = 0; c < 24; c++) {
    const metric = METRICS[c % 3] as Metric
    const dim = [3, 8, 17, 32, 100][Math.floor(r() * 5)] as number
    const scale = 10 ** (r() * 6 - 3)
    const offset = r() < 0.5 ? 0 : scale * 4 * (r() - 0.5)
    const n = 1024 + Math.floor(r() * 300)
    const vectors = data(r, n, dim, scale, offset)
    const label = `AILAKE_SEED=${SEED}, case ${c} (${metric}, dim ${dim}, scale ${scale}, offset ${offset}, ${n} rows)`
    const built = HnswIndex.build(vectors, { metric, dim, M: 8, efConstruction: 32, seed: c })
    const codes = built.codes()
    assert.ok(codes !== undefined, label)
    const restored = HnswIndex.fromCodes(built.serialize(), codes, { dim })
    // Without WebAssembly the JS traversal reads the graph's own level-0 lists: same results.
    const plainJs = HnswIndex.fromCodes(built.serialize(), codes, { dim, wasm: false })
    assert.equal(restored.hasVectors, false)
    for (let qi = 0; qi < 4; qi++) {
      const q = qi === 0 ? vectors.slice(0, dim) : Float32Array.from({ length: dim }, () => gauss(r) * scale + offset)
      const all = restored.searchCodes(q, 10, { ef: n })
      assert.equal(all.ids.length, n, `${label}: a beam of every row returns every row`)
      let lo = Infinity
      let hi = -Infinity
      for (let i = 0; i < n; i++) {
        const id = all.ids[i] as number
        const exact = distance(metric, q, vectors.subarray(id * dim, (id + 1) * dim))
        const got = all.distances[i] as number
        assert.ok(Math.abs(got - exact) <= all.error, `${label}, query ${qi}, row ${id}: code distance ${got}, exact ${exact}, error bound ${all.error}`)
        lo = Math.min(lo, exact)
        hi = Math.max(hi, exact)
      }
      // The bound must be useful, not merely true: a small part of the spread of distances.
      ratio = Math.max(ratio, all.error / (hi - lo))
      rows += n
      // The index that computed the codes and the one restored from them traverse alike.
      const filter = qi === 3 ? bitsetFromIds(Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === 0), n) : undefined
      const a = built.searchCodes(q, 10, { ef: 40, ...(filter === undefined ? {} : { filter }) })
      const b = restored.searchCodes(q, 10, { ef: 40, ...(filter === undefined ? {} : { filter }) })
      assert.deepEqual(Array.from(b.ids), Array.from(a.ids), `${label}, query ${qi}`)
      assert.deepEqual(Array.from(b.distances), Array.from(a.distances), `${label}, query ${qi}`)
      assert.equal(b.error, a.error)
      const js = plainJs.searchCodes(q, 10, { ef: 40, ...(filter === undefined ? {} : { filter }) })
      assert.deepEqual(Array.from(js.ids), Array.from(a.ids), `${label}, query ${qi}, plain JS`)
      assert.deepEqual(Array.from(js.distances), Array.from(a.distances), `${label}, query ${qi}, plain JS`)
    }
    assert.throws(() => restored.search(vectors.slice(0, dim), 1), (e) => e instanceof AilakeError && e.code === 'UNSUPPORTED')
    assert.throws(() => restored.add(vectors.slice(0, dim)), (e) => e instanceof AilakeError && e.code === 'UNSUPPORTED')
    assert.throws(() => restored.serialize(), (e) => e instanceof AilakeError && e.code === 'UNSUPPORTED')
  }
  assert.ok(ratio < 0.05, `the error bound reached ${ratio} of the spread of distances`)
  assert.ok(rows > 100_000)
})

test('a selective filter returns the allowed rows by code distance (scan of the codes)', () => {
  const r = rng(SEED + 1)
  const dim = 12
  const n = 2000
  const vectors = data(r, n, dim, 1, 0)
  const index = HnswIndex.fromCodes(...((): [Uint8Array, Uint8Array] => {
    const b = HnswIndex.build(vectors, { metric: 'euclidean', dim, M: 8, efConstruction: 32 })
    return [b.serialize(), b.codes() as Uint8Array]
  })(), { dim })
  const allowed = [5, 77, 1999, 640]
  const got = index.searchCodes(vectors.slice(0, dim), 3, { ef: 10, filter: bitsetFromIds(allowed, n) })
  assert.deepEqual([...got.ids].sort((a, b) => a - b), [...allowed].sort((a, b) => a - b))
})

test('damaged code blocks: CORRUPT_DATA (or UNSUPPORTED for a newer version), never a crash', () => {
  const r = rng(SEED + 2)
  const dim = 5
  const rows = 7
  for (const euclidean of [false, true]) {
    const good = encodeSq8Block({
      dim, rows, lo: Float32Array.from({ length: dim }, () => r() - 0.5), step: Float32Array.from({ length: dim }, () => r() / 100),
      codes: Uint8Array.from({ length: rows * dim }, () => Math.floor(r() * 256)), norms: euclidean ? Float32Array.from({ length: rows }, () => r()) : undefined,
    })
    const back = decodeSq8Block(good, dim, rows, euclidean)
    assert.deepEqual(encodeSq8Block(back), good)
    const bad = (bytes: Uint8Array, what: string, d = dim, n = rows, e = euclidean): void => {
      assert.throws(() => decodeSq8Block(bytes, d, n, e), (err) => err instanceof AilakeError && (err.code === 'CORRUPT_DATA' || err.code === 'UNSUPPORTED'), what)
    }
    for (let len = 0; len < good.length; len++) bad(good.subarray(0, len), `truncated to ${len}`)
    bad(new Uint8Array([...good, 0, 0, 0, 0]), 'extended')
    bad(good, 'another dim', dim + 1)
    bad(good, 'another row count', dim, rows + 1)
    bad(good, 'the other metric kind', dim, rows, !euclidean)
    const edit = (at: number, f: (v: DataView) => void): Uint8Array => {
      const b = good.slice()
      f(new DataView(b.buffer, at))
      return b
    }
    bad(edit(0, (v) => v.setUint8(0, 0)), 'magic')
    bad(edit(4, (v) => v.setUint16(0, 2, true)), 'version')
    bad(edit(6, (v) => v.setUint8(0, 4)), 'flags')
    bad(edit(7, (v) => v.setUint8(0, 1)), 'reserved')
    bad(edit(8, (v) => v.setUint32(0, 2 ** 31, true)), 'hostile dim')
    bad(edit(12, (v) => v.setUint32(0, 2 ** 31, true)), 'hostile rows')
    bad(edit(16, (v) => v.setFloat32(0, NaN, true)), 'NaN range')
    bad(edit(16 + 4 * dim, (v) => v.setFloat32(0, -1, true)), 'negative step')
    bad(edit(16 + 4 * dim, (v) => v.setFloat32(0, 3e38, true)), 'range past f32')
    const pad = 16 + 8 * dim + rows * dim
    if (pad % 4 !== 0) bad(edit(pad, (v) => v.setUint8(0, 1)), 'padding')
    if (euclidean) bad(edit(good.length - 4, (v) => v.setFloat32(0, -1, true)), 'negative norm')
    // Every single-bit flip decodes or fails cleanly.
    for (let i = 0; i < good.length * 8; i++) {
      const b = good.slice()
      b[i >> 3] = (b[i >> 3] as number) ^ (1 << (i & 7))
      try {
        decodeSq8Block(b, dim, rows, euclidean)
      } catch (err) {
        assert.ok(err instanceof AilakeError && (err.code === 'CORRUPT_DATA' || err.code === 'UNSUPPORTED'), `flip ${i}: ${String(err)}`)
      }
    }
  }
})

test('a restored index whose beam outgrows its heaps grows them and returns what the index that computed the codes returns', () => {
  const r = rng(SEED + 1)
  const start = WasmBeam.packedHeap
  try {
    for (let c = 0; c < 6; c++) {
      const metric = METRICS[c % 3] as Metric
      const dim = [4, 17, 32][c % 3] as number
      const n = 2000 + Math.floor(r() * 2000)
      const vectors = data(r, n, dim, 1, c % 2)
      const built = HnswIndex.build(vectors, { metric, dim, M: 6, efConstruction: 24, seed: c })
      const codes = built.codes() as Uint8Array
      // Heaps of a few entries: nearly every search overflows them, some several times.
      WasmBeam.packedHeap = 1 + c * 7
      const restored = HnswIndex.fromCodes(built.serialize(), codes, { dim })
      const before = restored.residentBytes()
      for (const ef of [10, 33, 200, 1000, n]) {
        const q = Float32Array.from({ length: dim }, () => gauss(r) + (c % 2))
        const filter = ef === 200 ? bitsetFromIds(Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === 0), n) : undefined
        const opts = { ef, ...(filter === undefined ? {} : { filter }) }
        const a = built.searchCodes(q, 10, opts)
        const b = restored.searchCodes(q, 10, opts)
        const label = `AILAKE_SEED=${SEED}, case ${c} (${metric}, dim ${dim}, ${n} rows), ef ${ef}`
        assert.deepEqual(Array.from(b.ids), Array.from(a.ids), label)
        assert.deepEqual(Array.from(b.distances), Array.from(a.distances), label)
      }
      if (restored.usesWasm) assert.ok(restored.residentBytes() > before, 'the heaps grew, and the growth is counted')
    }
  } finally {
    WasmBeam.packedHeap = start
  }
})

test('indexes restored into reused arenas full of stale bytes search as the index that computed the codes; a collected restore gives its arena back', async () => {
  const r = rng(SEED + 2)
  const wasm = simdAvailable()
  const start = WasmBeam.packedHeap
  // Stale bytes that would show: random, u16 stamps of 1 (every node looks visited by the first
  // search), NaN floats, and a sign bit in every byte.
  const fills: Array<(b: Uint8Array) => void> = [
    (b) => { for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256) },
    (b) => { for (let i = 0; i < b.length; i++) b[i] = i % 2 === 0 ? 1 : 0 },
    (b) => b.fill(0xff),
    (b) => b.fill(0x80),
  ]
  try {
    for (let c = 0; c < 12; c++) {
      const metric = METRICS[c % 3] as Metric
      const dim = [4, 17, 100][Math.floor(c / 3) % 3] as number
      const n = 1024 + Math.floor(r() * 2000)
      const vectors = data(r, n, dim, 1, c % 2)
      const built = HnswIndex.build(vectors, { metric, dim, M: 4 + (c % 5), efConstruction: 24, seed: c })
      const codes = built.codes() as Uint8Array
      const bytes = built.serialize()
      const label = `AILAKE_SEED=${SEED}, case ${c} (${metric}, dim ${dim}, ${n} rows)`
      // An arena smaller than the restore needs (it grows), or larger, full of stale bytes.
      const stale = createArena(r() < 0.5 ? 1024 : (n * (dim + 40)) << (c % 2))
      ;(fills[c % fills.length] as (b: Uint8Array) => void)(stale.bytes)
      poolArena(stale)
      const pooled = pooledArenas()
      if (c % 4 === 3) WasmBeam.packedHeap = 1 + c
      const restored = HnswIndex.fromCodes(bytes, codes, { dim })
      WasmBeam.packedHeap = start
      if (wasm) assert.equal(pooledArenas(), pooled - 1, `${label}: the restore took a pooled arena`)
      for (const ef of [10, 40, 300, n]) {
        const q = Float32Array.from({ length: dim }, () => gauss(r) + (c % 2))
        const filter = ef === 40 ? bitsetFromIds(Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === 0), n) : undefined
        const opts = { ef, ...(filter === undefined ? {} : { filter }) }
        const a = built.searchCodes(q, 10, opts)
        const b = restored.searchCodes(q, 10, opts)
        assert.deepEqual([Array.from(b.ids), Array.from(b.distances), b.error], [Array.from(a.ids), Array.from(a.distances), a.error], `${label}, ef ${ef}`)
      }
    }
  } finally {
    WasmBeam.packedHeap = start
  }
  if (!wasm) return
  // A restore nothing holds any more gives its arena back once collected.
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const vectors = data(r, 1500, 8, 1, 0)
  const built = HnswIndex.build(vectors, { metric: 'cosine', dim: 8, M: 6, efConstruction: 24 })
  const [bytes, codes] = [built.serialize(), built.codes() as Uint8Array]
  const before = pooledArenas()
  for (let i = 0; i < 3; i++) HnswIndex.fromCodes(bytes, codes, { dim: 8 }).searchCodes(vectors.slice(0, 8), 3)
  const taken = pooledArenas()
  // Finalizers run after a collection, as tasks: a few rounds of both, bounded.
  for (let round = 0; round < 20 && pooledArenas() < taken + 3; round++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  // (The restores of the cases above may come back too.)
  assert.ok(pooledArenas() >= taken + 3, `three collected restores returned their arenas (pool had ${before}, then ${taken}, now ${pooledArenas()})`)
})
