// Manifest lists may leave file counts out (Iceberg v1 writers; tables upgraded to v2 keep such
// lists). Commits and planners skip manifests whose counts say they hold no live file, so an
// unknown count must never read as 0: a later commit would drop those manifests, and their rows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect } from '../../src/index.js'
import { decodeManifestList } from '../../src/format/iceberg/manifest-list.js'
import { MANIFEST_FILE_SCHEMA } from '../../src/format/iceberg/manifest-schema.js'
import { readOcf, writeOcf } from '../../src/format/iceberg/avro-ocf.js'
import type { IcebergTable } from '../../src/table/iceberg-table.js'
import { ManifestCache } from '../../src/table/manifest-cache.js'
import { LocalStore } from '../../src/store/local-store.js'
import { tempDir } from '../helpers/tmpdir.js'

const REPRO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'foreign', 'iceberg_v1_repro')
const PREFIX = 'data/persistent/iceberg_v1_repro/'

test('a v1 manifest list without counts (duckdb-iceberg fixture) gets the counts its manifests hold, equal to the same snapshot\'s list that has them', async () => {
  const meta = `${PREFIX}repro/merch_v1/metadata/`
  const bytes = (name: string): Uint8Array => readFileSync(join(REPRO, 'repro/merch_v1/metadata', name))
  const raw = decodeManifestList(bytes('snap-v1-null-counts.avro'))
  assert.ok(raw.length > 0 && raw.every((m) => m.countsUnknown === true))
  const cache = new ManifestCache(new LocalStore({ root: REPRO }), (loc) => loc.slice(PREFIX.length))
  const counted = await cache.manifestList(`${meta}snap-v1-null-counts.avro`)
  const writer = decodeManifestList(bytes('snap-5191822260710938731-0-ccab0b80-739e-4dc6-a95d-306d70e93d65.avro'))
  // File counts as the writer recorded them; rows by status as the entries hold them (that writer
  // counted an overwrite's carried EXISTING rows as added, so only live and deleted sums compare).
  const pick = (m: (typeof writer)[number]): unknown[] => [m.manifestPath, m.addedFilesCount, m.existingFilesCount, m.deletedFilesCount, m.addedRowsCount + m.existingRowsCount, m.deletedRowsCount]
  assert.deepEqual(counted.map(pick).sort(), writer.map(pick).sort())
  assert.ok(counted.every((m) => m.countsUnknown === undefined))
})

test('a commit on a table whose manifest list left the counts out keeps every row (they were dropped as empty manifests)', async () => {
  const { dir, cleanup } = await tempDir('ailake-counts-')
  try {
    let lake = await connect(dir)
    let t = await lake.createTable('ns.docs', { vector: { dim: 2 }, schema: { id: 'long' } })
    await t.add([{ id: 1n, embedding: [1, 0] }, { id: 2n, embedding: [0, 1] }])
    await t.add([{ id: 3n, embedding: [1, 1] }])
    const list = (t.core as IcebergTable).snapshots().at(-1)?.manifestList as string
    await lake.close()
    // The same list as a v1 writer may leave it: the count fields optional and null.
    const ocf = readOcf(readFileSync(fileURLToPath(list)))
    const optional = new Set(['added_files_count', 'existing_files_count', 'deleted_files_count', 'added_rows_count', 'existing_rows_count', 'deleted_rows_count'])
    const schema = structuredClone(MANIFEST_FILE_SCHEMA) as { fields: { name: string; type: unknown; default?: unknown }[] }
    for (const f of schema.fields) if (optional.has(f.name)) Object.assign(f, { type: ['null', f.type], default: null })
    const records = (ocf.records as Record<string, unknown>[]).map((r) => ({ ...r, ...Object.fromEntries([...optional].map((k) => [k, null])) }))
    writeFileSync(fileURLToPath(list), writeOcf({ schema, metadata: ocf.metadata, records }))

    lake = await connect(dir)
    t = await lake.openTable('ns.docs')
    assert.equal(await t.countRows(), 3)
    await t.add([{ id: 4n, embedding: [0, 2] }])
    assert.equal(await t.countRows(), 4, 'the rows of the manifests without counts are still live')
    assert.deepEqual((await t.search([1, 0]).limit(4).select(['id']).toArray()).map((r) => r.id).sort(), [1n, 2n, 3n, 4n])
    await lake.close()
  } finally {
    await cleanup()
  }
})
