import { test } from 'node:test'
import assert from 'node:assert/strict'
import { IndexBuilder, MemTableWriter, TableWriter, storeSource } from '../../src/ingest/index.js'
import { openDataFile } from '../../src/format/data-file.js'
import { HnswIndex } from '../../src/vector-index/hnsw.js'
import { isAilakeError } from '../../src/errors.js'
import { LocalStore } from '../../src/store/local-store.js'
import type { ObjectStore } from '../../src/store/object-store.js'
import { writeDataFiles } from '../../src/table/data-writer.js'
import { toRowBatch } from '../../src/table/rows.js'
import type { IcebergTable } from '../../src/table/iceberg-table.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'
import { makeTable, range, readIds, readTableRows } from './helpers.js'

const DIM = 8

function rows(ids: number[]): Array<{ id: number; text: string; embedding: Float32Array }> {
  const vecs = clusteredVectors(ids.length, DIM, ids[0] ?? 1)
  return ids.map((id, i) => ({ id, text: `doc ${id}`, embedding: vecs[i] as Float32Array }))
}

async function statuses(table: IcebergTable): Promise<string[]> {
  await table.refresh()
  return (await table.planFiles()).map((f) => f.dataFile.ailake?.indexStatus ?? 'none')
}

/** The rows' ids and the f16-stored vectors, sorted by id, to compare files before and after a rewrite. */
async function contents(table: IcebergTable): Promise<string> {
  const all = await readTableRows(table)
  all.sort((a, b) => Number(a.id) - Number(b.id))
  return JSON.stringify(all.map((r) => [r.id, r.text, Array.from(r.embedding as ArrayLike<number>)]))
}

for (const workers of [2, 0]) {
  test(`deferred files become indexed by waitForIndexes alone (workers: ${workers}), with the same rows`, async () => {
    const { dir, cleanup } = await tempDir()
    const builder = new IndexBuilder({ workers })
    try {
      const { table } = await makeTable(dir, 'deferred', { dim: DIM })
      assert.equal(builder.workers, workers)
      const w = new TableWriter(table, { indexBuilder: builder, maxRowsPerFile: 120 })
      const files = await w.writeBatchDeferred(rows(range(0, 300)))
      assert.equal(files.length, 3, 'large batches roll over into several files')
      await w.writeBatch(rows(range(300, 350)))
      const snap = await w.commit()
      assert.equal(table.currentSnapshotId, snap)
      assert.deepEqual((await statuses(table)).sort(), ['pending', 'pending', 'pending', 'ready'])
      const before = await contents(table)
      await builder.waitForIndexes()
      assert.deepEqual(await statuses(table), ['ready', 'ready', 'ready', 'ready'])
      assert.equal(await contents(table), before, 'rewritten files hold exactly the same rows')
      assert.equal(builder.stats.indexed, 3)
      // Committed paths are never overwritten: the pending files still exist (for time travel) and the snapshot reads them.
      for (const f of files) assert.ok(await table.store.head(table.keyOf(f.filePath)))
      // The new index is a real, searchable HNSW graph over the file's vectors.
      const live = (await table.planFiles()).find((f) => f.dataFile.recordCount === 120)
      assert.ok(live)
      const reader = await openDataFile(await storeSource(table.store, table.keyOf(live.dataFile.filePath)))
      const { indexBytes } = await reader.readSection()
      const vectors = await reader.readVectors()
      const index = HnswIndex.deserialize(indexBytes as Uint8Array, vectors)
      const hit = index.search(vectors.subarray(5 * DIM, 6 * DIM), 1)
      assert.equal(hit.ids[0], 5)
      assert.equal(index.size, 120)
    } finally {
      await builder.close()
      await cleanup()
    }
  })
}

test('validation before anything is written; abort() deletes uncommitted files', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table } = await makeTable(dir, 'abort', { dim: DIM })
    const w = new TableWriter(table)
    const bad = rows(range(0, 5)) as Array<Record<string, unknown>>
    ;(bad[3] as Record<string, unknown>).embedding = [1, 2]
    await assert.rejects(w.writeBatch(bad), (e: unknown) => isAilakeError(e, 'DIMENSION_MISMATCH') && /row 3/.test((e as Error).message))
    assert.equal((await table.store.list(table.keyOf(table.location) + '/data/')).length, 0)
    await w.writeBatchDeferred(rows(range(0, 5)))
    assert.equal((await table.store.list(table.keyOf(table.location) + '/data/')).length, 1)
    await w.abort()
    assert.equal((await table.store.list(table.keyOf(table.location) + '/data/')).length, 0)
    await assert.rejects(w.commit(), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
    assert.equal(table.currentSnapshotId, null)
  } finally {
    await cleanup()
  }
})

test('builds resume after a crash: scheduleAllPending finds the pending files', async () => {
  const { dir, cleanup } = await tempDir()
  const builder = new IndexBuilder({ workers: 1 })
  try {
    const { table, reopen } = await makeTable(dir, 'resume', { dim: DIM })
    // No builder: as if the process died right after the commit.
    const w = new TableWriter(table, { maxRowsPerFile: 50 })
    await w.writeBatchDeferred(rows(range(0, 100)))
    await w.commit()
    const fresh = await reopen()
    assert.equal(await builder.scheduleAllPending(fresh), 2)
    await builder.waitForIndexes()
    assert.deepEqual(await statuses(fresh), ['ready', 'ready'])
    assert.equal(await builder.scheduleAllPending(fresh), 0)
    assert.deepEqual(await readIds(fresh), range(0, 100))
  } finally {
    await builder.close()
    await cleanup()
  }
})

test('MemTableWriter: flushed files get indexed with no call beyond waitForIndexes', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { table } = await makeTable(dir, 'memidx', { dim: DIM })
    const w = await MemTableWriter.open(table, { flushMaxRows: 100 })
    for (let i = 0; i < 5; i++) await w.insert(rows(range(i * 50, (i + 1) * 50)))
    await w.flush()
    await w.waitForIndexes()
    assert.deepEqual(await statuses(table), ['ready', 'ready', 'ready'])
    await w.close()
    assert.deepEqual(await readIds(table), range(0, 250))
  } finally {
    await cleanup()
  }
})

/** A store whose first armed put under /data/ waits for `release()`. */
function gatedStore(inner: ObjectStore): { store: ObjectStore; arm(): void; reached: Promise<void>; release(): void } {
  let armed = false
  let onReach: () => void = () => undefined
  const reached = new Promise<void>((r) => { onReach = r })
  let release: () => void = () => undefined
  const gate = new Promise<void>((r) => { release = r })
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'put') {
        return async (key: string, bytes: Uint8Array) => {
          if (armed && key.includes('/data/')) {
            armed = false
            onReach()
            await gate
          }
          return target.put(key, bytes)
        }
      }
      const v = Reflect.get(target, prop, receiver) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
  return { store, arm: () => { armed = true }, reached, release }
}

test('a deferred build racing a concurrent rewrite of its file loses cleanly: no row lost or doubled', async () => {
  const { dir, cleanup } = await tempDir()
  const builder = new IndexBuilder({ workers: 1 })
  try {
    const gated = gatedStore(new LocalStore({ root: dir }))
    const { table, reopen } = await makeTable(dir, 'race', { dim: DIM, store: gated.store })
    const w = new TableWriter(table)
    const [pending] = await w.writeBatchDeferred(rows(range(0, 80)))
    await w.commit()
    assert.ok(pending)
    const before = await contents(table)

    gated.arm()
    builder.schedule(table, [pending.filePath])
    await gated.reached // the build has its index and is writing the new file
    // Meanwhile another writer (a compaction, say) replaces the pending file with a copy of its rows.
    const other = await reopen()
    const policy = other.policy
    assert.ok(policy)
    const batch = toRowBatch(await readTableRows(other), other.schema, policy)
    const { files } = await writeDataFiles({ store: other.store, location: other.location, keyOf: (l) => other.keyOf(l), schema: other.schema, policy }, batch, { buildIndex: false })
    await other.rewrite([pending.filePath], files)
    gated.release()
    await builder.waitForIndexes()

    assert.equal(builder.stats.conflicts, 1, 'the build saw its file was gone')
    assert.equal(await contents(table), before, 'every row exactly once')
    const dataObjects = await table.store.list(table.keyOf(table.location) + '/data/')
    assert.equal(dataObjects.length, 2, 'the losing build deleted its new file (only the original and the replacement remain)')
    // The replacement is pending; a new build picks it up.
    assert.equal(await builder.scheduleAllPending(table), 1)
    await builder.waitForIndexes()
    assert.deepEqual(await statuses(table), ['ready'])
    assert.equal(await contents(table), before)
  } finally {
    await builder.close()
    await cleanup()
  }
})

test('a build and an append committing at the same time both land', async () => {
  const { dir, cleanup } = await tempDir()
  const builder = new IndexBuilder({ workers: 2 })
  try {
    const { table } = await makeTable(dir, 'concurrent', { dim: DIM })
    const w = new TableWriter(table, { indexBuilder: builder, maxRowsPerFile: 40 })
    await w.writeBatchDeferred(rows(range(0, 160)))
    await w.commit()
    // Appends through the same handle while four builds commit rewrites.
    for (let i = 0; i < 4; i++) {
      const a = new TableWriter(table)
      await a.writeBatch(rows(range(1000 + i * 10, 1010 + i * 10)))
      await a.commit()
    }
    await builder.waitForIndexes()
    assert.deepEqual(await readIds(table), [...range(0, 160), ...range(1000, 1040)])
    assert.ok((await statuses(table)).every((s) => s === 'ready'))
  } finally {
    await builder.close()
    await cleanup()
  }
})
