// Text queries and front ends on a table with several vector columns: a text query goes to the
// column whose recorded embedder is named (or the only one that records one); two candidates
// without a choice is INVALID_ARGUMENT asking for { column }. The HTTP search route and
// `ailake search --column` search the column asked for; results equal the API's.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError, type Embedder } from '../../src/index.js'
import { createApp } from '../../src/server/index.js'
import { run } from '../../src/cli/run.js'
import { send } from '../server/helpers.js'
import { tempDir } from '../helpers/tmpdir.js'

/** A deterministic embedder: each text becomes `dim` values from its character codes (shifted by `salt`). */
function fakeEmbedder(name: string, dim: number, salt: number): Embedder {
  return {
    name, dim,
    async embed(texts: readonly string[]): Promise<Float32Array[]> {
      return texts.map((t) => Float32Array.from({ length: dim }, (_, i) => ((t.charCodeAt(i % t.length) + salt * (i + 1)) % 17) - 8))
    },
  }
}

test('a text query searches the column whose embedder it names; ambiguity is an error; HTTP and CLI take the column', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const words = fakeEmbedder('fake-words', 4, 1)
    const pics = fakeEmbedder('fake-pics', 3, 2)
    const t = await lake.createTable('default.docs', {
      vector: { dim: 4, metric: 'euclidean' }, embedder: words,
      vectors: { image: { dim: 3, metric: 'euclidean', embedder: 'fake-pics' } },
      schema: { id: 'long', title: 'string' },
    })
    const titles = ['red apple', 'green pear', 'blue sky', 'yellow sun', 'dark night', 'white snow']
    const rows = await Promise.all(titles.map(async (title, i) => ({ id: BigInt(i), title, embedding: (await words.embed([title]))[0], image: (await pics.embed([title]))[0] })))
    await t.add(rows)
    // Each column's own embedding of a title finds that title's row at distance 0.
    const [byWords] = await t.search('blue sky', { embedder: words }).limit(1).toArray()
    assert.equal(byWords?.title, 'blue sky')
    assert.equal(byWords?._distance, 0)
    const [byPics] = await t.search('dark night', { embedder: pics }).limit(1).toArray()
    assert.equal(byPics?.title, 'dark night')
    assert.equal((await t.search('dark night', { embedder: pics }).explain()).column, 'image')
    assert.throws(() => t.search('dark night'), (err: unknown) => isAilakeError(err, 'INVALID_ARGUMENT') && /embedding: fake-words, image: fake-pics/.test((err as Error).message) && /column/.test((err as Error).message))
    await assert.rejects(t.search('dark night', { column: 'image', embedder: words }).toArray(), (err: unknown) => isAilakeError(err) && /fake-pics/.test((err as Error).message))

    const app = createApp(lake, { embedders: { 'fake-words': words, 'fake-pics': pics } }).app
    const q = Array.from((await pics.embed(['white snow']))[0] as Float32Array)
    const http = await send(app, 'POST', '/v1/tables/default.docs/search', { body: { vector: q, column: 'image', limit: 2, select: ['id', 'title', 'image'] } })
    assert.equal(http.status, 200, http.text)
    const api = await t.search(q, { column: 'image' }).limit(2).select(['id', 'title', 'image']).toArray()
    assert.deepEqual(http.json.rows.map((r: { title: string }) => r.title), api.map((r) => r.title))
    assert.deepEqual(http.json.rows[0].image, Array.from(api[0]?.image as Float32Array))
    const httpText = await send(app, 'POST', '/v1/tables/default.docs/search', { body: { text: 'yellow sun', column: 'image', limit: 1 } })
    assert.equal(httpText.status, 200, httpText.text)
    assert.equal(httpText.json.rows[0].title, 'yellow sun')
    assert.equal((await send(app, 'POST', '/v1/tables/default.docs/search', { body: { vector: q, column: 'nope' } })).status, 400)

    let out = ''
    let err = ''
    const io = { out: (s: string) => { out += `${s}\n` }, err: (s: string) => { err += s }, tty: false, env: { AILAKE_WAREHOUSE: dir, AILAKE_DEBUG: '' } }
    const code = await run(['search', 'default.docs', '--column', 'image', '--vector', JSON.stringify(q), '-k', '1', '--select', 'id,title', '--json'], io)
    assert.equal(code, 0, err)
    assert.equal(JSON.parse(out)[0].title, 'white snow')
    out = ''
    assert.notEqual(await run(['search', 'default.docs', '--column', 'nope', '--vector', JSON.stringify(q)], io), 0)
    assert.match(err, /nope/)
    await t.close()
  } finally {
    await cleanup()
  }
})
