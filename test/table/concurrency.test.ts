import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { icebergRead } from 'icebird'
import { connect } from '../../src/index.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { LocalStore } from '../../src/store/local-store.js'
import { tempDir } from '../helpers/tmpdir.js'
import { runNode, type ChildResult, type KillOptions } from '../helpers/child.js'

const WORKER = fileURLToPath(new URL('./append-worker.js', import.meta.url))

function run(args: string[], kill?: KillOptions): Promise<ChildResult> {
  return runNode(WORKER, args, kill)
}

test('4 processes x 25 appends to one local table: no lost commit, every row readable', { timeout: 240_000 }, async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    await lake.createTable('default.race', { vector: { dim: 3, metric: 'euclidean' }, schema: { id: 'long' } })
    const results = await Promise.all([0, 1, 2, 3].map((w) => run([dir, 'default.race', String(w), '25'])))
    for (const r of results) assert.equal(r.code, 0, r.err)
    const acked = results.flatMap((r) => r.out.trim().split('\n').map((l) => l.split(' ')[1] as string))
    assert.equal(acked.length, 100)

    const table = await (await connect(dir)).openTable('default.race')
    const history = table.history()
    assert.equal(history.length, 100, 'every commit is in the history')
    assert.deepEqual(new Set(history.map((h) => String(h.snapshotId))), new Set(acked))
    // The history is one chain: each snapshot's parent is the one before it.
    for (let i = 1; i < history.length; i++) assert.equal(history[i]?.parentId, history[i - 1]?.snapshotId)
    assert.equal(await table.countRows(), 200)
    const store = new LocalStore({ root: dir })
    for (const f of await table.files()) {
      assert.ok(await store.head(f.path.slice(`file://${store.root}/`.length)), `${f.path} exists`)
    }
  } finally {
    await cleanup()
  }
})

test('a writer killed mid-commit leaves the table readable at the last good snapshot', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const lake = await connect(dir)
    await lake.createTable('default.crash', { vector: { dim: 3 }, schema: { id: 'long' } })
    const store = new LocalStore({ root: dir })
    const allAcked: string[] = []
    // Each round is killed after its child acknowledged some commits (so the checks below have
    // something to check), at a point of the next commit that depends on the delay and the load.
    for (const [afterLines, delayMs] of [[1, 0], [3, 2], [8, 10]] as const) {
      const r = await run([dir, 'default.crash', '1', '0', 'loop'], { afterLines, delayMs })
      assert.equal(r.code, null, 'killed by signal')
      const acked = r.out.split('\n').filter((l) => l.includes(' ')).map((l) => l.split(' ')[1] as string)
      assert.ok(acked.length >= afterLines, `the child acknowledged ${acked.length} commits before the kill, expected ${afterLines}: ${r.err}`)
      allAcked.push(...acked)
      const table = await (await connect(dir)).openTable('default.crash')
      const ids = new Set(table.history().map((h) => String(h.snapshotId)))
      for (const a of allAcked) assert.ok(ids.has(a), `acknowledged snapshot ${a} is in the history`)
      const files = await table.files()
      let rows = 0
      for (const f of files) {
        assert.ok(await store.head(f.path.slice(`file://${store.root}/`.length)), `${f.path} exists`)
        rows += f.rows
      }
      assert.equal(rows, table.history().length * 2)
      // The kill may land between a commit and its version-hint update, so name the version.
      const metadataFileName = `v${table.core.loaded.version}.metadata.json`
      assert.equal((await icebergRead({ tableUrl: `${dir}/default/crash`, metadataFileName })).length, rows, 'icebird reads every committed row')
    }
  } finally {
    restore()
    await cleanup()
  }
})
