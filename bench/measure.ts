/**
 * Measurement helpers shared by the table benchmarks (bench/changes.ts, bench/optimize.ts):
 * logging with the machine load, CPU time, recall against ground truth, interleaved q/s sweeps
 * and the q/s at a target recall, seeded perturbed copies of data-set rows.
 */
import { execFileSync } from 'node:child_process'
import { open, readdir } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { seededRandom } from '../src/util/rng.js'

export const log = (s: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`)
/** The 1, 5 and 15-minute load averages. */
export const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' / ')
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] as number : ((s[m - 1] as number) + (s[m] as number)) / 2
}
/** This process's user + system CPU seconds since `since` (native threads included). */
export const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since)
  return (u.user + u.system) / 1e6
}
/**
 * fsyncs every file and directory under `dir` (what a peer that does not fsync must still do
 * before its writes survive a machine crash); seconds taken. Timing a peer's writes plus this
 * compares it with ailake's fsynced writes at equal durability.
 */
export async function fsyncTree(dir: string): Promise<number> {
  const t0 = performance.now()
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name))
      else if (e.isFile()) await syncPath(join(d, e.name))
    }
    await syncPath(d)
  }
  await walk(dir)
  return (performance.now() - t0) / 1000
}

async function syncPath(path: string): Promise<void> {
  const h = await open(path, 'r')
  try { await h.sync() } finally { await h.close() }
}

/**
 * Writes back every dirty page of the machine (`sync`), so the next measured phase does not pay
 * for the previous one's deferred writeback (a peer that skips fsync leaves its data to the
 * kernel, which then competes with the next writer's fsyncs for the disk).
 */
export function settleDisk(): void {
  execFileSync('sync')
}

export const fmt = (s: number): string => s < 10 ? s.toFixed(3) : s.toFixed(1)

/** Recall@k of `got` for query `qi` against `truth`, which holds `k` ids per query. */
export function recallOf(truth: Int32Array, qi: number, got: readonly number[], k: number): number {
  const t = new Set(truth.subarray(qi * k, (qi + 1) * k))
  let hit = 0
  for (let j = 0; j < got.length && j < k; j++) if (t.has(got[j] as number)) hit++
  return hit / k
}

/**
 * One setting of a sweep. `setting` is what the runner was given (an ef, or a beam factor);
 * `qps` by wall time, `cpuQps` queries per CPU-second of this process (robust to other load on
 * the machine); `extra` averages what the runner reported per query (e.g. files searched).
 */
export interface Point { setting: number; qps: number; cpuQps: number; recall: number; short: number; deletedHits: number; extra: number }

/** Runs one query; returns the ids found and optionally a per-query figure to average (`extra`). */
export type Runner = (qi: number, setting: number) => Promise<number[] | { ids: number[]; extra: number }>

export interface SweepMode { run: Runner; truth: Int32Array; deleted?: Uint8Array }
export interface SweepOptions { queries: number; passes: number; k: number; label?: string }

/** Runs `modes` interleaved over `settings`, `passes` times each, keeping each point's best pass. */
export async function sweep(settings: number[], modes: Record<string, SweepMode>, o: SweepOptions): Promise<Record<string, Point[]>> {
  const out: Record<string, Point[]> = {}
  for (const name of Object.keys(modes)) out[name] = []
  // A full warm-up pass per mode first: the first timed setting otherwise pays for loads and GC.
  for (const m of Object.values(modes)) for (let qi = 0; qi < o.queries; qi++) await m.run(qi, settings[0] as number)
  for (let pass = 0; pass < o.passes; pass++) {
    for (const setting of settings) {
      for (const [name, m] of Object.entries(modes)) {
        for (let qi = 0; qi < Math.min(50, o.queries); qi++) await m.run(qi, setting)
        let recall = 0
        let short = 0
        let deletedHits = 0
        let extra = 0
        const c0 = process.cpuUsage()
        const t0 = performance.now()
        for (let qi = 0; qi < o.queries; qi++) {
          const r = await m.run(qi, setting)
          const ids = Array.isArray(r) ? r : r.ids
          if (!Array.isArray(r)) extra += r.extra
          recall += recallOf(m.truth, qi, ids, o.k)
          if (ids.length < o.k) short++
          if (m.deleted !== undefined) for (const id of ids) if (m.deleted[id] === 1) deletedHits++
        }
        const qps = o.queries / ((performance.now() - t0) / 1000)
        const cpuQps = o.queries / cpuSeconds(c0)
        const points = out[name] as Point[]
        const prev = points.find((p) => p.setting === setting)
        if (prev === undefined) points.push({ setting, qps, cpuQps, recall: recall / o.queries, short, deletedHits, extra: extra / o.queries })
        else {
          // Best pass, separately for wall and CPU time (other jobs on the machine only slow a pass down).
          prev.qps = Math.max(prev.qps, qps)
          prev.cpuQps = Math.max(prev.cpuQps, cpuQps)
          prev.short = Math.max(prev.short, short)
          prev.deletedHits = Math.max(prev.deletedHits, deletedHits)
        }
        log(`${name} ${o.label ?? 'ef'} ${setting} pass ${pass + 1}: ${qps.toFixed(0)} q/s (${cpuQps.toFixed(0)} per CPU-s), recall ${(recall / o.queries).toFixed(3)}${short > 0 ? `, ${short} short` : ''}${deletedHits > 0 ? `, ${deletedHits} DELETED ROWS RETURNED` : ''} (load ${load()})`)
      }
    }
  }
  return out
}

/** q/s at `target` recall, linear between the two sweep points around it (undefined when not reached). */
export function qpsAt(points: Point[], of: 'qps' | 'cpuQps' = 'qps', target = 0.95): number | undefined {
  const s = [...points].sort((a, b) => a.recall - b.recall)
  for (let i = 0; i < s.length; i++) {
    const p = s[i] as Point
    if (p.recall < target) continue
    if (i === 0) return p[of]
    const lo = s[i - 1] as Point
    return lo[of] + (p[of] - lo[of]) * (target - lo.recall) / (p.recall - lo.recall)
  }
  return undefined
}

/**
 * The first point, in sweep order (settings from cheap to expensive), whose recall reaches
 * `target`: the cheapest setting that does, whose q/s is then the figure at that recall
 * (undefined when none does). Cheaper settings can measure slower under noise, so the
 * setting, not the noisy q/s, decides.
 */
export function firstAt(points: Point[], target = 0.95): Point | undefined {
  return points.find((p) => p.recall >= target)
}

/** `v` plus seeded Gaussian noise of 10% of its RMS per component (one RNG per (row, seed)). */
export function perturbed(v: Float32Array, seed: number): Float32Array {
  const rnd = seededRandom(seed)
  let ss = 0
  for (const x of v) ss += x * x
  const sigma = 0.1 * Math.sqrt(ss / v.length)
  const out = new Float32Array(v.length)
  for (let j = 0; j < v.length; j++) {
    const g = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())
    out[j] = (v[j] as number) + sigma * g
  }
  return out
}
