// Old versions do not pile up: expiring snapshots deletes what only they referenced, orphan
// cleanup deletes what nothing references, and what the kept snapshots need always stays.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { connect, isAilakeError } from '../../src/index.js'
import { LocalStore } from '../../src/store/local-store.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'

test('expireSnapshots removes old snapshots and their files; the current snapshot stays whole', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.exp', { vector: { dim: 4, metric: 'euclidean' }, schema: { id: 'int' } })
    const vecs = clusteredVectors(60, 4, 5)
    const s1 = await t.add(vecs.slice(0, 20).map((v, i) => ({ id: i, embedding: v })))
    await t.add(vecs.slice(20, 40).map((v, i) => ({ id: 20 + i, embedding: v })), { buildIndex: false })
    await t.waitForIndexes() // the unindexed original is replaced: a rewrite snapshot
    await t.add(vecs.slice(40).map((v, i) => ({ id: 40 + i, embedding: v })))
    const store = new LocalStore({ root: dir })
    const parquet = async () => (await store.list('default/exp/data/')).length
    assert.equal(await parquet(), 4, '3 live files + the replaced original')
    assert.equal(t.history().length, 4)

    // Nothing is older than 5 days yet: the default expires nothing.
    assert.equal((await t.expireSnapshots()).expiredSnapshots, 0)

    const r = await t.expireSnapshots({ olderThan: Date.now() + 1000, retainLast: 1 })
    assert.equal(r.expiredSnapshots, 3)
    assert.equal(r.deletedDataFiles, 1, 'only the replaced original goes')
    assert.ok(r.deletedManifestLists >= 3)
    assert.equal(t.history().length, 1)
    assert.equal(await parquet(), 3)
    assert.equal(await t.countRows(), 60)
    for (const f of await t.files()) assert.ok(await store.head(t.core.keyOf(f.path)), `${f.path} kept`)
    for (const i of [3, 25, 55]) assert.equal((await t.search(vecs[i] as Float32Array).limit(1).toArray())[0]?.id, i)
    await assert.rejects(t.files(s1), (e: unknown) => isAilakeError(e, 'NOT_FOUND'))

    const again = await (await connect(dir)).openTable('default.exp')
    assert.equal(again.history().length, 1)
    assert.equal(await again.countRows(), 60)
    await assert.rejects(t.expireSnapshots({ retainLast: 0 }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  } finally {
    await cleanup()
  }
})

test('removeOrphanFiles deletes only old unreferenced files', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.orph', { vector: { dim: 2 } })
    await t.add([{ embedding: [1, 0] }, { embedding: [0, 1] }])
    const store = new LocalStore({ root: dir })
    await store.put('default/orph/data/crashed-writer.parquet', new Uint8Array([1, 2, 3]))
    await store.put('default/orph/data/in-flight.parquet', new Uint8Array([4]))
    const old = new Date(Date.now() - 10 * 24 * 3600 * 1000)
    await utimes(join(dir, 'default/orph/data/crashed-writer.parquet'), old, old)

    const dry = await t.removeOrphanFiles({ dryRun: true })
    assert.deepEqual(dry.map((p) => p.split('/').pop()), ['crashed-writer.parquet'])
    assert.ok(await store.head('default/orph/data/crashed-writer.parquet'), 'dry run deletes nothing')
    const removed = await t.removeOrphanFiles()
    assert.deepEqual(removed, dry)
    assert.equal(await store.head('default/orph/data/crashed-writer.parquet'), undefined)
    assert.ok(await store.head('default/orph/data/in-flight.parquet'), 'young files stay')
    assert.equal(await t.countRows(), 2)
    assert.equal((await t.search([1, 0]).limit(2).toArray()).length, 2)
  } finally {
    await cleanup()
  }
})
