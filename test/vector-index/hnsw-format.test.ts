import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HnswIndex } from '../../src/vector-index/hnsw.js'
import { decodeGraph, encodeGraph, encodeGraphV1, neighbourListBytes } from '../../src/vector-index/hnsw-codec.js'
import { isAilakeError } from '../../src/errors.js'
import { crc32c } from '../../src/util/crc32c.js'
import { distance } from '../../src/vector/distance.js'
import type { Metric } from '../../src/vector/types.js'
import { clustered, rng, rows } from './clustered.js'

const DIM = 16
const DATA = clustered(2000, DIM, 5)
const QUERIES = rows(clustered(30, DIM, 6), DIM)

function resign(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice()
  new DataView(b.buffer).setUint32(b.length - 4, crc32c(b.subarray(0, b.length - 4)), true)
  return b
}

function expectAilake(fn: () => unknown, label: string): void {
  try {
    fn()
  } catch (e) {
    if (!isAilakeError(e)) throw new Error(`${label}: threw a non-AilakeError: ${String(e)}`, { cause: e })
    return
  }
  throw new Error(`${label}: did not throw`)
}

test('serialise/deserialise round trip gives identical search results, for every metric', () => {
  for (const metric of ['cosine', 'euclidean', 'dot'] as Metric[]) {
    const idx = HnswIndex.build(DATA, { metric, dim: DIM, M: 8, efConstruction: 64 })
    const bytes = idx.serialize()
    // The caller passes the raw vectors (as the file column holds them); cosine normalises inside.
    const back = HnswIndex.deserialize(bytes, DATA, { dim: DIM })
    assert.equal(back.size, idx.size)
    assert.equal(back.metric, metric)
    assert.equal(back.M, 8)
    assert.equal(back.efConstruction, 64)
    assert.deepEqual(back.serialize(), bytes)
    for (const q of QUERIES) {
      assert.deepEqual(back.search(q, 10, { ef: 40 }), idx.search(q, 10, { ef: 40 }))
    }
    const jsBack = HnswIndex.deserialize(bytes, DATA, { wasm: false })
    assert.deepEqual(jsBack.search(QUERIES[0] as Float32Array, 10), idx.search(QUERIES[0] as Float32Array, 10))
    // A restored index keeps growing.
    assert.equal(back.add(new Float32Array(DIM).fill(0.5)), DATA.length / DIM)
  }
})

test('empty and one-node indexes round-trip', () => {
  const empty = HnswIndex.build([], { metric: 'cosine', dim: 4 })
  const e2 = HnswIndex.deserialize(empty.serialize(), new Float32Array(0))
  assert.equal(e2.size, 0)
  assert.equal(e2.dim, 4)
  const one = HnswIndex.build([new Float32Array([1, 2, 3])], { metric: 'euclidean' })
  const o2 = HnswIndex.deserialize(one.serialize(), new Float32Array([1, 2, 3]))
  assert.deepEqual(Array.from(o2.search(new Float32Array(3), 1).ids), [0])
})

test('the format is graph-only and compact: at most a quarter of the fixed-stride neighbour-list bytes', () => {
  const idx = HnswIndex.build(DATA, { metric: 'euclidean', dim: DIM })
  const bytes = idx.serialize()
  const v = new DataView(bytes.buffer, bytes.byteOffset)
  assert.equal(v.getUint32(0, true), 0x534e4841, 'magic "AHNS"')
  assert.equal(v.getUint16(4, true), 2, 'version')
  assert.equal(bytes[6], 1, 'metric euclidean')
  assert.equal(v.getUint32(8, true), DIM)
  assert.equal(v.getUint32(12, true), 2000)
  assert.equal(v.getUint32(16, true), 16)
  assert.equal(v.getUint32(20, true), 200)
  assert.equal(v.getUint32(36, true), bytes.length - 44 - 2000, 'list stream length')
  const lists = neighbourListBytes(2000, 16, v.getUint32(32, true))
  assert.ok(bytes.length <= 0.25 * lists, `${bytes.length} vs ${lists}`)
  // Version 1, still read, is the fixed-stride lists plus its header.
  const v1 = encodeGraphV1(decodeGraph(bytes))
  assert.equal(new DataView(v1.buffer).getUint16(4, true), 1)
  assert.ok(v1.length <= 1.2 * lists, `${v1.length} vs ${lists}`)
})

test('deserialize rejects vectors that do not fit the graph', () => {
  const idx = HnswIndex.build(DATA.subarray(0, 100 * DIM), { metric: 'euclidean', dim: DIM })
  const bytes = idx.serialize()
  assert.throws(() => HnswIndex.deserialize(bytes, DATA.subarray(0, 99 * DIM)), (e: unknown) => isAilakeError(e, 'DIMENSION_MISMATCH'))
  assert.throws(() => HnswIndex.deserialize(bytes, DATA.subarray(0, 100 * DIM), { dim: 8 }), (e: unknown) => isAilakeError(e, 'DIMENSION_MISMATCH'))
  const bad = DATA.slice(0, 100 * DIM)
  bad[5] = NaN
  assert.throws(() => HnswIndex.deserialize(bytes, bad), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => HnswIndex.deserialize('x' as unknown as Uint8Array, bad), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
})

const SMALL_N = 60
const SMALL = DATA.subarray(0, SMALL_N * DIM)
const SMALL_BYTES = HnswIndex.build(SMALL, { metric: 'cosine', dim: DIM, M: 4, efConstruction: 16, seed: 1 }).serialize()
/** The same graph in format version 1 (what files before section version 5 hold). */
const SMALL_V1 = encodeGraphV1(decodeGraph(SMALL_BYTES))
const VERSIONS = [['v2', SMALL_BYTES], ['v1', SMALL_V1]] as const

test('every truncation of a small index fails with CORRUPT_DATA', () => {
  for (const [version, bytes] of VERSIONS) {
    for (let len = 0; len < bytes.length; len++) {
      assert.throws(() => HnswIndex.deserialize(bytes.subarray(0, len), SMALL), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'), `${version} length ${len}`)
    }
    const longer = new Uint8Array(bytes.length + 4)
    longer.set(bytes)
    assert.throws(() => HnswIndex.deserialize(longer, SMALL), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'))
  }
})

test('random byte flips always fail with an AilakeError (checksum)', () => {
  const r = rng(2024)
  for (let i = 0; i < 3000; i++) {
    const b = (i % 2 === 0 ? SMALL_BYTES : SMALL_V1).slice()
    const flips = 1 + Math.floor(r() * 3)
    for (let f = 0; f < flips; f++) {
      const at = Math.floor(r() * b.length)
      b[at] = (b[at] as number) ^ (1 + Math.floor(r() * 255))
    }
    expectAilake(() => HnswIndex.deserialize(b, SMALL), `flip case ${i}`)
  }
})

test('flips with a recomputed checksum either fail cleanly or give a working index', () => {
  const r = rng(77)
  let rejected = 0
  for (let i = 0; i < 3000; i++) {
    const b = (i % 2 === 0 ? SMALL_BYTES : SMALL_V1).slice()
    const at = Math.floor(r() * (b.length - 4))
    b[at] = r() < 0.5 ? (b[at] as number) ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256)
    const signed = resign(b)
    let idx: HnswIndex
    try {
      idx = HnswIndex.deserialize(signed, SMALL)
    } catch (e) {
      if (!isAilakeError(e)) throw new Error(`case ${i}: non-AilakeError ${String(e)}`, { cause: e })
      rejected++
      continue
    }
    // Accepted graphs are structurally valid, though a changed neighbour may cost recall: a
    // search returns k distinct allowed rows, best first, each with its own exact distance.
    for (const q of QUERIES.slice(0, 3)) {
      const res = idx.search(q, 5, { filter: (id) => id % 2 === 0 })
      assert.equal(res.ids.length, 5, `case ${i}`)
      assert.equal(new Set(res.ids).size, 5, `case ${i}`)
      res.ids.forEach((id, j) => {
        assert.ok(id >= 0 && id < SMALL_N && id % 2 === 0, `case ${i}: id ${id}`)
        // The metric byte may have been changed too; cosine scores normalised copies (rounding only).
        const d = distance(idx.metric, q, SMALL.subarray(id * DIM, (id + 1) * DIM))
        assert.ok(Math.abs((res.distances[j] as number) - d) <= 1e-5 * Math.max(1, Math.abs(d)), `case ${i}: distance of ${id}: ${res.distances[j]} vs ${d}`)
        if (j > 0) assert.ok((res.distances[j] as number) >= (res.distances[j - 1] as number), `case ${i}: order`)
      })
    }
  }
  assert.ok(rejected > 500, `only ${rejected} of 3000 structural corruptions rejected`)
})

test('hostile header fields with a valid checksum fail fast with CORRUPT_DATA or UNSUPPORTED', () => {
  const cases: Array<[number, number, 'u32' | 'u16' | 'u8' | 'i32']> = [
    [4, 3, 'u16'], [4, 0xffff, 'u16'], // version
    [6, 3, 'u8'], [7, 1, 'u8'], // metric, reserved
    [8, 0, 'u32'], [8, 0xffffffff, 'u32'], // dim
    [12, 0xffffffff, 'u32'], [12, SMALL_N + 1, 'u32'], [12, 0, 'u32'], // count
    [16, 0, 'u32'], [16, 1, 'u32'], [16, 0xffffffff, 'u32'], // M
    [20, 0, 'u32'], // efConstruction
    [24, 32, 'u32'], [24, 0xffffffff, 'u32'], // maxLevel
    [28, -1, 'i32'], [28, SMALL_N, 'i32'], [28, 0x7fffffff, 'i32'], // entry
    [32, 0xffffffff, 'u32'], [32, 0x40000000, 'u32'], // upper lists
    [0, 0, 'u32'], // magic
    [36, 0, 'u32'], [36, 0xffffffff, 'u32'], [36, 1, 'u32'], // v2 list stream length
  ]
  // Version 1 graphs of 60 nodes have no field at 36: it is node levels, and the case is skipped.
  for (const [version, bytes] of VERSIONS) for (const [at, value, type] of cases) {
    if (version === 'v1' && at === 36) continue
    const b = bytes.slice()
    const v = new DataView(b.buffer)
    if (type === 'u32') v.setUint32(at, value, true)
    else if (type === 'i32') v.setInt32(at, value, true)
    else if (type === 'u16') v.setUint16(at, value, true)
    else v.setUint8(at, value)
    const t = performance.now()
    assert.throws(() => HnswIndex.deserialize(resign(b), SMALL),
      (e: unknown) => isAilakeError(e) && (e.code === 'CORRUPT_DATA' || e.code === 'UNSUPPORTED' || e.code === 'DIMENSION_MISMATCH'),
      `${version}: field at ${at} = ${value}`)
    // Hostile counts must not drive a long loop or a huge allocation; the margin suits a loaded machine.
    assert.ok(performance.now() - t < 5_000, `field at ${at} = ${value}: fails fast, took ${(performance.now() - t).toFixed(0)} ms`)
  }
})

test('version 1 neighbour lists pointing out of range, at themselves or at nodes missing the level are rejected', () => {
  const SMALL_BYTES = SMALL_V1
  const v = new DataView(SMALL_BYTES.buffer, SMALL_BYTES.byteOffset)
  const listsAt = 36 + ((SMALL_N + 3) & ~3)
  const stride0 = (2 * 4 + 1) * 4
  for (const bad of [-1, SMALL_N, 0x7fffffff]) {
    const b = SMALL_BYTES.slice()
    new DataView(b.buffer).setInt32(listsAt + 4, bad, true) // node 0, first neighbour
    assert.throws(() => HnswIndex.deserialize(resign(b), SMALL), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'))
  }
  const b = SMALL_BYTES.slice()
  new DataView(b.buffer).setInt32(listsAt + stride0, 100, true) // node 1 claims 100 neighbours
  assert.throws(() => HnswIndex.deserialize(resign(b), SMALL), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'))
  const self = SMALL_BYTES.slice()
  if (v.getInt32(listsAt, true) > 0) {
    new DataView(self.buffer).setInt32(listsAt + 4, 0, true) // node 0 -> node 0
    assert.throws(() => HnswIndex.deserialize(resign(self), SMALL), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'))
  }
})

test('the worked example of docs/format.md: the 3-node graph has the stream 02 0f 18 00, worked out by hand', () => {
  const M = 2
  const links0 = new Int32Array(3 * (2 * M + 1))
  links0.set([2, 2, 1], 0) // node 0: {1, 2}, in the order a build may leave them
  links0.set([2, 0, 2], 5) // node 1: {0, 2}
  links0.set([1, 0], 10) // node 2: {0}
  const g = { metric: 'euclidean' as const, dim: 1, count: 3, M, efConstruction: 1, maxLevel: 0, entry: 0, levels: new Uint8Array(3), links0, upperOff: new Int32Array(3).fill(-1), upper: new Int32Array(0), upperLen: 0 }
  const bytes = encodeGraph(g)
  const v = new DataView(bytes.buffer, bytes.byteOffset)
  assert.equal(bytes.length, 44 + 3 + 4)
  assert.deepEqual([v.getUint16(4, true), v.getUint32(12, true), v.getUint32(16, true), v.getUint32(32, true), v.getUint32(36, true)], [2, 3, 2, 0, 4])
  assert.deepEqual(Array.from(bytes.subarray(40, 43)), [0, 0, 0], 'levels')
  assert.deepEqual(Array.from(bytes.subarray(43, 47)), [0x02, 0x0f, 0x18, 0x00], 'list stream')
  assert.equal(v.getUint32(47, true), crc32c(bytes.subarray(0, 47)))
  const back = decodeGraph(bytes)
  assert.deepEqual(Array.from(back.links0), [2, 1, 2, 0, 0, 2, 0, 2, 0, 0, 1, 0, 0, 0, 0])
})
