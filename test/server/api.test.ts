// The JSON API end to end, through the app in this process: create a table, add rows as JSON
// (a 64-bit id beyond 2^53 kept exact) and as an Arrow IPC stream, search by vector and by
// text with where/select/limit/ef/asOf (nearest ids checked against brute force; the Arrow
// answer against the JSON one), explain, info/schema/history/files, expire, buffered writes
// flushed by shutdown, drop; and every AilakeError code's status from the one table.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import { connect, type AilakeErrorCode } from '../../src/index.js'
import { createApp, STATUS_OF_CODE } from '../../src/server/index.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'
import { hashEmbedder, nearest, send } from './helpers.js'

const DIM = 8
const TOPICS = ['tea kettle', 'rain forest', 'jazz piano', 'tax law']

test('JSON API: create, add (JSON and Arrow), search, explain, info, history, files, expire, buffered writes, drop', async () => {
  const { dir, cleanup } = await tempDir('ailake-api-')
  const lake = await connect(dir)
  try {
    const embedder = hashEmbedder(DIM)
    const server = createApp(lake, { embedders: { 'test-hash': embedder } })
    const app = server.app

    const created = await send(app, 'POST', '/v1/tables', { body: { name: 'sales.docs', vector: { dim: DIM, metric: 'cosine' }, schema: { id: 'long', title: 'string', year: 'int' }, embedder: 'test-hash' } })
    assert.equal(created.status, 201, created.text)
    assert.equal(created.json.name, 'sales.docs')
    assert.deepEqual(created.json.embedder, { name: 'test-hash', dim: DIM })
    assert.equal((await send(app, 'POST', '/v1/tables', { body: { name: 'sales.docs', vector: { dim: DIM } } })).status, 409)

    // 40 rows with explicit vectors: 20 as JSON, 20 as Arrow.
    const vectors = clusteredVectors(40, DIM, 7, 4)
    const all = vectors.map((v, i) => ({ id: i + 1, v }))
    const json = await send(app, 'POST', '/v1/tables/sales.docs/rows', { body: { rows: all.slice(0, 20).map((r) => ({ id: r.id, title: `t${r.id}`, year: 2000 + (r.id % 5), embedding: Array.from(r.v) })) } })
    assert.equal(json.status, 201, json.text)
    assert.equal(json.json.rows, 20)
    const firstSnapshot = json.json.snapshotId as string
    const part = all.slice(20)
    const batch = new arrow.Table({
      id: arrow.makeVector(BigInt64Array.from(part.map((r) => BigInt(r.id)))),
      title: arrow.vectorFromArray(part.map((r) => `t${r.id}`), new arrow.Utf8()),
      year: arrow.makeVector(Int32Array.from(part.map((r) => 2000 + (r.id % 5)))),
      embedding: arrow.vectorFromArray(part.map((r) => Array.from(r.v)), new arrow.FixedSizeList(DIM, new arrow.Field('item', new arrow.Float32(), false))),
    })
    const viaArrow = await send(app, 'POST', '/v1/tables/sales.docs/rows', { raw: arrow.tableToIPC(batch, 'stream'), headers: { 'content-type': 'application/vnd.apache.arrow.stream' } })
    assert.equal(viaArrow.status, 201, viaArrow.text)
    // A 64-bit id beyond 2^53 stays exact on the way in and out.
    const big = '9007199254740993'
    const bigRow = await send(app, 'POST', '/v1/tables/sales.docs/rows', { raw: `{"rows":[{"id":${big},"title":"big","year":1999,"embedding":[${Array(DIM).fill(-1).join(',')}]}]}`, headers: { 'content-type': 'application/json' } })
    assert.equal(bigRow.status, 201, bigRow.text)

    // Vector search: the nearest ids match brute force (a 41-row table is searched exactly).
    for (const qi of [0, 13, 27]) {
      const q = Array.from(vectors[qi] as Float32Array)
      const r = await send(app, 'POST', '/v1/tables/sales.docs/search', { body: { vector: q, limit: 5, ef: 64 } })
      assert.equal(r.status, 200, r.text)
      assert.deepEqual(r.json.rows.map((x: { id: string }) => Number(x.id)), nearest(all, q, 5), `query ${qi}`)
      assert.ok(r.json.rows.every((x: { _distance: number }) => typeof x._distance === 'number'))
    }
    const far = await send(app, 'POST', '/v1/tables/sales.docs/search', { body: { vector: Array(DIM).fill(-1), limit: 1, select: ['id', 'title'] } })
    assert.deepEqual(far.json.rows, [{ id: big, title: 'big', _distance: far.json.rows[0]._distance }])

    // where, select, asOf.
    const q0 = Array.from(vectors[0] as Float32Array)
    const filtered = await send(app, 'POST', '/v1/tables/sales.docs/search', { body: { vector: q0, where: 'year = 2003 AND id < 30', select: ['id', 'year'], limit: 50 } })
    const expected = all.filter((r) => 2000 + (r.id % 5) === 2003 && r.id < 30)
    assert.deepEqual(filtered.json.rows.map((x: { id: string }) => Number(x.id)).sort((a: number, b: number) => a - b), expected.map((r) => r.id))
    assert.ok(filtered.json.rows.every((x: Record<string, unknown>) => Object.keys(x).sort().join() === '_distance,id,year'))
    const then = await send(app, 'POST', '/v1/tables/sales.docs/search', { body: { vector: q0, limit: 50, asOf: firstSnapshot } })
    assert.deepEqual(then.json.rows.map((x: { id: string }) => Number(x.id)).sort((a: number, b: number) => a - b), all.slice(0, 20).map((r) => r.id), 'asOf the first snapshot sees its 20 rows')

    // Arrow answer = JSON answer.
    const ipc = await app.fetch(new Request('http://localhost/v1/tables/sales.docs/search', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/vnd.apache.arrow.stream' }, body: JSON.stringify({ vector: q0, limit: 7, select: ['id', 'title'] }) }))
    assert.equal(ipc.headers.get('content-type'), 'application/vnd.apache.arrow.stream')
    const t = arrow.tableFromIPC(new Uint8Array(await ipc.arrayBuffer()))
    const plain = (await send(app, 'POST', '/v1/tables/sales.docs/search', { body: { vector: q0, limit: 7, select: ['id', 'title'] } })).json.rows
    assert.equal(t.numRows, 7)
    for (let i = 0; i < 7; i++) {
      assert.equal(String(t.getChild('id')?.get(i)), plain[i].id)
      assert.equal(t.getChild('title')?.get(i), plain[i].title)
    }

    // Text search with the table's embedder: rows written from text land near their query.
    const texts = await send(app, 'POST', '/v1/tables/sales.docs/rows', { body: { rows: TOPICS.map((title, i) => ({ id: 100 + i, title, year: 2024 })), embedFrom: 'title' } })
    assert.equal(texts.status, 201, texts.text)
    for (const [i, topic] of TOPICS.entries()) {
      const r = await send(app, 'POST', '/v1/tables/sales.docs/search', { body: { text: topic, limit: 1, where: 'year = 2024' } })
      assert.equal(Number(r.json.rows[0].id), 100 + i, topic)
    }

    const plan = await send(app, 'POST', '/v1/tables/sales.docs/explain', { body: { vector: q0 } })
    assert.equal(plan.status, 200)
    assert.equal(plan.json.plan.filesTotal, 4)
    const info = await send(app, 'GET', '/v1/tables/sales.docs')
    assert.equal(info.json.rows, 45)
    assert.equal(info.json.files, 4)
    const schema = await send(app, 'GET', '/v1/tables/sales.docs/schema')
    assert.deepEqual(schema.json.columns.map((c: { name: string }) => c.name), ['id', 'title', 'year', 'embedding'])
    const history = await send(app, 'GET', '/v1/tables/sales.docs/history')
    assert.deepEqual(history.json.snapshots.map((s: { addedRows: number }) => s.addedRows), [20, 20, 1, 4])
    const files = await send(app, 'GET', `/v1/tables/sales.docs/files?asOf=${firstSnapshot}`)
    assert.equal(files.json.files.length, 1)
    assert.equal(files.json.files[0].rows, 20)
    const expire = await send(app, 'POST', '/v1/tables/sales.docs/expire', { body: { olderThan: new Date(Date.now() + 60_000).toISOString(), retainLast: 1 } })
    assert.equal(expire.status, 200, expire.text)
    assert.equal(expire.json.expiredSnapshots, 3)
    assert.equal((await send(app, 'GET', '/v1/tables/sales.docs')).json.rows, 45)

    // Buffered rows: acknowledged once in the write-ahead log, visible to searches, committed at shutdown.
    const buffered = await send(app, 'POST', '/v1/tables/sales.docs/rows', { body: { buffered: true, rows: [{ id: 500, title: 'buffered', year: 1, embedding: Array(DIM).fill(0.5) }] } })
    assert.equal(buffered.status, 202, buffered.text)
    assert.equal(buffered.json.snapshotId, null)
    const seen = await send(app, 'POST', '/v1/tables/sales.docs/search', { body: { vector: Array(DIM).fill(0.5), limit: 1 } })
    assert.equal(Number(seen.json.rows[0].id), 500, 'buffered rows are searchable')
    await server.close()
    // Another connection (the server's lakehouse stays open: its close would flush on its own).
    const reopened = await connect(dir)
    const table = await reopened.openTable('sales.docs')
    assert.equal(await table.countRows(), 46, 'shutdown flushed the buffered row into a snapshot')
    await lake.close()
    const again = createApp(reopened)
    assert.equal((await send(again.app, 'DELETE', '/v1/tables/sales.docs')).status, 204)
    assert.equal((await send(again.app, 'GET', '/v1/tables/sales.docs')).status, 404)
    assert.deepEqual((await send(again.app, 'GET', '/v1/tables')).json.tables, [])
    await again.close()
    await reopened.close()
  } finally {
    // A failed check must not leave the server's writers (and their lease timers) running.
    await lake.close().catch(() => undefined)
    await cleanup()
  }
})

test('each AilakeError code has its status, and the API answers with it', async () => {
  const expected: Record<AilakeErrorCode, number> = {
    INVALID_ARGUMENT: 400, DIMENSION_MISMATCH: 400, SCHEMA_MISMATCH: 400, NOT_FOUND: 404, ALREADY_EXISTS: 409,
    COMMIT_CONFLICT: 409, UNSUPPORTED: 406, CORRUPT_DATA: 500, INTERNAL: 500, STORE_ERROR: 503, CLOSED: 503,
  }
  assert.deepEqual(STATUS_OF_CODE, expected)
  const { dir, cleanup } = await tempDir('ailake-api-')
  try {
    const lake = await connect(dir)
    const { app, close } = createApp(lake)
    await send(app, 'POST', '/v1/tables', { body: { name: 'd', vector: { dim: 2 }, schema: { id: 'long' } } })
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/v1/tables/d/search', { vector: [1, 2, 3] }, 400, 'DIMENSION_MISMATCH'],
      ['POST', '/v1/tables/d/rows', { rows: [{ id: 'x', embedding: [1, 2] }] }, 400, 'SCHEMA_MISMATCH'],
      ['POST', '/v1/tables/d/search', { vector: [1, 2], where: 'nope > 1' }, 400, 'INVALID_ARGUMENT'],
      ['GET', '/v1/tables/nope', undefined, 404, 'NOT_FOUND'],
      ['POST', '/v1/tables', { name: 'd', vector: { dim: 2 } }, 409, 'ALREADY_EXISTS'],
      ['POST', '/v1/tables/d/search', { text: 'no embedder here' }, 400, 'INVALID_ARGUMENT'],
      ['POST', '/v1/tables/d/search', { vector: [1, 2], limit: 1001 }, 400, 'INVALID_ARGUMENT'],
      ['POST', '/v1/tables/d/search', { vector: [1, 2], ef: 5000 }, 400, 'INVALID_ARGUMENT'],
      ['POST', '/v1/tables/d/search', { vector: [1, 2], limt: 3 }, 400, 'INVALID_ARGUMENT'],
    ]
    for (const [method, path, body, status, code] of cases) {
      const r = await send(app, method, path, body === undefined ? {} : { body })
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`)
      assert.equal(r.json.error.code, code, r.text)
      assert.equal(typeof r.json.error.message, 'string')
    }
    await close()
    await lake.close()
  } finally {
    await cleanup()
  }
})
