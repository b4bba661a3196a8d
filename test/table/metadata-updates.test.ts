// Iceberg commit requests (requirements and updates, as the REST catalog receives them) over
// ailake's catalog: parsing and error kinds, each requirement against a hand-written table
// state, updates applied, snapshots of another engine committed and read back by icebird, and
// commits racing ailake's own writers with nothing lost on either side.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { icebergRead } from 'icebird'
import { connect, isAilakeError, type Lakehouse } from '../../src/index.js'
import { FileCatalog } from '../../src/catalog/file-catalog.js'
import type { LoadedTable } from '../../src/catalog/catalog.js'
import { LocalStore } from '../../src/store/local-store.js'
import { commitTableChange } from '../../src/table/commit.js'
import { ManifestCache } from '../../src/table/manifest-cache.js'
import { newTableMetadata } from '../../src/table/metadata-builder.js'
import { checkRequirements, parseTableChange } from '../../src/table/metadata-updates.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { snapshotIdOf, writeForeignSnapshot } from '../helpers/foreign-snapshot.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'

const PLAIN = { schemaId: 0, fields: [{ id: 1, name: 'id', type: 'long' as const, required: true }, { id: 2, name: 'name', type: 'string' as const, required: false }] }

async function plainTable(dir: string): Promise<{ catalog: FileCatalog; store: LocalStore; cache: ManifestCache; table: LoadedTable }> {
  const store = new LocalStore({ root: dir })
  const catalog = new FileCatalog({ store, warehouse: `file://${dir}` })
  const ident = { namespace: ['ns'], name: 'plain' }
  const table = await catalog.createTable(ident, newTableMetadata({ location: catalog.defaultLocation(ident), schema: PLAIN, properties: { owner: 'x' } }))
  return { catalog, store, cache: new ManifestCache(store, (l) => catalog.keyOf(l)), table }
}

const rejectsWith = (code: string, context?: Record<string, unknown>) => (e: unknown): boolean => {
  if (!isAilakeError(e) || e.code !== code) return false
  for (const [k, v] of Object.entries(context ?? {})) if (e.context[k] !== v) return false
  return true
}

test('commit requests: malformed or unknown is INVALID_ARGUMENT, known but unsupported UNSUPPORTED, ailake.* refused', () => {
  const cases: [unknown, string, Record<string, unknown>?][] = [
    [{ requirements: [{ type: 'assert-bogus' }], updates: [] }, 'INVALID_ARGUMENT', { unknownType: 'assert-bogus' }],
    [{ updates: [{ action: 'frobnicate' }] }, 'INVALID_ARGUMENT', { unknownType: 'frobnicate' }],
    [{ updates: [{ action: 'set-statistics', statistics: {} }] }, 'UNSUPPORTED'],
    [{ updates: [{ action: 'add-encryption-key' }] }, 'UNSUPPORTED'],
    [{ updates: [{ action: 'set-properties', updates: { 'ailake.vector.dim': '3' } }] }, 'INVALID_ARGUMENT', { reservedProperty: 'ailake.vector.dim' }],
    [{ updates: [{ action: 'remove-properties', removals: ['ailake.wal.x'] }] }, 'INVALID_ARGUMENT', { reservedProperty: 'ailake.wal.x' }],
    [{ updates: [{ action: 'add-snapshot', snapshot: { 'snapshot-id': 'x' } }] }, 'INVALID_ARGUMENT'],
    [{ updates: [{ action: 'add-schema', schema: { type: 'struct', fields: [{ id: 0, name: 'a', type: 'int', required: false }] } }] }, 'INVALID_ARGUMENT'],
    [{ updates: [{ action: 'add-schema', schema: { type: 'struct', fields: [{ id: 5, name: 'a', type: 'timestamp_ns', required: false }] } }] }, 'UNSUPPORTED'],
    [{ updates: [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1, 'max-ref-age-ms': 5 }] }, 'UNSUPPORTED'],
    [{ updates: [{ action: 'add-spec', spec: { fields: [{ 'source-id': 1, name: 'p', transform: 'rot13' }] } }] }, 'INVALID_ARGUMENT'],
    [{ requirements: [] }, 'INVALID_ARGUMENT'],
    [[], 'INVALID_ARGUMENT'],
    [null, 'INVALID_ARGUMENT'],
  ]
  for (const [body, code, context] of cases) {
    assert.throws(() => parseTableChange(body), rejectsWith(code, context), JSON.stringify(body))
  }
})

test('each requirement passes on the state it names and fails with COMMIT_CONFLICT on any other', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table } = await plainTable(dir)
    // The fresh table, by hand: columns 1..2, schema 0, unpartitioned (last partition id 999), unsorted, no snapshot.
    const state: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['assert-table-uuid', { uuid: table.metadata.tableUuid }, { uuid: '00000000-0000-0000-0000-000000000000' }],
      ['assert-ref-snapshot-id', { ref: 'main', 'snapshot-id': null }, { ref: 'main', 'snapshot-id': 5 }],
      ['assert-last-assigned-field-id', { 'last-assigned-field-id': 2 }, { 'last-assigned-field-id': 3 }],
      ['assert-current-schema-id', { 'current-schema-id': 0 }, { 'current-schema-id': 1 }],
      ['assert-last-assigned-partition-id', { 'last-assigned-partition-id': 999 }, { 'last-assigned-partition-id': 1000 }],
      ['assert-default-spec-id', { 'default-spec-id': 0 }, { 'default-spec-id': 1 }],
      ['assert-default-sort-order-id', { 'default-sort-order-id': 0 }, { 'default-sort-order-id': 1 }],
    ]
    for (const [type, ok, bad] of state) {
      checkRequirements(table.metadata, parseTableChange({ requirements: [{ type, ...ok }], updates: [] }).requirements)
      assert.throws(() => checkRequirements(table.metadata, parseTableChange({ requirements: [{ type, ...bad }], updates: [] }).requirements), rejectsWith('COMMIT_CONFLICT', { failedRequirement: type }), type)
    }
    assert.throws(() => checkRequirements(table.metadata, parseTableChange({ requirements: [{ type: 'assert-create' }], updates: [] }).requirements), rejectsWith('COMMIT_CONFLICT'))
  } finally {
    await cleanup()
  }
})

test('updates: properties, schema evolution, a foreign snapshot read back by icebird, stale and outside files refused', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const { catalog, store, cache, table } = await plainTable(dir)
    const ident = table.ident
    const commit = (body: unknown): Promise<LoadedTable> => commitTableChange({ catalog, cache }, ident, parseTableChange(body))

    let t = await commit({ updates: [{ action: 'set-properties', updates: { a: '1', b: '2' } }, { action: 'remove-properties', removals: ['owner'] }] })
    assert.deepEqual(t.metadata.properties, { a: '1', b: '2' })
    assert.equal(t.version, 2)
    assert.equal(t.metadata.metadataLog.at(-1)?.metadataFile, table.metadataLocation, 'the previous metadata file is logged')
    const same = await commit({ updates: [{ action: 'set-properties', updates: { a: '1' } }] })
    assert.equal(same.version, 2, 'a change that changes nothing writes nothing')

    t = await commit({
      requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }],
      updates: [
        { action: 'add-schema', schema: { type: 'struct', 'schema-id': 7, fields: [...PLAIN.fields.map((f) => ({ ...f })), { id: 3, name: 'score', type: 'double', required: false }] } },
        { action: 'set-current-schema', 'schema-id': -1 },
      ],
    })
    assert.equal(t.metadata.currentSchemaId, 1)
    assert.equal(t.metadata.lastColumnId, 3)
    // A known id may evolve as Iceberg allows (renamed, promoted, made optional), never into another type.
    await assert.rejects(commit({ updates: [{ action: 'add-schema', schema: { type: 'struct', fields: [{ id: 1, name: 'other', type: 'string', required: true }] } }] }), rejectsWith('INVALID_ARGUMENT'))
    await assert.rejects(commit({ updates: [{ action: 'add-schema', schema: { type: 'struct', fields: [{ id: 2, name: 'name', type: 'string', required: true }] } }] }), rejectsWith('INVALID_ARGUMENT'))
    const renamed = await commit({ updates: [{ action: 'add-schema', schema: { type: 'struct', fields: [{ id: 1, name: 'other', type: 'long', required: false }] } }] })
    assert.equal(renamed.metadata.schemas.length, 3, 'a rename by add-schema (as Spark sends it over REST) is accepted')

    const location = t.metadata.location
    const keyOf = (l: string): string => catalog.keyOf(l)
    const s1 = await writeForeignSnapshot({ store, keyOf, location, schema: PLAIN, parent: null, sequenceNumber: 1n, snapshotId: snapshotIdOf(1), ids: [1n, 2n, 3n] })
    t = await commit({
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
      updates: [{ action: 'add-snapshot', snapshot: s1.json }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': s1.snapshotId }],
    })
    assert.equal(t.metadata.currentSnapshotId, s1.snapshotId)
    assert.equal(t.metadata.lastSequenceNumber, 1n)
    assert.deepEqual(t.metadata.snapshotLog.map((e) => e.snapshotId), [s1.snapshotId])
    const read = await icebergRead({ tableUrl: `${dir}/ns/plain` })
    assert.deepEqual(read.map((r) => Number(r.id)).sort(), [1, 2, 3])

    // Built on the state before s1 (sequence 1 again): stale, whatever requirement it sends.
    const stale = await writeForeignSnapshot({ store, keyOf, location, schema: PLAIN, parent: null, sequenceNumber: 1n, snapshotId: snapshotIdOf(2), ids: [9n] })
    await assert.rejects(commit({ updates: [{ action: 'add-snapshot', snapshot: stale.json }] }), rejectsWith('COMMIT_CONFLICT', { staleSnapshot: true }))
    await assert.rejects(commit({ requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }], updates: [{ action: 'add-snapshot', snapshot: stale.json }] }), rejectsWith('COMMIT_CONFLICT', { failedRequirement: 'assert-ref-snapshot-id' }))

    // Files outside the table's location are refused, and nothing is committed.
    const parent = { snapshotId: s1.snapshotId, manifestList: t.metadata.snapshots[0]?.manifestList as string }
    const outside = await writeForeignSnapshot({ store, keyOf, location, schema: PLAIN, parent, sequenceNumber: 2n, snapshotId: snapshotIdOf(3), ids: [4n], dataPath: `file://${dir}/ns/other/data/x.parquet` })
    await assert.rejects(commit({ updates: [{ action: 'add-snapshot', snapshot: outside.json }] }), rejectsWith('INVALID_ARGUMENT'))
    await assert.rejects(commit({ updates: [{ action: 'add-snapshot', snapshot: { ...outside.json, 'manifest-list': `file://${dir}/ns/other/metadata/l.avro` } }] }), rejectsWith('INVALID_ARGUMENT'))
    await assert.rejects(commit({ updates: [{ action: 'add-snapshot', snapshot: { ...outside.json, 'manifest-list': `${location}/metadata/missing.avro` } }] }), rejectsWith('INVALID_ARGUMENT'))
    await assert.rejects(commit({ updates: [{ action: 'remove-snapshots', 'snapshot-ids': [s1.snapshotId] }] }), rejectsWith('INVALID_ARGUMENT'))
    await assert.rejects(commit({ updates: [{ action: 'set-location', location: `file://${dir}/elsewhere` }] }), rejectsWith('UNSUPPORTED'))
    assert.equal((await catalog.loadTable(ident)).version, t.version, 'refused commits write nothing')
  } finally {
    restore()
    await cleanup()
  }
})

test('catalog commits race ailake writers on one table: every property and every row lands', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const table = await lake.createTable('ns.t', { vector: { dim: 4, metric: 'euclidean' }, schema: { id: 'long', name: 'string' } })
    const cache = new ManifestCache(lake.store, (l) => lake.catalog.keyOf(l))
    const ident = { namespace: ['ns'], name: 't' }
    const vectors = clusteredVectors(8, 4, 3)
    await Promise.all([
      ...vectors.map((v, i) => table.add([{ id: BigInt(i), name: `w${i}`, embedding: v }])),
      ...vectors.map((_, i) => commitTableChange({ catalog: lake.catalog, cache }, ident, parseTableChange({ updates: [{ action: 'set-properties', updates: { [`k${i}`]: String(i) } }] }))),
    ])
    const after = await lake.openTable('ns.t')
    assert.equal(await after.countRows(), 8, 'every embedded append landed')
    for (let i = 0; i < 8; i++) assert.equal(after.properties[`k${i}`], String(i), `property k${i} landed`)
    assert.equal(after.history().length, 8)
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('a foreign snapshot built on a base an ailake writer moved past is refused; rebuilt on the new base it lands beside it', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const lake: Lakehouse = await connect(dir)
    const table = await lake.createTable('ns.t', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long', name: 'string' } })
    await table.add([{ id: 1n, name: 'ours', embedding: [0, 0] }])
    const cache = new ManifestCache(lake.store, (l) => lake.catalog.keyOf(l))
    const ident = { namespace: ['ns'], name: 't' }
    const keyOf = (l: string): string => lake.catalog.keyOf(l)
    const seen = await lake.catalog.loadTable(ident)
    const parentOf = (t: LoadedTable) => {
      const s = t.metadata.snapshots.find((x) => x.snapshotId === t.metadata.currentSnapshotId)
      return s === undefined ? null : { snapshotId: s.snapshotId, manifestList: s.manifestList as string }
    }
    const schema = seen.metadata.schemas[0] as typeof PLAIN
    const foreign = await writeForeignSnapshot({ store: lake.store, keyOf, location: seen.metadata.location, schema, parent: parentOf(seen), sequenceNumber: seen.metadata.lastSequenceNumber + 1n, snapshotId: snapshotIdOf(11), ids: [100n], vectors: [[5, 5]] })
    // The embedded writer commits first.
    await table.add([{ id: 2n, name: 'ours too', embedding: [1, 1] }])
    const body = (s: typeof foreign, main: bigint | null) => ({
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': main }],
      updates: [{ action: 'add-snapshot', snapshot: s.json }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': s.snapshotId }],
    })
    await assert.rejects(commitTableChange({ catalog: lake.catalog, cache }, ident, parseTableChange(body(foreign, seen.metadata.currentSnapshotId))), rejectsWith('COMMIT_CONFLICT', { failedRequirement: 'assert-ref-snapshot-id' }))
    // The client reloads and writes its snapshot again on the new base.
    const now = await lake.catalog.loadTable(ident)
    const again = await writeForeignSnapshot({ store: lake.store, keyOf, location: now.metadata.location, schema, parent: parentOf(now), sequenceNumber: now.metadata.lastSequenceNumber + 1n, snapshotId: snapshotIdOf(12), ids: [100n], vectors: [[5, 5]] })
    await commitTableChange({ catalog: lake.catalog, cache }, ident, parseTableChange(body(again, now.metadata.currentSnapshotId)))
    await table.refresh()
    const rows = await table.search([5, 5]).limit(10).select(['id']).toArray()
    assert.deepEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b), [1, 2, 100])
    const read = await icebergRead({ tableUrl: `${dir}/ns/t` })
    assert.deepEqual(read.map((r) => Number(r.id)).sort((a, b) => a - b), [1, 2, 100])
    await lake.close()
  } finally {
    restore()
    await cleanup()
  }
})

test('after a rename, expiring a table with over a hundred versions leaves its sealed old name alone', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('a.t', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long' } })
    await t.add([{ id: 1n, embedding: [1, 0] }])
    await t.add([{ id: 2n, embedding: [0, 1] }])
    await lake.catalog.createNamespace(['b'])
    await lake.catalog.renameTable({ namespace: ['a'], name: 't' }, { namespace: ['b'], name: 'u' })
    const cache = new ManifestCache(lake.store, (l) => lake.catalog.keyOf(l))
    for (let i = 0; i < 105; i++) {
      await commitTableChange({ catalog: lake.catalog, cache }, { namespace: ['b'], name: 'u' }, parseTableChange({ updates: [{ action: 'set-properties', updates: { n: String(i) } }] }))
    }
    const u = await lake.openTable('b.u')
    await u.expireSnapshots({ olderThan: Date.now() + 60_000, retainLast: 1 })
    await assert.rejects(lake.openTable('a.t'), rejectsWith('NOT_FOUND', { renamedTo: 'b.u' }))
    await assert.rejects(lake.createTable('a.t', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long' } }), rejectsWith('ALREADY_EXISTS'))
    assert.equal(await u.countRows(), 2)
    await lake.close()
  } finally {
    await cleanup()
  }
})
