import { test } from 'node:test'
import assert from 'node:assert/strict'
import { distance, dot, l2sq } from '../../src/vector/distance.js'
import { normalize, normalizeInPlace } from '../../src/vector/normalize.js'
import { toFlat, validateVectors } from '../../src/vector/validate.js'
import { createArena, simdAvailable } from '../../src/vector/simd.js'
import { isAilakeError } from '../../src/errors.js'
import { rng } from '../vector-index/clustered.js'

function randomVec(r: () => number, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale)
}

const DIMS = [1, 3, 4, 5, 15, 16, 17, 31, 64, 100, 101, 384, 784]

test('distance matches a float64 reference for every metric and many dimensions', () => {
  const r = rng(1)
  for (const n of DIMS) {
    const a = randomVec(r, n, 3)
    const b = randomVec(r, n, 3)
    let d = 0, l = 0, na = 0, nb = 0
    for (let i = 0; i < n; i++) {
      d += (a[i] as number) * (b[i] as number)
      l += ((a[i] as number) - (b[i] as number)) ** 2
      na += (a[i] as number) ** 2
      nb += (b[i] as number) ** 2
    }
    const tol = 1e-5 * n
    assert.ok(Math.abs(distance('dot', a, b) + d) < tol, `dot n=${n}`)
    assert.ok(Math.abs(distance('euclidean', a, b) - l) < tol, `l2 n=${n}`)
    assert.ok(Math.abs(distance('cosine', a, b) - (1 - d / Math.sqrt(na * nb))) < 1e-5, `cos n=${n}`)
  }
})

test('cosine distance: identical direction is 0, opposite is 2, zero vector is 1, scale-invariant', () => {
  const a = new Float32Array([1, 2, 3])
  assert.ok(Math.abs(distance('cosine', a, new Float32Array([2, 4, 6]))) < 1e-6)
  assert.ok(Math.abs(distance('cosine', a, new Float32Array([-1, -2, -3])) - 2) < 1e-6)
  assert.equal(distance('cosine', a, new Float32Array(3)), 1)
  const u = normalize(a)
  const v = normalize(new Float32Array([3, -1, 0.5]))
  assert.ok(Math.abs(distance('cosine', u, v) - (1 - dot(u, 0, v, 0, 3))) < 1e-6)
})

test('distance rejects mismatched dimensions and unknown metrics', () => {
  assert.throws(() => distance('dot', new Float32Array(3), new Float32Array(4)), (e: unknown) => isAilakeError(e, 'DIMENSION_MISMATCH'))
  assert.throws(() => distance('manhattan' as 'dot', new Float32Array(3), new Float32Array(3)), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
})

test('flat kernels honour offsets', () => {
  const a = new Float32Array([9, 9, 1, 2, 3])
  const b = new Float32Array([4, 5, 6, 7])
  assert.equal(dot(a, 2, b, 1, 3), 1 * 5 + 2 * 6 + 3 * 7)
  assert.equal(l2sq(a, 2, b, 0, 3), 9 + 9 + 9)
})

test('WebAssembly SIMD kernels are available and bit-identical to the JS kernels', () => {
  assert.ok(simdAvailable(), 'Node 20 has WebAssembly SIMD')
  const r = rng(7)
  const wasm = createArena(0)
  const js = createArena(0, { wasm: false })
  assert.equal(wasm.wasm, true)
  assert.equal(js.wasm, false)
  for (const n of DIMS) {
    for (let rep = 0; rep < 20; rep++) {
      const a = randomVec(r, n, rep % 2 === 0 ? 1 : 300)
      const b = randomVec(r, n, rep % 2 === 0 ? 1 : 300)
      // Odd offsets exercise unaligned SIMD loads.
      const ao = 1 + rep
      const bo = ao + n + 3
      for (const arena of [wasm, js]) {
        arena.ensure(bo + n)
        arena.f32.set(a, ao)
        arena.f32.set(b, bo)
      }
      assert.equal(wasm.dot(ao, bo, n), js.dot(ao, bo, n), `dot n=${n}`)
      assert.equal(wasm.l2sq(ao, bo, n), js.l2sq(ao, bo, n), `l2sq n=${n}`)
      assert.equal(js.dot(ao, bo, n), dot(a, 0, b, 0, n))
    }
  }
})

test('the wasm arena keeps its contents when it grows', () => {
  const arena = createArena(16)
  arena.f32.set([1, 2, 3, 4], 0)
  arena.ensure(5_000_000)
  assert.ok(arena.f32.length >= 5_000_000)
  assert.deepEqual(Array.from(arena.f32.subarray(0, 4)), [1, 2, 3, 4])
  arena.f32.set([1, 2, 3, 4], 4_999_990)
  assert.equal(arena.dot(0, 4_999_990, 4), 30)
})

test('normalize returns a unit copy; normalizeInPlace normalises each row and leaves zero rows zero', () => {
  const v = new Float32Array([3, 4])
  const u = normalize(v)
  assert.deepEqual(Array.from(v), [3, 4])
  assert.ok(Math.abs((u[0] as number) - 0.6) < 1e-7 && Math.abs((u[1] as number) - 0.8) < 1e-7)
  const flat = new Float32Array([0, 5, 0, 0, 1, 1])
  normalizeInPlace(flat, 2)
  assert.deepEqual(Array.from(flat.subarray(0, 4)), [0, 1, 0, 0])
  assert.ok(Math.abs((flat[4] as number) - Math.SQRT1_2) < 1e-7)
})

test('validateVectors names the bad row and value', () => {
  validateVectors(new Float32Array([1, 2, 3, 4]), 2, 'rows')
  assert.throws(() => validateVectors(new Float32Array(5), 2, 'rows'), (e: unknown) => isAilakeError(e, 'DIMENSION_MISMATCH'))
  assert.throws(() => validateVectors(new Float32Array([1, 2, 3, NaN]), 2, 'rows'),
    (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /vector 1/.test(e.message) && e.context.row === 1)
  assert.throws(() => validateVectors(new Float32Array([Infinity, 2]), 2, 'rows'),
    (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /Infinity/.test(e.message) && e.context.row === 0)
  assert.throws(() => validateVectors(new Float32Array(4), 0, 'rows'), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
})

test('toFlat accepts number[][], Float32Array[] and flat arrays, and validates', () => {
  const a = toFlat([[1, 2], [3, 4], [5, 6]])
  assert.equal(a.dim, 2)
  assert.equal(a.count, 3)
  assert.ok(a.flat instanceof Float32Array)
  assert.deepEqual(Array.from(a.flat), [1, 2, 3, 4, 5, 6])
  const b = toFlat([new Float32Array([1, 2, 3])])
  assert.equal(b.dim, 3)
  const flat = new Float32Array(6)
  const c = toFlat(flat, 3)
  assert.equal(c.flat, flat, 'a flat Float32Array is used as is')
  assert.equal(c.count, 2)
  assert.deepEqual(toFlat([], 4), { flat: new Float32Array(0), dim: 4, count: 0 })
  assert.throws(() => toFlat([[1, 2], [3]]), (e: unknown) => isAilakeError(e, 'DIMENSION_MISMATCH') && e.context.row === 1)
  assert.throws(() => toFlat([[1, 2]], 3), (e: unknown) => isAilakeError(e, 'DIMENSION_MISMATCH'))
  assert.throws(() => toFlat(new Float32Array(4)), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => toFlat([[1, NaN]]), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => toFlat([[1, 'x' as unknown as number]]), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => toFlat('nope' as unknown as number[][]), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
})
