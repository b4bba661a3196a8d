// The first-hour API: createTable({ existOk }), empty inserts refused alike by add() and
// insert(), MemTableWriter.insert({ embedFrom }), typed results, 64-bit integers that
// JSON.stringify can take, and toArrow() built with (and typed as) the caller's apache-arrow.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow18 from 'apache-arrow'
import * as arrow21 from 'apache-arrow-21'
import { connect, isAilakeError, type Embedder, type SearchRow } from '../../src/index.js'
import { tempDir } from '../helpers/tmpdir.js'

/** Compile-time check: `T` and `U` are the same type. */
type Equal<T, U> = (<X>() => X extends T ? 1 : 2) extends (<X>() => X extends U ? 1 : 2) ? true : false
const same = <T, U>(_proof: Equal<T, U>): void => undefined

// A deterministic bag-of-letters embedder: texts sharing letters are close.
const letters: Embedder = {
  name: 'letters@1', dim: 26,
  async embed(texts) {
    return texts.map((t) => {
      const v = new Float32Array(26)
      for (const ch of t.toLowerCase()) {
        const c = ch.charCodeAt(0) - 97
        if (c >= 0 && c < 26) v[c] = (v[c] as number) + 1
      }
      v[0] = (v[0] as number) + 0.01
      return v
    })
  },
}

test('createTable({ existOk }) opens a matching table (also when two create it at once) and names what differs otherwise', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const opts = { vector: { dim: 3, metric: 'euclidean' as const }, existOk: true }
    const [a, b] = await Promise.all([lake.createTable('docs', opts), lake.createTable('docs', opts)])
    await a?.add([{ id: 1n, embedding: [1, 0, 0] }])
    await b?.refresh()
    assert.equal(await b?.countRows(), 1, 'both handles are on the one table')
    const again = await lake.createTable('docs', opts)
    assert.equal(await again.countRows(), 1, 'running the snippet twice keeps the data')
    await assert.rejects(lake.createTable('docs', { vector: { dim: 4, metric: 'euclidean' }, existOk: true }),
      (e) => isAilakeError(e, 'ALREADY_EXISTS') && /dim is 3, not 4/.test(e.message))
    await assert.rejects(lake.createTable('docs', { vector: { dim: 3 }, existOk: true }),
      (e) => isAilakeError(e, 'ALREADY_EXISTS') && /metric is euclidean, not cosine/.test(e.message))
    await assert.rejects(lake.createTable('docs', { vector: { dim: 3, metric: 'euclidean' } }), (e) => isAilakeError(e, 'ALREADY_EXISTS'))
    const notes = await lake.createTable('notes', { vector: {}, embedder: letters, existOk: true })
    assert.deepEqual((await lake.createTable('notes', { vector: {}, embedder: letters, existOk: true })).embedder, notes.embedder)
    await assert.rejects(lake.createTable('notes', { vector: {}, embedder: { ...letters, name: 'other@1' }, existOk: true }),
      (e) => isAilakeError(e, 'ALREADY_EXISTS') && /embedder is letters@1, not other@1/.test(e.message))
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('add([]) and insert([]) both refuse an empty batch and write nothing', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('docs', { vector: { dim: 3 } })
    const w = t.memTableWriter()
    const empty = (call: string) => (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && e.message.startsWith(`${call} got no rows for table default.docs`)
    await assert.rejects(t.add([]), empty('add()'))
    await assert.rejects(w.insert([]), empty('insert()'))
    const emptyArrow = arrow18.tableFromArrays({ id: new Int32Array(0) })
    await assert.rejects(t.add(emptyArrow), empty('add()'))
    await assert.rejects(w.insert(emptyArrow), empty('insert()'))
    await w.insert([{ id: 1n, embedding: [1, 0, 0] }])
    await w.close()
    assert.equal(t.history().length, 1, 'only the one real insert made a snapshot')
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('MemTableWriter.insert({ embedFrom }) embeds a text column with the table\'s embedder, as add() does', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('notes', { vector: {}, embedder: letters, schema: { text: 'string' } })
    const w = t.memTableWriter({ flushMaxRows: 1000 })
    await w.insert([{ text: 'zzz' }, { text: 'abc' }], { embedFrom: 'text', embedder: letters })
    const [buffered] = await t.search('zz', { embedder: letters }).limit(1).toArray()
    assert.equal(buffered?.text, 'zzz', 'searchable while buffered')
    await assert.rejects(w.insert([{ text: 'q' }], { embedFrom: 'text', embedder: { ...letters, name: 'other@1' } }), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
    await assert.rejects(w.insert([{ text: 7 }], { embedFrom: 'text', embedder: letters }), (e) => isAilakeError(e, 'SCHEMA_MISMATCH'))
    await w.close()
    const [hit] = await t.search('abc', { embedder: letters }).limit(1).toArray()
    assert.equal(hit?.text, 'abc')
    assert.equal(await t.countRows(), 2)
    await lake.close()
  } finally {
    await cleanup()
  }
})

interface Doc { docId: bigint; title: string }

test('typed results; 64-bit integers as number or string per connection and per query, so JSON.stringify works', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const big = 2n ** 60n + 7n
    const lake = await connect(dir)
    const t = await lake.createTable('docs', { vector: { dim: 3 } })
    await t.add([{ docId: 1n, title: 'cats', embedding: [1, 0, 0] }, { docId: big, title: 'dogs', embedding: [0, 1, 0] }])

    const rows = await t.search<Doc>([1, 0, 0]).toArray()
    same<typeof rows, SearchRow<Doc>[]>(true)
    const titles: string[] = rows.map((r) => r.title)
    assert.deepEqual(titles, ['cats', 'dogs'])
    const picked = await t.search<Doc>([1, 0, 0]).select(['title']).toArray()
    same<typeof picked, SearchRow<Pick<Doc, 'title'>>[]>(true)
    assert.deepEqual(picked.map((r) => Object.keys(r).sort()), [['_distance', 'title'], ['_distance', 'title']])
    assert.throws(() => JSON.stringify(rows), TypeError, 'bigints do not serialise by default')

    const asNumber = await t.search([1, 0, 0]).int64('number').toArray()
    assert.deepEqual(asNumber.map((r) => r.docId), [1, big.toString()], 'a number when safe, else the exact decimal string')
    assert.equal(JSON.parse(JSON.stringify(asNumber))[1].docId, '1152921504606846983')
    assert.deepEqual((await t.search([1, 0, 0]).int64('string').toArray()).map((r) => r.docId), ['1', big.toString()])
    assert.throws(() => t.search([1, 0, 0]).int64('float' as 'number'), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
    await lake.close()

    const strings = await connect(dir, { int64: 'string' })
    const s = await strings.openTable('docs')
    assert.deepEqual((await s.search([1, 0, 0]).toArray()).map((r) => r.docId), ['1', big.toString()])
    assert.deepEqual((await s.search([1, 0, 0]).int64('bigint').toArray()).map((r) => r.docId), [1n, big], 'a query overrides the connection')
    await strings.close()
    await assert.rejects(connect(dir, { int64: 'long' as 'string' }), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
  } finally {
    await cleanup()
  }
})

test('toArrow(arrow) builds the caller\'s apache-arrow Table (18 and 21), typed as that version\'s Table', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir, { int64: 'string' })
    const t = await lake.createTable('docs', { vector: { dim: 3 } })
    await t.add([{ docId: 1n, title: 'cats', embedding: [1, 0, 0] }, { docId: 2n, title: 'dogs', embedding: [0, 1, 0] }])
    const q = t.search([1, 0, 0]).select(['docId', 'title', 'embedding'])
    const a18 = await q.toArrow(arrow18)
    const a21 = await q.toArrow(arrow21)
    // Typed against each module: these assignments compile only if the types are that version's Table.
    const typed18: arrow18.Table = a18
    const typed21: arrow21.Table = a21
    assert.ok(typed18 instanceof arrow18.Table)
    assert.ok(typed21 instanceof arrow21.Table)
    for (const table of [typed18, typed21]) {
      assert.equal(table.numRows, 2)
      assert.equal(table.getChild('docId')?.get(0), 1n, 'Int64 in Arrow whatever int64() says')
      assert.equal(table.getChild('title')?.get(1), 'dogs')
      assert.deepEqual(Array.from(table.getChild('embedding')?.get(0) as Iterable<number>), [1, 0, 0])
    }
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('Arrow input as tableFromArrays makes it (strings dictionary-encoded), from apache-arrow 18 and 21', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const input18 = arrow18.tableFromArrays({ id: Int32Array.from([1, 2]), name: ['a', 'b'] })
      .assign(new arrow18.Table({ embedding: arrow18.vectorFromArray([[0, 0], [3, 4]], new arrow18.FixedSizeList(2, new arrow18.Field('item', new arrow18.Float32()))) }))
    const input21 = arrow21.tableFromArrays({ id: Int32Array.from([1, 2]), name: ['a', 'b'] })
      .assign(new arrow21.Table({ embedding: arrow21.vectorFromArray([[0, 0], [3, 4]], new arrow21.FixedSizeList(2, new arrow21.Field('item', new arrow21.Float32()))) }))
    assert.equal(input18.schema.fields.find((f) => f.name === 'name')?.type.typeId, arrow18.Type.Dictionary)
    assert.equal(input21.schema.fields.find((f) => f.name === 'name')?.type.typeId, arrow21.Type.Dictionary)
    for (const [name, input] of [['a18', input18], ['a21', input21]] as const) {
      const t = await lake.createTable(name, { vector: { dim: 2, metric: 'euclidean' } })
      await t.add(input)
      assert.deepEqual(t.columns().map((c) => [c.name, c.type]).filter(([n]) => n !== 'embedding'), [['id', 'int'], ['name', 'string']])
      const rows = await t.search([3, 4]).toArray()
      assert.deepEqual(rows.map((r) => [r.id, r.name]), [[2, 'b'], [1, 'a']])
    }
    await lake.close()
  } finally {
    await cleanup()
  }
})
