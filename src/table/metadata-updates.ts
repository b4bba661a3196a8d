/**
 * Iceberg's commit language (the REST catalog's `requirements` and `updates`) over ailake's
 * metadata model: parsing and checking a request once, checking its requirements against a
 * base, and applying its updates to that base. Pure: the commit loop (commit.ts) re-applies a
 * change to each base it races on, as it re-applies an append.
 *
 * Errors say what a client should do: a malformed request or an unknown requirement or update
 * type is `INVALID_ARGUMENT`; a known update ailake cannot represent is `UNSUPPORTED`; a failed
 * requirement, or a snapshot built on a base the table has moved past, is `COMMIT_CONFLICT`
 * (re-read the table and try again).
 */
import { AilakeError, invalid } from '../errors.js'
import { JsonFields } from '../format/iceberg/json-fields.js'
import { schemaFromJson } from '../format/iceberg/schema-json.js'
import { decodeSnapshot } from '../format/iceberg/table-metadata.js'
import type { PartitionField, PartitionSpec, Snapshot, SnapshotRef, SortOrder, TableMetadata } from '../format/iceberg/types.js'
import { maxFieldId, type Schema } from '../format/schema.js'
import type { LoadedTable } from '../catalog/catalog.js'
import { nextMetadataLog } from '../catalog/metadata-files.js'
import { newTableMetadata, nextSchemaId, reusedFieldId, sameType } from './metadata-builder.js'
import { policyFromProperties, vectorColumnNames } from './vector-policy.js'

/** Table properties under this prefix are ailake's own (vector policy, WAL watermarks...). */
export const RESERVED_PROPERTY_PREFIX = 'ailake.'

export type Requirement =
  | { type: 'assert-create' }
  | { type: 'assert-table-uuid'; uuid: string }
  | { type: 'assert-ref-snapshot-id'; ref: string; snapshotId: bigint | null }
  | { type: 'assert-last-assigned-field-id' | 'assert-current-schema-id' | 'assert-last-assigned-partition-id' | 'assert-default-spec-id' | 'assert-default-sort-order-id'; value: number }

export type Update =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; formatVersion: number }
  | { action: 'add-schema'; schema: Schema; lastColumnId?: number }
  | { action: 'set-current-schema'; schemaId: number }
  | { action: 'add-spec'; fields: SpecField[] }
  | { action: 'set-default-spec'; specId: number }
  | { action: 'add-sort-order'; fields: unknown[] }
  | { action: 'set-default-sort-order'; sortOrderId: number }
  | { action: 'add-snapshot'; snapshot: Snapshot }
  | { action: 'set-snapshot-ref'; name: string; ref: SnapshotRef }
  | { action: 'remove-snapshot-ref'; name: string }
  | { action: 'remove-snapshots'; snapshotIds: bigint[] }
  | { action: 'set-location'; location: string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] }

/** A checked commit request. */
export interface TableChange {
  requirements: Requirement[]
  updates: Update[]
}

/** Known update types whose state ailake's metadata does not keep. */
const UNSUPPORTED_UPDATES = new Set([
  'set-statistics', 'remove-statistics', 'set-partition-statistics', 'remove-partition-statistics',
  'remove-partition-specs', 'remove-schemas', 'add-encryption-key', 'remove-encryption-key',
  'add-view-version', 'set-current-view-version',
])

const INT_REQUIREMENTS = {
  'assert-last-assigned-field-id': 'last-assigned-field-id',
  'assert-current-schema-id': 'current-schema-id',
  'assert-last-assigned-partition-id': 'last-assigned-partition-id',
  'assert-default-spec-id': 'default-spec-id',
  'assert-default-sort-order-id': 'default-sort-order-id',
} as const

const TRANSFORM = /^(identity|year|month|day|hour|void|bucket\[\d{1,9}\]|truncate\[\d{1,9}\])$/

/** Field access over a request body: failures are the caller's (`INVALID_ARGUMENT`), not corrupt files. */
class RequestFields extends JsonFields {
  override fail(path: string, expected: string, got: unknown): never {
    const shown = got === undefined ? 'missing' : typeof got === 'bigint' ? `${got}` : JSON.stringify(got)?.slice(0, 80)
    throw invalid(`${this.what}: ${path} must be ${expected} but is ${shown}`, { path })
  }
}

/** A codec's complaint about a request value (made for files: `CORRUPT_DATA`), as the caller's mistake. */
function asRequestError<T>(fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof AilakeError && err.code === 'CORRUPT_DATA') {
      throw new AilakeError('INVALID_ARGUMENT', err.message.replace(/; the metadata file is corrupt or not Iceberg v2$/, ''), { context: err.context, cause: err })
    }
    throw err
  }
}

/** Parses `{ requirements, updates }` (spec JSON; 64-bit ids as bigint or safe numbers). */
export function parseTableChange(body: unknown): TableChange {
  const r = new RequestFields('commit request')
  const o = r.object(body, '$')
  const requirements = (o.requirements === undefined ? [] : r.array(o.requirements, 'requirements')).map((v, i) => parseRequirement(r, v, `requirements[${i}]`))
  const updates = r.array(o.updates, 'updates').map((v, i) => parseUpdate(r, v, `updates[${i}]`))
  return { requirements, updates }
}

function parseRequirement(r: RequestFields, v: unknown, path: string): Requirement {
  const o = r.object(v, path)
  const type = r.string(o.type, `${path}.type`)
  switch (type) {
    case 'assert-create':
      return { type }
    case 'assert-table-uuid':
      return { type, uuid: r.string(o.uuid, `${path}.uuid`) }
    case 'assert-ref-snapshot-id': {
      const id = o['snapshot-id']
      return { type, ref: r.string(o.ref, `${path}.ref`), snapshotId: id === null || id === undefined ? null : r.long(id, `${path}.snapshot-id`) }
    }
  }
  if (Object.hasOwn(INT_REQUIREMENTS, type)) {
    const t = type as keyof typeof INT_REQUIREMENTS
    return { type: t, value: r.int(o[INT_REQUIREMENTS[t]], `${path}.${INT_REQUIREMENTS[t]}`) }
  }
  throw invalid(`${path}: unknown requirement type ${JSON.stringify(type)}`, { unknownType: type })
}

function parseUpdate(r: RequestFields, v: unknown, path: string): Update {
  const o = r.object(v, path)
  const action = r.string(o.action, `${path}.action`)
  const int = (key: string): number => r.int(o[key], `${path}.${key}`)
  switch (action) {
    case 'assign-uuid': return { action, uuid: r.string(o.uuid, `${path}.uuid`) }
    case 'upgrade-format-version': return { action, formatVersion: int('format-version') }
    case 'add-schema': {
      const schema = asRequestError(() => schemaFromJson(o.schema, 'commit request', `${path}.schema`))
      return o['last-column-id'] === undefined || o['last-column-id'] === null ? { action, schema } : { action, schema, lastColumnId: int('last-column-id') }
    }
    case 'set-current-schema': return { action, schemaId: int('schema-id') }
    case 'add-spec': return { action, fields: parseSpecFields(r, o.spec, `${path}.spec`) }
    case 'set-default-spec': return { action, specId: int('spec-id') }
    case 'add-sort-order': return { action, fields: parseSortFields(r, o['sort-order'], `${path}.sort-order`) }
    case 'set-default-sort-order': return { action, sortOrderId: int('sort-order-id') }
    case 'add-snapshot': return { action, snapshot: decodeSnapshot(r, o.snapshot, `${path}.snapshot`, -1) }
    case 'set-snapshot-ref': {
      for (const key of ['max-ref-age-ms', 'max-snapshot-age-ms', 'min-snapshots-to-keep']) {
        if (o[key] !== undefined && o[key] !== null) {
          throw new AilakeError('UNSUPPORTED', `${path}: ${key} is not supported; ailake keeps no per-ref retention (leave it out)`, { context: { path, field: key } })
        }
      }
      const type = r.string(o.type, `${path}.type`)
      if (type !== 'branch' && type !== 'tag') r.fail(`${path}.type`, '"branch" or "tag"', type)
      return { action, name: r.string(o['ref-name'], `${path}.ref-name`), ref: { type, snapshotId: r.long(o['snapshot-id'], `${path}.snapshot-id`) } }
    }
    case 'remove-snapshot-ref': return { action, name: r.string(o['ref-name'], `${path}.ref-name`) }
    case 'remove-snapshots': return { action, snapshotIds: r.array(o['snapshot-ids'], `${path}.snapshot-ids`).map((id, i) => r.long(id, `${path}.snapshot-ids[${i}]`)) }
    case 'set-location': return { action, location: r.string(o.location, `${path}.location`) }
    case 'set-properties': return { action, updates: unreserved(r.stringMap(o.updates, `${path}.updates`), Object.keys, path) }
    case 'remove-properties': return { action, removals: unreserved(r.array(o.removals, `${path}.removals`).map((k, i) => r.string(k, `${path}.removals[${i}]`)), (x) => x, path) }
  }
  if (UNSUPPORTED_UPDATES.has(action)) {
    throw new AilakeError('UNSUPPORTED', `${path}: update ${JSON.stringify(action)} is not supported by ailake's catalog`, { context: { path, action } })
  }
  throw invalid(`${path}: unknown update action ${JSON.stringify(action)}`, { unknownType: action })
}

type SpecField = { sourceId: number; fieldId?: number; name: string; transform: string }

function parseSpecFields(r: RequestFields, v: unknown, path: string): SpecField[] {
  const spec = r.object(v, path)
  return r.array(spec.fields, `${path}.fields`).map((fv, i) => {
    const p = `${path}.fields[${i}]`
    const f = r.object(fv, p)
    const transform = r.string(f.transform, `${p}.transform`)
    if (!TRANSFORM.test(transform)) r.fail(`${p}.transform`, 'an Iceberg partition transform', transform)
    const field: SpecField = { sourceId: r.int(f['source-id'], `${p}.source-id`), name: r.string(f.name, `${p}.name`), transform }
    if (f['field-id'] !== undefined && f['field-id'] !== null) field.fieldId = r.int(f['field-id'], `${p}.field-id`)
    return field
  })
}

function parseSortFields(r: RequestFields, v: unknown, path: string): unknown[] {
  const order = r.object(v, path)
  const fields = r.array(order.fields, `${path}.fields`)
  fields.forEach((fv, i) => {
    const p = `${path}.fields[${i}]`
    const f = r.object(fv, p)
    r.int(f['source-id'], `${p}.source-id`)
    if (!TRANSFORM.test(r.string(f.transform, `${p}.transform`))) r.fail(`${p}.transform`, 'an Iceberg transform', f.transform)
    if (f.direction !== 'asc' && f.direction !== 'desc') r.fail(`${p}.direction`, '"asc" or "desc"', f.direction)
    if (f['null-order'] !== 'nulls-first' && f['null-order'] !== 'nulls-last') r.fail(`${p}.null-order`, '"nulls-first" or "nulls-last"', f['null-order'])
  })
  return fields
}

/** `m` with a partition spec of `fields` (reusing an identical one), and that spec's id. */
function addSpec(m: TableMetadata, specFields: readonly SpecField[]): { m: TableMetadata; specId: number } {
  const columns = new Set(m.schemas.flatMap((s) => s.fields.map((f) => f.id)))
  let nextId = m.lastPartitionId
  const fields: PartitionField[] = specFields.map((f) => {
    if (!columns.has(f.sourceId)) throw invalid(`partition field ${JSON.stringify(f.name)} names source column ${f.sourceId}, which the table does not have`)
    return { sourceId: f.sourceId, fieldId: f.fieldId ?? ++nextId, name: f.name, transform: f.transform }
  })
  const same = m.partitionSpecs.find((s) => JSON.stringify(s.fields) === JSON.stringify(fields))
  if (same !== undefined) return { m, specId: same.specId }
  const spec: PartitionSpec = { specId: Math.max(...m.partitionSpecs.map((s) => s.specId)) + 1, fields }
  return { m: { ...m, partitionSpecs: [...m.partitionSpecs, spec], lastPartitionId: Math.max(m.lastPartitionId, ...fields.map((f) => f.fieldId)) }, specId: spec.specId }
}

/** `m` with a sort order of `fields` (reusing an identical one; no fields is the unsorted order 0), and its id. */
function addSortOrder(m: TableMetadata, fields: unknown[]): { m: TableMetadata; orderId: number } {
  const same = m.sortOrders.find((o) => JSON.stringify(o.fields) === JSON.stringify(fields))
  if (same !== undefined) return { m, orderId: same.orderId }
  const order: SortOrder = { orderId: Math.max(0, ...m.sortOrders.map((o) => o.orderId)) + 1, fields }
  return { m: { ...m, sortOrders: [...m.sortOrders, order] }, orderId: order.orderId }
}

/**
 * The first metadata of a table created by an Iceberg create request (`name`, `schema`, and
 * optionally `location`, `partition-spec`, `write-order`, `properties`). Staged creates and
 * locations other than `location` (the catalog's choice) are `UNSUPPORTED`.
 */
export function newTableFromRequest(body: unknown, location: string): { name: string; metadata: TableMetadata } {
  const r = new RequestFields('create request')
  const o = r.object(body, '$')
  const name = r.string(o.name, 'name')
  if (o['stage-create'] === true) throw new AilakeError('UNSUPPORTED', 'create request: staged creates (stage-create) are not supported; create the table, then commit to it')
  if (o.location !== undefined && o.location !== null && r.string(o.location, 'location').replace(/\/+$/, '') !== location) {
    throw new AilakeError('UNSUPPORTED', `create request: table ${name} must live at ${location}, where the catalog keeps it; leave location out`)
  }
  const schema = asRequestError(() => schemaFromJson(o.schema, 'create request', 'schema'))
  const properties = o.properties === undefined || o.properties === null ? {} : unreserved(r.stringMap(o.properties, 'properties'), Object.keys, 'create request')
  let m = newTableMetadata({ location, schema: { ...schema, schemaId: 0 }, properties })
  if (o['partition-spec'] !== undefined && o['partition-spec'] !== null) {
    const added = addSpec(m, parseSpecFields(r, o['partition-spec'], 'partition-spec'))
    m = { ...added.m, defaultSpecId: added.specId }
  }
  if (o['write-order'] !== undefined && o['write-order'] !== null) {
    const added = addSortOrder(m, parseSortFields(r, o['write-order'], 'write-order'))
    m = { ...added.m, defaultSortOrderId: added.orderId }
  }
  return { name, metadata: m }
}

/** Refuses changes to ailake's own properties: they steer its writers, readers and recovery. */
function unreserved<T>(value: T, keys: (v: T) => string[], path: string): T {
  const reserved = keys(value).filter((k) => k.startsWith(RESERVED_PROPERTY_PREFIX))
  if (reserved.length > 0) {
    throw invalid(`${path}: properties starting with "${RESERVED_PROPERTY_PREFIX}" are managed by ailake and cannot be changed by a commit (${reserved.slice(0, 3).join(', ')})`, { reservedProperty: reserved[0] })
  }
  return value
}

/** Throws `COMMIT_CONFLICT` (context `failedRequirement`) unless `meta` meets every requirement. */
export function checkRequirements(meta: TableMetadata, requirements: readonly Requirement[]): void {
  for (const q of requirements) {
    let actual: unknown
    let expected: unknown
    switch (q.type) {
      case 'assert-create': [actual, expected] = ['an existing table', 'no table']; break
      case 'assert-table-uuid': [actual, expected] = [meta.tableUuid, q.uuid]; break
      case 'assert-ref-snapshot-id': [actual, expected] = [meta.refs[q.ref]?.snapshotId ?? null, q.snapshotId]; break
      case 'assert-last-assigned-field-id': [actual, expected] = [meta.lastColumnId, q.value]; break
      case 'assert-current-schema-id': [actual, expected] = [meta.currentSchemaId, q.value]; break
      case 'assert-last-assigned-partition-id': [actual, expected] = [meta.lastPartitionId, q.value]; break
      case 'assert-default-spec-id': [actual, expected] = [meta.defaultSpecId, q.value]; break
      case 'assert-default-sort-order-id': [actual, expected] = [meta.defaultSortOrderId, q.value]; break
    }
    if (actual !== expected) {
      const show = (x: unknown): string => (x === null ? 'none' : String(x))
      const what = q.type === 'assert-ref-snapshot-id' ? `${q.type} (ref ${q.ref})` : q.type
      throw new AilakeError('COMMIT_CONFLICT', `requirement ${what} failed: expected ${show(expected)}, the table has ${show(actual)}; reload the table and retry`, {
        context: { failedRequirement: q.type, expected: show(expected), actual: show(actual) },
      })
    }
  }
}

/**
 * `base` with `updates` applied, or `undefined` when they change nothing. Snapshots added must
 * follow the base (a higher sequence number: else `COMMIT_CONFLICT`) and keep their manifest
 * list under the table's location; the caller checks the files they reference.
 */
export function applyUpdates(base: LoadedTable, updates: readonly Update[], now = Date.now()): TableMetadata | undefined {
  const start = base.metadata
  let m: TableMetadata = { ...start, properties: { ...start.properties }, refs: { ...start.refs } }
  let changed = false
  let lastSchema: number | undefined
  let lastSpec: number | undefined
  let lastOrder: number | undefined
  const added = new Set<bigint>()
  const pick = (id: number, last: number | undefined, what: string): number => {
    if (id !== -1) return id
    if (last === undefined) throw invalid(`${what} -1 means the one added by this commit, but it adds none`)
    return last
  }
  for (const u of updates) {
    switch (u.action) {
      case 'assign-uuid':
        if (u.uuid !== m.tableUuid) throw invalid(`assign-uuid: the table's UUID is ${m.tableUuid} and cannot be re-assigned`)
        break
      case 'upgrade-format-version':
        if (u.formatVersion < 2) throw invalid(`upgrade-format-version: the table is at format version 2 and cannot be downgraded to ${u.formatVersion}`)
        if (u.formatVersion > 2) throw new AilakeError('UNSUPPORTED', `upgrade-format-version: ailake writes Iceberg format version 2, not ${u.formatVersion}`)
        break
      case 'add-schema': {
        const reused = reusedFieldId(m, u.schema)
        if (reused !== undefined) throw invalid(`add-schema: ${reused.message}; new columns take new ids`, reused.context)
        const same = m.schemas.find((s) => s.fields.length === u.schema.fields.length && s.fields.every((f, i) => sameField(f, u.schema.fields[i])))
        if (same !== undefined) {
          lastSchema = same.schemaId
          break
        }
        const schemaId = nextSchemaId(m)
        m = { ...m, schemas: [...m.schemas, { ...u.schema, schemaId }], lastColumnId: Math.max(m.lastColumnId, maxFieldId(u.schema.fields), u.lastColumnId ?? 0) }
        lastSchema = schemaId
        changed = true
        break
      }
      case 'set-current-schema': {
        const id = pick(u.schemaId, lastSchema, 'set-current-schema: schema-id')
        const schema = m.schemas.find((s) => s.schemaId === id)
        if (schema === undefined) throw invalid(`set-current-schema: the table has no schema ${id}`)
        keepsVectorColumn(m, schema)
        if (m.currentSchemaId !== id) [m, changed] = [{ ...m, currentSchemaId: id }, true]
        break
      }
      case 'add-spec': {
        const added = addSpec(m, u.fields)
        changed ||= added.m !== m
        m = added.m
        lastSpec = added.specId
        break
      }
      case 'set-default-spec': {
        const id = pick(u.specId, lastSpec, 'set-default-spec: spec-id')
        if (!m.partitionSpecs.some((s) => s.specId === id)) throw invalid(`set-default-spec: the table has no partition spec ${id}`)
        if (m.defaultSpecId !== id) [m, changed] = [{ ...m, defaultSpecId: id }, true]
        break
      }
      case 'add-sort-order': {
        const added = addSortOrder(m, u.fields)
        changed ||= added.m !== m
        m = added.m
        lastOrder = added.orderId
        break
      }
      case 'set-default-sort-order': {
        const id = pick(u.sortOrderId, lastOrder, 'set-default-sort-order: sort-order-id')
        if (!m.sortOrders.some((o) => o.orderId === id)) throw invalid(`set-default-sort-order: the table has no sort order ${id}`)
        if (m.defaultSortOrderId !== id) [m, changed] = [{ ...m, defaultSortOrderId: id }, true]
        break
      }
      case 'add-snapshot': {
        const s = u.snapshot
        if (m.snapshots.some((x) => x.snapshotId === s.snapshotId)) throw invalid(`add-snapshot: the table already has snapshot ${s.snapshotId}`)
        if (s.sequenceNumber <= m.lastSequenceNumber) {
          throw new AilakeError('COMMIT_CONFLICT', `add-snapshot: snapshot ${s.snapshotId} has sequence number ${s.sequenceNumber}, but the table is at ${m.lastSequenceNumber}: another commit landed first; reload the table and write the snapshot again on top of it`, {
            context: { staleSnapshot: true, snapshotId: String(s.snapshotId) },
          })
        }
        const schemaId = s.schemaId === -1 ? m.currentSchemaId : s.schemaId
        if (!m.schemas.some((x) => x.schemaId === schemaId)) throw invalid(`add-snapshot: snapshot ${s.snapshotId} names schema ${schemaId}, which the table does not have`)
        if (s.manifestList === undefined) throw invalid(`add-snapshot: snapshot ${s.snapshotId} has no manifest-list; format v2 snapshots need one`)
        if (!s.manifestList.startsWith(`${m.location}/`)) {
          throw invalid(`add-snapshot: the manifest list ${s.manifestList} lies outside the table's location ${m.location}; a table references only its own files`, { path: s.manifestList })
        }
        m = { ...m, snapshots: [...m.snapshots, { ...s, schemaId }], lastSequenceNumber: s.sequenceNumber }
        added.add(s.snapshotId)
        changed = true
        break
      }
      case 'set-snapshot-ref': {
        const snap = m.snapshots.find((s) => s.snapshotId === u.ref.snapshotId)
        if (snap === undefined) throw invalid(`set-snapshot-ref: ref ${u.name} would point at snapshot ${u.ref.snapshotId}, which the table does not have`)
        if (u.name === 'main' && u.ref.type !== 'branch') throw invalid('set-snapshot-ref: main must be a branch')
        const cur = m.refs[u.name]
        if (cur?.snapshotId === u.ref.snapshotId && cur.type === u.ref.type) break
        m = { ...m, refs: { ...m.refs, [u.name]: { ...u.ref } } }
        if (u.name === 'main') {
          const at = added.has(snap.snapshotId) ? snap.timestampMs : now
          m = { ...m, currentSnapshotId: snap.snapshotId, snapshotLog: [...m.snapshotLog, { timestampMs: at, snapshotId: snap.snapshotId }] }
        }
        changed = true
        break
      }
      case 'remove-snapshot-ref': {
        if (m.refs[u.name] === undefined) break
        const refs = { ...m.refs }
        delete refs[u.name]
        m = { ...m, refs, ...(u.name === 'main' && { currentSnapshotId: null }) }
        changed = true
        break
      }
      case 'remove-snapshots': {
        const gone = new Set(u.snapshotIds)
        const held = Object.entries(m.refs).find(([, ref]) => gone.has(ref.snapshotId))
        if (held !== undefined) throw invalid(`remove-snapshots: snapshot ${held[1].snapshotId} is the target of ref ${held[0]}; remove or move the ref first`)
        if (!m.snapshots.some((s) => gone.has(s.snapshotId))) break
        m = { ...m, snapshots: m.snapshots.filter((s) => !gone.has(s.snapshotId)), snapshotLog: m.snapshotLog.filter((e) => !gone.has(e.snapshotId)) }
        changed = true
        break
      }
      case 'set-location':
        if (u.location.replace(/\/+$/, '') !== m.location) {
          throw new AilakeError('UNSUPPORTED', `set-location: ailake keeps a table's files where they were written (${m.location}); the location cannot change`)
        }
        break
      case 'set-properties':
        if (Object.entries(u.updates).every(([k, v]) => m.properties[k] === v)) break
        m = { ...m, properties: { ...m.properties, ...u.updates } }
        changed = true
        break
      case 'remove-properties': {
        if (!u.removals.some((k) => Object.hasOwn(m.properties, k))) break
        const properties = { ...m.properties }
        for (const k of u.removals) delete properties[k]
        m = { ...m, properties }
        changed = true
        break
      }
    }
  }
  if (!changed) return undefined
  return {
    ...m,
    lastUpdatedMs: Math.max(now, start.lastUpdatedMs + 1),
    metadataLog: nextMetadataLog(start, base.metadataLocation),
  }
}

function sameField(a: Schema['fields'][number], b: Schema['fields'][number] | undefined): boolean {
  return b !== undefined && a.id === b.id && a.name === b.name && a.required === b.required && sameType(a.type, b.type)
}

/** An ailake table's vector column must stay what its files and indexes were written for. */
function keepsVectorColumn(m: TableMetadata, next: Schema): void {
  for (const column of vectorColumnNames(policyFromProperties(m.properties))) {
    const cur = m.schemas.find((s) => s.schemaId === m.currentSchemaId)?.fields.find((f) => f.name === column)
    const kept = next.fields.find((f) => f.name === column)
    if (cur !== undefined && (kept === undefined || !sameField(cur, kept))) {
      throw invalid(`set-current-schema: the schema drops or changes the vector column ${JSON.stringify(column)} of this ailake table; keep it as it is`, { column })
    }
  }
}

