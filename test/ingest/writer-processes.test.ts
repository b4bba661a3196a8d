/**
 * One live writer per id across real processes: default ids never collide, an explicit id in
 * use fails loudly in a second process, and the WAL of a SIGKILLed writer is taken over by the
 * next writer on the same host at once (its process is gone) and committed exactly once.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { connect } from '../../src/index.js'
import { runNode } from '../helpers/child.js'
import { tempDir } from '../helpers/tmpdir.js'
import { waitFor } from '../helpers/wait.js'
import { range, readIds } from './helpers.js'

const CHILD = fileURLToPath(new URL('./stream-writer.js', import.meta.url))

async function newTable(dir: string, name: string): Promise<void> {
  const lake = await connect(dir)
  await lake.createTable(`default.${name}`, { vector: { dim: 3, metric: 'euclidean' }, schema: { id: { type: 'int', required: true } } })
  await lake.close()
}

function acked(out: string): number[] {
  return out.split('\n').filter((l) => l.startsWith('ack ')).flatMap((l) => l.slice(4).split(',').map(Number))
}

async function tableIds(dir: string, name: string): Promise<number[]> {
  const t = await (await connect(dir)).openTable(`default.${name}`)
  return readIds(t.core)
}

test('two processes streaming with the default writer id commit every row exactly once', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await newTable(dir, 'two')
    // Both hold their writer open for 2 s after streaming, so they are open at the same time.
    const [a, b] = await Promise.all([runNode(CHILD, [dir, 'two', '0', '20', 'auto', '2000']), runNode(CHILD, [dir, 'two', '100', '20', 'auto', '2000'])])
    assert.equal(a?.code, 0, a?.err)
    assert.equal(b?.code, 0, b?.err)
    const idA = /open (\S+)/.exec(a?.out ?? '')?.[1]
    const idB = /open (\S+)/.exec(b?.out ?? '')?.[1]
    assert.ok(idA !== undefined && idB !== undefined && idA !== idB, `distinct writer ids (${idA}, ${idB})`)
    assert.deepEqual(await tableIds(dir, 'two'), [...range(0, 20), ...range(100, 120)])
  } finally {
    await cleanup()
  }
})

test('a second process asking for a writer id in use fails with ALREADY_EXISTS and changes nothing', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await newTable(dir, 'same')
    const first = runNode(CHILD, [dir, 'same', '0', '10', 'shared', '4000'])
    // Start the second only once the first holds the lease and has logged its rows (it flushes only on close).
    const lake = await connect(dir)
    const t = (await lake.openTable('default.same')).core
    await waitFor(async () => (await t.store.list(`${t.keyOf(t.location)}/wal/shared/`)).some((o) => o.key.endsWith('.wal')), 'the first writer to log its rows', 60_000, 50)
    const second = await runNode(CHILD, [dir, 'same', '500', '5', 'shared'])
    assert.equal(second.code, 3, second.out + second.err)
    assert.match(second.out, /^error ALREADY_EXISTS .*held by process \d+/m)
    const done = await first
    assert.equal(done.code, 0, done.err)
    assert.deepEqual(await tableIds(dir, 'same'), range(0, 10))
  } finally {
    await cleanup()
  }
})

test('the WAL of a SIGKILLed writer with the default id is taken over by the next process and committed once', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    await newTable(dir, 'killed')
    // Killed after `open` and two acknowledgements: those rows exist only in its WAL.
    const killed = await runNode(CHILD, [dir, 'killed', '0', '1000', 'auto', '60000'], { afterLines: 3 })
    assert.equal(killed.code, null, 'it was killed')
    const ids = acked(killed.out)
    assert.ok(ids.length >= 10, `it acknowledged ${ids.length} rows before the kill`)
    const next = await runNode(CHILD, [dir, 'killed', '5000', '5', 'auto'])
    assert.equal(next.code, 0, next.err)
    assert.equal(/open (\S+)/.exec(next.out)?.[1], /open (\S+)/.exec(killed.out)?.[1], 'the dead writer\'s id (and WAL) is the first free one')
    const present = await tableIds(dir, 'killed')
    assert.equal(new Set(present).size, present.length, 'no row twice')
    for (const id of ids) assert.ok(present.includes(id), `acknowledged row ${id} is present`)
    assert.ok(range(5000, 5005).every((id) => present.includes(id)))
  } finally {
    await cleanup()
  }
})
