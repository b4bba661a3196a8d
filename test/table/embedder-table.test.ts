// Tables that embed text: the embedder is recorded, used for add/search, and a different one is refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError, type Embedder } from '../../src/index.js'
import { tempDir } from '../helpers/tmpdir.js'

// A deterministic bag-of-letters embedder: texts sharing letters are close.
function letters(name: string, dim = 26): Embedder {
  return {
    name, dim,
    async embed(texts) {
      return texts.map((t) => {
        const v = new Float32Array(dim)
        for (const ch of t.toLowerCase()) {
          const c = ch.charCodeAt(0) - 97
          if (c >= 0 && c < dim) v[c] = (v[c] as number) + 1
        }
        v[0] = (v[0] as number) + 0.01
        return v
      })
    },
  }
}

test('a table records its embedder, embeds text on add and search, and refuses another embedder', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const e = letters('letters@1')
    const t = await lake.createTable('default.notes', { vector: { metric: 'cosine' }, embedder: e })
    assert.equal(t.vector.dim, 26)
    assert.deepEqual(t.embedder, { name: 'letters@1', dim: 26 })
    await t.add([{ text: 'zzz' }, { text: 'abc' }, { text: 'xyz' }], { embedFrom: 'text', embedder: e })
    const hits = await t.search('zz', { embedder: e }).limit(1).toArray()
    assert.equal(hits[0]?.text, 'zzz')

    const other = letters('letters@2')
    await assert.rejects(t.search('zz', { embedder: other }).toArray(), (err: unknown) => isAilakeError(err, 'INVALID_ARGUMENT') && /letters@1/.test(err.message))
    await assert.rejects(t.search('zz', { embedder: letters('letters@1', 10) }).toArray(), (err: unknown) => isAilakeError(err, 'DIMENSION_MISMATCH'))
    await assert.rejects(t.add([{ text: 'q' }], { embedFrom: 'text', embedder: other }), (err: unknown) => isAilakeError(err, 'INVALID_ARGUMENT'))
    assert.equal(await t.countRows(), 3, 'refused adds change nothing')

    const plain = await lake.createTable('default.plain', { vector: { dim: 3 } })
    await assert.rejects(plain.search('text').toArray(), (err: unknown) => isAilakeError(err, 'INVALID_ARGUMENT') && /records no embedder/.test(err.message))
    await assert.rejects(lake.createTable('default.bad', { vector: { dim: 5 }, embedder: e }), (err: unknown) => isAilakeError(err, 'DIMENSION_MISMATCH'))
  } finally {
    await cleanup()
  }
})
