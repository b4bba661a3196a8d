/**
 * Hierarchical Navigable Small World index (Malkov & Yashunin) over flat typed arrays:
 * vectors in one f32 arena (WebAssembly SIMD memory when available), fixed-stride neighbour
 * lists, a generation-stamped visited array, typed-array heaps, heuristic neighbour selection
 * and a seeded RNG, so the same input and seed always build the same graph.
 */
import { AilakeError, invalid } from '../errors.js'
import { checkMetric } from '../vector/distance.js'
import { normalizeInPlace } from '../vector/normalize.js'
import { ARENA_RESERVED, BATCH, createArena } from '../vector/simd.js'
import { QuantizedSearch } from './hnsw-quantized.js'
import type { VectorArena } from '../vector/simd.js'
import type { Metric } from '../vector/types.js'
import { toFlat, validateVectors } from '../vector/validate.js'
import { MaxHeap, MinHeap, drainBestFirst } from './heap.js'
import { bitAllowed, checkFilter, countAllowed, EMPTY_RESULT } from './filter.js'
import type { SearchResult } from './filter.js'
import { checkK, checkQuery } from './flat.js'
import { MAX_LEVEL } from './hnsw-graph.js'
import type { HnswGraph } from './hnsw-graph.js'
import { decodeGraph, encodeGraph } from './hnsw-codec.js'
import { seededRandom } from '../util/rng.js'
import { checkInt, DEFAULT_EF, HNSW_BUILD_OPTION_KEYS, HNSW_SEARCH_OPTION_KEYS, type HnswBuildOptions, type HnswSearchOptions } from './hnsw-options.js'
import { checkOptions } from '../util/options.js'

export type { HnswBuildOptions, HnswSearchOptions } from './hnsw-options.js'

/** Indexes smaller than this are searched on the f32 vectors directly (they fit in cache). */
const SQ8_MIN_ROWS = 1024


export class HnswIndex {
  private g: HnswGraph
  private arena: VectorArena
  private readonly kind: number // 0 euclidean, 1 cosine, 2 dot
  private readonly rng: () => number
  private readonly mL: number
  private visited: Uint16Array
  private gen = 0
  private readonly cand = new MinHeap(256)
  private readonly res = new MaxHeap(256)
  private readonly scratch = new MaxHeap(64)
  private selIds: Int32Array
  private selDist: Float64Array
  private sortIds = new Int32Array(256)
  private sortDist = new Float64Array(256)
  private gEp = 0
  private gDist = 0
  /** Arena offset of the query slot; vectors follow it at `vbase`. */
  private readonly qOff = ARENA_RESERVED
  private vbase: number
  /** Quantised-search state, built on the first quantised search; undefined when stale. */
  private qs: QuantizedSearch | undefined
  /** True during a quantised search: `batch` then scores on the codes. */
  private quant = false

  private constructor(g: HnswGraph, arena: VectorArena, seed: number) {
    this.g = g
    this.arena = arena
    this.kind = g.metric === 'euclidean' ? 0 : g.metric === 'cosine' ? 1 : 2
    this.rng = seededRandom(seed)
    this.mL = 1 / Math.log(g.M)
    this.visited = new Uint16Array(Math.max(16, g.levels.length))
    this.selIds = new Int32Array(2 * g.M + 1)
    this.selDist = new Float64Array(2 * g.M + 1)
    this.vbase = ARENA_RESERVED + g.dim
  }

  /** Number of indexed vectors. */
  get size(): number { return this.g.count }
  /** Vector dimension (0 for an empty index built without `dim`, until the first `add`). */
  get dim(): number { return this.g.dim }
  get metric(): Metric { return this.g.metric }
  get M(): number { return this.g.M }
  get efConstruction(): number { return this.g.efConstruction }
  /** True when the distance kernels run as WebAssembly SIMD. */
  get usesWasm(): boolean { return this.arena.wasm }

  /** Bytes a quantised search adds to this index (codes, and in WebAssembly the beam state): for cache budgets. */
  searchStateBytes(): number {
    const g = this.g
    if (g.count < SQ8_MIN_ROWS) return 0
    return QuantizedSearch.bytesFor(g.dim, g.levels.length, g.M, this.arena.wasm)
  }

  /**
   * Builds an index over `vectors` (`Float32Array[]`, or one flat Float32Array with `dim`).
   * Ids are row positions. Zero vectors work; an empty input gives an empty index.
   * Throws `DIMENSION_MISMATCH` / `INVALID_ARGUMENT` for ragged rows, NaN/Infinity or bad options.
   */
  static build(vectors: Float32Array[] | Float32Array, options: HnswBuildOptions): HnswIndex {
    if (options === null || typeof options !== 'object') throw invalid('HnswIndex.build: options { metric } are required')
    checkOptions(options, HNSW_BUILD_OPTION_KEYS, 'HnswIndex.build()')
    const metric = checkMetric(options.metric)
    const M = checkInt('M', options.M ?? 16, 2, 255)
    const efConstruction = checkInt('efConstruction', options.efConstruction ?? 200, 1, 1 << 20)
    const seed = options.seed ?? 42
    if (!Number.isFinite(seed)) throw invalid(`HnswIndex: seed must be a finite number, got ${seed}`)
    const { flat, dim, count } = toFlat(vectors, options.dim)
    const index = HnswIndex.empty(metric, dim, M, efConstruction, count, seed, options.wasm)
    const vb = index.vbase
    index.arena.f32.set(flat, vb)
    if (metric === 'cosine') normalizeInPlace(index.arena.f32.subarray(vb, vb + count * dim), dim)
    const progress = options.onProgress
    for (let id = 0; id < count; id++) {
      index.g.count = id + 1
      index.insert(id)
      if (progress !== undefined && ((id + 1) % 256 === 0 || id + 1 === count)) progress(id + 1, count)
    }
    return index
  }

  /**
   * Restores an index from `serialize()` bytes and the raw vectors it was built over (flat,
   * `count * dim`, as stored in the data file; cosine vectors are normalised here).
   * Every length, level and neighbour id is checked first: malformed bytes throw `CORRUPT_DATA`,
   * vectors of the wrong size throw `DIMENSION_MISMATCH`.
   */
  static deserialize(bytes: Uint8Array, vectors: Float32Array, options: { dim?: number; wasm?: boolean } = {}): HnswIndex {
    if (!(bytes instanceof Uint8Array)) throw invalid('HnswIndex.deserialize: bytes must be a Uint8Array')
    if (!(vectors instanceof Float32Array)) throw invalid('HnswIndex.deserialize: vectors must be a flat Float32Array')
    checkOptions(options, { dim: true, wasm: true }, 'HnswIndex.deserialize()')
    const g = decodeGraph(bytes)
    if (options.dim !== undefined && options.dim !== g.dim) {
      throw new AilakeError('DIMENSION_MISMATCH', `HnswIndex.deserialize: the index has dimension ${g.dim} but ${options.dim} was expected`, {
        context: { index: g.dim, expected: options.dim },
      })
    }
    if (vectors.length !== g.count * g.dim) {
      throw new AilakeError('DIMENSION_MISMATCH', `HnswIndex.deserialize: the index has ${g.count} vectors of dimension ${g.dim} (${g.count * g.dim} values) but ${vectors.length} values were given`, {
        context: { count: g.count, dim: g.dim, values: vectors.length },
      })
    }
    if (g.dim > 0) validateVectors(vectors, g.dim, 'vectors')
    const vb = ARENA_RESERVED + g.dim
    const arena = createArena(vb + vectors.length, options.wasm === undefined ? {} : { wasm: options.wasm })
    arena.f32.set(vectors, vb)
    if (g.metric === 'cosine') normalizeInPlace(arena.f32.subarray(vb, vb + vectors.length), g.dim)
    return new HnswIndex(g, arena, 42 ^ g.count)
  }

  private static empty(metric: Metric, dim: number, M: number, efConstruction: number, capacity: number, seed: number, wasm?: boolean): HnswIndex {
    const cap = Math.max(16, capacity)
    const g: HnswGraph = {
      metric, dim, count: 0, M, efConstruction, maxLevel: 0, entry: -1,
      levels: new Uint8Array(cap),
      links0: new Int32Array(cap * (2 * M + 1)),
      upperOff: new Int32Array(cap).fill(-1),
      upper: new Int32Array(Math.max(64, Math.ceil(cap / M) * 2 * (M + 1))),
      upperLen: 0,
    }
    return new HnswIndex(g, createArena(ARENA_RESERVED + dim * (cap + 1), wasm === undefined ? {} : { wasm }), seed)
  }

  /** Compact graph bytes (no vectors); see docs/hnsw-format.md. */
  serialize(): Uint8Array {
    return encodeGraph(this.g)
  }

  /** Adds one vector and returns its id (ids are consecutive from 0). */
  add(vector: Float32Array): number {
    const g = this.g
    if (!(vector instanceof Float32Array)) throw invalid('HnswIndex.add: vector must be a Float32Array')
    if (g.count === 0 && g.dim === 0) {
      checkInt('dim', vector.length, 1, 1 << 20)
      g.dim = vector.length
      this.vbase = ARENA_RESERVED + g.dim
    }
    if (vector.length !== g.dim) {
      throw new AilakeError('DIMENSION_MISMATCH', `HnswIndex.add: the vector has ${vector.length} dimensions but the index has ${g.dim}`, {
        context: { got: vector.length, expected: g.dim },
      })
    }
    validateVectors(vector, g.dim, 'vector')
    const id = g.count
    this.reserve(id + 1)
    const off = this.off(id)
    this.arena.f32.set(vector, off)
    if (g.metric === 'cosine') normalizeInPlace(this.arena.f32.subarray(off, off + g.dim), g.dim)
    g.count = id + 1
    this.insert(id)
    this.qs?.added(id) // reserve() dropped it if id is past its capacity
    return id
  }

  /**
   * The `k` nearest indexed vectors to `query`, best first. With a filter, disallowed nodes are
   * still traversed but never returned, and the search returns `k` results whenever `k` allowed
   * vectors exist (selective filters fall back to an exact scan of the allowed ids).
   */
  search(query: Float32Array, k: number, options: HnswSearchOptions = {}): SearchResult {
    checkK(k)
    checkOptions(options, HNSW_SEARCH_OPTION_KEYS, 'HnswIndex.search()')
    const g = this.g
    const filter = checkFilter(options.filter)
    const ef = options.ef === undefined ? Math.max(k, DEFAULT_EF) : Math.max(k, checkInt('ef', options.ef, 1, 1 << 24))
    if (g.count === 0) {
      if (g.dim > 0) checkQuery(query, g.dim)
      return EMPTY_RESULT
    }
    checkQuery(query, g.dim)
    const f32 = this.arena.f32
    const qOff = this.qOff
    f32.set(query, qOff)
    if (g.metric === 'cosine') normalizeInPlace(f32.subarray(qOff, qOff + g.dim), g.dim)
    const bits = filter instanceof Uint8Array ? filter : null
    const pred = typeof filter === 'function' ? filter : null
    if (bits !== null) {
      const allowed = countAllowed(bits, g.count)
      if (allowed === 0) return EMPTY_RESULT
      // Graph search over a sparse allow-list visits ~ef*2M/selectivity nodes; an exact scan
      // visits `allowed`. Scan when that is cheaper: allowed^2 <= ef * 2M * count.
      if (allowed * allowed <= ef * 2 * g.M * g.count) return this.exactScan(k, bits, null)
    }
    const quantized = options.quantized ?? g.count >= SQ8_MIN_ROWS
    if (quantized) this.beginQuantized(qOff)
    try {
      let ep = g.entry
      this.arena.batchIds[0] = ep
      this.batch(qOff, 1)
      let epD = this.conv(this.arena.batchOut[0] as number)
      for (let l = g.maxLevel; l > 0; l--) {
        this.greedy(qOff, ep, epD, l)
        ep = this.gEp
        epD = this.gDist
      }
      const inWasm = this.quant && pred === null && (this.qs as QuantizedSearch).beamSearch(g.links0, g.count, this.res, ep, epD, ef, bits, this.kind)
      if (!inWasm) this.searchLayer(qOff, ep, epD, ef, 0, bits, pred)
    } finally {
      this.quant = false
    }
    const out = quantized ? this.rerank(qOff, k) : drainBestFirst(this.res, k)
    if (filter !== undefined && out.ids.length < k) return this.exactScan(k, bits, pred)
    return out
  }

  /** Makes the SQ8 codes current and loads the query weights; `batch` then runs on the codes. */
  private beginQuantized(qOff: number): void {
    const g = this.g
    this.qs ??= new QuantizedSearch(this.arena, this.vbase, g.dim, g.count, g.levels.length, g.M, this.kind === 0)
    this.qs.prepare(qOff, this.kind === 0)
    this.quant = true
  }

  /** Re-scores the candidates in `res` on the exact vectors and keeps the best `k`. */
  private rerank(qOff: number, k: number): SearchResult {
    const res = this.res
    const n = res.size
    if (this.sortIds.length < n) {
      this.sortIds = new Int32Array(n * 2)
      this.sortDist = new Float64Array(n * 2)
    }
    const cands = this.sortIds
    cands.set(res.ids.subarray(0, n))
    res.clear()
    const ids = this.arena.batchIds
    const out = this.arena.batchOut
    for (let s = 0; s < n; s += BATCH) {
      const m = Math.min(BATCH, n - s)
      for (let i = 0; i < m; i++) ids[i] = cands[s + i] as number
      this.batch(qOff, m)
      for (let i = 0; i < m; i++) {
        const d = this.conv(out[i] as number)
        if (res.size < k) res.push(d, ids[i] as number)
        else if (d < res.topDist()) res.replaceTop(d, ids[i] as number)
      }
    }
    return drainBestFirst(res, k)
  }

  /** A raw kernel value as a distance (smaller is closer). */
  private conv(raw: number): number {
    const k = this.kind
    return k === 0 ? raw : k === 1 ? 1 - raw : -raw
  }

  private exactScan(k: number, bits: Uint8Array | null, pred: ((id: number) => boolean) | null): SearchResult {
    const heap = this.res
    heap.clear()
    const n = this.g.count
    for (let id = 0; id < n; id++) {
      if (bits !== null ? !bitAllowed(bits, id) : pred !== null && !pred(id)) continue
      const d = this.dist(this.qOff, this.off(id))
      if (heap.size < k) heap.push(d, id)
      else if (d < heap.topDist()) {
        heap.pop()
        heap.push(d, id)
      }
    }
    return drainBestFirst(heap, k)
  }

  private off(id: number): number {
    return this.vbase + id * this.g.dim
  }

  /** Distances from `qOff` to the first `m` ids in `arena.batchIds`, into `arena.batchOut` as raw kernel values. */
  private batch(qOff: number, m: number): void {
    if (this.quant) (this.qs as QuantizedSearch).batch(m)
    else if (this.kind === 0) this.arena.l2Batch(qOff, m, this.vbase, this.g.dim)
    else this.arena.dotBatch(qOff, m, this.vbase, this.g.dim)
  }

  private dist(a: number, b: number): number {
    const k = this.kind
    if (k === 0) return this.arena.l2sq(a, b, this.g.dim)
    const d = this.arena.dot(a, b, this.g.dim)
    return k === 1 ? 1 - d : -d
  }

  private nextGen(): number {
    if (this.visited.length < this.g.count) this.visited = new Uint16Array(this.g.levels.length)
    if (++this.gen === 0x10000) {
      this.visited.fill(0)
      this.gen = 1
    }
    return this.gen
  }

  /** Start of node `id`'s list at `level` and the array holding it. */
  private listOf(id: number, level: number): [Int32Array, number] {
    const g = this.g
    if (level === 0) return [g.links0, id * (2 * g.M + 1)]
    return [g.upper, (g.upperOff[id] as number) + (level - 1) * (g.M + 1)]
  }

  private greedy(qOff: number, ep: number, epD: number, level: number): void {
    const M1 = this.g.M + 1
    const upper = this.g.upper
    const upperOff = this.g.upperOff
    const ids = this.arena.batchIds
    const out = this.arena.batchOut
    const kind = this.kind
    let changed = true
    while (changed) {
      changed = false
      const base = (upperOff[ep] as number) + (level - 1) * M1
      const n = upper[base] as number
      for (let i = 0; i < n; i++) ids[i] = upper[base + 1 + i] as number
      this.batch(qOff, n)
      for (let i = 0; i < n; i++) {
        const nb = ids[i] as number
        const raw = out[i] as number
        const d = kind === 0 ? raw : kind === 1 ? 1 - raw : -raw
        if (d < epD) {
          epD = d
          ep = nb
          changed = true
        }
      }
    }
    this.gEp = ep
    this.gDist = epD
  }

  /** Beam search of one level; leaves the best `ef` allowed nodes in `this.res`. */
  private searchLayer(qOff: number, ep: number, epD: number, ef: number, level: number,
    bits: Uint8Array | null, pred: ((id: number) => boolean) | null): void {
    const visited = this.visited
    const gen = this.nextGen()
    const cand = this.cand
    const res = this.res
    const filtered = bits !== null || pred !== null
    const [arr, stride0] = level === 0 ? [this.g.links0, 2 * this.g.M + 1] : [this.g.upper, 0]
    const upperOff = this.g.upperOff
    const M1 = this.g.M + 1
    const ids = this.arena.batchIds
    const out = this.arena.batchOut
    const kind = this.kind
    cand.clear()
    res.clear()
    visited[ep] = gen
    cand.push(epD, ep)
    let bound = Infinity
    if (!filtered || (bits !== null ? bitAllowed(bits, ep) : (pred as (id: number) => boolean)(ep))) {
      res.push(epD, ep)
      bound = epD
    }
    while (cand.size > 0) {
      const cd = cand.topDist()
      if (cd > bound && (!filtered || res.size >= ef)) break
      const cur = cand.topId()
      cand.pop()
      const base = level === 0 ? cur * stride0 : (upperOff[cur] as number) + (level - 1) * M1
      const n = arr[base] as number
      let m = 0
      for (let i = 1; i <= n; i++) {
        const nb = arr[base + i] as number
        if (visited[nb] === gen) continue
        visited[nb] = gen
        ids[m++] = nb
      }
      if (m === 0) continue
      this.batch(qOff, m)
      for (let i = 0; i < m; i++) {
        const nb = ids[i] as number
        const raw = out[i] as number
        const d = kind === 0 ? raw : kind === 1 ? 1 - raw : -raw
        if (res.size < ef || d < bound) {
          cand.push(d, nb)
          if (filtered && !(bits !== null ? bitAllowed(bits, nb) : (pred as (id: number) => boolean)(nb))) continue
          if (res.size < ef) res.push(d, nb)
          else res.replaceTop(d, nb)
          bound = res.topDist()
        }
      }
    }
  }

  private randomLevel(): number {
    const u = 1 - this.rng() // (0, 1]
    return Math.min(MAX_LEVEL, Math.floor(-Math.log(u) * this.mL))
  }

  private reserve(count: number): void {
    const g = this.g
    if (count > g.levels.length) {
      // The vectors grow into the space of the quantised state: rebuild it when next needed.
      this.qs = undefined
    }
    this.arena.ensure(this.vbase + g.dim * count)
    if (count <= g.levels.length) return
    const cap = Math.max(count, Math.ceil(g.levels.length * 1.5))
    const levels = new Uint8Array(cap)
    levels.set(g.levels)
    g.levels = levels
    const links0 = new Int32Array(cap * (2 * g.M + 1))
    links0.set(g.links0)
    g.links0 = links0
    const upperOff = new Int32Array(cap).fill(-1)
    upperOff.set(g.upperOff)
    g.upperOff = upperOff
  }

  private insert(id: number): void {
    const g = this.g
    const level = this.randomLevel()
    g.levels[id] = level
    if (level > 0) {
      const need = g.upperLen + level * (g.M + 1)
      if (need > g.upper.length) {
        const next = new Int32Array(Math.max(need, g.upper.length * 2))
        next.set(g.upper)
        g.upper = next
      }
      g.upperOff[id] = g.upperLen
      g.upper.fill(0, g.upperLen, need)
      g.upperLen = need
    }
    if (g.entry < 0) {
      g.entry = id
      g.maxLevel = level
      return
    }
    const qOff = this.off(id)
    let ep = g.entry
    let epD = this.dist(qOff, this.off(ep))
    for (let l = g.maxLevel; l > level; l--) {
      this.greedy(qOff, ep, epD, l)
      ep = this.gEp
      epD = this.gDist
    }
    for (let l = Math.min(level, g.maxLevel); l >= 0; l--) {
      this.searchLayer(qOff, ep, epD, Math.max(g.efConstruction, g.M), l, null, null)
      const n = this.selectFromHeap(this.res, g.M)
      const [arr, base] = this.listOf(id, l)
      arr[base] = n
      for (let i = 0; i < n; i++) arr[base + 1 + i] = this.selIds[i] as number
      ep = this.selIds[0] as number
      epD = this.selDist[0] as number
      for (let i = 0; i < n; i++) this.link(arr[base + 1 + i] as number, id, l)
    }
    if (level > g.maxLevel) {
      g.entry = id
      g.maxLevel = level
    }
  }

  /** Adds `id` to `node`'s list at `level`, re-pruning with the heuristic when it is full. */
  private link(node: number, id: number, level: number): void {
    const g = this.g
    const mMax = level === 0 ? 2 * g.M : g.M
    const [arr, base] = this.listOf(node, level)
    const n = arr[base] as number
    if (n < mMax) {
      arr[base + 1 + n] = id
      arr[base] = n + 1
      return
    }
    const heap = this.scratch
    heap.clear()
    const ids = this.arena.batchIds
    const out = this.arena.batchOut
    ids[0] = id
    for (let i = 1; i <= n; i++) ids[i] = arr[base + i] as number
    this.batch(this.off(node), n + 1)
    const kind = this.kind
    for (let i = 0; i <= n; i++) {
      const raw = out[i] as number
      heap.push(kind === 0 ? raw : kind === 1 ? 1 - raw : -raw, ids[i] as number)
    }
    const m = this.selectFromHeap(heap, mMax)
    arr[base] = m
    for (let i = 0; i < m; i++) arr[base + 1 + i] = this.selIds[i] as number
    arr.fill(0, base + 1 + m, base + 1 + mMax)
  }

  /**
   * Heuristic neighbour selection: take candidates closest first, keeping one only if it is
   * closer to the base node than to every neighbour kept so far. Empties `heap`; the result is
   * in `selIds`/`selDist` (closest first) and its length is returned.
   */
  private selectFromHeap(heap: MaxHeap, m: number): number {
    const total = heap.size
    if (this.sortIds.length < total) {
      this.sortIds = new Int32Array(total * 2)
      this.sortDist = new Float64Array(total * 2)
    }
    const ids = this.sortIds
    const ds = this.sortDist
    for (let i = total - 1; i >= 0; i--) {
      ids[i] = heap.topId()
      ds[i] = heap.topDist()
      heap.pop()
    }
    const sel = this.selIds
    const selD = this.selDist
    if (total <= m) {
      for (let i = 0; i < total; i++) {
        sel[i] = ids[i] as number
        selD[i] = ds[i] as number
      }
      return total
    }
    let count = 0
    for (let i = 0; i < total && count < m; i++) {
      const c = ids[i] as number
      const cd = ds[i] as number
      const cOff = this.off(c)
      let good = true
      for (let j = 0; j < count; j++) {
        if (this.dist(cOff, this.off(sel[j] as number)) < cd) {
          good = false
          break
        }
      }
      if (good) {
        sel[count] = c
        selD[count] = cd
        count++
      }
    }
    return count
  }
}

export type { SearchFilter, SearchResult } from './filter.js'
