/**
 * State for simd.wat's level-0 beam search and neighbour selection: a copy of the level-0
 * neighbour lists, visited stamps, both heaps, an allow-list bitset, (dot indexes) the extra
 * coordinates of the augmented space, and the selection's candidates, all in the index's arena
 * so the loops run in WebAssembly. Building and searching share it: the linker writes every
 * level-0 list it changes through to the copy (`syncList`), so neither an insertion nor a
 * search after an `add` copies the whole graph. The JS `searchLayer` and `selectFromHeap` stay
 * the reference (and the plain-JS fallback); both paths produce identical heaps and selections.
 */
import { AilakeError } from '../errors.js'
import type { BeamKernel, DrainKernel, SelectKernel, VectorArena } from '../vector/simd.js'
import type { MaxHeap } from './heap.js'
import { packLists, type PackedLists } from './hnsw-packed.js'

const CTX_BYTES = 64

/** simd.wat's `beam` modes: f32 squared L2, f32 dot, SQ8 codes. */
export const BEAM_L2 = 0
export const BEAM_DOT = 1
export const BEAM_SQ8 = 2
/** f32 squared L2 in the augmented space of a dot index (HnswCore.aug). */
export const BEAM_AUG = 3
/** PQ codes (hnsw-pq.ts). */
export const BEAM_PQ = 4

const align = (x: number): number => Math.ceil(x / 64) * 64

export class WasmBeam {
  /**
   * Heap entries a packed (search-only) state starts with: beams of a few hundred rarely hold
   * more candidates. @internal tests lower it to make searches outgrow the heaps.
   */
  static packedHeap = 4096
  readonly capacity: number
  /** Byte address just past this state (where the next arena user may start; a packed state's heaps may grow past it). */
  end: number
  private readonly arena: VectorArena
  private readonly kernel: BeamKernel
  private readonly stride0: number
  private readonly ctx: number
  private readonly links: number
  private readonly visited: number
  /** The heaps come last, so a packed state can lay them out again, larger (`heapCap` entries each). */
  private readonly heaps: number
  private heapCap: number
  private resD = 0
  private resI = 0
  private readonly bits: number
  /** One f64 per node (dot indexes), else 0. */
  private readonly aug: number
  /** Selection scratch: `selCap` candidate ids, distances and flags, and the selected ids and distances. */
  readonly selCap: number
  private readonly sortI: number
  private readonly sortD: number
  private readonly flags: number
  private readonly selI: number
  private readonly selD: number
  private readonly selectKernel: SelectKernel | undefined
  private readonly drainKernel: DrainKernel | undefined
  private gen = 0
  // Views into the arena, re-made only when its memory grows (growing detaches the old buffer).
  private buffer: ArrayBufferLike | undefined
  private ctxView: Int32Array<ArrayBufferLike> = new Int32Array(0)
  private linksView: Int32Array<ArrayBufferLike> = new Int32Array(0)
  private resDView: Float64Array<ArrayBufferLike> = new Float64Array(0)
  private resIView: Int32Array<ArrayBufferLike> = new Int32Array(0)
  private augView: Float64Array<ArrayBufferLike> = new Float64Array(0)
  private sortIView: Int32Array<ArrayBufferLike> = new Int32Array(0)
  private sortDView: Float64Array<ArrayBufferLike> = new Float64Array(0)
  private flagsView: Uint8Array<ArrayBufferLike> = new Uint8Array(0)
  private selIView: Int32Array<ArrayBufferLike> = new Int32Array(0)
  private selDView: Float64Array<ArrayBufferLike> = new Float64Array(0)

  /**
   * Lays the state out from byte `from` (after everything else in the arena) for `capacity`
   * nodes and copies the first `count` level-0 lists of `links0` (stride `stride0`). Dot
   * indexes (`dot`) get room for the extra coordinates, copied from `aug` when it is defined
   * (else by `syncAug` once they are). Selections take up to `selCap` candidates. With `packed`
   * (an index that is only searched, never linked), the lists are stored as 16-bit differences
   * (hnsw-packed.ts), about 40% of the fixed-stride bytes; `syncList` then cannot be used.
   * `packed` may be the lists already packed (a restore decodes them so), copied in place of
   * packing `links0`.
   */
  constructor(arena: VectorArena, kernel: BeamKernel, from: number, capacity: number, stride0: number, links0: Int32Array, count: number,
    dot: boolean, aug: Float64Array | undefined, selCap: number, packed: boolean | PackedLists = false) {
    this.arena = arena
    this.kernel = kernel
    this.selectKernel = arena.select
    this.drainKernel = arena.drain
    this.capacity = capacity
    this.stride0 = packed !== false ? 0 : stride0
    this.selCap = selCap
    this.ctx = align(from)
    this.links = this.ctx + CTX_BYTES
    const lists = packed === false ? undefined : packed === true ? packLists(links0, stride0, count) : packed
    this.visited = align(this.links + (lists === undefined ? capacity * stride0 * 4 : capacity * 4 + lists.length))
    this.bits = align(this.visited + capacity * 2)
    const augAt = align(this.bits + Math.ceil(capacity / 8))
    this.aug = dot ? augAt : 0
    this.sortI = align(augAt + (dot ? capacity * 8 : 0))
    this.sortD = align(this.sortI + selCap * 4)
    this.flags = align(this.sortD + selCap * 8)
    this.selI = align(this.flags + selCap)
    this.selD = align(this.selI + selCap * 4)
    this.heaps = align(this.selD + selCap * 8)
    // A beam's heaps hold at most every node; a search-only state starts them at a size that
    // covers usual beams and grows them when a search needs more (`search`).
    this.heapCap = packed !== false ? Math.min(capacity, Math.max(1, WasmBeam.packedHeap)) : capacity
    this.end = this.layHeaps()
    arena.bytes.fill(0, this.visited, this.visited + capacity * 2)
    const ctx = new Int32Array(arena.bytes.buffer, this.ctx, 8)
    ctx[0] = this.links
    ctx[1] = this.stride0
    ctx[2] = this.visited
    ctx[7] = 0
    if (lists === undefined) this.views().linksView.set(links0.subarray(0, count * stride0))
    else {
      const listsAt = this.links + capacity * 4
      const offsets = new Int32Array(arena.bytes.buffer, this.links, count)
      for (let i = 0; i < count; i++) offsets[i] = listsAt + (lists.offsets[i] as number)
      arena.bytes.set(lists.bytes.subarray(0, lists.length), listsAt)
    }
    // Every extra coordinate: a build sets them all before inserting the first node.
    if (aug !== undefined) this.syncAug(aug, 0, Math.min(aug.length, capacity))
  }

  /** Places the heaps for `heapCap` entries from `heaps`, records them in the context, and returns the byte address past them. */
  private layHeaps(): number {
    const cap = this.heapCap
    const candD = this.heaps
    const candI = align(candD + cap * 8)
    this.resD = align(candI + cap * 4)
    this.resI = align(this.resD + cap * 8)
    const end = align(this.resI + cap * 4)
    // A search-only state is the arena's last user: no room for growth.
    this.arena.ensure(Math.ceil(end / 4), this.stride0 === 0)
    this.buffer = undefined
    const ctx = new Int32Array(this.arena.bytes.buffer, this.ctx, 9)
    ctx[3] = candD
    ctx[4] = candI
    ctx[5] = this.resD
    ctx[6] = this.resI
    ctx[8] = cap
    return end
  }

  /** Bytes of arena this state takes. */
  static bytesFor(capacity: number, stride0: number, aug: boolean, selCap: number): number {
    return CTX_BYTES + capacity * (stride0 * 4 + 2 + 8 + 4 + 8 + 4 + (aug ? 8 : 0)) + Math.ceil(capacity / 8) + selCap * 25 + 12 * 64
  }

  /** The extra coordinates of nodes [from, to) changed (dot indexes): copy them. */
  syncAug(aug: Float64Array, from: number, to: number): void {
    this.views().augView.set(aug.subarray(from, to), from)
  }

  /**
   * simd.wat's `select` over `total` (<= `selCap`) candidates sorted closest first in
   * `ids`/`ds`, with `flags` (or null) marking those kept unconditionally; `mode` as its
   * `$nodeDist`. Copies the selection into `selIds`/`selDist` and returns its length; undefined
   * when this runtime has no wasm selection.
   */
  select(ids: Int32Array, ds: Float64Array, flags: Uint8Array | null, total: number, m: number, free: number,
    selIds: Int32Array, selDist: Float64Array, mode: number, base: number, dim: number): number | undefined {
    const kernel = this.selectKernel
    if (kernel === undefined) return undefined
    const v = this.views()
    v.sortIView.set(ids.subarray(0, total))
    v.sortDView.set(ds.subarray(0, total))
    if (flags !== null) v.flagsView.set(flags.subarray(0, total))
    const n = kernel(this.sortI, this.sortD, flags === null ? 0 : this.flags, total, m, free, this.selI, this.selD, mode, base, dim, this.aug)
    return this.copySelection(n, selIds, selDist)
  }

  /**
   * What `select` does after HnswLinker.selectFromHeap(res, m, -1) sorted the result heap of
   * the last `search` (of `size`), with the sort done in place by simd.wat's `drain`: the
   * candidates closest first into `sortIds`/`sortDist`, and the selection into `selIds`/
   * `selDist`. Returns the selection's length; undefined when this runtime has no wasm drain
   * or the heap is larger than `selCap`.
   */
  selectResult(size: number, m: number, sortIds: Int32Array, sortDist: Float64Array, selIds: Int32Array, selDist: Float64Array,
    mode: number, base: number, dim: number): number | undefined {
    const drain = this.drainKernel
    const kernel = this.selectKernel
    if (drain === undefined || kernel === undefined || size > this.selCap) return undefined
    const v = this.views()
    drain(this.resD, this.resI, size, this.sortI, this.sortD)
    sortIds.set(v.sortIView.subarray(0, size))
    sortDist.set(v.sortDView.subarray(0, size))
    if (size <= m) {
      selIds.set(sortIds.subarray(0, size))
      selDist.set(sortDist.subarray(0, size))
      return size
    }
    return this.copySelection(kernel(this.sortI, this.sortD, 0, size, m, m, this.selI, this.selD, mode, base, dim, this.aug), selIds, selDist)
  }

  private copySelection(n: number, selIds: Int32Array, selDist: Float64Array): number {
    const v = this.views()
    selIds.set(v.selIView.subarray(0, n))
    selDist.set(v.selDView.subarray(0, n))
    return n
  }

  /** Node `id`'s level-0 list in `links0` changed: copy it (not for packed lists). */
  syncList(links0: Int32Array, id: number): void {
    if (this.stride0 === 0) throw new AilakeError('INTERNAL', 'WasmBeam.syncList: packed level-0 lists cannot change')
    const s = this.stride0
    const at = id * s
    this.views().linksView.set(links0.subarray(at, at + 1 + (links0[at] as number)), at)
  }

  private views(): this {
    const bytes = this.arena.bytes
    if (this.buffer !== bytes.buffer) {
      this.buffer = bytes.buffer
      this.ctxView = new Int32Array(bytes.buffer, this.ctx, 8)
      this.linksView = new Int32Array(bytes.buffer, this.links, this.capacity * this.stride0)
      this.resDView = new Float64Array(bytes.buffer, this.resD, this.heapCap)
      this.resIView = new Int32Array(bytes.buffer, this.resI, this.heapCap)
      if (this.aug !== 0) this.augView = new Float64Array(bytes.buffer, this.aug, this.capacity)
      this.sortIView = new Int32Array(bytes.buffer, this.sortI, this.selCap)
      this.sortDView = new Float64Array(bytes.buffer, this.sortD, this.selCap)
      this.flagsView = new Uint8Array(bytes.buffer, this.flags, this.selCap)
      this.selIView = new Int32Array(bytes.buffer, this.selI, this.selCap)
      this.selDView = new Float64Array(bytes.buffer, this.selD, this.selCap)
    }
    return this
  }

  /**
   * Runs the beam search over the first `count` nodes and leaves its result heap in `res`
   * (see `search`).
   */
  run(count: number, res: MaxHeap, ep: number, epD: number, ef: number, bits: Uint8Array | null,
    mode: number, kind: number, q: number, base: number, dim: number, blocks: number, alpha: number, beta: number, gamma: number, h = 0): void {
    this.loadResult(res, this.search(count, ep, epD, ef, bits, mode, kind, q, base, dim, blocks, alpha, beta, gamma, h))
  }

  /** Copies the result heap (of `size`) the last `search` left in the arena into `res`. */
  loadResult(res: MaxHeap, size: number): void {
    const v = this.views()
    res.load(v.resDView, v.resIView, size)
  }

  /**
   * Runs the beam search over the first `count` nodes and returns the size of its result
   * heap, which stays in the arena for `loadResult` or `selectResult`.
   * `mode`/`q`/`base`/`dim`/`blocks`/`alpha`/`beta`/`gamma`/`h` select the kernel as
   * documented in simd.wat; `bits` is the allow-list.
   */
  search(count: number, ep: number, epD: number, ef: number, bits: Uint8Array | null,
    mode: number, kind: number, q: number, base: number, dim: number, blocks: number, alpha: number, beta: number, gamma: number, h = 0): number {
    if (ef > this.heapCap) this.growHeaps(ef)
    for (;;) {
      const bytes = this.arena.bytes
      if (++this.gen === 0x10000) {
        bytes.fill(0, this.visited, this.visited + this.capacity * 2)
        this.gen = 1
      }
      const ctx = this.views().ctxView
      if (bits === null) ctx[7] = 0
      else {
        const n = Math.ceil(count / 8)
        bytes.fill(0, this.bits, this.bits + n)
        bytes.set(bits.length > n ? bits.subarray(0, n) : bits, this.bits)
        ctx[7] = this.bits
      }
      const size = this.kernel(this.ctx, ep, epD, ef, this.gen, mode, kind, q, base, dim, blocks, alpha, beta, gamma, this.aug, h)
      if (size >= 0) return size
      // The candidate heap was full: run the same search again with larger heaps (same result).
      if (this.heapCap >= this.capacity) throw new AilakeError('INTERNAL', `WasmBeam.search: the candidate heap overflowed at ${this.heapCap} entries for ${this.capacity} nodes`)
      this.growHeaps(this.heapCap * 2)
    }
  }

  /** Lays the heaps out again for at least `n` entries (at most one per node). */
  private growHeaps(n: number): void {
    const cap = Math.min(this.capacity, n)
    if (cap <= this.heapCap) return
    this.heapCap = cap
    this.end = this.layHeaps()
  }
}
