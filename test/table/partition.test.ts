// A partition filter opens no file of another partition (explain, and the store's reads), search
// on a partitioned table equals brute force with and without one, and createTable refuses
// partition fields it cannot write.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, isAilakeError } from '../../src/index.js'
import { LocalStore } from '../../src/store/local-store.js'
import { newTableMetadata } from '../../src/table/metadata-builder.js'
import { writePlainFile } from '../../src/format/parquet/plain-writer.js'
import type { Field } from '../../src/format/schema.js'
import { DIM, makeRows, SCHEMA, TENANTS, type Row } from '../helpers/partition-rows.js'
import { rng, tempDir } from '../helpers/tmpdir.js'
import { SPARK_EVENTS_SCHEMA, sparkEventsFile } from '../helpers/spark-events.js'

function bruteForce(rows: Row[], q: Float32Array, k: number): Array<[string, number]> {
  return rows.map((r): [string, number] => {
    let s = 0
    for (let j = 0; j < DIM; j++) s += ((r.embedding[j] as number) - (q[j] as number)) ** 2
    return [String(r.id), s]
  }).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k)
}

test('a partition filter opens no file of another partition and search equals brute force with and without it', async () => {
  const { dir, cleanup } = await tempDir()
  const reads: string[] = []
  const inner = new LocalStore({ root: dir })
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown
      if (typeof v !== 'function') return v
      if (prop === 'get' || prop === 'getRange') return (key: string, ...rest: unknown[]) => { reads.push(key); return (v as (...a: unknown[]) => unknown).call(target, key, ...rest) }
      return (v as (...a: unknown[]) => unknown).bind(target)
    },
  })
  try {
    const lake = await connect(dir, { store })
    const t = await lake.createTable('default.s', { vector: { dim: DIM, metric: 'euclidean' }, schema: SCHEMA, partitionBy: ['tenant', 'bucket(2, id)'] })
    const rows = makeRows(7, 0, 400)
    // One append per tenant: each manifest holds one tenant, so summaries prune whole manifests.
    for (let i = 0; i < TENANTS; i++) await t.add(rows.filter((r) => r.tenant === `t${i}`))
    const tupleOf = new Map<string, string>()
    for (const f of await t.core.planFiles()) tupleOf.set(f.dataFile.filePath, String(f.dataFile.partition.tenant))
    const q = rows[3]?.embedding as Float32Array

    reads.length = 0
    const plan = await t.search(q).where("tenant = 't2'").limit(10).explain()
    assert.equal(plan.manifestsPrunedByPartition, TENANTS - 1, 'the other tenants\' manifests are not read')
    const opened = (plan.files ?? []).filter((f) => f.outcome !== 'pruned-partition')
    assert.ok(opened.length > 0)
    for (const f of opened) assert.equal(tupleOf.get(f.path), 't2', `${f.path} (${f.outcome}) is of tenant t2`)
    for (const [path, tenant] of tupleOf) {
      if (tenant !== 't2') assert.ok(!reads.some((k) => path.endsWith(k) || k.endsWith(path.slice(path.lastIndexOf('/')))), `no read of ${path} (tenant ${tenant})`)
    }

    await t.optimize({ targetRowsPerFile: 30, expireOlderThan: false, orphansOlderThan: false })
    tupleOf.clear()
    for (const f of await t.core.planFiles()) tupleOf.set(f.dataFile.filePath, String(f.dataFile.partition.tenant))
    const after = await t.search(q).where("tenant = 't2'").limit(10).explain()
    assert.ok(after.filesPrunedByPartition > 0, 'after optimize the files of other tenants are pruned by their tuples')
    for (const f of (after.files ?? []).filter((x) => x.outcome !== 'pruned-partition')) assert.equal(tupleOf.get(f.path), 't2')
    for (const f of (after.files ?? []).filter((x) => x.outcome === 'pruned-partition')) assert.notEqual(tupleOf.get(f.path), 't2')

    const r = rng(3)
    for (let i = 0; i < 20; i++) {
      const query = (rows[Math.floor(r() * rows.length)] as Row).embedding.map((x) => x + (r() - 0.5) * 0.3)
      const tenant = `t${i % TENANTS}`
      for (const [where, subset] of [[undefined, rows], [`tenant = '${tenant}'`, rows.filter((x) => x.tenant === tenant)], [`tenant IN ('t1', '${tenant}') AND id < 300`, rows.filter((x) => (x.tenant === 't1' || x.tenant === tenant) && x.id < 300n)]] as const) {
        let b = t.search(query).limit(10).ef(500).prune('exact')
        if (where !== undefined) b = b.where(where)
        const got = (await b.toArray()).map((x): [string, number] => [String(x.id), x._distance])
        const want = bruteForce(subset, query, 10)
        assert.deepEqual(got.map((x) => x[0]), want.map((x) => x[0]), `query ${i} where ${String(where)}`)
        got.forEach(([, d], j) => assert.ok(Math.abs(d - (want[j] as [string, number])[1]) < 1e-4, `query ${i}: distance ${j}`))
      }
    }
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('createTable refuses partition fields it cannot write, naming them', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    let made = 0
    const make = (partitionBy: unknown[], schema: object | null = SCHEMA): Promise<unknown> => lake.createTable(`default.x${made++}`, { vector: { dim: DIM }, ...(schema === null ? {} : { schema }), partitionBy } as never)
    const refuses = async (p: Promise<unknown>, re: RegExp): Promise<void> => { await assert.rejects(p, (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && re.test(e.message)) }
    await refuses(make(['nope']), /column "nope", which the schema does not have/)
    await refuses(make(['embedding']), /vector column embedding cannot be partitioned/)
    await refuses(make(['bucket(4, d)', 'bucket(4, d)']), /twice/)
    await refuses(make(['hour(d)']), /hour does not apply to a date column/)
    await refuses(make(['truncate(n)']), /truncate needs its width/)
    await refuses(make(['tenant'], null), /partitionBy needs schema/)
    await refuses(make([{ column: 'n', transform: 'truncate[3]', name: 'tenant' }]), /"tenant" is a column of the schema/)
    await assert.rejects(make(['zorder(n)']), (e: unknown) => isAilakeError(e, 'UNSUPPORTED'))
    const t = await lake.createTable('default.ok', { vector: { dim: DIM }, schema: SCHEMA, partitionBy: ['tenant'] })
    const again = await lake.createTable('default.ok', { vector: { dim: DIM }, schema: SCHEMA, partitionBy: ['tenant'], existOk: true })
    assert.equal(again.name, t.name)
    await assert.rejects(lake.createTable('default.ok', { vector: { dim: DIM }, schema: SCHEMA, partitionBy: ['day(ts)'], existOk: true }), (e: unknown) => isAilakeError(e, 'ALREADY_EXISTS') && /partitioned by tenant, not day\(ts_day\)/.test(e.message))
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('an equality delete in one partition deletes only that partition\'s rows (spec: delete files are scoped by partition)', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.eq', { vector: { dim: 2 }, schema: { id: 'long', tenant: 'string' }, partitionBy: ['tenant'] })
    await t.add([
      { id: 1n, tenant: 'a', embedding: [1, 0] },
      { id: 1n, tenant: 'b', embedding: [0, 1] },
      { id: 2n, tenant: 'a', embedding: [1, 1] },
    ])
    // What Spark or Flink write for DELETE ... WHERE id = 1 AND tenant = 'a': an equality delete on
    // id, in partition tenant = 'a' of spec 0.
    const idField = t.schema.fields.find((f) => f.name === 'id') as Field
    const written = writePlainFile({ schemaId: 0, fields: [idField] }, new Map([[idField.id, [1n]]]), 1)
    const path = `${t.core.location}/data/eq-delete-a.parquet`
    await t.core.store.put(t.core.keyOf(path), written.bytes)
    await t.core.commit({
      kind: 'delta', added: [],
      addedDeletes: [{ content: 'equality-deletes', filePath: path, fileFormat: 'PARQUET', partition: { tenant: 'a' }, specId: 0, equalityIds: [idField.id], recordCount: 1, fileSizeInBytes: written.bytes.length }],
    })
    const rows: string[] = []
    for await (const r of t.scan({ select: ['id', 'tenant'] })) rows.push(`${String(r.id)}${String(r.tenant)}`)
    assert.deepEqual(rows.sort(), ['1b', '2a'], 'the delete applies in partition a only')
    assert.deepEqual((await t.search([0, 1]).limit(5).toArray()).map((r) => `${String(r.id)}${String(r.tenant)}`).sort(), ['1b', '2a'])
    await lake.close()
  } finally {
    await cleanup()
  }
})

test('a plain Iceberg table another engine partitioned becomes searchable: ailake writes into its spec, optimize keeps partitions apart', async () => {
  const { dir, cleanup } = await tempDir()
  const lake = await connect(dir)
  try {
    // As Spark would create it: id int, tag string, embedding list<float>, partitioned by identity(tag).
    const schema = SPARK_EVENTS_SCHEMA
    const ident = { namespace: ['spark'], name: 'events' }
    const spec = { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'tag', transform: 'identity' }] }
    await lake.catalog.createTable(ident, newTableMetadata({ location: lake.catalog.defaultLocation(ident), schema, properties: {}, spec }))
    const t = await lake.openTable('spark.events')
    const r = rng(5)
    const all = new Map<number, { tag: string; v: number[] }>()
    for (const tag of ['x', 'y']) {
      const ids = Array.from({ length: 30 }, (_, i) => (tag === 'x' ? 0 : 30) + i)
      const vecs = ids.map(() => Array.from({ length: 4 }, () => Math.fround(r() * 10)))
      ids.forEach((id, i) => all.set(id, { tag, v: vecs[i] as number[] }))
      const bytes = sparkEventsFile(ids, ids.map(() => tag), vecs)
      const path = `${t.core.location}/data/spark-${tag}.parquet`
      await lake.store.put(t.core.keyOf(path), bytes)
      await t.core.append([{ content: 'data', filePath: path, fileFormat: 'PARQUET', partition: { tag }, specId: 0, recordCount: ids.length, fileSizeInBytes: bytes.length }])
    }
    await t.setVectorColumn({ column: 'embedding', dim: 4, metric: 'euclidean' })
    const added = Array.from({ length: 20 }, (_, i) => ({ id: 60 + i, tag: i % 2 === 0 ? 'x' : 'z', embedding: Array.from({ length: 4 }, () => Math.fround(r() * 10)) }))
    await t.add(added)
    for (const a of added) all.set(a.id, { tag: a.tag, v: a.embedding })
    const check = async (when: string): Promise<void> => {
      for (const f of await t.core.planFiles()) {
        const tags = new Set<unknown>()
        for await (const row of t.scan({ select: ['tag'], where: `tag = '${String(f.dataFile.partition.tag)}'` })) tags.add(row.tag)
        assert.ok(tags.has(f.dataFile.partition.tag), `${when}: ${f.dataFile.filePath} has a tuple its rows carry`)
      }
      for (const tag of ['x', 'y', 'z']) {
        const q = [5, 5, 5, 5]
        const want = [...all].filter(([, v]) => v.tag === tag).sort((a, b) => a[1].v.reduce((s, x, j) => s + (x - (q[j] as number)) ** 2, 0) - b[1].v.reduce((s, x, j) => s + (x - (q[j] as number)) ** 2, 0) || a[0] - b[0]).slice(0, 5).map(([id]) => id)
        const plan = await t.search(q).where(`tag = '${tag}'`).limit(5).ef(200).prune('exact').execute()
        assert.deepEqual(plan.rows.map((x) => Number(x.id)), want, `${when}: tag ${tag}`)
        assert.ok(plan.plan.filesPrunedByPartition > 0, `${when}: other tags' files are pruned`)
      }
    }
    await check('before optimize')
    await t.optimize({ targetRowsPerFile: 10, expireOlderThan: false, orphansOlderThan: false })
    for (const f of await t.core.planFiles()) assert.ok(f.dataFile.ailake !== undefined, 'optimize rewrote every file into an ailake file')
    await check('after optimize')
  } finally {
    await lake.close()
    await cleanup()
  }
})

test('schema changes keep partitions writable: a partition source column cannot be dropped; renamed and widened ones go on partitioning', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.evolve', { vector: { dim: 2 }, schema: { id: 'long', tenant: 'string', n: 'int' }, partitionBy: ['tenant', 'truncate(10, n)'] })
    await t.add([{ id: 1n, tenant: 'a', n: 5, embedding: [1, 0] }, { id: 2n, tenant: 'b', n: 15, embedding: [0, 1] }])
    await assert.rejects(t.alterSchema({ drop: ['tenant'] }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT') && /partition field tenant/.test(e.message))
    await t.alterSchema({ rename: { tenant: 'customer' }, widen: { n: 'long' } })
    await t.add([{ id: 3n, customer: 'a', n: 25n, embedding: [1, 1] }, { id: 4n, customer: 'c', n: -3n, embedding: [2, 1] }])
    const tuples = (await t.core.planFiles()).map((f) => `${String(f.dataFile.partition.tenant)}/${String(f.dataFile.partition.n_trunc)}`).sort()
    assert.deepEqual(tuples, ['a/0', 'a/20', 'b/10', 'c/-10'])
    const plan = await t.search([1, 1]).where("customer = 'a'").limit(5).execute()
    assert.deepEqual(plan.rows.map((r) => r.id).sort(), [1n, 3n])
    assert.equal(plan.plan.filesPrunedByPartition, 2)
    const ranged = await t.search([1, 1]).where('n >= 20').limit(5).execute()
    assert.deepEqual(ranged.rows.map((r) => r.id), [3n])
    // truncate keeps order: n >= 20 rules out the buckets below 20, the first append's whole manifest (0 and 10) unread.
    assert.equal(ranged.plan.manifestsPrunedByPartition, 1)
    assert.equal(ranged.plan.filesPrunedByPartition, 1)
    await lake.close()
  } finally {
    await cleanup()
  }
})
