// Seeded clustered vectors: a realistic stand-in for embeddings (many tight-ish clusters of
// different sizes and spreads, plus some uniform noise), so recall numbers mean something.
import { seededRandom } from '../../src/util/rng.js'
import { gauss } from '../helpers/tmpdir.js'

export const rng = seededRandom

export function clustered(count: number, dim: number, seed: number, clusters = 40): Float32Array {
  const r = rng(seed)
  const centres = new Float32Array(clusters * dim)
  for (let i = 0; i < centres.length; i++) centres[i] = gauss(r)
  const spread = Array.from({ length: clusters }, () => 0.2 + r() * 0.6)
  const out = new Float32Array(count * dim)
  for (let i = 0; i < count; i++) {
    const noise = r() < 0.05
    const c = Math.floor(Math.pow(r(), 1.5) * clusters)
    for (let j = 0; j < dim; j++) {
      out[i * dim + j] = noise ? gauss(r) * 1.5 : (centres[c * dim + j] as number) + gauss(r) * (spread[c] as number)
    }
  }
  return out
}

export function rows(flat: Float32Array, dim: number): Float32Array[] {
  const out: Float32Array[] = []
  for (let i = 0; i < flat.length; i += dim) out.push(flat.slice(i, i + dim))
  return out
}
