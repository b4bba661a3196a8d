import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildIndexedFile } from '../../src/ingest/build-task.js'
import { flushStarted, activeFlushes } from '../../src/ingest/ingest-activity.js'
import type { Schema } from '../../src/format/schema.js'
import { seededRandom } from '../../src/util/rng.js'

const DIM = 8
const ROWS = 600
const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: false, type: 'int' },
    { id: 2, name: 'embedding', required: true, type: { type: 'list', elementId: 3, element: 'float', elementRequired: true } },
  ],
}
const policy = { column: 'embedding', dim: DIM, metric: 'euclidean' as const, precision: 'f32' as const, M: 8, efConstruction: 32 }

function task(throttle?: Int32Array): Parameters<typeof buildIndexedFile>[0] {
  const r = seededRandom(5)
  const vectors = Float32Array.from({ length: ROWS * DIM }, () => r() - 0.5)
  const columns = new Map<number, unknown[]>([[1, Array.from({ length: ROWS }, (_, i) => i)]])
  return { source: { kind: 'rows', schema, columns, vectors }, policy, ...(throttle === undefined ? {} : { throttle }) }
}

test('flushStarted counts flushes in flight in shared memory; ending twice counts once', () => {
  assert.ok(activeFlushes !== undefined, 'Node has SharedArrayBuffer')
  const before = Atomics.load(activeFlushes, 0)
  const a = flushStarted()
  const b = flushStarted()
  assert.equal(Atomics.load(activeFlushes, 0), before + 2)
  a()
  a()
  assert.equal(Atomics.load(activeFlushes, 0), before + 1)
  b()
  assert.equal(Atomics.load(activeFlushes, 0), before)
})

test('a build pauses while flushes run, but never longer than a bounded time, and still finishes', async () => {
  const flag = new Int32Array(new SharedArrayBuffer(4))
  const free = await buildIndexedFile(task(flag))
  Atomics.store(flag, 0, 1) // a flush that never ends
  const t1 = performance.now()
  const paused = await buildIndexedFile(task(flag))
  const pausedMs = performance.now() - t1
  assert.equal(paused.rowCount, ROWS)
  assert.deepEqual(paused.bytes, free.bytes, 'pausing changes when the work happens, not the file')
  // The first check pauses for the 1 s cap before any work (load only lengthens a pause); the build
  // then completes. The upper bound only has to tell "bounded" from "waits for the flush forever".
  assert.ok(pausedMs >= 900, `paused build took ${pausedMs.toFixed(0)} ms, less than the 1 s pause`)
  assert.ok(pausedMs < 60_000, `a never-ending flush must not stall the build: ${pausedMs.toFixed(0)} ms`)
})
