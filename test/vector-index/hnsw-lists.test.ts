// The compact HNSW graph (format version 2, docs/format.md "Compact HNSW graph"):
// - round trip: random graphs (n from 0 to 70,000, M from 2 to 255, random levels, empty lists,
//   full lists, the largest ids, two-way and one-way edges) decode to exactly the graph encoded,
//   lists in increasing id order, and the same graph written as version 1 decodes to it too;
// - damage: bit flips and byte rewrites with the CRC recomputed either fail with CORRUPT_DATA
//   (UNSUPPORTED for a version change) or decode to a structurally valid graph, checked by
//   an independent checker; every truncation and extension of the list stream is CORRUPT_DATA;
// - search: indexes restored from the bytes (with vectors, and from codes) search exactly as
//   the serialised index (same ids and distances), on data with many tied distances, and a
//   beam covering the index returns the brute-force top k;
// - packed: a graph decoded for search (level 0 straight into the beam's packed form) gives
//   the bytes a hand-written packer makes of the lists decodeGraph returns, from version 2 and
//   from version 1 bytes with lists in any order, ids past 0xffff (escapes) included; damaged
//   bytes fail there exactly when decodeGraph fails.
//
// AILAKE_SEED=<n> reproduces a run, AILAKE_GRAPH_CASES=<n> runs more round-trip cases;
// failures print the seed and case.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AilakeError } from '../../src/errors.js'
import { crc32c } from '../../src/util/crc32c.js'
import { seededRandom } from '../../src/util/rng.js'
import { distance } from '../../src/vector/distance.js'
import type { Metric } from '../../src/vector/types.js'
import { decodeGraph, decodeGraphPacked, encodeGraph, encodeGraphV1 } from '../../src/vector-index/hnsw-codec.js'
import type { HnswGraph } from '../../src/vector-index/hnsw-graph.js'
import { packLists, unpackLists, type PackedLists } from '../../src/vector-index/hnsw-packed.js'
import { HnswIndex } from '../../src/vector-index/hnsw.js'

const SEED = Number(process.env.AILAKE_SEED ?? 1515)
const CASES = Number(process.env.AILAKE_GRAPH_CASES ?? 200)
const METRICS: readonly Metric[] = ['cosine', 'euclidean', 'dot']

/** A random graph as the codec sees it: lists are sets of distinct other nodes of at least the list's level. */
function randomGraph(r: () => number): HnswGraph {
  const shape = r()
  const count = shape < 0.05 ? 0 : shape < 0.12 ? 1 : shape < 0.2 ? 2 + Math.floor(r() * 5) : shape < 0.98 ? 2 + Math.floor(r() * 1500) : 65_000 + Math.floor(r() * 5000)
  const large = count > 10_000
  const M = large ? 2 + Math.floor(r() * 12) : r() < 0.1 ? 255 : r() < 0.2 ? 2 : 2 + Math.floor(r() * 40)
  const maxLevelCap = Math.floor(r() * 6)
  const levels = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    let l = 0
    while (l < maxLevelCap && r() < 1 / Math.max(2, M / 2)) l++
    levels[i] = l
  }
  let maxLevel = 0
  for (const l of levels) maxLevel = Math.max(maxLevel, l)
  const entry = count === 0 ? -1 : levels.indexOf(maxLevel)
  const upperOff = new Int32Array(count).fill(-1)
  let upperLists = 0
  for (let i = 0; i < count; i++) {
    if ((levels[i] as number) > 0) upperOff[i] = upperLists * (M + 1)
    upperLists += levels[i] as number
  }
  const links0 = new Int32Array(count * (2 * M + 1))
  const upper = new Int32Array(upperLists * (M + 1))
  // How full lists are, how often an edge gets its reverse, how often ids come from the top end.
  const fill = r()
  const twoWay = r()
  const highIds = r() < 0.3
  for (let l = 0; l <= maxLevel; l++) {
    const nodes: number[] = []
    for (let i = 0; i < count; i++) if ((levels[i] as number) >= l) nodes.push(i)
    const arr = l === 0 ? links0 : upper
    const max = l === 0 ? 2 * M : M
    const base = (id: number): number => (l === 0 ? id * (2 * M + 1) : (upperOff[id] as number) + (l - 1) * (M + 1))
    const has = (id: number, x: number): boolean => {
      const b = base(id)
      for (let t = 1; t <= (arr[b] as number); t++) if (arr[b + t] === x) return true
      return false
    }
    const push = (id: number, x: number): void => {
      const b = base(id)
      if (id === x || (arr[b] as number) >= max || has(id, x)) return
      arr[b + 1 + (arr[b] as number)] = x
      arr[b] = (arr[b] as number) + 1
    }
    for (const id of nodes) {
      if (nodes.length < 2) break
      const want = Math.min(80, Math.floor(r() * r() * (max + 1) * fill * (large ? 0.3 : 1.5)))
      for (let t = 0; t < want; t++) {
        const x = highIds && r() < 0.5 ? (nodes[nodes.length - 1 - Math.floor(r() * Math.min(3, nodes.length))] as number) : (nodes[Math.floor(r() * nodes.length)] as number)
        push(id, x)
        if (r() < twoWay) push(x, id)
      }
    }
  }
  const metric = METRICS[Math.floor(r() * 3)] as Metric
  return { metric, dim: count === 0 ? Math.floor(r() * 3) : 1 + Math.floor(r() * 2000), count, M, efConstruction: 1 + Math.floor(r() * 500), maxLevel, entry, levels, links0, upperOff, upper, upperLen: upper.length }
}

/** Node `id`'s list at `level` as stored, and sorted. */
function list(g: HnswGraph, id: number, level: number): { raw: number[]; sorted: number[] } {
  const arr = level === 0 ? g.links0 : g.upper
  const base = level === 0 ? id * (2 * g.M + 1) : (g.upperOff[id] as number) + (level - 1) * (g.M + 1)
  const raw = Array.from(arr.subarray(base + 1, base + 1 + (arr[base] as number)))
  return { raw, sorted: [...raw].sort((a, b) => a - b) }
}

/**
 * The packed level-0 lists of `g` as docs/format.md's beam layout says, written independently
 * of hnsw-packed.ts: per list a u16 count, then per id a u16 difference from the id before
 * (from 0), or 0xffff and the id as an i32 when the difference is negative or >= 0xffff.
 */
function referencePack(g: HnswGraph): { offsets: number[]; bytes: number[]; escapes: number } {
  const offsets: number[] = []
  const bytes: number[] = []
  let escapes = 0
  const u16 = (v: number): void => { bytes.push(v % 256, Math.floor(v / 256)) }
  for (let id = 0; id < g.count; id++) {
    offsets.push(bytes.length)
    const ids = list(g, id, 0).raw
    u16(ids.length)
    let prev = 0
    for (const x of ids) {
      if (x - prev >= 0 && x - prev < 0xffff) u16(x - prev)
      else {
        escapes++
        u16(0xffff)
        for (let s = 0; s < 4; s++) bytes.push(Math.floor(x / 256 ** s) % 256)
      }
      prev = x
    }
  }
  return { offsets, bytes, escapes }
}

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

function assertPacked(p: PackedLists, want: ReturnType<typeof referencePack>, label: string): void {
  // Compared whole first (fast), element by element only to report a difference.
  if (!sameBytes(p.offsets, Int32Array.from(want.offsets))) assert.deepEqual(Array.from(p.offsets), want.offsets, `${label}: packed offsets`)
  assert.equal(p.length, want.bytes.length, `${label}: packed length`)
  if (!sameBytes(p.bytes.subarray(0, p.length), Uint8Array.from(want.bytes))) assert.deepEqual(Array.from(p.bytes.subarray(0, p.length)), want.bytes, `${label}: packed bytes`)
}

/** `g` with every list in a random order (what a version 1 file may hold). */
function shuffled(g: HnswGraph, r: () => number): HnswGraph {
  const out = { ...g, links0: g.links0.slice(), upper: g.upper.slice() }
  for (let id = 0; id < g.count; id++) {
    for (let l = 0; l <= (g.levels[id] as number); l++) {
      const arr = l === 0 ? out.links0 : out.upper
      const base = l === 0 ? id * (2 * g.M + 1) : (g.upperOff[id] as number) + (l - 1) * (g.M + 1)
      const n = arr[base] as number
      for (let t = n; t > 1; t--) {
        const j = 1 + Math.floor(r() * t)
        const x = arr[base + t] as number
        arr[base + t] = arr[base + j] as number
        arr[base + j] = x
      }
    }
  }
  return out
}

/** Asserts that `b` is graph `a`, its lists in increasing order (`sorted`) or in `a`'s order. */
function assertSameGraph(a: HnswGraph, b: HnswGraph, label: string, order: 'sorted' | 'raw' = 'sorted'): void {
  assert.deepEqual([b.metric, b.dim, b.count, b.M, b.efConstruction, b.maxLevel, b.entry], [a.metric, a.dim, a.count, a.M, a.efConstruction, a.maxLevel, a.entry], label)
  assert.deepEqual(Array.from(b.levels.subarray(0, b.count)), Array.from(a.levels.subarray(0, a.count)), `${label}: levels`)
  for (let id = 0; id < a.count; id++) {
    for (let l = 0; l <= (a.levels[id] as number); l++) {
      const got = list(b, id, l)
      assert.deepEqual(got.raw, list(a, id, l)[order], `${label}: node ${id} level ${l}`)
    }
  }
}

/** An independent check that a decoded graph is one a traversal can walk without leaving its arrays. */
function assertValidGraph(g: HnswGraph, label: string): void {
  assert.ok(g.count === 0 ? g.entry === -1 : g.entry >= 0 && g.entry < g.count && g.levels[g.entry] === g.maxLevel, `${label}: entry`)
  assert.equal(g.links0.length, g.count * (2 * g.M + 1), `${label}: level-0 arena`)
  for (let id = 0; id < g.count; id++) {
    const lv = g.levels[id] as number
    assert.ok(lv <= g.maxLevel, `${label}: level of ${id}`)
    if (lv > 0) assert.ok((g.upperOff[id] as number) >= 0 && (g.upperOff[id] as number) + lv * (g.M + 1) <= g.upper.length, `${label}: upper lists of ${id}`)
    for (let l = 0; l <= lv; l++) {
      const { raw } = list(g, id, l)
      assert.ok(raw.length <= (l === 0 ? 2 * g.M : g.M), `${label}: ${id} has ${raw.length} neighbours at ${l}`)
      for (let t = 0; t < raw.length; t++) {
        const x = raw[t] as number
        assert.ok(x >= 0 && x < g.count && x !== id && (g.levels[x] as number) >= l, `${label}: ${id} lists ${x} at ${l}`)
        if (t > 0) assert.ok(x > (raw[t - 1] as number), `${label}: ${id}'s list at ${l} is not increasing`)
      }
    }
  }
}

function resign(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 4, crc32c(bytes.subarray(0, bytes.length - 4)), true)
  return bytes
}

const isCorrupt = (e: unknown): boolean => e instanceof AilakeError && (e.code === 'CORRUPT_DATA' || e.code === 'UNSUPPORTED')

test(`random graphs round-trip exactly through version 2, and through version 1 (${CASES} graphs)`, (t) => {
  const r = seededRandom(SEED)
  let bytes2 = 0
  let bytes1 = 0
  for (let c = 0; c < CASES; c++) {
    const label = `AILAKE_SEED=${SEED} case ${c}`
    const g = randomGraph(r)
    const v2 = encodeGraph(g)
    const back = decodeGraph(v2)
    assertSameGraph(g, back, label)
    assert.deepEqual(encodeGraph(back), v2, `${label}: re-encoding gives the same bytes`)
    const v1 = encodeGraphV1(g)
    assertSameGraph(g, decodeGraph(v1), `${label} (version 1)`, 'raw')
    bytes2 += v2.length
    bytes1 += v1.length
  }
  t.diagnostic(`version 2 is ${(100 * bytes2 / bytes1).toFixed(1)}% of version 1 over these graphs`)
})

test(`graphs decoded for search pack level 0 as the format says, from version 2 and shuffled version 1 bytes (${CASES / 2} graphs)`, (t) => {
  const r = seededRandom(SEED + 4)
  let escapes = 0
  let large = 0
  for (let c = 0; c < CASES / 2; c++) {
    const label = `AILAKE_SEED=${SEED} case ${c}`
    let g = randomGraph(r)
    // Every 25th graph has ids past 0xffff, so first ids and gaps take the escape.
    while (c % 25 === 0 && g.count <= 0xffff) g = randomGraph(r)
    if (g.count > 0xffff) large++
    const v2 = encodeGraph(g)
    const plain = decodeGraph(v2)
    const want = referencePack(plain)
    escapes += want.escapes
    const stride0 = 2 * g.M + 1
    for (const [bytes, what] of [[v2, ''], [encodeGraphV1(shuffled(g, r)), ' (version 1, lists shuffled)']] as const) {
      // Version 1 lists may be in any order: the search-only decode sorts every level.
      const { graph, level0 } = decodeGraphPacked(bytes)
      assertPacked(level0, want, label + what)
      assert.equal(graph.links0.length, 0, `${label}${what}: no fixed-stride level 0`)
      assert.deepEqual([graph.count, graph.M, graph.maxLevel, graph.entry, graph.upperLen], [plain.count, plain.M, plain.maxLevel, plain.entry, plain.upperLen], label + what)
      assert.ok(sameBytes(graph.levels, plain.levels) && sameBytes(graph.upperOff, plain.upperOff) && sameBytes(graph.upper, plain.upper), `${label}${what}: upper levels`)
      assert.ok(sameBytes(unpackLists(level0, stride0), plain.links0), `${label}${what}: unpacked level 0`)
    }
    assertPacked(packLists(plain.links0, stride0, g.count), want, `${label}: packLists`)
  }
  t.diagnostic(`${large} graphs over 0xffff nodes, ${escapes} escaped ids`)
  assert.ok(large >= CASES / 50 && escapes > 0, 'the escape is exercised')
})

test('damaged version 2 graphs with the CRC recomputed: CORRUPT_DATA or a valid graph; truncated or extended list streams: CORRUPT_DATA', (t) => {
  const r = seededRandom(SEED + 1)
  const tally = { rejected: 0, valid: 0 }
  for (let c = 0; c < 12; c++) {
    let g = randomGraph(r)
    while (g.count < 2 || g.count > 3000) g = randomGraph(r)
    const good = encodeGraph(g)
    const view = new DataView(good.buffer, good.byteOffset)
    const stream = view.getUint32(36, true)
    for (let i = 0; i < 250; i++) {
      const label = `AILAKE_SEED=${SEED} graph ${c} damage ${i}`
      const bad = good.slice()
      // Mostly in the list stream, else anywhere before the CRC.
      const lo = i % 4 === 0 ? 0 : good.length - 4 - stream
      const at = lo + Math.floor(r() * (good.length - 4 - lo))
      bad[at] = i % 3 === 0 ? Math.floor(r() * 256) : (bad[at] as number) ^ (1 << Math.floor(r() * 8))
      let back: HnswGraph
      try {
        back = decodeGraph(resign(bad))
      } catch (e) {
        assert.ok(isCorrupt(e), `${label}: ${String(e)}`)
        // The search-only decode rejects the same bytes with the same error.
        assert.throws(() => decodeGraphPacked(bad), (e2: unknown) => e2 instanceof AilakeError && e2.code === (e as AilakeError).code && e2.message === (e as AilakeError).message, label)
        tally.rejected++
        continue
      }
      assertValidGraph(back, label)
      assertPacked(decodeGraphPacked(bad).level0, referencePack(back), label)
      tally.valid++
    }
    for (let cut = 1; cut <= Math.min(stream, 40); cut++) {
      const bad = new Uint8Array(good.length - cut)
      bad.set(good.subarray(0, good.length - 4 - cut))
      new DataView(bad.buffer).setUint32(36, stream - cut, true)
      assert.throws(() => decodeGraph(resign(bad)), (e: unknown) => e instanceof AilakeError && e.code === 'CORRUPT_DATA', `graph ${c}: stream ${cut} bytes short`)
      assert.throws(() => decodeGraphPacked(bad), (e: unknown) => e instanceof AilakeError && e.code === 'CORRUPT_DATA', `graph ${c}: stream ${cut} bytes short (packed)`)
    }
    for (const extra of [1, 2, 7]) {
      const bad = new Uint8Array(good.length + extra)
      bad.set(good.subarray(0, good.length - 4))
      new DataView(bad.buffer).setUint32(36, stream + extra, true)
      assert.throws(() => decodeGraph(resign(bad)), (e: unknown) => e instanceof AilakeError && e.code === 'CORRUPT_DATA', `graph ${c}: stream ${extra} bytes long`)
      assert.throws(() => decodeGraphPacked(bad), (e: unknown) => e instanceof AilakeError && e.code === 'CORRUPT_DATA', `graph ${c}: stream ${extra} bytes long (packed)`)
    }
  }
  t.diagnostic(`3,000 damaged graphs: ${tally.rejected} CORRUPT_DATA, ${tally.valid} decoded to a valid graph`)
  assert.ok(tally.rejected > 2000, `only ${tally.rejected} rejected`)
})

test('hostile counts in a version 2 header with the CRC recomputed fail fast, before allocating', () => {
  const r = seededRandom(SEED + 2)
  let g = randomGraph(r)
  while (g.count < 100 || g.count > 3000) g = randomGraph(r)
  const good = encodeGraph(g)
  const cases: Array<[number, number]> = [[12, 0xffffffff], [12, 0x7fffffff], [12, g.count + 1], [12, g.count - 1], [16, 255], [32, 0xffffffff], [36, 0xffffffff], [36, 0], [24, 31]]
  for (const [at, value] of cases) {
    const bad = good.slice()
    new DataView(bad.buffer).setUint32(at, value, true)
    assert.throws(() => decodeGraph(resign(bad)), isCorrupt, `field at ${at} = ${value}`)
  }
  // A graph of many nodes with no bytes for their lists: the stream must hold each list's count.
  const header = good.slice(0, 40)
  const v = new DataView(header.buffer)
  const count = 5000
  v.setUint32(12, count, true)
  v.setUint32(24, 0, true)
  v.setInt32(28, 0, true)
  v.setUint32(32, 0, true)
  v.setUint32(36, 1, true)
  const bad = new Uint8Array(40 + count + 1 + 4)
  bad.set(header)
  assert.throws(() => decodeGraph(resign(bad)), (e: unknown) => e instanceof AilakeError && e.code === 'CORRUPT_DATA' && /list stream/.test(e.message))
  // The caller's check of the count sees the header before any list is decoded or allocated:
  // with a damaged stream, the check's error comes first.
  const damaged = good.slice()
  damaged[good.length - 5] = (damaged[good.length - 5] as number) ^ 0xff
  resign(damaged)
  assert.throws(() => decodeGraph(damaged), isCorrupt)
  const seen: number[] = []
  assert.throws(() => decodeGraph(damaged, (head) => { seen.push(head.count); throw new Error('count not backed') }), /count not backed/)
  assert.deepEqual(seen, [g.count])
})

/** Vectors on a coarse grid (many exact ties), or clustered reals. */
function vectorsFor(r: () => number, n: number, dim: number, grid: boolean): Float32Array {
  const out = new Float32Array(n * dim)
  const centres = Array.from({ length: 8 }, () => Float32Array.from({ length: dim }, () => (r() - 0.5) * 4))
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * centres.length)] as Float32Array
    for (let j = 0; j < dim; j++) out[i * dim + j] = grid ? Math.round(r() * 4) - 2 : (c[j] as number) + (r() - 0.5)
  }
  return out
}

test('restored indexes search exactly as the serialised one, with vectors and from codes, ties included', () => {
  const r = seededRandom(SEED + 3)
  for (let c = 0; c < 36; c++) {
    const metric = METRICS[c % 3] as Metric
    const n = c % 7 === 0 ? 1 + Math.floor(r() * 3) : c % 2 === 0 ? 1024 + Math.floor(r() * 500) : 50 + Math.floor(r() * 900)
    const dim = 2 + Math.floor(r() * 10)
    const grid = c % 4 < 2
    const vectors = vectorsFor(r, n, dim, grid)
    const label = `AILAKE_SEED=${SEED} case ${c} (${metric}, ${n} rows, dim ${dim}${grid ? ', grid' : ''})`
    const built = HnswIndex.build(vectors, { metric, dim, M: 2 + Math.floor(r() * 14), efConstruction: 16 + Math.floor(r() * 48) })
    const bytes = built.serialize()
    const restored = HnswIndex.deserialize(bytes, vectors, { dim })
    const fromV1 = HnswIndex.deserialize(encodeGraphV1(decodeGraph(bytes)), vectors, { dim })
    const codes = built.codes()
    const fromCodes = codes === undefined ? undefined : HnswIndex.fromCodes(bytes, codes, { dim })
    // Version 1 bytes whose lists are in any order, restored from codes, in WebAssembly and in JS.
    const v1Shuffled = encodeGraphV1(shuffled(decodeGraph(bytes), r))
    const fromCodesV1 = codes === undefined ? undefined : HnswIndex.fromCodes(v1Shuffled, codes, { dim })
    const fromCodesJs = codes === undefined ? undefined : HnswIndex.fromCodes(bytes, codes, { dim, wasm: false })
    for (let qi = 0; qi < 12; qi++) {
      const q = grid ? Float32Array.from({ length: dim }, () => Math.round(r() * 4) - 2) : Float32Array.from({ length: dim }, () => (r() - 0.5) * 4)
      const k = 1 + Math.floor(r() * 10)
      const ef = k + Math.floor(r() * 40)
      const filter = qi % 3 === 0 ? (id: number): boolean => id % 3 !== 1 : undefined
      const opts = filter === undefined ? { ef } : { ef, filter }
      const want = built.search(q, k, opts)
      assert.deepEqual(restored.search(q, k, opts), want, `${label} query ${qi}`)
      assert.deepEqual(fromV1.search(q, k, opts), want, `${label} query ${qi} (version 1 bytes)`)
      if (fromCodes !== undefined) {
        const a = built.searchCodes(q, k, { ef })
        const b = fromCodes.searchCodes(q, k, { ef })
        assert.deepEqual([Array.from(b.ids), Array.from(b.distances), b.error], [Array.from(a.ids), Array.from(a.distances), a.error], `${label} query ${qi} (codes)`)
        for (const [other, what] of [[fromCodesV1, 'codes, shuffled version 1'], [fromCodesJs, 'codes, plain JS']] as const) {
          const o = (other as HnswIndex).searchCodes(q, k, { ef })
          assert.deepEqual([Array.from(o.ids), Array.from(o.distances), o.error], [Array.from(a.ids), Array.from(a.distances), a.error], `${label} query ${qi} (${what})`)
        }
      }
      // A beam covering the index returns the k smallest exact distances.
      const wide = restored.search(q, k, { ef: n })
      const exact = Array.from({ length: n }, (_, id) => distance(metric, q, vectors.subarray(id * dim, (id + 1) * dim))).sort((x, y) => x - y).slice(0, k)
      assert.equal(wide.ids.length, Math.min(k, n), label)
      wide.distances.forEach((d, j) => assert.ok(Math.abs(d - (exact[j] as number)) <= 1e-4 * Math.max(1, Math.abs(d)), `${label} query ${qi}: distance ${j} ${d} vs ${exact[j]}`))
    }
  }
})
