/**
 * Every writer of a table with full-text columns writes the index block into each data file it
 * makes: add (indexed now or deferred), writer(), MemTableWriter flushes (encoded in a worker),
 * background index builds, update, upsert and optimize. Each block is checked against the
 * file's own rows, analysed here.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, openDataFile } from '../../src/index.js'
import { readTextBlockAt } from '../../src/format/data-file.js'
import { analyze } from '../../src/text/analyze.js'
import { decodeTextIndex } from '../../src/text/text-index.js'
import { bytesSource } from '../../src/util/byte-source.js'
import { tempDir } from '../helpers/tmpdir.js'

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'running', 'dogs', 'the', 'of']

function row(id: number): Record<string, unknown> {
  const w = (k: number): string => WORDS[(id * 7 + k * 3) % WORDS.length] as string
  return { id: BigInt(id), title: `${w(1)} ${w(2)}`, body: id % 9 === 4 ? null : `${w(3)} ${w(4)} ${w(5)} ${w(1)}`, embedding: [Math.cos(id), Math.sin(id), 1] }
}

test('add, writer, MemTableWriter flushes, index builds, update, upsert and optimize all write full-text blocks', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.docs', { vector: { dim: 3 }, schema: { id: { type: 'long', required: true }, title: 'string', body: 'string' }, fullText: ['title', 'body'] })
    assert.equal(t.properties['ailake.fulltext.columns'], '["title","body"]')
    assert.equal(t.properties['ailake.fulltext.language'], 'english')
    await t.add([0, 1, 2, 3, 4].map(row))
    await t.add([5, 6, 7].map(row), { buildIndex: false })
    const w = t.writer()
    await w.writeBatch([8, 9].map(row))
    await w.writeBatchDeferred([10, 11, 12].map(row))
    await w.commit()
    const m = t.memTableWriter({ deferIndex: true, backgroundFlush: true })
    await m.insert([13, 14, 15, 16].map(row))
    await m.flush()
    await m.close()
    await t.waitForIndexes()
    await t.update('id = 3', { title: 'updated gamma title' })
    await t.upsert([row(4), row(40)], { on: 'id' })
    await t.delete('id = 0')
    const checkFiles = async (label: string): Promise<number> => {
      const files = await t.files()
      for (const f of files) {
        const bytes = await t.core.store.get(t.core.keyOf(f.path))
        const reader = await openDataFile(bytesSource(bytes))
        const { facts } = await reader.readSection()
        const block = await readTextBlockAt(bytesSource(bytes), { offset: facts.sectionOffset, length: facts.sectionLength })
        assert.ok(block !== undefined, `${label}: ${f.path} has no full-text block`)
        const idx = decodeTextIndex(block, reader.rowCount)
        const rows = await reader.readRows({ columns: ['title', 'body'] })
        for (const c of ['title', 'body'] as const) {
          const col = idx.columns.get(c)!
          rows.forEach((r, i) => {
            const tokens = typeof r[c] === 'string' ? analyze(r[c] as string, 'english') : []
            assert.equal(col.docLengths[i], tokens.length, `${label}: ${f.path} ${c} row ${i}`)
            for (const tok of tokens) assert.ok(col.postings(tok.term)!.rows.includes(i), `${label}: ${f.path} ${c} row ${i} lacks ${tok.term}`)
          })
        }
      }
      return files.length
    }
    const before = await checkFiles('after writes')
    assert.ok(before >= 7, `${before} files`)
    const plan = await t.fullTextSearch('gamma').explain()
    assert.equal(plan.filesIndexedOnRead, 0)
    const hits = await t.fullTextSearch('+updated').toArray<{ id: bigint }>()
    assert.deepEqual(hits.map((h) => h.id), [3n])
    await t.optimize({ targetRowsPerFile: 8 })
    await checkFiles('after optimize')
    assert.deepEqual((await t.fullTextSearch('+updated').toArray<{ id: bigint }>()).map((h) => h.id), [3n])
    assert.deepEqual((await t.fullTextSearch('"updated gamma"', { select: ['id'] }).toArray<{ id: bigint }>()).map((h) => h.id), [3n])
    assert.equal((await t.fullTextSearch('+alpha', { select: ['id'], limit: 100 }).toArray<{ id: bigint }>()).filter((h) => h.id === 0n).length, 0, 'a deleted row is not found')
    await t.close()
  } finally {
    await cleanup()
  }
})

test('createTable checks full-text options', async () => {
  const lake = await connect('/nonexistent/x', { store: new (await import('../../src/store/memory-store.js')).MemoryStore() })
  await assert.rejects(lake.createTable('default.a', { vector: { dim: 2 }, fullText: [] }), /fullText must be a non-empty array/)
  await assert.rejects(lake.createTable('default.b', { vector: { dim: 2 }, fullText: ['embedding'] }), /cannot index the vector column/)
  await assert.rejects(lake.createTable('default.c', { vector: { dim: 2 }, schema: { n: 'int' }, fullText: ['n'] }), /is not a string column/)
  await assert.rejects(lake.createTable('default.d', { vector: { dim: 2 }, fullText: ['x'], fullTextLanguage: 'klingon' as never }), /language must be/)
  const plain = await lake.createTable('default.e', { vector: { dim: 2 } })
  assert.throws(() => plain.fullTextSearch('x'), /has no full-text columns/)
  assert.throws(() => plain.hybridSearch({ text: 'x', vector: [1, 0] }), /has no full-text columns/)
})

test('setFullText on an existing table: older files are indexed on read with scores equal to a table made with fullText, optimize gives them blocks', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const schema = { id: { type: 'long' as const, required: true }, title: 'string' as const, body: 'string' as const, n: 'int' as const }
    const later = await lake.createTable('default.later', { vector: { dim: 3 }, schema })
    const ref = await lake.createTable('default.ref', { vector: { dim: 3 }, schema, fullText: ['body'] })
    for (const t of [later, ref]) {
      await t.add(Array.from({ length: 20 }, (_, i) => ({ ...row(i), n: i })))
      await t.add(Array.from({ length: 15 }, (_, i) => ({ ...row(20 + i), n: i })))
    }
    assert.throws(() => later.fullTextSearch('alpha'), (e: unknown) => e instanceof Error && /full-text/.test(e.message), 'no full-text columns yet')
    await assert.rejects(later.setFullText(['n']), (e: unknown) => e instanceof Error && /"n" is int, not a string column/.test(e.message))
    await assert.rejects(later.setFullText(['nope']), (e: unknown) => e instanceof Error && /"nope" is not in table/.test(e.message))
    await assert.rejects(later.setFullText(['embedding']), (e: unknown) => e instanceof Error && /vector column/.test(e.message))
    const snapshots = later.history().length
    const policy = await later.setFullText(['body'])
    assert.deepEqual(policy, { columns: ['body'], language: 'english' })
    assert.equal(later.history().length, snapshots, 'a metadata commit, no snapshot')
    const scores = async (t: typeof ref, q: string): Promise<Array<[bigint, number]>> =>
      (await t.fullTextSearch(q, { limit: 50, select: ['id'] }).toArray()).map((r) => [r.id as bigint, Math.round((r._score as number) * 1e9)])
    for (const q of ['alpha', 'running dogs', '+gamma delta']) assert.deepEqual(await scores(later, q), await scores(ref, q), q)
    // A fresh connection, so nothing is cached from the searches above.
    const cold = async (): Promise<number> => (await (await (await connect(dir)).openTable('default.later')).fullTextSearch('alpha').explain()).filesIndexedOnRead
    assert.equal(await cold(), 2, 'files written before have no block: indexed from their rows')
    await later.optimize({ full: true, cluster: false })
    assert.equal(await cold(), 0, 'optimize wrote blocks')
    for (const q of ['alpha', 'running dogs']) assert.deepEqual(await scores(later, q), await scores(ref, q), q)
    await later.setFullText(['title', 'body'], { language: 'english' })
    const both = await later.fullTextSearch('alpha', { limit: 50, select: ['id', 'title', 'body'] }).toArray()
    assert.ok(both.some((r) => String(r.title).includes('alpha') && !String(r.body ?? '').includes('alpha')), 'title matches count once title is indexed')
  } finally {
    await cleanup()
  }
})
