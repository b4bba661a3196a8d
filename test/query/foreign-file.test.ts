// A file another engine appended (plain Parquet with Iceberg field ids, no ailake section and no
// vector facts in the manifest) is searched by exact scan, and its rows can be filtered.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { connect } from '../../src/index.js'
import { LocalStore } from '../../src/store/local-store.js'
import { tempDir } from '../helpers/tmpdir.js'

test('search covers files written by other engines (exact scan, filters apply)', async () => {
  const { dir, cleanup } = await tempDir()
  try {
    const lake = await connect(dir)
    const t = await lake.createTable('default.mixed', { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'int', tag: 'string' } })
    await t.add([{ id: 1, tag: 'ours', embedding: [0, 0] }, { id: 2, tag: 'ours', embedding: [10, 10] }])
    const [idField, tagField, vecField] = t.schema.fields
    const elementId = (vecField?.type as { elementId: number }).elementId
    // What Spark or pyiceberg would write: field ids on every column, a LIST<FLOAT> vector column.
    const bytes = new Uint8Array(parquetWriteBuffer({
      schema: [
        { name: 'root', num_children: 3 },
        { name: 'id', type: 'INT32', repetition_type: 'OPTIONAL', field_id: idField?.id },
        { name: 'tag', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL', field_id: tagField?.id },
        { name: 'embedding', repetition_type: 'REQUIRED', num_children: 1, converted_type: 'LIST', field_id: vecField?.id },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED', field_id: elementId },
      ],
      columnData: [
        { name: 'id', data: [3, 4, 5] },
        { name: 'tag', data: ['theirs', 'theirs', 'other'] },
        { name: 'embedding', data: [[1, 1], [9, 9], [5, 5]] },
      ],
    }))
    const store = new LocalStore({ root: dir })
    const path = `${t.core.location}/data/foreign-0001.parquet`
    await store.put(t.core.keyOf(path), bytes)
    await t.core.append([{ content: 'data', filePath: path, fileFormat: 'PARQUET', partition: {}, recordCount: 3, fileSizeInBytes: bytes.length }])

    const near = await t.search([1, 1.2]).limit(2).toArray()
    assert.deepEqual(near.map((r) => r.id), [3, 1])
    const plan = await t.search([1, 1.2]).limit(2).explain()
    assert.equal(plan.filesSearchedByScan, 1, 'the foreign file is scanned exactly')
    const filtered = await t.search([9, 9]).where("tag = 'other'").limit(5).toArray()
    assert.deepEqual(filtered.map((r) => r.id), [5])
    const all = await t.search([0, 0]).limit(10).toArray()
    assert.deepEqual(all.map((r) => r.id).sort(), [1, 2, 3, 4, 5])
  } finally {
    await cleanup()
  }
})
