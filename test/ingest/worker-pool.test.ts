// The flush worker pool's memory: a buffer lent to a task returns with its result as a spare and
// is lent to the next flush; the written file never shares it. Shared memory is read in place
// (never transferred) and touched without changing what it holds.
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

test('a lent buffer returns with its task\'s result, is lent to the next task, and the file it wrote does not share it', async () => {
  const pool = new BuildPool(1)
  try {
    const random = seededRandom(3)
    const files: { bytes: Uint8Array; expected: Float32Array }[] = []
    for (let round = 0; round < 3; round++) {
      const rows = 2000 - round * 100
      const vectors = pool.lend(rows * DIM)
      assert.equal(vectors.buffer.byteLength, 2000 * DIM * 4, `round ${round}: ${round === 0 ? 'a new buffer' : `lent from the spare (rows ${rows} fit it)`}`)
      assert.equal(pool.spareBytes, 0)
      for (let i = 0; i < vectors.length; i++) vectors[i] = random() * 2 - 1
      const expected = vectors.slice()
      const ids = Array.from({ length: rows }, (_, i) => i)
      const written = await pool.run({ source: { kind: 'rows', schema, columns: new Map([[1, ids]]), vectors }, policy, buildIndex: false })
      assert.equal(vectors.buffer.byteLength, 0, 'the lent buffer travelled to the worker')
      await waitFor(() => pool.spareBytes === 2000 * DIM * 4, 'the spare handed back', 30_000, 10)
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

test('a task over shared memory is read in place, and touching shared memory keeps every value written in it', async () => {
  const pool = new BuildPool(1)
  try {
    const random = seededRandom(5)
    const rows = 3000
    // 6 MiB: the touch runs as two chunks; the task's rows sit past the start, as a flush window would.
    const memory = new SharedArrayBuffer(6 * 2 ** 20)
    const all = new Float32Array(memory)
    const offset = 1000
    const vectors = all.subarray(offset, offset + rows * DIM)
    for (let i = 0; i < vectors.length; i++) vectors[i] = random() * 2 - 1
    const expected = vectors.slice()
    // Values in the pages the worker touches (at each page start, where it adds 0) must survive it.
    const after = offset + rows * DIM
    for (let page = after * 4 + 4096 - ((after * 4) % 4096); page < memory.byteLength; page += 4096) all[page >> 2] = (page >> 12) + 0.25
    pool.touch(memory, memory.byteLength)
    const ids = Array.from({ length: rows }, (_, i) => i)
    const written = await pool.run({ source: { kind: 'rows', schema, columns: new Map([[1, ids]]), vectors }, policy, buildIndex: false })
    assert.equal(memory.byteLength, 6 * 2 ** 20, 'shared memory is not transferred')
    assert.equal(vectors.length, rows * DIM, 'the view stays usable')
    assert.ok(!(written.bytes.buffer instanceof SharedArrayBuffer), 'the file is not a view of the shared memory')
    await waitFor(() => pool.idle, 'the touches done', 30_000, 10)
    assert.deepEqual(vectors, expected, 'the task\'s rows are unchanged')
    for (let page = after * 4 + 4096 - ((after * 4) % 4096); page < memory.byteLength; page += 4096) assert.equal(all[page >> 2], (page >> 12) + 0.25, `page ${page}`)
    const reader = await openDataFile(bytesSource(written.bytes))
    assert.deepEqual(await reader.readVectors(), expected)
    // Vectors written over after the task ended do not reach its file.
    vectors.fill(0)
    assert.deepEqual(await (await openDataFile(bytesSource(written.bytes))).readVectors(), expected)
  } finally {
    await pool.close()
  }
})
