/**
 * State for simd.wat's level-0 beam search: a copy of the level-0 neighbour lists, visited
 * stamps, both heaps and an allow-list bitset, all in the index's arena so the whole loop runs
 * in WebAssembly. The JS `searchLayer` stays the reference (and the plain-JS fallback); the two
 * produce identical heaps.
 */
import type { BeamKernel, VectorArena } from '../vector/simd.js'
import type { MaxHeap } from './heap.js'

const CTX_BYTES = 64

export class WasmBeam {
  readonly capacity: number
  private readonly arena: VectorArena
  private readonly kernel: BeamKernel
  private readonly stride0: number
  private readonly ctx: number
  private readonly links: number
  private readonly visited: number
  private readonly resD: number
  private readonly resI: number
  private readonly bits: number
  private gen = 0
  private linksStale = true
  // Views into the arena, re-made only when its memory grows (growing detaches the old buffer).
  private buffer: ArrayBufferLike | undefined
  private ctxView: Int32Array<ArrayBufferLike> = new Int32Array(0)
  private resDView: Float64Array<ArrayBufferLike> = new Float64Array(0)
  private resIView: Int32Array<ArrayBufferLike> = new Int32Array(0)

  /** Lays the state out from byte `from` (after everything else in the arena) for `capacity` nodes. */
  constructor(arena: VectorArena, kernel: BeamKernel, from: number, capacity: number, stride0: number) {
    this.arena = arena
    this.kernel = kernel
    this.capacity = capacity
    this.stride0 = stride0
    const align = (x: number): number => Math.ceil(x / 64) * 64
    this.ctx = align(from)
    this.links = this.ctx + CTX_BYTES
    this.visited = align(this.links + capacity * stride0 * 4)
    const candD = align(this.visited + capacity * 2)
    const candI = align(candD + capacity * 8)
    this.resD = align(candI + capacity * 4)
    this.resI = align(this.resD + capacity * 8)
    this.bits = align(this.resI + capacity * 4)
    const end = this.bits + align(Math.ceil(capacity / 8))
    arena.ensure(Math.ceil(end / 4))
    arena.bytes.fill(0, this.visited, this.visited + capacity * 2)
    const ctx = new Int32Array(arena.bytes.buffer, this.ctx, 8)
    ctx.set([this.links, stride0, this.visited, candD, candI, this.resD, this.resI, 0])
  }

  /** Bytes of arena this state takes. */
  static bytesFor(capacity: number, stride0: number): number {
    return CTX_BYTES + capacity * (stride0 * 4 + 2 + 8 + 4 + 8 + 4) + Math.ceil(capacity / 8) + 7 * 64
  }

  /** The graph's level-0 lists changed (a node was added): copy them again before the next search. */
  invalidateLinks(): void {
    this.linksStale = true
  }

  /**
   * Runs the beam search and leaves its result heap in `res`. `mode`/`q`/`base`/`dim`/`blocks`/
   * `alpha`/`beta`/`gamma` select the kernel as documented in simd.wat; `bits` is the allow-list.
   */
  run(links0: Int32Array, count: number, res: MaxHeap, ep: number, epD: number, ef: number, bits: Uint8Array | null,
    mode: number, kind: number, q: number, base: number, dim: number, blocks: number, alpha: number, beta: number, gamma: number): void {
    const bytes = this.arena.bytes
    if (this.linksStale) {
      new Int32Array(bytes.buffer, this.links, count * this.stride0).set(links0.subarray(0, count * this.stride0))
      this.linksStale = false
    }
    if (++this.gen === 0x10000) {
      bytes.fill(0, this.visited, this.visited + this.capacity * 2)
      this.gen = 1
    }
    if (this.buffer !== bytes.buffer) {
      this.buffer = bytes.buffer
      this.ctxView = new Int32Array(bytes.buffer, this.ctx, 8)
      this.resDView = new Float64Array(bytes.buffer, this.resD, this.capacity)
      this.resIView = new Int32Array(bytes.buffer, this.resI, this.capacity)
    }
    const ctx = this.ctxView
    if (bits === null) ctx[7] = 0
    else {
      const n = Math.ceil(count / 8)
      bytes.fill(0, this.bits, this.bits + n)
      bytes.set(bits.length > n ? bits.subarray(0, n) : bits, this.bits)
      ctx[7] = this.bits
    }
    const size = this.kernel(this.ctx, ep, epD, ef, this.gen, mode, kind, q, base, dim, blocks, alpha, beta, gamma)
    res.load(this.resDView, this.resIView, size)
  }
}
