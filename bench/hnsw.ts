/**
 * HNSW benchmark: ailake's HnswIndex against hnswlib-node (C++), same M / efConstruction, one
 * thread, same process, on the prepared real data sets (see bench/prepare.ts). Reports build
 * time, serialised size, and recall@10 / queries per second over an ef sweep, with ratios.
 *
 *   npm run bench:hnsw [-- --datasets glove-100,fashion-mnist]
 *   npm run bench:hnsw -- --build-only --limit 50000 --datasets glove-100   (build times only)
 */
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import hnswlib from 'hnswlib-node'
import { HnswIndex } from '../src/vector-index/hnsw.js'
import { neighbourListBytes } from '../src/vector-index/hnsw-codec.js'
import { loadDataset, DATASETS } from './prepare.js'
import type { DatasetName, Dataset } from './prepare.js'

const M = 16
const EF_CONSTRUCTION = 200
const K = 10
const EF_SWEEP = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384]
const ROUNDS = 3
const BUILD_ONLY = process.argv.includes('--build-only')
const LIMIT = Number(arg('limit') ?? Infinity)
if (!BUILD_ONLY && LIMIT !== Infinity) throw new Error('--limit needs --build-only (ground truth is for the full base)')

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

interface Point { ef: number; recall: number; qps: number }

function recallAt(ds: Dataset, q: number, ids: ArrayLike<number>): number {
  let hit = 0
  const gt = new Set(ds.groundTruth.subarray(q * ds.gtK, q * ds.gtK + K))
  for (let i = 0; i < Math.min(K, ids.length); i++) if (gt.has(ids[i] as number)) hit++
  return hit / K
}

/** QPS at a target recall, interpolated linearly between the sweep points around it. */
function qpsAtRecall(points: Point[], target: number): number | null {
  const sorted = [...points].sort((a, b) => a.recall - b.recall)
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i] as Point
    if (p.recall >= target) {
      const prev = sorted[i - 1]
      if (prev === undefined || p.recall === prev.recall) return p.qps
      const t = (target - prev.recall) / (p.recall - prev.recall)
      return prev.qps + t * (p.qps - prev.qps)
    }
  }
  return null
}

type Searcher = (q: number, ef: number) => ArrayLike<number>

/** One timed pass over all queries at one ef. */
function pass(ds: Dataset, search: Searcher, ef: number): Point {
  let recall = 0
  const results: ArrayLike<number>[] = []
  const t = performance.now()
  for (let q = 0; q < ds.queryCount; q++) results.push(search(q, ef))
  const sec = (performance.now() - t) / 1000
  for (let q = 0; q < ds.queryCount; q++) recall += recallAt(ds, q, results[q] as ArrayLike<number>)
  return { ef, recall: recall / ds.queryCount, qps: ds.queryCount / sec }
}

/**
 * The ef sweep for both indexes, interleaved: at each ef the two run alternately for
 * ROUNDS passes and each keeps its best QPS, so load from other processes on the machine
 * hits both sides alike instead of skewing the ratio.
 */
function sweep(ds: Dataset, ours: Searcher, peer: Searcher): [Point[], Point[]] {
  const a: Point[] = []
  const b: Point[] = []
  for (const ef of EF_SWEEP) {
    for (let q = 0; q < Math.min(50, ds.queryCount); q++) {
      ours(q, ef)
      peer(q, ef)
    }
    let pa: Point | null = null
    let pb: Point | null = null
    for (let r = 0; r < ROUNDS; r++) {
      const x = pass(ds, ours, ef)
      const y = pass(ds, peer, ef)
      if (pa === null || x.qps > pa.qps) pa = x
      if (pb === null || y.qps > pb.qps) pb = y
    }
    a.push(pa as Point)
    b.push(pb as Point)
    console.error(`ef ${ef}: ailake recall ${(pa as Point).recall.toFixed(4)} qps ${(pa as Point).qps.toFixed(0)} | hnswlib recall ${(pb as Point).recall.toFixed(4)} qps ${(pb as Point).qps.toFixed(0)}`)
  }
  return [a, b]
}

async function benchDataset(name: DatasetName): Promise<Record<string, unknown>> {
  const full = await loadDataset(name, { groundTruth: !BUILD_ONLY })
  // --limit N indexes only the first N base vectors; it is for build-time checks (--build-only),
  // since the cached ground truth is for the full base.
  const ds = LIMIT < full.count ? { ...full, count: LIMIT, base: full.base.subarray(0, LIMIT * full.dim) } : full
  const { dim, count, metric } = ds
  console.error(`\n## ${name}: ${count} x ${dim}, ${metric}, ${ds.queryCount} queries`)
  const queries: Float32Array[] = []
  for (let q = 0; q < ds.queryCount; q++) queries.push(ds.queries.subarray(q * dim, (q + 1) * dim))

  // Wall time and this process's CPU time: on a shared machine CPU time is the steadier measure.
  let t = performance.now()
  let c = process.cpuUsage().user
  const ours = HnswIndex.build(ds.base, { metric, dim, M, efConstruction: EF_CONSTRUCTION })
  const oursBuild = (performance.now() - t) / 1000
  const oursBuildCpu = (process.cpuUsage().user - c) / 1e6
  console.error(`ailake build ${oursBuild.toFixed(1)} s wall, ${oursBuildCpu.toFixed(1)} s CPU (wasm: ${ours.usesWasm})`)
  const bytes = ours.serialize()
  // Upper lists = total of node levels, in the header at 32; the size is compared with the
  // fixed-stride lists the traversal holds in memory (what format version 1 stored).
  const levelsSum = new DataView(bytes.buffer, bytes.byteOffset).getUint32(32, true)
  const listBytes = neighbourListBytes(count, M, levelsSum)

  const space = metric === 'cosine' ? 'cosine' : metric === 'euclidean' ? 'l2' : 'ip'
  const peer = new hnswlib.HierarchicalNSW(space, dim)
  peer.initIndex(count, M, EF_CONSTRUCTION, 100)
  t = performance.now()
  c = process.cpuUsage().user
  for (let i = 0; i < count; i++) peer.addPoint(Array.from(ds.base.subarray(i * dim, (i + 1) * dim)), i)
  const peerBuild = (performance.now() - t) / 1000
  const peerBuildCpu = (process.cpuUsage().user - c) / 1e6
  console.error(`hnswlib-node build ${peerBuild.toFixed(1)} s wall, ${peerBuildCpu.toFixed(1)} s CPU`)
  const tmp = mkdtempSync(join(tmpdir(), 'ailake-bench-'))
  peer.writeIndexSync(join(tmp, 'peer.bin'))
  const peerBytes = statSync(join(tmp, 'peer.bin')).size
  rmSync(tmp, { recursive: true, force: true })
  if (BUILD_ONLY) {
    return { name, count, dim, metric, oursBuild, peerBuild, oursBuildCpu, peerBuildCpu, buildCpuRatio: oursBuildCpu / peerBuildCpu, buildRatio: oursBuild / peerBuild }
  }
  const qArrays = queries.map((q) => Array.from(q))
  let peerEf = -1
  const [oursPoints, peerPoints] = sweep(ds, (q, ef) => ours.search(queries[q] as Float32Array, K, { ef }).ids, (q, ef) => {
    if (ef !== peerEf) peer.setEf((peerEf = ef))
    return peer.searchKnn(qArrays[q] as number[], K).neighbors
  })

  const oursAt = qpsAtRecall(oursPoints, 0.95)
  const peerAt = qpsAtRecall(peerPoints, 0.95)
  return {
    name, count, dim, metric, queries: ds.queryCount, M, efConstruction: EF_CONSTRUCTION,
    oursBuild, peerBuild, buildRatio: oursBuild / peerBuild, oursBuildCpu, peerBuildCpu, buildCpuRatio: oursBuildCpu / peerBuildCpu,
    oursBytes: bytes.length, listBytes, sizeRatio: bytes.length / listBytes, peerBytes,
    oursPoints, peerPoints, oursQps95: oursAt, peerQps95: peerAt,
    qpsRatio95: oursAt !== null && peerAt !== null ? oursAt / peerAt : null,
    maxRecallOurs: Math.max(...oursPoints.map((p) => p.recall)),
    maxRecallPeer: Math.max(...peerPoints.map((p) => p.recall)),
  }
}

function fmt(n: number | null, d = 1): string {
  return n === null ? 'n/a' : n.toFixed(d)
}

const names = (arg('datasets')?.split(',') ?? DATASETS) as DatasetName[]
const results: Record<string, unknown>[] = []
for (const name of names) results.push(await benchDataset(name))
if (BUILD_ONLY) {
  for (const r of results) console.log(JSON.stringify(r))
  process.exit(0)
}

console.log(`\nHNSW benchmark, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, M=${M}, efConstruction=${EF_CONSTRUCTION}, k=${K}, one thread\n`)
console.log('| data set | build s wall (ailake / hnswlib) | ratio | build s CPU | CPU ratio | serialised MB (ailake / lists / hnswlib file) | size / lists | max recall@10 (ailake / hnswlib) | QPS @ recall 0.95 (ailake / hnswlib) | ratio |')
console.log('|---|---|---|---|---|---|---|---|---|---|')
for (const r of results as Array<Record<string, number | null | string>>) {
  const mb = (x: unknown) => ((x as number) / 1e6).toFixed(1)
  console.log(`| ${r.name} (${r.count} x ${r.dim}, ${r.metric}) | ${fmt(r.oursBuild as number)} / ${fmt(r.peerBuild as number)} | ${fmt(r.buildRatio as number, 2)} | ${fmt(r.oursBuildCpu as number)} / ${fmt(r.peerBuildCpu as number)} | ${fmt(r.buildCpuRatio as number, 2)} | ${mb(r.oursBytes)} / ${mb(r.listBytes)} / ${mb(r.peerBytes)} | ${fmt(r.sizeRatio as number, 3)} | ${fmt(r.maxRecallOurs as number, 3)} / ${fmt(r.maxRecallPeer as number, 3)} | ${fmt(r.oursQps95 as number | null, 0)} / ${fmt(r.peerQps95 as number | null, 0)} | ${fmt(r.qpsRatio95 as number | null, 2)} |`)
}
for (const r of results as Array<Record<string, unknown>>) {
  console.log(`\n${r.name as string}: ef sweep (recall@10, QPS)\n`)
  console.log('| ef | ailake recall | ailake QPS | hnswlib recall | hnswlib QPS |')
  console.log('|---|---|---|---|---|')
  const a = r.oursPoints as Point[]
  const b = r.peerPoints as Point[]
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as Point
    const q = b[i] as Point
    console.log(`| ${p.ef} | ${p.recall.toFixed(3)} | ${p.qps.toFixed(0)} | ${q.recall.toFixed(3)} | ${q.qps.toFixed(0)} |`)
  }
}
mkdirSync(join(process.cwd(), '.cache', 'bench'), { recursive: true })
writeFileSync(join(process.cwd(), '.cache', 'bench', 'hnsw-results.json'), JSON.stringify(results, null, 2))
