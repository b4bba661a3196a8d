import { test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import { crc32, crc32Js } from '../../src/util/crc32.js'
import { seededRandom } from '../../src/util/rng.js'

// The oracle is zlib's crc32 (Node >= 20.15), the checksum Parquet page headers carry.
test('crc32 matches the published check value for "123456789" (0xcbf43926, not CRC-32C)', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926)
  assert.equal(crc32(new Uint8Array(0)), 0)
})

test('crc32 (JS and WebAssembly paths, chained) agrees with zlib.crc32 on random inputs', () => {
  const r = seededRandom(99)
  for (const len of [0, 1, 7, 8, 255, 256, 257, 1000, 49151, 49152, 49153, 200_003]) {
    const b = Uint8Array.from({ length: len }, () => Math.floor(r() * 256))
    const want = zlib.crc32(b)
    assert.equal(crc32(b), want, `length ${len}`)
    assert.equal(crc32Js(b), want, `JS, length ${len}`)
    const cut = Math.floor(len / 3)
    assert.equal(crc32(b.subarray(cut), crc32(b.subarray(0, cut))), want, `chained at ${cut} of ${len}`)
    const view = b.subarray(Math.min(3, len))
    assert.equal(crc32(view), zlib.crc32(view), `unaligned view of ${len}`)
  }
})
