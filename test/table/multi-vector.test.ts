// Several vector columns per table (createTable(..., { vectors })): every data file carries a
// section per column (the primary column's version 5, a version 6 column section for each
// other), and `search(v, { column })` searches one column with its own metric, precision, index
// and bounds. The oracle is a hand-written exact scan over the vectors as stored, read back by icebird
// (which applies the delete files itself) and decoded by hand (f16 bits, i8 offset + scale * code); DuckDB
// and icebird read a two-vector table with the same rows and vectors.
//
// AILAKE_SEED=<n> reproduces a run (failures print the seed and case).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DuckDBInstance } from '@duckdb/node-api'
import { icebergRead } from 'icebird'
import { connect, isAilakeError, type Metric, type Table } from '../../src/index.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { rng, tempDir } from '../helpers/tmpdir.js'
import { decodeStored } from '../helpers/stored-vectors.js'

const SEED = Number(process.env.AILAKE_SEED ?? 1919)

interface Col { name: string; dim: number; metric: Metric; precision: 'f32' | 'f16' | 'i8' }

/** Exact distance in f64: cosine 1 - cos (0-norm vectors: 1), squared L2, negated dot product. */
function distance(metric: Metric, q: readonly number[], v: readonly number[]): number {
  let dot = 0, qq = 0, vv = 0, l2 = 0
  for (let i = 0; i < q.length; i++) {
    const a = q[i] as number
    const b = v[i] as number
    dot += a * b; qq += a * a; vv += b * b; l2 += (a - b) * (a - b)
  }
  if (metric === 'euclidean') return l2
  if (metric === 'dot') return -dot
  return qq === 0 || vv === 0 ? 1 : 1 - dot / Math.sqrt(qq * vv)
}

/** A vector rounded to its column's stored precision by hand (f32 and f16; this test has no i8 buffered column). */
function storedCopy(v: Float32Array, c: Col): number[] {
  if (c.precision === 'f32') return Array.from(v)
  assert.equal(c.precision, 'f16')
  // Round to the nearest binary16 (ties to even) through its bits: 10 mantissa bits below 2^-14 scale.
  return Array.from(v, (x) => {
    if (x === 0) return 0
    const e = Math.max(-14, Math.floor(Math.log2(Math.abs(x))))
    const ulp = 2 ** (e - 10)
    const q = x / ulp
    const r = Math.round(q)
    return (Math.abs(q - Math.trunc(q)) === 0.5 ? 2 * Math.round(q / 2) : r) * ulp
  })
}

function randomVector(r: () => number, dim: number): Float32Array {
  return Float32Array.from({ length: dim }, () => (r() - 0.5) * 4)
}

/**
 * Every live row's id, tag and stored vectors of `cols`, read by icebird (which applies the
 * table's delete files itself) and decoded by hand.
 */
async function storedRows(t: Table, cols: readonly Col[]): Promise<{ id: number; tag: string; vectors: Map<string, number[]> }[]> {
  const restore = installIcebirdFetch()
  try {
    const rows = await icebergRead({ tableUrl: t.core.location })
    return rows.map((row) => ({ id: Number(row.id), tag: String(row.tag), vectors: new Map(cols.map((c) => [c.name, decodeStored(row[c.name], c)])) }))
  } finally {
    restore()
  }
}

function makeRows(r: () => number, cols: readonly Col[], from: number, n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const row: Record<string, unknown> = { id: BigInt(from + i), tag: ['red', 'green', 'blue'][(from + i) % 3] as string }
    for (const c of cols) row[c.name] = randomVector(r, c.dim)
    return row
  })
}

async function createMulti(dir: string, name: string, cols: readonly Col[], extra: Record<string, unknown> = {}): Promise<Table> {
  const lake = await connect(dir)
  const [primary, ...rest] = cols as [Col, ...Col[]]
  return lake.createTable(`default.${name}`, {
    vector: { column: primary.name, dim: primary.dim, metric: primary.metric, precision: primary.precision, M: 8, efConstruction: 64 },
    vectors: Object.fromEntries(rest.map((c) => [c.name, { dim: c.dim, metric: c.metric, precision: c.precision, M: 8, efConstruction: 64 }])),
    schema: { id: { type: 'long', required: true }, tag: 'string' },
    ...extra,
  })
}

/** Large-ef, exact-prune search of every column, with a filter, against the hand-written scan. */
async function checkAgainstScan(t: Table, cols: readonly Col[], r: () => number, what: string): Promise<void> {
  const live = await storedRows(t, cols)
  for (const c of cols) {
    for (let q = 0; q < 4; q++) {
      const query = randomVector(r, c.dim)
      const qa = Array.from(query)
      const filter = q % 2 === 0 ? undefined : "tag != 'green'"
      const k = 7
      let b = t.search(query, { column: c.name }).limit(k).ef(2000).prune('exact').select(['id', c.name])
      if (filter !== undefined) b = b.where(filter)
      const got = await b.toArray()
      const want = live.filter((x) => filter === undefined || x.tag !== 'green')
        .map((x) => ({ id: x.id, d: distance(c.metric, qa, x.vectors.get(c.name) as number[]), v: x.vectors.get(c.name) as number[] }))
        .sort((a, b2) => a.d - b2.d).slice(0, k)
      const at = `${what}, column ${c.name} (${c.metric}, ${c.precision}), query ${q}${filter === undefined ? '' : ' filtered'} (AILAKE_SEED=${SEED})`
      assert.deepEqual(got.map((x) => Number(x.id)), want.map((x) => x.id), at)
      got.forEach((row, i) => {
        const w = want[i] as { d: number; v: number[] }
        assert.ok(Math.abs(row._distance - w.d) <= 1e-4 * Math.max(1, Math.abs(w.d)), `${at}: distance ${row._distance} vs ${w.d}`)
        const v = row[c.name]
        assert.ok(v instanceof Float32Array, `${at}: the ${c.name} column comes back as a Float32Array`)
        assert.deepEqual(Array.from(v), w.v.map(Math.fround), `${at}: stored vector of row ${String(row.id)}`)
      })
    }
  }
}

const CONFIGS: Col[][] = [
  [
    { name: 'embedding', dim: 6, metric: 'cosine', precision: 'f32' },
    { name: 'image', dim: 9, metric: 'euclidean', precision: 'f16' },
    { name: 'audio', dim: 4, metric: 'dot', precision: 'i8' },
  ],
  [
    { name: 'a', dim: 5, metric: 'euclidean', precision: 'i8' },
    { name: 'b', dim: 7, metric: 'dot', precision: 'f32' },
    { name: 'c', dim: 3, metric: 'cosine', precision: 'f16' },
  ],
  [
    { name: 'x', dim: 8, metric: 'dot', precision: 'f16' },
    { name: 'y', dim: 4, metric: 'cosine', precision: 'i8' },
    { name: 'z', dim: 6, metric: 'euclidean', precision: 'f32' },
  ],
]

test('search on each vector column equals an exact scan of the stored vectors: every metric and precision, several files, a filter, deletes', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    for (const [ci, cols] of CONFIGS.entries()) {
      const r = rng(SEED + ci)
      const t = await createMulti(dir, `multi${ci}`, cols)
      await t.add(makeRows(r, cols, 0, 300), { maxRowsPerFile: 120 })
      await t.add(makeRows(r, cols, 300, 150))
      assert.ok((await t.files()).length >= 4, 'several files')
      const deleted = new Set(Array.from({ length: 40 }, (_, i) => i * 11))
      await t.delete({ column: 'id', op: 'in', values: [...deleted].map(BigInt) })
      await checkAgainstScan(t, cols, r, `config ${ci}`)
      const plan = await t.search(randomVector(r, (cols[1] as Col).dim), { column: (cols[1] as Col).name }).limit(3).explain()
      assert.equal(plan.column, (cols[1] as Col).name, 'explain() names the column searched')
      assert.ok(plan.filesSearchedByIndex > 0, 'the column is searched through its own index')
      await t.close()
    }
  } finally {
    await cleanup()
  }
})

test('optimize, upsert and deferred index builds keep every vector column searchable and exact', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const cols = CONFIGS[0] as Col[]
    const r = rng(SEED + 10)
    const lake = await connect(dir, { indexBuilder: { workers: 0 } })
    const [primary, ...rest] = cols as [Col, ...Col[]]
    const t = await lake.createTable('default.opt', {
      vector: { column: primary.name, dim: primary.dim, metric: primary.metric, precision: primary.precision, M: 8, efConstruction: 64 },
      vectors: Object.fromEntries(rest.map((c) => [c.name, { dim: c.dim, metric: c.metric, precision: c.precision, M: 8, efConstruction: 64 }])),
      schema: { id: { type: 'long', required: true }, tag: 'string' },
    })
    await t.add(makeRows(r, cols, 0, 200))
    await t.add(makeRows(r, cols, 200, 200), { buildIndex: false })
    await t.waitForIndexes()
    assert.ok((await t.files()).every((f) => f.indexStatus === 'ready'), 'deferred builds index every file')
    for (const c of rest) {
      const plan = await t.search(randomVector(r, c.dim), { column: c.name }).prune('exact').explain()
      assert.equal(plan.filesSearchedByScan, 0, `deferred builds index column ${c.name} of every file too`)
      assert.equal(plan.filesSearchedByIndex, (await t.files()).length, `column ${c.name}`)
    }
    await checkAgainstScan(t, cols, r, 'after deferred builds')
    await t.upsert(makeRows(r, cols, 390, 20), { on: 'id' })
    await checkAgainstScan(t, cols, r, 'after upsert')
    await t.optimize({ targetRowsPerFile: 100 })
    await checkAgainstScan(t, cols, r, 'after optimize')
    await t.close()
  } finally {
    await cleanup()
  }
})

test('DuckDB and icebird read a table with two vector columns: the same rows and vector values', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const cols: Col[] = [
      { name: 'embedding', dim: 4, metric: 'cosine', precision: 'f32' },
      { name: 'image', dim: 3, metric: 'euclidean', precision: 'f32' },
    ]
    const r = rng(SEED + 20)
    const t = await createMulti(dir, 'engines', cols)
    const rows = makeRows(r, cols, 0, 50)
    await t.add(rows.slice(0, 30))
    await t.add(rows.slice(30))
    const want = new Map(rows.map((x) => [Number(x.id), x]))
    const ice = await icebergRead({ tableUrl: `${dir}/default/engines` })
    assert.equal(ice.length, rows.length)
    for (const row of ice) {
      const w = want.get(Number(row.id)) as Record<string, unknown>
      for (const c of cols) assert.deepEqual(Array.from(row[c.name] as ArrayLike<number>), Array.from(w[c.name] as Float32Array), `icebird row ${String(row.id)} ${c.name}`)
    }
    const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' })
    const conn = await inst.connect()
    const paths = (await t.files()).map((f) => `'${f.path.replace(/^file:\/\//, '')}'`).join(', ')
    const dk = (await conn.runAndReadAll(`select id, tag, embedding, image from read_parquet([${paths}]) order by id`)).getRowObjectsJS()
    assert.equal(dk.length, rows.length)
    for (const row of dk) {
      const w = want.get(Number(row.id)) as Record<string, unknown>
      assert.equal(row.tag, w.tag)
      for (const c of cols) assert.deepEqual(row[c.name], Array.from(w[c.name] as Float32Array), `DuckDB row ${String(row.id)} ${c.name}`)
    }
    await t.close()
  } finally {
    restore()
    await cleanup()
  }
})

test('WAL replay after a crash keeps every vector column', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const cols: Col[] = [
      { name: 'embedding', dim: 4, metric: 'euclidean', precision: 'f32' },
      { name: 'image', dim: 5, metric: 'dot', precision: 'f16' },
    ]
    const r = rng(SEED + 30)
    const t = await createMulti(dir, 'wal', cols)
    const rows = makeRows(r, cols, 0, 12)
    const crashed = { now: () => 0, owner: { host: 'a-host-that-crashed', pid: 1 } }
    const w = t.memTableWriter({ writerId: 'w', flushMaxRows: 1000, lease: crashed })
    await w.insert(rows.slice(0, 5))
    await w.insert(rows.slice(5))
    // Buffered rows are searchable on either column before the crash: each row's own vector finds it.
    for (const i of [3, 9]) {
      for (const c of cols) {
        const q = rows[i]?.[c.name] as Float32Array
        const hits = await t.search(q, { column: c.name }).limit(20).prune('exact').toArray()
        assert.deepEqual(hits.map((h) => Number(h.id)).sort((a, b) => a - b), rows.map((_, j) => j), `every buffered row is found on column ${c.name}`)
        const hit = hits.find((h) => Number(h.id) === i)
        const want = distance(c.metric, Array.from(q), storedCopy(q, c))
        assert.ok(hit !== undefined && Math.abs(hit._distance - want) <= 1e-4 * Math.max(1, Math.abs(want)), `buffered row ${i}, column ${c.name}: distance ${hit?._distance} vs ${want} at the stored precision`)
      }
    }
    w.abandon()
    await t.close()
    const t2 = await (await connect(dir)).openTable('default.wal')
    const w2 = t2.memTableWriter({ writerId: 'w' })
    await w2.flush()
    await w2.close()
    await checkAgainstScan(t2, cols, r, 'after WAL replay')
    assert.equal((await storedRows(t2, cols)).length, 12, 'every logged row is committed once')
    await t2.close()
  } finally {
    await cleanup()
  }
})

test('options and rows are checked: unknown keys, clashing names, missing or wrong-sized vectors, filters on vector columns', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const base = { vector: { dim: 3 }, schema: { id: 'long' as const, title: 'string' as const } }
    const bad = async (options: Record<string, unknown>, code: string, match: RegExp): Promise<void> => {
      await assert.rejects(lake.createTable('default.bad', { ...base, ...options } as never), (err: unknown) => isAilakeError(err, code as never) && match.test((err as Error).message), JSON.stringify(options))
    }
    await bad({ vectors: { image: { dim: 4, metrc: 'dot' } } }, 'INVALID_ARGUMENT', /metrc/)
    await bad({ vectors: { embedding: { dim: 4 } } }, 'INVALID_ARGUMENT', /primary vector column/)
    await bad({ vectors: { title: { dim: 4 } } }, 'INVALID_ARGUMENT', /title/)
    await bad({ vectors: { image: { dim: 0 } } }, 'INVALID_ARGUMENT', /vectors\.image\.dim/)
    await bad({ vectors: { image: { dim: 4, metric: 'l1' } } }, 'INVALID_ARGUMENT', /vectors\.image\.metric/)
    await bad({ vectors: [{ dim: 4 }] }, 'INVALID_ARGUMENT', /vectors must be an object/)
    await bad({ vectors: { image: { dim: 4 } }, fullText: ['image'] }, 'INVALID_ARGUMENT', /vector column "image"/)
    await bad({ vectors: { image: { dim: 4, precision: 'f16' } }, partitionBy: ['image'] }, 'INVALID_ARGUMENT', /image/)

    const t = await lake.createTable('default.good', { ...base, vectors: { image: { dim: 4, metric: 'euclidean' } } })
    const cols = t.columns().map((c) => c.name)
    assert.deepEqual(cols, ['id', 'title', 'embedding', 'image'])
    await assert.rejects(t.add([{ id: 1n, embedding: [1, 2, 3] }]), (err: unknown) => isAilakeError(err) && /row 0/.test((err as Error).message) && /"image"/.test((err as Error).message))
    await assert.rejects(t.add([{ id: 1n, embedding: [1, 2, 3], image: [1, 2, 3, 4] }, { id: 2n, embedding: [1, 2, 3], image: [1, 2] }]),
      (err: unknown) => isAilakeError(err, 'DIMENSION_MISMATCH') && /row 1/.test((err as Error).message) && /"image"/.test((err as Error).message))
    await t.add([{ id: 1n, title: 'a', embedding: [1, 2, 3], image: [1, 2, 3, 4] }])
    assert.throws(() => t.search([1, 2, 3, 4], { column: 'image' }).where('image IS NULL'), (err: unknown) => isAilakeError(err, 'INVALID_ARGUMENT') && /vector column image/.test((err as Error).message))
    assert.throws(() => t.search([1, 2, 3], { column: 'image' }), (err: unknown) => isAilakeError(err, 'DIMENSION_MISMATCH') && /image/.test((err as Error).message))
    assert.throws(() => t.search([1, 2, 3], { column: 'nope' }), (err: unknown) => isAilakeError(err, 'INVALID_ARGUMENT') && /embedding, image/.test((err as Error).message))
    for (const change of [{ drop: ['image'] }, { rename: { image: 'picture' } }]) {
      await assert.rejects(t.alterSchema(change), (err: unknown) => isAilakeError(err, 'INVALID_ARGUMENT') && /vector column "image"/.test((err as Error).message), JSON.stringify(change))
    }
    const [hit] = await t.search([1, 2, 3, 4], { column: 'image' }).limit(1).toArray()
    assert.equal(hit?._distance, 0)
    assert.equal(hit?.image, undefined, 'vector columns are not selected by default')
    // The table reopens with its columns from the properties; an older reader sees only ailake.vector.*.
    const again = await (await connect(dir)).openTable('default.good')
    assert.deepEqual(again.core.policy?.extra, [{ column: 'image', dim: 4, metric: 'euclidean', precision: 'f32', M: 16, efConstruction: 200 }])
    assert.equal(again.core.metadata.properties['ailake.vector.column'], 'embedding')
    await again.close()
    await t.close()
  } finally {
    await cleanup()
  }
})
