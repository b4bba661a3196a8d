import { connect, type Table } from '../../src/index.js'
import { QueryCaches, SearchBuilder, type BufferedRows } from '../../src/query/index.js'
import { distance } from '../../src/vector/distance.js'
import type { Metric } from '../../src/vector/types.js'
import { rng } from '../helpers/tmpdir.js'

export const DIM = 16
export const CLUSTERS = 12
export const SCHEMA = { id: 'int', category: 'string', year: 'int', score: 'double', tagName: 'string', note: 'string', done: 'boolean', big: 'long' } as const

export interface Fixture {
  table: Table
  caches: QueryCaches
  rows: Record<string, unknown>[]
  vectors: Float32Array[]
  centres: Float32Array[]
  snapshots: bigint[]
  search(q: Float32Array | number[], buffered?: BufferedRows[]): SearchBuilder
}

/**
 * A table of `perCluster * CLUSTERS` rows, written one cluster per add() (and `filesPerCluster`
 * files per add), so files are spatially coherent and carry distinct `year` statistics.
 * About 1% of rows have category 'rare', spread over every file.
 */
export async function makeTable(dir: string, metric: Metric, options: { perCluster?: number; filesPerCluster?: number; seed?: number; deferLast?: boolean } = {}): Promise<Fixture> {
  const perCluster = options.perCluster ?? 200
  const filesPerCluster = options.filesPerCluster ?? 2
  const r = rng(options.seed ?? 7)
  const lake = await connect(dir)
  const table = await lake.createTable('default.items', { vector: { dim: DIM, metric }, schema: { ...SCHEMA } })
  const centres = Array.from({ length: CLUSTERS }, () => Float32Array.from({ length: DIM }, () => (r() * 2 - 1) * 3))
  const rows: Record<string, unknown>[] = []
  const vectors: Float32Array[] = []
  const snapshots: bigint[] = []
  for (let c = 0; c < CLUSTERS; c++) {
    const batch: Record<string, unknown>[] = []
    for (let j = 0; j < perCluster; j++) {
      const id = rows.length
      const v = Float32Array.from(centres[c] as Float32Array, (x) => x + (r() - 0.5) * 1.5)
      const row = {
        id,
        category: id % 97 === 3 ? 'rare' : ['news', 'blog', 'wiki'][id % 3] as string,
        year: 2000 + c,
        score: r(),
        tagName: ['a', 'b', 'c', 'd'][id % 4] as string,
        note: id % 5 === 0 ? null : `n${id % 7}`,
        done: id % 2 === 0,
        big: BigInt(id) * 10_000_000_000n,
      }
      rows.push(row)
      vectors.push(v)
      batch.push({ ...row, embedding: v })
    }
    const defer = options.deferLast === true && c === CLUSTERS - 1
    snapshots.push(await table.add(batch, { maxRowsPerFile: Math.ceil(perCluster / filesPerCluster), buildIndex: !defer }))
  }
  const caches = new QueryCaches()
  return {
    table, caches, rows, vectors, centres, snapshots,
    search: (q, buffered) => new SearchBuilder({ table: table.core, caches, ...(buffered === undefined ? {} : { buffered: () => buffered }) }, q),
  }
}

/**
 * Exact top-k by brute force: ids best first (ties by id), with distances. `keep` is the filter
 * written by hand in JavaScript: the filter code under test is not the oracle.
 */
export function bruteForce(fx: Pick<Fixture, 'rows' | 'vectors'>, metric: Metric, q: Float32Array, k: number, keep?: (row: Record<string, unknown>) => boolean, limitRows = Infinity): { id: number; d: number }[] {
  const all: { id: number; d: number }[] = []
  fx.rows.forEach((row, i) => {
    if (i >= limitRows) return
    if (keep !== undefined && !keep(row)) return
    all.push({ id: row.id as number, d: distance(metric, q, fx.vectors[i] as Float32Array) })
  })
  all.sort((a, b) => a.d - b.d || a.id - b.id)
  return all.slice(0, k)
}

/** A query near cluster `c` (deterministic). */
export function queryNear(fx: Pick<Fixture, 'centres'>, c: number, seed: number): Float32Array {
  const r = rng(seed)
  return Float32Array.from(fx.centres[c] as Float32Array, (x) => x + (r() - 0.5) * 1.0)
}
