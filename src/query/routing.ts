/**
 * Routing over the files `optimize()` clustered (one k-means cluster each), like IVF probing at
 * file level: the files are ranked by the distance from the query to their centroid and visited
 * in that order, and a `Router` decides before each one whether the search goes on. In high
 * dimensions the sound bound (centroid and radius) skips almost nothing, so routing is where a
 * clustered layout saves work; how far it goes is a recall/speed trade calibrated with
 * bench/route.ts (see `ROUTING`).
 */
import type { DataFile } from '../format/iceberg/types.js'
import { lowerBound } from '../vector/bounds.js'
import type { Metric } from '../vector/types.js'

/**
 * How files are chosen. `'exact'`: every file whose sound lower bound does not exceed the
 * current k-th distance is searched (never misses a top-k row). `'auto'` (default): the same for
 * files outside the table's layout, while files optimize clustered are routed like IVF probes:
 * visited in order of their centroid's distance to the query until the query's neighbourhood is
 * left behind (see `Router` in routing.ts). `{ probe: n }`: routing to exactly the n nearest
 * clustered files. `{ approximate: f }`: bounds inflated by f (>= 1) before the comparison.
 */
export type PruneMode = 'exact' | 'auto' | { probe: number } | { approximate: number }

/** How routing treats clustered files under `prune('auto')` (defaults: `ROUTING`). */
export interface RouteTuning {
  /** The nearest `min` clustered files (by centroid) are always searched (one more for k > 10). */
  min: number
  /**
   * Past `min`, the search stops once `patience` x the clustered files (rounded up, at least 1)
   * in a row, in centroid order, added nothing to the current top k: the query's neighbourhood
   * has been left behind. A share rather than a count: fewer, larger clusters each cover more of
   * a neighbourhood, so fewer misses in a row say as much.
   */
  patience: number
  /**
   * Past `min`, a file is skipped when its bound computed with `slack` x its radius exceeds the
   * current k-th distance (1: the sound bound, skips nothing more; 0: the centroid alone). A
   * k-means cluster's radius is set by its farthest member, far beyond where most rows lie.
   * A skipped file counts towards `patience`.
   */
  slack: number
  /** At most this share of the clustered files is searched (rounded up, at least `min`). */
  fraction: number
  /**
   * The default beam of the routed file of rank r is ef x max(floor, boost x decay^r) (at least
   * 2k): a query's neighbours concentrate in the nearest clusters, so a wider beam there buys
   * more recall than searching more files, and the farther files, which rarely hold a top-k
   * row, get less. An explicit `ef` is used as given for every file.
   */
  boost: number
  decay: number
  floor: number
}

/**
 * Routing defaults, calibrated with bench/route.ts for recall@10 >= 0.95 on GloVe-100 (cosine)
 * and Fashion-MNIST (euclidean) at the best q/s (BENCHMARKS.md has the measurements).
 */
export const ROUTING: RouteTuning = { min: 2, patience: 0.25, slack: 0.5, fraction: 1, boost: 2.5, decay: 0.7, floor: 1 }

/** What the search does with the next clustered file. */
export type RouteStep = 'search' | 'skip' | 'stop'

/**
 * The routing state of one query. `rank` holds the clustered files routing applies to (none with
 * `'exact'` and `{ approximate }`, or with fewer than two clustered files); the search visits them
 * in rank order, asking `step` before each and telling `record` what each added.
 */
export class Router {
  /** Rank of each routed clustered file by centroid distance (0 = nearest). */
  readonly rank = new Map<DataFile, number>()
  private readonly budget: number
  private readonly min: number
  private patience = 0
  private readonly adaptive: boolean
  private misses = 0

  constructor(files: readonly DataFile[], private readonly query: Float32Array, private readonly metric: Metric, prune: PruneMode, k: number, private readonly tuning: RouteTuning = ROUTING) {
    this.adaptive = prune === 'auto'
    this.min = tuning.min + (k > 10 ? 1 : 0)
    if (!this.adaptive && !(typeof prune === 'object' && 'probe' in prune)) {
      this.budget = 0
      return
    }
    const clustered = files.filter((f) => f.ailake?.cluster !== undefined && f.ailake.metric === metric && f.ailake.centroid.length === query.length)
    if (clustered.length <= 1) {
      this.budget = 0
      return
    }
    const ranked = clustered.map((f) => ({ f, d: centroidDistance(metric, query, (f.ailake as { centroid: Float32Array }).centroid) })).sort((a, b) => a.d - b.d)
    ranked.forEach((r, i) => this.rank.set(r.f, i))
    this.patience = Math.max(1, Math.ceil(tuning.patience * ranked.length))
    this.budget = typeof prune === 'object' && 'probe' in prune
      ? prune.probe
      : Math.max(1, this.min, Math.ceil(tuning.fraction * ranked.length))
  }

  /** Whether the clustered file `file` of `rank` is searched, skipped, or the routed search ends here. */
  step(file: DataFile, rank: number, kth: number): RouteStep {
    if (rank >= this.budget) return 'stop'
    if (!this.adaptive || rank < this.min) return 'search'
    if (this.misses >= this.patience) return 'stop'
    if (this.tuning.slack < 1 && kth !== Infinity) {
      const facts = file.ailake as { centroid: Float32Array; radius: number }
      if (lowerBound(this.metric, this.query, facts.centroid, this.tuning.slack * facts.radius) > kth) {
        this.misses++
        return 'skip'
      }
    }
    return 'search'
  }

  /**
   * Whether the routed file of `rank` is searched whatever the files before it add (unless the
   * sound bound prunes it): only such files are worth reading ahead.
   */
  certain(rank: number): boolean {
    return rank < this.budget && (!this.adaptive || rank < this.min)
  }

  /** After a clustered file was searched (or pruned by the sound bound): whether it added rows to the top k. */
  record(added: boolean): void {
    this.misses = added ? 0 : this.misses + 1
  }

  /** The beam for a file of `rank` (undefined: not routed) when the request left `ef` to the default `ef`. */
  ef(ef: number, rank: number | undefined, k: number): number {
    return routedEf(ef, rank, k, this.tuning)
  }
}

/** The default beam for a routed file of `rank` (undefined: not routed, `ef` itself); see `RouteTuning.boost`. */
export function routedEf(ef: number, rank: number | undefined, k: number, tuning: RouteTuning = ROUTING): number {
  if (rank === undefined) return ef
  return Math.max(2 * k, Math.round(ef * Math.max(tuning.floor, tuning.boost * tuning.decay ** rank)))
}

/** Distance from the query to a file centroid (cosine on directions; squared L2 otherwise, also for dot). */
function centroidDistance(metric: Metric, q: Float32Array, c: Float32Array): number {
  let qc = 0
  let qq = 0
  let cc = 0
  let l2 = 0
  for (let j = 0; j < q.length; j++) {
    const a = q[j] as number
    const b = c[j] as number
    qc += a * b
    qq += a * a
    cc += b * b
    l2 += (a - b) * (a - b)
  }
  if (metric === 'cosine') return qq === 0 || cc === 0 ? 1 : 1 - qc / Math.sqrt(qq * cc)
  return metric === 'dot' ? -qc : l2
}
