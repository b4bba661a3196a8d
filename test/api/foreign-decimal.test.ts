// A Spark-written table partitioned by identity on a decimal(36, 23) column (duckdb-iceberg's
// `partition_decimal_hugeint`, test/fixtures/foreign/README.md): its metadata, manifest tuples and
// manifest-list summaries decode to the exact values that repository's test documents, and the
// table reads with the partition column, which its data files leave out, filled in from each
// file's identity partition value (the spec's rule for columns a file lacks).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connect } from '../../src/index.js'
import { decodeManifest, encodeManifest } from '../../src/format/iceberg/manifest.js'
import { decodeManifestList, encodeManifestList } from '../../src/format/iceberg/manifest-list.js'
import { decodeBound } from '../../src/format/iceberg/bounds.js'
import { tempDir } from '../helpers/tmpdir.js'

const FOREIGN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'foreign')
const TABLE = 'partition_decimal_hugeint'
const MANIFEST_LIST = 'snap-1741222731966192430-1-b4dfc09f-c94f-4d63-8ce3-f7d030bd44cb.avro'
const MANIFEST = 'b4dfc09f-c94f-4d63-8ce3-f7d030bd44cb-m0.avro'

/** The rows identity_decimal_hugeint.test documents (DuckDB's ICEBERG_SCAN), as value|user_id|event. */
const DOCUMENTED = [
  '-1000000000000.00000000000000000001000|246802|rotate',
  '-5432109876.10987654321098765432109|654321|swipe',
  '-9876.54321098765432109876543|222333|view',
  '-2.71828182845904523536029|271828|doubletap',
  '-0.12345678901234567890123|888999|drag',
  '0.00000000000000000000000|987654|pinch',
  '0.00000000000000000000001|444555|scroll',
  '0.50000000000000000000000|975310|tap',
  '1.23456789012345678901234|67890|purchase',
  '3.14159265358979323846264|314159|longpress',
  '42.56378901234567890123456|12345|click',
  '1234.54321098765432109876543|111213|delete',
  '123456789.45678901234567890123456|123456|drop',
  '1000000000000.00000000000000000001000|135790|zoom',
  '9999999999999.99999999999999999999000|666777|hover',
]
const VALUES = DOCUMENTED.map((r) => r.split('|')[0] as string)

test('Spark\'s decimal partition tuples and summaries decode to the exact documented values', () => {
  const meta = join(FOREIGN, 'partition_decimal', 'default', TABLE, 'metadata')
  const list = decodeManifestList(readFileSync(join(meta, MANIFEST_LIST)))
  assert.equal(list.length, 1)
  const summary = list[0]?.partitions?.[0]
  assert.ok(summary?.lowerBound !== undefined && summary.upperBound !== undefined, 'Spark wrote the summary bounds')
  assert.equal(decodeBound('decimal(36, 23)', summary.lowerBound), VALUES[0])
  assert.equal(decodeBound('decimal(36, 23)', summary.upperBound), VALUES[VALUES.length - 1])
  const entries = decodeManifest(readFileSync(join(meta, MANIFEST)), { snapshotId: 1n, sequenceNumber: 1n })
  assert.deepEqual(entries.map((e) => e.dataFile.partition.partition_col).sort(), [...VALUES].sort())
  // Each file's directory (Spark's Hive-style path, Java's BigDecimal text) names the value its tuple holds.
  for (const e of entries) {
    const dir = /partition_col=([^/]+)\//.exec(e.dataFile.filePath)?.[1] as string
    const v = e.dataFile.partition.partition_col as string
    assert.equal(Number(dir), Number(v), e.dataFile.filePath)
  }
})

/**
 * The fixture's data files were rewritten by duckdb-iceberg's generator after Spark wrote them
 * (to drop the partition column), so the manifest records their old sizes; ailake checks sizes.
 * This copy records the real sizes (manifest and manifest list re-encoded, nothing else changed).
 */
async function consistentCopy(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const tmp = await tempDir('ailake-foreign-dec-')
  cpSync(join(FOREIGN, 'partition_decimal', 'default'), join(tmp.dir, 'default'), { recursive: true })
  const root = join(tmp.dir, 'default', TABLE)
  const lake = await connect(tmp.dir)
  const t = await lake.openTable(`default.${TABLE}`)
  const schema = t.schema
  const spec = t.core.metadata.partitionSpecs[0] as never
  await lake.close()
  const listPath = join(root, 'metadata', MANIFEST_LIST)
  const [mf] = decodeManifestList(readFileSync(listPath))
  const manifestPath = join(root, 'metadata', MANIFEST)
  const entries = decodeManifest(readFileSync(manifestPath), { snapshotId: mf!.addedSnapshotId, sequenceNumber: mf!.sequenceNumber })
  for (const e of entries) e.dataFile.fileSizeInBytes = statSync(join(tmp.dir, 'default', e.dataFile.filePath.replace(/^data\/persistent\//, ''))).size
  const manifest = encodeManifest({ schema, spec, content: 'data', snapshotId: mf!.addedSnapshotId, entries })
  writeFileSync(manifestPath, manifest)
  writeFileSync(listPath, encodeManifestList([{ ...mf!, manifestLength: manifest.length }], { snapshotId: mf!.addedSnapshotId, parentSnapshotId: null, sequenceNumber: mf!.sequenceNumber }))
  return tmp
}

test('the table reads with its identity-partitioned decimal column filled in from the partition tuples; filters compare exactly', async () => {
  const wh = await consistentCopy()
  const lake = await connect(wh.dir)
  try {
    const t = await lake.openTable(`default.${TABLE}`)
    assert.deepEqual(t.schema.fields.map((f) => [f.name, f.type]), [['partition_col', 'decimal(36, 23)'], ['user_id', 'long'], ['event_type', 'string']])
    const rows = async (where?: string): Promise<string[]> => {
      const out: string[] = []
      for await (const r of t.scan(where === undefined ? {} : { where })) out.push(`${String(r.partition_col)}|${String(r.user_id)}|${String(r.event_type)}`)
      return out
    }
    assert.deepEqual((await rows()).sort(), [...DOCUMENTED].sort())
    assert.deepEqual(await rows("partition_col = '3.14159265358979323846264'"), ['3.14159265358979323846264|314159|longpress'], 'the documented filter')
    // Values that differ only past a double's 17 digits stay apart.
    assert.deepEqual((await rows("partition_col > '1000000000000.00000000000000000000999'")).sort(), [DOCUMENTED[13], DOCUMENTED[14]].sort())
    assert.deepEqual(await rows("partition_col < '-1000000000000.00000000000000000000999'"), [DOCUMENTED[0]])
  } finally {
    await lake.close()
    await wh.cleanup()
  }
})
