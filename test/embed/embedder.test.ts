import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  assertSameEmbedder, checkVector, embedderFingerprint, embedderIdentity, embedInBatches, probeDim, splitBatches, validateTexts,
  type Embedder,
} from '../../src/embed/embedder.js'
import { isAilakeError } from '../../src/errors.js'

const code = (c: string, re?: RegExp) => (e: unknown): boolean => isAilakeError(e) && e.code === c && (re === undefined || re.test(e.message))

/** A tiny deterministic embedder whose dim is unknown until its first call, like an HTTP one. */
function lazyEmbedder(dim: number): Embedder & { calls: string[][] } {
  let known = 0
  const calls: string[][] = []
  return {
    name: 'fake@1',
    get dim() { return known },
    calls,
    async embed(texts) {
      return embedInBatches(texts, 2, async (batch) => {
        calls.push(batch)
        known = dim
        return batch.map((t) => Float32Array.from({ length: dim }, (_, j) => t.length * 10 + j))
      })
    },
  }
}

test('validateTexts names the first non-string index', () => {
  assert.deepEqual(validateTexts(['a', '']), ['a', ''])
  assert.throws(() => validateTexts(['a', 'b', 3]), code('INVALID_ARGUMENT', /index 2 is a number \(3\)/))
  assert.throws(() => validateTexts([undefined]), code('INVALID_ARGUMENT', /index 0 is a undefined/))
  assert.throws(() => validateTexts('abc'), code('INVALID_ARGUMENT', /array of strings, got a string/))
})

test('splitBatches keeps order and respects the maximum', () => {
  assert.deepEqual(splitBatches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]])
  assert.deepEqual(splitBatches([], 3), [])
  assert.throws(() => splitBatches([1], 0), code('INVALID_ARGUMENT'))
})

test('embedInBatches concatenates batches in order and catches a provider that drops rows', async () => {
  const e = lazyEmbedder(3)
  const out = await e.embed(['a', 'bb', 'ccc', 'dddd', 'eeeee'])
  assert.deepEqual(e.calls, [['a', 'bb'], ['ccc', 'dddd'], ['eeeee']])
  assert.deepEqual(out.map((v) => v[0]), [10, 20, 30, 40, 50])
  assert.deepEqual(await embedInBatches([], 4, async () => { throw new Error('must not be called') }), [])
  await assert.rejects(embedInBatches(['a', 'b'], 4, async () => [new Float32Array(1)]), code('INTERNAL', /1 vectors for 2 texts/))
})

test('checkVector enforces length and finiteness', () => {
  assert.doesNotThrow(() => checkVector(new Float32Array([1, 2]), 0, 2, 'm'))
  assert.throws(() => checkVector(new Float32Array([1, 2, 3]), 4, 2, 'm'), code('DIMENSION_MISMATCH', /index 4/))
  assert.throws(() => checkVector(new Float32Array([1, NaN]), 0, 0, 'm'), code('CORRUPT_DATA', /NaN.*component 1/))
  assert.throws(() => checkVector(new Float32Array([Infinity]), 0, 1, 'm'), code('CORRUPT_DATA'))
})

test('identity and fingerprint need a known dim; probeDim learns it', async () => {
  const e = lazyEmbedder(4)
  assert.throws(() => embedderIdentity(e), code('INVALID_ARGUMENT', /probeDim/))
  assert.equal(await probeDim(e), 4)
  assert.equal(e.calls.length, 1)
  assert.equal(await probeDim(e), 4)
  assert.equal(e.calls.length, 1, 'a known dim needs no second probe')
  assert.deepEqual(embedderIdentity(e), { name: 'fake@1', dim: 4 })
  assert.equal(embedderFingerprint(e), 'fake@1#4')
  assert.equal(embedderFingerprint({ name: 'openai:nomic/embed', dim: 768 }), 'openai:nomic/embed#768')
})

test('assertSameEmbedder refuses a different model or dimension', async () => {
  const table = { name: 'use-lite@0.2.0', dim: 512 }
  assert.doesNotThrow(() => assertSameEmbedder(table, { name: 'use-lite@0.2.0', dim: 512 }))
  assert.throws(() => assertSameEmbedder(table, { name: 'openai:text-embedding-3-small', dim: 512 }, 'table docs'),
    code('INVALID_ARGUMENT', /table docs was embedded with use-lite@0\.2\.0, but this query uses openai:text-embedding-3-small/))
  assert.throws(() => assertSameEmbedder(table, { name: 'use-lite@0.2.0', dim: 256 }), code('DIMENSION_MISMATCH'))
  const e = lazyEmbedder(512)
  await e.embed(['x'])
  assert.throws(() => assertSameEmbedder(table, e), code('INVALID_ARGUMENT', /fake@1/))
})
