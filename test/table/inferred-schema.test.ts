// Tables created without columns take them from their first rows. The inferred schema must keep
// Iceberg's field-id rules (an id never names two columns; last-column-id only grows), and two
// first writers racing must both land when their rows fit one schema.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { icebergRead } from 'icebird'
import { connect, isAilakeError } from '../../src/index.js'
import { checkFieldIds } from '../helpers/field-ids.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { tempDir } from '../helpers/tmpdir.js'

test('an inferred schema keeps the vector column\'s ids and gives new columns ids above last-column-id', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.inf', { vector: { dim: 3 } })
    const placeholder = t.schema.fields.find((f) => f.name === 'embedding')
    await t.add([{ id: 7n, text: 'seven', embedding: [1, 2, 3] }, { id: 8n, text: 'eight', embedding: [3, 2, 1] }])
    const vector = t.schema.fields.find((f) => f.name === 'embedding')
    assert.deepEqual(vector, placeholder, 'the vector column keeps its field (and element) id')
    await checkFieldIds(dir, 'default/inf')
    const rows = await icebergRead({ tableUrl: `${dir}/default/inf` })
    assert.deepEqual(rows.map((r) => [Number(r.id), r.text]).sort(), [[7, 'seven'], [8, 'eight']])
  } finally {
    restore()
    await cleanup()
  }
})

// Two handles both see the table before its first write; the second handle's write races the
// first. The last variant's files number its columns differently, so add() writes it again.
const VARIANTS = {
  'same columns': { late: { id: 2n, text: 'two', embedding: [0, 1] }, want: [2, 'two'] },
  'same columns in another order': { late: { text: 'two', embedding: [0, 1], id: 2n }, want: [2, 'two'] },
  'a subset of the columns': { late: { id: 2n, embedding: [0, 1] }, want: [2, null] },
  'a subset whose ids differ': { late: { text: 'two', embedding: [0, 1] }, want: [null, 'two'] },
} as const
for (const [variant, { late, want }] of Object.entries(VARIANTS)) {
  test(`a first write racing another first write with ${variant} lands`, async () => {
    const { dir, cleanup } = await tempDir()
    const restore = installIcebirdFetch()
    try {
      await (await connect(dir)).createTable('default.race', { vector: { dim: 2 } })
      const a = await (await connect(dir)).openTable('default.race')
      const b = await (await connect(dir)).openTable('default.race')
      await a.add([{ id: 1n, text: 'one', embedding: [1, 0] }])
      await b.add([late])
      await b.add([{ id: 3n, text: 'three', embedding: [1, 1] }])
      await checkFieldIds(dir, 'default/race')
      const rows = await icebergRead({ tableUrl: `${dir}/default/race` })
      const got = rows.map((r) => JSON.stringify([r.id === undefined || r.id === null ? null : Number(r.id), r.text ?? null])).sort()
      assert.deepEqual(got, [[1, 'one'], want, [3, 'three']].map((x) => JSON.stringify(x)).sort())
      const again = await (await connect(dir)).openTable('default.race')
      assert.deepEqual(again.columns().map((c) => c.name), ['id', 'text', 'embedding'])
      assert.equal(again.core.metadata.schemas.length, 2, 'one placeholder, one inferred schema')
    } finally {
      restore()
      await cleanup()
    }
  })
}

test('a racing first write whose columns do not fit the winner\'s schema fails as a sequential one would', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await (await connect(dir)).createTable('default.race', { vector: { dim: 2 } })
    const a = await (await connect(dir)).openTable('default.race')
    const b = await (await connect(dir)).openTable('default.race')
    await a.add([{ id: 1n, embedding: [1, 0] }])
    await assert.rejects(b.add([{ id: 2n, extra: 'x', embedding: [0, 1] }]), (e: unknown) => isAilakeError(e, 'SCHEMA_MISMATCH') && /extra/.test(e.message))
    await assert.rejects(b.add([{ id: 'two', embedding: [0, 1] }]), (e: unknown) => isAilakeError(e, 'SCHEMA_MISMATCH'))
    const again = await (await connect(dir)).openTable('default.race')
    assert.equal(await again.countRows(), 1)
  } finally {
    await cleanup()
  }
})
