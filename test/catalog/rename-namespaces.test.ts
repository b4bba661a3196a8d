// Catalog operations the Iceberg REST catalog serves: namespace properties (no update lost to a
// concurrent one), namespace drop rules, and table rename (the old name sealed against stale
// writers, the files staying where they are, the old name reserved while they live there).
// Surviving tables are read back through ailake and through icebird.
import { cp } from 'node:fs/promises'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { icebergRead } from 'icebird'
import { connect, isAilakeError } from '../../src/index.js'
import { FileCatalog } from '../../src/catalog/file-catalog.js'
import { FaultyStore } from '../../src/store/faulty-store.js'
import { LocalStore } from '../../src/store/local-store.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'

const DIM = 4

function rows(ids: number[], seed: number): { id: bigint; embedding: Float32Array }[] {
  const v = clusteredVectors(ids.length, DIM, seed)
  return ids.map((id, i) => ({ id: BigInt(id), embedding: v[i] as Float32Array }))
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i)

test('namespace properties: create, load, concurrent updates all land, removals, drop rules', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const store = new LocalStore({ root: dir })
    const catalog = new FileCatalog({ store, warehouse: `file://${dir}` })
    assert.equal(await catalog.createNamespace(['ns'], { owner: 'ann' }), true)
    assert.equal(await catalog.createNamespace(['ns'], { owner: 'bob' }), false, 'a second create changes nothing')
    assert.deepEqual(await catalog.loadNamespace(['ns']), { owner: 'ann' })

    // 16 concurrent updates, each setting its own key: every one must survive.
    const changes = await Promise.all(range(0, 16).map((i) => catalog.updateNamespace(['ns'], { [`k${i}`]: String(i) }, [])))
    changes.forEach((c, i) => assert.deepEqual(c, { updated: [`k${i}`], removed: [], missing: [] }))
    const props = await catalog.loadNamespace(['ns'])
    assert.equal(props.owner, 'ann')
    for (const i of range(0, 16)) assert.equal(props[`k${i}`], String(i), `update k${i} was lost`)

    assert.deepEqual(await catalog.updateNamespace(['ns'], { owner: 'cy' }, ['k0', 'nope']), { updated: ['owner'], removed: ['k0'], missing: ['nope'] })
    const after = await catalog.loadNamespace(['ns'])
    assert.equal(after.owner, 'cy')
    assert.equal(after.k0, undefined)
    await assert.rejects(catalog.updateNamespace(['ns'], { a: '1' }, ['a']), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
    await assert.rejects(catalog.updateNamespace(['ns'], { a: 1 as unknown as string }, []), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))

    // A marker written before namespaces had properties is empty.
    await store.put('legacy/.ailake-namespace', new Uint8Array(0))
    assert.deepEqual(await catalog.loadNamespace(['legacy']), {})
    await catalog.updateNamespace(['legacy'], { x: 'y' }, [])
    assert.deepEqual(await catalog.loadNamespace(['legacy']), { x: 'y' })

    // Drop: missing, not empty (a table, an inner namespace), then empty.
    await assert.rejects(catalog.dropNamespace(['nothere']), (e: unknown) => isAilakeError(e, 'NOT_FOUND') && e.context.namespaceMissing === true)
    await assert.rejects(catalog.loadNamespace(['nothere']), (e: unknown) => isAilakeError(e, 'NOT_FOUND') && e.context.namespaceMissing === true)
    await catalog.createNamespace(['ns', 'inner'])
    await assert.rejects(catalog.dropNamespace(['ns']), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && e.context.namespaceNotEmpty === true)
    await catalog.dropNamespace(['ns', 'inner'])
    const lake = await connect(dir)
    await lake.createTable('ns.t', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long' } })
    await assert.rejects(catalog.dropNamespace(['ns']), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && e.context.namespaceNotEmpty === true)
    await lake.dropTable('ns.t')
    await catalog.dropNamespace(['ns'])
    assert.equal((await catalog.listNamespaces()).some((n) => n.join('.') === 'ns'), false)
    // Created again, the namespace starts with its own properties, not the dropped one's.
    await catalog.createNamespace(['ns'], { fresh: '1' })
    assert.deepEqual(await catalog.loadNamespace(['ns']), { fresh: '1' })
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('rename: the table keeps its files and rows, the old name is sealed and reserved, drop frees it', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const lake = await connect(dir)
    const catalog = lake.catalog
    const t = await lake.createTable('a.t', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long' } })
    await t.add(rows(range(0, 5), 1))
    const stale = await lake.openTable('a.t')
    await catalog.createNamespace(['b'])
    await assert.rejects(catalog.renameTable({ namespace: ['a'], name: 't' }, { namespace: ['nons'], name: 'u' }), (e: unknown) => isAilakeError(e, 'NOT_FOUND') && e.context.namespaceMissing === true)
    const renamed = await catalog.renameTable({ namespace: ['a'], name: 't' }, { namespace: ['b'], name: 'u' })
    assert.equal(renamed.metadata.tableUuid, t.core.metadata.tableUuid)
    assert.equal(renamed.metadata.location, `file://${dir}/a/t`, 'the files stay where they were written')

    await assert.rejects(lake.openTable('a.t'), (e: unknown) => isAilakeError(e, 'NOT_FOUND') && e.context.renamedTo === 'b.u')
    assert.deepEqual(await lake.listTables(), ['b.u'])
    // A handle opened before the rename can no longer commit, and nothing of its write lands.
    await assert.rejects(stale.add(rows([99], 9)), (e: unknown) => isAilakeError(e, 'NOT_FOUND') && e.context.renamedTo === 'b.u')
    await assert.rejects(lake.createTable('a.t', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long' } }), (e: unknown) => isAilakeError(e, 'ALREADY_EXISTS') && /b\.u/.test(e.message))

    const u = await lake.openTable('b.u')
    await u.add(rows(range(5, 8), 2))
    await u.add(rows(range(8, 10), 3))
    assert.equal(await u.countRows(), 10)
    const read = await icebergRead({ tableUrl: `${dir}/b/u` })
    assert.deepEqual(read.map((r) => Number(r.id)).sort((x, y) => x - y), range(0, 10), 'icebird reads the renamed table')

    // Expiry of the renamed table leaves the sealed old name alone (it is not the table's version).
    await u.expireSnapshots({ olderThan: Date.now() + 1000, retainLast: 1 })
    await assert.rejects(lake.openTable('a.t'), (e: unknown) => isAilakeError(e, 'NOT_FOUND') && e.context.renamedTo === 'b.u')
    assert.equal(await u.countRows(), 10)

    // Renamed again: the intermediate name keeps nothing; the first stays reserved.
    await catalog.renameTable({ namespace: ['b'], name: 'u' }, { namespace: ['b'], name: 'v' })
    const store = new LocalStore({ root: dir })
    assert.deepEqual(await store.list('b/u/'), [], 'a name that held only metadata is cleared')
    await assert.rejects(lake.openTable('b.u'), (e: unknown) => isAilakeError(e, 'NOT_FOUND'))
    const v = await lake.openTable('b.v')
    assert.equal(await v.countRows(), 10)
    assert.deepEqual((await v.search(rows([0], 1)[0]?.embedding as Float32Array).limit(1).toArray()).map((r) => Number(r.id)), [0])

    // A copy of the warehouse reads the renamed table from the copy's files, and relocate points
    // its metadata at them; the original is untouched.
    const copy = await tempDir()
    try {
      await cp(dir, copy.dir, { recursive: true })
      const lake2 = await connect(copy.dir)
      const v2 = await lake2.openTable('b.v')
      await v2.add(rows([10], 5))
      assert.equal(await v2.countRows(), 11)
      assert.equal((await v2.relocate()).relocated, true)
      assert.equal(v2.core.location, `file://${copy.dir}/a/t`)
      const copied = await icebergRead({ tableUrl: `${copy.dir}/b/v` })
      assert.deepEqual(copied.map((r) => Number(r.id)).sort((x, y) => x - y), range(0, 11), 'icebird reads the relocated copy')
      await lake2.close()
    } finally {
      await copy.cleanup()
    }
    assert.equal(await v.countRows(), 10)

    await lake.dropTable('b.v')
    assert.deepEqual(await store.list('a/t/'), [], 'dropping the table purges the folder its files live in')
    assert.deepEqual(await store.list('b/v/'), [])
    const again = await lake.createTable('a.t', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long' } })
    await again.add(rows([1], 4))
    assert.deepEqual(await lake.listTables(), ['a.t'])
    await lake.close()
  } finally {
    restore()
    await cleanup()
  }
})

test('rename racing writers: every append either lands in the renamed table or fails with NOT_FOUND', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('a.t', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long' } })
    await t.add(rows([0], 1))
    await lake.catalog.createNamespace(['b'])
    const writers = range(0, 3).map(async (w) => {
      const h = await lake.openTable('a.t')
      const landed: number[] = []
      for (let i = 0; i < 6; i++) {
        const id = 1000 * (w + 1) + i
        try {
          await h.add(rows([id], id))
          landed.push(id)
        } catch (err) {
          assert.ok(isAilakeError(err, 'NOT_FOUND'), `append ${id} failed with ${String(err)}`)
          break
        }
      }
      return landed
    })
    await new Promise((r) => setTimeout(r, 5))
    await lake.catalog.renameTable({ namespace: ['a'], name: 't' }, { namespace: ['b'], name: 'u' })
    const landed = (await Promise.all(writers)).flat()
    const u = await lake.openTable('b.u')
    const got = (await u.search(new Float32Array(DIM)).limit(100).select(['id']).toArray()).map((r) => Number(r.id)).sort((x, y) => x - y)
    assert.deepEqual(got, [0, ...landed].sort((x, y) => x - y), 'acknowledged appends are exactly the rows of the renamed table')
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('rename that stopped after sealing the old name is finished by renaming again', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const local = new LocalStore({ root: dir })
    let failCreate = true
    const store = new FaultyStore(local, { failRate: 0, seed: 1, decide: (op, key) => (failCreate && op === 'putIfAbsent' && key === 'b/u/metadata/v1.metadata.json' ? 'fail' : undefined) })
    const lake = await connect(dir, { store })
    const t = await lake.createTable('a.t', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long' } })
    await t.add(rows(range(0, 3), 1))
    await lake.catalog.createNamespace(['b'])
    const from = { namespace: ['a'], name: 't' }
    const to = { namespace: ['b'], name: 'u' }
    await assert.rejects(lake.catalog.renameTable(from, to), (e: unknown) => isAilakeError(e, 'STORE_ERROR'))
    await assert.rejects(lake.openTable('a.t'), (e: unknown) => isAilakeError(e, 'NOT_FOUND') && e.context.renamedTo === 'b.u')
    failCreate = false
    await lake.catalog.renameTable(from, to)
    assert.equal(await (await lake.openTable('b.u')).countRows(), 3)
    assert.deepEqual(await lake.listTables(), ['b.u'])
    // Renaming to a name that exists changes nothing.
    await lake.createTable('b.w', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long' } })
    await assert.rejects(lake.catalog.renameTable(to, { namespace: ['b'], name: 'w' }), (e: unknown) => isAilakeError(e, 'ALREADY_EXISTS'))
    assert.equal(await (await lake.openTable('b.u')).countRows(), 3)
    await lake.close()
  } finally {
    await cleanup()
  }
})
