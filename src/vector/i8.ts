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
    const inv = 1 / scale
    for (let j = 0; j < dim; j++) {
      let c = Math.round(((flat[base + j] as number) - offset) * inv)
      if (c > 127) c = 127
      else if (c < -127) c = -127
      codes[base + j] = c
    }
  }
  return { codes, scales, offsets }
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
