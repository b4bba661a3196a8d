// Independent-reader proof: a complete Iceberg v2 table built with ailake's codecs (manifests
// carrying the `ailake` field) and hyparquet-writer data files reads back in icebird.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { icebergRead } from 'icebird'
import { installIcebirdFetch } from '../../helpers/icebird-fetch.js'
import { encodeTableMetadata, decodeTableMetadata } from '../../../src/format/iceberg/table-metadata.js'
import { encodeManifest, decodeManifest, manifestCounts } from '../../../src/format/iceberg/manifest.js'
import { encodeManifestList, decodeManifestList } from '../../../src/format/iceberg/manifest-list.js'
import { schemaToJson } from '../../../src/format/iceberg/schema-json.js'
import { encodeBound } from '../../../src/format/iceberg/bounds.js'
import type { Schema } from '../../../src/format/schema.js'
import type { ManifestFile, Snapshot, TableMetadata } from '../../../src/format/iceberg/types.js'

// Above 2^53 yet distinct as doubles, since icebird parses metadata with plain JSON.parse.
const SNAP1 = 2n ** 60n + 1n
const SNAP2 = 2n ** 61n + 3n
const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', type: 'long', required: true },
    { id: 2, name: 'docId', type: 'string', required: false },
    { id: 3, name: 'vec', type: { type: 'fixed', length: 8 }, required: false },
  ],
}
const spec = { specId: 0, fields: [] }

let dir = ''
let restore = (): void => {}

function vec(i: number): Uint8Array {
  return new Uint8Array(new Float32Array([i, -i]).buffer)
}

async function writeDataFile(path: string, ids: number[]): Promise<number> {
  const buf = parquetWriteBuffer({
    columnData: [
      { name: 'id', data: ids.map(BigInt) },
      { name: 'docId', data: ids.map((i) => `doc-${i}`) },
      { name: 'vec', data: ids.map(vec) },
    ],
    schema: [
      { name: 'table', num_children: 3 },
      { name: 'id', type: 'INT64', repetition_type: 'REQUIRED', field_id: 1 },
      { name: 'docId', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL', field_id: 2 },
      { name: 'vec', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 8, repetition_type: 'OPTIONAL', field_id: 3 },
    ],
    kvMetadata: [{ key: 'iceberg.schema', value: JSON.stringify(schemaToJson(schema)) }],
  })
  await writeFile(path, new Uint8Array(buf))
  return buf.byteLength
}

async function commit(
  meta: TableMetadata | null, snapshotId: bigint, seq: bigint, ids: number[], carried: ManifestFile[],
): Promise<{ meta: TableMetadata; manifests: ManifestFile[] }> {
  const table = dir
  const dataPath = join(table, 'data', `part-${seq}.parquet`)
  const size = await writeDataFile(dataPath, ids)
  const entries = [{
    status: 'ADDED' as const, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null,
    dataFile: {
      content: 'data' as const, filePath: dataPath, fileFormat: 'PARQUET' as const, partition: {}, recordCount: ids.length, fileSizeInBytes: size,
      lowerBounds: new Map([[1, encodeBound('long', BigInt(Math.min(...ids))) as Uint8Array]]),
      upperBounds: new Map([[1, encodeBound('long', BigInt(Math.max(...ids))) as Uint8Array]]),
      ailake: {
        column: 'vec', dim: 2, metric: 'euclidean' as const, precision: 'f32' as const, rowCount: ids.length,
        centroid: new Float32Array([1, -1]), radius: 3, indexType: 'none' as const, indexStatus: 'pending' as const, sectionOffset: 0, sectionLength: 0,
      },
    },
  }]
  const manifestPath = join(table, 'metadata', `${snapshotId}-m0.avro`)
  const manifest = encodeManifest({ schema, spec, content: 'data', snapshotId, entries })
  await writeFile(manifestPath, manifest)
  const counts = manifestCounts(entries, seq)
  const manifests: ManifestFile[] = [...carried, {
    manifestPath, manifestLength: manifest.length, partitionSpecId: 0, content: 'data', sequenceNumber: seq, addedSnapshotId: snapshotId, ...counts,
  }]
  const parent = meta?.currentSnapshotId ?? null
  const listPath = join(table, 'metadata', `snap-${snapshotId}-1.avro`)
  // The manifest list points at paths as file:// URLs, the data files as plain paths: the shim serves both.
  await writeFile(listPath, encodeManifestList(manifests.map((m) => ({ ...m, manifestPath: pathToFileURL(m.manifestPath).href })), { snapshotId, parentSnapshotId: parent, sequenceNumber: seq }))
  const now = 1_700_000_000_000 + Number(seq) * 1000
  const snap: Snapshot = { snapshotId, sequenceNumber: seq, timestampMs: now, manifestList: listPath, summary: { operation: 'append', 'added-data-files': '1', 'added-records': String(ids.length) }, schemaId: 0 }
  if (parent !== null) snap.parentSnapshotId = parent
  const version = Number(seq)
  const next: TableMetadata = {
    formatVersion: 2, tableUuid: '6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9', location: table, lastSequenceNumber: seq, lastUpdatedMs: now,
    lastColumnId: 3, schemas: [schema], currentSchemaId: 0, partitionSpecs: [spec], defaultSpecId: 0, lastPartitionId: 999,
    properties: { 'ailake.vector-column': 'vec' }, currentSnapshotId: snapshotId, snapshots: [...(meta?.snapshots ?? []), snap],
    snapshotLog: [...(meta?.snapshotLog ?? []), { timestampMs: now, snapshotId }],
    metadataLog: version > 1 ? [...(meta?.metadataLog ?? []), { timestampMs: meta?.lastUpdatedMs ?? 0, metadataFile: join(table, 'metadata', `v${version - 1}.metadata.json`) }] : [],
    sortOrders: [{ orderId: 0, fields: [] }], defaultSortOrderId: 0, refs: { main: { snapshotId, type: 'branch' } },
  }
  await writeFile(join(table, 'metadata', `v${version}.metadata.json`), encodeTableMetadata(next))
  await writeFile(join(table, 'metadata', 'version-hint.text'), String(version))
  return { meta: next, manifests }
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ailake-icebird-'))
  await mkdir(join(dir, 'data'))
  await mkdir(join(dir, 'metadata'))
  restore = installIcebirdFetch()
  const first = await commit(null, SNAP1, 1n, [1, 2, 3], [])
  await commit(first.meta, SNAP2, 2n, [10, 11], first.manifests)
})

after(async () => {
  restore()
  await rm(dir, { recursive: true, force: true })
})

type Row = { id: bigint; docId: string; vec: Uint8Array }
const simplify = (rows: Record<string, unknown>[]) => (rows as Row[]).map((r) => [Number(r.id), r.docId, Array.from(new Float32Array(new Uint8Array(r.vec).buffer))])

test('icebird reads the current snapshot (two appends) of a table ailake wrote', async () => {
  const rows = await icebergRead({ tableUrl: pathToFileURL(dir).href })
  assert.deepEqual(simplify(rows), [
    [1, 'doc-1', [1, -1]], [2, 'doc-2', [2, -2]], [3, 'doc-3', [3, -3]], [10, 'doc-10', [10, -10]], [11, 'doc-11', [11, -11]],
  ])
})

test('icebird reads the older snapshot, by its metadata file and by switching the current snapshot', async () => {
  const v1 = await icebergRead({ tableUrl: dir, metadataFileName: 'v1.metadata.json' })
  assert.deepEqual(simplify(v1).map((r) => r[0]), [1, 2, 3])
  const latest = JSON.parse(await readFile(join(dir, 'metadata', 'v2.metadata.json'), 'utf8')) as Record<string, unknown>
  const older = { ...latest, 'current-snapshot-id': (latest.snapshots as Record<string, unknown>[])[0]?.['snapshot-id'] }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- icebird's TableMetadata type is its own
  const rows = await icebergRead({ tableUrl: dir, metadata: older as any })
  assert.deepEqual(simplify(rows).map((r) => r[0]), [1, 2, 3])
})

test('ailake reads its own table back: lossless ids, inheritance through the manifest list, vector facts', async () => {
  const meta = decodeTableMetadata(await readFile(join(dir, 'metadata', 'v2.metadata.json'), 'utf8'), 'v2.metadata.json')
  assert.equal(meta.currentSnapshotId, SNAP2)
  assert.equal(meta.snapshots[1]?.parentSnapshotId, SNAP1)
  assert.deepEqual(meta.metadataLog.map((e) => e.metadataFile.endsWith('v1.metadata.json')), [true])
  const list = decodeManifestList(new Uint8Array(await readFile(meta.snapshots[1]?.manifestList ?? '')))
  assert.deepEqual(list.map((m) => [m.addedSnapshotId, m.sequenceNumber, m.addedFilesCount, m.addedRowsCount]), [[SNAP1, 1n, 1, 3], [SNAP2, 2n, 1, 2]])
  const entries = []
  for (const m of list) {
    const bytes = new Uint8Array(await readFile(new URL(m.manifestPath)))
    assert.equal(bytes.length, m.manifestLength)
    entries.push(...decodeManifest(bytes, { snapshotId: m.addedSnapshotId, sequenceNumber: m.sequenceNumber }))
  }
  assert.deepEqual(entries.map((e) => [e.status, e.snapshotId, e.sequenceNumber]), [['ADDED', SNAP1, 1n], ['ADDED', SNAP2, 2n]])
  assert.deepEqual(entries.map((e) => e.dataFile.ailake?.indexStatus), ['pending', 'pending'])
  assert.deepEqual(Array.from(entries[0]?.dataFile.ailake?.centroid ?? []), [1, -1])
})
