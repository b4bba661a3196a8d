import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeRecords, decodeSegment, encodeSegment, segmentKey } from '../../src/ingest/index.js'
import { isAilakeError } from '../../src/errors.js'
import type { Schema } from '../../src/format/schema.js'

const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'n', type: 'long', required: false },
    { id: 2, name: 's', type: 'string', required: false },
    { id: 3, name: 'b', type: 'boolean', required: false },
    { id: 4, name: 'd', type: 'timestamptz', required: false },
    { id: 5, name: 'bin', type: 'binary', required: false },
    { id: 6, name: 'x', type: 'double', required: false },
    { id: 7, name: 'embedding', type: { type: 'fixed', length: 4 }, required: true },
  ],
}

function batch() {
  return {
    rowCount: 3,
    columns: new Map<number, unknown[]>([
      [1, [-(2n ** 63n), 2n ** 63n - 1n, null]],
      [2, ['héllo ✓', '', null]],
      [3, [true, false, null]],
      [4, [new Date(0), new Date('2026-11-29T12:00:00.123Z'), null]],
      [5, [new Uint8Array([1, 2, 255]), new Uint8Array(0), null]],
      [6, [Number.MAX_VALUE, -0.5, null]],
    ]),
    vectors: Float32Array.from([0.1, -2, 3e-8, 4, 5, 6]),
  }
}

test('a WAL segment round-trips every column type exactly', () => {
  const bytes = encodeSegment(42, schema, 'embedding', batch(), 2)
  const seg = decodeSegment(bytes, 'embedding')
  assert.equal(seg.seq, 42)
  assert.deepEqual(seg.schema, schema)
  assert.deepEqual(seg.batch, batch())
  assert.equal(segmentKey('t/x', 'w1', 42), 't/x/wal/w1/0000000000000042.wal')
})

test('every truncation and every single-byte flip of a segment is rejected as CORRUPT_DATA', () => {
  const bytes = encodeSegment(7, schema, 'embedding', batch(), 2)
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decodeSegment(bytes.subarray(0, n), 'embedding'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'), `truncated to ${n}`)
  }
  for (let i = 0; i < bytes.length; i++) {
    const bad = bytes.slice()
    bad[i] = (bad[i] as number) ^ 0x5a
    assert.throws(() => decodeSegment(bad, 'embedding'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'), `flipped byte ${i}`)
  }
  const longer = new Uint8Array(bytes.length + 1)
  longer.set(bytes)
  assert.throws(() => decodeSegment(longer, 'embedding'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'))
})

test('a multi-record segment decodes record by record; a torn tail is reported, damage before a valid record throws', () => {
  const a = encodeSegment(5, schema, 'embedding', batch(), 2)
  const b = encodeSegment(6, schema, 'embedding', batch(), 2, { restart: true })
  const both = new Uint8Array(a.length + b.length)
  both.set(a)
  both.set(b, a.length)
  const whole = decodeRecords(both, 'embedding')
  assert.deepEqual(whole.records.map((r) => [r.seq, r.restart === true]), [[5, false], [6, true]])
  assert.equal(whole.tornAt, undefined)
  assert.deepEqual(whole.records[1]?.batch, batch())
  for (const cut of [a.length + 1, a.length + 20, both.length - 1]) {
    const torn = decodeRecords(both.subarray(0, cut), 'embedding')
    assert.deepEqual(torn.records.map((r) => r.seq), [5], `cut at ${cut}`)
    assert.equal(torn.tornAt, a.length)
  }
  const flipped = both.slice()
  flipped[30] = (flipped[30] as number) ^ 0x01
  assert.throws(() => decodeRecords(flipped, 'embedding'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA') && /valid record follows/.test((e as Error).message))
})

test('strings with multi-byte characters and lone surrogates survive the one-call column encoding', () => {
  const b = batch()
  b.columns.set(2, ['a\u{1F600}b', '\uD800x', 'ok'])
  const seg = decodeSegment(encodeSegment(1, schema, 'embedding', b, 2), 'embedding')
  assert.deepEqual(seg.batch.columns.get(2), ['a\u{1F600}b', '\uFFFDx', 'ok'])
})
