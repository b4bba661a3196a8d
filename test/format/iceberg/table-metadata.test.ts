import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeTableMetadata, encodeTableMetadata } from '../../../src/format/iceberg/table-metadata.js'
import { parseFieldType, schemaFromJson, schemaToJson } from '../../../src/format/iceberg/schema-json.js'
import { isAilakeError, type AilakeErrorCode } from '../../../src/errors.js'
import { parseJson, stringifyJson } from '../../../src/util/json.js'
import { BIG_SNAP_1, BIG_SNAP_2, metadata, schema } from './fixtures.js'

const fails = (code: AilakeErrorCode, pattern: RegExp) => (e: unknown) => isAilakeError(e, code) && pattern.test(e.message)

test('metadata round-trips losslessly, including snapshot ids above 2^53', () => {
  const meta = metadata()
  const text = encodeTableMetadata(meta)
  assert.match(text, /"snapshot-id": 9136741709133330043/)
  assert.match(text, /"current-snapshot-id": 9136741709133330047/)
  const back = decodeTableMetadata(text)
  assert.deepEqual(back, meta)
  assert.equal(back.snapshots[1]?.parentSnapshotId, BIG_SNAP_1)
  assert.notEqual(BIG_SNAP_1, BIG_SNAP_2)
})

test('spec field names and shapes are written', () => {
  const j = parseJson(encodeTableMetadata(metadata())) as Record<string, unknown>
  for (const key of ['format-version', 'table-uuid', 'location', 'last-sequence-number', 'last-updated-ms', 'last-column-id', 'schemas',
    'current-schema-id', 'partition-specs', 'default-spec-id', 'last-partition-id', 'properties', 'current-snapshot-id', 'snapshots',
    'snapshot-log', 'metadata-log', 'sort-orders', 'default-sort-order-id', 'refs']) {
    assert.ok(key in j, key)
  }
  assert.equal(j['format-version'], 2)
  const s0 = (j.schemas as Record<string, unknown>[])[0] as Record<string, unknown>
  assert.equal(s0.type, 'struct')
  assert.deepEqual((s0.fields as unknown[])[2], { id: 3, name: 'embedding', required: false, type: { type: 'list', 'element-id': 4, element: 'float', 'element-required': true } })
  assert.equal(((s0.fields as Record<string, unknown>[])[3] as Record<string, unknown>).type, 'fixed[16]')
  const snap = (j.snapshots as Record<string, unknown>[])[1] as Record<string, unknown>
  assert.deepEqual(Object.keys(snap), ['snapshot-id', 'parent-snapshot-id', 'sequence-number', 'timestamp-ms', 'manifest-list', 'summary', 'schema-id'])
  assert.deepEqual(j.refs, { main: { 'snapshot-id': BIG_SNAP_2, type: 'branch' }, v1: { 'snapshot-id': BIG_SNAP_1, type: 'tag' } })
})

test('an empty table omits current-snapshot-id; -1 and null read as no snapshot; refs.main is implied', () => {
  const meta = { ...metadata(), currentSnapshotId: null, snapshots: [], snapshotLog: [], refs: {}, lastSequenceNumber: 0n }
  const text = encodeTableMetadata(meta)
  assert.doesNotMatch(text, /current-snapshot-id/)
  assert.deepEqual(decodeTableMetadata(text), meta)
  const j = parseJson(text) as Record<string, unknown>
  j['current-snapshot-id'] = -1
  assert.equal(decodeTableMetadata(stringifyJson(j)).currentSnapshotId, null)
  const withSnaps = parseJson(encodeTableMetadata(metadata())) as Record<string, unknown>
  delete withSnaps.refs
  assert.deepEqual(decodeTableMetadata(stringifyJson(withSnaps)).refs, { main: { snapshotId: BIG_SNAP_2, type: 'branch' } })
})

test('encode refuses inconsistent models', () => {
  assert.throws(() => encodeTableMetadata({ ...metadata(), currentSnapshotId: 5n }), fails('INVALID_ARGUMENT', /current snapshot 5/))
  assert.throws(() => encodeTableMetadata({ ...metadata(), currentSchemaId: 7 }), fails('INVALID_ARGUMENT', /schema id 7/))
  assert.throws(() => encodeTableMetadata({ ...metadata(), refs: { main: { snapshotId: BIG_SNAP_1, type: 'branch' } } }), fails('INVALID_ARGUMENT', /refs\.main/))
})

function mutate(f: (j: Record<string, unknown>) => void): string {
  const j = parseJson(encodeTableMetadata(metadata())) as Record<string, unknown>
  f(j)
  return stringifyJson(j)
}

test('malformed metadata is CORRUPT_DATA with the JSON path', () => {
  const cases: [string, (j: Record<string, unknown>) => void, RegExp][] = [
    ['missing location', (j) => { delete j.location }, /location must be a string but is missing/],
    ['wrong type', (j) => { j['last-column-id'] = 'five' }, /last-column-id must be a 32-bit integer/],
    ['dangling current snapshot', (j) => { j['current-snapshot-id'] = 12 }, /current-snapshot-id must be the id of a listed snapshot/],
    ['dangling schema', (j) => { j['current-schema-id'] = 3 }, /current-schema-id/],
    ['bad operation', (j) => { ((j.snapshots as Record<string, unknown>[])[0] as Record<string, unknown>).summary = { operation: 'merge' } }, /summary\.operation/],
    ['duplicate field id', (j) => { (((j.schemas as Record<string, unknown>[])[0] as Record<string, unknown>).fields as Record<string, unknown>[])[1]!.id = 1 }, /unique/],
    ['dangling ref', (j) => { (j.refs as Record<string, unknown>).t = { 'snapshot-id': 3, type: 'tag' } }, /refs\.t\.snapshot-id/],
    ['bad ref type', (j) => { (j.refs as Record<string, unknown>).t = { 'snapshot-id': BIG_SNAP_1, type: 'label' } }, /refs\.t\.type/],
    ['sequence above last', (j) => { j['last-sequence-number'] = 1 }, /sequence-number/],
    ['snapshot id not integer', (j) => { ((j.snapshots as Record<string, unknown>[])[0] as Record<string, unknown>)['snapshot-id'] = 1.5 }, /64-bit integer/],
    ['properties not strings', (j) => { j.properties = { a: 1 } }, /properties\.a must be a string/],
  ]
  for (const [name, f, pattern] of cases) {
    assert.throws(() => decodeTableMetadata(mutate(f), 'v2.metadata.json'), (e) => isAilakeError(e, 'CORRUPT_DATA') && pattern.test(e.message) && /v2\.metadata\.json/.test(e.message), name)
  }
  assert.throws(() => decodeTableMetadata('{"format-version": 2,'), fails('CORRUPT_DATA', /not valid JSON/))
  assert.throws(() => decodeTableMetadata('[]'), fails('CORRUPT_DATA', /\$ must be an object/))
})

test('format version 1 reads with its defaults and is never written; 3 and later are UNSUPPORTED', () => {
  const v1 = decodeTableMetadata(mutate((j) => {
    j['format-version'] = 1
    j.schema = (j.schemas as unknown[])[0]
    j['partition-spec'] = [{ name: 'b', transform: 'identity', 'source-id': 1 }]
    for (const k of ['schemas', 'current-schema-id', 'partition-specs', 'default-spec-id', 'last-partition-id', 'last-sequence-number', 'sort-orders', 'default-sort-order-id']) delete j[k]
    for (const snap of j.snapshots as Record<string, unknown>[]) {
      delete snap['sequence-number']
      snap.manifests = [snap['manifest-list']]
      delete snap['manifest-list']
    }
  }))
  assert.equal(v1.formatVersion, 1)
  assert.deepEqual(v1.partitionSpecs, [{ specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: 'b', transform: 'identity' }] }])
  assert.equal(v1.lastPartitionId, 1000)
  assert.equal(v1.lastSequenceNumber, 0n)
  assert.ok(v1.snapshots.length > 0 && v1.snapshots.every((s) => s.sequenceNumber === 0n && s.manifestList === undefined && s.manifests?.length === 1))
  assert.throws(() => encodeTableMetadata(v1), fails('UNSUPPORTED', /format version 1.*upgrade it to v2/))
  // A v2 snapshot still needs its manifest list.
  assert.throws(() => decodeTableMetadata(mutate((j) => { for (const snap of j.snapshots as Record<string, unknown>[]) delete snap['manifest-list'] })), fails('CORRUPT_DATA', /manifest-list/))
  assert.throws(() => decodeTableMetadata(mutate((j) => { j['format-version'] = 3 })), fails('UNSUPPORTED', /version 3/))
  assert.throws(() => decodeTableMetadata(mutate((j) => { j['format-version'] = 'two' })), fails('CORRUPT_DATA', /format-version/))
})

test('schema JSON round-trips and types parse', () => {
  assert.deepEqual(schemaFromJson(schemaToJson(schema)), schema)
  assert.deepEqual(parseFieldType('fixed[16]', 't'), { type: 'fixed', length: 16 })
  assert.equal(parseFieldType('timestamptz', 't'), 'timestamptz')
  assert.equal(parseFieldType('decimal(10,2)', 't'), 'decimal(10, 2)')
  assert.throws(() => parseFieldType('timestamp_ns', 't'), fails('UNSUPPORTED', /timestamp_ns/))
  assert.throws(() => parseFieldType({ type: 'map', 'key-id': 1 }, 't'), fails('UNSUPPORTED', /map/))
  assert.throws(() => parseFieldType('fixed[0]', 't'), fails('CORRUPT_DATA', /fixed length/))
  assert.throws(() => parseFieldType('varchar', 't'), fails('CORRUPT_DATA', /Iceberg type name/))
  assert.throws(() => schemaFromJson({ type: 'struct', fields: [{ id: 1, name: 'a', required: true, type: { type: 'list', 'element-id': 1, element: 'int', 'element-required': true } }] }),
    fails('CORRUPT_DATA', /element-id must be a field id unique/))
})
