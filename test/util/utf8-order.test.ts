import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compareUtf8 } from '../../src/util/utf8-order.js'
import { seededRandom } from '../../src/util/rng.js'

// Units that straddle every boundary of the UTF-16 vs UTF-8 orders: ASCII, BMP below the
// surrogates, BMP at and above U+E000, high and low surrogates (paired or lone), U+FFFD itself.
const UNITS = [0x00, 0x41, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x4e2d, 0xd7ff, 0xd800, 0xd83d, 0xdbff, 0xdc00, 0xde00, 0xdfff, 0xe000, 0xf8ff, 0xfffd, 0xffff]

function randomString(r: () => number): string {
  const n = Math.floor(r() * 5)
  let s = ''
  for (let i = 0; i < n; i++) {
    const roll = r()
    // Mostly well-formed pairs so astral characters are common; sometimes a raw unit (lone surrogates).
    if (roll < 0.3) s += String.fromCodePoint(0x10000 + Math.floor(r() * 0x100000))
    else s += String.fromCharCode(UNITS[Math.floor(r() * UNITS.length)] as number)
  }
  return s
}

test('compareUtf8 agrees with a byte comparison of Node\'s UTF-8 encoding (lone surrogates as U+FFFD)', () => {
  const seed = 20240607
  const r = seededRandom(seed)
  for (let c = 0; c < 200_000; c++) {
    const a = randomString(r)
    const b = r() < 0.2 ? a + randomString(r) : randomString(r)
    const want = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
    const got = Math.sign(compareUtf8(a, b))
    if (got !== want) assert.fail(`seed ${seed} case ${c}: compareUtf8(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${got}, UTF-8 bytes say ${want}`)
  }
})

test('compareUtf8: hand-picked cases where UTF-16 order differs', () => {
  assert.ok(compareUtf8('\ue000', '\u{1f600}') < 0) // UTF-16: 0xe000 > 0xd83d
  assert.ok(compareUtf8('\uffff', '\u{10000}') < 0)
  assert.ok(compareUtf8('a\u{1f600}', 'a\ufffd') > 0)
  assert.equal(compareUtf8('\ud800', '\ufffd'), 0) // a lone surrogate is stored as U+FFFD
  assert.equal(compareUtf8('', ''), 0)
  assert.ok(compareUtf8('', '\u0000') < 0)
})
