/**
 * Hierarchical Navigable Small World index (Malkov & Yashunin): build, serialise, restore, add
 * and search (quantised traversal, re-ranking, allow-list filters). The same input and seed
 * always build the same graph. Traversal state lives in hnsw-core.ts, graph building in
 * hnsw-link.ts, which also explains why a beam as large as the index reaches every node.
 */
import { AilakeError, invalid } from '../errors.js'
import { checkMetric } from '../vector/distance.js'
import { normalizeInPlace } from '../vector/normalize.js'
import { ARENA_RESERVED, BATCH, createArena } from '../vector/simd.js'
import { returnOnCollect, takeArena } from '../vector/arena-pool.js'
import { QuantizedSearch, type CodeSearch } from './hnsw-quantized.js'
import { PqSearch } from './hnsw-pq.js'
import type { VectorArena } from '../vector/simd.js'
import type { Metric } from '../vector/types.js'
import { toFlat, validateVectors } from '../vector/validate.js'
import { drainBestFirst } from './heap.js'
import { bitAllowed, checkFilter, countAllowed, EMPTY_RESULT } from './filter.js'
import type { SearchResult } from './filter.js'
import { checkK, checkQuery } from './flat.js'
import type { HnswGraph } from './hnsw-graph.js'
import { decodeGraph, decodeGraphPacked, encodeGraph } from './hnsw-codec.js'
import { unpackLists } from './hnsw-packed.js'
import { sortLists } from './hnsw-lists.js'
import { encodeSq8Block } from '../vector/sq8-block.js'
import { decodeCodesBlock, type CodesBlock } from '../vector/codes-block.js'
import { encodePqBlock } from '../vector/pq-block.js'
import { defaultSubvectors, encodePq, trainPq } from '../vector/pq.js'
import { HnswLinker } from './hnsw-link.js'
import { checkInt, DEFAULT_EF, HNSW_BUILD_OPTION_KEYS, HNSW_SEARCH_OPTION_KEYS, type HnswBuildOptions, type HnswSearchOptions } from './hnsw-options.js'
import { checkOptions } from '../util/options.js'

export type { HnswBuildOptions, HnswSearchOptions } from './hnsw-options.js'

/** Indexes smaller than this are searched on the f32 vectors directly (they fit in cache). */
export const SQ8_MIN_ROWS = 1024

/** Candidates of a search on codes alone (`searchCodes`), best first by their code distance. */
export interface CodeCandidates extends SearchResult {
  /** Candidate i's exact distance lies in [lower[i], upper[i]]. */
  lower: Float64Array
  upper: Float64Array
  /** Each exact distance lies within `error` of its code distance (the widest interval's half-width). */
  error: number
}

/** Which codes a file's index stores for traversal without its vectors. */
export interface CodesOptions {
  /** `sq8` (default): a byte per dimension. `pq`: a byte per sub-vector (product quantisation). */
  kind?: 'sq8' | 'pq'
  /** PQ only: the number of sub-vectors, 1..dim. Default one per 8 dimensions. */
  subvectors?: number
}

const NO_CANDIDATES: CodeCandidates = { ...EMPTY_RESULT, lower: new Float64Array(0), upper: new Float64Array(0), error: 0 }


export class HnswIndex extends HnswLinker {
  /** Restored from stored codes (`fromCodes`): the arena holds no vectors; only `searchCodes` works. */
  private codesOnly = false

  private constructor(g: HnswGraph, arena: VectorArena, seed: number) {
    super(g, arena, seed)
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

  /** True when restored from codes without vectors (`fromCodes`). */
  get hasVectors(): boolean { return !this.codesOnly }

  /** The codes a search of this index traverses once restored from them: `pq` or `sq8`. */
  get codesKind(): 'sq8' | 'pq' { return this.qs instanceof PqSearch ? 'pq' : 'sq8' }

  /**
   * Memory this index holds: its arena (vectors or codes, query state, in WebAssembly the beam
   * state) and graph arrays, at their allocated sizes. For cache budgets.
   */
  residentBytes(): number {
    const g = this.g
    return this.arena.bytes.byteLength + g.links0.byteLength + g.upper.byteLength + g.upperOff.byteLength + g.levels.byteLength + this.visited.byteLength + (this.qs?.heapBytes ?? 0)
  }

  /** Bytes a quantised search adds to this index (codes, and in WebAssembly the beam state): for cache budgets. */
  searchStateBytes(): number {
    const g = this.g
    if (g.count < SQ8_MIN_ROWS) return 0
    return QuantizedSearch.bytesFor(g.dim, g.levels.length) + (this.arena.wasm ? this.beamBytes() : 0)
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
    if (metric === 'dot') {
      let phi2 = 0
      for (let id = 0; id < count; id++) phi2 = Math.max(phi2, index.sq(id))
      index.setPhi(phi2, count)
    }
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
    // The vectors back the node count: checked before the lists are allocated.
    const g = decodeGraph(bytes, (head) => {
      if (options.dim !== undefined && options.dim !== head.dim) {
        throw new AilakeError('DIMENSION_MISMATCH', `HnswIndex.deserialize: the index has dimension ${head.dim} but ${options.dim} was expected`, {
          context: { index: head.dim, expected: options.dim },
        })
      }
      if (vectors.length !== head.count * head.dim) {
        throw new AilakeError('DIMENSION_MISMATCH', `HnswIndex.deserialize: the index has ${head.count} vectors of dimension ${head.dim} (${head.count * head.dim} values) but ${vectors.length} values were given`, {
          context: { count: head.count, dim: head.dim, values: vectors.length },
        })
      }
    })
    if (g.dim > 0) validateVectors(vectors, g.dim, 'vectors')
    const vb = ARENA_RESERVED + g.dim
    const arena = createArena(vb + vectors.length, options.wasm === undefined ? {} : { wasm: options.wasm })
    arena.f32.set(vectors, vb)
    if (g.metric === 'cosine') normalizeInPlace(arena.f32.subarray(vb, vb + vectors.length), g.dim)
    return new HnswIndex(g, arena, 42 ^ g.count)
  }

  /**
   * Restores an index from `serialize()` bytes and its stored SQ8 codes (`codes()`), without the
   * vectors: it can only be searched with `searchCodes`, which returns candidates for the caller
   * to re-score on exact vectors it fetches. Malformed bytes throw `CORRUPT_DATA`.
   */
  static fromCodes(bytes: Uint8Array, codes: Uint8Array, options: { dim?: number; wasm?: boolean } = {}): HnswIndex {
    checkOptions(options, { dim: true, wasm: true }, 'HnswIndex.fromCodes()')
    // The codes block backs the node count: decoded before the lists are allocated.
    let block: CodesBlock | undefined
    const { graph: g, level0 } = decodeGraphPacked(bytes, (head) => {
      if (options.dim !== undefined && options.dim !== head.dim) {
        throw new AilakeError('DIMENSION_MISMATCH', `HnswIndex.fromCodes: the index has dimension ${head.dim} but ${options.dim} was expected`, {
          context: { index: head.dim, expected: options.dim },
        })
      }
      block = decodeCodesBlock(codes, head.dim, head.count, head.metric === 'euclidean')
    })
    const vb = ARENA_RESERVED + g.dim
    const b = block as CodesBlock
    // Restores come and go with every cold file: a collected one's arena is reused (arena-pool.ts).
    // PQ state is about its block's size plus the lookup table; SQ8's a row of codes per node.
    const state = b.kind === 'pq' ? codes.length + 1024 * b.block.book.m : QuantizedSearch.bytesFor(g.dim, g.count)
    const arena = takeArena(vb, state + level0.length, options.wasm === undefined ? {} : { wasm: options.wasm })
    const index = new HnswIndex(g, arena, 42 ^ g.count)
    returnOnCollect(index, arena)
    index.codesOnly = true
    index.qs = b.kind === 'pq' ? new PqSearch(arena, vb, b.block) : QuantizedSearch.fromBlock(arena, vb, b.block)
    index.beamAt = index.qs.end
    // In WebAssembly the beam state holds the level-0 lists, packed (the index is never linked
    // again), which is all a search on codes reads of them (greedy descent reads the upper
    // levels); without it they are unpacked for the JS traversal. The lists are sorted by id,
    // as every index serialises: the packed lists store two-byte differences, and both paths
    // traverse alike.
    index.packedLists = true
    if (index.wasmBeam(level0) === undefined) g.links0 = unpackLists(level0, 2 * g.M + 1)
    return index
  }

  /**
   * The codes a search of this index can traverse without its vectors, as a block to store next
   * to the graph: SQ8 (sq8-block.ts) by default, or PQ (pq-block.ts) trained on these vectors;
   * undefined for indexes small enough to search on their vectors.
   */
  codes(options: CodesOptions = {}): Uint8Array | undefined {
    if (this.codesOnly) throw new AilakeError('INTERNAL', 'HnswIndex.codes: an index restored from codes has no vectors to encode')
    checkOptions(options, { kind: true, subvectors: true }, 'HnswIndex.codes()')
    const g = this.g
    const kind = options.kind ?? 'sq8'
    if (kind !== 'sq8' && kind !== 'pq') throw invalid(`HnswIndex.codes: kind must be 'sq8' or 'pq', got ${JSON.stringify(kind)}`)
    if (g.count < SQ8_MIN_ROWS) return undefined
    if (kind === 'sq8') return encodeSq8Block((this.quantizedState() as QuantizedSearch).toBlock(g.count))
    const vectors = this.arena.f32.subarray(this.vbase, this.vbase + g.count * g.dim)
    const book = trainPq(vectors, g.dim, g.count, options.subvectors ?? defaultSubvectors(g.dim))
    return encodePqBlock({ rows: g.count, book, ...encodePq(vectors, g.count, book) })
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
    const index = new HnswIndex(g, createArena(ARENA_RESERVED + dim * (cap + 1), wasm === undefined ? {} : { wasm }), seed)
    index.parent = new Int32Array(cap).fill(-1)
    if (metric === 'dot') index.aug = new Float64Array(cap)
    return index
  }

  /**
   * Compact graph bytes (no vectors); see docs/format.md, "Compact HNSW graph". The bytes keep
   * each neighbour list as a set, so this index first puts its lists in increasing id order,
   * the order a restored index has: a traversal's result can depend on list order when
   * distances tie, and a restored index must search exactly as this one.
   */
  serialize(): Uint8Array {
    if (this.codesOnly) throw new AilakeError('UNSUPPORTED', 'HnswIndex.serialize: an index restored from codes keeps only what its search reads; serialise the index it was restored from')
    sortLists(this.g, (id) => this.wrote0(id))
    return encodeGraph(this.g)
  }

  /** Adds one vector and returns its id (ids are consecutive from 0). */
  add(vector: Float32Array): number {
    if (this.codesOnly) throw new AilakeError('UNSUPPORTED', 'HnswIndex.add: an index restored from codes has no vectors to link against; restore it with deserialize()')
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
    this.ensureBuildState()
    const id = g.count
    this.reserve(id + 1)
    const off = this.off(id)
    this.arena.f32.set(vector, off)
    if (g.metric === 'cosine') normalizeInPlace(this.arena.f32.subarray(off, off + g.dim), g.dim)
    if (this.kind === 2) {
      const n2 = this.sq(id)
      // A longer vector than any so far moves Φ, with headroom so growing norms do not recompute every time.
      if (n2 > this.phi2) this.setPhi(n2 * 1.25, id + 1)
      else this.setAug(id, Math.sqrt(this.phi2 - n2))
    }
    g.count = id + 1
    this.insert(id)
    ;(this.qs as QuantizedSearch | undefined)?.added(id) // reserve() dropped it if id is past its capacity; an index that links has SQ8 state only
    return id
  }

  /**
   * The `k` nearest indexed vectors to `query`, best first. With a filter, disallowed nodes are
   * still traversed but never returned, and the search returns `k` results whenever `k` allowed
   * vectors exist (selective filters fall back to an exact scan of the allowed ids).
   */
  search(query: Float32Array, k: number, options: HnswSearchOptions = {}): SearchResult {
    if (this.codesOnly) throw new AilakeError('UNSUPPORTED', 'HnswIndex.search: an index restored from codes has no vectors to re-score on; use searchCodes()')
    checkK(k)
    checkOptions(options, HNSW_SEARCH_OPTION_KEYS, 'HnswIndex.search()')
    const g = this.g
    const filter = checkFilter(options.filter)
    const ef = options.ef === undefined ? Math.max(k, DEFAULT_EF) : Math.max(k, checkInt('ef', options.ef, 1, 1 << 24))
    const within = options.within ?? 0
    if (!(within >= 0 && within < Infinity)) throw invalid(`HnswIndex.search: within must be a finite number >= 0, got ${String(within)}`)
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
      const allowed = options.allowed === undefined ? countAllowed(bits, g.count) : checkInt('allowed', options.allowed, 0, g.count)
      if (allowed === 0) return EMPTY_RESULT
      // Graph search over a sparse allow-list visits ~ef*2M/selectivity nodes; an exact scan
      // visits `allowed`. Scan when that is cheaper: allowed^2 <= ef * 2M * count.
      if (allowed * allowed <= ef * 2 * g.M * g.count) return this.exactScan(k, bits, null, within)
    }
    const quantized = options.quantized ?? g.count >= SQ8_MIN_ROWS
    if (quantized) this.beginQuantized(qOff)
    try {
      const [ep, epD] = this.descend(qOff)
      const beam = this.quant && pred === null ? this.beam : undefined
      if (beam !== undefined) (this.qs as CodeSearch).beamSearch(beam, g.count, this.res, ep, epD, ef, bits, this.kind)
      else this.searchLayer(qOff, ep, epD, ef, 0, bits, pred)
    } finally {
      this.quant = false
    }
    // With `within`, keep the whole beam, then cut after the k-th distance plus `within`.
    const keep = within > 0 ? Math.max(k, this.res.size) : k
    const out = quantized ? this.rerank(qOff, keep) : drainBestFirst(this.res, keep)
    if (filter !== undefined && out.ids.length < k) return this.exactScan(k, bits, pred, within)
    return within > 0 ? nearTies(out, k, within) : out
  }

  /**
   * Candidates for `query` found on the codes alone (SQ8 or PQ): the best `ef` (at least `k`) the
   * traversal (or, for a selective filter, a scan of the allowed rows) finds, best first by code
   * distance, each with an interval its exact distance lies in. Works on any index of at
   * least 1,024 rows and on one restored by `fromCodes`. With a filter, at least `k` allowed
   * candidates come back whenever `k` allowed rows exist.
   */
  searchCodes(query: Float32Array, k: number, options: { ef?: number; filter?: Uint8Array; allowed?: number } = {}): CodeCandidates {
    checkK(k)
    checkOptions(options, { ef: true, filter: true, allowed: true }, 'HnswIndex.searchCodes()')
    const g = this.g
    const bits = checkFilter(options.filter) ?? null
    if (typeof bits === 'function') throw invalid('HnswIndex.searchCodes: the filter must be a bitset')
    const ef = options.ef === undefined ? Math.max(k, DEFAULT_EF) : Math.max(k, checkInt('ef', options.ef, 1, 1 << 24))
    if (g.count === 0) {
      if (g.dim > 0) checkQuery(query, g.dim)
      return NO_CANDIDATES
    }
    if (!this.codesOnly && g.count < SQ8_MIN_ROWS) throw invalid(`HnswIndex.searchCodes: an index of ${g.count} rows has no codes (they start at ${SQ8_MIN_ROWS} rows)`)
    checkQuery(query, g.dim)
    const f32 = this.arena.f32
    const qOff = this.qOff
    f32.set(query, qOff)
    if (g.metric === 'cosine') normalizeInPlace(f32.subarray(qOff, qOff + g.dim), g.dim)
    const keep = Math.max(k, ef)
    this.beginQuantized(qOff)
    try {
      if (bits !== null) {
        // `allowed`: the caller's count of the bitset's set bits, so it is not counted again.
        const allowed = options.allowed === undefined ? countAllowed(bits, g.count) : checkInt('allowed', options.allowed, 0, g.count)
        if (allowed === 0) return NO_CANDIDATES
        if (allowed * allowed <= ef * 2 * g.M * g.count) return this.withIntervals(this.codeScan(keep, bits))
      }
      const [ep, epD] = this.descend(qOff)
      const beam = this.beam
      if (beam !== undefined) (this.qs as CodeSearch).beamSearch(beam, g.count, this.res, ep, epD, ef, bits, this.kind)
      else this.searchLayer(qOff, ep, epD, ef, 0, bits, null)
      const out = drainBestFirst(this.res, keep)
      if (bits !== null && out.ids.length < k) return this.withIntervals(this.codeScan(keep, bits))
      return this.withIntervals(out)
    } finally {
      this.quant = false
    }
  }

  /** Candidates on codes with the interval their exact distances lie in. */
  private withIntervals(res: SearchResult): CodeCandidates {
    const qs = this.qs as CodeSearch
    const n = res.ids.length
    const lower = new Float64Array(n)
    const upper = new Float64Array(n)
    const pair = new Float64Array(2)
    let error = 0
    for (let i = 0; i < n; i++) {
      const d = res.distances[i] as number
      qs.interval(res.ids[i] as number, d, pair)
      lower[i] = pair[0] as number
      upper[i] = pair[1] as number
      error = Math.max(error, d - (pair[0] as number), (pair[1] as number) - d)
    }
    return { ...res, lower, upper, error }
  }

  /** The best `keep` allowed rows by their code distance, scanning them all (during a quantised search). */
  /** Greedy descent from the entry point through the upper levels: level 0's entry and its distance. */
  private descend(qOff: number): [number, number] {
    const g = this.g
    let ep = g.entry
    this.arena.batchIds[0] = ep
    this.batch(qOff, 1)
    let epD = this.conv(this.arena.batchOut[0] as number)
    for (let l = g.maxLevel; l > 0; l--) {
      this.greedy(qOff, ep, epD, l)
      ep = this.gEp
      epD = this.gDist
    }
    return [ep, epD]
  }

  private codeScan(keep: number, bits: Uint8Array): SearchResult {
    const heap = this.res
    heap.clear()
    const n = this.g.count
    const ids = this.arena.batchIds
    const out = this.arena.batchOut
    let m = 0
    const flush = (): void => {
      this.batch(this.qOff, m)
      for (let i = 0; i < m; i++) {
        const d = this.conv(out[i] as number)
        if (heap.size < keep) heap.push(d, ids[i] as number)
        else if (d < heap.topDist()) heap.replaceTop(d, ids[i] as number)
      }
      m = 0
    }
    for (let id = 0; id < n; id++) {
      if (!bitAllowed(bits, id)) continue
      ids[m++] = id
      if (m === BATCH) flush()
    }
    if (m > 0) flush()
    return drainBestFirst(heap, keep)
  }

  /** The quantised-search state, built from the vectors on first use. */
  private quantizedState(): CodeSearch {
    const g = this.g
    if (this.qs === undefined) {
      // The codes go after the beam state (made first, see HnswCore.beam), else after the vectors.
      const beam = this.wasmBeam()
      const from = beam === undefined ? this.vbase + g.dim * g.levels.length : Math.ceil(beam.end / 4)
      this.qs = QuantizedSearch.build(this.arena, this.vbase, g.dim, g.count, g.levels.length, from, this.kind === 0)
    }
    return this.qs
  }

  /** Makes the SQ8 codes current and loads the query weights; `batch` then runs on the codes. */
  private beginQuantized(qOff: number): void {
    // An index restored from codes places its beam state after them, on first use.
    if (this.codesOnly) this.wasmBeam()
    this.quantizedState().prepare(qOff, this.kind === 0, this.kind === 1)
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

  /** The best `k` allowed rows by scanning them all; with `within`, also those near the k-th (see `nearTies`). */
  private exactScan(k: number, bits: Uint8Array | null, pred: ((id: number) => boolean) | null, within: number): SearchResult {
    const heap = this.res
    heap.clear()
    const n = this.g.count
    // With `within`, distances are kept for a second pass over the rows near the k-th, so the
    // heap holds k rows rather than every row.
    const dists = within > 0 ? this.scanScratch(n) : undefined
    for (let id = 0; id < n; id++) {
      if (bits !== null ? !bitAllowed(bits, id) : pred !== null && !pred(id)) {
        if (dists !== undefined) dists[id] = Infinity
        continue
      }
      const d = this.dist(this.qOff, this.off(id))
      if (dists !== undefined) dists[id] = d
      if (heap.size < k) heap.push(d, id)
      else if (d < heap.topDist()) heap.replaceTop(d, id)
    }
    if (dists === undefined || heap.size < k) return drainBestFirst(heap, k)
    // nearTies cuts at the k-th distance as returned (f32); a superset of its rows is kept here.
    const kth = heap.topDist()
    const limit = Math.max(kth, Math.fround(kth)) + within
    heap.clear()
    for (let id = 0; id < n; id++) if ((dists[id] as number) <= limit) heap.push(dists[id] as number, id)
    return nearTies(drainBestFirst(heap, heap.size), k, within)
  }

  private scanDists = new Float64Array(0)

  private scanScratch(n: number): Float64Array {
    if (this.scanDists.length < n) this.scanDists = new Float64Array(n)
    return this.scanDists
  }

}

/** The first `k` of `res` (best first) and every later one within `within` of the k-th distance. */
function nearTies(res: SearchResult, k: number, within: number): SearchResult {
  const n = res.ids.length
  if (n <= k) return res
  const limit = (res.distances[k - 1] as number) + within
  let end = k
  while (end < n && (res.distances[end] as number) <= limit) end++
  return { ids: res.ids.subarray(0, end), distances: res.distances.subarray(0, end) }
}

export type { SearchFilter, SearchResult } from './filter.js'
