import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseJson, stringifyJson } from '../../src/util/json.js'
import { isAilakeError } from '../../src/errors.js'

test('integers beyond 2^53 parse as bigint, safe ones as number', () => {
  const v = parseJson('{"id": 9136741709133330043, "small": 42, "neg": -9223372036854775808, "f": 1.5, "e": 1e3}') as Record<string, unknown>
  assert.equal(v.id, 9136741709133330043n)
  assert.equal(v.small, 42)
  assert.equal(v.neg, -9223372036854775808n)
  assert.equal(v.f, 1.5)
  assert.equal(v.e, 1000)
  // The plain parser would have rounded it.
  assert.notEqual(String(JSON.parse('9136741709133330043')), '9136741709133330043')
})

test('bigint is written as a bare number and round-trips', () => {
  const text = stringifyJson({ id: 9136741709133330043n, list: [1n, 2], s: 'x' })
  assert.equal(text, '{"id":9136741709133330043,"list":[1,2],"s":"x"}')
  assert.deepEqual(parseJson(text), { id: 9136741709133330043n, list: [1, 2], s: 'x' })
  assert.match(stringifyJson({ a: 1 }, 2), /\n {2}"a": 1\n/)
})

test('invalid JSON is CORRUPT_DATA naming the document', () => {
  assert.throws(() => parseJson('{"a": ', 'v3.metadata.json'), (e) => isAilakeError(e, 'CORRUPT_DATA') && /v3\.metadata\.json/.test(e.message))
  assert.throws(() => parseJson(''), (e) => isAilakeError(e, 'CORRUPT_DATA'))
})

test('NaN and Infinity are refused instead of silently written as null', () => {
  assert.throws(() => stringifyJson({ r: NaN }), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => stringifyJson([Infinity]), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
})
