import { test } from 'node:test'
import assert from 'node:assert/strict'
import { dequantizeI8, i8ErrorBound, quantizeI8 } from '../../src/vector/i8.js'
import { isAilakeError } from '../../src/errors.js'
import { seededRandom } from '../../src/util/rng.js'

const rng = seededRandom

test('i8 round trip stays within the documented bound for every element', () => {
  const r = rng(1)
  for (const dim of [1, 3, 100, 768]) {
    const count = 50
    const flat = new Float32Array(count * dim)
    for (let i = 0; i < flat.length; i++) flat[i] = (r() - 0.5) * 10 ** Math.floor(r() * 6 - 3)
    const q = quantizeI8(flat, dim)
    const back = dequantizeI8(q.codes, q.scales, q.offsets, dim)
    for (let v = 0; v < count; v++) {
      const row = flat.subarray(v * dim, (v + 1) * dim)
      const lo = Math.min(...row)
      const hi = Math.max(...row)
      const bound = i8ErrorBound(lo, hi)
      for (let j = 0; j < dim; j++) {
        const err = Math.abs((row[j] as number) - (back[v * dim + j] as number))
        assert.ok(err <= bound, `dim ${dim} vector ${v} element ${j}: error ${err} > bound ${bound}`)
      }
    }
  }
})

test('i8 codes use the full range and constant vectors decode exactly', () => {
  const q = quantizeI8(Float32Array.from([-1, 0, 1, 5, 5, 5]), 3)
  assert.deepEqual(Array.from(q.codes.subarray(0, 3)), [-127, 0, 127])
  assert.equal(q.scales[1], 0)
  assert.deepEqual(Array.from(dequantizeI8(q.codes, q.scales, q.offsets, 3).subarray(3)), [5, 5, 5])
})

test('i8 rejects a length that is not a multiple of dim', () => {
  assert.throws(() => quantizeI8(new Float32Array(5), 2), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => quantizeI8(new Float32Array(4), 0), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
})
