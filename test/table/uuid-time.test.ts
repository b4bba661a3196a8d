/**
 * uuid and time columns: rows hold the canonical uuid text and the `HH:MM:SS.ffffff` time of
 * day; they round-trip exactly, DuckDB reads ailake's files with the same values and filters
 * them the same way, and bounds, bucket hashes and partitions follow the spec (Appendix B's
 * published hashes). Oracles: DuckDB, the spec's values, and expected texts built in the test.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DuckDBInstance } from '@duckdb/node-api'
import { connect } from '../../src/index.js'
import { decodeBound, encodeBound } from '../../src/format/iceberg/bounds.js'
import { applyTransform, hashBytes, murmur3, parseTransform } from '../../src/format/iceberg/partition-transform.js'
import { parseFieldType } from '../../src/format/iceberg/schema-json.js'
import { rng, tempDir } from '../helpers/tmpdir.js'
import { leLong, refMurmur3 } from '../helpers/partition-reference.js'

const DIM = 2
const local = (p: string): string => p.replace(/^file:\/\//, '')
const hex = (r: () => number, n: number): string => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('')
const two = (n: number): string => String(n).padStart(2, '0')

function randomUuid(r: () => number): string {
  return `${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`
}

function randomTime(r: () => number): string {
  const us = String(Math.floor(r() * 1_000_000)).padStart(6, '0')
  return `${two(Math.floor(r() * 24))}:${two(Math.floor(r() * 60))}:${two(Math.floor(r() * 60))}.${r() < 0.2 ? '000000' : us}`
}

test('uuid and time follow the spec: Appendix B hashes, 16-byte and 8-byte bounds, type names', () => {
  assert.equal(murmur3(hashBytes('time', '22:31:08')), -662762989, 'Appendix B: time 22:31:08')
  assert.equal(murmur3(hashBytes('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7')), 1488055340, 'Appendix B: uuid')
  assert.deepEqual(encodeBound('uuid', 'F79C3E09677C4BBDA4793F349CB785E7'), Uint8Array.from([0xf7, 0x9c, 0x3e, 0x09, 0x67, 0x7c, 0x4b, 0xbd, 0xa4, 0x79, 0x3f, 0x34, 0x9c, 0xb7, 0x85, 0xe7]))
  assert.equal(decodeBound('uuid', encodeBound('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7') as Uint8Array), 'f79c3e09-677c-4bbd-a479-3f349cb785e7')
  assert.deepEqual(encodeBound('time', '00:00:01.5'), Uint8Array.from(leLong(1_500_000n)))
  assert.equal(decodeBound('time', Uint8Array.from(leLong(81_068_000_001n))), '22:31:08.000001')
  assert.equal(parseFieldType('uuid', 't'), 'uuid')
  assert.equal(parseFieldType('time', 't'), 'time')
  const r = rng(99)
  for (let i = 0; i < 2000; i++) {
    const u = randomUuid(r)
    const bytes = Array.from({ length: 16 }, (_, k) => parseInt(u.replace(/-/g, '').slice(2 * k, 2 * k + 2), 16))
    assert.equal(applyTransform(parseTransform('bucket[17]'), 'uuid', u), (refMurmur3(bytes) & 0x7fffffff) % 17, `case ${i}: bucket of ${u}`)
    const t = randomTime(r)
    const [h, m, s] = t.split(/[:.]/).map(Number) as [number, number, number]
    const us = BigInt(((h * 60 + m) * 60 + s)) * 1_000_000n + BigInt(t.slice(9))
    assert.equal(applyTransform(parseTransform('bucket[17]'), 'time', t), (refMurmur3(leLong(us)) & 0x7fffffff) % 17, `case ${i}: bucket of ${t}`)
  }
})

test('uuid and time columns round-trip, read the same in DuckDB and filter like DuckDB (seeded)', async () => {
  const { dir, cleanup } = await tempDir()
  const db = await DuckDBInstance.create(':memory:')
  const con = await db.connect()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.ut', { vector: { dim: DIM, metric: 'euclidean' }, schema: { id: 'long', u: 'uuid', tod: 'time' }, partitionBy: ['bucket(3, u)'] })
    const r = rng(2024)
    const expected: Array<{ id: bigint; u: string | null; tod: string | null; embedding: number[] }> = []
    for (let batch = 0; batch < 3; batch++) {
      const rows = Array.from({ length: 30 }, (_, k) => ({
        id: BigInt(batch * 30 + k), embedding: [r(), r()],
        u: r() < 0.1 ? null : randomUuid(r), tod: r() < 0.1 ? null : randomTime(r),
      }))
      expected.push(...rows)
      // uuids are accepted in any case and without dashes; rows hold the canonical text.
      await t.add(rows.map((row, k) => ({ ...row, u: k % 3 === 0 && row.u !== null ? row.u.replace(/-/g, '').toUpperCase() : row.u })))
    }
    const got = new Map<string, Record<string, unknown>>()
    for await (const row of t.scan()) got.set(String(row.id), row)
    for (const e of expected) assert.deepEqual([got.get(String(e.id))?.u, got.get(String(e.id))?.tod], [e.u, e.tod], `row ${e.id}`)

    const files = (await t.files()).map((f) => `'${local(f.path)}'`).join(', ')
    const duck = await con.runAndReadAll(`SELECT id, CAST(u AS VARCHAR), strftime(DATE '2000-01-01' + tod, '%H:%M:%S.%f') FROM read_parquet([${files}])`)
    const duckRows = new Map(duck.getRows().map((row) => [String(row[0]), [row[1], row[2]]]))
    for (const e of expected) assert.deepEqual(duckRows.get(String(e.id)), [e.u, e.tod], `DuckDB reads row ${e.id}`)

    let checked = 0
    for (let q = 0; q < 40; q++) {
      const pick = expected[Math.floor(r() * expected.length)] as (typeof expected)[number]
      const onTime = r() < 0.6
      const op = onTime ? (['=', '!=', '<', '<=', '>', '>='][Math.floor(r() * 6)] as string) : (['=', '!='][Math.floor(r() * 2)] as string)
      const lit = onTime ? (r() < 0.5 ? pick.tod : randomTime(r)) : (r() < 0.7 ? pick.u : randomUuid(r))
      if (lit === null) continue
      const col = onTime ? 'tod' : 'u'
      const mine: string[] = []
      for await (const row of t.scan({ where: `${col} ${op} '${lit}'`, select: ['id'] })) mine.push(String(row.id))
      const cast = onTime ? 'TIME' : 'UUID'
      const want = (await con.runAndReadAll(`SELECT id FROM read_parquet([${files}]) WHERE ${col} ${op} CAST('${lit}' AS ${cast})`)).getRows().map((row) => String(row[0]))
      assert.deepEqual(mine.sort(), want.sort(), `query ${q}: ${col} ${op} '${lit}'`)
      checked++
    }
    assert.ok(checked >= 30)
    // A uuid partition prunes: an equality filter reads only the file of its bucket.
    const target = expected.find((e) => e.u !== null) as (typeof expected)[number]
    const res = await t.search(new Float32Array(DIM)).where(`u = '${target.u}'`).limit(5).prune('exact').select(['id']).execute()
    assert.deepEqual(res.rows.map((row) => String(row.id)), [String(target.id)])
    assert.ok(res.plan.filesPrunedByPartition >= 1, 'files of other buckets are not opened')
  } finally {
    con.closeSync()
    await cleanup()
  }
})
