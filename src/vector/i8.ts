/**
 * Per-vector affine int8 quantisation that can be decoded back (the original system discarded
 * the scale and offset, so its i8 files could not be re-ranked or compacted).
 *
 * For a vector with minimum `lo` and maximum `hi`:
 *   offset = (lo + hi) / 2, scale = (hi - lo) / 254, code = round((v - offset) / scale) ∈ [-127, 127]
 * and the decoded value is `offset + scale * code`. Error bound per element:
 *   |v - decoded| <= scale / 2 + 2^-20 * max(|lo|, |hi|)
 * (half a quantisation step, plus float32 rounding of offset and scale). A constant vector has
 * scale 0 and decodes exactly.
 */
import { invalid } from '../errors.js'

export interface I8Quantized {
  /** `count * dim` codes, row-major. */
  codes: Int8Array
  /** One scale per vector. */
  scales: Float32Array
  /** One offset per vector. */
  offsets: Float32Array
}

function checkDim(length: number, dim: number): number {
  if (!Number.isInteger(dim) || dim <= 0) throw invalid(`dim must be a positive integer, got ${dim}`, { dim })
  if (length % dim !== 0) {
    throw invalid(`vector data has ${length} values, which is not a multiple of dim ${dim}`, { length, dim })
  }
  return length / dim
}

/**
 * Quantises `flat` (count × dim, finite values) to int8 codes with one scale and offset per vector.
 */
export function quantizeI8(flat: Float32Array, dim: number): I8Quantized {
  const count = checkDim(flat.length, dim)
  const codes = new Int8Array(flat.length)
  const scales = new Float32Array(count)
  const offsets = new Float32Array(count)
  for (let r = 0; r < count; r++) {
    const base = r * dim
    let lo = Infinity
    let hi = -Infinity
    for (let j = 0; j < dim; j++) {
      const v = flat[base + j] as number
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    const offset = Math.fround((lo + hi) / 2)
    const scale = Math.fround((hi - lo) / 254)
    offsets[r] = offset
    scales[r] = scale
    if (scale === 0 || !Number.isFinite(scale)) {
      scales[r] = 0
      continue
    }
    if (encodeRow(flat, base, dim, offset, scale, codes) < scale * 0.05) {
      // The values are (almost) decoded i8 already: find the offset and scale they decode from,
      // a few f32 steps away, so re-encoding a stored vector (an index build reading its file
      // back, a compaction) stores exactly the same vector.
      const exact = snapToStored(flat, base, dim, offset, scale, codes)
      if (exact !== undefined) {
        offsets[r] = exact.offset
        scales[r] = exact.scale
      } else encodeRow(flat, base, dim, offset, scale, codes)
    }
  }
  return { codes, scales, offsets }
}

/** Writes the codes of one row for `offset`/`scale`; returns the largest decode error. */
function encodeRow(flat: Float32Array, base: number, dim: number, offset: number, scale: number, codes: Int8Array): number {
  const inv = 1 / scale
  let err = 0
  for (let j = 0; j < dim; j++) {
    const v = flat[base + j] as number
    let c = Math.round((v - offset) * inv)
    if (c > 127) c = 127
    else if (c < -127) c = -127
    codes[base + j] = c
    const e = Math.abs(Math.fround(offset + scale * c) - v)
    if (e > err) err = e
  }
  return err
}

/** Whether the row's values are exactly `offset + scale * code` for codes in [-127, 127] (stops at the first miss). */
function decodesExactly(flat: Float32Array, base: number, dim: number, offset: number, scale: number): boolean {
  const inv = 1 / scale
  for (let j = 0; j < dim; j++) {
    const v = flat[base + j] as number
    const c = Math.round((v - offset) * inv)
    if (c > 127 || c < -127 || Math.fround(offset + scale * c) !== v) return false
  }
  return true
}

const bits = new Float32Array(1)
const bitsInt = new Int32Array(bits.buffer)

/** The spacing of f32 values at `x` (its unit in the last place). */
function ulpF32(x: number): number {
  bits[0] = Math.abs(x)
  const a = bits[0] as number
  bitsInt[0] = (bitsInt[0] as number) + 1
  return (bits[0] as number) - a
}

/**
 * The offset and scale a row of decoded i8 values decodes from, if there is one near the given
 * pair: each value d = fround(o + s * c) pins o to within half an f32 step of d - s * c, so for
 * each scale a few steps around `scale` the offsets all elements allow form an interval, and a
 * value inside it is tried. Finds the original pair of a decoded row, so re-encoding a stored
 * vector (an update, a compaction) stores exactly the same vector. Rows whose offset exceeds
 * ~1,000 times their range (i8 steps finer than f32 resolves) may not be found; the search
 * tries at most 4,096 scales.
 */
function snapToStored(flat: Float32Array, base: number, dim: number, offset: number, scale: number, codes: Int8Array): { offset: number; scale: number } | undefined {
  // The extremes (codes -127 and 127) pin the scale to an interval of f32 values as well.
  let vMin = Infinity
  let vMax = -Infinity
  for (let j = 0; j < dim; j++) {
    const v = flat[base + j] as number
    if (v < vMin) vMin = v
    if (v > vMax) vMax = v
  }
  const slack = (ulpF32(vMin) + ulpF32(vMax)) / 2
  const first = Math.fround(Math.max(0, (vMax - vMin - slack) / 254))
  const last = (vMax - vMin + slack) / 254
  const su = ulpF32(scale)
  for (let sc = first > 0 ? first : Math.fround(scale), n = 0; sc <= last + su && n < 4096; sc = Math.fround(sc + ulpF32(sc)), n++) {
    if (!(sc > 0) || !Number.isFinite(sc)) continue
    let lo = -Infinity
    let hi = Infinity
    for (let j = 0; j < dim; j++) {
      const v = flat[base + j] as number
      const rest = v - sc * (codes[base + j] as number)
      const half = ulpF32(v) / 2
      if (rest - half > lo) lo = rest - half
      if (rest + half < hi) hi = rest + half
    }
    if (lo > hi) continue
    for (const candidate of [Math.fround((lo + hi) / 2), Math.fround(lo), Math.fround(hi), offset]) {
      if (decodesExactly(flat, base, dim, candidate, sc)) {
        encodeRow(flat, base, dim, candidate, sc, codes)
        return { offset: candidate, scale: sc }
      }
    }
  }
  return undefined
}

/**
 * Decodes int8 codes back to float32: `offset[r] + scale[r] * code`.
 *
 * @param out optional destination of at least `codes.length` entries
 */
export function dequantizeI8(
  codes: Int8Array, scales: Float32Array, offsets: Float32Array, dim: number,
  out: Float32Array = new Float32Array(codes.length),
): Float32Array {
  const count = checkDim(codes.length, dim)
  if (scales.length < count || offsets.length < count) {
    throw invalid(`dequantizeI8: ${count} vectors need ${count} scales and offsets, got ${scales.length} and ${offsets.length}`)
  }
  if (out.length < codes.length) throw invalid(`dequantizeI8: out has ${out.length} entries, need ${codes.length}`)
  for (let r = 0; r < count; r++) {
    const s = scales[r] as number
    const o = offsets[r] as number
    const base = r * dim
    for (let j = 0; j < dim; j++) out[base + j] = o + s * (codes[base + j] as number)
  }
  return out
}

/** The documented worst-case absolute error of one element of a vector with range [lo, hi]. */
export function i8ErrorBound(lo: number, hi: number): number {
  return (hi - lo) / 508 + 2 ** -20 * Math.max(Math.abs(lo), Math.abs(hi))
}
