import { test } from 'node:test'
import assert from 'node:assert/strict'
import { computeBounds, lowerBound } from '../../src/vector/bounds.js'
import { distance } from '../../src/vector/distance.js'
import { validateVectors } from '../../src/vector/validate.js'
import { isAilakeError } from '../../src/errors.js'
import type { Metric } from '../../src/vector/types.js'
import { seededRandom } from '../../src/util/rng.js'

const rng = seededRandom

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r())
}

const METRICS: Metric[] = ['cosine', 'euclidean', 'dot']

/** Checks lowerBound <= true distance for every (query, member) pair; returns how often it pruned anything. */
function checkSound(flat: Float32Array, dim: number, queries: Float32Array[], metric: Metric): number {
  const { centroid, radius } = computeBounds(flat, dim, metric)
  let positive = 0
  for (const q of queries) {
    const lb = lowerBound(metric, q, centroid, radius)
    assert.ok(!Number.isNaN(lb), 'bound is NaN')
    let minD = Infinity
    for (let r = 0; r < flat.length / dim; r++) minD = Math.min(minD, distance(metric, q, flat.subarray(r * dim, (r + 1) * dim)))
    assert.ok(lb <= minD, `${metric}: bound ${lb} > distance ${minD}`)
    if (lb > 0) positive++
  }
  return positive
}

test('bounds are sound on random and clustered data (thousands of queries)', () => {
  const r = rng(42)
  for (const dim of [2, 16, 100]) {
    for (const clustered of [false, true]) {
      const count = 60
      const center = Float32Array.from({ length: dim }, () => gauss(r) * 3)
      const flat = new Float32Array(count * dim)
      for (let i = 0; i < flat.length; i++) flat[i] = clustered ? (center[i % dim] as number) + gauss(r) * 0.2 : gauss(r)
      const queries: Float32Array[] = []
      for (let q = 0; q < 400; q++) {
        const near = q % 2 === 0
        queries.push(Float32Array.from({ length: dim }, (_, j) => (near ? (center[j] as number) : 0) + gauss(r) * (near ? 0.5 : 3)))
      }
      for (const m of METRICS) {
        const pruned = checkSound(flat, dim, queries, m)
        if (clustered && m !== 'dot') assert.ok(pruned > 0, `${m} dim ${dim}: the bound never exceeded 0 on clustered data`)
      }
    }
  }
})

test('edge cases: one vector, identical vectors, zero query, opposite vectors', () => {
  const r = rng(3)
  const q = [Float32Array.from([1, 2, 3]), Float32Array.from([0, 0, 0]), Float32Array.from([-1, -2, -3]), Float32Array.from([3, -1, 0.5])]
  for (const m of METRICS) {
    checkSound(Float32Array.from([1, 2, 3]), 3, q, m)
    checkSound(Float32Array.from([1, 2, 3, 1, 2, 3, 1, 2, 3]), 3, q, m)
    checkSound(Float32Array.from([1, 0, 0, -1, 0, 0]), 3, q, m)
    checkSound(Float32Array.from([0, 0, 0, 1, 1, 1]), 3, q, m)
    const many = Float32Array.from({ length: 300 }, () => r() * 1e-3 + 5)
    checkSound(many, 3, q, m)
  }
  const one = computeBounds(Float32Array.from([3, 4]), 2, 'cosine')
  assert.ok(Math.abs((one.centroid[0] as number) - 0.6) < 1e-6 && one.radius < 1e-3)
  const eu = computeBounds(Float32Array.from([1, 1, 3, 1]), 2, 'euclidean').radius
  assert.ok(eu >= 1 && eu < 1 + 1e-5, `radius ${eu}`)
  assert.equal(lowerBound('cosine', Float32Array.from([0, 0]), one.centroid, one.radius), 0)
})

test('the cosine bound is tight for a single vector and grows with the angle', () => {
  const { centroid, radius } = computeBounds(Float32Array.from([1, 0]), 2, 'cosine')
  const lb = lowerBound('cosine', Float32Array.from([0, 1]), centroid, radius)
  assert.ok(lb > 0.99 && lb <= 1, `orthogonal query bound ${lb}`)
})

test('empty input and bad dims are INVALID_ARGUMENT', () => {
  assert.throws(() => computeBounds(new Float32Array(0), 3, 'cosine'), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => computeBounds(new Float32Array(4), 3, 'euclidean'), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => lowerBound('dot', new Float32Array(2), new Float32Array(3), 0), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
})

// The exact kernels sum in f32 (16 lanes, distance.ts): with 65,536 dimensions each lane adds
// 4,096 terms, and terms just under half an ulp of the running sum are lost every time. The
// bound's slack must cover that worst case, not a typical random-walk error.
test('the bound covers worst-case f32 summation error at the largest dimension', () => {
  const dim = 65_536
  const t = Math.fround(Math.sqrt(1 + 0.4 * 2 ** -12))
  const q = new Float32Array(dim).fill(t)
  checkSound(new Float32Array(dim), dim, [q], 'euclidean')
  checkSound(new Float32Array(dim).fill(-t), dim, [q], 'dot')
  checkSound(new Float32Array(dim).fill(-t), dim, [q], 'cosine')
})

// Squares of components below ~1e-19 fall into f32 subnormals, so the kernel's norm of such a
// vector is far off (or 0) and its cosine is meaningless: the kernel treats it as having no
// direction (distance 1, like the zero vector), and the bound must agree.
test('cosine: vectors whose squared norm underflows f32 are at distance 1, and bounds cover them', () => {
  const tinyMember = Float32Array.from([4e-23, 4e-23])
  assert.equal(distance('cosine', Float32Array.from([1, 0.5]), tinyMember), 1)
  assert.equal(distance('cosine', Float32Array.from([1e-23, 1e-23]), Float32Array.from([-1, -1])), 1)
  const queries = [Float32Array.from([1, 0.5]), Float32Array.from([-1, -1]), Float32Array.from([1e-23, 1e-23]), Float32Array.from([0, 1])]
  checkSound(tinyMember, 2, queries, 'cosine')
  checkSound(Float32Array.from([-1, -1]), 2, queries, 'cosine')
  checkSound(Float32Array.from([-1, -1, 4e-23, 4e-23, -1, -0.9]), 2, queries, 'cosine')
  // Just above the threshold the direction is reliable and counts.
  const small = Float32Array.from([1e-14, 2e-14])
  assert.ok(Math.abs(distance('cosine', Float32Array.from([1, 2]), small)) < 1e-6)
  checkSound(small, 2, queries, 'cosine')
})

test('vectors too large for the f32 kernels are rejected instead of scoring Infinity or NaN', () => {
  assert.throws(() => validateVectors(Float32Array.from([3e19, 3e19]), 2, 'rows'),
    (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /vector 0/.test(e.message))
  validateVectors(Float32Array.from([1e18, -1e18, 4e18, 0]), 2, 'rows')
})

/** Vectors of a random shape: magnitudes 1e-6..1e6, offsets, clusters, duplicates, near-zero rows. */
function randomFile(r: () => number, dim: number, count: number): Float32Array {
  const scale = 10 ** (r() * 12 - 6)
  const offset = r() < 0.5 ? 0 : (r() - 0.5) * 2 * scale * 10 ** (r() * 3)
  const center = Float32Array.from({ length: dim }, () => offset + gauss(r) * scale)
  const spread = r() < 0.5 ? scale : scale * 10 ** (-r() * 4)
  const flat = new Float32Array(count * dim)
  for (let i = 0; i < count; i++) {
    const kind = r()
    for (let j = 0; j < dim; j++) {
      const k = i * dim + j
      if (kind < 0.05 && i > 0) flat[k] = flat[k - dim] as number // duplicate of the previous row
      else if (kind < 0.1) flat[k] = gauss(r) * 1e-21 // near zero: cosine treats some as directionless
      else if (kind < 0.12) flat[k] = 0
      else flat[k] = (center[j] as number) + gauss(r) * spread
    }
  }
  return flat
}

test('bounds are sound over random magnitudes, offsets, duplicates and near-zero rows (seeded)', () => {
  const seed = Number(process.env.AILAKE_SEED ?? 20240)
  const r = rng(seed)
  let checks = 0
  for (let c = 0; c < 300; c++) {
    const dim = [1, 2, 3, 7, 16, 33, 100, 300][Math.floor(r() * 8)] as number
    const flat = randomFile(r, dim, 1 + Math.floor(r() * 40))
    const queries: Float32Array[] = []
    for (let i = 0; i < 12; i++) {
      const row = Math.floor(r() * (flat.length / dim))
      const near = r() < 0.5
      const s = 10 ** (r() * 12 - 6)
      queries.push(Float32Array.from({ length: dim }, (_, j) => (near ? (flat[row * dim + j] as number) * (r() < 0.3 ? 1 : 1 + gauss(r) * 1e-3) : gauss(r) * s)))
    }
    for (const m of METRICS) {
      try {
        checkSound(flat, dim, queries, m)
      } catch (err) {
        throw new Error(`seed ${seed}, case ${c}, ${m}, dim ${dim}: ${(err as Error).message}`, { cause: err })
      }
      checks += queries.length
    }
  }
  assert.ok(checks > 10_000)
})
