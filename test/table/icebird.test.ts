// An independent Iceberg reader (icebird) reads tables that ailake wrote through its public API.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { icebergRead } from 'icebird'
import { connect } from '../../src/index.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'

test('icebird reads the current and an older snapshot of a table written by ailake', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const lake = await connect(dir)
    const table = await lake.createTable('default.docs', { vector: { dim: 4, metric: 'euclidean' }, schema: { id: 'long', docTitle: 'string', score: 'double' } })
    const vecs = clusteredVectors(5, 4)
    const rows = vecs.map((v, i) => ({ id: BigInt(i), docTitle: `title ${i}`, score: i * 1.5, embedding: v }))
    await table.add(rows.slice(0, 3))
    await table.add(rows.slice(3))
    const tableUrl = `${dir}/default/docs`

    const current = await icebergRead({ tableUrl })
    assert.equal(current.length, 5)
    const byId = new Map(current.map((r) => [Number(r.id), r]))
    for (const [i, r] of rows.entries()) {
      const got = byId.get(i)
      assert.ok(got, `row ${i} present`)
      assert.equal(got.docTitle, r.docTitle)
      assert.equal(got.score, r.score)
      assert.deepEqual(Array.from(got.embedding as number[]), Array.from(r.embedding))
    }
    // v1 is the empty table; v2 holds the first append only.
    const older = await icebergRead({ tableUrl, metadataFileName: 'v2.metadata.json' })
    assert.deepEqual(older.map((r) => Number(r.id)).sort(), [0, 1, 2])
  } finally {
    restore()
    await cleanup()
  }
})
