/**
 * An HNSW index's search state on stored PQ codes (vector/pq.ts): the codes in the arena, laid
 * out for simd.wat's `pqBatch`, and per query a lookup table of each code's term. Only indexes
 * restored from a file's codes use it (HnswIndex.fromCodes); they traverse on the codes and
 * hand their candidates, with a sound interval for each exact distance, to the caller to
 * re-score on the exact vectors.
 */
import { kernelError } from '../vector/bounds.js'
import type { PqBlock } from '../vector/pq-block.js'
import type { VectorArena } from '../vector/simd.js'
import { BEAM_PQ, type WasmBeam } from './hnsw-beam.js'
import type { MaxHeap } from './heap.js'
import type { CodeSearch } from './hnsw-quantized.js'

const align64 = (x: number): number => Math.ceil(x / 64) * 64
/** Bytes of one sub-vector's terms in the lookup table (256 f32, whatever the codebook size). */
const LUT_STRIDE = 1024

export class PqSearch implements CodeSearch {
  private readonly m4: number
  private readonly lutAt: number
  private readonly base: number
  readonly end: number
  /** Per sub-vector, the largest centroid norm squared: bounds a reconstruction's norm. */
  private readonly hatNorm: number
  private kind = 0
  private qNorm = 0
  /** Bound on the f32 rounding of a code distance for the current query. */
  private slack = 0
  private readonly ke: number

  /** Places the block's codes in the arena from f32 element `fromElement`. */
  constructor(private readonly arena: VectorArena, fromElement: number, private readonly block: PqBlock) {
    const { m, dim } = block.book
    this.m4 = Math.ceil(m / 4) * 4
    this.lutAt = align64(fromElement * 4)
    this.base = align64(this.lutAt + this.m4 * LUT_STRIDE)
    this.end = this.base + block.rows * this.m4
    arena.ensure(Math.ceil(this.end / 4))
    const bytes = arena.bytes
    // Padding sub-vectors score 0 for their code 0, and their codes are 0.
    bytes.fill(0, this.lutAt, this.end)
    if (this.m4 === m) bytes.set(block.codes, this.base)
    else for (let r = 0; r < block.rows; r++) bytes.set(block.codes.subarray(r * m, (r + 1) * m), this.base + r * this.m4)
    this.hatNorm = Math.sqrt(maxCentroidNorms(block))
    this.ke = kernelError(dim)
  }

  /** Bytes this state holds outside the arena (the codebook and residual bounds). */
  get heapBytes(): number {
    return this.block.book.centroids.byteLength + this.block.residuals.byteLength
  }

  /** Fills the lookup table for the query at element `qOff` (normalised already for cosine). */
  prepare(qOff: number, euclidean: boolean, cosine: boolean): void {
    const { m, k, starts, centroids } = this.block.book
    const f32 = this.arena.f32
    const lut = this.lutAt >> 2
    this.kind = euclidean ? 0 : cosine ? 1 : 2
    let qq = 0
    let termMax = 0
    for (let j = 0; j < m; j++) {
      const s0 = starts[j] as number
      const w = (starts[j + 1] as number) - s0
      const row = lut + j * 256
      let biggest = 0
      for (let c = 0; c < k; c++) {
        const at = k * s0 + c * w
        let t = 0
        for (let x = 0; x < w; x++) {
          const q = f32[qOff + s0 + x] as number
          const v = centroids[at + x] as number
          t += euclidean ? (q - v) * (q - v) : q * v
        }
        f32[row + c] = t
        biggest = Math.max(biggest, Math.abs(f32[row + c] as number))
      }
      termMax += biggest
      for (let x = 0; x < w; x++) qq += (f32[qOff + s0 + x] as number) ** 2
    }
    this.qNorm = Math.sqrt(qq)
    // Each term rounds once to f32, and the sums of simd.wat's pqBatch chain at most m/4 + 2 adds.
    this.slack = termMax * (this.m4 / 4 + 4) * 2 ** -23
  }

  batch(m: number): void {
    this.arena.pqBatch(this.lutAt, m, this.base, this.m4, this.m4)
  }

  beamSearch(beam: WasmBeam, count: number, res: MaxHeap, ep: number, epD: number, ef: number, bits: Uint8Array | null, kind: number): void {
    beam.run(count, res, ep, epD, ef, bits, BEAM_PQ, kind, this.lutAt, this.base, this.m4, this.m4, 0, 0, 0)
  }

  /**
   * Where row `id`'s exact distance lies, given its code distance `d`: the row is within its
   * residual bound `r` of its reconstruction, so for euclidean its distance's square root moves
   * by at most `r`, and for dot and cosine the product moves by at most |q|·r. Widened by the
   * roundings of the table, the sums and the exact kernel, then by 1%.
   */
  interval(id: number, d: number, out: Float64Array): void {
    const b = this.block
    const r = b.residualMax * ((b.residuals[id] as number) / 255) * (1 + 1e-9)
    if (this.kind === 0) {
      const lo = Math.max(0, Math.sqrt(Math.max(0, d - this.slack)) - r)
      const hi = Math.sqrt(d + this.slack) + r
      out[0] = lo * lo * (1 - 2 * this.ke) * 0.99
      out[1] = hi * hi * (1 + 2 * this.ke) * 1.01 + 2 ** -120
      return
    }
    const q = this.qNorm
    const kernel = this.kind === 1 ? 10 * this.ke + 2 ** -28 : 2 * this.ke * q * (this.hatNorm + r)
    const e = 1.01 * (q * r + this.slack + kernel) + 2 ** -120
    out[0] = d - e
    out[1] = d + e
  }
}

/** The sum over sub-vectors of the largest squared centroid norm: a bound on any reconstruction's squared norm. */
function maxCentroidNorms(b: PqBlock): number {
  const { m, k, starts, centroids } = b.book
  let total = 0
  for (let j = 0; j < m; j++) {
    const s0 = starts[j] as number
    const w = (starts[j + 1] as number) - s0
    let most = 0
    for (let c = 0; c < k; c++) {
      let s = 0
      for (let x = 0; x < w; x++) s += (centroids[k * s0 + c * w + x] as number) ** 2
      most = Math.max(most, s)
    }
    total += most
  }
  return total
}
