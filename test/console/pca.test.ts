// The map's PCA against data whose principal directions are known by construction: points
// spread along two orthogonal directions of a random basis (variances 9 and 1) plus small noise
// in the other dimensions. The axes found must be those directions (up to sign), and the
// projection must keep the in-plane coordinates. Seeded; each case prints its seed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { pca2, project } from '../../src/console/pca.js'
import { seededRandom } from '../../src/util/rng.js'

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
}

/** Two orthonormal vectors of `dim` dimensions (Gram-Schmidt on random ones). */
function basis(r: () => number, dim: number): [number[], number[]] {
  const a = Array.from({ length: dim }, () => gaussian(r))
  const na = Math.hypot(...a)
  const u = a.map((x) => x / na)
  const b = Array.from({ length: dim }, () => gaussian(r))
  const dot = b.reduce((s, x, j) => s + x * (u[j] as number), 0)
  const w = b.map((x, j) => x - dot * (u[j] as number))
  const nw = Math.hypot(...w)
  return [u, w.map((x) => x / nw)]
}

test('pca2 finds the two directions of largest variance and projects onto them (30 seeded cases)', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const r = seededRandom(seed)
    const dim = 3 + Math.floor(r() * 40)
    const n = 50 + Math.floor(r() * 300)
    const [u, w] = basis(r, dim)
    const offset = Array.from({ length: dim }, () => r() * 10 - 5)
    const coords: [number, number][] = []
    const data = new Float32Array(n * dim)
    for (let i = 0; i < n; i++) {
      const c: [number, number] = [3 * gaussian(r), gaussian(r)]
      coords.push(c)
      for (let j = 0; j < dim; j++) data[i * dim + j] = (offset[j] as number) + c[0] * (u[j] as number) + c[1] * (w[j] as number) + 0.01 * gaussian(r)
    }
    const p = pca2(data, n, dim)
    const cos = (a: ArrayLike<number>, b: number[]): number => Math.abs(b.reduce((s, x, j) => s + x * (a[j] as number), 0))
    assert.ok(cos(p.axes[0], u) > 0.98, `seed ${seed}: first axis off by |cos| ${cos(p.axes[0], u)}`)
    assert.ok(cos(p.axes[1], w) > 0.95, `seed ${seed}: second axis off by |cos| ${cos(p.axes[1], w)}`)
    assert.ok(Math.abs(p.axes[0].reduce((s, x, j) => s + x * (p.axes[1][j] as number), 0)) < 1e-9, `seed ${seed}: axes not orthogonal`)
    // Distances between points in the plane survive the projection.
    for (let k = 0; k < 20; k++) {
      const i = Math.floor(r() * n)
      const j = Math.floor(r() * n)
      const want = Math.hypot((coords[i] as number[])[0]! - (coords[j] as number[])[0]!, (coords[i] as number[])[1]! - (coords[j] as number[])[1]!)
      const got = Math.hypot(p.points[2 * i]! - p.points[2 * j]!, p.points[2 * i + 1]! - p.points[2 * j + 1]!)
      assert.ok(Math.abs(got - want) < 0.05 + 0.02 * want, `seed ${seed}: distance ${got} vs ${want}`)
    }
    const [x, y] = project(p, data.subarray(0, dim))
    assert.ok(Math.abs(x - p.points[0]!) < 1e-9 && Math.abs(y - p.points[1]!) < 1e-9, `seed ${seed}: project() agrees with the points`)
  }
})
