/**
 * decimal(P, S) columns end to end: rows come back as exact decimal strings at every precision
 * up to 38, filters and statistics pruning compare exactly, and other engines read what ailake
 * wrote. Oracles: DuckDB over the data files (values as its own VARCHAR casts, filters as its own
 * DECIMAL comparisons), icebird over the table, and expected strings built from random digits.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DuckDBInstance } from '@duckdb/node-api'
import { icebergRead } from 'icebird'
import { connect } from '../../src/index.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { rng, tempDir } from '../helpers/tmpdir.js'

const DIM = 2
const local = (p: string): string => p.replace(/^file:\/\//, '')

/** A random decimal(P, S) value as its canonical text, built digit by digit (independent of ailake's formatter). */
function randomDecimal(r: () => number, p: number, s: number): string {
  // Mostly short values, sometimes all P digits, so both small and extreme magnitudes occur.
  const n = r() < 0.3 ? p : 1 + Math.floor(r() * p)
  let digits = ''
  for (let i = 0; i < n; i++) digits += String(Math.floor(r() * 10))
  digits = digits.padStart(p, '0')
  const intPart = digits.slice(0, p - s).replace(/^0+/, '') || '0'
  const frac = digits.slice(p - s)
  const neg = r() < 0.4 && /[1-9]/.test(digits)
  return `${neg ? '-' : ''}${intPart}${s > 0 ? `.${frac}` : ''}`
}

interface Case { seed: number; types: Array<{ p: number; s: number }> }

function cases(): Case[] {
  const out: Case[] = []
  const fixed = [{ p: 38, s: 10 }, { p: 9, s: 2 }, { p: 18, s: 0 }, { p: 38, s: 38 }, { p: 1, s: 0 }, { p: 19, s: 4 }]
  out.push({ seed: 1, types: fixed })
  const r = rng(4242)
  for (let seed = 2; seed <= 8; seed++) {
    out.push({
      seed, types: Array.from({ length: 4 }, () => {
        const p = 1 + Math.floor(r() * 38)
        return { p, s: Math.floor(r() * (p + 1)) }
      }),
    })
  }
  return out
}

test('decimal property: random decimals (P up to 38, scale 0..P, negative) round-trip exactly and filter like DuckDB', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  const db = await DuckDBInstance.create(':memory:')
  const con = await db.connect()
  let filters = 0
  let values = 0
  try {
    const lake = await connect(dir)
    for (const c of cases()) {
      const what = `seed ${c.seed} types ${c.types.map((t) => `decimal(${t.p},${t.s})`).join(' ')}`
      const r = rng(c.seed)
      const names = c.types.map((_, i) => `d${i}`)
      const schema: Record<string, string> = { id: 'long' }
      c.types.forEach((t, i) => { schema[names[i] as string] = i % 2 === 0 ? `decimal(${t.p},${t.s})` : `decimal(${t.p}, ${t.s})` })
      const t = await lake.createTable(`default.dec${c.seed}`, { vector: { dim: DIM, metric: 'euclidean' }, schema: schema as never })
      const expected: Array<Record<string, unknown>> = []
      // Three files, so statistics pruning has something to skip.
      for (let batch = 0; batch < 3; batch++) {
        const rows = Array.from({ length: 25 }, (_, k) => {
          const row: Record<string, unknown> = { id: BigInt(batch * 25 + k), embedding: Float32Array.from([r(), r()]) }
          c.types.forEach((ty, i) => { row[names[i] as string] = r() < 0.1 ? null : randomDecimal(r, ty.p, ty.s) })
          return row
        })
        expected.push(...rows)
        await t.add(rows)
      }
      values += expected.length * names.length

      // ailake reads every value back as the exact text.
      const got = new Map<string, Record<string, unknown>>()
      for await (const row of t.scan()) got.set(String(row.id), row)
      for (const e of expected) {
        const g = got.get(String(e.id))
        assert.ok(g !== undefined, `${what}: row ${e.id}`)
        for (const n of names) assert.equal(g[n], e[n], `${what}: row ${e.id} column ${n}`)
      }

      // DuckDB reads ailake's files with the same values.
      const files = (await t.files()).map((f) => `'${local(f.path)}'`).join(', ')
      const duck = await con.runAndReadAll(`SELECT id, ${names.map((n) => `CAST(${n} AS VARCHAR)`).join(', ')} FROM read_parquet([${files}])`)
      // DuckDB prints decimal(P, P) without the integer zero (`-.5`).
      const duckText = (v: unknown): unknown => (typeof v === 'string' ? v.replace(/^(-?)\./, '$10.') : v)
      const duckRows = new Map(duck.getRows().map((row) => [String(row[0]), row.slice(1).map(duckText)]))
      for (const e of expected) {
        assert.deepEqual(duckRows.get(String(e.id)), names.map((n) => e[n] ?? null), `${what}: DuckDB reads row ${e.id}`)
      }

      // icebird reads the table (as floats: compare where a double is exact).
      const bird = await icebergRead({ tableUrl: `${dir}/default/dec${c.seed}` })
      assert.equal(bird.length, expected.length, `${what}: icebird row count`)

      // Filters: ailake (with statistics pruning) against DuckDB's DECIMAL comparisons.
      const ops = ['=', '!=', '<', '<=', '>', '>=']
      for (let q = 0; q < 12; q++) {
        const i = Math.floor(r() * names.length)
        const ty = c.types[i] as { p: number; s: number }
        const col = names[i] as string
        const pick = expected[Math.floor(r() * expected.length)]?.[col]
        const lit = r() < 0.6 && typeof pick === 'string' ? pick : randomDecimal(r, ty.p, ty.s)
        const op = ops[Math.floor(r() * ops.length)] as string
        const quoted = r() < 0.5
        const where = `${col} ${op} ${quoted ? `'${lit}'` : lit}`
        let mine: string[]
        try {
          mine = []
          for await (const row of t.scan({ where, select: ['id'] })) mine.push(String(row.id))
        } catch (err) {
          // An unquoted literal a double cannot hold exactly is refused, never rounded.
          if (!quoted && /not exactly a double/.test(String(err))) continue
          throw err
        }
        const duckIds = await con.runAndReadAll(`SELECT id FROM read_parquet([${files}]) WHERE ${col} ${op} CAST('${lit}' AS DECIMAL(${Math.max(ty.p, 38)}, ${ty.s}))`)
        const want = duckIds.getRows().map((row) => String(row[0])).sort()
        assert.deepEqual(mine.sort(), want, `${what}: where ${where}`)
        filters++
      }
      const exp = await t.search(new Float32Array(DIM)).where(`${names[0]} = '${String(expected.find((e) => e[names[0] as string] !== null)?.[names[0] as string])}'`).limit(100).prune('exact').select(['id']).execute()
      assert.ok(exp.rows.length >= 1, `${what}: search with a decimal filter finds the row`)
      assert.ok(exp.plan.filesPrunedByStats !== undefined)
    }
    assert.ok(filters >= 60, `${filters} filters checked`)
    assert.ok(values >= 1000, `${values} values checked`)
  } finally {
    con.closeSync()
    restore()
    await cleanup()
  }
})

test('decimal precision widens (same scale): old files read through the new type, bounds still prune, icebird agrees', async () => {
  const { dir, cleanup } = await tempDir()
  const restore = installIcebirdFetch()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.w', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long', price: 'decimal(9,2)' } })
    await t.add([{ id: 1n, price: '1234567.89', embedding: [0, 0] }, { id: 2n, price: '-0.05', embedding: [1, 0] }])
    await assert.rejects(t.alterSchema({ widen: { price: 'decimal(12, 3)' } }), /cannot be widened/, 'a scale change is not a promotion')
    await assert.rejects(t.alterSchema({ widen: { price: 'decimal(8, 2)' } }), /cannot be widened/, 'narrowing is not a promotion')
    const schema = await t.alterSchema({ widen: { price: 'decimal(30,2)' } })
    assert.equal(schema.fields.find((f) => f.name === 'price')?.type, 'decimal(30, 2)')
    await t.add([{ id: 3n, price: '1234567890123456789012345678.90', embedding: [0, 1] }])
    const all: Record<string, unknown>[] = []
    for await (const r of t.scan()) all.push(r)
    assert.deepEqual(all.map((r) => [String(r.id), r.price]).sort(), [['1', '1234567.89'], ['2', '-0.05'], ['3', '1234567890123456789012345678.90']])
    const big = await t.search(new Float32Array(DIM)).where("price > '1234567890123456789012345678.89'").limit(10).prune('exact').select(['id']).execute()
    assert.deepEqual(big.rows.map((r) => String(r.id)), ['3'])
    assert.equal(big.plan.filesPrunedByStats, 1, 'the old file is pruned by its decimal(9,2) bounds read as decimal(30,2)')
    const bird = await icebergRead({ tableUrl: `${dir}/default/w` })
    assert.equal(bird.length, 3)
    // icebird (hyparquet) turns decimals into doubles, scaling by a float: equal to ~1e-9.
    const birdPrice = new Map(bird.map((r) => [String(r.id), Number(r.price)]))
    for (const [id, want] of [['1', 1234567.89], ['2', -0.05], ['3', 1.234567890123457e27]] as const) {
      assert.ok(Math.abs((birdPrice.get(id) ?? NaN) - want) <= Math.abs(want) * 1e-12, `icebird reads id ${id} as ${birdPrice.get(id)}`)
    }
  } finally {
    restore()
    await cleanup()
  }
})

test('tables partitioned on a decimal (identity, bucket, truncate) route rows by the spec and prune exactly', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.p', {
      vector: { dim: DIM, metric: 'euclidean' },
      schema: { id: 'long', amount: 'decimal(20, 2)', rate: 'decimal(38, 30)' },
      partitionBy: ['amount', 'bucket(4, rate)', 'truncate(50, amount)'],
    })
    const rows = [
      { id: 1n, amount: '10.65', rate: '0.000000000000000000000000000001' },
      { id: 2n, amount: '10.65', rate: '0.000000000000000000000000000002' },
      { id: 3n, amount: '-10.65', rate: '1.5' },
      { id: 4n, amount: '99999999999999999.99', rate: '-7' },
    ].map((r, i) => ({ ...r, embedding: [i, 0] }))
    await t.add(rows)
    const files = t.core.metadata.snapshots.length
    assert.equal(files, 1)
    const got: Record<string, unknown>[] = []
    for await (const r of t.scan()) got.push(r)
    assert.deepEqual(got.map((r) => [String(r.id), r.amount, r.rate]).sort(), rows.map((r) => [String(r.id), r.amount, decimalRate(r.rate)]).sort())
    const live = await t.core.planFiles(t.core.resolveSnapshot(undefined))
    const tuples = live.map((f) => f.dataFile.partition).map((p) => `${String(p.amount)}|${String(p.amount_trunc)}`).sort()
    // truncate[50] of the unscaled value: 10.65 -> 10.50, -10.65 -> -11.00 (the spec's floor).
    assert.ok(tuples.includes('10.65|10.50') && tuples.includes('-10.65|-11.00') && tuples.includes('99999999999999999.99|99999999999999999.50'), tuples.join(', '))
    const q = await t.search(new Float32Array(DIM)).where("amount = '99999999999999999.99'").limit(10).prune('exact').select(['id']).execute()
    assert.deepEqual(q.rows.map((r) => String(r.id)), ['4'])
    assert.ok(q.plan.filesPrunedByPartition + q.plan.filesPrunedByStats >= 2, 'other partitions are not read')
    // (icebird cannot read these manifests: the spec stores decimal tuples as Avro fixed, which it does not implement.)
  } finally {
    await cleanup()
  }
})

/** decimal(38, 30) text of a short literal. */
function decimalRate(v: string): string {
  const [i, f = ''] = v.split('.')
  return `${i}.${f.padEnd(30, '0')}`
}
