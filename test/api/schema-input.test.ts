import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError, MemoryStore } from '../../src/index.js'

test('createTable: a plain schema naming the vector column is refused, not silently dropped', async () => {
  const lake = await connect('memory-warehouse', { store: new MemoryStore() })
  try {
    for (const column of ['embedding', 'vec']) {
      const vector = column === 'embedding' ? { dim: 2 } : { dim: 2, column }
      await assert.rejects(
        lake.createTable(`t_${column}`, { vector, schema: { id: 'long', [column]: 'long' } }),
        (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && e.message.includes(`"${column}" is the vector column`),
      )
      await assert.rejects(lake.openTable(`t_${column}`), (e: unknown) => isAilakeError(e, 'NOT_FOUND'))
    }
    const ok = await lake.createTable('fine', { vector: { dim: 2 }, schema: { id: 'long' } })
    assert.deepEqual(ok.columns().map((f) => [f.id, f.name]), [[1, 'id'], [2, 'embedding']])
  } finally {
    await lake.close()
  }
})
