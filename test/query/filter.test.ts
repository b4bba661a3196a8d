import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseFilter, bindFilter } from '../../src/query/index.js'
import { fileMayMatch, matchesRow } from '../../src/query/filter-bind.js'
import { encodeBound } from '../../src/format/iceberg/bounds.js'
import type { DataFile } from '../../src/format/iceberg/types.js'
import type { Schema } from '../../src/format/schema.js'

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
