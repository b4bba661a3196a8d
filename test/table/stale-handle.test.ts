// A handle on a table that was dropped (and maybe re-created under the same name) must never
// commit again: Iceberg's assert-table-uuid. Its writes fail with a clear, non-retryable error
// and the new table keeps exactly its own history.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { icebergRead } from 'icebird'
import { connect, isAilakeError } from '../../src/index.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { tempDir } from '../helpers/tmpdir.js'

const row = (id: number) => ({ id: BigInt(id), embedding: [id, 1] })

/** table-uuid of every metadata file of the table, read as plain JSON. */
async function uuidsOnDisk(dir: string, folder: string): Promise<Map<string, string>> {
  const meta = join(dir, folder, 'metadata')
  const out = new Map<string, string>()
  for (const f of await readdir(meta)) {
    if (!f.endsWith('.metadata.json')) continue
    out.set(f, (JSON.parse(await readFile(join(meta, f), 'utf8')) as { 'table-uuid': string })['table-uuid'])
  }
  return out
}

const replaced = (e: unknown): boolean => isAilakeError(e, 'COMMIT_CONFLICT') && !e.retryable && e.context.tableReplaced === true && /re-created|open it again/.test(e.message)

// The re-created table is behind, level with, or ahead of the stale handle's version.
for (const [oldCommits, newCommits] of [[0, 0], [0, 1], [0, 3], [2, 0], [2, 2], [2, 5]] as const) {
  test(`a stale handle after ${oldCommits} commits cannot commit to its table re-created with ${newCommits}`, async () => {
    const { dir, cleanup } = await tempDir()
    const restore = installIcebirdFetch()
    try {
      const old = await (await connect(dir)).createTable('default.t', { vector: { dim: 2 }, schema: { id: 'long' } })
      for (let i = 0; i < oldCommits; i++) await old.add([row(i)])

      const lake = await connect(dir)
      await lake.dropTable('default.t')
      const fresh = await lake.createTable('default.t', { vector: { dim: 2 }, schema: { id: 'long' } })
      for (let i = 0; i < newCommits; i++) await fresh.add([row(100 + i)])
      const freshUuid = fresh.core.metadata.tableUuid

      await assert.rejects(old.add([row(3)]), replaced)
      await assert.rejects(old.refresh(), replaced)
      await assert.rejects(old.expireSnapshots({ olderThan: Date.now() + 1000 }), replaced)
      await assert.rejects(old.removeOrphanFiles({ olderThan: Date.now() + 1000 }), replaced)

      const uuids = await uuidsOnDisk(dir, 'default/t')
      assert.equal(uuids.size, newCommits + 1, 'no metadata version was added by the stale handle')
      for (const [f, u] of uuids) assert.equal(u, freshUuid, `${f} belongs to the new table`)
      const again = await (await connect(dir)).openTable('default.t')
      assert.equal(again.core.metadata.tableUuid, freshUuid)
      assert.equal(again.history().length, newCommits)
      await again.add([row(999)])
      const ids = (await icebergRead({ tableUrl: `${dir}/default/t` })).map((r) => Number(r.id)).sort((a, b) => a - b)
      assert.deepEqual(ids, [...Array.from({ length: newCommits }, (_, i) => 100 + i), 999])
    } finally {
      restore()
      await cleanup()
    }
  })
}

test('a stale handle on a dropped table fails with NOT_FOUND and does not bring it back', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const old = await lake.createTable('default.t', { vector: { dim: 2 }, schema: { id: 'long' } })
    await old.add([row(1)])
    await (await connect(dir)).dropTable('default.t')
    await assert.rejects(old.add([row(2)]), (e: unknown) => isAilakeError(e, 'NOT_FOUND') && /dropped/.test(e.message))
    assert.deepEqual(await (await connect(dir)).listTables(), [])
    await assert.rejects((await connect(dir)).openTable('default.t'), (e: unknown) => isAilakeError(e, 'NOT_FOUND'))
  } finally {
    await cleanup()
  }
})
