// Search over f16 and i8 tables, through the public API: results are exact over the vectors as
// stored (decoded from their precision), and file pruning is sound for what is stored.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from '../../src/index.js'
import type { Metric } from '../../src/vector/types.js'
import { rng, tempDir } from '../helpers/tmpdir.js'
import { storedModel } from './stored-model.js'

// Issue 12, defect 1: bounds were computed from the f32 input, so A's stored vector (501.9 is
// quantised to 500) lay outside A's ball and A was pruned once the other files filled the top k.
test('i8 euclidean: a query equal to a stored vector finds that row first (bounds cover stored vectors)', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await using lake = await connect(dir)
    const table = await lake.createTable('default.t', { vector: { dim: 3, metric: 'euclidean', precision: 'i8' } })
    const a = Float32Array.from([0, 1000, 501.9])
    await table.add([{ id: 0, embedding: a }])
    for (let i = 1; i <= 4; i++) await table.add([{ id: i, embedding: Float32Array.from([0, 1001, 500.5]) }])
    const q = storedModel('i8', a, 3)
    assert.notDeepEqual(Array.from(q), Array.from(a), 'the stored vector differs from the input')
    const { rows, plan } = await table.search(q).limit(1).execute()
    assert.equal(rows[0]?.id, 0, `expected row 0 first, got ${JSON.stringify(rows)}`)
    assert.equal(rows[0]?._distance, 0)
    assert.equal(plan.filesTotal, 5)
  } finally {
    await cleanup()
  }
})

test('f16, every metric: a query equal to a stored vector finds that row first', async () => {
  // Per metric, a row A whose f16 rounding moves it away from its input, and a decoy that is
  // worse than A's stored vector but better than the bound computed from A's input.
  const cases: { metric: Metric; a: number[]; decoy: number[] }[] = [
    { metric: 'euclidean', a: [1000.26, 1], decoy: [1000.5, 1.125] }, // 1000.26 is stored as 1000.5
    { metric: 'dot', a: [1000.26, 1], decoy: [1000.5, 0.5] },
    { metric: 'cosine', a: [1e-7, 1.6e-7], decoy: [2, 3.02] }, // f16 subnormals: stored direction (2, 3)
  ]
  const wrong: string[] = []
  for (const { metric, a, decoy } of cases) {
    const { dir, cleanup } = await tempDir()
    try {
      await using lake = await connect(dir)
      const table = await lake.createTable('default.t', { vector: { dim: 2, metric, precision: 'f16' } })
      await table.add([{ id: 0, embedding: Float32Array.from(a) }])
      for (let i = 1; i <= 4; i++) await table.add([{ id: i, embedding: Float32Array.from(decoy) }])
      const q = storedModel('f16', Float32Array.from(a), 2)
      const rows = await table.search(q).limit(1).toArray()
      if (rows[0]?.id !== 0) wrong.push(`${metric}: expected row 0 first, got ${JSON.stringify(rows)}`)
    } finally {
      await cleanup()
    }
  }
  assert.deepEqual(wrong, [])
})

// Found by the pruning property test; left for the lead (the fix is in format/, see the report):
// a deferred index build that reads its pending file decodes the i8 vectors and encodes them
// again, and i8 quantisation is not idempotent (offset and scale are recomputed from the
// decoded extremes), so about a quarter of the rebuilt rows change their stored values.
test('an i8 file indexed by a deferred build that reads it back keeps its stored vectors', async () => {
  const { dir, cleanup } = await tempDir()
  const lake = await connect(dir, { indexBuilder: { memoryCacheBytes: 0 } })
  try {
    const dim = 24
    const table = await lake.createTable('default.t', { vector: { dim, metric: 'euclidean', precision: 'i8' } })
    const r = rng(5)
    const input = Float32Array.from({ length: 200 * dim }, (_, i) => (i % 7) * 300 + (r() - 0.5) * 5000)
    await table.add(Array.from({ length: 200 }, (_, i) => ({ id: i, embedding: input.subarray(i * dim, (i + 1) * dim) })), { buildIndex: false })
    await table.waitForIndexes()
    assert.ok((await table.files()).every((f) => f.indexStatus === 'ready'))
    const stored = storedModel('i8', input, dim)
    const changed: number[] = []
    for (let i = 0; i < 200; i++) {
      const [hit] = await table.search(stored.subarray(i * dim, (i + 1) * dim)).limit(1).select(['id', 'embedding']).toArray()
      if (hit?._distance !== 0) changed.push(i)
    }
    assert.deepEqual(changed, [])
  } finally {
    await lake.close()
    await cleanup()
  }
})

test('f16 values beyond the half range are rejected with a message naming the range, indexed or not', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await using lake = await connect(dir)
    const table = await lake.createTable('default.t', { vector: { dim: 3, precision: 'f16' } })
    for (const buildIndex of [true, false]) {
      await assert.rejects(table.add([{ id: 1, embedding: [1, 70000, 2] }], { buildIndex }),
        (e: unknown) => e instanceof Error && /f16 range/.test(e.message) && /vector 0/.test(e.message), `buildIndex ${buildIndex}`)
    }
    assert.equal(await table.countRows(), 0)
  } finally {
    await cleanup()
  }
})
