// The public Table wires writers, background index builds and search together.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError } from '../../src/index.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'

test('public API: add, deferred add, memTableWriter and search see the same rows', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await using lake = await connect(dir)
    const table = await lake.createTable('default.api', { vector: { dim: 8, metric: 'cosine' } })
    const vecs = clusteredVectors(300, 8, 3)
    const row = (i: number) => ({ id: i, group: i % 3 === 0 ? 'a' : 'b', embedding: vecs[i] as Float32Array })
    await table.add(Array.from({ length: 100 }, (_, i) => row(i)))
    await table.add(Array.from({ length: 100 }, (_, i) => row(100 + i)), { buildIndex: false })
    const writer = table.memTableWriter({ flushMaxRows: 1000 })
    await writer.insert(Array.from({ length: 100 }, (_, i) => row(200 + i)))

    // Every row finds itself first: indexed, deferred (exact scan) and buffered alike.
    for (const i of [5, 150, 250]) {
      const hits = await table.search(vecs[i] as Float32Array).limit(3).toArray()
      assert.equal(hits[0]?.id, i, `row ${i} is its own nearest neighbour`)
      assert.ok((hits[0]?._distance as number) < 1e-5)
    }
    const filtered = await table.search(vecs[0] as Float32Array).where("group = 'a'").limit(200).toArray()
    assert.equal(filtered.length, 100, 'all 100 rows of group a, across files and the buffer')
    assert.ok(filtered.every((r) => r.group === 'a'))

    await writer.close()
    await table.waitForIndexes()
    const files = await table.files()
    assert.ok(files.every((f) => f.indexStatus === 'ready'), 'deferred files were indexed in the background')
    assert.equal(await table.countRows(), 300)
    const hits = await table.search(vecs[250] as Float32Array).limit(1).toArray()
    assert.equal(hits[0]?.id, 250)

    await assert.rejects(async () => table.search([1, 2, 3]).toArray(), (e: unknown) => isAilakeError(e, 'DIMENSION_MISMATCH'))
    await table.close()
    assert.throws(() => table.search(vecs[0] as Float32Array), (e: unknown) => isAilakeError(e, 'CLOSED'))
  } finally {
    await cleanup()
  }
})

test('an open writer with an empty buffer does not pin searches to an old snapshot', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const table = await lake.createTable('default.pin', { vector: { dim: 8 } })
    const vecs = clusteredVectors(20, 8, 9)
    const writer = table.memTableWriter({ flushMaxRows: 10 })
    assert.equal(await writer.insert(vecs.slice(0, 10).map((v, i) => ({ id: i, embedding: v }))), null, 'the row limit starts a background flush')
    assert.notEqual(await writer.waitForFlush(), null, 'the row limit flushed the buffer')
    await table.waitForIndexes() // commits a rewrite after the writer's flush
    const plan = await table.search(vecs[0] as Float32Array).limit(1).explain()
    assert.equal(plan.snapshotId, table.currentSnapshotId)
    assert.equal(plan.filesSearchedByIndex, 1, 'the indexed file of the newest snapshot is searched')
    await writer.insert([{ id: 10, embedding: vecs[10] as Float32Array }])
    const hits = await table.search(vecs[10] as Float32Array).limit(1).toArray()
    assert.equal(hits[0]?.id, 10, 'buffered rows still found')
    await writer.close()
    await lake.close()
  } finally {
    await cleanup()
  }
})
