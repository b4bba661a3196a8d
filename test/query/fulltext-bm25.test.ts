/**
 * BM25 scores of fullTextSearch equal a straightforward reference BM25 over the whole live table
 * (written here from the definitions in docs/full-text.md, sharing only the analyser), for random
 * splits into files, deletes, and rows buffered in a MemTableWriter (seeded; the seed is printed).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Table } from '../../src/index.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { analyze } from '../../src/text/analyze.js'
import { parseTextQuery, type TextClause } from '../../src/text/bm25.js'
import { seededRandom } from '../../src/util/rng.js'

const WORDS = ['apple', 'apples', 'banana', 'cherry', 'running', 'runner', 'runs', 'the', 'of', 'and', 'red', 'green', 'fox', 'foxes', 'jumps', 'lazy', 'dog', 'dogs', 'quick', 'brown', 'state', 'art', 'zebra']

type Doc = { id: number; title: string | null; body: string | null }

function text(r: () => number, max: number): string | null {
  if (r() < 0.08) return null
  return Array.from({ length: Math.floor(r() * max) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ')
}

function randomQuery(r: () => number): string {
  const parts: string[] = []
  const n = 1 + Math.floor(r() * 3)
  for (let i = 0; i < n; i++) {
    const w = (): string => WORDS[Math.floor(r() * WORDS.length)] as string
    const plus = r() < 0.25 ? '+' : ''
    parts.push(r() < 0.25 ? `${plus}"${w()} ${w()}"` : `${plus}${w()}`)
  }
  return parts.join(' ')
}

/** Reference BM25 (k1 1.2, b 0.75) over `docs`, straight from the definitions. */
function referenceScores(docs: Doc[], clauses: TextClause[], columns: Array<'title' | 'body'>): Map<number, number> {
  const N = docs.length
  const tok = docs.map((d) => Object.fromEntries(columns.map((c) => [c, typeof d[c] === 'string' ? analyze(d[c] as string, 'english') : []])) as Record<string, ReturnType<typeof analyze>>)
  const avgdl = Object.fromEntries(columns.map((c) => [c, tok.reduce((n, t) => n + (t[c] as unknown[]).length, 0) / N]))
  const df = (c: string, term: string): number => tok.filter((t) => t[c]!.some((x) => x.term === term)).length
  const idf = (c: string, term: string): number => Math.log(1 + (N - df(c, term) + 0.5) / (df(c, term) + 0.5))
  const out = new Map<number, number>()
  docs.forEach((d, i) => {
    let score = 0
    const matched = clauses.map(() => false)
    for (const c of columns) {
      const toks = tok[i]![c]!
      clauses.forEach((cl, ci) => {
        // Occurrences: start positions where every term sits at its offset.
        const freq = toks.filter((t0) => t0.term === cl.terms[0] && cl.terms.every((term, k) => toks.some((t) => t.term === term && t.position === t0.position + cl.offsets[k]!))).length
        if (freq === 0) return
        const w = cl.terms.reduce((s, term) => s + idf(c, term), 0)
        score += w * freq * 2.2 / (freq + 1.2 * (1 - 0.75 + 0.75 * toks.length / avgdl[c]!))
        matched[ci] = true
      })
    }
    if (matched.some((m) => m) && clauses.every((cl, ci) => !cl.required || matched[ci])) out.set(d.id, score)
  })
  return out
}

async function scoresOf(t: Table, query: string, columns?: Array<'title' | 'body'>): Promise<Map<number, number>> {
  const rows = await t.fullTextSearch(query, { limit: 10_000, select: ['id'], ...(columns === undefined ? {} : { columns }) }).toArray<{ id: number }>()
  const out = new Map<number, number>()
  for (const r of rows) {
    assert.ok(!out.has(Number(r.id)), `row ${r.id} returned twice`)
    out.set(Number(r.id), r._score)
  }
  // Best first.
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!._score >= rows[i]!._score)
  return out
}

function assertSameScores(got: Map<number, number>, want: Map<number, number>, label: string): void {
  assert.deepEqual([...got.keys()].sort((a, b) => a - b), [...want.keys()].sort((a, b) => a - b), `${label}: matching rows differ`)
  for (const [id, s] of want) assert.ok(Math.abs((got.get(id) as number) - s) <= 1e-6, `${label}: row ${id} scores ${got.get(id)}, reference ${s}`)
}

test('BM25 equals the reference over the whole live table, for any split into files, with deletes and buffered rows (16 seeds)', async () => {
  let queries = 0
  for (let seed = 1; seed <= 16; seed++) {
    const r = seededRandom(seed)
    const lake = await connect('/nonexistent/ailake-fts', { store: new MemoryStore() })
    const t = await lake.createTable('default.docs', {
      vector: { dim: 3 }, schema: { id: { type: 'long', required: true }, title: 'string', body: 'string', n: 'int' }, fullText: ['title', 'body'],
    })
    const total = 30 + Math.floor(r() * 90)
    const docs: Doc[] = Array.from({ length: total }, (_, id) => ({ id, title: text(r, 5), body: text(r, 14) }))
    const toRow = (d: Doc): Record<string, unknown> => ({ id: BigInt(d.id), title: d.title, body: d.body, n: d.id % 5, embedding: [r() + 0.01, r(), r()] })
    // Committed rows split into 1 to 40 files; the last rows stay buffered in a writer.
    const buffered = r() < 0.7 ? Math.floor(r() * 12) : 0
    const committed = docs.slice(0, total - buffered)
    const files = 1 + Math.floor(r() * Math.min(40, committed.length))
    const cuts = [...new Set(Array.from({ length: files - 1 }, () => 1 + Math.floor(r() * (committed.length - 1))))].sort((a, b) => a - b)
    let from = 0
    for (const cut of [...cuts, committed.length]) {
      if (cut > from) await t.add(committed.slice(from, cut).map(toRow), { buildIndex: r() < 0.5 })
      from = cut
    }
    const deleted = committed.filter(() => r() < 0.15).map((d) => d.id)
    if (deleted.length > 0) await t.delete(`id IN (${deleted.join(', ')})`)
    const w = t.memTableWriter({ flushMaxRows: 1_000_000, autoFlushTimer: false })
    if (buffered > 0) await w.insert(docs.slice(total - buffered).map(toRow))
    const live = docs.filter((d) => !deleted.includes(d.id))
    const label = `seed ${seed} (${committed.length} rows in ${cuts.length + 1} files, ${deleted.length} deleted, ${buffered} buffered)`
    for (let q = 0; q < 8; q++) {
      const query = randomQuery(r)
      const columns = r() < 0.3 ? [r() < 0.5 ? 'title' as const : 'body' as const] : undefined
      const clauses = parseTextQuery(query, 'english')
      assertSameScores(await scoresOf(t, query, columns), referenceScores(live, clauses, columns ?? ['title', 'body']), `${label}, query ${JSON.stringify(query)} on ${columns ?? 'all'}`)
      queries++
    }
    await w.close()
    await t.close()
  }
  assert.ok(queries >= 128)
})

test('one file or many: identical scores (the table as 1 file and as 40)', async () => {
  const r = seededRandom(99)
  const docs: Doc[] = Array.from({ length: 200 }, (_, id) => ({ id, title: text(r, 5), body: text(r, 14) }))
  const make = async (files: number): Promise<Table> => {
    const lake = await connect('/nonexistent/ailake-fts-split', { store: new MemoryStore() })
    const t = await lake.createTable('default.docs', { vector: { dim: 2 }, schema: { id: { type: 'long', required: true }, title: 'string', body: 'string' }, fullText: ['title', 'body'] })
    const per = Math.ceil(docs.length / files)
    for (let i = 0; i < docs.length; i += per) await t.add(docs.slice(i, i + per).map((d) => ({ id: BigInt(d.id), title: d.title, body: d.body, embedding: [1, d.id] })))
    assert.equal((await t.files()).length, files)
    return t
  }
  const one = await make(1)
  const forty = await make(40)
  for (const q of ['apple', 'quick brown fox', '+dog "lazy dog"', 'running runner', '"state of the art"']) {
    const a = await scoresOf(one, q)
    const b = await scoresOf(forty, q)
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), q)
    for (const [id, s] of a) assert.ok(Math.abs(s - (b.get(id) as number)) <= 1e-9, `${q}: row ${id}`)
  }
})

test('an older snapshot is text-searched under its own schema: filters and selects use the names it had, values follow field ids', async () => {
  const lake = await connect('/nonexistent/ailake-fts-asof', { store: new MemoryStore() })
  const t = await lake.createTable('default.docs', { vector: { dim: 2 }, schema: { id: { type: 'long', required: true }, tag: 'string', body: 'string' }, fullText: ['body'] })
  await t.add([
    { id: 1n, tag: 'x', body: 'red apple', embedding: [1, 0] },
    { id: 2n, tag: 'y', body: 'green apple', embedding: [0, 1] },
    { id: 3n, tag: 'x', body: 'banana', embedding: [1, 1] },
  ])
  const before = t.currentSnapshotId as bigint
  await t.alterSchema({ rename: { tag: 'label' }, add: { tag: 'int' } })
  await t.add([{ id: 4n, label: 'x', tag: 7, body: 'apple pie', embedding: [2, 0] }])
  const old = await t.fullTextSearch('apple', { asOf: before, where: "tag = 'x'", select: ['id', 'tag'] }).toArray()
  assert.deepEqual(old.map((r) => [r.id, r.tag]), [[1n, 'x']], 'the old name reads the old column, and row 4 is not in that snapshot')
  const now = await t.fullTextSearch('apple', { where: "label = 'x'", select: ['id', 'label', 'tag'] }).toArray()
  assert.deepEqual(now.map((r) => [r.id, r.label, r.tag]).sort((a, b) => Number(a[0]) - Number(b[0])), [[1n, 'x', null], [4n, 'x', 7]])
  await lake.close()
})
