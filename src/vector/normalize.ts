/**
 * L2 normalisation. Cosine indexes store unit vectors so their hot loop is a plain dot product
 * (cosine distance = 1 - a·b). A vector without a direction (zero, or a squared norm below
 * `COSINE_MIN_NORM2`) becomes zero, so its cosine distance to everything is exactly 1 there too,
 * as in `distance()`.
 */
import { COSINE_MIN_NORM2, dot } from './distance.js'

/** A unit-length copy of `v` (a vector without a direction gives a zero copy). */
export function normalize(v: Float32Array): Float32Array {
  const out = new Float32Array(v)
  normalizeInPlace(out, out.length)
  return out
}

/** Normalises each `dim`-long row of `flat` in place. */
export function normalizeInPlace(flat: Float32Array, dim: number): void {
  if (dim <= 0) return
  for (let off = 0; off + dim <= flat.length; off += dim) {
    const n2 = dot(flat, off, flat, off, dim)
    if (!(n2 >= COSINE_MIN_NORM2)) {
      flat.fill(0, off, off + dim)
      continue
    }
    if (!Number.isFinite(n2)) continue
    const inv = 1 / Math.sqrt(n2)
    for (let i = off; i < off + dim; i++) flat[i] = (flat[i] as number) * inv
  }
}
