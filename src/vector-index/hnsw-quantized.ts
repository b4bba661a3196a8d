/**
 * An HNSW index's quantised-search state: SQ8 codes of its vectors (vector/sq8.ts) and the
 * current query's weights and affine terms; in WebAssembly the level-0 beam search runs on them
 * (hnsw-beam.ts). Built on the first quantised search; the index drops it when its vectors
 * outgrow it.
 */
import { sq8Build, sq8Encode, sq8FromBlock, sq8Query, sq8RowBytes, sq8ToBlock, type Sq8 } from '../vector/sq8.js'
import type { Sq8Block } from '../vector/sq8-block.js'
import type { VectorArena } from '../vector/simd.js'
import { BEAM_SQ8, type WasmBeam } from './hnsw-beam.js'
import type { MaxHeap } from './heap.js'

/** What a search on codes needs of them: SQ8 (here) or PQ (hnsw-pq.ts). */
export interface CodeSearch {
  /** Byte address just past the state in the arena. */
  readonly end: number
  /** Loads the query at element `qOff`; `batch` then scores against it. */
  prepare(qOff: number, euclidean: boolean, cosine: boolean): void
  /** batchOut[i] = the raw kernel value (a·b, or squared L2) of the query and row batchIds[i], from the codes. */
  batch(m: number): void
  /** Runs `beam`'s level-0 search on the codes into `res`. */
  beamSearch(beam: WasmBeam, count: number, res: MaxHeap, ep: number, epD: number, ef: number, bits: Uint8Array | null, kind: number): void
  /** out[0], out[1] = bounds on row `id`'s exact distance, given its code distance `d`. */
  interval(id: number, d: number, out: Float64Array): void
  /** Bytes held outside the arena. */
  readonly heapBytes: number
}

export class QuantizedSearch implements CodeSearch {
  private readonly sq: Sq8
  private alpha = 0
  private beta = 0
  private gamma = 0
  /** Bound on |code distance - exact distance| for the current query (sq8.ts `sq8Query`). */
  error = 0

  private constructor(private readonly arena: VectorArena, private readonly vbase: number, sq: Sq8) {
    this.sq = sq
  }

  /** Codes for the first `count` vectors at element `vbase`, with room for `capacity`, stored from element `from`. */
  static build(arena: VectorArena, vbase: number, dim: number, count: number, capacity: number, from: number, euclidean: boolean): QuantizedSearch {
    return new QuantizedSearch(arena, vbase, sq8Build(arena, vbase, dim, count, capacity, from, euclidean))
  }

  /** Stored codes placed from element `from`; the arena holds no vectors (`added` must not be called). */
  static fromBlock(arena: VectorArena, from: number, block: Sq8Block): QuantizedSearch {
    return new QuantizedSearch(arena, -1, sq8FromBlock(arena, from, block))
  }

  /** The codes of the first `rows` rows, to store. */
  toBlock(rows: number): Sq8Block {
    return sq8ToBlock(this.arena, this.sq, rows)
  }

  /** Byte address just past the codes. */
  get end(): number {
    return this.sq.end
  }

  /** Arena bytes this state takes for an index of `capacity` nodes. */
  static bytesFor(dim: number, capacity: number): number {
    return capacity * sq8RowBytes(dim)
  }

  /** Rows there is room for. */
  get capacity(): number {
    return this.sq.capacity
  }

  /** Vector `id` was just added: encode it. */
  added(id: number): void {
    sq8Encode(this.arena, this.sq, this.vbase, id)
  }

  readonly heapBytes = 0

  /** The exact distance lies within `error` of the code distance. */
  interval(_id: number, d: number, out: Float64Array): void {
    out[0] = d - this.error
    out[1] = d + this.error
  }

  /** Loads the query at element `qOff`; `batch` then scores against it. */
  prepare(qOff: number, euclidean: boolean, cosine: boolean): void {
    const t = sq8Query(this.arena, this.sq, qOff, euclidean, cosine)
    this.alpha = t.alpha
    this.beta = t.beta
    this.gamma = t.gamma
    this.error = t.error
  }

  /** batchOut[i] = the raw kernel value (a·b, or squared L2) of the query and row batchIds[i], from the codes. */
  batch(m: number): void {
    const sq = this.sq
    this.arena.sq8Batch(sq.q16, m, sq.base, sq.stride, sq.blocks, this.alpha, this.beta, this.gamma)
  }

  /** Runs `beam`'s level-0 search on the codes into `res`. */
  beamSearch(beam: WasmBeam, count: number, res: MaxHeap, ep: number, epD: number, ef: number, bits: Uint8Array | null, kind: number): void {
    const sq = this.sq
    beam.run(count, res, ep, epD, ef, bits, BEAM_SQ8, kind, sq.q16, sq.base, sq.stride, sq.blocks, this.alpha, this.beta, this.gamma)
  }
}
