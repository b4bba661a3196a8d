// Data files with several vector columns (docs/format.md, "Column sections"): the primary
// column's section stays version 5, each other column gets a version 6 column section right
// after it. A seeded property test over random column configurations (dims, metrics,
// precisions, index or none, codes or none, row groups) round-trips every section and every
// column's vectors; hyparquet reads the same vectors (decoded by hand), and the file verifies.
// A file of one vector column is laid out exactly as before (the golden files check its bytes).
//
// AILAKE_SEED=<n> reproduces a run; AILAKE_COLUMN_CASES=<n> runs more cases.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parquetReadObjects } from 'hyparquet'
import { openDataFile, readSectionAt, verifyDataFile, writeDataFile, type ExtraVectorInput, type WriteDataFileInput } from '../../src/format/data-file.js'
import { bytesSource } from '../../src/util/byte-source.js'
import type { Metric, Precision } from '../../src/vector/types.js'
import { fullSchema, makeInput, rng, vectorType } from './data-file-fixtures.js'
import { decodeStored } from '../helpers/stored-vectors.js'

const SEED = Number(process.env.AILAKE_SEED ?? 606)
const CASES = Number(process.env.AILAKE_COLUMN_CASES ?? 120)
const METRICS: Metric[] = ['cosine', 'euclidean', 'dot']
const PRECISIONS: Precision[] = ['f32', 'f16', 'i8']

interface Case { input: WriteDataFileInput; extra: ExtraVectorInput[] }

function randomCase(seed: number): Case {
  const r = rng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T
  const rows = 1 + Math.floor(r() * (r() < 0.2 ? 400 : 60))
  const primaryPrecision = pick(PRECISIONS)
  const input = makeInput({ rows, dim: 1 + Math.floor(r() * 12), precision: primaryPrecision, metric: pick(METRICS), seed, ...(r() < 0.6 ? { index: 1 + Math.floor(r() * 80) } : {}), ...(r() < 0.5 ? { rowGroupRows: 1 + Math.floor(r() * rows) } : {}) })
  const schema = fullSchema(primaryPrecision, input.vector.dim)
  const count = 1 + Math.floor(r() * 3)
  const extra: ExtraVectorInput[] = []
  for (let c = 0; c < count; c++) {
    const dim = 1 + Math.floor(r() * 20)
    const precision = pick(PRECISIONS)
    const fieldId = 200 + 2 * c
    const column = `vec_${c}${r() < 0.3 ? '_é' : ''}`
    // Vector columns may sit anywhere among the others: the writer keeps schema order.
    const at = Math.floor(r() * (schema.fields.length + 1))
    schema.fields.splice(at, 0, { id: fieldId, name: column, type: precision === 'f32' ? { ...(vectorType('f32', dim) as object), elementId: fieldId + 1 } as never : vectorType(precision, dim), required: true })
    const vectors = Float32Array.from({ length: rows * dim }, () => (r() - 0.5) * 8)
    const e: ExtraVectorInput = { vector: { fieldId, column, dim, metric: pick(METRICS), precision, vectors } }
    if (r() < 0.6) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(r() * 100) }, () => Math.floor(r() * 256))
      e.index = r() < 0.5 ? { type: 'hnsw', bytes } : { type: 'hnsw', bytes, codes: Uint8Array.from({ length: 1 + Math.floor(r() * 50) }, () => Math.floor(r() * 256)) }
    }
    extra.push(e)
  }
  input.schema = schema
  input.extraVectors = extra
  return { input, extra }
}

test(`random column configurations round-trip every section and every column's vectors (${CASES} cases)`, async () => {
  for (let i = 0; i < CASES; i++) {
    const seed = SEED * 1000 + i
    const at = `case ${i} (AILAKE_SEED=${SEED}, seed ${seed})`
    const { input, extra } = randomCase(seed)
    const out = writeDataFile(input)
    const bytes = out.bytes
    const reader = await openDataFile(bytesSource(bytes))
    const primary = await reader.readSection()
    assert.equal(primary.facts.column, 'embedding', at)
    assert.equal(new DataView(bytes.buffer, bytes.byteOffset + out.vector.sectionOffset).getUint16(4, true), input.index === undefined ? 2 : 5, `${at}: the primary section keeps its version`)
    const hy = await parquetReadObjects({ file: bytes.slice().buffer, columns: extra.map((e) => e.vector.column) })
    assert.equal(out.extraVectors.length, extra.length, at)
    for (const [j, e] of extra.entries()) {
      const v = e.vector
      const w = `${at}, column ${v.column} (${v.precision}, dim ${v.dim})`
      const facts = out.extraVectors[j]
      assert.ok(facts !== undefined, w)
      const sec = await reader.readColumnSection(v.column)
      assert.ok(sec !== undefined, w)
      assert.equal(sec.version, 6, w)
      assert.deepEqual({ ...sec.facts, centroid: Array.from(sec.facts.centroid) }, { ...facts, centroid: Array.from(facts.centroid) }, `${w}: the facts the writer reported`)
      assert.deepEqual([sec.facts.column, sec.facts.fieldId, sec.facts.dim, sec.facts.metric, sec.facts.precision, sec.facts.rowCount, sec.facts.indexType],
        [v.column, v.fieldId, v.dim, v.metric, v.precision, out.rowCount, e.index === undefined ? 'none' : 'hnsw'], w)
      assert.deepEqual(sec.indexBytes, e.index?.bytes, `${w}: index bytes`)
      assert.deepEqual(sec.codesBytes, e.index?.codes, `${w}: codes`)
      assert.equal(sec.integrity, undefined, `${w}: a column section has no integrity part`)
      // The same section read by its recorded offsets, as search does.
      const direct = await readSectionAt(bytesSource(bytes), { offset: facts.sectionOffset, length: facts.sectionLength })
      assert.deepEqual(direct.indexBytes, e.index?.bytes, w)
      const got = await reader.readVectors(v.column)
      const want = hy.map((row) => decodeStored(row[v.column], v).map(Math.fround)).flat()
      assert.deepEqual(Array.from(got), want, `${w}: vectors equal hyparquet's, decoded by hand`)
      if (v.precision === 'f32') assert.deepEqual(got, v.vectors, `${w}: f32 vectors are the input`)
      const rows = [0, out.rowCount - 1, Math.floor(out.rowCount / 2)]
      const some = await reader.readVectorsAt(rows, undefined, v.column)
      assert.deepEqual(Array.from(some), rows.flatMap((r) => want.slice(r * v.dim, (r + 1) * v.dim)), `${w}: rows read by position`)
    }
    const picked = await reader.readRows({ columns: extra.map((e) => e.vector.column), rows: [0] })
    for (const e of extra) assert.ok(picked[0]?.[e.vector.column] instanceof Float32Array, `${at}: readRows returns ${e.vector.column} as a Float32Array`)
    await verifyDataFile(bytesSource(bytes))
  }
})

test('a file written before column sections (one vector column) has no column section and reads as before', async () => {
  const input = makeInput({ rows: 20, dim: 4, index: 16 })
  const bytes = writeDataFile(input).bytes
  const reader = await openDataFile(bytesSource(bytes))
  assert.equal(await reader.readColumnSection('image'), undefined)
  assert.equal(await reader.columnFacts('image'), undefined)
  assert.equal((await reader.columnFacts('embedding'))?.column, 'embedding')
  await assert.rejects(reader.readVectors('image'), (err: unknown) => (err as { code?: string }).code === 'NOT_FOUND' && /image/.test((err as Error).message))
})
