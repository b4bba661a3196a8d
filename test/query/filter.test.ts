import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseFilter, bindFilter } from '../../src/query/index.js'
import { fileMayMatch, matchesRow, matchingRows } from '../../src/query/filter-bind.js'
import { encodeBound } from '../../src/format/iceberg/bounds.js'
import type { DataFile } from '../../src/format/iceberg/types.js'
import type { Schema } from '../../src/format/schema.js'
import { connect } from '../../src/index.js'
import { tempDir } from '../helpers/tmpdir.js'
import { DuckDBInstance } from '@duckdb/node-api'
import { seededRandom } from '../../src/util/rng.js'
import type { Filter } from '../../src/query/filter-types.js'

const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'category', type: 'string', required: false },
    { id: 2, name: 'year', type: 'int', required: false },
    { id: 3, name: 'score', type: 'float', required: false },
    { id: 4, name: 'docId', type: 'long', required: false },
    { id: 5, name: 'odd name', type: 'string', required: false },
    { id: 6, name: 'done', type: 'boolean', required: false },
    { id: 7, name: 'at', type: 'timestamp', required: false },
    { id: 8, name: 'embedding', type: { type: 'fixed', length: 8 }, required: true },
  ],
}

test('parses the documented SQL-like form into the typed form', () => {
  assert.deepEqual(parseFilter("category = 'news' AND (year >= 2020 OR score < 0.5) AND tag IN ('a','b') AND note IS NULL AND NOT done = true"), {
    and: [
      { column: 'category', op: '=', value: 'news' },
      { or: [{ column: 'year', op: '>=', value: 2020 }, { column: 'score', op: '<', value: 0.5 }] },
      { column: 'tag', op: 'in', values: ['a', 'b'] },
      { column: 'note', op: 'is null' },
      { not: { column: 'done', op: '=', value: true } },
    ],
  })
  assert.deepEqual(parseFilter(`"odd name" <> 'it''s' or x not in (1, -2.5e1) and y is not null`), {
    or: [{ column: 'odd name', op: '!=', value: "it's" }, { and: [{ column: 'x', op: 'not in', values: [1, -25] }, { column: 'y', op: 'is not null' }] }],
  })
  assert.deepEqual(parseFilter('docId = 9007199254740993'), { column: 'docId', op: '=', value: 9007199254740993n })
  assert.deepEqual(parseFilter('docId >= 12n'), { column: 'docId', op: '>=', value: 12n })
  assert.throws(() => parseFilter("a = 'x' b"), /unexpected text after the filter at position 8/)
})

test('rows: SQL three-valued logic, NOT pushed down, bigint, float, timestamps', () => {
  const f = (s: string) => bindFilter(s, schema, 'embedding')
  const row = { category: 'news', year: 2021, score: Math.fround(0.1), docId: 5n, 'odd name': null, done: false, at: new Date('2024-01-02T00:00:00Z') }
  assert.equal(matchesRow(f("category = 'news' AND year > 2020"), row), true)
  assert.equal(matchesRow(f('"odd name" != \'x\''), row), false) // null compares unknown
  assert.equal(matchesRow(f('NOT "odd name" = \'x\''), row), false) // NOT unknown is unknown
  assert.equal(matchesRow(f('"odd name" IS NULL AND NOT done = true'), row), true)
  assert.equal(matchesRow(f('NOT (year < 2000 OR category IN (\'blog\'))'), row), true)
  assert.equal(matchesRow(f('score <= 0.1 AND score = 0.1'), row), true)
  assert.equal(matchesRow(f('docId = 5 AND docId < 6n'), row), true)
  assert.equal(matchesRow(f("at > '2024-01-01'"), row), true)
  assert.throws(() => f('docId = 1.5'), /long column compares with integers only/)
  assert.throws(() => f("at > 'yesterday'"), /ISO date/)
  assert.throws(() => f('done = 1'), /done is boolean/)
})

test('column statistics prune only files that cannot match', () => {
  const file = (lo: number, hi: number, nulls = 0, s?: [string, string]): DataFile => ({
    content: 'data', filePath: 'x', fileFormat: 'PARQUET', partition: {}, recordCount: 10, fileSizeInBytes: 1,
    nullValueCounts: new Map([[2, nulls], [1, 0]]),
    lowerBounds: new Map([[2, encodeBound('int', lo) as Uint8Array], ...(s ? [[1, encodeBound('string', s[0]) as Uint8Array] as const] : [])]),
    upperBounds: new Map([[2, encodeBound('int', hi) as Uint8Array], ...(s ? [[1, encodeBound('string', s[1]) as Uint8Array] as const] : [])]),
  })
  const may = (s: string, d: DataFile) => fileMayMatch(bindFilter(s, schema, 'embedding'), d)
  assert.equal(may('year = 2005', file(2000, 2010)), true)
  assert.equal(may('year = 2011', file(2000, 2010)), false)
  assert.equal(may('year > 2010', file(2000, 2010)), false)
  assert.equal(may('year >= 2010', file(2000, 2010)), true)
  assert.equal(may('year != 2000', file(2000, 2000)), false)
  assert.equal(may('NOT year = 2000', file(2000, 2000)), false)
  assert.equal(may('year IN (1, 2011) OR year < 2000', file(2000, 2010)), false)
  assert.equal(may('year IS NULL', file(2000, 2010)), false)
  assert.equal(may('year IS NULL', file(2000, 2010, 3)), true)
  assert.equal(may('year = 2005', file(2000, 2010, 10)), false) // all null
  assert.equal(may("category = 'm'", file(0, 1, 0, ['a', 'l'])), false)
  assert.equal(may("category < 'b'", file(0, 1, 0, ['a', 'l'])), true)
  assert.equal(may("category = 'zz'", file(0, 1)), true) // no bounds: never pruned
})

test('NaN: IEEE semantics on rows, IS [NOT] NAN, BETWEEN, and the errors', () => {
  const f = (s: string) => bindFilter(s, schema, 'embedding')
  const nan = { score: Number.NaN, year: 1 }
  const half = { score: 0.5, year: 1 }
  const none = { score: null, year: 1 }
  const expect: Array<[string, boolean, boolean, boolean]> = [ // filter, NaN row, 0.5 row, null row
    ['score = 0.5', false, true, false],
    ['score != 0.5', true, false, false],
    ['score < 1', false, true, false],
    ['score >= 0', false, true, false],
    ['score IN (0.5, 1)', false, true, false],
    ['score NOT IN (0.5, 1)', true, false, false],
    ['score BETWEEN 0 AND 1', false, true, false],
    ['score NOT BETWEEN 0 AND 1', true, false, false],
    ['NOT score < 0.25', true, true, false],
    ['NOT score = 0.5', true, false, false],
    ['NOT score != 0.5', false, true, false],
    ['score IS NAN', true, false, false],
    ['score IS NOT NAN', false, true, false],
    ['NOT score IS NAN', false, true, false],
    ['score IS NOT NULL', true, true, false],
    ['score IS NAN OR score > 0.25', true, true, false],
  ]
  for (const [text, onNaN, onHalf, onNull] of expect) {
    assert.deepEqual([matchesRow(f(text), nan), matchesRow(f(text), half), matchesRow(f(text), none)], [onNaN, onHalf, onNull], text)
  }
  assert.deepEqual(parseFilter('score is not nan and nan between 1 and -2'), {
    and: [{ column: 'score', op: 'is not nan' }, { and: [{ column: 'nan', op: '>=', value: 1 }, { column: 'nan', op: '<=', value: -2 }] }],
  })
  assert.equal(matchesRow(bindFilter({ column: 'score', op: 'is nan' }, schema, 'embedding'), nan), true)
  assert.throws(() => f('category IS NAN'), /is nan applies to float and double columns; category is string/)
  assert.throws(() => bindFilter({ column: 'score', op: '=', value: Number.NaN }, schema, 'embedding'), /score is float/)
  assert.throws(() => f('score BETWEEN 1 OR 2'), /expected AND in BETWEEN/)
  assert.throws(() => f('score IS FOO'), /expected NULL or NAN after IS/)
})

test('stats pruning with NaN: bounds leave NaN out, NaN counts decide', () => {
  const file = (nans: number | undefined, lo?: number, hi?: number, nulls = 0): DataFile => ({
    content: 'data', filePath: 'x', fileFormat: 'PARQUET', partition: {}, recordCount: 10, fileSizeInBytes: 1,
    nullValueCounts: new Map([[3, nulls]]),
    ...(nans === undefined ? {} : { nanValueCounts: new Map([[3, nans]]) }),
    ...(lo === undefined ? {} : { lowerBounds: new Map([[3, encodeBound('float', lo) as Uint8Array]]) }),
    ...(hi === undefined ? {} : { upperBounds: new Map([[3, encodeBound('float', hi) as Uint8Array]]) }),
  })
  const may = (s: string, d: DataFile) => fileMayMatch(bindFilter(s, schema, 'embedding'), d)
  // Values {0.5, NaN}: bounds [0.5, 0.5]; the NaN row matches != and NOT <.
  assert.equal(may('score != 0.5', file(1, 0.5, 0.5)), true)
  assert.equal(may('score != 0.5', file(undefined, 0.5, 0.5)), true) // NaN count unknown: maybe NaN
  assert.equal(may('score != 0.5', file(0, 0.5, 0.5)), false)
  assert.equal(may('NOT score <= 0.5', file(1, 0.5, 0.5)), true)
  assert.equal(may('NOT score <= 0.5', file(0, 0.5, 0.5)), false)
  assert.equal(may('score > 0.5', file(1, 0.5, 0.5)), false)
  assert.equal(may('score NOT IN (0.5)', file(2, 0.5, 0.5)), true)
  // All NaN (no bounds): only NaN-holding leaves can match.
  assert.equal(may('score = 0.5', file(10)), false)
  assert.equal(may('score = 0.5', file(undefined)), true)
  assert.equal(may('score IS NAN', file(10)), true)
  assert.equal(may('score IS NOT NAN', file(10)), false)
  assert.equal(may('score IS NOT NAN', file(4, 0, 1, 6)), false) // 4 NaN + 6 null
  assert.equal(may('score IS NOT NAN', file(4, 0, 1, 5)), true)
  assert.equal(may('score IS NAN', file(0, 0, 1)), false)
  assert.equal(may('score IS NAN', file(undefined, 0, 1)), true)
})

async function tableOf(dir: string, schema: Record<string, string>, files: Record<string, unknown>[][]) {
  const lake = await connect(dir)
  const t = await lake.createTable('default.f', { vector: { dim: 2, metric: 'euclidean' }, schema: schema as never })
  let id = 0
  for (const rows of files) await t.add(rows.map((r) => ({ ...r, embedding: [id, id++ % 3] })))
  return t
}

test('regression: an astral string and BMP strings >= U+E000 in one file: = finds the row (bounds in UTF-8 order)', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const t = await tableOf(dir, { id: 'int', tag: 'string' }, [[{ id: 1, tag: '\u{1f600}' }, { id: 2, tag: '\ue000' }, { id: 3, tag: 'a' }]])
    const ids = async (f: string) => (await t.search([0, 0]).where(f).limit(10).toArray()).map((r) => r.id).sort()
    assert.deepEqual(await ids("tag = '\u{1f600}'"), [1])
    assert.deepEqual(await ids("tag > '\uffff'"), [1])
    assert.deepEqual(await ids("tag < '\u{1f600}'"), [2, 3])
  } finally {
    await cleanup()
  }
})

test('regression: NaN matches no comparison', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const t = await tableOf(dir, { id: 'int', score: 'double' }, [[{ id: 1, score: Number.NaN }, { id: 2, score: 0.5 }]])
    const ids = async (f: string) => (await t.search([0, 0]).where(f).limit(10).toArray()).map((r) => r.id).sort()
    assert.deepEqual(await ids('score = 0.5'), [2])
    assert.deepEqual(await ids('score >= 0.5'), [2])
    assert.deepEqual(await ids('score <= 0.5'), [2])
    assert.deepEqual(await ids('score IN (0.5, 1)'), [2])
  } finally {
    await cleanup()
  }
})

// ---------------------------------------------------------------------------------------------
// Property test: filters against DuckDB as the oracle (not bindFilter / matchesRow). DuckDB
// compares VARCHAR by UTF-8 bytes, evaluates SQL's three-valued logic, and reads the Parquet
// min/max statistics of the same data files. Its NaN rule differs from ours (it sorts NaN above
// every number), so the SQL spells out the IEEE rule of filter-types.ts: a comparison that is
// true holds only for non-NaN values; `!=` / NOT IN also hold for NaN.

/** Strings mixing ASCII (with a quote), BMP below and at/above U+E000, and astral characters. */
const CHARS = ['a', 'b', 'z', "'", ' ', '\u00e9', '\u4e2d', '\ud7ff', '\ue000', '\uf8ff', '\ufb01', '\ufffd', '\uffff', '\u{10000}', '\u{1f600}', '\u{1d11e}', '\u{10ffff}']
const DOUBLES = [-1, -0, 0, 0.5, 1, 2.5, 1e300, -Infinity, Infinity, Number.NaN, null]
const FLOATS = [-1.5, -0, 0, 0.25, 0.5, 3, 1024.5, Number.NaN, null] // exact in f32, so DuckDB's FLOAT compares alike
const NUM_LITERALS = [-1, -0, 0, 0.25, 0.5, 1, 2, 2.5, 3, 1e300]

type Gen = () => number
const pick = <T>(r: Gen, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T
const randomTag = (r: Gen): string => Array.from({ length: Math.floor(r() * 4) }, () => pick(r, CHARS)).join('')

interface Case { text: string; typed: Filter; sql: string }

const sqlStr = (s: string): string => `'${s.replace(/'/g, "''")}'`
const sqlNum = (x: number): string => (Object.is(x, -0) ? '-0.0' : String(x))
const sqlVal = (v: string | number): string => (typeof v === 'string' ? sqlStr(v) : sqlNum(v))

function leafCase(r: Gen, tagPool: string[]): Case {
  const col = pick(r, ['tag', 'tag', 'score', 'f'] as const)
  const num = col !== 'tag'
  const lit = (): string | number => (num ? pick(r, NUM_LITERALS) : r() < 0.7 ? pick(r, tagPool) : randomTag(r))
  const textVal = (v: string | number): string => (typeof v === 'string' ? sqlStr(v) : sqlNum(v))
  // IEEE guard for comparisons that are true: NaN never satisfies them.
  const pos = (sql: string): string => (num ? `(${sql} AND NOT isnan(${col}))` : sql)
  const neg = (sql: string): string => (num ? `(${sql} OR isnan(${col}))` : sql)
  const kind = Math.floor(r() * (num ? 7 : 6))
  if (kind === 0 || kind === 1) {
    const op = pick(r, ['=', '!=', '<', '<=', '>', '>='] as const)
    const v = lit()
    const sql = `${col} ${op} ${sqlVal(v)}`
    return { text: `${col} ${op} ${textVal(v)}`, typed: { column: col, op, value: v }, sql: op === '!=' ? neg(sql) : pos(sql) }
  }
  if (kind === 2) {
    const vs = Array.from({ length: 1 + Math.floor(r() * 3) }, lit)
    const not = r() < 0.4
    const list = vs.map(sqlVal).join(', ')
    return {
      text: `${col} ${not ? 'NOT IN' : 'IN'} (${vs.map(textVal).join(', ')})`,
      typed: { column: col, op: not ? 'not in' : 'in', values: vs },
      sql: not ? neg(`${col} NOT IN (${list})`) : pos(`${col} IN (${list})`),
    }
  }
  if (kind === 3) {
    const a = lit()
    const b = lit()
    const not = r() < 0.4
    const range: Filter = { and: [{ column: col, op: '>=', value: a }, { column: col, op: '<=', value: b }] }
    const sql = pos(`${col} BETWEEN ${sqlVal(a)} AND ${sqlVal(b)}`)
    return { text: `${col} ${not ? 'NOT ' : ''}BETWEEN ${textVal(a)} AND ${textVal(b)}`, typed: not ? { not: range } : range, sql: not ? `NOT ${sql}` : sql }
  }
  if (kind === 4 || kind === 5) {
    const not = r() < 0.5
    return { text: `${col} IS ${not ? 'NOT ' : ''}NULL`, typed: { column: col, op: not ? 'is not null' : 'is null' }, sql: `${col} IS ${not ? 'NOT ' : ''}NULL` }
  }
  const not = r() < 0.5
  return { text: `${col} IS ${not ? 'NOT ' : ''}NAN`, typed: { column: col, op: not ? 'is not nan' : 'is nan' }, sql: `${not ? 'NOT ' : ''}isnan(${col})` }
}

function randomCase(r: Gen, tagPool: string[], depth = 0): Case {
  const roll = r()
  if (depth >= 2 || roll < 0.45) return leafCase(r, tagPool)
  if (roll < 0.6) {
    const c = randomCase(r, tagPool, depth + 1)
    return { text: `NOT (${c.text})`, typed: { not: c.typed }, sql: `NOT (${c.sql})` }
  }
  const parts = Array.from({ length: 2 + Math.floor(r() * 2) }, () => randomCase(r, tagPool, depth + 1))
  const and = roll < 0.8
  const word = and ? 'AND' : 'OR'
  return {
    text: parts.map((p) => `(${p.text})`).join(` ${word} `),
    typed: and ? { and: parts.map((p) => p.typed) } : { or: parts.map((p) => p.typed) },
    sql: parts.map((p) => `(${p.sql})`).join(` ${word} `),
  }
}

test('property: random filters over astral/BMP strings, NaN, ±0 and nulls equal DuckDB, in files pruned by stats and in DuckDB\'s own read of the files', async () => {
  const db = await (await (await DuckDBInstance.create(':memory:')).connect())
  const all = async (sql: string): Promise<number[]> => ((await db.runAndReadAll(sql)).getRowObjectsJS() as { id: number }[]).map((x) => Number(x.id))
  let pruned = 0
  let nonEmpty = 0
  let cases = 0
  for (const seed of [1, 2, 3, 4]) {
    const r = seededRandom(seed)
    const n = 160
    const rows = Array.from({ length: n }, () => ({
      tag: r() < 0.1 ? null : randomTag(r),
      score: pick(r, DOUBLES),
      f: pick(r, FLOATS),
    }))
    // Files cover narrow ranges, so bounds decide: sorted in UTF-16 order (what `<` gives), in
    // UTF-8 order, by score, or not at all.
    const order = seed % 4
    if (order === 0) rows.sort((a, b) => ((a.tag ?? '') < (b.tag ?? '') ? -1 : (a.tag ?? '') > (b.tag ?? '') ? 1 : 0))
    if (order === 1) rows.sort((a, b) => Buffer.compare(Buffer.from(a.tag ?? ''), Buffer.from(b.tag ?? '')))
    if (order === 2) rows.sort((a, b) => (a.score ?? 0) - (b.score ?? 0))
    const withIds = rows.map((x, id) => ({ id, ...x }))
    const { dir, cleanup } = await tempDir()
    try {
      const files = Array.from({ length: 10 }, (_, i) => withIds.slice(i * 16, (i + 1) * 16))
      const t = await tableOf(dir, { id: 'int', tag: 'string', score: 'double', f: 'float' }, files)
      await db.run('create or replace table t (id INTEGER, tag VARCHAR, score DOUBLE, f FLOAT)')
      const lit = (v: unknown): string => (v === null ? 'NULL' : typeof v === 'string' ? sqlStr(v) : Number.isNaN(v) ? "'NaN'" : v === Infinity ? "'Infinity'" : v === -Infinity ? "'-Infinity'" : sqlNum(v as number))
      await db.run(`insert into t values ${withIds.map((x) => `(${x.id}, ${lit(x.tag)}, ${lit(x.score)}, ${lit(x.f)})`).join(', ')}`)
      const paths = (await t.files()).map((f) => `'${f.path.replace(/^file:\/\//, '')}'`).join(', ')
      const tagPool = [...new Set(withIds.map((x) => x.tag).filter((x): x is string => x !== null))]
      const columns = new Map<string, unknown[]>((['id', 'tag', 'score', 'f'] as const).map((c) => [c, withIds.map((x) => x[c])]))
      for (let c = 0; c < 150; c++) {
        const cs = randomCase(r, tagPool)
        const label = `seed ${seed} case ${c}: ${cs.text}`
        const want = await all(`select id from t where ${cs.sql} order by id`)
        const filter = c % 2 === 0 ? cs.text : cs.typed
        const { rows: got, plan } = await t.search([0, 0]).where(filter).limit(n).ef(n).execute()
        assert.deepEqual(got.map((x) => x.id as number).sort((a, b) => a - b), want, label)
        const duckFiles = await all(`select id from read_parquet([${paths}]) where ${cs.sql} order by id`)
        assert.deepEqual(duckFiles, want, `${label} (DuckDB over the data files)`)
        // The same filter on decoded columns (what deletes and updates evaluate), among a random
        // subset of candidate rows.
        const candidates = Uint8Array.from(withIds, () => (r() < 0.7 ? 1 : 0))
        const matched = matchingRows(bindFilter(filter, t.schema, 'embedding'), columns, candidates)
        assert.deepEqual(withIds.filter((_, i) => matched[i] === 1).map((x) => x.id), want.filter((id) => candidates[id] === 1), `${label} (on columns)`)
        pruned += plan.filesPrunedByStats
        if (want.length > 0) nonEmpty++
        cases++
      }
    } finally {
      await cleanup()
    }
  }
  // The run must have exercised both pruning and matching.
  assert.ok(pruned > 100, `only ${pruned} files pruned by stats over ${cases} cases`)
  assert.ok(nonEmpty > cases / 4, `only ${nonEmpty} of ${cases} cases matched any row`)
})
