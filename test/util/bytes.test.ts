import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ByteReader, ByteWriter } from '../../src/util/bytes.js'
import { isAilakeError } from '../../src/errors.js'

test('ByteWriter and ByteReader round-trip every field type', () => {
  const w = new ByteWriter(4)
  w.u8(7).u16(65535).u32(0xdeadbeef).i32(-5).f32(1.5).f64(Math.PI).u64(2 ** 40 + 3)
  w.typed(new Float32Array([1, -2, 3.25]))
  const r = new ByteReader(w.finish(), 'test')
  assert.equal(r.u8('a'), 7)
  assert.equal(r.u16('b'), 65535)
  assert.equal(r.u32('c'), 0xdeadbeef)
  assert.equal(r.i32('d'), -5)
  assert.equal(r.f32('e'), 1.5)
  assert.equal(r.f64('f'), Math.PI)
  assert.equal(r.u64('g'), 2 ** 40 + 3)
  assert.deepEqual(Array.from(r.f32Array(3, 'h')), [1, -2, 3.25])
  assert.equal(r.remaining, 0)
})

test('ByteReader refuses reads past the end with CORRUPT_DATA naming the field', () => {
  const r = new ByteReader(new Uint8Array(3), 'header')
  assert.throws(() => r.u32('count'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA') && /header: count/.test(e.message))
  assert.throws(() => r.bytesView(-1, 'neg'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'))
  assert.throws(() => r.f32Array(2 ** 40, 'huge'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'))
})

test('ByteReader rejects u64 values above 2^53', () => {
  const w = new ByteWriter()
  w.u32(0xffffffff).u32(0xffffffff)
  const r = new ByteReader(w.finish(), 'x')
  assert.throws(() => r.u64('len'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'))
})
