/**
 * Streaming upserts (memTableWriter({ upsertOn })): a later row replaces earlier rows with its
 * key, buffered or committed, in search before and after flushes, across crashes (WAL replay and
 * adoption), exactly once.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError, type Table } from '../../src/index.js'
import { MemTableWriter } from '../../src/ingest/index.js'
import { MemoryStore } from '../../src/store/memory-store.js'

async function table(store = new MemoryStore()): Promise<{ t: Table; store: MemoryStore; reopen(): Promise<Table> }> {
  const lake = await connect('/nonexistent/ailake-upsert-stream', { store })
  const t = await lake.createTable('default.s', { vector: { dim: 3, metric: 'euclidean' }, schema: { docId: { type: 'long', required: true }, v: 'int' } })
  return { t, store, reopen: async () => (await connect('/nonexistent/ailake-upsert-stream', { store })).openTable('default.s') }
}

async function state(t: Table): Promise<Array<[number, number]>> {
  const rows = await t.search([0, 0, 0]).limit(1000).ef(2000).toArray()
  return rows.map((r) => [Number(r.docId), Number(r.v)] as [number, number]).sort((a, b) => a[0] - b[0])
}

test('a buffered upsert hides the committed row it replaces; flushes keep one row per key', async () => {
  const { t } = await table()
  await t.add([1, 2, 3].map((k) => ({ docId: BigInt(k), v: 0, embedding: [k, 0, 0] })))
  const w = t.memTableWriter({ upsertOn: 'docId', deferIndex: false, flushMaxRows: 1000 })
  await w.insert([{ docId: 2n, v: 1, embedding: [2, 1, 0] }, { docId: 4n, v: 1, embedding: [4, 0, 0] }])
  await w.insert([{ docId: 2n, v: 2, embedding: [2, 2, 0] }])
  const expected: Array<[number, number]> = [[1, 0], [2, 2], [3, 0], [4, 1]]
  assert.deepEqual(await state(t), expected, 'buffered')
  const old = await t.search([2, 2, 0]).where('v = 0').limit(10).toArray()
  assert.deepEqual(old.map((r) => Number(r.docId)).sort(), [1, 3], 'a filter matching only the old version does not bring it back')
  await w.flush()
  assert.deepEqual(await state(t), expected, 'after the flush')
  assert.equal(await t.countRows(), 4)
  await w.insert([{ docId: 1n, v: 5, embedding: [1, 0, 0] }])
  await w.close()
  assert.deepEqual(await state(t), [[1, 5], [2, 2], [3, 0], [4, 1]])
  assert.equal(await t.countRows(), 4)
})

test('upserts a crash left in the WAL are replayed (same writer) or adopted (another writer), exactly once', async () => {
  const { t, reopen } = await table()
  await t.add([{ docId: 1n, v: 0, embedding: [1, 0, 0] }])
  const w1 = t.memTableWriter({ writerId: 'ing', upsertOn: 'docId', deferIndex: false })
  await w1.insert([{ docId: 1n, v: 1, embedding: [1, 0, 0] }, { docId: 2n, v: 1, embedding: [2, 0, 0] }])
  w1.abandon()
  const t2 = await reopen()
  await assert.rejects(MemTableWriter.open(t2.core, { writerId: 'ing', deferIndex: false, lease: { now: () => Date.now() + 60_000, owner: { host: 'h2', pid: 2 } } }),
    (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /upserts keyed on docId/.test((e as Error).message), 'a plain writer does not replay upserts as inserts')
  const w2 = t2.memTableWriter({ writerId: 'ing', upsertOn: 'docId', deferIndex: false, lease: { now: () => Date.now() + 60_000, owner: { host: 'h2', pid: 2 } } })
  await w2.flushIfDue()
  assert.equal(w2.bufferedRows, 2)
  await w2.insert([{ docId: 3n, v: 1, embedding: [3, 0, 0] }])
  w2.abandon()
  // Another writer (another id) adopts the dead writer's WAL: upserts, not inserts.
  const t3 = await reopen()
  const w3 = t3.memTableWriter({ writerId: 'other', deferIndex: false, lease: { now: () => Date.now() + 120_000, owner: { host: 'h3', pid: 3 } } })
  await w3.flushIfDue()
  assert.equal(w3.adopted.find((a) => a.writerId === 'ing')?.rows, 3)
  await w3.close()
  assert.deepEqual(await state(t3), [[1, 1], [2, 1], [3, 1]])
  assert.equal(await t3.countRows(), 3)
})

test('upsertOn rejects rows without a key and names a bad key column', async () => {
  const { t } = await table()
  assert.throws(() => t.memTableWriter({ upsertOn: 'embedding' }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  const w = t.memTableWriter({ upsertOn: 'docId', deferIndex: false })
  await assert.rejects(w.insert([{ v: 1, embedding: [1, 1, 1] }]), (e: unknown) => isAilakeError(e))
  const bad = t.memTableWriter({ writerId: 'b', upsertOn: 'doc_id', deferIndex: false })
  await assert.rejects(bad.insert([{ docId: 1n, v: 1, embedding: [1, 1, 1] }]), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /docId/.test((e as Error).message))
  await w.close()
  await bad.close()
})
