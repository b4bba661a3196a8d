import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError } from '../../src/index.js'
import type { Metric } from '../../src/vector/types.js'
import type { Filter } from '../../src/query/index.js'
import { tempDir } from '../helpers/tmpdir.js'
import { bruteForce, CLUSTERS, DIM, makeTable, queryNear } from './fixture.js'

const ids = (rows: Record<string, unknown>[]): number[] => rows.map((r) => r.id as number)

function assertCode(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isAilakeError(err), `expected an AilakeError, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    return true
  }
}

for (const metric of ['cosine', 'euclidean', 'dot'] as Metric[]) {
  test(`${metric}: large ef equals exact brute force with pruning on, and pruning skips files`, async () => {
    const { dir, cleanup } = await tempDir()
    try {
      const fx = await makeTable(dir, metric)
      let pruned = 0
      for (let qi = 0; qi < 8; qi++) {
        const q = queryNear(fx, qi % CLUSTERS, 100 + qi)
        const { rows, plan } = await fx.search(q).limit(10).ef(400).execute()
        const exact = bruteForce(fx, metric, q, 10)
        assert.deepEqual(ids(rows), exact.map((e) => e.id), `query ${qi}`)
        assert.deepEqual(rows.map((r) => r._distance), exact.map((e) => e.d))
        assert.equal(plan.filesTotal, CLUSTERS * 2)
        assert.equal(plan.filesPrunedByBound + plan.filesSearchedByIndex, plan.filesTotal)
        pruned += plan.filesPrunedByBound
      }
      if (metric !== 'dot') assert.ok(pruned > 0, `${metric}: expected some files pruned by bound on clustered data`)
      // Default columns: every non-vector column, plus _distance; the vector only when selected.
      const [first] = await fx.search(queryNear(fx, 0, 1)).limit(1).toArray()
      assert.deepEqual(Object.keys(first ?? {}), ['id', 'category', 'year', 'score', 'tagName', 'note', 'done', 'big', '_distance'])
      const [withVec] = await fx.search(queryNear(fx, 0, 1)).select(['id', 'embedding']).limit(1).toArray()
      assert.ok(withVec?.embedding instanceof Float32Array)
      assert.deepEqual(Array.from(withVec.embedding), Array.from(fx.vectors[withVec.id as number] as Float32Array))
    } finally {
      await cleanup()
    }
  })
}

test('recall@10 >= 0.95 at default settings on clustered data in many files; warm cache reads nothing', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const fx = await makeTable(dir, 'cosine', { perCluster: 400, filesPerCluster: 3 })
    let hits = 0
    const n = 30
    for (let qi = 0; qi < n; qi++) {
      const q = queryNear(fx, qi % CLUSTERS, 500 + qi)
      const got = new Set(ids(await fx.search(q).toArray()))
      for (const e of bruteForce(fx, 'cosine', q, 10)) if (got.has(e.id)) hits++
    }
    assert.ok(hits / (n * 10) >= 0.95, `recall ${hits / (n * 10)}`)
    const q = queryNear(fx, 1, 9)
    const warm = await fx.search(q).explain()
    assert.ok(warm.cacheHits.index > 0)
    assert.equal(warm.cacheMisses.index, 0)
    fx.caches.clear()
    const cold = await fx.search(q).explain()
    assert.ok(cold.bytesRead > 0 && cold.cacheMisses.index > 0)
    assert.ok(cold.filesPrunedByBound > 0)
  } finally {
    await cleanup()
  }
})

test('filters: rare matches still give k rows, equal to filtered brute force; stats pruning; camelCase', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const fx = await makeTable(dir, 'euclidean')
    const q = queryNear(fx, 2, 42)
    // Each filter with the same condition written by hand (the oracle is not the filter code).
    const filters: Array<[string | Filter, (r: Record<string, unknown>) => boolean]> = [
      ["category = 'rare'", (r) => r.category === 'rare'],
      ["tagName = 'b' AND (year >= 2005 OR score < 0.2)", (r) => r.tagName === 'b' && ((r.year as number) >= 2005 || (r.score as number) < 0.2)],
      ['note IS NULL AND NOT done = true', (r) => r.note === null && r.done === false],
      ["tagName IN ('a','c') AND category NOT IN ('news')", (r) => (r.tagName === 'a' || r.tagName === 'c') && r.category !== 'news'],
      [{ and: [{ column: 'year', op: '<', value: 2003 }, { column: 'note', op: 'is not null' }] }, (r) => (r.year as number) < 2003 && r.note !== null],
      ['big >= 20000000000000', (r) => (r.big as bigint) >= 20_000_000_000_000n],
    ]
    for (const [f, keep] of filters) {
      const { rows, plan } = await fx.search(q).where(f).limit(10).ef(400).execute()
      const exact = bruteForce(fx, 'euclidean', q, 10, keep)
      assert.equal(exact.length, 10)
      assert.deepEqual(ids(rows), exact.map((e) => e.id), JSON.stringify(f))
      assert.ok(plan.filesPrunedByBound + plan.filesSearchedByIndex + plan.filesPrunedByStats + plan.filesNoMatch >= plan.filesTotal)
    }
    // 1% matches, default ef: still k rows, all matching.
    const rare = await fx.search(queryNear(fx, 5, 3)).where("category = 'rare'").limit(10).toArray()
    assert.equal(rare.length, 10)
    assert.ok(rare.every((r) => r.category === 'rare'))
    // Statistics pruning: only the files of year 2004 can match.
    const plan = await fx.search(q).where('year = 2004').explain()
    assert.equal(plan.filesPrunedByStats, plan.filesTotal - 2)
    const only = await fx.search(q).where('year = 2004').limit(5).toArray()
    assert.ok(only.length === 5 && only.every((r) => r.year === 2004))
    // No match anywhere: empty, not an error.
    assert.deepEqual(await fx.search(q).where('year > 3000').toArray(), [])
    // Chained where() ANDs.
    const chained = await fx.search(q).where("tagName = 'a'").where('done = true').limit(20).toArray()
    assert.ok(chained.length === 20 && chained.every((r) => r.tagName === 'a' && r.done === true))
  } finally {
    await cleanup()
  }
})

test('bad input: dimension, NaN, k, unknown columns, type mismatches, malformed filters', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const fx = await makeTable(dir, 'cosine', { perCluster: 20, filesPerCluster: 1 })
    const q = queryNear(fx, 0, 1)
    assert.throws(() => fx.search(new Float32Array(DIM + 1)), assertCode('DIMENSION_MISMATCH'))
    assert.throws(() => fx.search(Array.from({ length: DIM }, (_, i) => (i === 3 ? NaN : 1))), assertCode('INVALID_ARGUMENT'))
    assert.throws(() => fx.search(Array.from({ length: DIM }, () => Infinity)), assertCode('INVALID_ARGUMENT'))
    for (const k of [0, -1, 1.5, 10_001, 1e9, NaN]) assert.throws(() => fx.search(q).limit(k), assertCode('INVALID_ARGUMENT'), `k=${k}`)
    assert.throws(() => fx.search(q).where("Category = 'news'"), (err) => {
      assertCode('INVALID_ARGUMENT')(err)
      assert.match((err as Error).message, /"Category".*valid columns: id, category, year/)
      return true
    })
    assert.throws(() => fx.search(q).where('tagname = 1'), assertCode('INVALID_ARGUMENT'))
    assert.throws(() => fx.search(q).where("year = 'x'"), /year is int.*string "x"/)
    assert.throws(() => fx.search(q).where('category = 3'), /category is string/)
    assert.throws(() => fx.search(q).where({ column: 'nope', op: '=', value: 1 }), /unknown column "nope"/)
    assert.throws(() => fx.search(q).where({ column: 'year', op: 'like' as '=', value: 1 }), /unknown operator/)
    for (const bad of ['', 'year >', "category = 'open", 'year = 1 AND', '(year = 1', 'year == 1', 'embedding = 1', 'year IN ()', 'note = NULL']) {
      assert.throws(() => fx.search(q).where(bad), assertCode('INVALID_ARGUMENT'), bad)
    }
    assert.throws(() => fx.search(q).select(['ID']), assertCode('INVALID_ARGUMENT'))
    assert.throws(() => fx.search(q).prune({ approximate: 0.5 }), assertCode('INVALID_ARGUMENT'))
    await assert.rejects(fx.search(q).asOf(123n).toArray(), assertCode('NOT_FOUND'))
  } finally {
    await cleanup()
  }
})

test('asOf searches an older snapshot; buffered rows are merged; deferred files are scanned exactly', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const fx = await makeTable(dir, 'euclidean', { perCluster: 100, deferLast: true })
    // The last cluster was written without an index: exact scan, still exact results.
    const qLast = queryNear(fx, CLUSTERS - 1, 77)
    const { rows, plan } = await fx.search(qLast).limit(10).execute()
    assert.ok(plan.filesSearchedByScan >= 1, `scanned ${plan.filesSearchedByScan}`)
    assert.deepEqual(ids(rows), bruteForce(fx, 'euclidean', qLast, 10).map((e) => e.id))

    // asOf the first snapshot sees only the first cluster's rows.
    const s1 = fx.snapshots[0] as bigint
    const old = await fx.search(qLast).asOf(s1).limit(10).ef(200).toArray()
    assert.deepEqual(ids(old), bruteForce(fx, 'euclidean', qLast, 10, undefined, 100).map((e) => e.id))
    assert.ok(old.every((r) => (r.id as number) < 100))
    // A snapshot id may also be given as a numeric string.
    const byIdString = await fx.search(qLast).asOf(String(s1)).limit(10).ef(200).toArray()
    assert.deepEqual(ids(byIdString), ids(old))

    // Buffered rows: an exact copy of the query is the nearest row; filters apply to them too.
    const buffered = [{ schema: fx.table.schema, rows: [{ id: 9001, category: 'buf', year: 1999, score: 0, tagName: 'z', note: null, done: false, big: 0n }, { id: 9002, category: 'buf', year: 1999, score: 0, tagName: 'z', note: null, done: true, big: 0n }], vectors: new Float32Array([...qLast, ...qLast.map((x) => x + 0.01)]), writerId: 'test', seqs: [1], ends: [2], snapshotId: null }]
    const merged = await fx.search(qLast, buffered).limit(5).toArray()
    assert.deepEqual(ids(merged).slice(0, 2), [9001, 9002])
    assert.equal(merged[0]?._distance, 0)
    assert.deepEqual(ids(merged).slice(2), bruteForce(fx, 'euclidean', qLast, 3).map((e) => e.id))
    const filtered = await fx.search(qLast, buffered).where('done = true').limit(1).toArray()
    assert.deepEqual(ids(filtered), [9002])
    const without = await fx.search(qLast, buffered).includeBuffered(false).limit(1).toArray()
    assert.notEqual(without[0]?.id, 9001)
    const past = await fx.search(qLast, buffered).asOf(s1).limit(1).toArray()
    assert.notEqual(past[0]?.id, 9001)
  } finally {
    await cleanup()
  }
})

test('asOf a time: a Date between two commits searches the older snapshot; before the first is NOT_FOUND', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await using lake = await connect(dir)
    const table = await lake.createTable('default.times', { vector: { dim: 2, metric: 'euclidean' } })
    const q = [0, 0]
    const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
    await table.add([{ id: 1, embedding: [1, 0] }])
    await wait(5) // commits in distinct milliseconds, so a time strictly between them exists
    await table.add([{ id: 2, embedding: [0.5, 0] }])
    await wait(5)
    await table.add([{ id: 3, embedding: [0.1, 0] }])
    const [t1, t2, t3] = table.history().map((h) => h.timestamp.getTime()) as [number, number, number]
    assert.ok(t1 < t2 && t2 < t3, `commit times ${t1}, ${t2}, ${t3}`)
    const idsAt = async (asOf: Date | string | number): Promise<number[]> =>
      (await table.search(q).asOf(asOf).limit(10).toArray()).map((r) => r.id as number)
    assert.deepEqual(await idsAt(new Date(t2 - 1)), [1], 'just before the second commit: the first snapshot')
    assert.deepEqual(await idsAt(new Date(t1)), [1], 'at the first commit')
    assert.deepEqual(await idsAt(new Date(t2)), [2, 1], 'at the second commit')
    assert.deepEqual(await idsAt(new Date(t3 - 1).toISOString()), [2, 1], 'an ISO string')
    assert.deepEqual(await idsAt(t3 + 60_000), [3, 2, 1], 'epoch milliseconds after the last commit')
    await assert.rejects(table.search(q).asOf(new Date(t1 - 1)).toArray(), (e: unknown) => {
      assert.ok(isAilakeError(e, 'NOT_FOUND'), String(e))
      assert.match(e.message, new RegExp(`no snapshot at ${new Date(t1 - 1).toISOString()}.*first snapshot is later`))
      return true
    })
    await assert.rejects(table.search(q).asOf('not a date').toArray(), assertCode('INVALID_ARGUMENT'))
  } finally {
    await cleanup()
  }
})

test('the builder is immutable', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const fx = await makeTable(dir, 'cosine', { perCluster: 20, filesPerCluster: 1 })
    const base = fx.search(queryNear(fx, 0, 1))
    const five = base.limit(5)
    const filtered = five.where("category = 'news'")
    assert.equal((await base.toArray()).length, 10)
    assert.equal((await five.toArray()).length, 5)
    assert.ok((await filtered.toArray()).every((r) => r.category === 'news'))
    assert.ok((await five.toArray()).some((r) => r.category !== 'news'))
    const arrow = await five.select(['id', 'category', 'big']).toArrow() as { numRows: number; getChild(n: string): { get(i: number): unknown } | null }
    const plain = await five.select(['id', 'category', 'big']).toArray()
    assert.equal(arrow.numRows, 5)
    assert.equal(arrow.getChild('id')?.get(0), plain[0]?.id)
    assert.equal(arrow.getChild('_distance')?.get(4), plain[4]?._distance)
    // Vectors leave as float32 (FixedSizeList<Float32>), never widened to float64.
    const policy = fx.table.vector
    const withVec = await five.select(['id', policy.column]).toArrow() as { schema: { fields: { name: string; type: { listSize?: number; children?: { type: { precision?: number } }[] } }[] }; getChild(n: string): { get(i: number): { toArray(): unknown } } | null }
    const vf = withVec.schema.fields.find((f) => f.name === policy.column)
    assert.equal(vf?.type.listSize, policy.dim)
    assert.equal(vf?.type.children?.[0]?.type.precision, 1, 'Float32 (precision SINGLE)')
    assert.ok(withVec.getChild(policy.column)?.get(0).toArray() instanceof Float32Array)
  } finally {
    await cleanup()
  }
})

test('explain() lists every file once with its fate, in the order decided, matching the counters; execute() does not', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const fx = await makeTable(dir, 'euclidean')
    const q = queryNear(fx, 2, 42)
    for (const [where, prune] of [[undefined, 'exact'], ['year >= 2004', 'exact'], ["category = 'rare'", 'exact'], [undefined, 'auto']] as const) {
      let b = fx.search(q).limit(5).prune(prune)
      if (where !== undefined) b = b.where(where)
      const plan = await b.explain()
      const files = plan.files ?? []
      const live = (await fx.table.files()).filter((f) => f.rows > 0)
      assert.deepEqual(files.map((f) => f.path).sort(), live.map((f) => f.path).sort(), `${where}: every file once`)
      const count = (o: string): number => files.filter((f) => f.outcome === o).length
      assert.deepEqual([count('pruned-stats'), count('pruned-bound'), count('skipped-routing'), count('index'), count('scan'), count('no-match')],
        [plan.filesPrunedByStats, plan.filesPrunedByBound, plan.filesSkippedByRouting, plan.filesSearchedByIndex, plan.filesSearchedByScan, plan.filesNoMatch], String(where))
      if (where === undefined) assert.ok(count('pruned-bound') > 0 && count('index') > 0, 'clustered files: some searched, some pruned by their bound')
      // Files outside routing are decided in order of their bound.
      const bounds = files.filter((f) => f.outcome !== 'pruned-stats' && f.rank === null).map((f) => f.bound ?? -Infinity)
      assert.deepEqual(bounds, [...bounds].sort((a, b) => a - b), `${where}: bound order`)
      for (const f of files.filter((x) => x.outcome === 'pruned-bound')) assert.ok(f.bound !== null && Number.isFinite(f.bound), 'a file pruned by its bound has one')
    }
    assert.equal((await fx.search(q).limit(5).execute()).plan.files, undefined)
    // What the caches hold after the query: the searched files' state and the fetched columns.
    const held = (await fx.search(q).limit(5).explain()).cacheBytes
    assert.equal(held.index, fx.caches.indexBytes)
    assert.ok(held.index > 0 && held.columns > 0, JSON.stringify(held))
  } finally {
    await cleanup()
  }
})
