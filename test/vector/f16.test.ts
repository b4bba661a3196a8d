import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeF16, encodeF16, firstNonFiniteF16 } from '../../src/vector/f16.js'

/** Reference conversion through exhaustive search of the nearest half (ties to even). */
function referenceHalf(x: number, halves: Float32Array): number {
  if (Number.isNaN(x)) return 0x7e00
  if (x === 0) return Object.is(x, -0) ? 0x8000 : 0
  let best = -1
  let bestErr = Infinity
  for (let h = 0; h < 65536; h++) {
    const v = halves[h] as number
    if (!Number.isFinite(v)) continue
    const err = Math.abs(v - x)
    if (err < bestErr || (err === bestErr && (h & 1) === 0 && Math.sign(v) === Math.sign(x || 1 / x))) {
      bestErr = err
      best = h
    }
  }
  // Beyond the largest half plus half an ulp (65520) IEEE rounds to infinity.
  if (Math.abs(x) >= 65520) return x < 0 ? 0xfc00 : 0x7c00
  if (halves[best] === 0) return x < 0 ? 0x8000 : 0
  return best
}

test('decodeF16 is exact for known bit patterns', () => {
  const bits = new Uint16Array([0x0000, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x3555])
  const out = decodeF16(bits)
  assert.deepEqual(Array.from(out.subarray(0, 9)), [0, -0, 1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity])
  assert.equal(out[9], Math.fround(0.333251953125))
  assert.ok(Number.isNaN(decodeF16(new Uint16Array([0x7e00]))[0]))
})

test('every half value round-trips through decode then encode bit-exactly', () => {
  const all = new Uint16Array(65536)
  for (let i = 0; i < 65536; i++) all[i] = i
  const back = encodeF16(decodeF16(all))
  for (let i = 0; i < 65536; i++) {
    const isNaN16 = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0
    if (isNaN16) assert.equal((back[i] as number) & 0x7c00, 0x7c00)
    else assert.equal(back[i], i, `half 0x${i.toString(16)}`)
  }
})

test('encodeF16 rounds to nearest even, matching an exhaustive reference', () => {
  const table = decodeF16(Uint16Array.from({ length: 65536 }, (_, i) => i))
  const samples = [0.1, -0.1, 1 / 3, 65504, 65519.99, 65520, 1e6, -1e6, 2 ** -25, 2 ** -25 * 1.0001, 3 * 2 ** -26,
    2 ** -24 * 1.5, 2 ** -24 * 2.5, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 5e-8, 6.1e-5, 1e-10, 0, -0]
  let seed = 7
  for (let i = 0; i < 200; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0
    samples.push(((seed / 2 ** 32) - 0.5) * 2 ** ((seed % 40) - 25))
  }
  const src = Float32Array.from(samples)
  const got = encodeF16(src)
  for (let i = 0; i < src.length; i++) {
    assert.equal(got[i], referenceHalf(src[i] as number, table), `value ${src[i]}`)
  }
})

test('overflow and NaN are detectable after encoding', () => {
  const h = encodeF16(Float32Array.from([1, 70000, NaN]))
  assert.equal(h[1], 0x7c00)
  assert.equal(firstNonFiniteF16(h), 1)
  assert.equal(firstNonFiniteF16(encodeF16(Float32Array.from([1, -65504]))), -1)
})

test('encode and decode write into a caller-provided buffer', () => {
  const out16 = new Uint16Array(4)
  assert.equal(encodeF16(Float32Array.from([1, 2]), out16), out16)
  assert.deepEqual(Array.from(out16), [0x3c00, 0x4000, 0, 0])
  assert.throws(() => encodeF16(new Float32Array(5), out16), RangeError)
})
