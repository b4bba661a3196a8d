// The README's ten-line example, run as written (so the front page never lies).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from '../../src/index.js'
import { tempDir } from '../helpers/tmpdir.js'

test('README example works as documented, and runs twice (existOk)', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await example(dir, 1)
    await example(dir, 2)
  } finally {
    await cleanup()
  }
})

async function example(dir: string, run: number): Promise<void> {
  {
    const lake = await connect(dir)
    const docs = await lake.createTable('default.docs', { vector: { dim: 3, metric: 'cosine' }, existOk: true })
    await docs.add([
      { docId: 1n, title: 'cats', embedding: new Float32Array([0.9, 0.1, 0]) },
      { docId: 2n, title: 'dogs', embedding: [0.1, 0.9, 0] },
    ])
    const hits = await docs.search([1, 0, 0]).where("title != 'dogs'").limit(5).toArray()
    assert.equal(hits.filter((h) => h.title === 'cats').length, run)
    assert.equal(hits[0]?.docId, 1n)
    assert.equal(hits[0]?.title, 'cats')
    assert.ok(Math.abs((hits[0]?._distance as number) - 0.006) < 0.001)
    const writer = docs.memTableWriter({ flushMaxRows: 100_000 })
    await writer.insert([{ docId: 3n, title: 'birds', embedding: [0, 0, 1] }])
    await writer.close()
    assert.equal(await docs.countRows(), 3 * run)
    await lake.close()
  }
}
