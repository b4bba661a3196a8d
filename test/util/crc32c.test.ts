import { test } from 'node:test'
import assert from 'node:assert/strict'
import { crc32c, crc32cJs } from '../../src/util/crc32c.js'

// Reference: a bit-at-a-time CRC-32C, the textbook definition the table version must match.
function slowCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff
  for (const b of bytes) {
    crc ^= b
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

test('crc32c matches the published check value for "123456789"', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283)
})

test('crc32c of the empty input is 0', () => {
  assert.equal(crc32c(new Uint8Array(0)), 0)
})

test('crc32c agrees with the bitwise definition on random lengths and can be chained', () => {
  let seed = 12345
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff
  for (let len = 0; len < 300; len += 7) {
    const b = new Uint8Array(len).map(rnd)
    assert.equal(crc32c(b), slowCrc32c(b), `length ${len}`)
    const cut = Math.floor(len / 3)
    assert.equal(crc32c(b.subarray(cut), crc32c(b.subarray(0, cut))), crc32c(b), `chained at ${cut}`)
  }
})

test('the WebAssembly path (inputs of 256 bytes and more, in 48 KiB chunks) agrees with the JS one and the definition', () => {
  let seed = 777
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24
  for (const len of [256, 257, 1000, 49151, 49152, 49153, 200_003]) {
    const b = new Uint8Array(len).map(rnd)
    const want = slowCrc32c(b)
    assert.equal(crc32c(b), want, `length ${len}`)
    assert.equal(crc32cJs(b), want, `JS, length ${len}`)
    // Unaligned views into a larger buffer, and chaining across the chunk size.
    const view = b.subarray(3, len - 1)
    assert.equal(crc32c(view), slowCrc32c(view), `view of ${len}`)
    assert.equal(crc32c(b.subarray(60_000 > len ? 100 : 60_000), crc32c(b.subarray(0, 60_000 > len ? 100 : 60_000))), want, `chained ${len}`)
  }
})
