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
import { kernelError } from './bounds.js'
import type { VectorArena } from './simd.js'
import type { Sq8Block } from './sq8-block.js'

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
  /** Largest squared norm of the rows (0 without norms), for `sq8Query`'s error bound. */
  normMax: number
  /** Byte address just past the rows' capacity. */
  readonly end: number
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
  const sq: Sq8 = { dim, blocks, stride, q16, loAt, invAt, base, capacity, lo, step, norms, normMax: 0, end: base + capacity * stride }
  arena.sq8EncodeRows(vbase * 4, 0, count, dim, loAt, invAt, base, stride)
  if (norms) for (let r = 0; r < count; r++) writeNorm(arena, sq, vbase, r)
  return sq
}

/**
 * Places stored codes (sq8-block.ts) in the arena from f32 element `fromElement`, laid out as
 * `sq8Build` lays out the codes it computes, so the same kernels score them; no f32 vectors
 * are needed. The block's arrays are copied; it can be dropped afterwards.
 */
export function sq8FromBlock(arena: VectorArena, fromElement: number, b: Sq8Block): Sq8 {
  const { dim, rows } = b
  const blocks = Math.ceil(dim / 16)
  const stride = sq8RowBytes(dim)
  const q16 = align64(fromElement * 4)
  const loAt = align64(q16 + blocks * 32)
  const invAt = align64(loAt + dim * 4)
  const base = align64(invAt + dim * 4)
  const end = base + rows * stride
  arena.ensure(Math.ceil(end / 4))
  const bytes = arena.bytes
  bytes.fill(0, q16, base)
  const f32 = arena.f32
  for (let d = 0; d < dim; d++) {
    const s = b.step[d] as number
    f32[(loAt >> 2) + d] = b.lo[d] as number
    f32[(invAt >> 2) + d] = s > 0 ? Math.fround(1 / s) : 0
  }
  // One copy of the codes, then each row moved out to its stride, last first (a row's
  // destination lies past every earlier row's codes), and its padding zeroed: no view per row.
  bytes.set(b.codes.subarray(0, rows * dim), base)
  for (let r = rows - 1; r >= 0; r--) {
    const to = base + r * stride
    if (r > 0) bytes.copyWithin(to, base + r * dim, base + (r + 1) * dim)
    bytes.fill(0, to + dim, to + stride)
  }
  let normMax = 0
  if (b.norms !== undefined) {
    for (let r = 0; r < rows; r++) {
      const n = b.norms[r] as number
      f32[(base + r * stride + blocks * 16) >> 2] = n
      if (n > normMax) normMax = n
    }
  }
  return { dim, blocks, stride, q16, loAt, invAt, base, capacity: rows, lo: b.lo.slice(), step: b.step.slice(), norms: b.norms !== undefined, normMax, end }
}

/** The codes of the first `rows` rows as a storable block (sq8-block.ts). */
export function sq8ToBlock(arena: VectorArena, sq: Sq8, rows: number): Sq8Block {
  const { dim, stride, base, blocks } = sq
  const codes = new Uint8Array(rows * dim)
  for (let r = 0; r < rows; r++) codes.set(arena.bytes.subarray(base + r * stride, base + r * stride + dim), r * dim)
  let norms: Float32Array | undefined
  if (sq.norms) {
    norms = new Float32Array(rows)
    for (let r = 0; r < rows; r++) norms[r] = arena.f32[(base + r * stride + blocks * 16) >> 2] as number
  }
  return { dim, rows, lo: sq.lo.slice(), step: sq.step.slice(), codes, norms }
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
  const stored = f32[(sq.base + id * sq.stride + sq.blocks * 16) >> 2] as number
  if (stored > sq.normMax) sq.normMax = stored
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
 * make `sq8Batch` produce the raw kernel value (a·b for cosine and dot, squared L2 for euclidean),
 * and `error`: a bound on how far a distance scored on the codes may lie from the distance the
 * exact kernels (distance.ts) give for the row's stored vector (see `codeError`).
 */
export function sq8Query(arena: VectorArena, sq: Sq8, qOff: number, euclidean: boolean, cosine: boolean): { alpha: number; beta: number; gamma: number; error: number } {
  const { dim, lo, step, blocks } = sq
  const f32 = arena.f32
  // a·x ≈ Σ q·lo + Σ (q·step)·code; the weights q·step become i16 at a scale that keeps the
  // i32 dot of up to blocks·16 products of 255·|w| below 2^31.
  const wmax = Math.min(32767, Math.floor(0x7fffffff / (blocks * 16 * 255)))
  let c = 0
  let qq = 0
  let big = 0
  let qStep = 0
  let qAbs = 0
  for (let d = 0; d < dim; d++) {
    const q = f32[qOff + d] as number
    const l = lo[d] as number
    const s = step[d] as number
    c += q * l
    qq += q * q
    big = Math.max(big, Math.abs(q * s))
    qStep += Math.abs(q) * s
    qAbs += Math.abs(q) * Math.max(Math.abs(l), Math.abs(l + 255 * s))
  }
  const scale = big > 0 ? big / wmax : 1
  const w = weightsView(arena, sq)
  for (let d = 0; d < dim; d++) w[d] = Math.round(((f32[qOff + d] as number) * (step[d] as number)) / scale)
  const error = codeError({ dim, scale, qStep, qAbs, c, qq, normMax: sq.normMax, euclidean, cosine })
  return euclidean ? { alpha: -2 * scale, beta: qq - 2 * c, gamma: 1, error } : { alpha: scale, beta: c, gamma: 0, error }
}

/**
 * A bound on |distance on the codes - exact distance of the stored vector|, term by term:
 * - each value lies within half a step of its code's value (encoding rounds to nearest; the
 *   f32 roundings of the encoding add under 2^-14 of a step: 0.5002 steps);
 * - each i16 weight is within half a unit (`scale`) of q·step, times a code of at most 255;
 * - the f32 roundings of `sq8Batch` (i32 sum to f32, then three operations) and of the terms
 *   passed to it: 2^-19 of the magnitudes involved;
 * - the exact kernels' own error (bounds.ts `kernelError`), and for cosine the difference
 *   between scoring normalised copies and the exact cosine kernel (as search.ts allows for it).
 * Euclidean doubles the dot terms (the distance has -2 q·x). The sum is widened by 1%.
 */
function codeError(t: { dim: number; scale: number; qStep: number; qAbs: number; c: number; qq: number; normMax: number; euclidean: boolean; cosine: boolean }): number {
  const ke = kernelError(t.dim)
  const quant = 0.5002 * t.qStep + 128 * t.dim * t.scale
  const rounding = 2 ** -19 * (t.qAbs + 255 * t.qStep + Math.abs(t.c) + t.qq + t.normMax + 1)
  const kernel = t.euclidean ? 2 * ke * (t.qq + 2 * t.qAbs + t.normMax) : t.cosine ? 8 * ke + 2 ** -28 + 2 * ke * t.qAbs : 2 * ke * t.qAbs
  return 1.01 * ((t.euclidean ? 2 : 1) * quant + rounding + kernel)
}
