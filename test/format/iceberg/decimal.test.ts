// decimal(P, S) in Iceberg metadata: the spec's published values (Appendix B bucket hash,
// truncate example, single-value serialisation), then a seeded property test of bounds, bucket
// and truncate against a hand-written reference (hex strings and BigInt, nothing shared with
// src/util/decimal.ts), and the schema JSON spellings other writers use.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeBound, encodeBound } from '../../../src/format/iceberg/bounds.js'
import { applyTransform, hashBytes, murmur3, parseTransform } from '../../../src/format/iceberg/partition-transform.js'
import { parseFieldType } from '../../../src/format/iceberg/schema-json.js'
import { promotable, type PrimitiveType } from '../../../src/format/schema.js'
import { isAilakeError } from '../../../src/errors.js'
import { rng } from '../../helpers/tmpdir.js'
import { refMurmur3 } from '../../helpers/partition-reference.js'

test('decimal follows the spec examples: bucket hash, truncate, minimal big-endian bounds', () => {
  assert.equal(murmur3(hashBytes('decimal(9, 2)', '14.20')), -500754589, 'Appendix B: 14.20')
  assert.equal(applyTransform(parseTransform('truncate[50]'), 'decimal(9, 2)', '10.65'), '10.50', 'spec: truncate[50] of 10.65')
  assert.equal(applyTransform(parseTransform('truncate[50]'), 'decimal(9, 2)', '-10.65'), '-11.00', 'truncate floors negative values')
  assert.deepEqual(encodeBound('decimal(9, 2)', '14.20'), new Uint8Array([0x05, 0x8c]))
  assert.deepEqual(encodeBound('decimal(9, 2)', '-0.01'), new Uint8Array([0xff]))
  assert.deepEqual(encodeBound('decimal(9, 2)', '1.28'), new Uint8Array([0x00, 0x80]))
  assert.deepEqual(encodeBound('decimal(9, 2)', '-1.28'), new Uint8Array([0x80]))
  assert.deepEqual(encodeBound('decimal(9, 2)', '-1.29'), new Uint8Array([0xff, 0x7f]))
  assert.deepEqual(encodeBound('decimal(9, 2)', '0'), new Uint8Array([0x00]))
  assert.equal(decodeBound('decimal(38, 10)', new Uint8Array([0x80, ...new Array<number>(15).fill(0)])), '-17014118346046923173168730371.5884105728')
  assert.equal(decodeBound('decimal(9, 2)', new Uint8Array([0x05, 0x8c])), '14.20')
  // A bound written before the column was widened reads the same under the wider type.
  assert.equal(decodeBound('decimal(20, 2)', new Uint8Array([0x05, 0x8c])), '14.20')
})

test('decimal type names: any spacing reads, canonical spelling, range checked, widening by precision only', () => {
  assert.equal(parseFieldType('decimal(10,2)', 't'), 'decimal(10, 2)')
  assert.equal(parseFieldType('decimal( 38 , 0 )', 't'), 'decimal(38, 0)')
  for (const bad of ['decimal(39, 2)', 'decimal(0, 0)', 'decimal(4, 5)']) {
    assert.throws(() => parseFieldType(bad, 't'), (e: unknown) => isAilakeError(e) && e.code === 'CORRUPT_DATA', bad)
  }
  assert.equal(promotable('decimal(9, 2)', 'decimal(20, 2)'), true)
  assert.equal(promotable('decimal(20, 2)', 'decimal(9, 2)'), false, 'narrowing')
  assert.equal(promotable('decimal(9, 2)', 'decimal(10, 3)'), false, 'scale change')
  assert.equal(promotable('int', 'decimal(10, 0)'), false)
})

/** Reference: minimal big-endian two's complement of v, via hex strings (Java's BigInteger.toByteArray). */
function refMinBytes(v: bigint): number[] {
  let n = 1
  while (!(v >= -(1n << BigInt(8 * n - 1)) && v < (1n << BigInt(8 * n - 1)))) n++
  const u = v < 0n ? (1n << BigInt(8 * n)) + v : v
  const hex = u.toString(16).padStart(2 * n, '0')
  return Array.from({ length: n }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16))
}

/** Reference: the text of unscaled u at scale s (string slicing). */
function refText(u: bigint, s: number): string {
  const neg = u < 0n
  const digits = (neg ? -u : u).toString().padStart(s + 1, '0')
  const body = s === 0 ? digits : `${digits.slice(0, -s)}.${digits.slice(-s)}`
  return neg ? `-${body}` : body
}

test('decimal bounds, bucket and truncate equal the reference on random values (seeded)', () => {
  const r = rng(7331)
  let checked = 0
  for (let c = 0; c < 4000; c++) {
    const p = 1 + Math.floor(r() * 38)
    const s = Math.floor(r() * (p + 1))
    const type = `decimal(${p}, ${s})` as PrimitiveType
    const digits = Array.from({ length: 1 + Math.floor(r() * p) }, () => Math.floor(r() * 10)).join('')
    const u = (r() < 0.5 ? -1n : 1n) * BigInt(digits)
    const text = refText(u, s)
    const what = `case ${c}: ${type} ${text}`
    const bytes = encodeBound(type, text)
    assert.deepEqual(Array.from(bytes ?? []), refMinBytes(u), `${what}: bound bytes`)
    assert.equal(decodeBound(type, bytes as Uint8Array), text, `${what}: bound round trip`)
    const n = 1 + Math.floor(r() * 1000)
    assert.equal(applyTransform(parseTransform(`bucket[${n}]`), type, text), (refMurmur3(refMinBytes(u)) & 0x7fffffff) % n, `${what}: bucket[${n}]`)
    const w = BigInt(1 + Math.floor(r() * 10_000))
    const floorMod = ((u % w) + w) % w
    assert.equal(applyTransform(parseTransform(`truncate[${w}]`), type, text), refText(u - floorMod, s), `${what}: truncate[${w}]`)
    assert.equal(applyTransform(parseTransform('identity'), type, text), text, `${what}: identity`)
    checked++
  }
  assert.equal(checked, 4000)
})

test('a column of a type ailake cannot read yet is named in the error, with what it blocks', async () => {
  const { schemaFromJson } = await import('../../../src/format/iceberg/schema-json.js')
  const json = { type: 'struct', 'schema-id': 0, fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'address', required: false, type: { type: 'struct', fields: [{ id: 3, name: 'city', required: false, type: 'string' }] } },
  ] }
  assert.throws(() => schemaFromJson(json), (e: unknown) => isAilakeError(e) && e.code === 'UNSUPPORTED' && /column "address" \(field id 2\) has type struct.*table\.scan\(\)/.test(e.message) && e.context.column === 'address')
})
