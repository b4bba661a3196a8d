// GET /v1/activity: an optimize started over HTTP shows up (running with its progress, then
// finished with the same report the request answered), rows of a buffered write show until a
// flush commits them, and a key that may read another namespace sees none of it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from '../../src/index.js'
import { OptimizeRuns } from '../../src/server/activity.js'
import { createApp, KeyStore } from '../../src/server/index.js'
import { seededRandom } from '../../src/util/rng.js'
import { tempDir } from '../helpers/tmpdir.js'
import { latch, send } from './helpers.js'

test('optimize runs are recorded: running with the progress last told, then finished with the report or the error', async () => {
  const runs = new OptimizeRuns()
  const hold = latch()
  const report = { mode: 'full', filesBefore: 3, filesAfter: 1 } as never
  const done = runs.record('a.t', async (onProgress) => {
    onProgress({ phase: 'write', done: 2, total: 5 })
    await hold.wait()
    return report
  })
  const [running] = runs.list()
  assert.equal(running?.table, 'a.t')
  assert.equal(running?.endedAt, undefined)
  assert.deepEqual(running?.progress, { phase: 'write', done: 2, total: 5 })
  hold.open()
  assert.equal(await done, report)
  await assert.rejects(runs.record('b.t', async () => { throw new Error('boom') }), /boom/)
  const [failed, finished] = runs.list()
  assert.equal(failed?.error, 'boom')
  assert.equal(failed?.report, undefined)
  assert.equal(finished?.report, report)
  assert.ok(finished?.endedAt !== undefined)
  for (let i = 0; i < 30; i++) await runs.record('c.t', async () => report)
  assert.equal(runs.list().length, 20, 'only the last 20 finished runs are kept')
})

test('GET /v1/activity: optimize progress and report, buffered rows until flushed, only readable tables', async () => {
  const { dir, cleanup } = await tempDir('ailake-http-activity-')
  const lake = await connect(dir)
  const rand = seededRandom(18)
  const dim = 16
  const row = (id: number): Record<string, unknown> => ({ id: BigInt(id), embedding: Array.from({ length: dim }, () => rand()) })
  try {
    const t = await lake.createTable('sales.docs', { vector: { dim }, schema: { id: 'long' } })
    for (let f = 0; f < 6; f++) await t.add(Array.from({ length: 400 }, (_, i) => row(f * 400 + i)))
    await t.close()
    const keys = new KeyStore(lake.store)
    const admin = await keys.create(['admin:sales'])
    const other = await keys.create(['read:hr'])
    const { app, context, close } = createApp(lake)
    const activity = async (key: string) => {
      const r = await send(app, 'GET', '/v1/activity', { key })
      assert.equal(r.status, 200, r.text)
      return r.json as { tables: { table: string; bufferedRows: number; lastFlush: string | null; pendingIndexBuilds: number }[]; optimizes: { table: string; endedAt?: string; progress?: { phase: string; done: number; total: number }; report?: Record<string, unknown>; error?: string }[] }
    }

    assert.deepEqual(await activity(admin.key), { tables: [], optimizes: [] }, 'nothing open, nothing run')
    let answered = false
    const optimize = send(app, 'POST', '/v1/tables/sales.docs/optimize', { key: admin.key, body: { targetRowsPerFile: 600, full: true } }).finally(() => { answered = true })
    const seen: { phase: string; done: number; total: number }[] = []
    for (let i = 0; i < 2000 && !answered; i++) {
      const run = (await activity(admin.key)).optimizes[0]
      if (run !== undefined && run.endedAt === undefined && run.progress !== undefined) seen.push(run.progress)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const reply = await optimize
    assert.equal(reply.status, 200, reply.text)
    // The optimize takes seconds over 2,400 rows; the polls interleave with it in this process.
    assert.ok(seen.length > 0, 'the optimize was seen running, with progress')
    assert.ok(seen.some((p) => p.phase === 'write'), `phases seen: ${[...new Set(seen.map((p) => p.phase))].join(', ')}`)
    for (const p of seen) {
      assert.ok(['read', 'cluster', 'write', 'commit', 'expire'].includes(p.phase), p.phase)
      assert.ok(p.done >= 0 && p.done <= p.total, `${p.done}/${p.total}`)
    }
    const after = await activity(admin.key)
    assert.equal(after.optimizes.length, 1)
    const run = after.optimizes[0]
    assert.equal(run?.table, 'sales.docs')
    assert.ok(run?.endedAt !== undefined && run.error === undefined)
    assert.deepEqual(run.report, reply.json, 'the finished run carries the report the request answered')
    // The report against the table itself: 6 files of 400 rows became files of about 600.
    const check = await lake.openTable('sales.docs')
    const files = await check.files()
    assert.equal(run.report?.filesBefore, 6)
    assert.equal(run.report?.filesAfter, files.length)
    assert.equal(files.reduce((n, f) => n + f.rows, 0), 2400)
    await check.close()

    const buffered = await send(app, 'POST', '/v1/tables/sales.docs/rows', { key: admin.key, body: { rows: Array.from({ length: 7 }, (_, i) => row(10_000 + i)), buffered: true } })
    assert.equal(buffered.status, 202, buffered.text)
    const holding = (await activity(admin.key)).tables
    assert.equal(holding.length, 1)
    assert.equal(holding[0]?.table, 'sales.docs')
    assert.equal(holding[0]?.bufferedRows, 7)
    assert.equal(holding[0]?.pendingIndexBuilds, 0)
    assert.ok(holding[0]?.lastFlush !== null)

    const hidden = await activity(other.key)
    assert.deepEqual(hidden, { tables: [], optimizes: [] }, 'a key for another namespace sees none of it')

    await (await context.writer('sales.docs')).flush()
    assert.equal((await activity(admin.key)).tables[0]?.bufferedRows, 0, 'flushed rows are committed, not buffered')
    await close()
    const reopened = await lake.openTable('sales.docs')
    assert.equal(await reopened.countRows(), 2407)
    await reopened.close()
  } finally {
    await lake.close()
    await cleanup()
  }
})
