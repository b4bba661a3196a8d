// The public lakehouse API over s3://bucket/prefix against a real S3-compatible server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rm } from 'node:fs/promises'
import { connect, isAilakeError } from '../../src/index.js'
import { IndexCacheStore } from '../../src/store/index-cache-store.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'
import { guardS3, keyOf, s3Client, s3Prefix, SKIP } from './helpers.js'

guardS3('S3 lakehouse API against a real server')

const DIM = 8
const vecs = clusteredVectors(300, DIM, 7)
const row = (i: number) => ({ id: i, text: `row ${i}`, embedding: vecs[i] as Float32Array })
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => row(from + k))

test('s3:// lakehouse: create, add, reopen, search, history, asOf, list and drop', { skip: SKIP, timeout: 90_000 }, async () => {
  const { prefix, uri, store, cleanup } = s3Prefix('api')
  try {
    const lake = await connect(uri, { s3: s3Client() })
    assert.equal(lake.uri, uri)
    const table = await lake.createTable('default.docs', { vector: { dim: DIM, metric: 'cosine' }, schema: { id: 'long', text: 'string' } })
    await assert.rejects(lake.createTable('default.docs', { vector: { dim: DIM } }), (e: unknown) => isAilakeError(e, 'ALREADY_EXISTS'))
    const s1 = await table.add(rows(0, 100))
    const s2 = await table.add(rows(100, 250))
    await lake.close()

    // A new connection (new process state, nothing cached) sees both commits.
    const lake2 = await connect(uri, { s3: s3Client() })
    assert.deepEqual(await lake2.listTables(), ['default.docs'])
    const t = await lake2.openTable('default.docs')
    const history = t.history()
    assert.deepEqual(history.map((h) => h.snapshotId), [s1, s2])
    assert.equal(history[1]?.parentId, s1)
    assert.deepEqual(history.map((h) => h.totalRows), [100, 250])
    assert.equal(await t.countRows(), 250)
    const files = await t.files()
    assert.equal(files.length, 2)
    for (const f of files) {
      assert.equal(f.indexStatus, 'ready')
      assert.ok(f.path.startsWith(`${uri}/`), `${f.path} lives under ${uri}`)
      assert.equal((await store.head(keyOf(f.path, prefix)))?.size, f.bytes, `${f.path} exists with its recorded size`)
    }

    const plan = await t.search(vecs[5] as Float32Array).limit(5).explain()
    assert.ok(plan.reads > 0 && plan.bytesRead > 0, 'a cold search reads from S3')
    assert.equal(plan.filesSearchedByIndex + plan.filesPrunedByBound + plan.filesPrunedByStats, 2)
    for (const i of [3, 99, 180, 249]) {
      const hits = await t.search(vecs[i] as Float32Array).limit(3).toArray()
      assert.equal(Number(hits[0]?.id), i, `row ${i} finds itself`)
      assert.equal(hits[0]?.text, `row ${i}`)
      assert.ok((hits[0]?._distance as number) < 1e-5)
    }
    const filtered = await t.search(vecs[0] as Float32Array).where('id >= 240').limit(50).toArray()
    assert.deepEqual(filtered.map((r) => Number(r.id)).sort((a, b) => a - b), Array.from({ length: 10 }, (_, k) => 240 + k))

    // Time travel: at s1 the second batch does not exist, for counts and for vector search.
    assert.equal(await t.countRows(s1), 100)
    const old = await t.search(vecs[200] as Float32Array).asOf(s1).limit(100).toArray()
    assert.equal(old.length, 100)
    assert.ok(old.every((r) => Number(r.id) < 100), 'search asOf s1 sees only the first batch')
    const byTime = await t.search(vecs[200] as Float32Array).asOf(history[1]?.timestamp as Date).limit(1).toArray()
    assert.equal(Number(byTime[0]?.id), 200)

    // Drop removes the metadata and every data file.
    assert.ok((await store.list('')).length > 0)
    await lake2.dropTable('default.docs')
    await assert.rejects(lake2.openTable('default.docs'), (e: unknown) => isAilakeError(e, 'NOT_FOUND'))
    assert.deepEqual(await lake2.listTables(), [])
    const left = (await store.list('')).map((o) => o.key).filter((k) => k.startsWith('default/docs/'))
    assert.deepEqual(left, [], 'no object of the dropped table is left')
    await lake2.close()
  } finally {
    await cleanup()
  }
})

test('s3:// lakehouse with the index cache: same results, hits on a cold process cache', { skip: SKIP, timeout: 90_000 }, async () => {
  const { uri, cleanup } = s3Prefix('cache')
  const { dir, cleanup: rmDir } = await tempDir('ailake-s3-cache-')
  try {
    const lake = await connect(uri, { s3: s3Client() })
    const table = await lake.createTable('default.c', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long', text: 'string' } })
    for (const [a, b] of [[0, 100], [100, 200], [200, 300]] as const) await table.add(rows(a, b))
    const queries = [1, 150, 299, 42].map((i) => vecs[i] as Float32Array)
    const expected = await Promise.all(queries.map((q) => table.search(q).limit(10).toArray()))
    await lake.close()

    const results = async () => {
      const l = await connect(uri, { s3: s3Client(), indexCache: { dir, maxBytes: 64 * 1024 * 1024 } })
      assert.ok(l.store instanceof IndexCacheStore)
      const t = await l.openTable('default.c')
      const got = []
      for (const q of queries) got.push(await t.search(q).limit(10).toArray())
      const stats = { ...(l.store as IndexCacheStore).stats }
      await l.close()
      return { got, stats }
    }
    const first = await results()
    assert.deepEqual(first.got, expected, 'the cached store returns the same rows')
    assert.equal(first.stats.hits, 0)
    assert.ok(first.stats.misses > 0)
    // A new connection has empty in-memory caches; the ranged reads now come from disk.
    const second = await results()
    assert.deepEqual(second.got, expected)
    assert.equal(second.stats.misses, 0, 'every ranged read is served from the disk cache')
    assert.equal(second.stats.hits, first.stats.misses)

    // Writes and commits still reach S3 directly: another connection sees a commit made through the cache.
    const l = await connect(uri, { s3: s3Client(), indexCache: { dir } })
    const snap = await (await l.openTable('default.c')).add([{ id: 1000, text: 'new', embedding: vecs[0] as Float32Array }])
    await l.close()
    const plain = await connect(uri, { s3: s3Client() })
    assert.equal((await plain.openTable('default.c')).currentSnapshotId, snap)
    await plain.close()

    // A removed cache directory is recreated and refilled from S3.
    await rm(dir, { recursive: true, force: true })
    const third = await results()
    assert.equal(third.got.flat().length, 40)
    assert.ok(third.stats.misses > 0)
    assert.equal(third.stats.hits, 0)
  } finally {
    await cleanup()
    await rmDir()
  }
})
