import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { seededRandom } from '../../src/util/rng.js'

/** Deterministic pseudo-random numbers. */
export const rng = seededRandom

/** A standard normal sample from uniform draws `r` (Box-Muller). */
export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
}

/** A fresh temporary directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'ailake-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}


/** `count` random vectors of `dim` dimensions around a few cluster centres. */
export function clusteredVectors(count: number, dim: number, seed = 1, clusters = 8): Float32Array[] {
  const r = rng(seed)
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, () => r() * 2 - 1))
  return Array.from({ length: count }, (_, i) => {
    const c = centres[i % clusters] as Float32Array
    return Float32Array.from(c, (x) => x + (r() - 0.5) * 0.3)
  })
}
