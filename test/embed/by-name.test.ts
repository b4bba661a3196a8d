import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEmbedderByName } from '../../src/embed/by-name.js'
import { isAilakeError } from '../../src/errors.js'

test('use-lite names resolve to the installed offline model and a wrong version is refused', async () => {
  const e = await createEmbedderByName('use-lite@0.2.0')
  assert.equal(e.name, 'use-lite@0.2.0')
  assert.equal((await createEmbedderByName('use-lite')).name, 'use-lite@0.2.0')
  await assert.rejects(createEmbedderByName('use-lite@0.1.0'), (err: unknown) =>
    isAilakeError(err, 'UNSUPPORTED') && /made by use-lite@0\.1\.0 but the installed model is use-lite@0\.2\.0/.test(err.message))
})

test('openai:<model> builds an HTTP embedder for that model with the given connection settings', async () => {
  const bodies: unknown[] = []
  const fakeFetch = (async (_url: URL, init: RequestInit) => {
    const body = JSON.parse(String(init.body)) as { model: string; input: string[] }
    bodies.push(body)
    return new Response(JSON.stringify({ data: body.input.map((_t, index) => ({ index, embedding: [1, 0, 0] })) }), { status: 200 })
  }) as unknown as typeof fetch
  const e = await createEmbedderByName('openai:text-embedding-3-small', { openai: { baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k', fetch: fakeFetch } })
  assert.equal(e.name, 'openai:text-embedding-3-small')
  await e.embed(['q'])
  assert.deepEqual(bodies, [{ model: 'text-embedding-3-small', input: ['q'] }])
  assert.equal(e.dim, 3)
})

test('unknown names are UNSUPPORTED', async () => {
  for (const name of ['bert', 'openai:', 'cohere:embed-v3']) {
    await assert.rejects(createEmbedderByName(name), (err: unknown) => isAilakeError(err, 'UNSUPPORTED') && err.message.includes('use-lite'), name)
  }
  await assert.rejects(createEmbedderByName(''), (err: unknown) => isAilakeError(err, 'INVALID_ARGUMENT'))
})
