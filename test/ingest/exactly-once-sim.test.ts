/**
 * Exactly-once simulation: seeded runs of random inserts, flushes, crashes, closes, reopens,
 * snapshot expiries, index builds and adoptions by other writers, over a store that fails calls,
 * loses responses of calls that landed, and reorders them with random delays. Crashes are
 * simulated in-process (`abandon()`: the writer stops without flushing or releasing its lease,
 * while a flush it started may still finish, like a process that dies mid-commit); a fake lease
 * clock lets successors take over. Real SIGKILLs are in crash.test.ts.
 *
 * Invariant, checked against the ids the test itself recorded (not against ailake's view): every
 * acknowledged row is in the table exactly once at the end; a row whose insert failed is there
 * at most once; no row is ever committed twice, also mid-run.
 *
 * AILAKE_SIM_SEEDS (default 200) runs, AILAKE_SIM_STEPS (default 40) steps each, from
 * AILAKE_SIM_SEED (default 1). The soak in BENCHMARKS.md runs thousands of seeds.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Table } from '../../src/index.js'
import type { MemTableWriter } from '../../src/ingest/index.js'
import { FaultyStore } from '../../src/store/faulty-store.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import type { ObjectStore } from '../../src/store/object-store.js'
import { seededRandom } from '../../src/util/rng.js'
import { readIds } from './helpers.js'

const SEEDS = Number(process.env.AILAKE_SIM_SEEDS ?? 200)
const STEPS = Number(process.env.AILAKE_SIM_STEPS ?? 40)
const FIRST = Number(process.env.AILAKE_SIM_SEED ?? 1)
const TTL = 1000

/** Delays every call by a random number of event-loop turns, so concurrent calls land in random order. */
function shuffling(store: ObjectStore, random: () => number): ObjectStore {
  const turns = async (): Promise<void> => {
    for (let n = Math.floor(random() * 4); n > 0; n--) await new Promise((r) => setImmediate(r))
  }
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown
      if (typeof v !== 'function' || prop === 'close' || prop === 'createAppendable') return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      return async (...args: unknown[]) => {
        await turns()
        return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args)
      }
    },
  })
}

interface Run {
  acked: Set<number>
  maybe: Set<number>
  steps: string[]
}

async function simulate(seed: number): Promise<Run> {
  const random = seededRandom(seed)
  const faultRandom = seededRandom(seed * 7919 + 1)
  let faults = false
  const inner = new MemoryStore()
  const faulty = new FaultyStore(inner, {
    failRate: 0, seed,
    decide: () => {
      if (!faults) return 'pass'
      const r = faultRandom()
      return r < 0.03 ? 'fail' : r < 0.06 ? 'drop' : 'pass'
    },
  })
  const store = shuffling(faulty, seededRandom(seed + 17))
  const lake = await connect(`/nonexistent/ailake-sim-${seed}`, { store, retry: { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 5 } })
  const table: Table = await lake.createTable('default.sim', { vector: { dim: 3, metric: 'euclidean', precision: 'f16' }, schema: { id: { type: 'int', required: true } } })
  let clock = 1_000_000
  let incarnation = 0
  const run: Run = { acked: new Set(), maybe: new Set(), steps: [] }
  const abandoned: MemTableWriter[] = []
  const explicit = random() < 0.5
  const deferIndex = random() < 0.1
  const flushMaxRows = 2 + Math.floor(random() * 10)

  const open = async (): Promise<MemTableWriter> => {
    incarnation++
    for (let attempt = 0; ; attempt++) {
      if (attempt === 10) faults = false // a store that keeps failing: let recovery through
      const w = table.memTableWriter({
        deferIndex, flushMaxRows, leaseTtlMs: TTL,
        ...(explicit ? { writerId: 'sim' } : {}),
        lease: { now: () => clock, owner: { host: `sim-${seed}-${incarnation}`, pid: incarnation } },
      })
      try {
        await w.flushIfDue() // waits for recovery
        return w
      } catch (err) {
        run.steps.push(`open failed: ${(err as Error).message}`)
        w.abandon()
        abandoned.push(w)
        clock += 3 * TTL // whatever lease it took lapses
      }
    }
  }
  const crash = async (w: MemTableWriter): Promise<MemTableWriter> => {
    w.abandon()
    abandoned.push(w)
    clock += 3 * TTL
    return open()
  }

  let w = await open()
  faults = true
  let next = 1
  for (let step = 0; step < STEPS; step++) {
    const r = random()
    const t0 = Date.now()
    try {
      if (r < 0.5) {
        const ids = Array.from({ length: 1 + Math.floor(random() * 4) }, () => next++)
        run.steps.push(`insert ${ids.join(',')}`)
        try {
          await w.insert(ids.map((id) => ({ id, embedding: [id % 5, id % 3, 1] })))
          for (const id of ids) run.acked.add(id)
        } catch (err) {
          for (const id of ids) run.maybe.add(id)
          if ((err as { context?: { leaseLost?: boolean } }).context?.leaseLost === true) w = await crash(w)
        }
      } else if (r < 0.65) {
        run.steps.push('flush')
        await w.flush().catch(() => undefined)
      } else if (r < 0.73) {
        run.steps.push('crash')
        w = await crash(w)
      } else if (r < 0.81) {
        run.steps.push('close, reopen')
        try {
          await w.close()
        } catch {
          w.abandon()
          abandoned.push(w)
          clock += 3 * TTL
        }
        w = await open()
      } else if (r < 0.87) {
        run.steps.push('expire')
        await table.expireSnapshots({ olderThan: Date.now() + 60_000, retainLast: 1 }).catch(() => undefined)
      } else if (r < 0.93) {
        run.steps.push('index builds')
        await table.waitForIndexes().catch(() => undefined)
      } else {
        run.steps.push('another writer opens (adopts abandoned WALs)')
        const other = table.memTableWriter({ writerId: `other-${step}`, deferIndex: false, leaseTtlMs: TTL, lease: { now: () => clock, owner: { host: `other-${seed}-${step}`, pid: 1 } } })
        await other.flushIfDue().catch(() => undefined)
        await other.close().catch(() => other.abandon())
      }
    } catch (err) {
      run.steps.push(`step error: ${(err as Error).message}`)
    }
    if (process.env.SIMTIME !== undefined) run.steps.push(`  (${Date.now() - t0} ms)`)
    if (step % 10 === 9) {
      const saved: boolean = faults
      faults = false
      await table.refresh()
      const ids = await readIds(table.core)
      faults = saved
      assert.equal(new Set(ids).size, ids.length, `seed ${seed} step ${step}: a row is committed twice\n${run.steps.join('\n')}`)
    }
  }

  // Everything settles without faults: the current writer closes, a zombie flush ends, and a
  // fresh writer (after every lease lapsed) recovers and adopts whatever is left.
  faults = false
  await w.close().catch(() => w.abandon())
  for (const z of abandoned) await z.waitForFlush().catch(() => undefined)
  clock += 3 * TTL
  const last = await open()
  await last.close()
  const sweep = table.memTableWriter({ writerId: 'sweep', deferIndex: false, leaseTtlMs: TTL, lease: { now: () => clock, owner: { host: `sweep-${seed}`, pid: 1 } } })
  await sweep.close()
  await table.refresh()
  const ids = await readIds(table.core)
  const seen = new Map<number, number>()
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1)
  const why = `seed ${seed} (rerun with AILAKE_SIM_SEED=${seed} AILAKE_SIM_SEEDS=1)\n${run.steps.join('\n')}`
  assert.deepEqual([...seen].filter(([, n]) => n > 1).map(([id]) => id), [], `rows committed twice; ${why}`)
  assert.deepEqual([...run.acked].filter((id) => !seen.has(id)), [], `acknowledged rows lost; ${why}`)
  assert.deepEqual(ids.filter((id) => !run.acked.has(id) && !run.maybe.has(id)), [], `rows nobody inserted; ${why}`)
  await lake.close()
  if (process.env.SIMTIME !== undefined) console.log(run.steps.join('\n'))
  return run
}

// ~40 s of CPU; on a loaded 2-core machine it has taken over 3 minutes of wall time.
test(`exactly-once under faults, crashes, takeovers, expiry and index builds (${SEEDS} seeds x ${STEPS} steps)`, { timeout: 600_000 }, async (t) => {
  let acked = 0
  let maybe = 0
  for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
    const run = await simulate(seed)
    acked += run.acked.size
    maybe += run.maybe.size
  }
  t.diagnostic(`${acked} acknowledged rows checked, ${maybe} rows whose insert failed`)
  assert.ok(acked > SEEDS * 5, 'the runs acknowledged rows (the check is not vacuous)')
  if (SEEDS >= 20) assert.ok(maybe > 0, 'faults made some inserts fail (the fault injection works)')
})
