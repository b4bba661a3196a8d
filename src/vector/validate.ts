/**
 * Input validation for vectors entering ailake: right dimension, finite values, and a flat
 * Float32Array layout (never widened to float64) for everything downstream.
 */
import { AilakeError, invalid } from '../errors.js'

/** Flat row-major vectors: `count` rows of `dim` values in one Float32Array. */
export interface FlatVectors {
  flat: Float32Array
  dim: number
  count: number
}

function checkDim(dim: number, what: string): void {
  if (!Number.isSafeInteger(dim) || dim <= 0) {
    throw invalid(`${what}: dimension must be a positive integer, got ${dim}`, { what, dim })
  }
}

/**
 * Largest squared L2 norm accepted (norm < 2^62, about 4.6e18): the f32 distance kernels then
 * never overflow, since |a·b| <= |a||b| < 2^124 and |a - b|^2 < 2^126, both below the f32 maximum.
 */
export const MAX_NORM2 = 2 ** 124

/**
 * Checks that `flat` holds whole rows of `dim` values, that every value is finite and that
 * every row's norm is below 2^62 (`MAX_NORM2`). Throws `DIMENSION_MISMATCH` when the length is
 * not a multiple of `dim`, and `INVALID_ARGUMENT` naming the first offending row.
 */
export function validateVectors(flat: Float32Array, dim: number, what: string): void {
  checkDim(dim, what)
  if (flat.length % dim !== 0) {
    throw new AilakeError('DIMENSION_MISMATCH', `${what}: ${flat.length} values are not a whole number of ${dim}-dimensional vectors; check the vector dimension`, {
      context: { what, length: flat.length, dim },
    })
  }
  for (let off = 0; off < flat.length; off += dim) {
    let s = 0
    for (let i = off; i < off + dim; i++) {
      const x = flat[i] as number
      s += x * x
    }
    // NaN and ±Infinity make s NaN or Infinity: one test per row for the common case.
    if (s < MAX_NORM2) continue
    const row = off / dim
    for (let i = off; i < off + dim; i++) {
      // x - x is 0 for finite x and NaN for NaN/±Infinity.
      const x = flat[i] as number
      if (x - x !== 0) {
        throw invalid(`${what}: vector ${row} has ${x} at position ${i - off}; vectors must contain only finite numbers`, {
          what, row, position: i - off, value: String(x),
        })
      }
    }
    throw invalid(`${what}: vector ${row} has norm ${Math.sqrt(s).toExponential(3)}; norms must stay below 2^62 (about 4.6e18) for f32 distances to stay finite, so scale the vectors down`, {
      what, row, norm: Math.sqrt(s),
    })
  }
}

/**
 * Converts `Float32Array[]`, `number[][]` or one flat `Float32Array` (then `dim` is required)
 * into one validated flat Float32Array. An empty list gives `count = 0` (with `dim` as given, or 0).
 * Rows of `number[]` are written straight into float32 storage; nothing is widened to float64.
 */
export function toFlat(vectors: Float32Array[] | number[][] | Float32Array, dim?: number): FlatVectors {
  const what = 'vectors'
  if (vectors instanceof Float32Array) {
    if (dim === undefined) throw invalid('vectors: a flat Float32Array needs the dimension; pass { dim }', { what })
    validateVectors(vectors, dim, what)
    return { flat: vectors, dim, count: vectors.length / dim }
  }
  if (!Array.isArray(vectors)) {
    throw invalid('vectors: expected Float32Array[], number[][] or one flat Float32Array', { what, type: typeof vectors })
  }
  const count = vectors.length
  if (count === 0) {
    if (dim !== undefined) checkDim(dim, what)
    return { flat: new Float32Array(0), dim: dim ?? 0, count: 0 }
  }
  const first = vectors[0]
  const d = dim ?? (first === undefined ? 0 : first.length)
  checkDim(d, what)
  const flat = new Float32Array(count * d)
  for (let r = 0; r < count; r++) {
    const row = vectors[r]
    if (!(row instanceof Float32Array) && !Array.isArray(row)) {
      throw invalid(`vectors: row ${r} is not a Float32Array or number[]`, { what, row: r })
    }
    if (row.length !== d) {
      throw new AilakeError('DIMENSION_MISMATCH', `vectors: row ${r} has ${row.length} dimensions but ${d} are expected`, {
        context: { what, row: r, got: row.length, expected: d },
      })
    }
    flat.set(row, r * d)
  }
  validateVectors(flat, d, what)
  return { flat, dim: d, count }
}
