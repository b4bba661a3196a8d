import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeBound, encodeBound } from '../../../src/format/iceberg/bounds.js'
import { isAilakeError } from '../../../src/errors.js'

test('single-value serialisation matches the spec byte layouts', () => {
  assert.deepEqual(encodeBound('int', -2), new Uint8Array([0xfe, 0xff, 0xff, 0xff]))
  assert.deepEqual(encodeBound('long', 1n), new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]))
  assert.deepEqual(encodeBound('boolean', true), new Uint8Array([1]))
  assert.deepEqual(encodeBound('string', 'hé'), new Uint8Array([0x68, 0xc3, 0xa9]))
  assert.deepEqual(encodeBound('float', 1), new Uint8Array([0, 0, 0x80, 0x3f]))
  assert.deepEqual(encodeBound('date', new Date('1970-01-03T00:00:00Z')), new Uint8Array([2, 0, 0, 0]))
  assert.deepEqual(encodeBound('timestamptz', new Date(1)), new Uint8Array([0xe8, 3, 0, 0, 0, 0, 0, 0]))
})

test('bounds round-trip for every supported type', () => {
  const cases: [Parameters<typeof encodeBound>[0], unknown][] = [
    ['boolean', false], ['int', 2147483647], ['long', -9223372036854775808n], ['float', 1.5], ['double', -0.1],
    ['string', 'docId ✓'], ['binary', new Uint8Array([0, 255, 7])], ['date', new Date('2024-02-29T00:00:00Z')],
    ['timestamp', new Date('2024-02-29T12:34:56.789Z')], ['timestamptz', new Date(-86_400_000)],
  ]
  for (const [type, value] of cases) {
    const bytes = encodeBound(type, value)
    assert.ok(bytes, type)
    assert.deepEqual(decodeBound(type, bytes), value, type)
  }
  assert.equal(decodeBound('long', encodeBound('long', 5) as Uint8Array), 5n)
})

test('values that cannot be bounds are skipped; wrong lengths are corrupt', () => {
  assert.equal(encodeBound('double', NaN), undefined)
  assert.equal(encodeBound('int', 2 ** 40), undefined)
  assert.equal(encodeBound('string', null), undefined)
  assert.equal(encodeBound('long', 1.5), undefined)
  assert.throws(() => decodeBound('int', new Uint8Array(3)), (e) => isAilakeError(e, 'CORRUPT_DATA'))
  assert.throws(() => decodeBound('boolean', new Uint8Array([2])), (e) => isAilakeError(e, 'CORRUPT_DATA'))
  assert.throws(() => decodeBound('string', new Uint8Array([0xff])), (e) => isAilakeError(e, 'CORRUPT_DATA'))
})
