// Old metadata files: a commit deletes the vN.metadata.json files that leave the metadata log
// (write.metadata.previous-versions-max, default 20) once superseded longer than the grace
// period; never the current one; and a reader or committer whose version was deleted under it
// goes on with the newer head. Files on disk are the oracle.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, FileCatalog, isAilakeError, LocalStore, type ObjectStore } from '../../src/index.js'
import { DEFAULT_PREVIOUS_VERSIONS_MAX } from '../../src/catalog/metadata-files.js'
import { tempDir } from '../helpers/tmpdir.js'

const row = (i: number): { id: bigint; embedding: number[] } => ({ id: BigInt(i), embedding: [1, i, 0] })

function versions(dir: string, table = 'docs'): number[] {
  return readdirSync(join(dir, 'default', table, 'metadata'))
    .map((f) => /^v(\d+)\.metadata\.json$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined).map(Number).sort((a, b) => a - b)
}

/** `local` with its reads going through `get` (a test's race runs there). */
function withGet(local: LocalStore, get: (key: string) => Promise<Uint8Array>): ObjectStore {
  return {
    get,
    getRange: (key, offset, length) => local.getRange(key, offset, length),
    head: (key) => local.head(key),
    put: (key, bytes) => local.put(key, bytes),
    putIfAbsent: (key, bytes) => local.putIfAbsent(key, bytes),
    list: (prefix) => local.list(prefix),
    delete: (key) => local.delete(key),
    close: () => local.close(),
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

test('each commit deletes the metadata files that leave the log: the last N stay, and the current one', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('docs', {
      vector: { dim: 3 }, schema: { id: 'long' },
      properties: { 'write.metadata.previous-versions-max': '5', 'ailake.metadata.delete-grace-ms': '0' },
    })
    for (let i = 0; i < 30; i++) await t.add([row(i)])
    // v1 (create) + 30 appends = v31; v26..v30 are logged, v31 is current.
    assert.deepEqual(versions(dir), range(26, 31))
    assert.deepEqual(t.core.metadata.metadataLog.map((e) => Number(/v(\d+)\./.exec(e.metadataFile)?.[1])), range(26, 30))
    assert.equal(await t.countRows(), 30, 'snapshots (time travel) do not depend on old metadata files')
    assert.equal((await t.search([1, 0, 0]).asOf(t.history()[0]?.snapshotId as bigint).toArray()).length, 1)
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('the defaults keep 20 files, and none superseded less than the grace period ago', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    assert.equal(DEFAULT_PREVIOUS_VERSIONS_MAX, 20)
    const lake = await connect(dir)
    const t = await lake.createTable('docs', { vector: { dim: 3 }, schema: { id: 'long' } })
    for (let i = 0; i < 25; i++) await t.add([row(i)])
    // All 26 versions were superseded moments ago: a reader of another engine may be opening any of them.
    assert.deepEqual(versions(dir), range(1, 26))
    await lake.close()

    const lake2 = await connect(dir)
    const t2 = await lake2.createTable('kept', {
      vector: { dim: 3 }, schema: { id: 'long' },
      properties: { 'write.metadata.delete-after-commit.enabled': 'false', 'write.metadata.previous-versions-max': '2', 'ailake.metadata.delete-grace-ms': '0' },
    })
    for (let i = 0; i < 6; i++) await t2.add([row(i)])
    assert.deepEqual(versions(dir, 'kept'), range(1, 7), 'delete-after-commit off keeps every file')
    assert.equal(t2.core.metadata.metadataLog.length, 2, 'the log is still bounded')
    await lake2.close()
  } finally {
    await cleanup()
  }
})

test('expireSnapshots deletes the metadata files earlier commits left behind', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('docs', {
      vector: { dim: 3 }, schema: { id: 'long' },
      properties: { 'write.metadata.delete-after-commit.enabled': 'false', 'write.metadata.previous-versions-max': '3', 'ailake.metadata.delete-grace-ms': '0' },
    })
    for (let i = 0; i < 10; i++) await t.add([row(i)])
    assert.equal(versions(dir).length, 11)
    await lake.close()
    // A table written before pruning existed (or by a commit that crashed before deleting): switch deletion on.
    const current = join(dir, 'default/docs/metadata/v11.metadata.json')
    const text = readFileSync(current, 'utf8')
    assert.match(text, /"write\.metadata\.delete-after-commit\.enabled": "false"/)
    writeFileSync(current, text.replace(/("write\.metadata\.delete-after-commit\.enabled"): "false"/, '$1: "true"'))
    const lake2 = await connect(dir)
    const t2 = await lake2.openTable('docs')
    const r = await t2.expireSnapshots({ olderThan: new Date(0) })
    assert.equal(r.expiredSnapshots, 0)
    assert.equal(r.deletedMetadataFiles, 7)
    assert.deepEqual(versions(dir), range(8, 11))
    await lake2.close()
  } finally {
    await cleanup()
  }
})

test('a committer whose base version was deleted retries on the new head; a reader whose listed version vanishes loads the newer one', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const props = { 'write.metadata.previous-versions-max': '1', 'ailake.metadata.delete-grace-ms': '0' }
    const a = await lake.createTable('docs', { vector: { dim: 3 }, schema: { id: 'long' }, properties: props })
    await a.add([row(0)])
    const b = await lake.openTable('docs')
    for (let i = 1; i <= 5; i++) await a.add([row(i)])
    assert.ok(!versions(dir).includes(2), 'the version b loaded is gone')
    await b.add([row(99)])
    assert.equal(await b.countRows(), 7)

    // A store whose first read of the newest metadata finds it deleted by a concurrent commit.
    const local = new LocalStore({ root: dir })
    let raced = false
    const racing = withGet(local, async (key) => {
      const newest = Math.max(...versions(dir))
      if (!raced && key === `default/docs/metadata/v${newest}.metadata.json`) {
        raced = true
        await b.add([row(100)])
        await b.add([row(101)])
        assert.ok(!versions(dir).includes(newest))
      }
      return local.get(key)
    })
    const catalog = new FileCatalog({ store: racing, warehouse: `file://${dir}` })
    const loaded = await catalog.loadTable({ namespace: ['default'], name: 'docs' })
    assert.ok(raced)
    assert.equal(loaded.version, Math.max(...versions(dir)))
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('no commit deletes the current metadata file or one newer than its base', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('docs', { vector: { dim: 3 }, schema: { id: 'long' }, properties: { 'write.metadata.previous-versions-max': '1', 'ailake.metadata.delete-grace-ms': '0' } })
    const handles = await Promise.all([0, 1, 2, 3].map(() => lake.openTable('docs')))
    // Concurrent committers on stale bases: every commit lands, and the head always loads.
    await Promise.all(handles.map(async (h, k) => { for (let i = 0; i < 5; i++) await h.add([row(10 * k + i)]) }))
    await t.refresh()
    assert.equal(await t.countRows(), 20)
    const v = versions(dir)
    assert.equal(v.at(-1), 21)
    assert.ok(v.length <= 3 && v.length >= 2, `the newest versions stay: ${v.join(',')}`)
    await assert.rejects(lake.openTable('absent'), (e) => isAilakeError(e, 'NOT_FOUND'))
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('a committer on a stale base whose next version number was deleted under it does not re-create it below the head (rows would vanish)', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const props = { 'write.metadata.previous-versions-max': '1', 'ailake.metadata.delete-grace-ms': '0' }
    const t = await lake.createTable('docs', { vector: { dim: 3 }, schema: { id: 'long' }, properties: props })
    await t.add([row(0)])
    // Handle `a` commits through a store that, when the commit checks a's base version, lets three
    // other commits land first: the third deletes a's base and the version after it.
    const local = new LocalStore({ root: dir })
    let armed = false
    let raced = false
    const racing = withGet(local, async (key) => {
      const bytes = await local.get(key)
      if (armed && !raced && /\/v\d+\.metadata\.json$/.test(key)) {
        raced = true
        const base = Number(/v(\d+)\.metadata\.json$/.exec(key)?.[1])
        for (let i = 1; i <= 3; i++) await t.add([row(100 + i)])
        assert.ok(!versions(dir).includes(base + 1), `version ${base + 1} was deleted under the committer (have ${versions(dir).join(',')})`)
      }
      return bytes
    })
    const other = await connect(dir, { store: racing })
    const a = await other.openTable('docs')
    armed = true
    await a.add([row(7)])
    assert.ok(raced, 'the race happened')
    const head = await (await connect(dir)).openTable('docs')
    assert.deepEqual((await head.search([1, 0, 0]).limit(10).toArray()).map((r) => Number(r.id)).sort((x, y) => x - y), [0, 7, 101, 102, 103], 'every acknowledged row is in the head')
    const v = versions(dir)
    assert.equal(v.at(-1), 6, `one version per commit, numbered in order (have ${v.join(',')})`)
    await other.close()
    await lake.close()
  } finally {
    await cleanup()
  }
})
