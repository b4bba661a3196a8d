/**
 * L2 normalisation. Cosine indexes store unit vectors so their hot loop is a plain dot product
 * (cosine distance = 1 - a·b). A zero vector stays zero: it has no direction, and its cosine
 * distance to every unit vector is then exactly 1.
 */
import { dot } from './distance.js'

/** A unit-length copy of `v` (a zero vector gives a zero copy). */
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
    if (n2 === 0 || !Number.isFinite(n2)) continue
    const inv = 1 / Math.sqrt(n2)
    for (let i = off; i < off + dim; i++) flat[i] = (flat[i] as number) * inv
  }
}
