// Stored PQ codes (src/vector/pq.ts, pq-block.ts, vector-index/hnsw-pq.ts): an index restored
// from its graph and PQ codes returns, for every row, an interval that holds the row's exact
// distance (the oracle: distance.ts on the stored vector), for every metric, dimensions that do
// and do not split evenly, scales from 1e-3 to 1e3 and off the origin; a beam over every row
// ranks them as an independent ADC computation does; the WebAssembly and plain-JS kernels agree
// bit for bit; a damaged block is CORRUPT_DATA, never a crash.
//
// AILAKE_SEED=<n> reproduces a run (failures print the seed and case).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AilakeError } from '../../src/errors.js'
import { HnswIndex } from '../../src/vector-index/hnsw.js'
import { bitsetFromIds } from '../../src/vector-index/filter.js'
import { decodePqBlock, encodePqBlock } from '../../src/vector/pq-block.js'
import { encodePq, pqStarts, reconstruct, trainPq } from '../../src/vector/pq.js'
import { distance } from '../../src/vector/distance.js'
import { METRICS, type Metric } from '../../src/vector/types.js'
import { gauss, rng } from '../helpers/tmpdir.js'
import { poolArena, pooledArenas } from '../../src/vector/arena-pool.js'
import { createArena, simdAvailable } from '../../src/vector/simd.js'

const SEED = Number(process.env.AILAKE_SEED ?? 4242)

function data(r: () => number, n: number, dim: number, scale: number, offset: number): Float32Array {
  const centres = Array.from({ length: 6 }, () => Float32Array.from({ length: dim }, () => gauss(r) * scale + offset))
  const out = new Float32Array(n * dim)
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * centres.length)] as Float32Array
    for (let j = 0; j < dim; j++) out[i * dim + j] = (c[j] as number) + gauss(r) * scale * 0.3
  }
  return out
}

function unit(v: Float32Array): Float32Array {
  let s = 0
  for (const x of v) s += x * x
  const n = Math.sqrt(s)
  return n === 0 ? v.slice() : v.map((x) => x / n)
}

test('every exact distance lies in the interval a PQ code search reports; the codes rank rows as an independent ADC does', () => {
  const r = rng(SEED)
  let rows = 0
  let width = 0
  for (let c = 0; c < 15; c++) {
    const metric = METRICS[c % 3] as Metric
    const dim = [5, 16, 33, 64, 100][Math.floor(r() * 5)] as number
    const subvectors = Math.max(1, Math.floor(dim / [1, 2, 4, 8][Math.floor(r() * 4)]!))
    const scale = 10 ** (r() * 6 - 3)
    const offset = r() < 0.5 ? 0 : scale * 4 * (r() - 0.5)
    const n = 1024 + Math.floor(r() * 400)
    const vectors = data(r, n, dim, scale, offset)
    const label = `AILAKE_SEED=${SEED}, case ${c} (${metric}, dim ${dim}, ${subvectors} sub-vectors, scale ${scale}, offset ${offset}, ${n} rows)`
    const built = HnswIndex.build(vectors, { metric, dim, M: 8, efConstruction: 32, seed: c })
    const codes = built.codes({ kind: 'pq', subvectors })
    assert.ok(codes !== undefined, label)
    const restored = HnswIndex.fromCodes(built.serialize(), codes, { dim })
    const plainJs = HnswIndex.fromCodes(built.serialize(), codes, { dim, wasm: false })
    const block = decodePqBlock(codes, dim, n)
    for (let qi = 0; qi < 3; qi++) {
      const q = qi === 0 ? vectors.slice(0, dim) : Float32Array.from({ length: dim }, () => gauss(r) * scale + offset)
      const qs = metric === 'cosine' ? unit(q) : q
      const all = restored.searchCodes(q, 10, { ef: n })
      assert.equal(all.ids.length, n, `${label}: a beam of every row returns every row`)
      let lo = Infinity
      let hi = -Infinity
      let half = 0
      for (let i = 0; i < n; i++) {
        const id = all.ids[i] as number
        const exact = distance(metric, q, vectors.subarray(id * dim, (id + 1) * dim))
        const [a, b] = [all.lower[i] as number, all.upper[i] as number]
        assert.ok(a <= exact && exact <= b, `${label}, query ${qi}, row ${id}: exact ${exact} outside [${a}, ${b}] (code distance ${all.distances[i]})`)
        // Independent ADC: the distance to the row's reconstruction from the decoded codebook, in f64.
        const rec = reconstruct(block.book, block.codes, id)
        const ip = rec.reduce((s, x, j) => s + x * (qs[j] as number), 0)
        const want = metric === 'euclidean' ? rec.reduce((s, x, j) => s + (x - (qs[j] as number)) ** 2, 0) : metric === 'cosine' ? 1 - ip : -ip
        const tol = 1e-4 * (Math.abs(want) + (scale + Math.abs(offset)) ** 2 * dim + 1)
        assert.ok(Math.abs((all.distances[i] as number) - want) <= tol, `${label}, query ${qi}, row ${id}: code distance ${all.distances[i]}, ADC in f64 ${want}`)
        lo = Math.min(lo, exact)
        hi = Math.max(hi, exact)
        half = Math.max(half, (b - a) / 2)
      }
      width = Math.max(width, half / (hi - lo))
      rows += n
      const filter = qi === 2 ? bitsetFromIds(Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 === 0), n) : undefined
      const opts = { ef: 40, ...(filter === undefined ? {} : { filter }) }
      const a = restored.searchCodes(q, 10, opts)
      const js = plainJs.searchCodes(q, 10, opts)
      assert.deepEqual(Array.from(js.ids), Array.from(a.ids), `${label}, query ${qi}, plain JS`)
      assert.deepEqual(Array.from(js.distances), Array.from(a.distances), `${label}, query ${qi}, plain JS`)
      if (filter !== undefined) for (const id of a.ids) assert.equal(id % 3, 0, `${label}: only allowed rows`)
    }
  }
  assert.ok(rows > 40_000)
  assert.ok(width < 1, `intervals stay narrower than the spread of distances (widest half-width ${width} of it)`)
})

test('PQ training and encoding: sub-vector layout, deterministic codes, residual bounds that hold', () => {
  const r = rng(SEED + 1)
  assert.deepEqual(Array.from(pqStarts(10, 3)), [0, 4, 7, 10])
  assert.deepEqual(Array.from(pqStarts(8, 8)), [0, 1, 2, 3, 4, 5, 6, 7, 8])
  assert.throws(() => pqStarts(8, 9), (e) => e instanceof AilakeError && e.code === 'INVALID_ARGUMENT')
  for (let c = 0; c < 6; c++) {
    const dim = [3, 12, 40][c % 3] as number
    const n = 300 + Math.floor(r() * 700)
    const vectors = data(r, n, dim, 10 ** (r() * 4 - 2), 0)
    const m = 1 + Math.floor(r() * dim)
    const book = trainPq(vectors, dim, n, m, c)
    const again = trainPq(vectors, dim, n, m, c)
    assert.deepEqual(again.centroids, book.centroids, 'training is deterministic')
    const enc = encodePq(vectors, n, book)
    // WebAssembly and plain JS train and encode bit for bit alike.
    const js = trainPq(vectors, dim, n, m, c, false)
    assert.deepEqual(js.centroids, book.centroids, `case ${c}: codebook without WebAssembly`)
    assert.deepEqual(encodePq(vectors, n, js, false), enc, `case ${c}: codes without WebAssembly`)
    for (let i = 0; i < n; i++) {
      const rec = reconstruct(book, enc.codes, i)
      let d2 = 0
      for (let j = 0; j < dim; j++) d2 += ((vectors[i * dim + j] as number) - (rec[j] as number)) ** 2
      const bound = enc.residualMax * (enc.residuals[i] as number) / 255
      assert.ok(Math.sqrt(d2) <= bound, `case ${c}, row ${i}: residual ${Math.sqrt(d2)} above its bound ${bound}`)
      // Each code names the nearest centroid of its sub-vector.
      const j = Math.floor(r() * m)
      const s0 = book.starts[j] as number
      const w = (book.starts[j + 1] as number) - s0
      let best = Infinity
      for (let k = 0; k < book.k; k++) {
        let s = 0
        for (let t = 0; t < w; t++) s += ((vectors[i * dim + s0 + t] as number) - (book.centroids[book.k * s0 + k * w + t] as number)) ** 2
        best = Math.min(best, s)
      }
      let mine = 0
      let xx = 0
      for (let t = 0; t < w; t++) {
        mine += ((vectors[i * dim + s0 + t] as number) - (rec[s0 + t] as number)) ** 2
        xx += (vectors[i * dim + s0 + t] as number) ** 2
      }
      // The kernel scores in f32: a centroid within its rounding of the nearest may win.
      assert.ok(mine <= best + 1e-5 * (xx + best) + 1e-30, `case ${c}, row ${i}, sub-vector ${j}: code is not the nearest centroid (${mine} vs ${best})`)
    }
  }
})

test('damaged PQ blocks: CORRUPT_DATA (or UNSUPPORTED for a newer version), never a crash', () => {
  const r = rng(SEED + 2)
  for (const [dim, rows, m, half] of [[6, 9, 3, true], [5, 7, 5, false], [9, 11, 2, true]] as [number, number, number, boolean][]) {
    const vectors = Float32Array.from({ length: rows * dim }, () => half ? gauss(r) : gauss(r) * 1e6)
    const book = trainPq(vectors, dim, rows, m, 1)
    assert.equal(book.half, half)
    const good = encodePqBlock({ rows, book, ...encodePq(vectors, rows, book) })
    const back = decodePqBlock(good, dim, rows)
    assert.deepEqual(encodePqBlock(back), good)
    const bad = (bytes: Uint8Array, what: string, d = dim, n = rows): void => {
      assert.throws(() => decodePqBlock(bytes, d, n), (err) => err instanceof AilakeError && (err.code === 'CORRUPT_DATA' || err.code === 'UNSUPPORTED'), what)
    }
    for (let len = 0; len < good.length; len++) bad(good.subarray(0, len), `truncated to ${len}`)
    bad(new Uint8Array([...good, 0, 0, 0, 0]), 'extended')
    bad(good, 'another dim', dim + 1)
    bad(good, 'another row count', dim, rows + 1)
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
    bad(edit(16, (v) => v.setUint16(0, 0, true)), 'no sub-vectors')
    bad(edit(16, (v) => v.setUint16(0, dim + 1, true)), 'more sub-vectors than dimensions')
    bad(edit(18, (v) => v.setUint16(0, 257, true)), 'more than 256 centroids')
    bad(edit(20, (v) => v.setFloat32(0, NaN, true)), 'NaN residual maximum')
    bad(edit(20, (v) => v.setFloat32(0, -1, true)), 'negative residual maximum')
    bad(edit(24, (v) => half ? v.setUint16(0, 0x7c00, true) : v.setFloat32(0, Infinity, true)), 'infinite centroid')
    // Every single-bit flip decodes or fails cleanly.
    for (let i = 0; i < good.length * 8; i++) {
      const b = good.slice()
      b[i >> 3] = (b[i >> 3] as number) ^ (1 << (i & 7))
      try {
        decodePqBlock(b, dim, rows)
      } catch (err) {
        assert.ok(err instanceof AilakeError && (err.code === 'CORRUPT_DATA' || err.code === 'UNSUPPORTED'), `flip ${i}: ${String(err)}`)
      }
    }
  }
})

test('PQ indexes restored into reused arenas full of stale bytes search as a plain-JS restore does', () => {
  const r = rng(SEED + 3)
  const fills: Array<(b: Uint8Array) => void> = [
    (b) => { for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256) },
    (b) => b.fill(0xff),
    (b) => b.fill(0x80),
  ]
  for (let c = 0; c < 6; c++) {
    const metric = METRICS[c % 3] as Metric
    const dim = [12, 33][c % 2] as number
    const n = 1024 + Math.floor(r() * 1000)
    const vectors = data(r, n, dim, 1, c % 2)
    const built = HnswIndex.build(vectors, { metric, dim, M: 6, efConstruction: 24, seed: c })
    const codes = built.codes({ kind: 'pq', subvectors: Math.ceil(dim / 3) }) as Uint8Array
    const bytes = built.serialize()
    const stale = createArena(r() < 0.5 ? 1024 : n * (dim + 40))
    ;(fills[c % fills.length] as (b: Uint8Array) => void)(stale.bytes)
    poolArena(stale)
    const pooled = pooledArenas()
    const restored = HnswIndex.fromCodes(bytes, codes, { dim })
    if (simdAvailable()) assert.equal(pooledArenas(), pooled - 1, `case ${c}: the restore took the stale arena`)
    const plain = HnswIndex.fromCodes(bytes, codes, { dim, wasm: false })
    for (const ef of [10, 50, n]) {
      const q = Float32Array.from({ length: dim }, () => gauss(r) + (c % 2))
      const a = restored.searchCodes(q, 10, { ef })
      const b = plain.searchCodes(q, 10, { ef })
      assert.deepEqual([Array.from(a.ids), Array.from(a.distances), Array.from(a.upper)], [Array.from(b.ids), Array.from(b.distances), Array.from(b.upper)], `AILAKE_SEED=${SEED}, case ${c} (${metric}, dim ${dim}), ef ${ef}`)
    }
  }
})
