/**
 * Row-change benchmark (issue 13): on GloVe-100 (340,479 rows, cosine) in the same run as
 * LanceDB's Node SDK, both tables written the same way (35 files / fragments of ~10k rows in id
 * order; ailake indexes each file, LanceDB gets IVF_HNSW_SQ as in bench/search.ts):
 *  - seconds to delete 1% and 10% of rows (random ids, one call each) and to upsert 1% and 10%
 *    of rows (existing ids, re-embedded = perturbed vectors), each on a fresh copy of the table,
 *    median of REPS;
 *  - per SEARCH_DELETES percentage: search q/s and recall@10 (and q/s at recall 0.95,
 *    interpolated over an ef sweep) with those rows deleted, versus the same table without
 *    deletes, and the same again after `optimize()` applied the deletes (ailake: its default
 *    optimize, a k-means layout; LanceDB: compaction + index remap), against exact ground truth
 *    recomputed over the live rows; the optimize times;
 *  - scale check: a SCALE_ROWS-row table (GloVe plus seeded perturbed copies, written as files
 *    of 100k rows via table.add; ids 0..SCALE_ROWS-1 in file order, so each file's id range is
 *    one slice and an IN set of random ids touches every file): a delete of 10,000 ids in one
 *    call (a Set in the object form, and the string `id IN (...)`) and an upsert of 100k rows,
 *    wall time and the snapshots each commits (exactly one per call, or the bench fails).
 *    `PHASES=scale PEERS=0` runs only this.
 *
 *   npm run bench:changes   env: QUERIES=300 REPS=3 PASSES=3 PHASES=changes,search,scale
 *                           SEARCH_DELETES=1,10 (percent) OPTIMIZE_AT=1 (percentages also
 *                           searched after optimize(); empty: none)
 *                           PEERS=0 (skip LanceDB) REBUILD=1 (rebuild the cached tables)
 *                           SCALE_ROWS=1000000 SCALE_INDEXED=1 (also the indexed 100k upsert)
 *
 * Tables are built once into `.cache/bench/changes/pristine/` and copied to a fixed working path
 * before every measured change (Iceberg metadata holds absolute paths, so each table is built at
 * its working path and copied back from the pristine copy).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cpus, totalmem } from 'node:os'
import type * as arrow from 'apache-arrow'
import { connect, type Lakehouse, type Table } from '../src/index.js'
import { LocalStore } from '../src/store/local-store.js'
import { seededRandom } from '../src/util/rng.js'
import { cacheRoot, computeGroundTruth } from './datasets/cache.js'
import { buildLanceIndex, lanceBatch, lanceSearch, type Lance, type LanceTable } from './lance.js'
import { cpuSeconds, fmt, load, log, median, perturbed, qpsAt, sweep as sweepOf, type Point, type Runner, type SweepMode } from './measure.js'
import { loadDataset, type Dataset } from './prepare.js'

// LanceDB 0.31's logger reads LANCEDB_LOG, not RUST_LOG: without it every query warns about `_distance`.
process.env.LANCEDB_LOG ??= 'error'
const QUERIES = Number(process.env.QUERIES ?? 300)
const REPS = Number(process.env.REPS ?? 3)
const PASSES = Number(process.env.PASSES ?? 3)
const PHASES = new Set((process.env.PHASES ?? 'changes,search,scale').split(','))
const PEERS = process.env.PEERS !== '0'
const REBUILD = process.env.REBUILD === '1'
const SCALE_ROWS = Number(process.env.SCALE_ROWS ?? 1_000_000)
const SCALE_INDEXED = process.env.SCALE_INDEXED === '1'
const SEARCH_DELETES = (process.env.SEARCH_DELETES ?? '1,10').split(',').map(Number)
/** Percentages whose search phase also optimizes and searches again (each optimize takes minutes on 2 cores). */
const OPTIMIZE_AT = new Set((process.env.OPTIMIZE_AT ?? '1').split(',').filter((x) => x !== '').map(Number))
const ROWS_PER_FILE = 10_000
const SCALE_ROWS_PER_FILE = 100_000
const K = 10
const AIL_EFS = [12, 16, 20, 24, 32, 48, 64]
/** A clustered table is searched through routing (the nearest few files), so it needs a larger ef for the same recall. */
const AIL_OPT_EFS = [16, 24, 32, 48, 64, 96, 128]
const LANCE_EFS = [32, 64, 128, 256, 384]
const TABLE = 'bench.glove'


const root = join(cacheRoot(), 'bench', 'changes')
const pristine = (name: string): string => join(root, 'pristine', name)
const work = (name: string): string => join(root, 'work', name)

/** Replaces the working copy of `name` by its pristine copy. */
function restore(name: string): void {
  rmSync(work(name), { recursive: true, force: true })
  cpSync(pristine(name), work(name), { recursive: true })
}

/** Builds a table at its working path with `build` unless a complete pristine copy exists, then keeps that copy. */
async function ensureBuilt(name: string, config: object, build: (dir: string) => Promise<void>): Promise<void> {
  const marker = join(pristine(name), '.built.json')
  const want = JSON.stringify(config)
  if (!REBUILD && existsSync(marker) && readFileSync(marker, 'utf8') === want) return
  rmSync(pristine(name), { recursive: true, force: true })
  rmSync(work(name), { recursive: true, force: true })
  mkdirSync(work(name), { recursive: true })
  const t0 = performance.now()
  await build(work(name))
  log(`${name}: built in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  cpSync(work(name), pristine(name), { recursive: true })
  writeFileSync(marker, want)
}

/** `n` distinct ids drawn from [0, count), seeded. */
function pickIds(count: number, n: number, seed: number): number[] {
  const rnd = seededRandom(seed)
  const all = new Int32Array(count)
  for (let i = 0; i < count; i++) all[i] = i
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rnd() * (count - i))
    const t = all[i] as number
    all[i] = all[j] as number
    all[j] = t
  }
  return Array.from(all.subarray(0, n))
}

const vec = (ds: Dataset, i: number): Float32Array => ds.base.subarray(i * ds.dim, (i + 1) * ds.dim)
const word = (ds: Dataset, i: number): string => ds.words?.[i] ?? String(i)

type Row = { id: number; word: string; embedding: Float32Array }

// ---------------------------------------------------------------------------------------------
// Table builds

async function buildAilake(dir: string, rowsOf: (start: number, end: number) => Row[], count: number, perFile: number): Promise<void> {
  const lake = await connect(dir)
  const table = await lake.createTable(TABLE, { vector: { column: 'embedding', dim: 100, metric: 'cosine' }, schema: { id: 'int', word: 'string' } })
  const t0 = performance.now()
  for (let start = 0; start < count; start += perFile) {
    await table.add(rowsOf(start, Math.min(count, start + perFile)), { maxRowsPerFile: perFile })
    log(`ailake: rows ${start}..${Math.min(count, start + perFile)} written (${((performance.now() - t0) / 1000).toFixed(0)} s, load ${load()})`)
  }
  await lake.close()
}

async function buildLance(lancedb: Lance, dir: string, rowsOf: (start: number, end: number) => Row[], count: number, perFile: number, vectorIndex: boolean): Promise<void> {
  const db = await lancedb.connect(dir)
  const table = await db.createTable('glove', lanceBatch(lancedb, rowsOf(0, Math.min(count, perFile)), 100), { mode: 'overwrite' })
  for (let start = perFile; start < count; start += perFile) await table.add(lanceBatch(lancedb, rowsOf(start, Math.min(count, start + perFile)), 100))
  if (vectorIndex) {
    log(`lancedb: IVF_HNSW_SQ index built in ${(await buildLanceIndex(lancedb, table, 'cosine')).toFixed(1)} s`)
  }
  table.close()
  db.close()
}

// ---------------------------------------------------------------------------------------------
// One measured change per fresh copy

type Change =
  /** `sql`: the filter as the string `id IN (...)` (parsed in the call), else a Set in the object form. */
  | { kind: 'delete'; ids: number[]; form?: 'set' | 'sql' }
  | { kind: 'upsert'; rows: Row[]; existing: number; buildIndex?: boolean }

/** `cpu`: this process's user + system CPU seconds over the call (LanceDB's native threads included). */
interface Measured { seconds: number; cpu: number; snapshots: number; operation: string; detail: string; load: string }

async function openAilake(name: string, fsync: boolean): Promise<{ lake: Lakehouse; table: Table }> {
  const dir = work(name)
  const lake = await connect(dir, fsync ? {} : { store: new LocalStore({ root: dir, fsync: false }) })
  return { lake, table: await lake.openTable(TABLE) }
}

/** Applies `change` to a fresh copy of ailake table `name`; checks it made exactly one snapshot and the expected row counts. */
async function ailakeChange(name: string, change: Change, totalRows: number, fsync = true): Promise<Measured> {
  restore(name)
  const { lake, table } = await openAilake(name, fsync)
  try {
    const before = table.history().length
    const l = load()
    let seconds: number
    let cpu: number
    let detail: string
    if (change.kind === 'delete') {
      const where = change.form === 'sql' ? `id IN (${change.ids.join(', ')})` : { column: 'id', op: 'in' as const, values: new Set(change.ids) }
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const r = await table.delete(where)
      seconds = (performance.now() - t0) / 1000
      cpu = cpuSeconds(c0)
      if (r.deleted !== change.ids.length) throw new Error(`ailake delete: ${r.deleted} rows deleted, expected ${change.ids.length}`)
      detail = `${r.deleted} deleted`
    } else {
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const r = await table.upsert(change.rows, change.buildIndex === false ? { on: 'id', buildIndex: false } : { on: 'id' })
      seconds = (performance.now() - t0) / 1000
      cpu = cpuSeconds(c0)
      if (r.updated !== change.existing || r.inserted !== change.rows.length - change.existing) throw new Error(`ailake upsert: ${r.updated} updated / ${r.inserted} inserted, expected ${change.existing} / ${change.rows.length - change.existing}`)
      detail = `${r.updated} updated, ${r.inserted} inserted`
    }
    const history = table.history()
    const last = history[history.length - 1]
    const expectRows = totalRows + (change.kind === 'delete' ? -change.ids.length : change.rows.length - change.existing)
    const live = await table.countRows()
    if (live !== expectRows) throw new Error(`ailake: ${live} live rows after the change, expected ${expectRows}`)
    // Issue 13: one snapshot per call, however many rows it changes.
    if (history.length - before !== 1) throw new Error(`ailake ${change.kind}: ${history.length - before} snapshots committed, expected exactly 1`)
    return { seconds, cpu, snapshots: history.length - before, operation: last?.operation ?? '?', detail, load: l }
  } finally {
    await lake.close()
  }
}

async function lanceChange(lancedb: Lance, name: string, change: Change, totalRows: number, dim: number): Promise<Measured> {
  restore(name)
  const db = await lancedb.connect(work(name))
  const table = await db.openTable('glove')
  try {
    const v0 = await table.version()
    // Inputs are built before timing, as for ailake (its Set, its row objects).
    const predicate = change.kind === 'delete' ? `id IN (${change.ids.join(',')})` : ''
    const data = change.kind === 'upsert' ? lanceBatch(lancedb, change.rows, dim) : undefined
    const l = load()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    if (change.kind === 'delete') await table.delete(predicate)
    else await table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(data as arrow.Table)
    const seconds = (performance.now() - t0) / 1000
    const cpu = cpuSeconds(c0)
    const v1 = await table.version()
    const live = await table.countRows()
    const expectRows = totalRows + (change.kind === 'delete' ? -change.ids.length : change.rows.length - change.existing)
    if (live !== expectRows) throw new Error(`lancedb: ${live} rows after the change, expected ${expectRows}`)
    return { seconds, cpu, snapshots: v1 - v0, operation: change.kind === 'delete' ? 'delete' : 'merge_insert', detail: `${live} rows after`, load: l }
  } finally {
    table.close()
    db.close()
  }
}

interface ChangeRow { label: string; system: string; runs: Measured[] }
const changeRows: ChangeRow[] = []

async function measure(label: string, system: string, run: () => Promise<Measured>, reps = REPS): Promise<ChangeRow> {
  const row: ChangeRow = { label, system, runs: [] }
  for (let r = 0; r < reps; r++) {
    const m = await run()
    row.runs.push(m)
    log(`${system} ${label}: ${m.seconds.toFixed(3)} s (CPU ${m.cpu.toFixed(3)} s), ${m.snapshots} snapshot(s) (${m.operation}), ${m.detail}, load ${m.load}`)
  }
  changeRows.push(row)
  return row
}

// ---------------------------------------------------------------------------------------------
// Search

const query = (ds: Dataset, qi: number): Float32Array => ds.queries.subarray(qi * ds.dim, (qi + 1) * ds.dim)

/** The original ground truth cut to top-K for the first QUERIES queries. */
function fullTruth(ds: Dataset): Int32Array {
  const out = new Int32Array(QUERIES * K)
  for (let q = 0; q < QUERIES; q++) out.set(ds.groundTruth.subarray(q * ds.gtK, q * ds.gtK + K), q * K)
  return out
}

/**
 * Exact top-K over the live rows (brute force in 2 workers, bench/gt-worker.ts), checked against
 * the independent derivation "the first K live ids of the stored top-100" (valid whenever at
 * least K of a query's top-100 survive).
 */
async function liveTruth(ds: Dataset, deleted: Uint8Array): Promise<Int32Array> {
  const live: number[] = []
  for (let i = 0; i < ds.count; i++) if (deleted[i] === 0) live.push(i)
  const liveBase = new Float32Array(live.length * ds.dim)
  live.forEach((id, j) => liveBase.set(vec(ds, id), j * ds.dim))
  const t0 = performance.now()
  const gt = await computeGroundTruth(liveBase, ds.dim, ds.metric, ds.queries.slice(0, QUERIES * ds.dim), K, 2)
  const ids = gt.ids.map((j) => live[j] as number)
  let differ = 0
  for (let q = 0; q < QUERIES; q++) {
    const derived: number[] = []
    for (let j = 0; j < ds.gtK && derived.length < K; j++) {
      const id = ds.groundTruth[q * ds.gtK + j] as number
      if (deleted[id] === 0) derived.push(id)
    }
    const exact = new Set(ids.subarray(q * K, (q + 1) * K))
    if (derived.length < K || derived.some((id) => !exact.has(id))) differ++
  }
  log(`live ground truth: ${QUERIES} queries over ${live.length} live rows in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${differ} queries differ from the filtered top-${ds.gtK}`)
  if (differ > 0) throw new Error(`live ground truth disagrees with the filtered stored ground truth on ${differ} queries`)
  return ids
}

const sweep = (efs: number[], modes: Record<string, SweepMode>): Promise<Record<string, Point[]>> => sweepOf(efs, modes, { queries: QUERIES, passes: PASSES, k: K })

const searchTables: string[] = []
/** Optimize runs of the search phase: what each did and how long it took. */
const optimizeLines: string[] = []
let crossChecked = false

async function searchPhase(ds: Dataset, lancedb: Lance | undefined, pct: number, deleteIds: number[]): Promise<void> {
  const deleted = new Uint8Array(ds.count)
  for (const id of deleteIds) deleted[id] = 1
  const truthAll = fullTruth(ds)
  const truthLive = await liveTruth(ds, deleted)
  const del = `${pct}% deleted`
  const names = {
    ailBefore: 'ailake, no deletes (current snapshot, before the delete)',
    ailAsOf: 'ailake, no deletes (asOf the snapshot before)',
    ailDeleted: `ailake, ${del}`,
    ailOptimized: `ailake, ${del}, after optimize()`,
    lanceNone: 'LanceDB IVF_HNSW_SQ, no deletes',
    lanceDeleted: `LanceDB IVF_HNSW_SQ, ${del}`,
    lanceOptimized: `LanceDB IVF_HNSW_SQ, ${del}, after optimize()`,
  }

  // ailake: the same table before (asOf the snapshot before the delete) and after the delete, interleaved.
  restore('glove-ailake')
  const { lake, table } = await openAilake('glove-ailake', true)
  const run = (asOf?: bigint): Runner => async (qi, ef) => {
    let b = table.search(query(ds, qi)).ef(ef).select(['id'])
    if (asOf !== undefined) b = b.asOf(asOf)
    return (await b.toArray()).map((r) => r.id as number)
  }
  // Cross-check of asOf: the current snapshot before any delete (once; the table is the same for every percentage).
  const all: Record<string, Point[]> = crossChecked ? {} : await sweep(AIL_EFS, { [names.ailBefore]: { run: run(), truth: truthAll } })
  crossChecked = true
  const before = table.currentSnapshotId as bigint
  const d = await table.delete({ column: 'id', op: 'in', values: new Set(deleteIds) })
  if (d.deleted !== deleteIds.length) throw new Error(`search phase: ${d.deleted} deleted, expected ${deleteIds.length}`)
  Object.assign(all, await sweep(AIL_EFS, {
    [names.ailAsOf]: { run: run(before), truth: truthAll },
    [names.ailDeleted]: { run: run(), truth: truthLive, deleted },
  }))
  if (OPTIMIZE_AT.has(pct)) {
    const l = load()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    let phase = ''
    const r = await table.optimize({
      onProgress: (p) => {
        if (p.phase !== phase) log(`ailake optimize: ${p.phase} (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
        phase = p.phase
      },
    })
    const seconds = (performance.now() - t0) / 1000
    const cpu = cpuSeconds(c0)
    if (r.deletedRowsRemoved !== deleteIds.length || r.rowsAfter !== ds.count - deleteIds.length) throw new Error(`ailake optimize: ${r.deletedRowsRemoved} deleted rows removed, ${r.rowsAfter} rows after; expected ${deleteIds.length} / ${ds.count - deleteIds.length}`)
    if (await table.countRows() !== ds.count - deleteIds.length) throw new Error('ailake: wrong row count after optimize')
    optimizeLines.push(`| ${del} | ailake optimize() | ${fmt(seconds)} | ${fmt(cpu)} | ${r.mode}: ${r.filesBefore} -> ${r.filesAfter} files, ${r.clusters} clusters, ${r.deletedRowsRemoved} deleted rows dropped, ${r.rowsRewritten} rows rewritten | ${l} |`)
    log(`ailake optimize: ${seconds.toFixed(1)} s (CPU ${cpu.toFixed(1)} s), ${r.mode}, ${r.filesBefore} -> ${r.filesAfter} files, ${r.clusters} clusters`)
    Object.assign(all, await sweep(AIL_OPT_EFS, { [names.ailOptimized]: { run: run(), truth: truthLive, deleted } }))
  }
  await lake.close()

  if (lancedb !== undefined) {
    restore('glove-lance')
    const db = await lancedb.connect(work('glove-lance'))
    const lt: LanceTable = await db.openTable('glove')
    const lrun: Runner = (qi, ef) => lanceSearch(lt, query(ds, qi), 'cosine', K, ef)
    Object.assign(all, await sweep(LANCE_EFS, { [names.lanceNone]: { run: lrun, truth: truthAll } }))
    await lt.delete(`id IN (${deleteIds.join(',')})`)
    if (await lt.countRows() !== ds.count - deleteIds.length) throw new Error('lancedb: wrong row count after the delete')
    Object.assign(all, await sweep(LANCE_EFS, { [names.lanceDeleted]: { run: lrun, truth: truthLive, deleted } }))
    if (OPTIMIZE_AT.has(pct)) {
      const l = load()
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const r = await lt.optimize()
      const seconds = (performance.now() - t0) / 1000
      const cpu = cpuSeconds(c0)
      if (await lt.countRows() !== ds.count - deleteIds.length) throw new Error('lancedb: wrong row count after optimize')
      optimizeLines.push(`| ${del} | LanceDB optimize() | ${fmt(seconds)} | ${fmt(cpu)} | compaction: ${r.compaction.fragmentsRemoved} -> ${r.compaction.fragmentsAdded} fragments; ${r.prune.oldVersionsRemoved} old versions pruned | ${l} |`)
      log(`lancedb optimize: ${seconds.toFixed(1)} s (CPU ${cpu.toFixed(1)} s), ${r.compaction.fragmentsRemoved} -> ${r.compaction.fragmentsAdded} fragments`)
      Object.assign(all, await sweep(LANCE_EFS, { [names.lanceOptimized]: { run: lrun, truth: truthLive, deleted } }))
    }
    lt.close()
    db.close()
  }

  const lines: string[] = []
  lines.push(`\nSearch with ${del} (${deleteIds.length} ids): ${QUERIES} queries, k=${K}, one at a time, best of ${PASSES} interleaved passes; recall against exact top-${K} of the rows live in the searched snapshot\n`)
  lines.push('| system | ef | queries/s | queries per CPU-s | recall@10 | results < k | deleted rows returned |')
  lines.push('|---|---:|---:|---:|---:|---:|---:|')
  for (const [name, points] of Object.entries(all)) for (const p of points) lines.push(`| ${name} | ${p.setting} | ${p.qps.toFixed(0)} | ${p.cpuQps.toFixed(0)} | ${p.recall.toFixed(3)} | ${p.short} | ${p.deletedHits} |`)
  lines.push('\n| system | q/s at recall@10 0.95 (interpolated) | queries per CPU-s at 0.95 | best recall@10 |')
  lines.push('|---|---:|---:|---:|')
  for (const [name, points] of Object.entries(all)) lines.push(`| ${name} | ${qpsAt(points)?.toFixed(0) ?? 'not reached'} | ${qpsAt(points, 'cpuQps')?.toFixed(0) ?? 'not reached'} | ${Math.max(...points.map((p) => p.recall)).toFixed(3)} |`)
  const ratio = (x: string, y: string): string => {
    const r = (of: 'qps' | 'cpuQps'): string => {
      const a = qpsAt(all[x] ?? [], of)
      const b = qpsAt(all[y] ?? [], of)
      return a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`
    }
    return `${r('qps')} by wall time, ${r('cpuQps')} by CPU time`
  }
  lines.push('\nAt recall@10 0.95:')
  lines.push(`- ailake ${del} / no deletes (asOf): ${ratio(names.ailDeleted, names.ailAsOf)} (goal >= 0.9x)`)
  lines.push(`- ailake / LanceDB, both with ${del}: ${ratio(names.ailDeleted, names.lanceDeleted)}`)
  lines.push(`- LanceDB ${del} / no deletes: ${ratio(names.lanceDeleted, names.lanceNone)}`)
  if (OPTIMIZE_AT.has(pct)) {
    lines.push(`- ailake / LanceDB, both after optimize(): ${ratio(names.ailOptimized, names.lanceOptimized)}`)
    lines.push(`- ailake after optimize() / before (${del}): ${ratio(names.ailOptimized, names.ailDeleted)}`)
    lines.push(`- LanceDB after optimize() / before (${del}): ${ratio(names.lanceOptimized, names.lanceDeleted)}`)
  }
  searchTables.push(lines.join('\n'))
}

// ---------------------------------------------------------------------------------------------

function printChanges(title: string, rows: ChangeRow[]): void {
  console.log(`\n${title}\n`)
  console.log('| change | system | median s | ours / LanceDB (median s) | runs (s) | median CPU s | snapshots per call | operation | load (1/5/15 min) at first run |')
  console.log('|---|---|---:|---:|---|---:|---:|---|---|')
  const secs = (r: ChangeRow): number => median(r.runs.map((m) => m.seconds))
  for (const r of rows) {
    const snaps = [...new Set(r.runs.map((m) => m.snapshots))].join(', ')
    const peer = r.system.startsWith('ailake') ? rows.find((x) => x.label === r.label && x.system.startsWith('LanceDB')) : undefined
    const ratio = peer === undefined ? '' : `${(secs(r) / secs(peer)).toFixed(2)}x`
    console.log(`| ${r.label} | ${r.system} | ${fmt(secs(r))} | ${ratio} | ${r.runs.map((m) => m.seconds.toFixed(3)).join(', ')} | ${fmt(median(r.runs.map((m) => m.cpu)))} | ${snaps} | ${r.runs[0]?.operation ?? ''} | ${r.runs[0]?.load ?? ''} |`)
  }
}

const startMs = performance.now()
const startLoad = load()
const ds = await loadDataset('glove-100', log)
const lancedb: Lance | undefined = PEERS ? await import('@lancedb/lancedb') : undefined
log(`GloVe ${ds.count} x ${ds.dim}; load ${load()}`)
const gloveRows = (start: number, end: number): Row[] => {
  const rows: Row[] = []
  for (let i = start; i < end; i++) rows.push({ id: i, word: word(ds, i), embedding: vec(ds, i) })
  return rows
}
const N = ds.count
const del1 = pickIds(N, Math.round(N * 0.01), 1301)
const del10 = pickIds(N, Math.round(N * 0.1), 1310)
/** Existing ids re-embedded: the same rows with perturbed vectors. */
const reembedded = (n: number, seed: number): Row[] => pickIds(N, n, seed).map((id) => ({ id, word: word(ds, id), embedding: perturbed(vec(ds, id), 7_000_000 + id) }))
const upsert1 = reembedded(Math.round(N * 0.01), 1321)
const upsert10 = reembedded(Math.round(N * 0.1), 1320)
/** The search phase's deletes: the change phase's id lists for 1% and 10%, seeded picks otherwise. */
const searchDeletes = (pct: number): number[] => pct === 1 ? del1 : pct === 10 ? del10 : pickIds(N, Math.round(N * pct / 100), 1400 + pct)

if (PHASES.has('changes') || PHASES.has('search')) {
  await ensureBuilt('glove-ailake', { rows: N, perFile: ROWS_PER_FILE }, (dir) => buildAilake(dir, gloveRows, N, ROWS_PER_FILE))
  if (lancedb !== undefined) await ensureBuilt('glove-lance', { rows: N, perFile: ROWS_PER_FILE, index: 'hnswSq m16 ef200' }, (dir) => buildLance(lancedb, dir, gloveRows, N, ROWS_PER_FILE, true))
}

/** A failing phase is reported at the end; the others still run. */
const failures: string[] = []
async function phase(name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run()
  } catch (err) {
    log(`${name} FAILED: ${err instanceof Error ? err.stack ?? err.message : String(err)}`)
    failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

if (PHASES.has('changes')) await phase('changes', async () => {
  const cases: Array<[string, Change]> = [
    [`delete 1% (${del1.length} ids)`, { kind: 'delete', ids: del1 }],
    [`delete 10% (${del10.length} ids)`, { kind: 'delete', ids: del10 }],
    [`upsert 1% (${upsert1.length} existing ids, new vectors)`, { kind: 'upsert', rows: upsert1, existing: upsert1.length }],
    [`upsert 10% (${upsert10.length} existing ids, new vectors)`, { kind: 'upsert', rows: upsert10, existing: upsert10.length }],
  ]
  // One unmeasured change per system first: the first call in the process pays for module and wasm compilation.
  await ailakeChange('glove-ailake', { kind: 'delete', ids: del1 }, N)
  if (lancedb !== undefined) await lanceChange(lancedb, 'glove-lance', { kind: 'delete', ids: del1 }, N, ds.dim)
  for (const [label, change] of cases) {
    if (lancedb !== undefined) await measure(label, 'LanceDB 0.31', () => lanceChange(lancedb, 'glove-lance', change, N, ds.dim))
    await measure(label, 'ailake', () => ailakeChange('glove-ailake', change, N))
    // fsync matters for a delete (small files, little else to do); an upsert's time is its index build.
    if (change.kind === 'delete') await measure(label, 'ailake, no fsync', () => ailakeChange('glove-ailake', change, N, false))
    else await measure(label, 'ailake, buildIndex: false', () => ailakeChange('glove-ailake', { ...change, buildIndex: false }, N))
  }
})

if (PHASES.has('search')) for (const pct of SEARCH_DELETES) await phase(`search with ${pct}% deleted`, () => searchPhase(ds, lancedb, pct, searchDeletes(pct)))

const scaleRows: ChangeRow[] = []
if (PHASES.has('scale')) await phase('scale', async () => {
  // Row j is GloVe row j % N, perturbed (seeded by j) for j >= N; ids 0..SCALE_ROWS-1.
  const scaleVec = (j: number): Float32Array => j < N ? vec(ds, j) : perturbed(vec(ds, j % N), j)
  const rowsOf = (start: number, end: number): Row[] => {
    const rows: Row[] = []
    for (let j = start; j < end; j++) rows.push({ id: j, word: `${word(ds, j % N)}#${Math.floor(j / N)}`, embedding: scaleVec(j) })
    return rows
  }
  const config = { rows: SCALE_ROWS, perFile: SCALE_ROWS_PER_FILE }
  await ensureBuilt('scale-ailake', config, (dir) => buildAilake(dir, rowsOf, SCALE_ROWS, SCALE_ROWS_PER_FILE))
  if (lancedb !== undefined) await ensureBuilt('scale-lance', { ...config, index: 'none' }, (dir) => buildLance(lancedb, dir, rowsOf, SCALE_ROWS, SCALE_ROWS_PER_FILE, false))
  const del = pickIds(SCALE_ROWS, 10_000, 2310)
  // 90,000 existing ids with new vectors, 10,000 new ids.
  const ups: Row[] = pickIds(SCALE_ROWS, 90_000, 2320).map((id) => ({ id, word: `u${id}`, embedding: perturbed(scaleVec(id), 9_000_000 + id) }))
  for (let i = 0; i < 10_000; i++) ups.push({ id: SCALE_ROWS + i, word: `new${i}`, embedding: perturbed(vec(ds, i), 8_000_000 + i) })
  const before = changeRows.length
  try {
    if (lancedb !== undefined) await measure('delete 10,000 ids', 'LanceDB 0.31 (no vector index)', () => lanceChange(lancedb, 'scale-lance', { kind: 'delete', ids: del }, SCALE_ROWS, ds.dim))
    await measure('delete 10,000 ids', 'ailake', () => ailakeChange('scale-ailake', { kind: 'delete', ids: del }, SCALE_ROWS))
    await measure('delete 10,000 ids', 'ailake, no fsync', () => ailakeChange('scale-ailake', { kind: 'delete', ids: del }, SCALE_ROWS, false))
    await measure('delete 10,000 ids as `id IN (...)`', 'ailake', () => ailakeChange('scale-ailake', { kind: 'delete', ids: del, form: 'sql' }, SCALE_ROWS))
    const upsert: Change = { kind: 'upsert', rows: ups, existing: 90_000 }
    if (lancedb !== undefined) await measure('upsert 100k (90k existing, 10k new)', 'LanceDB 0.31 (no vector index)', () => lanceChange(lancedb, 'scale-lance', upsert, SCALE_ROWS, ds.dim))
    await measure('upsert 100k (90k existing, 10k new)', 'ailake, buildIndex: false', () => ailakeChange('scale-ailake', { ...upsert, buildIndex: false }, SCALE_ROWS))
    if (SCALE_INDEXED) await measure('upsert 100k (90k existing, 10k new)', 'ailake (index built in the call)', () => ailakeChange('scale-ailake', upsert, SCALE_ROWS), 1)
  } finally {
    scaleRows.push(...changeRows.splice(before))
  }
})

console.log(`\nGloVe-100 ${N} x ${ds.dim}, cosine; ailake and LanceDB tables of 35 files / fragments of ~10k rows; each change on a fresh copy`)
console.log(`Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load (1/5/15 min) at start ${startLoad}, at end ${load()}; ${((performance.now() - startMs) / 60_000).toFixed(1)} min`)
if (changeRows.length > 0) printChanges(`Row changes on GloVe ${N} rows (median of ${REPS})`, changeRows)
for (const s of searchTables) console.log(s)
if (optimizeLines.length > 0) {
  console.log('\nOptimize after the search phase\'s delete (one run each)\n')
  console.log('| deletes | call | s | CPU s | what it did | load (1/5/15 min) before |')
  console.log('|---|---|---:|---:|---|---|')
  for (const l of optimizeLines) console.log(l)
}
if (failures.length > 0) console.log(`\nFAILED phases:\n${failures.map((f) => `- ${f}`).join('\n')}`)
if (scaleRows.length > 0) printChanges(`Scale: ${SCALE_ROWS} rows in ${SCALE_ROWS / SCALE_ROWS_PER_FILE} files of ${SCALE_ROWS_PER_FILE} (median of ${REPS}${SCALE_INDEXED ? '; the indexed upsert once' : ''})`, scaleRows)
