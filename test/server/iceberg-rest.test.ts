// The Iceberg REST catalog with a real client: iceberg-js 1.0.0 over HTTP creates a namespace
// and a table, loads them, commits a snapshot it wrote (add-snapshot, set-snapshot-ref) with
// set-properties, sees 409 on a stale requirement and 400 on an unknown update; icebird then
// reads what was committed. Catalog commits race ailake's own writer on one table and both
// land. The config's endpoints are exactly the routes served.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { icebergRead } from 'icebird'
import { IcebergError, IcebergRestCatalog } from 'iceberg-js'
import { connect, parseJson, stringifyJson, type Lakehouse } from '../../src/index.js'
import { createApp, KeyStore } from '../../src/server/index.js'
import { listen, type Listening } from '../../src/server/node.js'
import type { Schema } from '../../src/format/schema.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { writeForeignSnapshot } from '../helpers/foreign-snapshot.js'
import { tempDir } from '../helpers/tmpdir.js'
import { send } from './helpers.js'

const SCHEMA = { type: 'struct' as const, 'schema-id': 0, fields: [{ id: 1, name: 'id', type: 'long', required: true }, { id: 2, name: 'name', type: 'string', required: false }] }
const MODEL: Schema = { schemaId: 0, fields: [{ id: 1, name: 'id', type: 'long', required: true }, { id: 2, name: 'name', type: 'string', required: false }] }

/** iceberg-js sends JSON.stringify'd bodies: ids must be plain numbers (these stay below 2^53). */
function plainNumbers(v: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x))) as Record<string, unknown>
}

async function server(): Promise<{ dir: string; lake: Lakehouse; key: string; srv: Listening; cleanup(): Promise<void> }> {
  const { dir, cleanup } = await tempDir('ailake-rest-')
  const lake = await connect(dir)
  const key = (await new KeyStore(lake.store).create(['admin:*'])).key
  const srv = await listen(lake, { port: 0 })
  return { dir, lake, key, srv, async cleanup() { await srv.close(); await lake.close(); await cleanup() } }
}

test('iceberg-js 1.0.0: namespaces, create, load, commit a snapshot and properties, 409 when stale, icebird reads it', async () => {
  const fx = await server()
  const restore = installIcebirdFetch()
  try {
    const catalog = new IcebergRestCatalog({ baseUrl: `${fx.srv.url}/iceberg`, warehouse: 'wh', auth: { type: 'bearer', token: fx.key } })
    const stranger = new IcebergRestCatalog({ baseUrl: `${fx.srv.url}/iceberg`, warehouse: 'wh', auth: { type: 'bearer', token: 'ak_nobody' } })
    await assert.rejects(stranger.listNamespaces(), (e: unknown) => e instanceof IcebergError && e.status === 401 && e.icebergType === 'NotAuthorizedException')

    const ns = { namespace: ['analytics'] }
    await catalog.createNamespace(ns, { properties: { owner: 'ann' } })
    await assert.rejects(catalog.createNamespace(ns), (e: unknown) => e instanceof IcebergError && e.isConflict())
    assert.equal(await catalog.namespaceExists(ns), true)
    assert.equal(await catalog.namespaceExists({ namespace: ['nope'] }), false)
    assert.deepEqual(await catalog.loadNamespaceMetadata(ns), { properties: { owner: 'ann' } })
    const change = await catalog.updateNamespaceProperties(ns, { updates: { tier: 'gold' }, removals: ['owner', 'absent'] })
    assert.deepEqual(change, { updated: ['tier'], removed: ['owner'], missing: ['absent'] })
    assert.deepEqual((await catalog.loadNamespaceMetadata(ns)).properties, { tier: 'gold' })
    await catalog.createNamespace({ namespace: ['analytics', 'deep'] })
    assert.deepEqual((await catalog.listNamespaces()).namespaces, [{ namespace: ['analytics'] }])
    assert.deepEqual((await catalog.listNamespaces({ parent: ns })).namespaces, [{ namespace: ['analytics', 'deep'] }])

    const created = await catalog.createTable(ns, { name: 'events', schema: SCHEMA as never, properties: { app: 'test' } })
    assert.equal(created['format-version'], 2)
    assert.deepEqual(created.properties, { app: 'test' })
    const table = { namespace: ['analytics'], name: 'events' }
    assert.equal(await catalog.tableExists(table), true)
    assert.deepEqual((await catalog.listTables(ns)).identifiers, [table])
    const loaded = await catalog.loadTableResult(table)
    assert.ok(loaded !== null)
    assert.match(loaded['metadata-location'] as string, /analytics\/events\/metadata\/v1\.metadata\.json$/)
    const location = loaded.metadata.location as string

    // The client writes its data and metadata files, then commits them.
    const keyOf = (l: string): string => fx.lake.catalog.keyOf(l)
    const s1 = await writeForeignSnapshot({ store: fx.lake.store, keyOf, location, schema: MODEL, parent: null, sequenceNumber: 1n, snapshotId: 1_000_001n, ids: [1n, 2n, 3n] })
    const committed = await catalog.commitTable(table, {
      requirements: [{ type: 'assert-table-uuid', uuid: loaded.metadata['table-uuid'] as string }, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
      updates: [
        { action: 'add-snapshot', snapshot: plainNumbers(s1.json) as never },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1_000_001 },
        { action: 'set-properties', updates: { 'written-by': 'iceberg-js' } },
      ],
    })
    assert.equal(committed.metadata['current-snapshot-id'], 1_000_001)
    assert.match(committed['metadata-location'], /v2\.metadata\.json$/)
    const after = await catalog.loadTable(table)
    assert.equal(after.properties?.['written-by'], 'iceberg-js')
    assert.deepEqual(after.snapshots?.map((s) => s['snapshot-id']), [1_000_001])

    // Stale: it still believes main has no snapshot.
    const s2 = await writeForeignSnapshot({ store: fx.lake.store, keyOf, location, schema: MODEL, parent: null, sequenceNumber: 1n, snapshotId: 1_000_002n, ids: [9n] })
    await assert.rejects(catalog.commitTable(table, {
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
      updates: [{ action: 'add-snapshot', snapshot: plainNumbers(s2.json) as never }],
    }), (e: unknown) => e instanceof IcebergError && e.status === 409 && e.icebergType === 'CommitFailedException')
    await assert.rejects(catalog.commitTable(table, { requirements: [], updates: [{ action: 'frobnicate' } as never] }), (e: unknown) => e instanceof IcebergError && e.status === 400 && e.icebergType === 'BadRequestException')

    // An independent reader sees exactly the committed rows.
    const rows = await icebergRead({ tableUrl: `${fx.dir}/analytics/events` })
    assert.deepEqual(rows.map((r) => Number(r.id)).sort(), [1, 2, 3])
    assert.deepEqual(rows.map((r) => r.name).sort(), ['row 1', 'row 2', 'row 3'])

    await catalog.renameTable({ source: table, destination: { namespace: ['analytics'], name: 'events2' } })
    assert.equal(await catalog.tableExists(table), false)
    assert.deepEqual((await catalog.listTables(ns)).identifiers, [{ namespace: ['analytics'], name: 'events2' }])
    await assert.rejects(catalog.dropNamespace(ns), (e: unknown) => e instanceof IcebergError && e.status === 409 && e.icebergType === 'NamespaceNotEmptyException')
    await catalog.dropTable({ namespace: ['analytics'], name: 'events2' }, { purge: true })
    await catalog.dropNamespace({ namespace: ['analytics', 'deep'] })
    await catalog.dropNamespace(ns)
    assert.equal(await catalog.namespaceExists(ns), false)
  } finally {
    restore()
    await fx.cleanup()
  }
})

test('REST commits and an embedded writer on one table, at once: every commit of both lands', async () => {
  const fx = await server()
  const restore = installIcebirdFetch()
  try {
    const t = await fx.lake.createTable('shop.items', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long', name: 'string' } })
    await t.add([{ id: 1n, name: 'first', embedding: [0, 0] }])
    const catalog = new IcebergRestCatalog({ baseUrl: `${fx.srv.url}/iceberg`, warehouse: 'wh', auth: { type: 'bearer', token: fx.key } })
    const ident = { namespace: ['shop'], name: 'items' }
    await Promise.all([
      (async () => { for (let i = 0; i < 6; i++) await t.add([{ id: BigInt(10 + i), name: `w${i}`, embedding: [i, i] }]) })(),
      (async () => { for (let i = 0; i < 6; i++) await catalog.commitTable(ident, { requirements: [], updates: [{ action: 'set-properties', updates: { [`rest${i}`]: String(i) } }] }) })(),
    ])
    await t.refresh()
    assert.equal(await t.countRows(), 7)
    for (let i = 0; i < 6; i++) assert.equal(t.properties[`rest${i}`], String(i))

    // A snapshot another engine builds over HTTP (64-bit ids kept exact by lossless JSON on
    // both sides): refused while an ailake commit moved main past its base, accepted rebuilt.
    const rest = async (method: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> => { // eslint-disable-line @typescript-eslint/no-explicit-any -- spec JSON
      const res = await fetch(`${fx.srv.url}/iceberg/v1/ailake/namespaces/shop/tables/items`, { method, headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: stringifyJson(body) }) })
      return { status: res.status, json: parseJson(await res.text()) as Record<string, unknown> }
    }
    const base = (await rest('GET')).json.metadata
    const main = base['current-snapshot-id'] as bigint
    const parentList = (base.snapshots as { 'snapshot-id': bigint; 'manifest-list': string }[]).find((s) => s['snapshot-id'] === main)?.['manifest-list'] as string
    const schema: Schema = { schemaId: base['current-schema-id'] as number, fields: t.schema.fields }
    const keyOf = (l: string): string => fx.lake.catalog.keyOf(l)
    const build = async (parent: { snapshotId: bigint; manifestList: string }, seq: bigint, id: bigint) => writeForeignSnapshot({ store: fx.lake.store, keyOf, location: base.location as string, schema, parent, sequenceNumber: seq, snapshotId: id, ids: [100n], vectors: [[5, 5]] })
    const theirs = await build({ snapshotId: main, manifestList: parentList }, BigInt(base['last-sequence-number'] as number) + 1n, 0x7000_0000_0000_0001n)
    await t.add([{ id: 20n, name: 'meanwhile', embedding: [1, 1] }])
    const commit = (s: Awaited<ReturnType<typeof build>>, expectedMain: bigint) => rest('POST', {
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': expectedMain }],
      updates: [{ action: 'add-snapshot', snapshot: s.json }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': s.snapshotId }],
    })
    const stale = await commit(theirs, main)
    assert.equal(stale.status, 409)
    assert.equal(stale.json.error.type, 'CommitFailedException')
    const now = (await rest('GET')).json.metadata
    const nowMain = now['current-snapshot-id'] as bigint
    const nowList = (now.snapshots as { 'snapshot-id': bigint; 'manifest-list': string }[]).find((s) => s['snapshot-id'] === nowMain)?.['manifest-list'] as string
    const rebuilt = await build({ snapshotId: nowMain, manifestList: nowList }, BigInt(now['last-sequence-number'] as number) + 1n, 0x7000_0000_0000_0002n)
    const ok = await commit(rebuilt, nowMain)
    assert.equal(ok.status, 200, stringifyJson(ok.json))
    assert.equal(ok.json.metadata['current-snapshot-id'], 0x7000_0000_0000_0002n, 'the 64-bit id came back exact')
    const read = await icebergRead({ tableUrl: `${fx.dir}/shop/items` })
    assert.deepEqual(read.map((r) => Number(r.id)).sort((a, b) => a - b), [1, 10, 11, 12, 13, 14, 15, 20, 100])
    await t.refresh()
    assert.equal(await t.countRows(), 9)
  } finally {
    restore()
    await fx.cleanup()
  }
})

test('the config lists exactly the routes served; errors have the spec shape', async () => {
  const { dir, cleanup } = await tempDir('ailake-rest-')
  const lake = await connect(dir)
  try {
    const { app, close } = createApp(lake)
    const config = await send(app, 'GET', '/iceberg/v1/config?warehouse=anything')
    assert.equal(config.status, 200)
    assert.deepEqual(config.json.defaults, {})
    assert.equal(config.json.overrides.prefix, 'ailake')
    const listed = new Set<string>(config.json.endpoints)
    const served = new Set<string>()
    for (const r of app.routes) {
      if (!r.path.startsWith('/iceberg/v1/:prefix') || r.method === 'ALL') continue
      served.add(`${r.method} ${r.path.slice('/iceberg'.length).replace(/:([a-z]+)/g, '{$1}')}`)
    }
    // HEAD is answered by the GET handler where the spec has it: check it answers without a body.
    for (const e of listed) {
      if (!e.startsWith('HEAD ')) continue
      const path = e.slice(5).replace('{prefix}', 'ailake').replace('{namespace}', 'nope').replace('{table}', 't')
      const head = await app.fetch(new Request(`http://localhost/iceberg${path}`, { method: 'HEAD' }))
      assert.equal(head.status, 404, e)
      served.add(e)
    }
    assert.deepEqual([...listed].sort(), [...served].sort())
    // Every listed route answers in the spec's error shape, never "no route".
    for (const e of listed) {
      const [method, spec] = e.split(' ') as [string, string]
      if (method === 'HEAD') continue
      const path = spec.replace('{prefix}', 'ailake').replace('{namespace}', 'nope').replace('{table}', 't')
      const r = await send(app, method, `/iceberg${path}`, method === 'POST' ? { body: {} } : {})
      assert.ok(!/^no route/.test(r.json?.error?.message ?? ''), `${e}: ${r.text}`)
      if (r.status >= 400) {
        assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'message', 'type'], `${e}: ${r.text}`)
        assert.equal(r.json.error.code, r.status)
      }
    }
    const wrongPrefix = await send(app, 'GET', '/iceberg/v1/other/namespaces')
    assert.equal(wrongPrefix.status, 404)
    await close()
  } finally {
    await lake.close()
    await cleanup()
  }
})
