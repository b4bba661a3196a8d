// Writers whose S3 requests fail or lose their responses (FaultyStore) either commit or fail
// with a clear AilakeError, and the table they share is never corrupted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError, type Lakehouse, type Table } from '../../src/index.js'
import { FaultyStore } from '../../src/store/faulty-store.js'
import { RetryStore } from '../../src/store/retry-store.js'
import { S3Store } from '../../src/store/s3-store.js'
import { mapLimit } from '../../src/util/limiter.js'
import { bucket, guardS3, keyOf, s3Client, s3Prefix, SKIP } from './helpers.js'

guardS3('S3 writers under injected faults against a real server')

const ROWS = 5
const ADDS = 8

interface Outcome {
  ids: number[]
  kind: 'ok' | 'failed' | 'unknown'
  snapshotId?: string
  code?: string
}

interface WriterSpec {
  seed: number
  failRate: number
  dropRate: number
  /** Put a RetryStore over the faults (transient errors repeated, create-if-absent verified). */
  retry: boolean
}

const vectorOf = (id: number) => [Math.sin(id), Math.cos(id * 0.7), (id % 97) / 97, (id % 13) / 13]

async function openWithRetry(lake: Lakehouse, name: string): Promise<Table> {
  for (let i = 0; ; i++) {
    try {
      return await lake.openTable(name)
    } catch (err) {
      if (i >= 20 || !isAilakeError(err, 'STORE_ERROR')) throw err
    }
  }
}

async function writer(uri: string, prefix: string, w: number, spec: WriterSpec): Promise<{ outcomes: Outcome[]; faults: number }> {
  const s3 = new S3Store({ ...s3Client(), bucket, prefix, maxAttempts: 2, baseDelayMs: 5 })
  const faulty = new FaultyStore(s3, { failRate: spec.failRate, dropRate: spec.dropRate, seed: spec.seed })
  const store = spec.retry ? new RetryStore(faulty, { maxAttempts: 3, baseDelayMs: 5 }) : faulty
  const lake = await connect(uri, { store, retry: { maxAttempts: 100, baseDelayMs: 5, maxDelayMs: 200 } })
  const table = await openWithRetry(lake, 'default.chaos')
  const outcomes: Outcome[] = []
  for (let i = 0; i < ADDS; i++) {
    const ids = Array.from({ length: ROWS }, (_, j) => (w * 100 + i) * ROWS + j)
    try {
      const snap = await table.add(ids.map((id) => ({ id, embedding: vectorOf(id) })))
      outcomes.push({ ids, kind: 'ok', snapshotId: String(snap) })
    } catch (err) {
      assert.ok(isAilakeError(err), `writer ${w} add ${i} failed with a non-AilakeError: ${String(err)}`)
      assert.ok(['STORE_ERROR', 'COMMIT_CONFLICT'].includes(err.code), `unexpected error code ${err.code}: ${err.message}`)
      assert.ok(err.message.length > 20, 'the error says what happened')
      const unknown = err.context?.outcomeUnknown === true
      const o: Outcome = { ids, kind: unknown ? 'unknown' : 'failed', code: err.code }
      if (unknown) o.snapshotId = String(err.context?.snapshotId)
      outcomes.push(o)
    }
  }
  await lake.close().catch(() => {})
  return { outcomes, faults: faulty.stats.failed + faulty.stats.dropped }
}

test('writers under injected S3 faults: acknowledged commits kept, unknown ones all-or-nothing, table intact', { skip: SKIP, timeout: 180_000 }, async () => {
  const { prefix, uri, store, cleanup } = s3Prefix('chaos')
  try {
    const setup = await connect(uri, { s3: s3Client() })
    await setup.createTable('default.chaos', { vector: { dim: 4, metric: 'euclidean' }, schema: { id: 'long' } })
    await setup.close()

    const specs: WriterSpec[] = [
      { seed: 11, failRate: 0.04, dropRate: 0.04, retry: false },
      { seed: 12, failRate: 0.04, dropRate: 0.04, retry: false },
      { seed: 13, failRate: 0.15, dropRate: 0.1, retry: true },
      { seed: 14, failRate: 0.15, dropRate: 0.1, retry: true },
    ]
    const runs = await Promise.all(specs.map((s, w) => writer(uri, prefix, w, s)))
    const outcomes = runs.flatMap((r) => r.outcomes)
    const count = (k: Outcome['kind']) => outcomes.filter((o) => o.kind === k).length
    assert.ok(runs.every((r) => r.faults > 0), 'every writer saw injected faults')
    assert.ok(count('ok') > 0, 'some commits succeed despite the faults')
    assert.ok(count('failed') + count('unknown') > 0, 'the faults make some adds fail')

    const lake = await connect(uri, { s3: s3Client() })
    const table = await lake.openTable('default.chaos')
    const history = table.history()
    const landed = new Set(history.map((h) => String(h.snapshotId)))
    for (let i = 1; i < history.length; i++) assert.equal(history[i]?.parentId, history[i - 1]?.snapshotId)
    for (const o of outcomes.filter((x) => x.kind === 'ok')) assert.ok(landed.has(o.snapshotId as string), `acknowledged snapshot ${o.snapshotId} is in the history`)

    const files = await table.files()
    await mapLimit(files, 16, async (f) => {
      const info = await store.head(keyOf(f.path, prefix))
      assert.equal(info?.size, f.bytes, `${f.path} referenced by the current snapshot exists whole`)
    })

    const rows = await table.search([0, 0, 0, 0]).limit(10_000).toArray()
    const present = new Set(rows.map((r) => Number(r.id)))
    assert.equal(present.size, rows.length, 'no row appears twice')
    let expectedRows = 0
    for (const o of outcomes) {
      const seen = o.ids.filter((id) => present.has(id)).length
      const mustLand = o.kind === 'ok' || (o.kind === 'unknown' && landed.has(o.snapshotId as string))
      assert.equal(seen, mustLand ? ROWS : 0, `${o.kind} commit ${o.snapshotId ?? ''} (${o.code ?? 'ok'}) is fully present or fully absent`)
      if (mustLand) expectedRows += ROWS
    }
    assert.equal(history.length, expectedRows / ROWS, 'only commits the writers made are in the history')
    assert.equal(await table.countRows(), expectedRows)
    assert.equal(rows.length, expectedRows)

    const some = outcomes.find((o) => o.kind === 'ok')?.ids[2] as number
    const hit = await table.search(vectorOf(some)).limit(1).toArray()
    assert.equal(Number(hit[0]?.id), some)
    assert.equal(hit[0]?._distance, 0)
    // The table stays writable by a healthy writer.
    await table.add([{ id: 999_999, embedding: [9, 9, 9, 9] }])
    assert.equal(await table.countRows(), expectedRows + 1)
    await lake.close()
    console.log(`faults: ${runs.map((r) => r.faults).join('/')} injected; ${count('ok')} ok, ${count('failed')} failed, ${count('unknown')} unknown (${outcomes.filter((o) => o.kind === 'unknown' && landed.has(o.snapshotId as string)).length} of them landed)`)
  } finally {
    await cleanup()
  }
})
