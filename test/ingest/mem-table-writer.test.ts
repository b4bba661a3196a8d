import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemTableWriter, segmentKey, walPrefix, committedWalSeq } from '../../src/ingest/index.js'
import { isAilakeError } from '../../src/errors.js'
import { LocalStore } from '../../src/store/local-store.js'
import type { ObjectStore } from '../../src/store/object-store.js'
import { tempDir } from '../helpers/tmpdir.js'
import { makeRows, makeTable, range, readIds } from './helpers.js'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

// --- the seed's three tests, ported ---

test('seed: insert and flush', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table } = await makeTable(dir, 'test_mem')
    const mt = await MemTableWriter.open(table, { flushSizeBytes: 1024 * 1024, flushMaxRows: 1000, flushIntervalMs: 60_000, deferIndex: false })
    for (let i = 0; i < 3; i++) {
      const snap = await mt.insert(makeRows(range(i * 5, (i + 1) * 5)))
      assert.equal(snap, null, 'should not auto-flush yet')
    }
    assert.equal(mt.bufferedRows, 15)
    assert.equal(mt.bufferedBytes, 15 * 4 * 2)
    const snap = await mt.flush()
    assert.ok(typeof snap === 'bigint' && snap > 0n, 'snapshot id should be non-zero')
    assert.equal(mt.bufferedRows, 0, 'buffer should be empty after flush')
    assert.equal(mt.bufferedBytes, 0)
    assert.equal(await mt.flush(), null, 'flushing an empty buffer is a no-op')
    await mt.close()
    assert.deepEqual(await readIds(table), range(0, 15))
  } finally {
    await cleanup()
  }
})

test('seed: auto flush on row limit', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table } = await makeTable(dir, 'test_auto')
    const mt = await MemTableWriter.open(table, { flushSizeBytes: 2 ** 30, flushMaxRows: 8, flushIntervalMs: 60_000, deferIndex: false })
    assert.equal(await mt.insert(makeRows([1, 2, 3, 4, 5])), null)
    assert.equal(mt.isFull, false)
    const snap = await mt.insert(makeRows([6, 7, 8, 9, 10]))
    assert.equal(typeof snap, 'bigint', 'should auto-flush when row limit exceeded')
    assert.equal(mt.bufferedRows, 0)
    assert.equal(table.currentSnapshotId, snap)
    await mt.close()
    assert.deepEqual(await readIds(table), range(1, 11))
  } finally {
    await cleanup()
  }
})

test('seed: flush if due', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table } = await makeTable(dir, 'test_due')
    const mt = await MemTableWriter.open(table, { flushSizeBytes: 2 ** 30, flushMaxRows: 1000, flushIntervalMs: 1, deferIndex: false })
    await mt.insert(makeRows([1, 2, 3]))
    await sleep(5)
    const snap = await mt.flushIfDue()
    assert.equal(typeof snap, 'bigint', 'should flush because interval elapsed')
    assert.equal(mt.bufferedRows, 0)
    assert.equal(await mt.flushIfDue(), null, 'nothing buffered: nothing to flush')
    await mt.close()
  } finally {
    await cleanup()
  }
})

// --- what the seed lacked ---

test('insert is durable: a writer that never flushed is replayed on reopen, exactly once', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table, reopen } = await makeTable(dir, 'wal')
    const store = table.store
    const w1 = await MemTableWriter.open(table, { writerId: 'w', deferIndex: false })
    await w1.insert(makeRows(range(0, 5)))
    await w1.insert(makeRows(range(5, 12)))
    const snapshot = w1.bufferedSnapshot()
    assert.deepEqual(snapshot.rows.map((r) => r.id), range(0, 12), 'buffered rows are visible (read-your-writes)')
    assert.equal(snapshot.vectors.length, 12 * 4)
    assert.equal(snapshot.snapshotId, null)
    const prefix = walPrefix(table.keyOf(table.location), 'w')
    assert.equal((await store.list(prefix)).length, 2, 'one WAL segment per insert')
    const t2 = await reopen()
    assert.throws(() => new MemTableWriter(table, { writerId: 'w' }), (e: unknown) => isAilakeError(e, 'ALREADY_EXISTS'), 'one active writer per id')
    // Abandon w1 as a crash would: its buffer is gone, only the WAL remains (the subprocess test does this with SIGKILL).
    await releaseForTest(w1)
    const w2 = await MemTableWriter.open(t2, { writerId: 'w', deferIndex: false })
    assert.equal(w2.bufferedRows, 12, 'both acknowledged inserts replayed')
    const snap = await w2.flush()
    assert.equal(typeof snap, 'bigint')
    assert.equal(committedWalSeq(t2, 'w'), 2, 'the snapshot records the highest WAL seq it holds')
    assert.equal((await store.list(prefix)).length, 0, 'committed segments are deleted')
    await w2.close()
    assert.deepEqual(await readIds(t2), range(0, 12))
  } finally {
    await cleanup()
  }
})

/** Releases a writer's id without flushing, as a crash would. */
async function releaseForTest(w: MemTableWriter): Promise<void> {
  const key = (w as unknown as { activeKey: string }).activeKey
  // close() is the only public release of the id; empty the in-memory buffer first so it commits nothing.
  const buffer = (w as unknown as { buffer: { entries: unknown[]; rows: number } }).buffer
  buffer.entries = []
  buffer.rows = 0
  await w.close()
  assert.ok(key.length > 0)
}

test('committed but undeleted segments are not replayed; a torn tail segment is skipped', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table, reopen } = await makeTable(dir, 'torn')
    const store = table.store
    const tableKey = table.keyOf(table.location)
    const w1 = await MemTableWriter.open(table, { writerId: 'x', deferIndex: false })
    await w1.insert(makeRows(range(0, 3)))
    const seg1 = await store.get(segmentKey(tableKey, 'x', 1))
    await w1.flush()
    await w1.insert(makeRows(range(3, 6)))
    const seg2 = await store.get(segmentKey(tableKey, 'x', 2))
    await releaseForTest(w1)
    // Crash between commit and WAL deletion: segment 1 is back although committed.
    await store.put(segmentKey(tableKey, 'x', 1), seg1)
    await store.put(segmentKey(tableKey, 'x', 2), seg2)
    // A torn write of segment 3 (never acknowledged) and a bit-flipped copy as segment 4.
    await store.put(segmentKey(tableKey, 'x', 3), seg2.subarray(0, seg2.length - 7))
    const flipped = seg2.slice()
    flipped[40] = (flipped[40] as number) ^ 0xff
    await store.put(segmentKey(tableKey, 'x', 4), flipped)
    const w2 = await MemTableWriter.open(await reopen(), { writerId: 'x', deferIndex: false })
    assert.equal(w2.bufferedRows, 3, 'only segment 2 is replayed')
    assert.deepEqual(w2.bufferedSnapshot().rows.map((r) => r.id), [3, 4, 5])
    assert.equal((await store.list(walPrefix(tableKey, 'x'))).length, 1, 'committed and torn segments deleted')
    await w2.insert(makeRows([6]))
    assert.ok(await store.head(segmentKey(tableKey, 'x', 5)), 'sequence numbers are never reused')
    await w2.close()
    assert.deepEqual(await readIds(w2.table), range(0, 7))
  } finally {
    await cleanup()
  }
})

test('validation happens before anything is logged', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table } = await makeTable(dir, 'bad')
    const w = await MemTableWriter.open(table, { deferIndex: false })
    const bad = makeRows([1, 2]) as Array<Record<string, unknown>>
    ;(bad[1] as Record<string, unknown>).embedding = [1, 2, Number.NaN, 4]
    await assert.rejects(w.insert(bad), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /row 1/.test((e as Error).message))
    await assert.rejects(w.insert([{ id: 1, embedding: [1, 2, 3] }]), (e: unknown) => isAilakeError(e, 'DIMENSION_MISMATCH'))
    await assert.rejects(w.insert([{ id: 'x', embedding: [1, 2, 3, 4] }]), (e: unknown) => isAilakeError(e, 'SCHEMA_MISMATCH'))
    assert.equal(w.bufferedRows, 0)
    assert.equal((await table.store.list(walPrefix(table.keyOf(table.location), 'default'))).length, 0)
    await w.close()
    assert.equal(table.currentSnapshotId, null)
  } finally {
    await cleanup()
  }
})

/** Fails the next `failures` puts of data files (keys under /data/). */
function failingDataPuts(inner: ObjectStore, state: { failures: number }): ObjectStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'put') {
        return async (key: string, bytes: Uint8Array) => {
          if (key.includes('/data/') && state.failures > 0) {
            state.failures--
            throw new Error('injected put failure')
          }
          return target.put(key, bytes)
        }
      }
      const v = Reflect.get(target, prop, receiver) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

test('a failed flush keeps the buffer and WAL; the retry commits every row once', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const state = { failures: 1 }
    const store = failingDataPuts(new LocalStore({ root: dir }), state)
    const { table } = await makeTable(dir, 'fail', { store })
    const w = await MemTableWriter.open(table, { flushMaxRows: 10, deferIndex: false })
    await w.insert(makeRows(range(0, 6)))
    // This insert triggers a flush that fails: the insert itself still resolves (its rows are logged).
    assert.equal(await w.insert(makeRows(range(6, 12))), null)
    assert.match(String(w.lastFlushError?.message), /injected/)
    assert.equal(w.bufferedRows, 12)
    assert.equal(table.currentSnapshotId, null)
    assert.equal(w.bufferedSnapshot().rows.length, 12, 'rows stay visible while unflushed')
    const snap = await w.flush()
    assert.equal(typeof snap, 'bigint')
    assert.equal(w.bufferedRows, 0)
    await w.close()
    assert.deepEqual(await readIds(table), range(0, 12))
  } finally {
    await cleanup()
  }
})

test('background timer flushes; close() stops it and flushes the rest', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table } = await makeTable(dir, 'timer')
    const w = await MemTableWriter.open(table, { flushIntervalMs: 20, autoFlushTimer: true, deferIndex: false })
    await w.insert(makeRows(range(0, 3)))
    for (let i = 0; i < 100 && w.bufferedRows > 0; i++) await sleep(10)
    assert.equal(w.bufferedRows, 0, 'the timer flushed')
    assert.notEqual(table.currentSnapshotId, null)
    await w.insert(makeRows(range(3, 5)))
    await w.close()
    assert.deepEqual(await readIds(table), range(0, 5))
    await assert.rejects(w.insert(makeRows([9])), (e: unknown) => isAilakeError(e, 'CLOSED'))
  } finally {
    await cleanup()
  }
})

test('backpressure: inserts during a flush wait, and bufferedSnapshot keeps flushing rows visible until commit', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table } = await makeTable(dir, 'bp')
    const w = await MemTableWriter.open(table, { deferIndex: false })
    await w.insert(makeRows(range(0, 4)))
    const flushing = w.flush()
    const inserting = w.insert(makeRows(range(4, 6)))
    const seen: number[] = []
    for (let i = 0; i < 200; i++) {
      const s = w.bufferedSnapshot()
      seen.push(s.rows.length)
      if (s.snapshotId !== null) break
      await new Promise((r) => setImmediate(r))
    }
    assert.ok(seen.every((n) => n >= 4), `flushing rows never vanished from the buffer view before commit (${seen.join(',')})`)
    const snap = await flushing
    await inserting
    const after = w.bufferedSnapshot()
    assert.equal(after.snapshotId, snap)
    assert.deepEqual(after.rows.map((r) => r.id), [4, 5], 'only uncommitted rows remain')
    await w.close()
    assert.deepEqual(await readIds(table), range(0, 6))
  } finally {
    await cleanup()
  }
})
