// Many writer processes on one S3 table, coordinated only by conditional creates.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { connect } from '../../src/index.js'
import { mapLimit } from '../../src/util/limiter.js'
import { guardS3, keyOf, s3Client, s3Prefix, SKIP } from './helpers.js'
import { runNode, type ChildResult } from '../helpers/child.js'

guardS3('S3 concurrent writer processes against a real server')

const WORKER = fileURLToPath(new URL('./append-worker.js', import.meta.url))
const WRITERS = 8
const COMMITS = 20

function run(args: string[]): Promise<ChildResult> {
  return runNode(WORKER, args)
}

test(`${WRITERS} processes x ${COMMITS} appends to one S3 table: every commit in one chain, every row found`, { skip: SKIP, timeout: 240_000 }, async () => {
  const { prefix, uri, store, cleanup } = s3Prefix('race')
  try {
    const lake = await connect(uri, { s3: s3Client() })
    await lake.createTable('default.race', { vector: { dim: 3, metric: 'euclidean' }, schema: { id: 'long' } })
    await lake.close()

    const results = await Promise.all(Array.from({ length: WRITERS }, (_, w) => run([uri, 'default.race', String(w), String(COMMITS)])))
    for (const r of results) assert.equal(r.code, 0, r.err)
    const acked = results.flatMap((r) => r.out.trim().split('\n').map((l) => l.split(' ')[1] as string))
    assert.equal(acked.length, WRITERS * COMMITS)

    const reader = await connect(uri, { s3: s3Client() })
    const table = await reader.openTable('default.race')
    const history = table.history()
    assert.equal(history.length, WRITERS * COMMITS, 'every commit is in the history')
    assert.deepEqual(new Set(history.map((h) => String(h.snapshotId))), new Set(acked))
    assert.equal(history[0]?.parentId, null)
    for (let i = 1; i < history.length; i++) assert.equal(history[i]?.parentId, history[i - 1]?.snapshotId, `snapshot ${i} follows snapshot ${i - 1}`)
    assert.deepEqual(history.map((h) => h.totalRows), history.map((_, i) => 2 * (i + 1)))

    const files = await table.files()
    assert.equal(files.length, WRITERS * COMMITS)
    assert.equal(await table.countRows(), 2 * WRITERS * COMMITS)
    await mapLimit(files, 16, async (f) => assert.ok(await store.head(keyOf(f.path, prefix)), `${f.path} exists`))

    // One search with a large k sees every row of every commit.
    const all = await table.search([0, 0, 0]).limit(1000).toArray()
    const expected = new Set<number>()
    for (let w = 0; w < WRITERS; w++) for (let i = 0; i < COMMITS; i++) for (const j of [0, 1]) expected.add((w * 1000 + i) * 2 + j)
    assert.deepEqual(new Set(all.map((r) => Number(r.id))), expected)
    // And each sampled row's own vector finds that row first.
    for (let w = 0; w < WRITERS; w++) {
      for (const i of [0, COMMITS - 1]) {
        const hit = await table.search([w, i, 1]).limit(1).toArray()
        assert.equal(Number(hit[0]?.id), (w * 1000 + i) * 2 + 1)
        assert.equal(hit[0]?._distance, 0)
      }
    }
    await reader.close()
  } finally {
    await cleanup()
  }
})
