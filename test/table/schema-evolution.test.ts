/**
 * Schema evolution: `alterSchema` (add, rename, drop, widen, make optional, reorder) and reads
 * by field id across files written under different schemas. Oracles: icebird (an independent
 * Iceberg reader, which resolves columns by field id) for the current and older snapshots,
 * DuckDB over the data files with their Parquet field ids, and hand-written expected rows.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { DuckDBInstance } from '@duckdb/node-api'
import { icebergRead } from 'icebird'
import { connect, type Table } from '../../src/index.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'

const DIM = 4

/** One comparable form per value: integers as numbers (icebird does not widen), dates and bytes by value. */
export function norm(v: unknown): unknown {
  if (v === undefined || v === null) return null
  if (typeof v === 'bigint') return Number(v)
  if (v instanceof Date) return `d${v.getTime()}`
  if (v instanceof Uint8Array) return `b${Buffer.from(v).toString('hex')}`
  if (v instanceof Float32Array || Array.isArray(v)) return Array.from(v as ArrayLike<number>)
  return v
}

function normRow(r: Record<string, unknown>, columns: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(columns.map((c) => [c, norm(r[c])]))
}

/** Every live row of the table (or a snapshot) through ailake's search: exact, all rows, sorted by id. */
async function ailakeRows(t: Table, asOf?: bigint): Promise<Record<string, unknown>[]> {
  let b = t.search(new Float32Array(DIM)).limit(10_000).prune('exact').ef(2_000)
  if (asOf !== undefined) b = b.asOf(asOf)
  b = b.select(t.core.schemaAt(asOf).fields.map((f) => f.name))
  const rows = await b.toArray()
  return rows.map((r) => { const { _distance: _, ...rest } = r; return rest }).sort((a, b) => Number(a.id) - Number(b.id))
}

/** The metadata file a snapshot's commit wrote: that snapshot current, with the schema it was written with. */
async function metadataFileOf(tableDir: string, snapshotId: bigint): Promise<string> {
  const names = (await readdir(`${tableDir}/metadata`)).filter((n) => /^v\d+\.metadata\.json$/.test(n)).sort((a, b) => Number(a.slice(1, -14)) - Number(b.slice(1, -14)))
  for (const n of names) {
    const text = await readFile(`${tableDir}/metadata/${n}`, 'utf8')
    if (/"current-snapshot-id"\s*:\s*(\d+)/.exec(text)?.[1] === String(snapshotId)) return n
  }
  throw new Error(`no metadata file makes snapshot ${snapshotId} current`)
}

/** icebird's rows of a snapshot (default: the current state), sorted by id. */
async function icebirdRows(tableDir: string, snapshotId?: bigint): Promise<Record<string, unknown>[]> {
  const rows = snapshotId === undefined
    ? await icebergRead({ tableUrl: tableDir })
    : await icebergRead({ tableUrl: tableDir, metadataFileName: await metadataFileOf(tableDir, snapshotId) })
  return rows.sort((a, b) => Number(a.id) - Number(b.id))
}

function assertSameRows(got: Record<string, unknown>[], want: Record<string, unknown>[], columns: readonly string[], what: string): void {
  assert.equal(got.length, want.length, `${what}: row count`)
  for (let i = 0; i < want.length; i++) {
    assert.deepEqual(normRow(got[i] as Record<string, unknown>, columns), normRow(want[i] as Record<string, unknown>, columns), `${what}: row ${i}`)
  }
}

/** Top-k ids and distances for a few fixed queries: what must not change when only the schema does. */
async function searchPrint(t: Table): Promise<string> {
  const out: string[] = []
  for (const q of clusteredVectors(3, DIM, 99)) {
    const rows = await t.search(q).limit(7).prune('exact').select(['id']).toArray()
    out.push(rows.map((r) => `${String(r.id)}:${r._distance}`).join(','))
  }
  return out.join('|')
}

async function makeTable(dir: string, name: string): Promise<{ t: Table; vecs: Float32Array[] }> {
  const lake = await connect(dir)
  const t = await lake.createTable(`default.${name}`, {
    vector: { dim: DIM, metric: 'euclidean' },
    schema: { id: { type: 'long', required: true }, n: 'int', f: 'float', s: 'string', gone: 'string', req: { type: 'int', required: true } },
  })
  return { t, vecs: clusteredVectors(60, DIM, 5) }
}

const v1Row = (vecs: Float32Array[], i: number): Record<string, unknown> => ({ id: BigInt(i), n: i * 3, f: i / 4, s: `s${i}`, gone: `g${i}`, req: i, embedding: vecs[i] })

test('every kind of change: rows read through the new schema by field id, search unchanged, icebird and time travel agree', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const { t, vecs } = await makeTable(dir, 'evo')
    const tableDir = `${dir}/default/evo`
    const snap1 = await t.add(Array.from({ length: 30 }, (_, i) => v1Row(vecs, i)))
    const idsBefore = new Map(t.schema.fields.map((f) => [f.name, f.id]))
    const lastColumnId = t.core.metadata.lastColumnId
    const before = await searchPrint(t)
    const oldRows = await ailakeRows(t)

    const schema = await t.alterSchema({
      add: { extra: 'string' }, rename: { s: 'label' }, drop: ['gone'], widen: { n: 'long', f: 'double' }, makeOptional: ['req'], order: ['label', 'id'],
    })
    assert.deepEqual(schema.fields.map((f) => f.name), ['label', 'id', 'n', 'f', 'req', 'embedding', 'extra'])
    const field = (name: string): { id: number; type: unknown; required: boolean } => schema.fields.find((f) => f.name === name) as never
    assert.equal(field('label').id, idsBefore.get('s'), 'a renamed column keeps its field id')
    assert.equal(field('n').type, 'long')
    assert.equal(field('f').type, 'double')
    assert.equal(field('req').required, false)
    assert.equal(field('extra').id, lastColumnId + 1, 'an added column takes the next id above last-column-id')
    assert.equal(t.core.metadata.snapshots.length, 1, 'a schema change commits no snapshot')
    assert.equal(await searchPrint(t), before, 'search results (ids, distances) are the same after the change')

    // Old rows through the new schema: renamed keep their data, dropped vanish, added read null, widened widen.
    const now = await ailakeRows(t)
    assert.equal(now.length, 30)
    for (const [i, r] of now.entries()) {
      assert.equal(r.label, `s${i}`)
      assert.equal(r.n, BigInt(i * 3), 'int widened to long comes back as bigint')
      assert.equal(r.f, Math.fround(i / 4))
      assert.equal(r.req, i)
      assert.equal(r.extra, null)
      assert.ok(!('gone' in r) && !('s' in r))
    }

    // New rows under the new schema, with values only the new types hold.
    const big = 2n ** 40n
    const snap2 = await t.add(Array.from({ length: 10 }, (_, k) => {
      const i = 30 + k
      return { id: BigInt(i), n: big + BigInt(i), f: 1e300, label: `s${i}`, extra: `x${i}`, embedding: vecs[i] }
    }))
    const all = await ailakeRows(t)
    assert.equal(all.length, 40)
    assert.equal(all[35]?.n, big + 35n)
    assert.equal(all[35]?.req, null)

    // Filters and stats pruning across both files.
    const hits = await t.search(new Float32Array(DIM)).where(`n > ${2n ** 33n}`).limit(100).prune('exact').select(['id']).execute()
    assert.deepEqual(hits.rows.map((r) => Number(r.id)).sort((a, b) => a - b), Array.from({ length: 10 }, (_, k) => 30 + k))
    assert.equal(hits.plan.filesPrunedByStats, 1, 'the old file is pruned by its int bounds, read as long')
    const labelled = await t.search(new Float32Array(DIM)).where("label = 's3' OR extra = 'x31'").limit(100).select(['id', 'label']).execute()
    assert.deepEqual(labelled.rows.map((r) => Number(r.id)).sort((a, b) => a - b), [3, 31])
    const nulls = await t.search(new Float32Array(DIM)).where('extra IS NULL').limit(100).select(['id']).toArray()
    assert.equal(nulls.length, 30)
    const f2 = await t.search(new Float32Array(DIM)).where('f >= 7.0').limit(100).select(['id']).execute()
    assert.deepEqual(f2.rows.map((r) => Number(r.id)).sort((a, b) => a - b), [28, 29, ...Array.from({ length: 10 }, (_, k) => 30 + k)])

    // Time travel: the first snapshot reads with the schema it was written with.
    const then = await ailakeRows(t, snap1)
    assertSameRows(then, oldRows, ['id', 'n', 'f', 's', 'gone', 'req'], 'snapshot before the change')
    assert.ok(!('label' in (then[0] as object)), 'a snapshot before a rename reads with the old name')
    const old = await t.search(new Float32Array(DIM)).asOf(snap1).where("s = 's3'").select(['id', 's', 'gone']).toArray()
    assert.deepEqual(old.map((r) => [Number(r.id), r.s, r.gone]), [[3, 's3', 'g3']])
    assert.throws(() => t.search(new Float32Array(DIM)).asOf(snap1).where("label = 's3'"), /unknown column "label"/)

    // icebird, independently: the current state and both snapshots.
    const cols = ['label', 'id', 'n', 'f', 'req', 'extra', 'embedding']
    assertSameRows(await icebirdRows(tableDir), all, cols, 'icebird current')
    assertSameRows(await icebirdRows(tableDir, snap2), all, cols, 'icebird snapshot 2')
    assertSameRows(await icebirdRows(tableDir, snap1), oldRows, ['id', 'n', 'f', 's', 'gone', 'req', 'embedding'], 'icebird snapshot 1')

    // DuckDB reads each data file by its Parquet field ids; projected through the current schema it gives the same rows.
    const db = await DuckDBInstance.create(':memory:')
    const con = await db.connect()
    const duck: Record<string, unknown>[] = []
    for (const f of await t.files()) {
      const path = f.path.replace('file://', '')
      const ids = new Map((await con.runAndReadAll(`SELECT name, field_id FROM parquet_schema('${path}') WHERE field_id IS NOT NULL`)).getRows().map(([name, id]) => [Number(id), String(name)]))
      const reader = await con.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)
      const names = reader.columnNames()
      for (const row of reader.getRows()) {
        const out: Record<string, unknown> = {}
        for (const fld of schema.fields) {
          if (fld.name === 'embedding') continue
          const source = ids.get(fld.id)
          out[fld.name] = source === undefined ? null : row[names.indexOf(source)]
        }
        duck.push(out)
      }
    }
    con.closeSync()
    duck.sort((a, b) => Number(a.id) - Number(b.id))
    assertSameRows(duck, all, ['label', 'id', 'n', 'f', 'req', 'extra'], 'DuckDB by field id')
  } finally {
    restore()
    await cleanup()
  }
})

test('changes the table refuses, with a clear error; nothing is committed', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const { t, vecs } = await makeTable(dir, 'bad')
    await t.add([v1Row(vecs, 0)])
    const version = t.core.loaded.version
    const cases: Array<[Parameters<Table['alterSchema']>[0], RegExp]> = [
      [{ drop: ['embedding'] }, /cannot drop the vector column "embedding"/],
      [{ rename: { embedding: 'e2' } }, /cannot rename the vector column/],
      [{ makeOptional: ['embedding'] }, /cannot make optional the vector column/],
      [{ widen: { s: 'long' } }, /"s" is string and cannot be widened to long/],
      [{ widen: { n: 'double' } }, /"n" is int and cannot be widened to double/],
      [{ widen: { n: 'decimal' as never } }, /widen "n" to 'long' \(from int\), 'double' \(from float\) or 'decimal/],
      [{ add: { s: 'string' } }, /two columns would be named "s"/],
      [{ rename: { s: 'n' } }, /two columns would be named "n"/],
      [{ drop: ['nope'] }, /column "nope", which the table does not have/],
      [{ drop: ['s'], rename: { s: 't' } }, /"s" is both dropped and renamed/],
      [{ add: { x: 'decimal' as never } }, /add "x" has type "decimal"/],
      [{ order: ['s', 's'] }, /order names a column twice/],
      [{ order: ['gone'], drop: ['gone'] }, /order names column "gone", which the table will not have/],
      [{ renmae: { s: 't' } } as never, /unknown option "renmae".*rename/],
    ]
    for (const [change, message] of cases) {
      await assert.rejects(t.alterSchema(change), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'INVALID_ARGUMENT', `${JSON.stringify(change)}: ${err.message}`)
        assert.match(err.message, message)
        return true
      })
    }
    assert.equal(t.core.loaded.version, version)
    await t.refresh()
    assert.equal(t.core.loaded.version, version, 'no metadata version was written')

    // A no-op change commits nothing; a table without columns yet cannot be altered.
    await t.alterSchema({ widen: { n: 'int' as never } }).catch(() => undefined)
    await t.alterSchema({ order: ['id', 'n', 'f', 's', 'gone', 'req'] })
    assert.equal(t.core.loaded.version, version)
    const lake = await connect(dir)
    const pending = await lake.createTable('default.pending', { vector: { dim: DIM } })
    await assert.rejects(pending.alterSchema({ add: { x: 'string' } }), /has no columns yet/)
  } finally {
    await cleanup()
  }
})

test('field ids are never reused: a column dropped and added again is a new, empty column', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const { t, vecs } = await makeTable(dir, 'reuse')
    await t.add(Array.from({ length: 5 }, (_, i) => v1Row(vecs, i)))
    const oldId = t.schema.fields.find((f) => f.name === 'gone')?.id
    await t.alterSchema({ drop: ['gone'] })
    const s = await t.alterSchema({ add: { gone: 'int' } })
    const fresh = s.fields.find((f) => f.name === 'gone')
    assert.notEqual(fresh?.id, oldId)
    assert.ok((fresh?.id ?? 0) > (oldId ?? 0))
    assert.deepEqual((await ailakeRows(t)).map((r) => r.gone), [null, null, null, null, null])
    // Dropping and adding the same name in one change works the same way.
    const s2 = await t.alterSchema({ drop: ['s'], add: { s: 'long' } })
    assert.equal(s2.fields.find((f) => f.name === 's')?.type, 'long')
    await t.add([{ ...v1Row(vecs, 5), gone: 7, s: 9n }])
    const rows = await ailakeRows(t)
    assert.deepEqual(rows.map((r) => [norm(r.gone), norm(r.s)]), [[null, null], [null, null], [null, null], [null, null], [null, null], [7, 9]])
    assertSameRows(await icebirdRows(`${dir}/default/reuse`), rows, ['id', 'n', 'f', 's', 'gone', 'req'], 'icebird')
    // Renaming back yields a schema the table has: that one is made current again, none is added.
    const id0 = t.schema.schemaId
    const count = t.core.metadata.schemas.length
    await t.alterSchema({ rename: { req: 'r2' } })
    await t.alterSchema({ rename: { r2: 'req' } })
    assert.equal(t.schema.schemaId, id0)
    assert.equal(t.core.metadata.schemas.length, count + 1)
    // A swap of two names in one change: both keep their data.
    await t.alterSchema({ rename: { n: 'f', f: 'n' } })
    const swapped = await ailakeRows(t)
    assert.equal(swapped[2]?.f, 6)
    assert.equal(swapped[2]?.n, 0.5)
  } finally {
    restore()
    await cleanup()
  }
})

test('optimize, update and delete after a change read old files through the new schema', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const { t, vecs } = await makeTable(dir, 'maint')
    await t.add(Array.from({ length: 20 }, (_, i) => v1Row(vecs, i)))
    await t.add(Array.from({ length: 20 }, (_, i) => v1Row(vecs, 20 + i)))
    await t.alterSchema({ rename: { s: 'label' }, widen: { n: 'long' }, add: { extra: 'string' }, drop: ['gone'] })
    const before = await searchPrint(t)
    const rows = await ailakeRows(t)
    await t.update("label = 's3'", { extra: 'updated' })
    await t.delete('id = 4')
    const want = rows.filter((r) => r.id !== 4n).map((r) => (r.id === 3n ? { ...r, extra: 'updated' } : r))
    const cols = ['id', 'label', 'n', 'f', 'req', 'extra']
    assertSameRows(await ailakeRows(t), want, cols, 'after update and delete')
    const report = await t.optimize({ targetRowsPerFile: 15 })
    assert.ok(report.filesAfter > 1 && report.rowsRewritten > 0)
    assertSameRows(await ailakeRows(t), want, cols, 'after optimize')
    assertSameRows(await icebirdRows(`${dir}/default/maint`), want, cols, 'icebird after optimize')
    assert.notEqual(before, '')
  } finally {
    restore()
    await cleanup()
  }
})

test('rows buffered by a streaming writer opened before a change read through the new schema, and flush under it', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const { t, vecs } = await makeTable(dir, 'buffered')
    await t.add([v1Row(vecs, 0)])
    const w = t.memTableWriter({ writerId: 'w1', autoFlushTimer: false })
    // A failed assertion must not leave the writer's lease timer holding the process open.
    const closeWriter = (): Promise<void> => (w.isClosed ? Promise.resolve() : w.close().catch(() => undefined))
    try {
      await w.insert([v1Row(vecs, 1), v1Row(vecs, 2)])
      await t.alterSchema({ rename: { s: 'label' }, widen: { n: 'long' }, drop: ['gone'], add: { extra: 'string' } })
      const cols = ['id', 'label', 'n', 'f', 'req', 'extra']
      const want = [0, 1, 2].map((i) => ({ id: BigInt(i), label: `s${i}`, n: BigInt(i * 3), f: i / 4, req: i, extra: null }))
      const buffered = await t.search(new Float32Array(DIM)).limit(10).prune('exact').select(cols).toArray()
      assertSameRows(buffered.sort((a, b) => Number(a.id) - Number(b.id)), want, cols, 'buffered rows through the new schema')
      assert.equal(typeof buffered.find((r) => r.id === 1n)?.n, 'bigint', 'buffered int values widen too')
      const hit = await t.search(new Float32Array(DIM)).where("label = 's2'").select(['id']).toArray()
      assert.deepEqual(hit.map((r) => Number(r.id)), [2])
      await w.close()
      assertSameRows(await ailakeRows(t), want, cols, 'after the flush')
      assertSameRows(await icebirdRows(`${dir}/default/buffered`), want, cols, 'icebird after the flush')
    } finally {
      await closeWriter()
    }
  } finally {
    restore()
    await cleanup()
  }
})
