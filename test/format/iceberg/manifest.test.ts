import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isDeepStrictEqual } from 'node:util'
import { spawnSync } from 'node:child_process'
import { crc32, deflateRawSync } from 'node:zlib'
import { snappyCompress } from 'hyparquet-writer/src/snappy.js'
import { avroMetadata } from 'icebird/src/avro/avro.metadata.js'
import { avroRead } from 'icebird/src/avro/avro.read.js'
import { decodeManifest, encodeManifest, manifestCounts } from '../../../src/format/iceberg/manifest.js'
import { decodeManifestList, encodeManifestList } from '../../../src/format/iceberg/manifest-list.js'
import { CHECKSUM_KEY, readOcf, writeOcf } from '../../../src/format/iceberg/avro-ocf.js'
import { AILAKE_FIELD_ID } from '../../../src/format/iceberg/manifest-schema.js'
import type { ManifestEntry, ManifestFile } from '../../../src/format/iceberg/types.js'
import { isAilakeError, type AilakeErrorCode } from '../../../src/errors.js'
import { BIG_SNAP_1, BIG_SNAP_2, entry, facts, schema, unpartitioned } from './fixtures.js'

const fails = (code: AilakeErrorCode, pattern: RegExp) => (e: unknown) => isAilakeError(e, code) && pattern.test(e.message)

/** Compresses with the zstd command-line tool (installed by .ci/run), an independent encoder. */
function zstdCli(b: Uint8Array): Uint8Array {
  const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: b })
  if (r.error !== undefined || r.status !== 0) throw new Error(`zstd is needed for this test (apt-get install zstd): ${String(r.error ?? r.stderr)}`)
  return new Uint8Array(r.stdout)
}

/** Avro's snappy block: raw snappy, then the big-endian CRC-32 (node zlib's) of the input. */
function avroSnappy(b: Uint8Array): Uint8Array {
  const body = snappyCompress(b)
  const out = new Uint8Array(body.length + 4)
  out.set(body)
  new DataView(out.buffer).setUint32(body.length, crc32(b) >>> 0, false)
  return out
}

function sampleEntries(): ManifestEntry[] {
  return [
    entry('ADDED', '/wh/t/data/a.parquet', {}, { ailake: facts() }),
    entry('EXISTING', '/wh/t/data/b.parquet', { snapshotId: BIG_SNAP_1, sequenceNumber: 1n, fileSequenceNumber: 1n }),
    entry('DELETED', '/wh/t/data/c.parquet', { snapshotId: BIG_SNAP_2, sequenceNumber: 1n, fileSequenceNumber: 1n }, { recordCount: 7 }),
  ]
}

function encodeSample(entries = sampleEntries()): Uint8Array {
  return encodeManifest({ schema, spec: unpartitioned, content: 'data', snapshotId: BIG_SNAP_2, entries })
}

test('manifest round trip with ADDED/EXISTING/DELETED and inheritance of nulls', () => {
  const entries = sampleEntries()
  const back = decodeManifest(encodeSample(entries), { snapshotId: BIG_SNAP_2, sequenceNumber: 5n })
  assert.equal(back.length, 3)
  // ADDED: snapshot id written explicitly, sequence numbers inherited from the manifest list.
  assert.deepEqual({ ...back[0], dataFile: undefined }, { status: 'ADDED', snapshotId: BIG_SNAP_2, sequenceNumber: 5n, fileSequenceNumber: 5n, dataFile: undefined })
  // EXISTING keeps its own values; it does not inherit.
  assert.equal(back[1]?.snapshotId, BIG_SNAP_1)
  assert.equal(back[1]?.sequenceNumber, 1n)
  assert.equal(back[2]?.status, 'DELETED')
  assert.equal(back[2]?.snapshotId, BIG_SNAP_2)
  assert.equal(back[2]?.sequenceNumber, 1n)
  // Each file learns its partition spec from the manifest (here the header's: spec 0).
  assert.deepEqual(back[0]?.dataFile, { ...entries[0]?.dataFile, specId: 0 })
  assert.deepEqual(back[1]?.dataFile, { ...entries[1]?.dataFile, specId: 0 })
  const f = back[0]?.dataFile.ailake
  assert.ok(f)
  assert.deepEqual(Array.from(f.centroid), Array.from(facts().centroid))
  assert.equal(back[1]?.dataFile.ailake, undefined)
})

test('a null snapshot id inherits from the manifest list; a null seq on EXISTING is corrupt', () => {
  const bytes = writeOcf({
    schema: readOcf(encodeSample()).schema,
    metadata: { 'format-version': '2' },
    records: [
      { status: 1, snapshot_id: null, sequence_number: null, file_sequence_number: null, data_file: rawDataFile('/x.parquet') },
      { status: 1, snapshot_id: 7n, sequence_number: 2n, file_sequence_number: 3n, data_file: rawDataFile('/y.parquet') },
    ],
  })
  const back = decodeManifest(bytes, { snapshotId: 42n, sequenceNumber: 9n })
  assert.deepEqual(back.map((e) => [e.snapshotId, e.sequenceNumber, e.fileSequenceNumber]), [[42n, 9n, 9n], [7n, 2n, 3n]])
  const bad = writeOcf({
    schema: readOcf(encodeSample()).schema,
    records: [{ status: 0, snapshot_id: 7n, sequence_number: null, file_sequence_number: null, data_file: rawDataFile('/x.parquet') }],
  })
  assert.throws(() => decodeManifest(bad, { snapshotId: 1n, sequenceNumber: 1n }), fails('CORRUPT_DATA', /sequence_number must be set explicitly on an EXISTING entry/))
})

function rawDataFile(path: string): Record<string, unknown> {
  return {
    content: 0, file_path: path, file_format: 'PARQUET', partition: {}, record_count: 1n, file_size_in_bytes: 10n,
    column_sizes: null, value_counts: null, null_value_counts: null, nan_value_counts: null, lower_bounds: null, upper_bounds: null,
    key_metadata: null, split_offsets: null, equality_ids: null, sort_order_id: null, ailake: null,
  }
}

test('the embedded Avro schema keeps every field id, and the header carries Iceberg metadata', () => {
  const { schema: avro, metadata } = readOcf(encodeSample())
  const text = JSON.stringify(avro)
  const ids = [...text.matchAll(/"field-id":(\d+)/g)].map((m) => Number(m[1]))
  for (const id of [0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 108, 109, 110, 117, 118, 125, 126, 127, 128, 131, 132, 134, 135, 137, 140, AILAKE_FIELD_ID, 3006, 3011]) {
    assert.ok(ids.includes(id), `field-id ${id}`)
  }
  assert.match(text, /"element-id":133/)
  assert.match(text, /"logicalType":"map"/)
  assert.equal(metadata['format-version'], '2')
  assert.equal(metadata.content, 'data')
  assert.equal(metadata['partition-spec-id'], '0')
  assert.equal(metadata['partition-spec'], '[]')
  assert.equal(metadata['schema-id'], '0')
  assert.equal((JSON.parse(metadata.schema ?? '{}') as { fields: unknown[] }).fields.length, 4)
  assert.equal(metadata['avro.codec'], 'null')
})

test('an independent Avro reader (icebird) decodes our manifest, ailake field included', async () => {
  const bytes = encodeSample()
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 }
  const { metadata, syncMarker } = await avroMetadata(reader)
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- icebird returns untyped records
  const rows = await avroRead({ reader, metadata, syncMarker }) as Record<string, any>[]
  assert.equal(rows.length, 3)
  assert.equal(rows[0]?.data_file.file_path, '/wh/t/data/a.parquet')
  assert.equal(rows[0]?.snapshot_id, BIG_SNAP_2)
  assert.equal(rows[0]?.sequence_number, undefined)
  assert.equal(rows[0]?.data_file.ailake.dim, 4)
  assert.equal(rows[1]?.data_file.ailake, undefined)
})

test('partitioned manifests round-trip typed partition values', () => {
  const spec = { specId: 1, fields: [{ sourceId: 2, fieldId: 1000, name: 'docId', transform: 'identity' }, { sourceId: 1, fieldId: 1001, name: 'id_bucket', transform: 'bucket[8]' }] }
  const e = entry('ADDED', '/p.parquet', {}, { partition: { docId: 'a/b', id_bucket: 3 } })
  const e2 = entry('ADDED', '/q.parquet', {}, { partition: { docId: null, id_bucket: 0 } })
  const bytes = encodeManifest({ schema, spec, content: 'data', snapshotId: 1n, entries: [e, e2] })
  const back = decodeManifest(bytes, { snapshotId: 1n, sequenceNumber: 1n })
  assert.deepEqual(back.map((x) => x.dataFile.partition), [{ docId: 'a/b', id_bucket: 3 }, { docId: null, id_bucket: 0 }])
  assert.match(readOcf(bytes).metadata['partition-spec'] ?? '', /"field-id":1000/)
})

test('encode rejects entries that break the inheritance rules', () => {
  const enc = (entries: ManifestEntry[], content: 'data' | 'deletes' = 'data') => encodeManifest({ schema, spec: unpartitioned, content, snapshotId: 9n, entries })
  assert.throws(() => enc([entry('EXISTING', '/a')]), fails('INVALID_ARGUMENT', /EXISTING/))
  assert.throws(() => enc([entry('DELETED', '/a', { snapshotId: 1n })]), fails('INVALID_ARGUMENT', /DELETED/))
  assert.throws(() => enc([entry('ADDED', '/a', { snapshotId: 8n })]), fails('INVALID_ARGUMENT', /carries snapshot id 8/))
  assert.throws(() => enc([entry('ADDED', '/a')], 'deletes'), fails('INVALID_ARGUMENT', /manifest content is deletes/))
  assert.throws(() => enc([entry('ADDED', '/a', {}, { ailake: { ...facts(), dim: 5 } })]), fails('INVALID_ARGUMENT', /centroid/))
})

test('manifestCounts are truthful', () => {
  const c = manifestCounts(sampleEntries(), 5n)
  assert.deepEqual(c, { addedFilesCount: 1, existingFilesCount: 1, deletedFilesCount: 1, addedRowsCount: 3, existingRowsCount: 3, deletedRowsCount: 7, minSequenceNumber: 1n })
  assert.equal(manifestCounts([entry('ADDED', '/a')], 5n).minSequenceNumber, 5n)
})

test('truncated manifests fail with CORRUPT_DATA at every cut, the block boundary included', () => {
  const bytes = encodeSample()
  for (let n = 0; n < bytes.length; n++) {
    // A cut exactly after the header is a valid empty Avro container: only the checksum tells.
    assert.throws(() => decodeManifest(bytes.subarray(0, n), { snapshotId: 1n, sequenceNumber: 1n }), (e) => isAilakeError(e, 'CORRUPT_DATA'), `cut at ${n}`)
  }
  // Without ailake's checksum (another writer's file) that one cut still reads as empty.
  const plain = withoutChecksum(bytes)
  const headerEnd = withoutChecksum(encodeManifest({ schema, spec: unpartitioned, content: 'data', snapshotId: BIG_SNAP_2, entries: [] })).length
  assert.deepEqual(decodeManifest(plain.subarray(0, headerEnd), { snapshotId: 1n, sequenceNumber: 1n }), [])
})

/** The file as a writer without ailake's checksum would have written it: the last header entry removed. */
function withoutChecksum(bytes: Uint8Array): Uint8Array {
  const key = new TextEncoder().encode(CHECKSUM_KEY)
  let at = -1
  for (let i = 0; i + key.length < bytes.length && at < 0; i++) if (bytes[i] === 2 * key.length && key.every((b, j) => bytes[i + 1 + j] === b)) at = i
  assert.ok(at > 0, 'no checksum entry')
  const out = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(at + 1 + key.length + 1 + 8)])
  out[4] = (out[4] as number) - 2 // the map's entry count, zigzag, one byte
  assert.equal(readOcf(out).metadata[CHECKSUM_KEY], undefined)
  return out
}

/** Flips every bit of `bytes` once; tallies errors, decodes equal to the pristine one, and other decodes. */
function flipEveryBit(bytes: Uint8Array, decode: (b: Uint8Array) => unknown, label: string): { error: number; same: number; wrong: number; wrongAt: number[] } {
  const pristine = decode(bytes)
  const tally = { error: 0, same: 0, wrong: 0, wrongAt: [] as number[] }
  for (let i = 0; i < bytes.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const copy = bytes.slice()
      copy[i] = (copy[i] ?? 0) ^ (1 << bit)
      let got: unknown
      try {
        got = decode(copy)
      } catch (e) {
        assert.ok(isAilakeError(e, 'CORRUPT_DATA') || isAilakeError(e, 'UNSUPPORTED'), `${label} byte ${i} bit ${bit}: ${String(e)}`)
        tally.error++
        continue
      }
      if (isDeepStrictEqual(got, pristine)) tally.same++
      else {
        tally.wrong++
        tally.wrongAt.push(i)
      }
    }
  }
  return tally
}

test('every single-bit flip in a manifest and a manifest list is CORRUPT_DATA or decodes to exactly the pristine contents', (t) => {
  const manifest = flipEveryBit(encodeSample(), (b) => decodeManifest(b, { snapshotId: 1n, sequenceNumber: 1n }), 'manifest')
  t.diagnostic(`manifest: ${manifest.error} CORRUPT_DATA, ${manifest.same} pristine, ${manifest.wrong} wrong`)
  const list = flipEveryBit(encodeManifestList(files, { snapshotId: BIG_SNAP_2, parentSnapshotId: BIG_SNAP_1, sequenceNumber: 2n }), (b) => decodeManifestList(b), 'manifest list')
  t.diagnostic(`manifest list: ${list.error} CORRUPT_DATA, ${list.same} pristine, ${list.wrong} wrong`)
  assert.equal(manifest.wrong, 0, `manifest: ${manifest.wrong} flips decoded to other contents (bytes ${[...new Set(manifest.wrongAt)].slice(0, 12).join(', ')})`)
  assert.equal(list.wrong, 0, `manifest list: ${list.wrong} flips decoded to other contents (bytes ${[...new Set(list.wrongAt)].slice(0, 12).join(', ')})`)
})

test('hostile block and array counts fail fast instead of spinning', () => {
  const schemaJson = { type: 'record', name: 'r', fields: [{ name: 'xs', type: { type: 'array', items: 'long' } }] }
  // Files of other writers carry no checksum: the block checks must hold on their own.
  const good = withoutChecksum(writeOcf({ schema: schemaJson, records: [{ xs: [1n] }], sync: new Uint8Array(16) }))
  // Header ends right before the first block; find it by writing an empty file with the same header.
  const headerLen = withoutChecksum(writeOcf({ schema: schemaJson, records: [], sync: new Uint8Array(16) })).length
  const zig = (v: bigint) => { const out: number[] = []; let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n)); while (z >= 0x80n) { out.push(Number(z & 0x7fn) | 0x80); z >>= 7n } out.push(Number(z)); return out }
  const block = (data: number[], count: bigint) => new Uint8Array([...good.subarray(0, headerLen), ...zig(count), ...zig(BigInt(data.length)), ...data, ...new Uint8Array(16)])
  const t0 = Date.now()
  assert.throws(() => readOcf(block([2, 2, 0], 2n ** 62n)), fails('CORRUPT_DATA', /block claims/))
  assert.throws(() => readOcf(block([...zig(2n ** 60n), 2, 0], 1n)), fails('CORRUPT_DATA', /cannot fit/))
  assert.throws(() => readOcf(block([...zig(-(2n ** 60n)), ...zig(2n ** 40n), 2, 0], 1n)), fails('CORRUPT_DATA', /impossible|cannot fit/))
  assert.throws(() => readOcf(block([2, 2, 0, 9], 1n)), fails('CORRUPT_DATA', /stray bytes/))
  // Spinning on a 2^62 count would take hours; the margin suits a loaded machine.
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`)
  const badSync = good.slice()
  badSync[badSync.length - 1] = 1
  assert.throws(() => readOcf(badSync), fails('CORRUPT_DATA', /sync marker/))
  assert.throws(() => readOcf(new TextEncoder().encode('PAR1 not avro at all')), fails('CORRUPT_DATA', /magic/))
})

test('blocks other writers compress decode: deflate (node zlib), zstandard (zstd CLI), snappy (hyparquet-writer)', () => {
  const entries = sampleEntries()
  const plain = readOcf(encodeSample(entries))
  const codecs: [string, (b: Uint8Array) => Uint8Array][] = [
    ['deflate', (b) => deflateRawSync(b)],
    ['zstandard', zstdCli],
    ['snappy', (b) => avroSnappy(b)],
  ]
  for (const [codec, compress] of codecs) {
    // Small blocks, so a file holds several compressed blocks.
    const file = writeOcf({ schema: plain.schema, metadata: { 'format-version': '2' }, records: plain.records, codec, compress, blockRecords: 2 })
    const back = decodeManifest(file, { snapshotId: 1n, sequenceNumber: 4n })
    assert.equal(back.length, 3, codec)
    assert.equal(back[0]?.sequenceNumber, 4n, codec)
    assert.deepEqual(back.map((e) => e.dataFile.filePath), entries.map((e) => e.dataFile.filePath), codec)
    assert.deepEqual(back[0]?.dataFile.ailake?.centroid, facts().centroid, codec)
    const garbage = writeOcf({ schema: plain.schema, records: plain.records, codec, compress: (b) => compress(b).map((x, i) => (i >= 4 ? x ^ 0x5a : x)) })
    assert.throws(() => decodeManifest(garbage, { snapshotId: 1n, sequenceNumber: 1n }), fails('CORRUPT_DATA', /block|corrupt/), codec)
  }
  const bzip = writeOcf({ schema: plain.schema, records: plain.records, codec: 'bzip2', compress: (b) => b })
  assert.throws(() => decodeManifest(bzip, { snapshotId: 1n, sequenceNumber: 1n }), fails('UNSUPPORTED', /bzip2.*deflate/))
})

test('invalid ailake facts in a manifest are CORRUPT_DATA', () => {
  const plain = readOcf(encodeSample())
  const rec = structuredClone(plain.records[0]) as { data_file: { ailake: Record<string, unknown> } }
  rec.data_file.ailake.centroid = new Uint8Array(3)
  const bytes = writeOcf({ schema: plain.schema, metadata: plain.metadata, records: [rec] })
  assert.throws(() => decodeManifest(bytes, { snapshotId: 1n, sequenceNumber: 1n }), fails('CORRUPT_DATA', /ailake\.centroid must be 16 bytes/))
  rec.data_file.ailake.centroid = new Uint8Array(16)
  rec.data_file.ailake.metric = 'manhattan'
  const bytes2 = writeOcf({ schema: plain.schema, metadata: plain.metadata, records: [rec] })
  assert.throws(() => decodeManifest(bytes2, { snapshotId: 1n, sequenceNumber: 1n }), fails('CORRUPT_DATA', /ailake\.metric/))
})

const files: ManifestFile[] = [
  { manifestPath: '/wh/t/metadata/m1.avro', manifestLength: 4000, partitionSpecId: 0, content: 'data', sequenceNumber: 1n, minSequenceNumber: 1n, addedSnapshotId: BIG_SNAP_1, addedFilesCount: 1, existingFilesCount: 0, deletedFilesCount: 0, addedRowsCount: 3, existingRowsCount: 0, deletedRowsCount: 0 },
  { manifestPath: '/wh/t/metadata/m2.avro', manifestLength: 5000, partitionSpecId: 0, content: 'deletes', sequenceNumber: 2n, minSequenceNumber: 2n, addedSnapshotId: BIG_SNAP_2, addedFilesCount: 2, existingFilesCount: 1, deletedFilesCount: 1, addedRowsCount: 9, existingRowsCount: 4, deletedRowsCount: 2 },
]

test('manifest list round trip with spec field ids and header', () => {
  const bytes = encodeManifestList(files, { snapshotId: BIG_SNAP_2, parentSnapshotId: BIG_SNAP_1, sequenceNumber: 2n })
  assert.deepEqual(decodeManifestList(bytes), files)
  const { schema: avro, metadata } = readOcf(bytes)
  assert.equal(metadata['snapshot-id'], String(BIG_SNAP_2))
  assert.equal(metadata['parent-snapshot-id'], String(BIG_SNAP_1))
  assert.equal(metadata['sequence-number'], '2')
  assert.equal(metadata['format-version'], '2')
  const ids = [...JSON.stringify(avro).matchAll(/"field-id":(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b)
  assert.deepEqual(ids, [500, 501, 502, 503, 504, 505, 506, 507, 509, 510, 511, 512, 513, 514, 515, 516, 517, 518, 519])
  const first = encodeManifestList([], { snapshotId: 1n, parentSnapshotId: null, sequenceNumber: 1n })
  assert.equal(readOcf(first).metadata['parent-snapshot-id'], 'null')
  assert.deepEqual(decodeManifestList(first), [])
})

test('manifest list validation', () => {
  assert.throws(() => encodeManifestList(files, { snapshotId: 1n, parentSnapshotId: null, sequenceNumber: 1n }), fails('INVALID_ARGUMENT', /above the snapshot/))
  assert.throws(() => encodeManifestList([{ ...files[0]!, addedFilesCount: -1 }], { snapshotId: 1n, parentSnapshotId: null, sequenceNumber: 1n }), fails('INVALID_ARGUMENT', /addedFilesCount/))
  const bytes = encodeManifestList(files, { snapshotId: BIG_SNAP_2, parentSnapshotId: BIG_SNAP_1, sequenceNumber: 2n })
  for (let n = 0; n < bytes.length; n += 7) {
    assert.throws(() => decodeManifestList(bytes.subarray(0, n)), (e) => isAilakeError(e, 'CORRUPT_DATA'))
  }
  const plain = readOcf(bytes)
  const rec = { ...(plain.records[0] as Record<string, unknown>), content: 4 }
  assert.throws(() => decodeManifestList(writeOcf({ schema: plain.schema, records: [rec] })), fails('CORRUPT_DATA', /content must be 0/))
})
