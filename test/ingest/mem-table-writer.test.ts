import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MemTableWriter, segmentKey, walPrefix, committedWalSeq, activeFlushes } from '../../src/ingest/index.js'
import { isAilakeError } from '../../src/errors.js'
import { LocalStore } from '../../src/store/local-store.js'
import type { ObjectInfo, ObjectStore } from '../../src/store/object-store.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { tempDir } from '../helpers/tmpdir.js'
import { waitFor } from '../helpers/wait.js'
import { seededRandom } from '../../src/util/rng.js'
import { makeRows, makeTable, range, readIds, readTableRows } from './helpers.js'

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
    assert.equal((await walSegments(store, prefix)).length, 1, 'both inserts appended to one segment (LocalStore can append)')
    const t2 = await reopen()
    assert.throws(() => new MemTableWriter(table, { writerId: 'w' }), (e: unknown) => isAilakeError(e, 'ALREADY_EXISTS'), 'one active writer per id')
    // Abandon w1 as a crash would: its buffer is gone, only the WAL remains (the subprocess test does this with SIGKILL).
    await releaseForTest(w1)
    const w2 = await MemTableWriter.open(t2, { writerId: 'w', deferIndex: false })
    assert.equal(w2.bufferedRows, 12, 'both acknowledged inserts replayed')
    const snap = await w2.flush()
    assert.equal(typeof snap, 'bigint')
    assert.equal(committedWalSeq(t2, 'w'), 2, 'the snapshot records the highest WAL seq it holds')
    assert.equal((await walSegments(store, prefix)).length, 0, 'committed segments are deleted')
    await w2.close()
    assert.deepEqual(await readIds(t2), range(0, 12))
  } finally {
    await cleanup()
  }
})

/** The WAL segments (not the lease) under `prefix`. */
async function walSegments(store: ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  return (await store.list(prefix)).filter((o) => o.key.endsWith('.wal'))
}

/** Releases a writer's id without flushing, as a crash would. */
async function releaseForTest(w: MemTableWriter): Promise<void> {
  // close() is the only public release of the id; empty the in-memory buffer first so it commits nothing.
  const buffer = (w as unknown as { buffer: { entries: unknown[]; rows: number } }).buffer
  buffer.entries = []
  buffer.rows = 0
  await w.close()
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
    assert.equal((await walSegments(store, walPrefix(tableKey, 'x'))).length, 1, 'committed and torn segments deleted')
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
    assert.equal((await walSegments(table.store, walPrefix(table.keyOf(table.location), w.writerId))).length, 0)
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
    await waitFor(() => w.bufferedRows === 0, 'the timer to flush the buffer')
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

// --- the append-only WAL and background flushes ---

test('inserts of one flush window append to one segment; a flush rotates and deletes it', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table } = await makeTable(dir, 'segments')
    const w = await MemTableWriter.open(table, { deferIndex: false })
    const prefix = walPrefix(table.keyOf(table.location), w.writerId)
    for (let i = 0; i < 3; i++) await w.insert(makeRows(range(i * 2, i * 2 + 2)))
    assert.deepEqual((await walSegments(table.store, prefix)).map((o) => o.key), [segmentKey(table.keyOf(table.location), w.writerId, 1)])
    await w.flush()
    assert.equal((await walSegments(table.store, prefix)).length, 0, 'the committed segment is deleted')
    await w.insert(makeRows([6]))
    assert.deepEqual((await walSegments(table.store, prefix)).map((o) => o.key), [segmentKey(table.keyOf(table.location), w.writerId, 4)], 'the next window starts a new segment at its first seq')
    await w.close()
    assert.deepEqual(await readIds(table), range(0, 7))
  } finally {
    await cleanup()
  }
})

for (const kind of ['local', 'memory'] as const) {
  test(`a torn record at the tail of the last segment is dropped; later records survive the next recovery (${kind} store)`, async () => {
    const { dir, cleanup } = await tempDir()
    try {
      const { table, reopen } = await makeTable(dir, 'tail', kind === 'memory' ? { store: new MemoryStore() } : {})
      const store = table.store
      const key = segmentKey(table.keyOf(table.location), 'w', 1)
      const w1 = await MemTableWriter.open(table, { writerId: 'w' })
      await w1.insert(makeRows(range(0, 3)))
      await w1.insert(makeRows(range(3, 5)))
      await w1.insert(makeRows(range(5, 9)))
      await releaseForTest(w1)
      // A crash mid-append of the third record: only part of it reached the log.
      const bytes = await store.get(key)
      await store.put(key, bytes.subarray(0, bytes.length - 9))
      const w2 = await MemTableWriter.open(await reopen(), { writerId: 'w' })
      assert.deepEqual(w2.bufferedSnapshot().rows.map((r) => r.id), range(0, 5), 'the acknowledged records replay, the torn one does not')
      await w2.insert(makeRows([100, 101]))
      await releaseForTest(w2)
      // The torn segment is no longer the last one: its successor's `restart` mark vouches for it.
      const w3 = await MemTableWriter.open(await reopen(), { writerId: 'w' })
      assert.deepEqual(w3.bufferedSnapshot().rows.map((r) => r.id), [...range(0, 5), 100, 101])
      await w3.close()
      assert.deepEqual(await readIds(w3.table), [...range(0, 5), 100, 101])
      assert.equal((await walSegments(store, walPrefix(table.keyOf(table.location), 'w'))).length, 0)
    } finally {
      await cleanup()
    }
  })
}

test('a corrupt record followed by valid ones is reported as CORRUPT_DATA, not skipped', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table, reopen } = await makeTable(dir, 'middle')
    const store = table.store
    const key = segmentKey(table.keyOf(table.location), 'w', 1)
    const w1 = await MemTableWriter.open(table, { writerId: 'w' })
    await w1.insert(makeRows(range(0, 3)))
    const first = (await store.get(key)).length
    await w1.insert(makeRows(range(3, 6)))
    await w1.insert(makeRows(range(6, 9)))
    await releaseForTest(w1)
    const bytes = (await store.get(key)).slice()
    bytes[first + 40] = (bytes[first + 40] as number) ^ 0x10
    await store.put(key, bytes)
    await assert.rejects(MemTableWriter.open(await reopen(), { writerId: 'w' }), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA'))
  } finally {
    await cleanup()
  }
})

/** Tears the next append on demand: part of the record lands, then the append fails. */
function tearingStore(inner: ObjectStore, state: { tearNext: boolean }): ObjectStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'createAppendable') {
        return async (key: string) => {
          const h = await target.createAppendable?.(key)
          if (h === undefined) return undefined
          return {
            append: async (bytes: Uint8Array) => {
              if (!state.tearNext) return h.append(bytes)
              state.tearNext = false
              await h.append(bytes.subarray(0, 10))
              throw new Error('injected torn append')
            },
            close: () => h.close(),
          }
        }
      }
      const v = Reflect.get(target, prop, receiver) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

test('a failed append rejects the insert and abandons its segment; recovery replays exactly the acknowledged rows', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const state = { tearNext: false }
    const store = tearingStore(new LocalStore({ root: dir }), state)
    const { table, reopen } = await makeTable(dir, 'tear', { store })
    const w1 = await MemTableWriter.open(table, { writerId: 'w' })
    await w1.insert(makeRows(range(0, 2)))
    state.tearNext = true
    await assert.rejects(w1.insert(makeRows([50, 51])), /injected torn append/)
    assert.equal(w1.bufferedRows, 2, 'the rejected rows are not buffered')
    await w1.insert(makeRows(range(2, 4)))
    const keys = (await walSegments(table.store, walPrefix(table.keyOf(table.location), 'w'))).map((o) => o.key)
    assert.equal(keys.length, 2, 'the insert after the failure started a new segment')
    await releaseForTest(w1)
    const w2 = await MemTableWriter.open(await reopen(), { writerId: 'w' })
    assert.deepEqual(w2.bufferedSnapshot().rows.map((r) => r.id), range(0, 4))
    await w2.close()
    assert.deepEqual(await readIds(w2.table), range(0, 4))
  } finally {
    await cleanup()
  }
})

/** Holds data-file puts until `gate.open()`; `gate.failures` makes the next ones fail instead. */
function gatedDataPuts(inner: ObjectStore): { store: ObjectStore; gate: { open(): void; failures: number; failuresAfterGate: number; waiting: number } } {
  let release: () => void = () => {}
  let opened = new Promise<void>((r) => { release = r })
  const gate = { open: () => release(), failures: 0, failuresAfterGate: 0, waiting: 0, close: () => { opened = new Promise<void>((r) => { release = r }) } }
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'put') {
        return async (key: string, bytes: Uint8Array) => {
          if (key.includes('/data/')) {
            if (gate.failures > 0) {
              gate.failures--
              throw new Error('injected put failure')
            }
            const fail = gate.failuresAfterGate > 0
            if (fail) gate.failuresAfterGate--
            gate.waiting++
            await opened
            gate.waiting--
            if (fail) throw new Error('injected put failure after the gate')
          }
          return target.put(key, bytes)
        }
      }
      const v = Reflect.get(target, prop, receiver) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
  return { store, gate }
}

test('background flush: inserts continue while it runs, read-your-writes holds throughout, and a full buffer waits for it', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { store, gate } = gatedDataPuts(new LocalStore({ root: dir }))
    const { table } = await makeTable(dir, 'bgflush', { store })
    const w = await MemTableWriter.open(table, { flushMaxRows: 10 })
    assert.equal(await w.insert(makeRows(range(0, 6))), null)
    assert.equal(await w.insert(makeRows(range(6, 12))), null, 'the insert that fills the buffer does not wait for its flush')
    assert.equal(w.isFlushing, true)
    assert.equal(await w.insert(makeRows(range(12, 15))), null, 'inserts go on while the flush runs')
    let snap = w.bufferedSnapshot()
    assert.equal(snap.snapshotId, null)
    assert.deepEqual(snap.rows.map((r) => r.id), range(0, 15), 'flushing rows stay visible until their snapshot is')
    // The buffer fills again: a second flush starts behind the first (they overlap, commit in order).
    assert.equal(await w.insert(makeRows(range(15, 22))), null, 'a second flush starts without waiting')
    let filled = false
    const filling = w.insert(makeRows(range(22, 34))).then((r) => { filled = true; return r })
    // Logged and buffered, then held: both flushes wait at the gate (a fixed sleep flaked under load).
    await waitFor(() => w.bufferedRows === 34, 'the third insert logged', 30_000, 10)
    await sleep(20)
    assert.equal(filled, false, 'a buffer full a third time waits while two flushes run (backpressure)')
    assert.equal(table.currentSnapshotId, null, 'the second flush does not commit before the first')
    assert.deepEqual(w.bufferedSnapshot().rows.map((r) => r.id), range(0, 34), 'the waiting insert is logged and visible already')
    gate.open()
    assert.equal(await filling, null)
    await w.waitForFlush()
    snap = w.bufferedSnapshot()
    assert.notEqual(snap.snapshotId, null)
    await table.refresh()
    const inSnapshot = await readIds(table)
    assert.deepEqual([...inSnapshot, ...snap.rows.map((r) => Number(r.id))].sort((a, b) => a - b), range(0, 34), 'snapshot + buffer hold every row exactly once')
    const history = table.snapshots().map((x) => Number(x.summary['ailake.wal.default']))
    assert.deepEqual(history, [...history].sort((a, b) => a - b), 'flushes commit in WAL order')
    await w.insert(makeRows([34]))
    const id = await w.flush()
    assert.equal(typeof id, 'bigint')
    assert.equal(w.bufferedRows, 0)
    await w.close()
    assert.deepEqual(await readIds(table), range(0, 35))
  } finally {
    await cleanup()
  }
})

test('when the older of two overlapping flushes fails, the newer does not commit; every row is retried once', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { store, gate } = gatedDataPuts(new LocalStore({ root: dir }))
    gate.failuresAfterGate = 1
    const { table } = await makeTable(dir, 'bgchain', { store })
    const w = await MemTableWriter.open(table, { flushMaxRows: 10 })
    assert.equal(await w.insert(makeRows(range(0, 12))), null)
    // The older reaches its write first (flushes may encode at once), so the failure is its own.
    await waitFor(() => gate.waiting >= 1, 'the older flush to encode and wait to write')
    assert.equal(await w.insert(makeRows(range(12, 24))), null)
    await waitFor(() => gate.waiting >= 2, 'both flushes to encode and wait to write')
    gate.open()
    await assert.rejects(w.waitForFlush(), /earlier flush failed/)
    assert.equal(table.currentSnapshotId, null, 'nothing committed: the newer flush would have covered the failed rows')
    assert.deepEqual(w.bufferedSnapshot().rows.map((r) => r.id), range(0, 24))
    await w.close()
    assert.deepEqual(await readIds(table), range(0, 24))
    const reopened = await MemTableWriter.open(table, { flushMaxRows: 10 })
    assert.equal(reopened.bufferedRows, 0, 'the WAL holds nothing uncommitted')
    await reopened.close()
  } finally {
    await cleanup()
  }
})

test('a failed background flush keeps its rows visible and is retried by the next insert', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { store, gate } = gatedDataPuts(new LocalStore({ root: dir }))
    gate.open()
    gate.failures = 1
    const { table } = await makeTable(dir, 'bgfail', { store })
    const w = await MemTableWriter.open(table, { flushMaxRows: 10 })
    await w.insert(makeRows(range(0, 6)))
    assert.equal(await w.insert(makeRows(range(6, 12))), null)
    await assert.rejects(w.waitForFlush(), /injected put failure/)
    assert.match(String(w.lastFlushError?.message), /injected/)
    assert.equal(w.isFlushing, false)
    assert.equal(table.currentSnapshotId, null)
    assert.deepEqual(w.bufferedSnapshot().rows.map((r) => r.id), range(0, 12), 'the rows of the failed flush stay buffered and visible')
    // The buffer is still full: this insert retries the flush first, then logs its own row.
    assert.equal(await w.insert(makeRows([12])), null)
    assert.equal(w.lastFlushError, undefined)
    assert.deepEqual(await readIds(table), range(0, 12))
    assert.deepEqual(w.bufferedSnapshot().rows.map((r) => r.id), [12])
    await w.close()
    assert.deepEqual(await readIds(table), range(0, 13))
  } finally {
    await cleanup()
  }
})

test('insert arrays are reused only after their rows commit: snapshots of buffered rows and the written files keep their values', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const dim = 8
    const { table } = await makeTable(dir, 'recycle', { precision: 'f32', dim })
    const random = seededRandom(11)
    const inserted = new Map<number, number[]>()
    const batch = (from: number): Array<{ id: number; text: string; embedding: Float32Array }> => range(from, from + 50).map((id) => {
      const embedding = Float32Array.from({ length: dim }, () => random() * 2 - 1)
      inserted.set(id, [...embedding])
      return { id, text: 'chunk', embedding }
    })
    // Background flushes encoded in the flush worker (deferred indexing), two inserts per flush.
    const w = await MemTableWriter.open(table, { flushMaxRows: 100, flushIntervalMs: 60_000 })
    await w.insert(batch(0))
    const early = w.bufferedSnapshot()
    const earlyValues = [...early.vectors]
    for (let b = 1; b < 16; b++) {
      await w.insert(batch(b * 50))
      if (b % 4 === 0) await w.waitForFlush()
    }
    await w.close()
    assert.deepEqual([...early.vectors], earlyValues, 'a snapshot taken while its rows were buffered keeps its values after they commit')
    const rows = await readTableRows(table)
    assert.equal(rows.length, 800)
    for (const r of rows) assert.deepEqual(Array.from(r.embedding as ArrayLike<number>), inserted.get(Number(r.id)), `row ${String(r.id)}`)
  } finally {
    await cleanup()
  }
})

test('close() starts flushing the rows no background flush holds while those flushes still write, and commits them after, in WAL order', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { store, gate } = gatedDataPuts(new LocalStore({ root: dir }))
    const { table } = await makeTable(dir, 'tail', { store })
    const w = await MemTableWriter.open(table, { writerId: 'w', flushMaxRows: 10, flushIntervalMs: 60_000 })
    // Two full buffers: two background flushes, both held at their data-file put.
    for (let b = 0; b < 4; b++) await w.insert(makeRows(range(b * 5, b * 5 + 5)))
    await waitFor(() => gate.waiting === 2, 'both background flushes writing', 30_000, 10)
    await w.insert(makeRows(range(20, 23)))
    const closing = w.close()
    // The remaining 3 rows are encoded and written while the older flushes cannot finish.
    await waitFor(() => gate.waiting === 3, 'the tail flush writing before the older flushes committed', 30_000, 10)
    assert.equal(table.currentSnapshotId, null, 'nothing committed yet')
    gate.open()
    await closing
    assert.deepEqual(await readIds(table), range(0, 23))
    // One snapshot per flush, the tail's last: its watermark covers every record.
    const snaps = table.snapshots()
    assert.equal(snaps.length, 3)
    assert.deepEqual(snaps.map((s) => Number(s.summary['ailake.wal.w'])), [2, 4, 5])
    assert.equal(committedWalSeq(table, 'w'), 5)
  } finally {
    await cleanup()
  }
})

test('a flush run by flush() or close() counts as in flight: isFlushing (auto-optimize waits for it) and the process-wide count (index builds pause)', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { store, gate } = gatedDataPuts(new LocalStore({ root: dir }))
    const { table } = await makeTable(dir, 'fgflush', { store })
    const w = await MemTableWriter.open(table, { flushMaxRows: 1000, flushIntervalMs: 60_000 })
    await w.insert(makeRows(range(0, 5)))
    assert.equal(w.isFlushing, false)
    const before = Atomics.load(activeFlushes as Int32Array, 0)
    const flushing = w.flush()
    await waitFor(() => gate.waiting === 1, 'the flush writing', 30_000, 10)
    assert.equal(w.isFlushing, true, 'flush() is flushing')
    assert.equal(Atomics.load(activeFlushes as Int32Array, 0), before + 1, 'and counted process-wide')
    gate.open()
    await flushing
    assert.equal(w.isFlushing, false)
    assert.equal(Atomics.load(activeFlushes as Int32Array, 0), before)
    assert.deepEqual(await readIds(table), range(0, 5))
    await w.close()
  } finally {
    await cleanup()
  }
})
