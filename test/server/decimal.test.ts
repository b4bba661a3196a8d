// Decimals, times and uuids over the JSON API: created by type name, sent as JSON strings,
// answered as the exact strings (digits past a double's 17 kept), filtered exactly.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from '../../src/index.js'
import { createApp } from '../../src/server/index.js'
import { tempDir } from '../helpers/tmpdir.js'
import { send } from './helpers.js'

test('JSON API: decimal, time and uuid columns round-trip as exact strings and filter exactly', async () => {
  const { dir, cleanup } = await tempDir('ailake-api-dec-')
  const lake = await connect(dir)
  try {
    const app = createApp(lake, {}).app
    const created = await send(app, 'POST', '/v1/tables', { body: { name: 'fin.trades', vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long', amount: 'decimal(38,18)', at: 'time', ref: 'uuid' } } })
    assert.equal(created.status, 201, created.text)
    const rows = [
      { id: 1, amount: '12345678901234567890.123456789012345678', at: '09:30:00.000001', ref: 'F79C3E09-677C-4BBD-A479-3F349CB785E7', embedding: [0, 0] },
      { id: 2, amount: '12345678901234567890.123456789012345677', at: '16:00', ref: '00000000-0000-0000-0000-000000000001', embedding: [1, 0] },
      { id: 3, amount: '-0.000000000000000001', at: '23:59:59.999999', ref: null, embedding: [0, 1] },
    ]
    const added = await send(app, 'POST', '/v1/tables/fin.trades/rows', { body: { rows } })
    assert.equal(added.status, 201, added.text)
    const search = async (where: string): Promise<Array<Record<string, unknown>>> => {
      const r = await send(app, 'POST', '/v1/tables/fin.trades/search', { body: { vector: [0, 0], limit: 10, where, select: ['id', 'amount', 'at', 'ref'] } })
      assert.equal(r.status, 200, r.text)
      return (r.json.rows as Array<Record<string, unknown>>).sort((a, b) => Number(a.id) - Number(b.id))
    }
    const all = await search("amount > '-1'")
    assert.deepEqual(all.map((r) => [String(r.id), r.amount, r.at, r.ref]), [
      ['1', '12345678901234567890.123456789012345678', '09:30:00.000001', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'],
      ['2', '12345678901234567890.123456789012345677', '16:00:00.000000', '00000000-0000-0000-0000-000000000001'],
      ['3', '-0.000000000000000001', '23:59:59.999999', null],
    ])
    assert.deepEqual((await search("amount > '12345678901234567890.123456789012345677'")).map((r) => String(r.id)), ['1'], 'values a double cannot tell apart')
    assert.deepEqual((await search("at >= '16:00' AND ref = '00000000000000000000000000000001'")).map((r) => String(r.id)), ['2'])
    const refused = await send(app, 'POST', '/v1/tables/fin.trades/rows', { body: { rows: [{ id: 4, amount: '1.0000000000000000001', embedding: [0, 0] }] } })
    assert.equal(refused.status, 400, 'more fraction digits than the scale are refused, not rounded')
    assert.match(refused.text, /fraction digits/)

    // Bare JSON numbers: exact ones are taken, one a double would round is refused, not rounded.
    const raw = (rows: string): Promise<{ status: number; text: string }> => send(app, 'POST', '/v1/tables/fin.trades/rows', { raw: `{"rows":[${rows}]}`, headers: { 'content-type': 'application/json' } })
    const long = await raw('{"id":5,"amount":12345678901234567890.12,"embedding":[0,0]}')
    assert.equal(long.status, 400, long.text)
    assert.match(long.text, /the number 12345678901234567890\.12 has more digits than a double holds.*send it as a string/)
    const ok = await raw('{"id":6,"amount":1234.5,"embedding":[0.29999999999999999,0.1]}')
    assert.equal(ok.status, 201, `a short decimal and a vector value printed with 17 digits (%.17g) are taken: ${ok.text}`)
    const six = (await search("amount = '1234.5'")).map((r) => [String(r.id), r.amount])
    assert.deepEqual(six, [['6', '1234.500000000000000000']])
  } finally {
    await lake.close()
    await cleanup()
  }
})
