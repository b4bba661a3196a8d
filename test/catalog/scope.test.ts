// Table scope: a table's maintenance (drop, expire, orphan removal) touches only the objects that
// table owns, even when namespaces prefix one another or tables are named like another table's
// folders. Every surviving table is checked through ailake and through icebird (an independent
// Iceberg reader) after each operation on a neighbour.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { icebergRead } from 'icebird'
import { connect, isAilakeError } from '../../src/index.js'
import { FileCatalog } from '../../src/catalog/file-catalog.js'
import { LocalStore } from '../../src/store/local-store.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'

// Parents before their children, so a drop that reached below its own folders would be caught.
const NAMES = ['a.b', 'a.b.c', 'a.b.c.d', 'a.bb', 'a.b-c', 'default.data', 'default.metadata', 'default.wal', 'data.t', 'wal.data']
const FOLDERS = ['data', 'metadata', 'wal']
const DIM = 4
const LONG_AGO = new Date(Date.now() - 30 * 24 * 3600 * 1000)

interface Planted {
  name: string
  folder: string
  ids: number[]
  vectors: Float32Array[]
  /** Keys no snapshot references, old enough for the orphan pass. */
  orphans: string[]
  wal: string
}

async function plantOld(dir: string, store: LocalStore, key: string): Promise<void> {
  await store.put(key, new Uint8Array([1, 2, 3]))
  await utimes(join(dir, key), LONG_AGO, LONG_AGO)
}

async function checkIntact(dir: string, store: LocalStore, t: Planted): Promise<void> {
  const lake = await connect(dir)
  const table = await lake.openTable(t.name)
  assert.equal(await table.countRows(), t.ids.length, `${t.name}: row count`)
  for (const f of await table.files()) assert.ok(await store.head(table.core.keyOf(f.path)), `${t.name}: ${f.path} exists`)
  const hit = await table.search(t.vectors[1] as Float32Array).limit(1).toArray()
  assert.equal(Number(hit[0]?.id), t.ids[1], `${t.name}: nearest row`)
  const rows = await icebergRead({ tableUrl: `${dir}/${t.folder}` })
  assert.deepEqual(rows.map((r) => Number(r.id)).sort((x, y) => x - y), t.ids, `${t.name}: icebird rows`)
  for (const k of [...t.orphans, t.wal]) assert.ok(await store.head(k), `${t.name}: ${k} untouched`)
  await lake.close()
}

test('drop, expire and orphan removal of one table leave every other table intact', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const lake = await connect(dir)
    const store = new LocalStore({ root: dir })
    const planted: Planted[] = []
    for (const [n, name] of NAMES.entries()) {
      const table = await lake.createTable(name, { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long' } })
      const vectors = clusteredVectors(4, DIM, 100 + n)
      const ids = vectors.map((_, i) => n * 10 + i)
      await table.add(ids.slice(0, 2).map((id, i) => ({ id: BigInt(id), embedding: vectors[i] as Float32Array })))
      await table.add(ids.slice(2).map((id, i) => ({ id: BigInt(id), embedding: vectors[i + 2] as Float32Array })))
      const folder = name.split('.').join('/')
      const t: Planted = { name, folder, ids, vectors, orphans: [`${folder}/data/orphan.parquet`, `${folder}/metadata/orphan-m0.avro`], wal: `${folder}/wal/w1/0000000000000001.wal` }
      for (const k of t.orphans) await plantOld(dir, store, k)
      await store.put(t.wal, new Uint8Array([9]))
      planted.push(t)
    }
    await lake.close()

    const alive = [...planted]
    for (const t of planted) {
      const others = alive.filter((o) => o !== t)
      const lake2 = await connect(dir)
      const table = await lake2.openTable(t.name)
      const expired = await table.expireSnapshots({ olderThan: Date.now() + 60_000 })
      assert.equal(expired.expiredSnapshots, 1, `${t.name}: one snapshot expired`)
      const removed = await table.removeOrphanFiles({ olderThan: Date.now() + 60_000 })
      assert.deepEqual(removed.map((l) => table.core.keyOf(l)).sort(), [...t.orphans].sort(), `${t.name}: removes its own orphans only`)
      t.orphans = []
      await checkIntact(dir, store, t)
      for (const o of others) await checkIntact(dir, store, o)

      await lake2.dropTable(t.name)
      await lake2.close()
      for (const f of FOLDERS) assert.deepEqual(await store.list(`${t.folder}/${f}/`), [], `${t.name}: ${f}/ emptied by drop`)
      alive.splice(alive.indexOf(t), 1)
      for (const o of alive) await checkIntact(dir, store, o)
      const listed = await (await connect(dir)).listTables()
      assert.deepEqual(listed, alive.map((o) => o.name).sort())
    }
  } finally {
    restore()
    await cleanup()
  }
})

test('a name that would put a table or namespace inside another table\'s folders is refused', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    for (const name of ['a.b.data', 'a.b.metadata', 'a.b.wal', 'a.b.Data', 'a.b.WAL', 'a.b.data.t', 'x.y.metadata.z', 'p.q.r.wal']) {
      const refused = (e: unknown): boolean => isAilakeError(e, 'INVALID_ARGUMENT') && /reserved/.test(e.message) && e.message.includes(JSON.stringify(name))
      await assert.rejects(lake.createTable(name, { vector: { dim: 2 } }), refused, `createTable ${name}`)
      await assert.rejects(lake.openTable(name), refused, `openTable ${name}`)
      await assert.rejects(lake.dropTable(name), refused, `dropTable ${name}`)
    }
    const catalog = new FileCatalog({ store: new LocalStore({ root: dir }), warehouse: `file://${dir}` })
    await assert.rejects(catalog.createNamespace(['a', 'b', 'data']), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
    await assert.rejects(catalog.createTable({ namespace: [], name: 't' }, undefined as never), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
    // At the first two levels the names are free: no table's folder is that shallow.
    for (const name of ['data.wal', 'metadata.data', 'default.wal']) await lake.createTable(name, { vector: { dim: 2 } })
    assert.deepEqual(await lake.listTables(), ['data.wal', 'default.wal', 'metadata.data'])
  } finally {
    await cleanup()
  }
})
