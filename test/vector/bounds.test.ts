import { test } from 'node:test'
import assert from 'node:assert/strict'
import { computeBounds, lowerBound } from '../../src/vector/bounds.js'
import { distance } from '../../src/vector/distance.js'
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
