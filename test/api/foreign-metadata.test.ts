// Tables whose metadata another catalog or an older format wrote: Iceberg v1 tables (Spark's
// deprecated single `schema`/`partition-spec` fields and manifests listed in the snapshot; a
// PyIceberg-style table whose files are named `0000N-<uuid>.metadata.json`, with EXISTING
// manifest entries without sequence numbers) and gzip-compressed metadata files. Expected rows
// are the ones duckdb-iceberg's tests document for these fixtures (test/fixtures/foreign/README.md).
// They read at every snapshot; changes are refused with UNSUPPORTED, naming what to do.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { connect, isAilakeError, parseJson, type Table } from '../../src/index.js'
import { tempDir } from '../helpers/tmpdir.js'

const FOREIGN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'foreign')

async function warehouse(from: string, ns: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const tmp = await tempDir('ailake-foreign-meta-')
  cpSync(join(FOREIGN, from), join(tmp.dir, ns), { recursive: true })
  return tmp
}

async function rows(t: Table, options: Parameters<Table['scan']>[0] = {}): Promise<string[]> {
  const out: string[] = []
  for await (const r of t.scan(options)) out.push(Object.values(r).map(String).join('|'))
  return out.sort()
}

const unsupported = (what: RegExp) => (e: unknown): boolean => isAilakeError(e, 'UNSUPPORTED') && what.test(e.message)

test('an Iceberg v1 table with the deprecated schema, partition-spec and snapshot manifests reads as documented', async () => {
  const wh = await warehouse('iceberg_v1_deprecated/default', 'default')
  const lake = await connect(wh.dir)
  try {
    const t = await lake.openTable('default.legacy_v1')
    assert.deepEqual(t.schema.fields.map((f) => [f.name, f.type]), [['id', 'int'], ['category', 'string'], ['amount', 'int']])
    assert.deepEqual(await rows(t), ['1|alpha|10', '2|beta|20', '3|alpha|null'])
    assert.deepEqual(await rows(t, { select: ['id', 'amount'], where: "category = 'beta'" }), ['2|20'])
    assert.equal(await t.countRows(), 3)
    // Partition values prune: the beta file alone holds category = 'beta'.
    const files = await t.files()
    assert.equal(files.length, 2)
    assert.deepEqual(t.history().map((h) => h.operation), ['append'])
    await assert.rejects(t.alterSchema({ add: { note: 'string' } }), unsupported(/format version 1: ailake reads it but writes v2.*upgrade it/))
    assert.deepEqual(await rows(t), ['1|alpha|10', '2|beta|20', '3|alpha|null'], 'nothing changed')
  } finally {
    await lake.close()
    await wh.cleanup()
  }
})

test('the Iceberg REST catalog serves a v1 table\'s metadata as its writer wrote it and refuses commits to it', async () => {
  const wh = await warehouse('iceberg_v1_deprecated/default', 'default')
  const lake = await connect(wh.dir)
  try {
    const ident = { namespace: ['default'], name: 'legacy_v1' }
    const loaded = await lake.iceberg.loadTable(ident)
    assert.match(loaded.metadataLocation, /v2\.metadata\.json$/)
    const file = parseJson(readFileSync(join(FOREIGN, 'iceberg_v1_deprecated/default/legacy_v1/metadata/v2.metadata.json'), 'utf8'), 'fixture') as Record<string, unknown>
    assert.equal(loaded.metadata['format-version'], 1)
    assert.deepEqual(loaded.metadata, file, 'the file\'s fields, the deprecated schema and partition-spec included, 64-bit ids exact')
    await assert.rejects(lake.iceberg.commitTable(ident, { requirements: [], updates: [{ action: 'set-properties', updates: { owner: 'x' } }] }), unsupported(/format version 1/))
  } finally {
    await lake.close()
    await wh.cleanup()
  }
})

test('a v1 table named by its catalog (0000N-<uuid>.metadata.json) reads at every snapshot, EXISTING entries included; writes are refused', async () => {
  const wh = await warehouse('iceberg_v1_repro/repro', 'repro')
  const lake = await connect(wh.dir)
  try {
    assert.deepEqual((await lake.listTables('repro')).map(String), ['repro.merch_v1'])
    const t = await lake.openTable('repro.merch_v1')
    assert.deepEqual(await rows(t), ['2|nba|20', '3|mlb|30', '4|nhl|40', '6|nba|60'])
    const history = t.history()
    assert.deepEqual(history.map((h) => h.operation), ['append', 'append', 'overwrite'])
    // Row counts per snapshot as the writer recorded them (total-records): 3, 6, 4.
    assert.deepEqual(await Promise.all(history.map(async (h) => (await rows(t, { asOf: h.snapshotId })).length)), [3, 6, 4])
    assert.deepEqual(await rows(t, { select: ['id'], where: "league = 'nba'" }), ['2', '6'])
    await assert.rejects(t.alterSchema({ add: { note: 'string' } }), unsupported(/read-only here.*00003-8d01e4aa-d143-49c9-898e-b5e477577b70\.metadata\.json/))
  } finally {
    await lake.close()
    await wh.cleanup()
  }
})

test('gzip-compressed and catalog-named metadata files of an ailake table read the same; commits to them are refused', async () => {
  const { dir, cleanup } = await tempDir('ailake-gz-meta-')
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('ns.docs', { vector: { dim: 2 }, schema: { id: 'long' } })
    await t.add([{ id: 1n, embedding: [1, 0] }, { id: 2n, embedding: [0, 1] }])
    await t.add([{ id: 3n, embedding: [1, 1] }])
    const expected = await rows(t, { select: ['id'] })
    await lake.close()
    const meta = join(dir, 'ns', 'docs', 'metadata')
    const newest = readdirSync(meta).filter((f) => /^v\d+\.metadata\.json$/.test(f)).sort((a, b) => Number(a.slice(1, -14)) - Number(b.slice(1, -14))).at(-1) as string
    const version = newest.slice(1, -14)
    rmSync(join(meta, 'version-hint.text'))

    // Java Iceberg's write.metadata.compression-codec = gzip (compressed here by node:zlib).
    const gz = join(meta, `v${version}.gz.metadata.json`)
    const text = readFileSync(join(meta, newest))
    writeFileSync(gz, gzipSync(text))
    rmSync(join(meta, newest))
    let again = await connect(dir)
    let t2 = await again.openTable('ns.docs')
    assert.deepEqual(await rows(t2, { select: ['id'] }), expected)
    assert.equal((await t2.search([1, 0]).limit(1).toArray())[0]?.id, 1n)
    await assert.rejects(t2.add([{ id: 4n, embedding: [0, 0.5] }]), unsupported(/read-only here.*v\d+\.gz\.metadata\.json.*another catalog/))
    await again.close()

    // A damaged gzip file is CORRUPT_DATA, naming the file.
    const good = readFileSync(gz)
    const bad = Uint8Array.from(good)
    bad[12] = (bad[12] as number) ^ 0xff
    writeFileSync(gz, bad)
    again = await connect(dir)
    await assert.rejects(again.openTable('ns.docs'), (e: unknown) => isAilakeError(e, 'CORRUPT_DATA') && e.message.includes('.gz.metadata.json'))
    await again.close()

    // The same version named as PyIceberg and Java catalogs name it.
    rmSync(gz)
    writeFileSync(join(meta, `${version.padStart(5, '0')}-0b7bd3fa-5e4c-4bd1-a9d5-8d5e4a6cde01.metadata.json`), text)
    again = await connect(dir)
    t2 = await again.openTable('ns.docs')
    assert.deepEqual(await rows(t2, { select: ['id'] }), expected)
    await assert.rejects(t2.delete('id = 1'), unsupported(/read-only here/))
    assert.deepEqual(await rows(t2, { select: ['id'] }), expected, 'nothing changed')
    await again.close()
  } finally {
    await cleanup()
  }
})
