/**
 * The router of clustered files, against hand-computed geometry: 2-d euclidean centroids on a
 * line, so every centroid distance and relaxed bound is known exactly.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { DataFile } from '../../src/format/iceberg/types.js'
import { ROUTING, Router, routedEf, type RouteTuning } from '../../src/query/routing.js'
import type { Metric } from '../../src/vector/types.js'

function file(name: string, centroid: number[], radius: number, cluster: number | undefined, metric: Metric = 'euclidean'): DataFile {
  return {
    filePath: name, recordCount: 100, fileSizeInBytes: 1000,
    ailake: {
      column: 'embedding', dim: centroid.length, metric, precision: 'f32', rowCount: 100, centroid: Float32Array.from(centroid), radius,
      indexType: 'hnsw', sectionOffset: 0, sectionLength: 0, indexStatus: 'ready', ...(cluster === undefined ? {} : { cluster }),
    },
  } as unknown as DataFile
}

// Centroids at x = 0, 2, 5, 9, 14 (clusters), one loose file at x = 1; the query at x = 1.8.
const files = [file('c5', [5, 0], 1, 2), file('c0', [0, 0], 1, 0), file('loose', [1, 0], 1, undefined), file('c14', [14, 0], 1, 4), file('c2', [2, 0], 1, 1), file('c9', [9, 0], 1, 3)]
const q = Float32Array.from([1.8, 0])
const tuning = (t: Partial<RouteTuning>): RouteTuning => ({ ...ROUTING, ...t })
const byName = (name: string): DataFile => files.find((f) => f.filePath === name) as DataFile

test('clustered files are ranked by centroid distance; loose files and exact modes are not routed', () => {
  const r = new Router(files, q, 'euclidean', 'auto', 10)
  assert.deepEqual([...r.rank].sort((a, b) => a[1] - b[1]).map(([f, i]) => `${f.filePath}:${i}`), ['c2:0', 'c0:1', 'c5:2', 'c9:3', 'c14:4'])
  assert.equal(new Router(files, q, 'euclidean', 'exact', 10).rank.size, 0)
  assert.equal(new Router(files, q, 'euclidean', { approximate: 2 }, 10).rank.size, 0)
  // One clustered file is nothing to route; files of another metric are not routed.
  assert.equal(new Router([byName('c0'), byName('loose')], q, 'euclidean', 'auto', 10).rank.size, 0)
  assert.equal(new Router(files, q, 'cosine', 'auto', 10).rank.size, 0)
})

test('{ probe: n } searches exactly the n nearest clustered files', () => {
  const r = new Router(files, q, 'euclidean', { probe: 2 }, 10)
  assert.equal(r.step(byName('c2'), 0, 0), 'search')
  r.record(false)
  assert.equal(r.step(byName('c0'), 1, 0), 'search', 'no adaptive stop with probe')
  r.record(false)
  assert.equal(r.step(byName('c5'), 2, 0), 'stop')
})

test('auto: the nearest min files always, then a stop after patience x the files in a row added nothing', () => {
  const r = new Router(files, q, 'euclidean', 'auto', 10, tuning({ min: 2, patience: 0.4, slack: 1 }))
  assert.equal(r.step(byName('c2'), 0, Infinity), 'search')
  r.record(false)
  assert.equal(r.step(byName('c0'), 1, 1), 'search', 'within min, whatever came before')
  r.record(false)
  assert.equal(r.step(byName('c5'), 2, 1), 'stop', 'two misses in a row past min (0.4 x 5 files)')

  const s = new Router(files, q, 'euclidean', 'auto', 10, tuning({ min: 1, patience: 0.3, slack: 1 }))
  assert.equal(s.step(byName('c2'), 0, Infinity), 'search')
  s.record(true)
  assert.equal(s.step(byName('c0'), 1, 1), 'search')
  s.record(false)
  assert.equal(s.step(byName('c5'), 2, 1), 'search', 'one miss is not yet ceil(0.3 x 5) = 2')
  s.record(true)
  assert.equal(s.step(byName('c9'), 3, 1), 'search', 'a file that added rows resets the count')
  s.record(false)
  assert.equal(s.step(byName('c14'), 4, 1), 'search')
  // k > 10 keeps one more file.
  const big = new Router(files, q, 'euclidean', 'auto', 20, tuning({ min: 2, patience: 0.01, slack: 1 }))
  assert.equal(big.step(byName('c5'), 2, 1), 'search')
  big.record(false)
  assert.equal(big.step(byName('c9'), 3, 1), 'stop', 'at least one miss')
})

test('auto: the relaxed bound skips a file whose bound with slack x radius exceeds the k-th distance', () => {
  // c9: |q - c| = 7.2, radius 1, slack 0.5: bound (7.2 - 0.5)^2 = 44.89 (squared L2), less a
  // rounding allowance far below 0.01.
  const r = new Router(files, q, 'euclidean', 'auto', 10, tuning({ min: 0, patience: 1, slack: 0.5 }))
  assert.equal(r.step(byName('c9'), 3, 44.8), 'skip')
  assert.equal(r.step(byName('c9'), 3, 44.9), 'search')
  assert.equal(r.step(byName('c9'), 3, Infinity), 'search', 'no k-th distance yet')
  // slack 1 is the sound bound, which the search applies itself: the router adds nothing.
  const sound = new Router(files, q, 'euclidean', 'auto', 10, tuning({ min: 0, patience: 1, slack: 1 }))
  assert.equal(sound.step(byName('c9'), 3, 1), 'search')
  // Skips count as misses towards patience.
  const p = new Router(files, q, 'euclidean', 'auto', 10, tuning({ min: 0, patience: 0.2, slack: 0.5 }))
  assert.equal(p.step(byName('c9'), 3, 1), 'skip')
  assert.equal(p.step(byName('c14'), 4, 1e9), 'stop')
})

test('auto: fraction caps the files searched (at least min)', () => {
  const r = new Router(files, q, 'euclidean', 'auto', 10, tuning({ min: 1, patience: 1, slack: 1, fraction: 0.5 }))
  for (const [name, rank] of [['c2', 0], ['c0', 1], ['c5', 2]] as const) {
    assert.equal(r.step(byName(name), rank, 1), 'search', name)
    r.record(true)
  }
  assert.equal(r.step(byName('c9'), 3, 1), 'stop', 'ceil(0.5 x 5) = 3 files')
})

test('the default beam is widest for the nearest file and never below 2k', () => {
  const t = tuning({ boost: 3, decay: 0.5, floor: 0.5 })
  assert.deepEqual([0, 1, 2, 3, 4].map((rank) => routedEf(40, rank, 10, t)), [120, 60, 30, 20, 20])
  assert.deepEqual([0, 1, 2, 3].map((rank) => routedEf(100, rank, 10, t)), [300, 150, 75, 50])
  assert.equal(routedEf(40, undefined, 10, t), 40, 'files outside routing keep the default')
})
