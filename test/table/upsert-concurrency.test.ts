/**
 * Upserts of the same keys from several processes at once end with exactly one row per key
 * (checked with icebird, an independent reader), through table.upsert and through streaming
 * writers with upsertOn.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { icebergRead } from 'icebird'
import { connect } from '../../src/index.js'
import { runNode } from '../helpers/child.js'
import { installIcebirdFetch } from '../helpers/icebird-fetch.js'
import { tempDir } from '../helpers/tmpdir.js'

const WORKER = fileURLToPath(new URL('./upsert-worker.js', import.meta.url))

for (const mode of ['api', 'stream'] as const) {
  test(`three processes upserting the same keys concurrently leave one row per key (${mode})`, async () => {
    const { dir, cleanup } = await tempDir()
    const restore = installIcebirdFetch()
    try {
      const lake = await connect(dir)
      const t = await lake.createTable('default.keys', { vector: { dim: 3, metric: 'euclidean' }, schema: { k: { type: 'long', required: true }, who: 'string' } })
      const KEYS = 25
      const ROUNDS = 4
      const results = await Promise.all([1, 2, 3].map((w) => runNode(WORKER, [dir, 'default.keys', String(w), String(ROUNDS), String(KEYS), mode])))
      for (const r of results) assert.equal(r.code, 0, r.err)
      const rows = await icebergRead({ tableUrl: `${dir}/default/keys` })
      const keys = rows.map((r) => Number(r.k)).sort((a, b) => a - b)
      assert.deepEqual(keys, Array.from({ length: KEYS }, (_, i) => i), 'each key exactly once')
      // Every surviving value was written by some worker's round (no mixed or lost versions).
      assert.ok(rows.every((r) => /^[123]:[0-3]$/.test(String(r.who))), 'values come from the workers')
      await t.refresh()
      assert.equal(await t.countRows(), KEYS)
      const ops = t.history().map((h) => h.operation)
      assert.ok(ops.filter((o) => o === 'overwrite').length >= 3 * ROUNDS - 3, `every round committed (${ops.join(',')})`)
    } finally {
      restore()
      await cleanup()
    }
  })
}
