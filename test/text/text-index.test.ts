import { test } from 'node:test'
import assert from 'node:assert/strict'
import { analyze } from '../../src/text/analyze.js'
import { buildTextIndex, decodeTextIndex } from '../../src/text/text-index.js'
import { AilakeError } from '../../src/errors.js'
import { seededRandom } from '../../src/util/rng.js'

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)))

test('the block of a tiny index, byte by byte as docs/format.md specifies it', () => {
  const got = buildTextIndex([{ fieldId: 5, name: 't', values: ['b a', 'a'] }], 2, 'none')
  const want = hex(`
    41494654 0100 01 00 02000000 01000000
    05000000 01000000 02000000 02000000 0300000000000000 0800000000000000 0900000000000000
    74
    02 01
    01 61 02 06   01 62 01 03
    01 01 02  01 01 01
    01 01 01`)
  assert.deepEqual(got, want)
})

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'the', 'of', 'running', 'runs', 'café', 'Ωmega', 'x', 'zeta', 'dogs', "dog's"]

function randomText(r: () => number): string | null {
  if (r() < 0.1) return null
  const n = Math.floor(r() * 12)
  return Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(r() < 0.5 ? ' ' : ', ')
}

test('decoded postings, lengths and dfs equal a direct count over the analysed rows (200 random files)', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const r = seededRandom(seed)
    const rows = 1 + Math.floor(r() * 40)
    const language = r() < 0.5 ? 'english' : 'none'
    const cols = ['title', 'body'].map((name, i) => ({ fieldId: 10 + i, name, values: Array.from({ length: rows }, () => randomText(r)) }))
    const idx = decodeTextIndex(buildTextIndex(cols, rows, language), rows)
    assert.equal(idx.language, language)
    for (const c of cols) {
      const col = idx.columns.get(c.name)!
      const expected = new Map<string, Map<number, number[]>>()
      let total = 0
      c.values.forEach((v, row) => {
        const tokens = typeof v === 'string' ? analyze(v, language) : []
        assert.equal(col.docLengths[row], tokens.length, `seed ${seed} ${c.name} row ${row} length`)
        total += tokens.length
        for (const t of tokens) {
          const byRow = expected.get(t.term) ?? new Map<number, number[]>()
          expected.set(t.term, byRow)
          byRow.set(row, [...(byRow.get(row) ?? []), t.position])
        }
      })
      assert.equal(col.totalTokens, total, `seed ${seed}`)
      assert.equal(col.termCount, expected.size, `seed ${seed}`)
      for (const [term, byRow] of expected) {
        const p = col.postings(term)!
        assert.equal(col.df(term), byRow.size, `seed ${seed} df ${term}`)
        const got = [...p.rows].map((row, i) => [row, [...p.positions.subarray(p.posStart[i], p.posStart[i + 1])]] as const)
        assert.deepEqual(got, [...byRow].sort((a, b) => a[0] - b[0]), `seed ${seed} postings of ${term}`)
        assert.deepEqual([...p.tfs], [...byRow].sort((a, b) => a[0] - b[0]).map(([, ps]) => ps.length))
      }
      assert.equal(col.postings('nosuchterm'), undefined)
    }
  }
})

test('damaged blocks (no checksum to catch them) fail with CORRUPT_DATA or decode, never crash or over-allocate', () => {
  const r = seededRandom(77)
  const cols = [{ fieldId: 1, name: 'body', values: Array.from({ length: 60 }, () => randomText(r)) }]
  const good = buildTextIndex(cols, 60, 'english')
  const decodeAll = (b: Uint8Array): void => {
    const idx = decodeTextIndex(b, 60)
    for (const col of idx.columns.values()) for (const w of ['alpha', 'beta', 'gamma', 'delta', 'run', 'dog', 'café', 'ωmega', 'x', 'zeta']) col.postings(w)
  }
  decodeAll(good)
  let errors = 0
  const check = (b: Uint8Array, label: string): void => {
    try {
      decodeAll(b)
    } catch (err) {
      assert.ok(err instanceof AilakeError && err.code === 'CORRUPT_DATA', `${label}: ${String(err)}`)
      errors++
    }
  }
  for (let n = 0; n < good.length; n++) check(good.subarray(0, n), `truncated to ${n}`)
  assert.equal(errors, good.length, 'every truncation is CORRUPT_DATA')
  for (let i = 0; i < 3000; i++) {
    const bad = good.slice()
    const at = Math.floor(r() * bad.length)
    bad[at] = (bad[at] as number) ^ (1 << Math.floor(r() * 8))
    check(bad, `flip ${i} at ${at}`)
  }
  // A row count the file does not have, and hostile counts.
  assert.throws(() => decodeTextIndex(good, 61), (e) => e instanceof AilakeError && e.code === 'CORRUPT_DATA')
  const huge = good.slice()
  new DataView(huge.buffer).setUint32(12, 0xffffffff, true)
  assert.throws(() => decodeTextIndex(huge, 60), (e) => e instanceof AilakeError && e.code === 'CORRUPT_DATA')
})
