/**
 * An HNSW index's search state on stored PQ codes (vector/pq.ts): the codes in the arena, laid
 * out for simd.wat's `pqBatch`, and per query a lookup table of each code's term. Only indexes
 * restored from a file's codes use it (HnswIndex.fromCodes); they traverse on the codes and
 * hand their candidates, with a sound interval for each exact distance, to the caller to
 * re-score on the exact vectors.
 */
import { kernelError } from '../vector/bounds.js'
import type { PqBlock } from '../vector/pq-block.js'
import { maxWidth } from '../vector/pq.js'
import type { VectorArena } from '../vector/simd.js'
import { BEAM_PQ, type WasmBeam } from './hnsw-beam.js'
import type { MaxHeap } from './heap.js'
import type { CodeSearch } from './hnsw-quantized.js'

const align64 = (x: number): number => Math.ceil(x / 64) * 64
/** Bytes of one sub-vector's terms in the lookup table (256 f32, whatever the codebook size). */
const LUT_STRIDE = 1024

export class PqSearch implements CodeSearch {
  private readonly m: number
  private readonly m4: number
  private readonly k4: number
  private readonly starts: Int32Array
  private readonly lutAt: number
  /** The codebook transposed per sub-vector (pqScores' layout), their squared norms, zeros, scratch. */
  private readonly ctAt: number
  private readonly cnAt: number
  private readonly zerosAt: number
  private readonly xsAt: number
  private readonly base: number
  readonly end: number
  private readonly residuals: Uint8Array
  private readonly residualMax: number
  /** Per sub-vector, the largest squared centroid norm. */
  private readonly cmax: Float64Array
  /** Bound on a reconstruction's norm. */
  private readonly hatNorm: number
  private readonly ke: number
  private kind = 0
  private qNorm = 0
  /** Bound on the f32 rounding of a code distance for the current query. */
  private slack = 0

  /** Places the block's codebook and codes in the arena from f32 element `fromElement`. */
  constructor(private readonly arena: VectorArena, fromElement: number, block: PqBlock) {
    const { m, k, dim, starts, centroids } = block.book
    this.m = m
    this.m4 = Math.ceil(m / 4) * 4
    this.k4 = Math.ceil(k / 4) * 4
    this.starts = starts
    this.lutAt = align64(fromElement * 4)
    this.ctAt = align64(this.lutAt + this.m4 * LUT_STRIDE)
    this.cnAt = align64(this.ctAt + 4 * this.k4 * dim)
    this.zerosAt = align64(this.cnAt + 4 * this.k4 * m)
    this.xsAt = align64(this.zerosAt + 4 * this.k4)
    this.base = align64(this.xsAt + 16 * maxWidth(starts))
    this.end = this.base + block.rows * this.m4
    arena.ensure(Math.ceil(this.end / 4))
    const bytes = arena.bytes
    // Padding sub-vectors score 0 for their code 0, and their codes are 0; padding centroids are zero.
    bytes.fill(0, this.lutAt, this.end)
    if (this.m4 === m) bytes.set(block.codes, this.base)
    else for (let r = 0; r < block.rows; r++) bytes.set(block.codes.subarray(r * m, (r + 1) * m), this.base + r * this.m4)
    const f32 = arena.f32
    this.cmax = new Float64Array(m)
    for (let j = 0; j < m; j++) {
      const s0 = starts[j] as number
      const w = (starts[j + 1] as number) - s0
      const ct = (this.ctAt >> 2) + this.k4 * s0
      for (let c = 0; c < k; c++) {
        let n2 = 0
        for (let t = 0; t < w; t++) {
          const v = centroids[k * s0 + c * w + t] as number
          f32[ct + t * this.k4 + c] = v
          n2 += v * v
        }
        f32[(this.cnAt >> 2) + j * this.k4 + c] = n2
        this.cmax[j] = Math.max(this.cmax[j] as number, n2)
      }
    }
    this.hatNorm = Math.sqrt(this.cmax.reduce((a, b) => a + b, 0))
    this.residuals = block.residuals.slice()
    this.residualMax = block.residualMax
    this.ke = kernelError(dim)
  }

  /** Bytes this state holds outside the arena (the residual bounds). */
  get heapBytes(): number {
    return this.residuals.byteLength
  }

  /**
   * Fills the lookup table for the query at element `qOff` (normalised already for cosine): per
   * sub-vector and centroid, the squared distance (euclidean) or the product, in simd.wat's pqScores.
   */
  prepare(qOff: number, euclidean: boolean, cosine: boolean): void {
    const { m, k4, starts, arena } = this
    this.kind = euclidean ? 0 : cosine ? 1 : 2
    let qq = 0
    let lutError = 0
    for (let j = 0; j < m; j++) {
      const s0 = starts[j] as number
      const w = (starts[j + 1] as number) - s0
      let qj = 0
      for (let t = 0; t < w; t++) qj += (arena.f32[qOff + s0 + t] as number) ** 2
      qq += qj
      arena.pqScores(4 * (qOff + s0), w, this.ctAt + 4 * k4 * s0, k4, euclidean ? this.cnAt + 4 * k4 * j : this.zerosAt, this.xsAt,
        this.lutAt + j * LUT_STRIDE, euclidean ? qj : 0, euclidean ? 1 : -0.5)
      // Each term's rounding: the f32 steps of pqScores over |x|^2 + |c|^2 + 2|x||c| at most.
      lutError += (w + 4) * 2 ** -24 * (Math.sqrt(qj) + Math.sqrt(this.cmax[j] as number)) ** 2
    }
    const f32 = arena.f32
    let termMax = 0
    for (let j = 0; j < m; j++) {
      let biggest = 0
      for (let c = 0, at = (this.lutAt >> 2) + j * 256; c < k4; c++) biggest = Math.max(biggest, Math.abs(f32[at + c] as number))
      termMax += biggest
    }
    this.qNorm = Math.sqrt(qq)
    // pqBatch's four chains add at most m4/4 + 2 times; doubled for the first-order bounds.
    this.slack = 2 * (lutError + termMax * (this.m4 / 4 + 2) * 2 ** -24)
  }

  batch(n: number): void {
    this.arena.pqBatch(this.lutAt, n, this.base, this.m4, this.m4)
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
    const r = this.residualMax * ((this.residuals[id] as number) / 255) * (1 + 1e-9)
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
