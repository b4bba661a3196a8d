/**
 * Regression tests for the exactly-once promises of MemTableWriter: commits with unknown
 * outcomes, watermarks that outlive snapshot expiry, one live writer per id (leases, takeover,
 * fencing), adoption of dead writers' WALs, read-your-writes through one handle, and buffered
 * rows scored at the stored precision.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Table } from '../../src/index.js'
import { MemTableWriter, committedWalSeq, segmentKey } from '../../src/ingest/index.js'
import { isAilakeError } from '../../src/errors.js'
import { FaultyStore } from '../../src/store/faulty-store.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { ObjectStore } from '../../src/store/object-store.js'
import { tempDir } from '../helpers/tmpdir.js'
import { makeRows, makeTable, range, readIds } from './helpers.js'

/** A memory store whose faults the test scripts: `next` names what happens to matching calls. */
function scripted(): { store: FaultyStore; inner: MemoryStore; dropNext(pattern: RegExp): void } {
  const inner = new MemoryStore()
  let pending: RegExp | undefined
  const store = new FaultyStore(inner, {
    failRate: 0,
    seed: 1,
    decide: (op, key) => {
      if (pending !== undefined && (op === 'putIfAbsent' || op === 'put') && pending.test(key)) {
        pending = undefined
        return 'drop'
      }
      return 'pass'
    },
  })
  return { store, inner, dropNext: (p) => { pending = p } }
}

test('a flush whose commit landed but whose response was lost, then more inserts and a flush: every row once', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const s = scripted()
    const { table } = await makeTable(dir, 'lost', { store: s.store })
    const w = await MemTableWriter.open(table, { writerId: 'w', deferIndex: false })
    await w.insert(makeRows(range(0, 5)))
    s.dropNext(/metadata\/v\d+\.metadata\.json$/)
    await assert.rejects(w.flush(), (e: unknown) => isAilakeError(e) && e.context.outcomeUnknown === true)
    assert.equal(w.bufferedRows, 5, 'the rows stay buffered while the outcome is unknown')
    await w.insert(makeRows(range(5, 9)))
    await w.flush()
    await w.close()
    const ids = await readIds(table)
    assert.deepEqual(ids, range(0, 9), 'rows 0-4 committed by the lost-response flush are not committed again')
  } finally {
    await cleanup()
  }
})

test('the WAL watermark survives snapshot expiry: a leftover committed segment is not replayed', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table, reopen } = await makeTable(dir, 'expire')
    const tableKey = table.keyOf(table.location)
    const w1 = await MemTableWriter.open(table, { writerId: 'w', deferIndex: false })
    await w1.insert(makeRows(range(0, 4)))
    const segment = await table.store.get(segmentKey(tableKey, 'w', 1))
    await w1.flush()
    w1.abandon()
    // A crash between the commit and the deletion of its segment leaves the segment behind.
    await table.store.put(segmentKey(tableKey, 'w', 1), segment)
    const lake = await connect(dir)
    const t = await lake.openTable('default.expire')
    await t.add(makeRows(range(100, 102)))
    await t.add(makeRows(range(200, 202)))
    const expired = await t.expireSnapshots({ olderThan: new Date(Date.now() + 1000), retainLast: 1 })
    assert.ok(expired.expiredSnapshots >= 2, 'the snapshot that recorded the watermark is gone')
    const t2 = await reopen()
    assert.ok(t2.metadata.snapshots.every((s) => s.summary['ailake.wal.w'] === undefined), 'no remaining snapshot summary carries the watermark')
    assert.equal(committedWalSeq(t2, 'w'), 1, 'the table properties still hold it')
    const w2 = await MemTableWriter.open(t2, { writerId: 'w', deferIndex: false, lease: { owner: { host: 'other-host', pid: 1 }, now: () => Date.now() + 60_000 } })
    assert.equal(w2.bufferedRows, 0, 'nothing is replayed')
    await w2.close()
    assert.deepEqual(await readIds(t2), [...range(0, 4), 100, 101, 200, 201])
  } finally {
    await cleanup()
  }
})

test('one live writer per id: a second writer with the same id fails loudly while the lease is held, and takes over once it expired', async () => {
  const store = new MemoryStore()
  const lake = await connect('/nonexistent/ailake-mem-lease', { store })
  const t = await lake.createTable('default.lease', { vector: { dim: 4, metric: 'euclidean' }, schema: { id: { type: 'int', required: true } } })
  let clock = 1_000_000
  const now = (): number => clock
  const a = await MemTableWriter.open(t.core, { writerId: 'shared', deferIndex: false, leaseTtlMs: 1000, lease: { now, owner: { host: 'host-a', pid: 11 } } })
  await a.insert(makeRows(range(0, 3)).map(({ id, embedding }) => ({ id, embedding })))
  // Another process (here: another identity on another handle) asks for the same id.
  const other = (await (await connect('/nonexistent/ailake-mem-lease', { store })).openTable('default.lease')).core
  await assert.rejects(MemTableWriter.open(other, { writerId: 'shared', deferIndex: false, leaseTtlMs: 1000, lease: { now, owner: { host: 'host-b', pid: 22 } } }),
    (e: unknown) => isAilakeError(e, 'ALREADY_EXISTS') && /host-a/.test((e as Error).message))
  // A stalls (a long pause): its lease runs out without renewal.
  clock += 5000
  const b = await MemTableWriter.open(other, { writerId: 'shared', deferIndex: false, leaseTtlMs: 1000, lease: { now, owner: { host: 'host-b', pid: 22 } } })
  assert.equal(b.bufferedRows, 3, 'the successor replays what A acknowledged')
  // A wakes up: it acknowledges nothing more and commits nothing.
  await assert.rejects(a.insert([{ id: 50, embedding: [1, 2, 3, 4] }]), (e: unknown) => isAilakeError(e, 'CLOSED') && e.context.leaseLost === true)
  await assert.rejects(a.flush(), (e: unknown) => isAilakeError(e, 'CLOSED'))
  await a.close()
  await b.insert([{ id: 3, embedding: [0, 0, 0, 1] }])
  await b.close()
  await other.refresh()
  assert.deepEqual(await readIds(other), [0, 1, 2, 3])
})

test('a writer whose lease lapsed cannot commit rows its successor committed (the commit is fenced on the watermark)', async () => {
  const store = new MemoryStore()
  const lake = await connect('/nonexistent/ailake-mem-fence', { store })
  const t = await lake.createTable('default.fence', { vector: { dim: 4, metric: 'euclidean' }, schema: { id: { type: 'int', required: true } } })
  let clockA = 1_000_000
  const a = await MemTableWriter.open(t.core, { writerId: 'f', deferIndex: false, leaseTtlMs: 1000, lease: { now: () => clockA, owner: { host: 'host-a', pid: 1 } } })
  await a.insert(makeRows(range(0, 2)).map(({ id, embedding }) => ({ id, embedding })))
  // B's clock runs ahead of A's by more than the lease: B takes over while A still believes it holds it.
  const other = (await (await connect('/nonexistent/ailake-mem-fence', { store })).openTable('default.fence')).core
  const b = await MemTableWriter.open(other, { writerId: 'f', deferIndex: false, leaseTtlMs: 1000, lease: { now: () => clockA + 10_000, owner: { host: 'host-b', pid: 2 } } })
  await b.flush()
  clockA += 10 // A is still within its own view of the lease
  await assert.rejects(a.flush(), (e: unknown) => isAilakeError(e) && (e.context.walFenced === true || e.context.leaseLost === true))
  await b.close()
  await other.refresh()
  assert.deepEqual(await readIds(other), [0, 1], 'the rows are committed once, by the successor')
})

test('default writer ids never collide: each open writer gets its own, and a dead one is adopted by the next writer', async () => {
  const store = new MemoryStore()
  const lake = await connect('/nonexistent/ailake-mem-auto', { store })
  const t = await lake.createTable('default.auto', { vector: { dim: 4, metric: 'euclidean' }, schema: { id: { type: 'int', required: true } } })
  const w1 = t.memTableWriter({ deferIndex: false })
  const t2 = await (await connect('/nonexistent/ailake-mem-auto', { store })).openTable('default.auto')
  const w2 = t2.memTableWriter({ deferIndex: false, lease: { owner: { host: 'host-2', pid: 2 } } })
  await w1.insert([{ id: 1, embedding: [1, 0, 0, 0] }])
  await w2.insert([{ id: 2, embedding: [0, 1, 0, 0] }])
  assert.notEqual(w1.writerId, w2.writerId)
  assert.match(w1.writerId, /^auto-\d+$/)
  await w2.close()
  // w1's process dies with a row buffered; a later writer (its lease expired) commits it.
  w1.abandon()
  const t3 = await (await connect('/nonexistent/ailake-mem-auto', { store })).openTable('default.auto')
  const w3 = await MemTableWriter.open(t3.core, { deferIndex: false, lease: { owner: { host: 'host-3', pid: 3 }, now: () => Date.now() + 120_000 } })
  assert.equal(w3.writerId, w1.writerId, 'the first free id is the dead writer\'s, and with it its WAL')
  assert.equal(w3.bufferedRows, 1)
  await w3.close()
  assert.deepEqual(await readIds(t3.core), [1, 2])
})

test('a writer that opens adopts the WAL of a dead writer with another id', async () => {
  const store = new MemoryStore()
  const lake = await connect('/nonexistent/ailake-mem-adopt', { store })
  const t = await lake.createTable('default.adopt', { vector: { dim: 4, metric: 'euclidean' }, schema: { id: { type: 'int', required: true } } })
  const dead = await MemTableWriter.open(t.core, { writerId: 'ingest-7', deferIndex: false })
  await dead.insert([{ id: 7, embedding: [1, 1, 0, 0] }, { id: 8, embedding: [1, 2, 0, 0] }])
  dead.abandon()
  const t2 = await (await connect('/nonexistent/ailake-mem-adopt', { store })).openTable('default.adopt')
  const early = await MemTableWriter.open(t2.core, { writerId: 'x', deferIndex: false, lease: { owner: { host: 'h', pid: 5 } } })
  assert.deepEqual(early.adopted, [], 'a live lease is respected')
  await early.close()
  const later = await MemTableWriter.open(t2.core, { writerId: 'y', deferIndex: false, lease: { owner: { host: 'h', pid: 5 }, now: () => Date.now() + 120_000 } })
  assert.equal(later.adopted.length, 1)
  assert.equal(later.adopted[0]?.writerId, 'ingest-7')
  assert.equal(later.adopted[0]?.rows, 2)
  await later.close()
  await t2.core.refresh()
  assert.deepEqual(await readIds(t2.core), [7, 8])
  assert.equal(committedWalSeq(t2.core, 'ingest-7'), 1)
  assert.deepEqual((await store.list(`${t2.core.keyOf(t2.core.location)}/wal/ingest-7/`)).map((o) => o.key), [], 'its segments and lease are gone')
})

test('read-your-writes through one handle: add() while a writer holds buffered rows, then search sees both', async () => {
  const store: ObjectStore = new MemoryStore()
  const lake = await connect('/nonexistent/ailake-mem-ryw', { store })
  const t: Table = await lake.createTable('default.ryw', { vector: { dim: 3, metric: 'euclidean' }, schema: { id: { type: 'int', required: true } } })
  await t.add([{ id: 1, embedding: [10, 0, 0] }])
  const w = t.memTableWriter({ deferIndex: false })
  await w.insert([{ id: 2, embedding: [0, 10, 0] }])
  const s2 = await t.add([{ id: 3, embedding: [0, 0, 10] }])
  const plan = await t.search([0, 0, 10]).limit(3).explain()
  assert.equal(plan.snapshotId, s2, 'the search reads the snapshot add() returned')
  const hits = await t.search([0, 0, 10]).limit(3).toArray()
  assert.deepEqual(hits.map((h) => h.id).sort(), [1, 2, 3])
  assert.equal(hits[0]?.id, 3)
  await w.close()
  const after = await t.search([0, 0, 10]).limit(5).toArray()
  assert.deepEqual(after.map((h) => h.id).sort(), [1, 2, 3], 'after the flush, still each row once')
})

for (const precision of ['f16', 'i8'] as const) {
  test(`a buffered row scores the same before and after its flush (${precision})`, async () => {
    const lake = await connect('/nonexistent/ailake-mem-prec', { store: new MemoryStore() })
    const t = await lake.createTable('default.prec', { vector: { dim: 3, metric: 'euclidean', precision }, schema: { id: { type: 'int', required: true } } })
    const rows = [{ id: 1, embedding: [0, 1000, 501.9] }, { id: 2, embedding: [0.123, -7.77, 3.3333] }, { id: 3, embedding: [1e-3, 2e-3, 7] }]
    const w = t.memTableWriter({ deferIndex: false })
    await w.insert(rows)
    const query = [0.1, 999.7, 500.4]
    const before = await t.search(query).limit(3).toArray()
    await w.close()
    const after = await t.search(query).limit(3).toArray()
    assert.deepEqual(after.map((r) => [r.id, r._distance]), before.map((r) => [r.id, r._distance]))
  })
}

test('expiry keeps watermarks that only snapshot summaries carried (tables written before the property existed)', async () => {
  const lake = await connect('/nonexistent/ailake-mem-legacy', { store: new MemoryStore() })
  const t = await lake.createTable('default.legacy', { vector: { dim: 3, metric: 'euclidean' }, schema: { id: { type: 'int', required: true } } })
  // How older versions recorded a flush: the watermark in the snapshot summary only.
  await t.core.commit({ kind: 'append', added: [], summary: { 'ailake.wal.legacy': '5' } })
  await t.add([{ id: 1, embedding: [1, 2, 3] }])
  assert.equal(t.properties['ailake.wal.legacy'], undefined)
  assert.equal(committedWalSeq(t.core, 'legacy'), 5)
  const r = await t.expireSnapshots({ olderThan: Date.now() + 60_000, retainLast: 1 })
  assert.ok(r.expiredSnapshots >= 1)
  assert.ok(t.core.metadata.snapshots.every((s) => s.summary['ailake.wal.legacy'] === undefined))
  assert.equal(committedWalSeq(t.core, 'legacy'), 5, 'the watermark moved to the table properties')
})
