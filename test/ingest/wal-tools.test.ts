// Damaged write-ahead logs, from outside a writer: a writer whose log is damaged fails on open
// with an error naming the segment, yet closing it (and the lakehouse) succeeds; table.wals()
// shows the damage and the rows at stake; discardWal() takes the writer's lease, deletes the log
// and lets the id be used again. Crashed writers are simulated in-process: a lease owned by a
// "process" on another host whose clock stopped at 0 (so its lease is long expired) and abandon().
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, isAilakeError, type Table } from '../../src/index.js'
import { tempDir } from '../helpers/tmpdir.js'

const vec = (i: number): number[] => [Math.cos(i), Math.sin(i), 1]
const rows = (from: number, n: number): { id: bigint; embedding: number[] }[] => Array.from({ length: n }, (_, j) => ({ id: BigInt(from + j), embedding: vec(from + j) }))
const crashed = { now: () => 0, owner: { host: 'a-host-that-crashed', pid: 1 } }

/** Writer `writerId` logs three inserts (ids from..from+2, from+10.., from+20..) and crashes before flushing. */
async function crashWith(t: Table, writerId: string, from: number): Promise<string> {
  const w = t.memTableWriter({ writerId, flushMaxRows: 1000, lease: crashed })
  for (let k = 0; k < 3; k++) await w.insert(rows(from + 10 * k, 3))
  w.abandon()
  return writerId
}

/** Flips a byte inside the body of the second record of the writer's (only) segment. */
function damageSecondRecord(dir: string, writerId: string): string {
  const folder = join(dir, 'default/docs/wal', writerId)
  const seg = readdirSync(folder).find((f) => f.endsWith('.wal'))
  assert.ok(seg !== undefined)
  const path = join(folder, seg)
  const bytes = readFileSync(path)
  const firstLength = 12 + bytes.readUInt32LE(8) + 4
  bytes[firstLength + 40] = (bytes[firstLength + 40] as number) ^ 0xff
  writeFileSync(path, bytes)
  return `default/docs/wal/${writerId}/${seg}`
}

async function ids(t: Table): Promise<number[]> {
  return (await t.search(vec(0)).limit(100).toArray()).map((h) => Number(h.id)).sort((a, b) => a - b)
}

test('a damaged log: open fails naming the segment, close() still resolves; wals() shows it; discardWal() frees the id', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('docs', { vector: { dim: 3 }, schema: { id: 'long' } })
    await t.add(rows(100, 2))
    await crashWith(t, 'w', 0)
    const segment = damageSecondRecord(dir, 'w')
    await lake.close()

    const lake2 = await connect(dir)
    const t2 = await lake2.openTable('docs')
    const w = t2.memTableWriter({ writerId: 'w' })
    await assert.rejects(w.insert(rows(50, 1)), (e) => isAilakeError(e, 'CORRUPT_DATA') && e.message.includes(segment) && /Discard this writer's log/.test(e.message))
    await lake2.close() // resolves: the writer failed to recover, which is no close failure

    const lake3 = await connect(dir)
    const t3 = await lake3.openTable('docs')
    const [info] = (await t3.wals()).filter((x) => x.writerId === 'w')
    assert.ok(info !== undefined)
    assert.equal(info.segments, 1)
    assert.equal(info.committedSeq, 0)
    assert.equal(info.pendingRows, 6, 'records 1 and 3 still decode: 3 rows each')
    assert.equal(info.damage?.file, segment)
    assert.equal(info.lease, null, 'the failed writer let its lease go')
    const report = await t3.verify()
    assert.deepEqual(report.problems.map((p) => [p.kind, p.writerId, p.file]), [['wal', 'w', segment]])

    const discarded = await t3.discardWal('w')
    assert.deepEqual(discarded, { writerId: 'w', segments: 1, records: 2, rows: 6 })
    assert.deepEqual(await t3.wals(), [], 'the log and its lease are gone')
    const again = t3.memTableWriter({ writerId: 'w' })
    await again.insert(rows(60, 2))
    await again.close()
    assert.deepEqual(await ids(t3), [60, 61, 100, 101], 'the table holds what was committed and the new rows; the discarded rows are gone')
    await assert.rejects(t3.discardWal('w'), (e) => isAilakeError(e, 'NOT_FOUND'))
    await lake3.close()
  } finally {
    await cleanup()
  }
})

test('a damaged abandoned log does not stop other writers: adoption reports it and moves on', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('docs', { vector: { dim: 3 }, schema: { id: 'long' } })
    await crashWith(t, 'dead', 0)
    await crashWith(t, 'damaged', 200)
    damageSecondRecord(dir, 'damaged')
    const w = t.memTableWriter()
    await w.insert(rows(300, 1))
    const byId = new Map(w.adopted.map((a) => [a.writerId, a]))
    assert.equal(byId.get('dead')?.rows, 9, 'the intact abandoned log is committed')
    assert.ok(isAilakeError(byId.get('damaged')?.error, 'CORRUPT_DATA'), 'the damaged one is reported, not thrown')
    await w.close()
    assert.deepEqual(await ids(t), [0, 1, 2, 10, 11, 12, 20, 21, 22, 300])
    assert.equal((await t.discardWal('damaged')).rows, 6)
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('discardWal() refuses a live writer\'s log, and wals() only looks (the writer keeps its lease)', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('docs', { vector: { dim: 3 }, schema: { id: 'long' } })
    const w = t.memTableWriter({ writerId: 'live', flushMaxRows: 1000 })
    await w.insert(rows(0, 4))
    const [info] = await t.wals()
    assert.equal(info?.lease?.live, true)
    assert.equal(info?.pendingRows, 4)
    await assert.rejects(t.discardWal('live'), (e) => isAilakeError(e, 'ALREADY_EXISTS') && /is live/.test(e.message))
    await w.insert(rows(4, 1))
    await w.close()
    assert.deepEqual(await ids(t), [0, 1, 2, 3, 4], 'nothing was discarded')
    await lake.close()
  } finally {
    await cleanup()
  }
})
