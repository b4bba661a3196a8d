// The flush worker pool's memory reuse: a warmed buffer comes back as a spare and is lent to the
// next flush; a buffer lent to a task returns with its result; the written file never shares it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BuildPool } from '../../src/ingest/worker-pool.js'
import { openDataFile } from '../../src/format/data-file.js'
import { bytesSource } from '../../src/util/byte-source.js'
import { seededRandom } from '../../src/util/rng.js'
import { waitFor } from '../helpers/wait.js'
import type { Schema } from '../../src/format/schema.js'
import type { VectorPolicy } from '../../src/table/vector-policy.js'

const DIM = 8
const schema: Schema = { schemaId: 0, fields: [{ id: 1, name: 'id', type: 'int', required: true }, { id: 2, name: 'embedding', type: { type: 'list', elementId: 3, element: 'float', elementRequired: true }, required: true }] }
const policy: VectorPolicy = { column: 'embedding', dim: DIM, metric: 'euclidean', precision: 'f32', M: 8, efConstruction: 32 }

test('a warmed buffer is lent to the next task, returns with its result, and the file it wrote does not share it', async () => {
  const pool = new BuildPool(1)
  try {
    pool.warm(64 * 1024)
    await waitFor(() => pool.spareBytes === 64 * 1024, 'the warmed spare', 30_000, 10)
    const random = seededRandom(3)
    const files: { bytes: Uint8Array; expected: Float32Array }[] = []
    for (let round = 0; round < 3; round++) {
      const rows = 1500 + round * 100
      const vectors = pool.lend(rows * DIM)
      assert.equal(vectors.buffer.byteLength, 64 * 1024, `round ${round}: lent from the spare (rows ${rows} fit it)`)
      assert.equal(pool.spareBytes, 0)
      for (let i = 0; i < vectors.length; i++) vectors[i] = random() * 2 - 1
      const expected = vectors.slice()
      const ids = Array.from({ length: rows }, (_, i) => i)
      const written = await pool.run({ source: { kind: 'rows', schema, columns: new Map([[1, ids]]), vectors }, policy, buildIndex: false })
      assert.equal(vectors.buffer.byteLength, 0, 'the lent buffer travelled to the worker')
      await waitFor(() => pool.spareBytes === 64 * 1024, 'the spare handed back', 30_000, 10)
      files.push({ bytes: written.bytes, expected })
    }
    // Later rounds overwrote the spare each file was encoded from: no file may have changed.
    for (const [round, f] of files.entries()) {
      const reader = await openDataFile(bytesSource(f.bytes))
      assert.deepEqual(await reader.readVectors(), f.expected, `round ${round}: the file holds the vectors it was given`)
    }
    // A request far smaller than the spare does not pin it (at most twice the size asked for).
    assert.equal(pool.lend(100).buffer.byteLength, 400)
  } finally {
    await pool.close()
  }
})
