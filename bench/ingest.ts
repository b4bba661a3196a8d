/**
 * Streaming ingestion benchmark: GloVe (340k × 100) inserted in micro-batches through
 * MemTableWriter with deferred indexing into a local warehouse, against LanceDB's Node SDK
 * adding the same micro-batches, in the same run.
 *
 *   npm run bench:ingest            (or, with a private build: node .build-x/bench/ingest.js)
 *   options: --batch 1000  --rows 340479  --precision f32|f16  --workers 2  --lance-index
 *            --no-index-wait (stop after the ingest; builds are abandoned)
 *            --only ailake|lancedb (run one system, e.g. to profile it)
 *            --fsync on|off|both (default both: ailake runs twice, with and without fsync of the
 *            WAL and data files; LanceDB's add does not fsync) --no-fsync (= --fsync off)
 *
 * Reported: rows/s until every row is committed (durable and visible in a snapshot), and the
 * seconds until every data file carries its HNSW index. LanceDB: rows/s of `table.add` per
 * micro-batch (each add is a durable commit); with --lance-index also its HNSW_SQ build time.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type * as arrow from 'apache-arrow'
import * as lancedb from '@lancedb/lancedb'
import { connect } from '../src/index.js'
import { IndexBuilder, MemTableWriter } from '../src/ingest/index.js'
import { LocalStore } from '../src/store/local-store.js'
import { loadGlove } from './datasets/glove.js'
import { lanceAppend } from './lance.js'
import { fsyncTree, settleDisk } from './measure.js'

// LanceDB 0.31's logger reads LANCEDB_LOG, not RUST_LOG: without it every query warns about `_distance`.
process.env.LANCEDB_LOG ??= 'error'

const { values: args } = parseArgs({
  options: {
    batch: { type: 'string', default: '1000' },
    rows: { type: 'string' },
    precision: { type: 'string', default: 'f32' },
    workers: { type: 'string' },
    'lance-index': { type: 'boolean', default: false },
    'no-fsync': { type: 'boolean', default: false },
    fsync: { type: 'string', default: 'both' },
    'no-index-wait': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
})

const log = (line: string): void => console.error(line)
const ds = await loadGlove(log, { groundTruth: false })
const count = Math.min(ds.count, Number(args.rows ?? ds.count))
const dim = ds.dim
const batchSize = Number(args.batch)
const words = ds.words ?? []
const precision = args.precision as 'f32' | 'f16'
log(`GloVe: ${count} × ${dim}, micro-batches of ${batchSize}`)

// Inputs are prepared before timing, each in the form its library ingests fastest.
const batches: Array<Array<{ id: number; word: string; embedding: Float32Array }>> = []
const arrowBatches: arrow.Table[] = []
for (let start = 0; start < count; start += batchSize) {
  const end = Math.min(count, start + batchSize)
  const rows = []
  for (let i = start; i < end; i++) rows.push({ id: i, word: words[i] ?? String(i), embedding: ds.base.subarray(i * dim, (i + 1) * dim) })
  batches.push(rows)
  if (args.only !== 'ailake') arrowBatches.push(lancedb.makeArrowTable(rows.map((r) => ({ id: r.id, word: r.word, vector: r.embedding }))) as unknown as arrow.Table)
}

async function runAilake(fsync: boolean): Promise<{ ingestS: number; indexedS: number | undefined; files: number; fsync: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'ailake-bench-ingest-'))
  try {
    const lake = await connect(dir, fsync ? {} : { store: new LocalStore({ root: dir, fsync: false }) })
    const table = await lake.createTable('bench.glove', { vector: { column: 'embedding', dim, metric: 'cosine', precision }, schema: { id: 'int', word: 'string' } })
    const builder = new IndexBuilder(args.workers === undefined ? {} : { workers: Number(args.workers) })
    const t0 = performance.now()
    const writer = await MemTableWriter.open(table.core, { indexBuilder: builder })
    for (const rows of batches) await writer.insert(rows)
    await writer.close()
    const ingestS = (performance.now() - t0) / 1000
    log(`ailake: ${ingestS.toFixed(2)} s until committed; waiting for ${builder.pending} index builds ...`)
    let indexedS: number | undefined
    if (!args['no-index-wait']) {
      await builder.waitForIndexes()
      indexedS = (performance.now() - t0) / 1000
    }
    await builder.close()
    await table.refresh()
    const files = await table.files()
    if (indexedS !== undefined && files.some((f) => f.indexStatus !== 'ready')) throw new Error('a file is not indexed after waitForIndexes')
    const rows = files.reduce((n, f) => n + f.rows, 0)
    if (rows !== count) throw new Error(`table holds ${rows} rows, expected ${count}`)
    return { ingestS, indexedS, files: files.length, fsync }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function runLance(): Promise<{ ingestS: number; syncS: number; indexS: number | undefined }> {
  const dir = await mkdtemp(join(tmpdir(), 'lancedb-bench-ingest-'))
  try {
    const db = await lancedb.connect(dir)
    const t0 = performance.now()
    const table = await lanceAppend(db, 'glove', arrowBatches)
    const ingestS = (performance.now() - t0) / 1000
    // LanceDB's local writes are not fsynced; this is what making them durable costs.
    const syncS = await fsyncTree(dir)
    const rows = await table.countRows()
    if (rows !== count) throw new Error(`LanceDB holds ${rows} rows, expected ${count}`)
    let indexS: number | undefined
    if (args['lance-index']) {
      const t1 = performance.now()
      await table.createIndex('vector', { config: lancedb.Index.hnswSq({ distanceType: 'cosine' }) })
      indexS = (performance.now() - t1) / 1000
    }
    table.close()
    db.close()
    return { ingestS, syncS, indexS }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (args.only !== undefined && args.only !== 'ailake' && args.only !== 'lancedb') throw new Error(`--only ${args.only}: expected ailake or lancedb`)
const fsyncMode = args['no-fsync'] ? 'off' : args.fsync
if (fsyncMode !== 'on' && fsyncMode !== 'off' && fsyncMode !== 'both') throw new Error(`--fsync ${fsyncMode}: expected on, off or both`)
const lance = args.only === 'ailake' ? undefined : await runLance()
if (lance !== undefined) log(`LanceDB: ${lance.ingestS.toFixed(2)} s, then fsync of its files ${lance.syncS.toFixed(2)} s`)
settleDisk()
const ailRuns = []
if (args.only !== 'lancedb') {
  for (const fsync of fsyncMode === 'both' ? [true, false] : [fsyncMode === 'on']) {
    const r = await runAilake(fsync)
    log(`ailake (${fsync ? 'fsync' : 'no fsync'}): ${r.ingestS.toFixed(2)} s committed, ${r.indexedS?.toFixed(2) ?? '-'} s indexed`)
    ailRuns.push(r)
    settleDisk()
  }
}

const rate = (s: number): string => Math.round(count / s).toLocaleString('en-US')
console.log(`\nIngest: GloVe ${count} × ${dim}, ${batches.length} micro-batches of ${batchSize}, node ${process.version}`)
console.log('| system | rows/s until committed | s until committed | s until indexed |')
console.log('|---|---|---|---|')
for (const ail of ailRuns) console.log(`| ailake MemTableWriter (WAL, deferIndex, ${precision}, ${ail.files} files${ail.fsync ? ', fsync' : ', no fsync'}) | ${rate(ail.ingestS)} | ${ail.ingestS.toFixed(2)} | ${ail.indexedS?.toFixed(2) ?? 'not waited'} |`)
if (lance !== undefined) console.log(`| LanceDB 0.31.0 table.add (no fsync) | ${rate(lance.ingestS)} | ${lance.ingestS.toFixed(2)} | ${lance.indexS === undefined ? 'not built' : `${lance.indexS.toFixed(2)} (HNSW_SQ, after ingest)`} |`)
if (lance !== undefined) console.log(`| LanceDB table.add, then fsync of its files | ${rate(lance.ingestS + lance.syncS)} | ${(lance.ingestS + lance.syncS).toFixed(2)} | - |`)
if (lance !== undefined) {
  for (const ail of ailRuns) {
    const peer = ail.fsync ? lance.ingestS + lance.syncS : lance.ingestS
    console.log(`\nailake (${ail.fsync ? 'fsync' : 'no fsync'}) / LanceDB (${ail.fsync ? 'add + fsync' : 'add'}), equal durability: ${(peer / ail.ingestS).toFixed(2)}×`)
  }
}
