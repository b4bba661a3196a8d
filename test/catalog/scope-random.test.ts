// Randomised table scope: seeded warehouses of tables whose names are drawn from a few levels
// that prefix one another and that name a table's folders (data, metadata, wal in two cases).
// Oracles: the naming rule as docs/iceberg.md states it, and the store's own listing: every
// object an operation on table T adds or removes lies in T's data/, metadata/ or wal/ folder.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError } from '../../src/index.js'
import { MemoryStore } from '../../src/store/memory-store.js'
import { seededRandom } from '../../src/util/rng.js'

const SEEDS = 40
const TABLES = 8
const OPS = 12
const LEVELS = ['a', 'b', 'c', 'data', 'metadata', 'wal', 'Data', 'WAL']
const OWNED = ['data', 'metadata', 'wal']
const FUTURE = () => Date.now() + 60_000

/** docs/iceberg.md: data, metadata and wal (any case) are refused from the third level on. */
function refused(levels: string[]): boolean {
  return levels.some((l, i) => i >= 2 && OWNED.includes(l.toLowerCase()))
}

async function keys(store: MemoryStore): Promise<Set<string>> {
  return new Set((await store.list('')).map((o) => o.key))
}

function owned(folder: string, key: string): boolean {
  return OWNED.some((f) => key.startsWith(`${folder}/${f}/`))
}

test(`random warehouses (${SEEDS} seeds x ${TABLES} names x ${OPS} operations): each operation stays inside its table`, async () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = seededRandom(seed)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T
    const store = new MemoryStore()
    const lake = await connect('/nonexistent-ailake-warehouse', { store })
    const live = new Map<string, { folder: string; rows: number; orphans: string[] }>()
    const context = (what: string): string => `seed ${seed}: ${what}`
    try {
      for (let n = 0; n < TABLES; n++) {
        const levels = Array.from({ length: 2 + Math.floor(r() * 3) }, () => pick(LEVELS))
        const name = levels.join('.')
        if (live.has(name)) continue
        if (refused(levels)) {
          await assert.rejects(lake.createTable(name, { vector: { dim: 2 } }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'), context(`${name} refused`))
          continue
        }
        const t = await lake.createTable(name, { vector: { dim: 2 }, schema: { id: 'int' } })
        await t.add([{ id: 1, embedding: [1, 0] }])
        await t.add([{ id: 2, embedding: [0, 1] }])
        const folder = levels.join('/')
        const orphans = [`${folder}/data/orphan-${n}.parquet`, `${folder}/metadata/orphan-${n}-m0.avro`]
        for (const k of [...orphans, `${folder}/wal/w/0000000000000001.wal`]) await store.put(k, new Uint8Array([n]))
        live.set(name, { folder, rows: 2, orphans })
      }

      for (let op = 0; op < OPS && live.size > 0; op++) {
        const name = pick([...live.keys()])
        const t = live.get(name) as { folder: string; rows: number; orphans: string[] }
        const kind = pick(['expire', 'orphans', 'drop'] as const)
        const before = await keys(store)
        const table = await lake.openTable(name)
        if (kind === 'expire') await table.expireSnapshots({ olderThan: FUTURE() })
        if (kind === 'orphans') {
          const removed = (await table.removeOrphanFiles({ olderThan: FUTURE() })).map((l) => table.core.keyOf(l))
          for (const k of t.orphans) assert.ok(removed.includes(k), context(`orphans of ${name}: ${k} removed`))
          t.orphans = []
        }
        if (kind === 'drop') {
          await lake.dropTable(name)
          live.delete(name)
        }
        await table.close()
        const after = await keys(store)
        for (const k of before) if (!after.has(k)) assert.ok(owned(t.folder, k), context(`${kind} ${name} removed ${k}, which it does not own`))
        for (const k of after) if (!before.has(k)) assert.ok(owned(t.folder, k), context(`${kind} ${name} added ${k}, which it does not own`))
        if (kind === 'drop') for (const k of after) assert.ok(!owned(t.folder, k), context(`drop ${name} left ${k}`))
        for (const [other, o] of live) {
          assert.equal(await (await lake.openTable(other)).countRows(), o.rows, context(`${other} intact after ${kind} ${name}`))
        }
      }
      assert.deepEqual(await lake.listTables(), [...live.keys()].sort(), context('listTables'))
    } finally {
      await lake.close()
    }
  }
})
