/**
 * Scalar quantisation (SQ8) of an arena's vectors for graph traversal: each dimension is mapped
 * linearly from its [min, max] over the data onto 0..255. A traversal distance then reads
 * `16·ceil(dim/16) + 16` bytes per row instead of `4·dim`, which is what a search over indexes
 * larger than the CPU cache waits on. Results are re-scored on the exact f32 vectors, so the
 * codes only steer which nodes are visited.
 *
 * Layout (bytes, in the same arena as the f32 vectors so one kernel call reads both; every part
 * starts on a 64-byte cache line, so a 128-byte row touches two lines, not three):
 *   q16: blocks × 16 i16 query weights (zero past dim)
 *   lo, hi, inv: dim f32 each (code ranges; hi only while building)
 *   rows: capacity × stride, each blocks × 16 u8 codes (zero past dim), then (euclidean only)
 *         the row's squared norm as f32, padded to a multiple of 16.
 */
import type { VectorArena } from './simd.js'

export interface Sq8 {
  readonly dim: number
  readonly blocks: number
  readonly stride: number
  /** Byte address of the query weights. */
  readonly q16: number
  /** Byte addresses of the per-dimension code ranges in the arena (dim f32 each): value of code 0, and 1 / step. */
  readonly loAt: number
  readonly invAt: number
  /** Byte address of row 0. */
  readonly base: number
  /** Rows there is room for. */
  readonly capacity: number
  /** Per dimension: value of code 0, and value step per code. */
  readonly lo: Float32Array
  readonly step: Float32Array
  /** Rows carry their squared norm (euclidean needs it; dot and cosine do not). */
  readonly norms: boolean
}

/** Bytes one row takes (codes, norm, padding). */
export function sq8RowBytes(dim: number): number {
  return 16 * Math.ceil(dim / 16) + 16
}

const align64 = (x: number): number => Math.ceil(x / 64) * 64

/**
 * Places SQ8 storage for `capacity` rows at or after f32 element `fromElement`, learns the code
 * ranges from the first `count` vectors at element `vbase`, encodes them, and returns the layout.
 * Grows the arena as needed (re-read its views afterwards). The range and code passes run in
 * the arena's kernels (WebAssembly: ~10x the JS loops, which cost ~9 ms per 10k x 100-d file on
 * every cold search).
 */
export function sq8Build(arena: VectorArena, vbase: number, dim: number, count: number, capacity: number, fromElement: number, norms: boolean): Sq8 {
  const blocks = Math.ceil(dim / 16)
  const stride = sq8RowBytes(dim)
  const q16 = align64(fromElement * 4)
  const loAt = align64(q16 + blocks * 32)
  const hiAt = align64(loAt + dim * 4)
  const invAt = align64(hiAt + dim * 4)
  const base = align64(invAt + dim * 4)
  arena.ensure(Math.ceil((base + capacity * stride) / 4))
  arena.bytes.fill(0, q16, base + capacity * stride)
  let f32 = arena.f32
  f32.fill(Infinity, loAt >> 2, (loAt >> 2) + dim)
  f32.fill(-Infinity, hiAt >> 2, (hiAt >> 2) + dim)
  arena.sq8MinMax(vbase * 4, count, dim, loAt, hiAt)
  f32 = arena.f32
  const lo = new Float32Array(dim)
  const step = new Float32Array(dim)
  for (let d = 0; d < dim; d++) {
    const l = count === 0 ? 0 : f32[(loAt >> 2) + d] as number
    const s = count === 0 ? 0 : Math.fround(((f32[(hiAt >> 2) + d] as number) - l) / 255)
    lo[d] = l
    step[d] = s
    f32[(loAt >> 2) + d] = l
    f32[(invAt >> 2) + d] = s > 0 ? Math.fround(1 / s) : 0
  }
  const sq: Sq8 = { dim, blocks, stride, q16, loAt, invAt, base, capacity, lo, step, norms }
  arena.sq8EncodeRows(vbase * 4, 0, count, dim, loAt, invAt, base, stride)
  if (norms) for (let r = 0; r < count; r++) writeNorm(arena, sq, vbase, r)
  return sq
}

/** Encodes row `id` (f32 at element `vbase + id·dim`); values outside the learned range clamp. */
export function sq8Encode(arena: VectorArena, sq: Sq8, vbase: number, id: number): void {
  arena.sq8EncodeRows(vbase * 4, id, id + 1, sq.dim, sq.loAt, sq.invAt, sq.base, sq.stride)
  if (sq.norms) writeNorm(arena, sq, vbase, id)
}

function writeNorm(arena: VectorArena, sq: Sq8, vbase: number, id: number): void {
  const f32 = arena.f32
  const o = vbase + id * sq.dim
  let norm = 0
  for (let d = 0; d < sq.dim; d++) {
    const v = f32[o + d] as number
    norm += v * v
  }
  f32[(sq.base + id * sq.stride + sq.blocks * 16) >> 2] = norm
}

const views = new WeakMap<Sq8, Int16Array>()

/** The i16 weights as a view, kept until the arena's memory grows; the padding stays zero from sq8Build. */
function weightsView(arena: VectorArena, sq: Sq8): Int16Array {
  let w = views.get(sq)
  if (w === undefined || w.buffer !== arena.bytes.buffer) {
    w = new Int16Array(arena.bytes.buffer, sq.q16, sq.blocks * 16)
    views.set(sq, w)
  }
  return w
}

/**
 * Writes the query weights for the f32 query at element `qOff` and returns the affine terms that
 * make `sq8Batch` produce the raw kernel value (a·b for cosine and dot, squared L2 for euclidean).
 */
export function sq8Query(arena: VectorArena, sq: Sq8, qOff: number, euclidean: boolean): { alpha: number; beta: number; gamma: number } {
  const { dim, lo, step, blocks } = sq
  const f32 = arena.f32
  // a·x ≈ Σ q·lo + Σ (q·step)·code; the weights q·step become i16 at a scale that keeps the
  // i32 dot of up to blocks·16 products of 255·|w| below 2^31.
  const wmax = Math.min(32767, Math.floor(0x7fffffff / (blocks * 16 * 255)))
  let c = 0
  let qq = 0
  let big = 0
  for (let d = 0; d < dim; d++) {
    const q = f32[qOff + d] as number
    c += q * (lo[d] as number)
    qq += q * q
    big = Math.max(big, Math.abs(q * (step[d] as number)))
  }
  const scale = big > 0 ? big / wmax : 1
  const w = weightsView(arena, sq)
  for (let d = 0; d < dim; d++) w[d] = Math.round(((f32[qOff + d] as number) * (step[d] as number)) / scale)
  return euclidean ? { alpha: -2 * scale, beta: qq - 2 * c, gamma: 1 } : { alpha: scale, beta: c, gamma: 0 }
}
