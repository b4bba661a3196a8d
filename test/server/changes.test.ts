// Row changes and optimize over HTTP: delete / update / upsert as write scope, optimize as admin;
// each is one snapshot whose effect the library sees exactly (rows gone, values set, keys
// replaced, files compacted), and bad bodies are 400s that change nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Table } from '../../src/index.js'
import { createApp, KeyStore } from '../../src/server/index.js'
import { tempDir } from '../helpers/tmpdir.js'
import { send } from './helpers.js'

async function liveRows(t: Table): Promise<Map<number, Record<string, unknown>>> {
  await t.refresh()
  const out = new Map<number, Record<string, unknown>>()
  for await (const r of t.scan()) out.set(Number(r.id), r)
  return out
}

test('HTTP delete, update, upsert and optimize: one snapshot each, exactly the rows asked for, scoped keys', async () => {
  const { dir, cleanup } = await tempDir('ailake-http-changes-')
  const lake = await connect(dir)
  try {
    const t = await lake.createTable('sales.docs', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long', status: 'string', n: 'int' } })
    for (let f = 0; f < 4; f++) await t.add(Array.from({ length: 10 }, (_, i) => ({ id: BigInt(f * 10 + i), status: 'new', n: i, embedding: [f, i] })))
    const keys = new KeyStore(lake.store)
    const reader = await keys.create(['read:sales'])
    const writer = await keys.create(['write:sales.docs'])
    const admin = await keys.create(['admin:*'])
    const { app, close } = createApp(lake)
    const path = (op: string): string => `/v1/tables/sales.docs/${op}`

    assert.equal((await send(app, 'POST', path('delete'), { key: reader.key, body: { where: 'id = 1' } })).status, 403)
    assert.equal((await send(app, 'POST', path('optimize'), { key: writer.key, body: {} })).status, 403, 'optimize needs admin')
    const before = t.history().length
    for (const [op, body] of [
      ['delete', {}], ['delete', { where: '' }], ['delete', { where: 'id = 1', extra: 1 }], ['delete', { where: 'nope = 1' }],
      ['update', { where: 'id = 1' }], ['update', { where: 'id = 1', values: {} }], ['update', { where: 'id = 1', values: { nope: 1 } }],
      ['upsert', { rows: [{ id: 1 }] }], ['upsert', { on: 'id', rows: [] }], ['upsert', { on: 'id', rows: [{ id: 1, status: 'a', n: 1, embedding: [0, 0] }, { id: 1, status: 'b', n: 1, embedding: [0, 0] }] }],
      ['optimize', { full: 'yes' }], ['optimize', { targetRowsPerFile: 0 }],
    ] as const) {
      const r = await send(app, 'POST', path(op), { key: op === 'optimize' ? admin.key : writer.key, body })
      assert.equal(r.status, 400, `${op} ${JSON.stringify(body)}: ${r.text}`)
    }
    await t.refresh()
    assert.equal(t.history().length, before, 'rejected requests commit nothing')

    const del = await send(app, 'POST', path('delete'), { key: writer.key, body: { where: 'id IN (3, 13, 23) OR n = 9' } })
    assert.equal(del.status, 200, del.text)
    assert.equal(del.json.deleted, 7)
    assert.match(del.json.snapshotId, /^\d+$/)
    const none = await send(app, 'POST', path('delete'), { key: writer.key, body: { where: { column: 'id', op: '=', value: 1000 } } })
    assert.deepEqual([none.status, none.json.snapshotId, none.json.deleted], [200, null, 0], 'nothing matched: nothing committed')
    let rows = await liveRows(t)
    assert.equal(rows.size, 33)
    for (const id of [3, 13, 23, 9, 19, 29, 39]) assert.ok(!rows.has(id), `row ${id} deleted`)

    const upd = await send(app, 'POST', path('update'), { key: writer.key, body: { where: 'n < 2', values: { status: 'done' } } })
    assert.equal(upd.status, 200, upd.text)
    assert.equal(upd.json.updated, 8)
    rows = await liveRows(t)
    assert.deepEqual([...rows.values()].filter((r) => r.status === 'done').map((r) => Number(r.id)).sort((a, b) => a - b), [0, 1, 10, 11, 20, 21, 30, 31])

    const ups = await send(app, 'POST', path('upsert'), { key: writer.key, body: { on: 'id', rows: [{ id: 5, status: 'replaced', n: 50, embedding: [9, 9] }, { id: '9007199254740993', status: 'added', n: 1, embedding: [8, 8] }] } })
    assert.equal(ups.status, 200, ups.text)
    assert.deepEqual([ups.json.updated, ups.json.inserted], [1, 1])
    await t.refresh()
    const byId = new Map<bigint, Record<string, unknown>>()
    for await (const r of t.scan()) byId.set(r.id as bigint, r)
    assert.equal(byId.get(5n)?.status, 'replaced')
    assert.equal(byId.get(9007199254740993n)?.status, 'added', 'a 64-bit key beyond 2^53 stays exact')
    assert.equal(byId.size, 34)

    const filesBefore = (await t.files()).length
    const opt = await send(app, 'POST', path('optimize'), { key: admin.key, body: { cluster: false } })
    assert.equal(opt.status, 200, opt.text)
    assert.equal(opt.json.filesBefore, filesBefore)
    assert.ok(opt.json.filesAfter < filesBefore, `${opt.json.filesAfter} files after ${filesBefore}`)
    assert.equal(opt.json.rowsAfter, 34)
    rows = await liveRows(t)
    assert.equal(rows.size, 34, 'optimize keeps every live row')
    assert.ok((await t.files()).every((f) => f.deletedRows === 0), 'deletes were applied')
    await close()
  } finally {
    await lake.close()
    await cleanup()
  }
})
