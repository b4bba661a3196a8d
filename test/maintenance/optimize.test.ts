/**
 * optimize(): the layout changes, the rows do not. Checked with icebird (an independent reader),
 * with brute force over the stored vectors, and under concurrent appends and deletes, crashes at
 * any store call, and repeated runs.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { icebergRead } from 'icebird'
import { connect, isAilakeError, type Metric, type Precision, type Table } from '../../src/index.js'
import { FaultyStore } from '../../src/store/faulty-store.js'
import { LocalStore } from '../../src/store/local-store.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { ObjectStore } from '../../src/store/object-store.js'
import { clustersToMerge, DELTA_FRACTION, MAX_FILES_PER_CLUSTER } from '../../src/maintenance/optimize-plan.js'
import type { Snapshot } from '../../src/format/iceberg/types.js'
import type { IcebergTable } from '../../src/table/iceberg-table.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { waitFor } from '../helpers/wait.js'
import { clusteredVectors, rng, tempDir } from '../helpers/tmpdir.js'

const DIM = 8

async function table(dir: string, metric: Metric = 'cosine', precision: Precision = 'f32', store?: ObjectStore): Promise<Table> {
  const lake = await connect(dir, store === undefined ? {} : { store })
  return lake.createTable('default.t', { vector: { dim: DIM, metric, precision }, schema: { id: { type: 'long', required: true }, tag: 'string' } })
}

function rows(from: number, n: number, seed: number): Array<Record<string, unknown>> {
  return clusteredVectors(n, DIM, seed, 6).map((v, i) => ({ id: BigInt(from + i), tag: ['a', 'b', 'c'][(from + i) % 3], embedding: v }))
}

/** id → [tag, stored vector values] as icebird reads them. */
async function snapshot(url: string): Promise<Map<number, string>> {
  const got = await icebergRead({ tableUrl: url })
  return new Map(got.map((r) => [Number(r.id), JSON.stringify([r.tag, Array.from(r.embedding as number[] | Uint8Array)])]))
}

test('optimize clusters the rows into fewer files and drops deleted rows; icebird reads exactly the same rows', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const t = await table(dir)
    for (let f = 0; f < 12; f++) await t.add(rows(f * 100, 100, f + 1))
    await t.delete('id < 50')
    await t.update('id = 60', { tag: 'z' })
    const url = `${dir}/default/t`
    const before = await snapshot(url)
    const report = await t.optimize({ targetRowsPerFile: 300 })
    assert.equal(report.mode, 'full')
    assert.equal(report.rowsBefore, 1150)
    assert.equal(report.rowsAfter, 1150)
    assert.equal(report.deletedRowsRemoved, 51)
    assert.ok(report.filesAfter < report.filesBefore, `${report.filesBefore} -> ${report.filesAfter} files`)
    assert.ok(report.clusters >= 3, `${report.clusters} clusters`)
    assert.equal(t.history().at(-1)?.operation, 'replace')
    assert.deepEqual(await snapshot(url), before, 'every live row, with its stored vector, unchanged')
    const files = await t.files()
    assert.ok(files.every((f) => f.deletedRows === 0 && f.indexStatus === 'ready'))
    assert.equal(t.history().at(-1)?.totalDeletes, 0, 'the delete files dropped out of the snapshot')
    // Nothing left to do: a second run commits nothing.
    const again = await t.optimize({ targetRowsPerFile: 300 })
    assert.equal(again.mode, 'none')
    assert.equal(again.snapshotId, null)
    assert.deepEqual(await snapshot(url), before)
  } finally {
    restore()
    await cleanup()
  }
})

for (const metric of ['cosine', 'euclidean', 'dot'] as const) {
  for (const precision of ['f32', 'f16', 'i8'] as const) {
    test(`large-ef exact search returns the same rows and distances before and after optimize (${metric}, ${precision})`, async () => {
      const t = await table('/nonexistent/ailake-opt', metric, precision, new MemoryStore())
      for (let f = 0; f < 6; f++) await t.add(rows(f * 80, 80, 10 + f))
      await t.delete({ column: 'id', op: 'in', values: [3n, 99n, 200n, 201n, 450n] })
      const random = rng(3)
      const queries = Array.from({ length: 12 }, () => Float32Array.from({ length: DIM }, () => random() * 2 - 1))
      const run = async (): Promise<string[]> => Promise.all(queries.map(async (q, i) => {
        let s = t.search(q).limit(10).ef(500).prune('exact')
        if (i % 2 === 1) s = s.where("tag != 'b'")
        return JSON.stringify((await s.toArray()).map((r) => [String(r.id), r._distance]))
      }))
      const before = await run()
      await t.optimize({ targetRowsPerFile: 120 })
      assert.deepEqual(await run(), before)
    })
  }
}

test('clustersToMerge: a delta while the deltas stay under half the largest file and the cluster under four files', () => {
  const kept = new Map<number, number[]>([[0, [100]], [1, [100, 30]], [2, [100, 10, 10, 10]], [3, []]])
  assert.deepEqual([...clustersToMerge(new Map([[0, 50], [1, 20], [2, 1], [3, 500], [4, 7]]), kept)].sort(), [2])
  assert.deepEqual([...clustersToMerge(new Map([[0, 51], [1, 21]]), kept)].sort(), [0, 1])
})

test('property: incremental optimize costs the new rows, keeps every row once, and no cluster passes four files or half its largest file in deltas (seeded rounds)', async () => {
  const seed = Number(process.env.AILAKE_SEED ?? 7)
  const random = rng(seed)
  const t = await table('/nonexistent/ailake-opt-delta', 'euclidean', 'f32', new MemoryStore())
  for (let f = 0; f < 8; f++) await t.add(rows(f * 100, 100, f + 1))
  const full = await t.optimize({ targetRowsPerFile: 200 })
  assert.equal(full.mode, 'full')
  const queries = Array.from({ length: 8 }, () => Float32Array.from({ length: DIM }, () => random() * 2 - 1))
  const exact = async (): Promise<string[]> => Promise.all(queries.map(async (q) => JSON.stringify((await t.search(q).limit(10).ef(2000).prune('exact').toArray()).map((r) => [String(r.id), r._distance]))))
  let next = 800
  let rewrittenTotal = 0
  for (let round = 0; round < 6; round++) {
    const n = 20 + Math.floor(random() * 60)
    await t.add(rows(next, n, 100 + round * 7 + seed))
    next += n
    const before = await exact()
    const clusteredBefore = new Set((await t.files()).filter((f) => f.cluster !== undefined).map((f) => f.path))
    const r = await t.optimize({ targetRowsPerFile: 200 })
    const ctx = `seed ${seed} round ${round}`
    assert.equal(r.mode, 'incremental', ctx)
    assert.equal(await t.countRows(), next, ctx)
    assert.deepEqual(await exact(), before, `${ctx}: same answers`)
    const files = await t.files()
    const kept = files.filter((f) => clusteredBefore.has(f.path))
    // Only merged clusters' files were read again: the rows rewritten are the new ones plus theirs.
    const rewritten = [...clusteredBefore].filter((p) => !kept.some((f) => f.path === p))
    assert.ok(r.rowsRewritten <= n + rewritten.length * 300, `${ctx}: ${r.rowsRewritten} rows rewritten for ${n} new`)
    // Each cluster starts as one file, so the first new rows are deltas: nothing else is rewritten.
    if (round === 0) assert.deepEqual([r.rowsRewritten, rewritten.length], [n, 0], `${ctx}: only the new rows are written`)
    rewrittenTotal += r.rowsRewritten
    const byCluster = new Map<number, number[]>()
    for (const f of files) {
      assert.notEqual(f.cluster, undefined, `${ctx}: every file belongs to a cluster`)
      byCluster.set(f.cluster as number, [...(byCluster.get(f.cluster as number) ?? []), f.rows])
    }
    for (const [c, sizes] of byCluster) {
      const largest = Math.max(...sizes)
      assert.ok(sizes.length <= MAX_FILES_PER_CLUSTER, `${ctx}: cluster ${c} has ${sizes.length} files`)
      assert.ok(sizes.reduce((a, b) => a + b, 0) - largest <= DELTA_FRACTION * largest, `${ctx}: cluster ${c} deltas ${JSON.stringify(sizes)}`)
    }
  }
  // Merging every receiving cluster each round would rewrite the table about six times over.
  assert.ok(rewrittenTotal < 2 * next, `seed ${seed}: ${rewrittenTotal} rows rewritten over six rounds of a ${next}-row table`)
})

test('incremental optimize: new rows join their clusters, and only the files of receiving clusters are rewritten', async () => {
  const t = await table('/nonexistent/ailake-opt-inc', 'euclidean', 'f32', new MemoryStore())
  for (let f = 0; f < 10; f++) await t.add(rows(f * 100, 100, f + 1))
  const first = await t.optimize({ targetRowsPerFile: 200 })
  assert.equal(first.mode, 'full')
  const clustered = new Set((await t.files()).map((f) => f.path))
  // New rows near one cluster only.
  const near = (await t.search(rows(0, 1, 1)[0]!.embedding as Float32Array).limit(1).select(['embedding']).toArray())[0]!.embedding as Float32Array
  await t.add(Array.from({ length: 30 }, (_, i) => ({ id: BigInt(5000 + i), tag: 'n', embedding: near.map((x, j) => x + (j === i % DIM ? 1e-3 : 0)) })))
  const inc = await t.optimize({ targetRowsPerFile: 200 })
  assert.equal(inc.mode, 'incremental')
  const after = (await t.files()).map((f) => f.path)
  const kept = after.filter((p) => clustered.has(p))
  assert.ok(kept.length >= clustered.size - 2, `files of other clusters stay (${kept.length} of ${clustered.size} kept)`)
  assert.equal(await t.countRows(), 1030)
  const hits = await t.search(near).limit(31).ef(300).prune('exact').toArray()
  assert.ok(hits.filter((h) => (h.id as bigint) >= 5000n).length === 30)
})

test('an append and a delete committed while optimize runs both survive', async () => {
  const store = new MemoryStore()
  const t = await table('/nonexistent/ailake-opt-race', 'cosine', 'f32', store)
  for (let f = 0; f < 8; f++) await t.add(rows(f * 100, 100, f + 1))
  const other = await (await connect('/nonexistent/ailake-opt-race', { store })).openTable('default.t')
  let raced = 0
  const put = store.put.bind(store)
  store.put = async (key, bytes) => {
    // Just before optimize commits its layout (its last write), another writer appends and deletes.
    if (raced === 0 && key.includes('/metadata/layout-')) {
      raced = 1
      await other.add(rows(9000, 20, 99))
      await other.delete('id < 10')
    }
    return put(key, bytes)
  }
  const report = await t.optimize({ targetRowsPerFile: 250 })
  assert.equal(raced, 1)
  assert.notEqual(report.snapshotId, null)
  await t.refresh()
  assert.equal(await t.countRows(), 800 + 20 - 10, 'the append landed and the delete was not lost')
  const ids = (await t.search(new Float32Array(DIM).fill(0.1)).limit(1000).ef(2000).prune('exact').toArray()).map((r) => Number(r.id))
  assert.equal(new Set(ids).size, ids.length)
  assert.ok(ids.every((id) => id >= 10))
  assert.ok(ids.filter((id) => id >= 9000).length === 20)
})

test('a crash at any store call of optimize leaves the last good snapshot and every row exactly once', async () => {
  for (let failAt = 1; failAt < 60; failAt += 4) {
    const { dir, cleanup } = await tempDir()
    try {
      const local = new LocalStore({ root: dir })
      let calls = 0
      let armed = false
      const store = new FaultyStore(local, { failRate: 0, seed: failAt, decide: (op) => (armed && (op === 'put' || op === 'putIfAbsent' || op === 'delete') && ++calls === failAt ? 'fail' : 'pass') })
      const t = await table(dir, 'euclidean', 'f16', store)
      for (let f = 0; f < 5; f++) await t.add(rows(f * 60, 60, f + 1))
      await t.delete('id < 5')
      armed = true
      await t.optimize({ targetRowsPerFile: 100 }).catch((err: unknown) => assert.ok(isAilakeError(err), String(err)))
      armed = false
      // A fresh process sees a consistent table and can finish the job.
      const t2 = await (await connect(dir)).openTable('default.t')
      assert.equal(await t2.countRows(), 295, `fail at write ${failAt}`)
      await t2.optimize({ targetRowsPerFile: 100 })
      const ids = (await t2.search(new Float32Array(DIM)).limit(1000).ef(2000).prune('exact').toArray()).map((r) => Number(r.id))
      assert.equal(ids.length, 295, `fail at write ${failAt}: rows after recovery`)
      assert.equal(new Set(ids).size, 295)
    } finally {
      await cleanup()
    }
  }
})

test('routing: a clustered table is searched through the nearest files only, and explain says how many were skipped', async () => {
  const t = await table('/nonexistent/ailake-opt-route', 'cosine', 'f32', new MemoryStore())
  for (let f = 0; f < 10; f++) await t.add(rows(f * 200, 200, f + 1))
  await t.optimize({ targetRowsPerFile: 150 })
  const files = (await t.files()).length
  const q = rows(0, 1, 1)[0]!.embedding as Float32Array
  const routed = await t.search(q).limit(10).explain()
  assert.ok(routed.filesSkippedByRouting > 0, `${routed.filesSkippedByRouting} of ${files} skipped by routing`)
  assert.equal(routed.filesSkippedByRouting + routed.filesSearchedByIndex + routed.filesSearchedByScan + routed.filesPrunedByBound + routed.filesNoMatch, files)
  const exact = await t.search(q).limit(10).prune('exact').explain()
  assert.equal(exact.filesSkippedByRouting, 0)
  const one = await t.search(q).limit(10).prune({ probe: 1 }).explain()
  assert.equal(one.filesSearchedByIndex + one.filesPrunedByBound, 1)
})

test('automatic optimize: streamed rows are laid out in the background once enough are outside the layout', async () => {
  const store = new MemoryStore()
  const lake = await connect('/nonexistent/ailake-opt-auto', { store, optimize: { auto: true, targetRowsPerFile: 200 } })
  const t = await lake.createTable('default.t', { vector: { dim: DIM, metric: 'cosine' }, schema: { id: { type: 'long', required: true }, tag: 'string' } })
  const w = t.memTableWriter({ flushMaxRows: 100, deferIndex: false })
  for (let b = 0; b < 6; b++) await w.insert(rows(b * 100, 100, b + 1))
  await w.flush()
  await waitFor(() => t.maintenance().lastReport !== undefined || t.maintenance().lastError !== undefined, 'a background optimize', 60_000, 50)
  assert.equal(t.maintenance().lastError, undefined)
  assert.equal(t.maintenance().lastReport?.mode, 'full')
  await w.close()
  await t.refresh()
  assert.equal(await t.countRows(), 600)
  assert.ok((await t.files()).length <= 5)
  await lake.close()
})

test('connect({ optimize }) rejects values that are not counts, naming the option', async () => {
  for (const [optimize, message] of [
    [{ auto: 'yes' }, /optimize\.auto must be true or false/],
    [{ quietMs: -1 }, /optimize\.quietMs must be an integer >= 0, got -1/],
    [{ maxLooseRows: 0 }, /optimize\.maxLooseRows must be an integer >= 1/],
    [{ targetRowsPerFile: 1.5 }, /optimize\.targetRowsPerFile must be an integer >= 1, got 1\.5/],
    [{ minLooseRows: Number.NaN }, /optimize\.minLooseRows/],
  ] as const) {
    await assert.rejects(connect('/nonexistent/ailake-opt-bad', { store: new MemoryStore(), optimize: optimize as never }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && message.test(e.message), JSON.stringify(optimize))
  }
})

test('automatic optimize waits for busy writers to go quiet, unless the loose rows pass maxLooseRows', async () => {
  const store = new MemoryStore()
  const lake = await connect('/nonexistent/ailake-opt-quiet', { store, optimize: { auto: true, targetRowsPerFile: 200, quietMs: 1_500, maxLooseRows: 100_000 } })
  try {
    const t = await lake.createTable('default.t', { vector: { dim: DIM, metric: 'cosine' }, schema: { id: { type: 'long', required: true }, tag: 'string' } })
    const w = t.memTableWriter({ flushMaxRows: 100, deferIndex: false })
    // A stream of inserts: commits make a run due, but it must wait while inserts keep coming.
    for (let b = 0; b < 12; b++) {
      await w.insert(rows(b * 100, 100, b + 1))
      await w.flush()
      const m = t.maintenance()
      assert.equal(m.optimizing, false, `batch ${b}: no run while the writer inserts`)
      assert.equal(m.lastReport, undefined, `batch ${b}`)
    }
    await waitFor(() => t.maintenance().waitingForQuiet === true, 'a due run waiting for quiet', 30_000, 20)
    // The writer stays open but idle: the run starts once it has been quiet for quietMs.
    await waitFor(() => t.maintenance().lastReport !== undefined || t.maintenance().lastError !== undefined, 'the run after the writers went quiet', 60_000, 50)
    assert.equal(t.maintenance().lastError, undefined)
    assert.equal(t.maintenance().waitingForQuiet, undefined)
    await w.close()
    assert.equal(await t.countRows(), 1200)
  } finally {
    await lake.close()
  }

  // A writer that never pauses: the run starts once the loose rows reach maxLooseRows.
  const lake2 = await connect('/nonexistent/ailake-opt-ceiling', { store: new MemoryStore(), optimize: { auto: true, targetRowsPerFile: 200, quietMs: 600_000, maxLooseRows: 400 } })
  try {
    const t = await lake2.createTable('default.t', { vector: { dim: DIM, metric: 'cosine' }, schema: { id: { type: 'long', required: true }, tag: 'string' } })
    const w = t.memTableWriter({ flushMaxRows: 100, deferIndex: false })
    let b = 0
    const started = (): boolean => t.maintenance().optimizing || t.maintenance().lastReport !== undefined || t.maintenance().lastError !== undefined
    while (!started()) {
      assert.ok(b < 200, 'a run started within 200 batches')
      await w.insert(rows(b * 100, 100, b + 1))
      await w.flush()
      b++
    }
    assert.ok(b >= 4, `no run before 400 loose rows (it came after ${b} batches)`)
    await waitFor(() => t.maintenance().lastReport !== undefined || t.maintenance().lastError !== undefined, 'the forced run', 60_000, 50)
    assert.equal(t.maintenance().lastError, undefined)
    await w.close()
  } finally {
    await lake2.close()
  }
})

test('optimize wins against this handle\'s background index builds: it holds them back instead of losing its commit to them', async () => {
  const t = await table('/nonexistent/ailake-opt-builds', 'cosine', 'f32', new MemoryStore())
  for (let f = 0; f < 40; f++) await t.add(rows(f * 50, 50, f + 1), { buildIndex: false })
  assert.ok((await t.files()).every((f) => f.indexStatus === 'pending'))
  // Builds of all 40 pending files start, then optimize runs while they would commit.
  const building = t.waitForIndexes()
  const report = await t.optimize({ targetRowsPerFile: 500 })
  await building
  assert.equal(report.mode, 'full')
  assert.equal(await t.countRows(), 2000)
  const files = await t.files()
  assert.ok(files.every((f) => f.indexStatus === 'ready' && f.cluster !== undefined), 'every file is optimize\'s, indexed')
  assert.ok(files.length <= 8, `${files.length} files`)
  // The 40 emptied manifests are recorded in one manifest of DELETED entries, not 40.
  const core = t.core as IcebergTable
  const manifests = await core.cache.snapshotManifests(core.snapshots().at(-1) as Snapshot)
  const emptied = manifests.filter((m) => m.content === 'data' && m.addedFilesCount + m.existingFilesCount === 0)
  assert.equal(emptied.length, 1)
  assert.equal(emptied[0]?.deletedFilesCount, 40)
})
