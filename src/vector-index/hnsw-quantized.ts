/**
 * An HNSW index's quantised-search state: SQ8 codes of its vectors (vector/sq8.ts), the current
 * query's weights and affine terms, and in WebAssembly the level-0 beam state (hnsw-beam.ts).
 * Built on the first quantised search; the index drops it when its vectors outgrow it.
 */
import { sq8Build, sq8Encode, sq8Query, sq8RowBytes, type Sq8 } from '../vector/sq8.js'
import type { VectorArena } from '../vector/simd.js'
import { WasmBeam } from './hnsw-beam.js'
import type { MaxHeap } from './heap.js'

/** simd.wat's `beam` mode for SQ8 distances. */
const BEAM_SQ8 = 2

export class QuantizedSearch {
  private readonly sq: Sq8
  private readonly beam: WasmBeam | undefined
  private alpha = 0
  private beta = 0
  private gamma = 0

  /** Codes for the first `count` vectors at element `vbase`, with room for `capacity`; stored after them. */
  constructor(private readonly arena: VectorArena, private readonly vbase: number, dim: number, count: number, capacity: number, M: number, euclidean: boolean) {
    this.sq = sq8Build(arena, vbase, dim, count, capacity, vbase + dim * capacity, euclidean)
    const kernel = arena.beam
    this.beam = kernel === undefined ? undefined : new WasmBeam(arena, kernel, this.sq.base + capacity * this.sq.stride, capacity, 2 * M + 1)
  }

  /** Arena bytes this state takes for an index of `capacity` nodes. */
  static bytesFor(dim: number, capacity: number, M: number, wasm: boolean): number {
    return capacity * sq8RowBytes(dim) + (wasm ? WasmBeam.bytesFor(capacity, 2 * M + 1) : 0)
  }

  /** Rows there is room for. */
  get capacity(): number {
    return this.sq.capacity
  }

  /** Vector `id` was just added (its level-0 links, and its neighbours', changed). */
  added(id: number): void {
    sq8Encode(this.arena, this.sq, this.vbase, id)
    this.beam?.invalidateLinks()
  }

  /** Loads the query at element `qOff`; `batch` then scores against it. */
  prepare(qOff: number, euclidean: boolean): void {
    const t = sq8Query(this.arena, this.sq, qOff, euclidean)
    this.alpha = t.alpha
    this.beta = t.beta
    this.gamma = t.gamma
  }

  /** batchOut[i] = the raw kernel value (a·b, or squared L2) of the query and row batchIds[i], from the codes. */
  batch(m: number): void {
    const sq = this.sq
    this.arena.sq8Batch(sq.q16, m, sq.base, sq.stride, sq.blocks, this.alpha, this.beta, this.gamma)
  }

  /** Runs the level-0 beam search in WebAssembly into `res`; false when this runtime has no wasm beam (use the JS loop). */
  beamSearch(links0: Int32Array, count: number, res: MaxHeap, ep: number, epD: number, ef: number, bits: Uint8Array | null, kind: number): boolean {
    if (this.beam === undefined) return false
    const sq = this.sq
    this.beam.run(links0, count, res, ep, epD, ef, bits, BEAM_SQ8, kind, sq.q16, sq.base, sq.stride, sq.blocks, this.alpha, this.beta, this.gamma)
    return true
  }
}
