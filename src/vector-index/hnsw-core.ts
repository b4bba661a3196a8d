/**
 * The state and traversal of an HNSW graph: vectors in one f32 arena (WebAssembly SIMD memory
 * when available), fixed-stride neighbour lists, a generation-stamped visited array, typed-array
 * heaps, and the greedy descent and beam search shared by building (hnsw-link.ts) and
 * searching (hnsw.ts).
 */
import type { VectorArena } from '../vector/simd.js'
import { ARENA_RESERVED } from '../vector/simd.js'
import { seededRandom } from '../util/rng.js'
import { bitAllowed } from './filter.js'
import { MaxHeap, MinHeap } from './heap.js'
import type { HnswGraph } from './hnsw-graph.js'
import type { CodeSearch } from './hnsw-quantized.js'
import { BEAM_AUG, BEAM_DOT, BEAM_L2, WasmBeam } from './hnsw-beam.js'
import type { PackedLists } from './hnsw-packed.js'

export abstract class HnswCore {
  protected g: HnswGraph
  protected arena: VectorArena
  protected readonly kind: number // 0 euclidean, 1 cosine, 2 dot
  /** How `batch` scores: `kind`, except 0 (augmented Euclidean, see `aug`) while a dot index links a node there. */
  protected sk: number
  /**
   * Dot indexes only: the extra coordinate h(x) = sqrt(Φ² - |x|²) of the classic reduction of
   * maximum inner product to nearest neighbour (Bachrach et al. 2014), Φ² >= every |x|² (`phi2`).
   * The augmented nodes (x, h(x)) lie on one sphere at Euclidean distances |x - y|² + (h(x) - h(y))²,
   * and a query (q, 0) is at |q|² + Φ² - 2 q·x from (x, h(x)), which orders nodes exactly as
   * -(q·x) does. A dot index links each node at level 0 twice: to up to M neighbours chosen under
   * -(a·b) (they lead to the long vectors dot queries want; best on data around the origin) and
   * to up to M chosen in this space (a metric, where the pruning heuristic holds and data away
   * from the origin stays navigable). Search scores by -(q·x) alone.
   * Undefined for a deserialised index until `add`.
   */
  protected aug: Float64Array | undefined
  protected phi2 = 0
  /** Extra coordinate of the node being linked (the build's "query"). */
  protected hq = 0
  /**
   * Level-0 spanning tree: the parent of each node (-1 for the root). A node's edge to its
   * parent and its parent's edge back are never pruned, so level 0 is strongly connected.
   * Undefined for a deserialised index until `add` (then recovered from the two-way edges).
   */
  protected parent: Int32Array | undefined
  /** Candidates left sorted in `sortIds`/`sortDist` by the last `selectFromHeap`. */
  protected sortedCount = 0
  protected readonly rng: () => number
  protected readonly mL: number
  protected visited: Uint16Array
  protected gen = 0
  protected readonly cand = new MinHeap(256)
  protected readonly res = new MaxHeap(256)
  protected readonly scratch = new MaxHeap(64)
  protected selIds: Int32Array
  protected selDist: Float64Array
  protected sortIds = new Int32Array(256)
  protected sortDist = new Float64Array(256)
  protected gEp = 0
  protected gDist = 0
  /** Arena offset of the query slot; vectors follow it at `vbase`. */
  protected readonly qOff = ARENA_RESERVED
  protected vbase: number
  /**
   * WebAssembly only: the arena copy of level 0 the beam search runs on (hnsw-beam.ts), made
   * on first use and kept current through `wrote0`; undefined when stale (see `reserve`).
   * It lies after the vectors' capacity and before the quantised state.
   */
  protected beam: WasmBeam | undefined
  /**
   * Size of the result heap the last `searchLevel0` left in the wasm beam state, or -1 when
   * it ran in JS and left its result in `res`.
   */
  protected level0Size = -1
  /** Quantised-search state, built on the first quantised search; undefined when stale. */
  protected qs: CodeSearch | undefined
  /** True during a quantised search: `batch` then scores on the codes. */
  protected quant = false
  /** Where the wasm beam state starts (bytes) when not right after the vectors: an index restored from codes has none. */
  protected beamAt: number | undefined
  /** The wasm beam state keeps level 0 packed (WasmBeam's `packed`): set for an index that is only searched. */
  protected packedLists = false

  protected constructor(g: HnswGraph, arena: VectorArena, seed: number) {
    this.g = g
    this.arena = arena
    this.kind = g.metric === 'euclidean' ? 0 : g.metric === 'cosine' ? 1 : 2
    this.sk = this.kind
    this.rng = seededRandom(seed)
    this.mL = 1 / Math.log(g.M)
    // Sized on first use (nextGen): an index searched in WebAssembly never needs it.
    this.visited = new Uint16Array(16)
    this.selIds = new Int32Array(2 * g.M + 1)
    this.selDist = new Float64Array(2 * g.M + 1)
    this.vbase = ARENA_RESERVED + g.dim
  }

  /** Squared norm of node `id`'s vector, in f64. */
  protected sq(id: number): number {
    const f32 = this.arena.f32
    const off = this.off(id)
    let s = 0
    for (let j = 0; j < this.g.dim; j++) s += (f32[off + j] as number) ** 2
    return s
  }

  /** Sets Φ² and the extra coordinate (see `aug`) of the first `rows` nodes. */
  protected setPhi(phi2: number, rows: number): void {
    this.phi2 = phi2
    const aug = this.aug !== undefined && this.aug.length >= this.g.levels.length ? this.aug : new Float64Array(this.g.levels.length)
    for (let id = 0; id < rows; id++) aug[id] = Math.sqrt(Math.max(0, phi2 - this.sq(id)))
    this.aug = aug
    this.beam?.syncAug(aug, 0, rows)
  }

  /** Sets node `id`'s extra coordinate (see `aug`). */
  protected setAug(id: number, h: number): void {
    const aug = this.aug as Float64Array
    aug[id] = h
    this.beam?.syncAug(aug, id, id + 1)
  }

  /** A raw kernel value as a distance (smaller is closer). */
  protected conv(raw: number): number {
    const k = this.sk
    return k === 0 ? raw : k === 1 ? 1 - raw : -raw
  }

  protected off(id: number): number {
    return this.vbase + id * this.g.dim
  }

  /** Distances from `qOff` to the first `m` ids in `arena.batchIds`, into `arena.batchOut` as raw kernel values. */
  protected batch(qOff: number, m: number): void {
    if (this.quant) (this.qs as CodeSearch).batch(m)
    else if (this.sk !== 0) this.arena.dotBatch(qOff, m, this.vbase, this.g.dim)
    else {
      this.arena.l2Batch(qOff, m, this.vbase, this.g.dim)
      if (this.kind === 2) {
        // Linking a dot index: add the extra coordinate's term (see `aug`).
        const aug = this.aug as Float64Array
        const ids = this.arena.batchIds
        const out = this.arena.batchOut
        for (let i = 0; i < m; i++) {
          const e = this.hq - (aug[ids[i] as number] as number)
          out[i] = (out[i] as number) + e * e
        }
      }
    }
  }

  /** Distance between two nodes as the graph is being linked: the metric's, or the augmented one (see `aug`). */
  protected nodeDist(a: number, b: number): number {
    if (this.sk !== 0 || this.kind !== 2) return this.dist(this.off(a), this.off(b))
    const aug = this.aug as Float64Array
    const e = (aug[a] as number) - (aug[b] as number)
    return Math.fround(this.arena.l2sq(this.off(a), this.off(b), this.g.dim) + e * e)
  }

  protected dist(a: number, b: number): number {
    const k = this.kind
    if (k === 0) return this.arena.l2sq(a, b, this.g.dim)
    const d = this.arena.dot(a, b, this.g.dim)
    return k === 1 ? 1 - d : -d
  }

  /**
   * The wasm beam state (see `beam`), made now if needed; undefined without WebAssembly.
   * `packed0`: the level-0 lists already packed (with `packedLists`), copied instead of `g.links0`.
   */
  protected wasmBeam(packed0?: PackedLists): WasmBeam | undefined {
    const kernel = this.arena.beam
    if (this.beam === undefined && kernel !== undefined) {
      const g = this.g
      const cap = g.levels.length
      this.beam = new WasmBeam(this.arena, kernel, this.beamAt ?? (this.vbase + g.dim * cap) * 4, cap, 2 * g.M + 1, g.links0, g.count, this.kind === 2, this.aug, this.selectCap(),
        this.packedLists && (packed0 ?? true))
    }
    return this.beam
  }

  /** Arena bytes of the wasm beam state at the current capacity. */
  protected beamBytes(): number {
    const g = this.g
    return WasmBeam.bytesFor(g.levels.length, 2 * g.M + 1, this.kind === 2, this.selectCap())
  }

  /** Most candidates a linking selection gets: an insertion's beam, or a full level-0 list and the new node. */
  private selectCap(): number {
    return Math.max(this.g.efConstruction, 2 * this.g.M + 1)
  }

  /** Node `id`'s level-0 list was written: keep the wasm copy current. */
  protected wrote0(id: number): void {
    this.beam?.syncList(this.g.links0, id)
  }

  /**
   * `searchLayer` at level 0 without a filter, on the f32 vectors: in WebAssembly when the
   * runtime has it (the same heap, see hnsw-beam.ts), else in JS. The result stays where the
   * search ran (see `level0Size`), for HnswLinker.selectLevel0.
   */
  protected searchLevel0(qOff: number, ep: number, epD: number, ef: number): void {
    const beam = this.wasmBeam()
    if (beam === undefined) {
      this.level0Size = -1
      this.searchLayer(qOff, ep, epD, ef, 0, null, null)
    } else {
      const mode = this.sk !== 0 ? BEAM_DOT : this.kind === 2 ? BEAM_AUG : BEAM_L2
      this.level0Size = beam.search(this.g.count, ep, epD, ef, null, mode, this.sk, qOff, this.vbase, this.g.dim, 0, 0, 0, 0, this.hq)
    }
  }

  /** simd.wat's `$nodeDist` mode for `nodeDist`: 0 euclidean, 1 cosine, 2 dot, 3 augmented. */
  protected nodeDistMode(): number {
    return this.kind === 2 && this.sk === 0 ? 3 : this.kind
  }

  protected nextGen(): number {
    if (this.visited.length < this.g.count) this.visited = new Uint16Array(this.g.levels.length)
    if (++this.gen === 0x10000) {
      this.visited.fill(0)
      this.gen = 1
    }
    return this.gen
  }

  /** Start of node `id`'s list at `level` and the array holding it. */
  protected listOf(id: number, level: number): [Int32Array, number] {
    const g = this.g
    if (level === 0) return [g.links0, id * (2 * g.M + 1)]
    return [g.upper, (g.upperOff[id] as number) + (level - 1) * (g.M + 1)]
  }

  protected greedy(qOff: number, ep: number, epD: number, level: number): void {
    const M1 = this.g.M + 1
    const upper = this.g.upper
    const upperOff = this.g.upperOff
    const ids = this.arena.batchIds
    const out = this.arena.batchOut
    const kind = this.sk
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
  protected searchLayer(qOff: number, ep: number, epD: number, ef: number, level: number,
    bits: Uint8Array | null, pred: ((id: number) => boolean) | null): void {
    const gen = this.nextGen() // first: it may replace `visited`
    const visited = this.visited
    const cand = this.cand
    const res = this.res
    const filtered = bits !== null || pred !== null
    const [arr, stride0] = level === 0 ? [this.g.links0, 2 * this.g.M + 1] : [this.g.upper, 0]
    const upperOff = this.g.upperOff
    const M1 = this.g.M + 1
    const ids = this.arena.batchIds
    const out = this.arena.batchOut
    const kind = this.sk
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

  protected reserve(count: number): void {
    const g = this.g
    if (count > g.levels.length) {
      // The vectors grow into the space of the beam and quantised states: rebuild them when next needed.
      this.beam = undefined
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
    if (this.parent !== undefined) {
      const parent = new Int32Array(cap).fill(-1)
      parent.set(this.parent)
      this.parent = parent
    }
    if (this.aug !== undefined) {
      const aug = new Float64Array(cap)
      aug.set(this.aug)
      this.aug = aug
    }
  }
}
