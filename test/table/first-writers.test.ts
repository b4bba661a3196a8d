// 8 processes make the first write to a table whose columns are inferred, all at once. Every
// write lands: a concurrent identical or compatible schema is accepted, and a write whose files
// were laid out for another schema is redone against the winner's schema inside add().
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { icebergRead } from 'icebird'
import { connect } from '../../src/index.js'
import { checkFieldIds } from '../helpers/field-ids.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { runNode } from '../helpers/child.js'
import { tempDir } from '../helpers/tmpdir.js'

const WORKER = fileURLToPath(new URL('./first-writer-worker.js', import.meta.url))
const WRITERS = 8

test(`${WRITERS} processes racing the first write of an inferred table all succeed`, { timeout: 240_000 }, async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    await (await connect(dir)).createTable('default.first', { vector: { dim: 2, metric: 'euclidean' } })
    const startAt = Date.now() + 4000
    const results = await Promise.all(Array.from({ length: WRITERS }, (_, w) => runNode(WORKER, [dir, 'default.first', String(w), String(startAt)])))
    for (const r of results) assert.equal(r.code, 0, r.err)
    const reports = results.map((r) => JSON.parse(r.out) as { worker: number; pending: boolean; snapshot: string })
    assert.ok(reports.filter((r) => r.pending).length >= 2, 'at least two writers raced for the first schema')

    const table = await (await connect(dir)).openTable('default.first')
    assert.deepEqual(new Set(table.history().map((h) => String(h.snapshotId))), new Set(reports.map((r) => r.snapshot)))
    assert.deepEqual(table.columns().map((c) => c.name).sort(), ['embedding', 'id', 'text'])
    await checkFieldIds(dir, 'default/first')
    const rows = await icebergRead({ tableUrl: `${dir}/default/first` })
    const got = rows.map((r) => `${Number(r.id)}:${String(r.text)}`).sort()
    const want = Array.from({ length: WRITERS }, (_, w) => [0, 1].map((j) => `${w * 10 + j}:w${w}r${j}`)).flat().sort()
    assert.deepEqual(got, want)
  } finally {
    restore()
    await cleanup()
  }
})
