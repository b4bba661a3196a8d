// Section version 5 holds the compact HNSW graph (docs/format.md, "Compact HNSW graph"):
// - a small index (no codes) is still version 5, with codes kind 0 and no codes block;
// - a graph that passes both CRCs but does not decode fails a search with CORRUPT_DATA naming
//   the file, and verify() reports it;
// - a version 4 file written by the code before version 5 (checked in, fixed-stride graph)
//   reads, verifies and searches exactly as before: its graph is the one today's build makes
//   of its vectors, it searches like that graph written as version 5, and at a beam covering
//   the file it returns the brute-force top k (exact distances).
//
// AILAKE_SEED=<n> reproduces a run (failures print the seed and case).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { openDataFile, readSectionAt, verifyDataFile, writeDataFile } from '../../src/format/data-file.js'
import { HEADER_LENGTH_V4 } from '../../src/format/parquet/section.js'
import { bytesSource } from '../../src/util/byte-source.js'
import { crc32c } from '../../src/util/crc32c.js'
import { AilakeError } from '../../src/errors.js'
import { HnswIndex } from '../../src/vector-index/hnsw.js'
import { decodeGraph } from '../../src/vector-index/hnsw-codec.js'
import type { HnswGraph } from '../../src/vector-index/hnsw-graph.js'
import { decodeSq8Block } from '../../src/vector/sq8-block.js'
import { connect } from '../../src/index.js'
import { makeInput, rng } from './data-file-fixtures.js'
import { tempDir } from '../helpers/tmpdir.js'

const SEED = Number(process.env.AILAKE_SEED ?? 5050)
const V4_FILE = fileURLToPath(new URL('../../../test/fixtures/datafile/v4-codes-euclidean.parquet', import.meta.url))

const isCode = (...codes: string[]) => (err: unknown): boolean => err instanceof AilakeError && codes.includes(err.code)

/** Node `id`'s neighbours at `level`, sorted (a list is a set). */
function neighbours(g: HnswGraph, id: number, level: number): number[] {
  const base = level === 0 ? id * (2 * g.M + 1) : (g.upperOff[id] as number) + (level - 1) * (g.M + 1)
  const arr = level === 0 ? g.links0 : g.upper
  return Array.from(arr.subarray(base + 1, base + 1 + (arr[base] as number))).sort((a, b) => a - b)
}

test('a small index (no codes) is a version 5 section with codes kind 0; claiming SQ8 codes without a block is CORRUPT_DATA', async () => {
  const input = makeInput({ rows: 50, dim: 8, seed: 3 })
  const built = HnswIndex.build(input.vector.vectors, { metric: 'cosine', dim: 8, M: 4, efConstruction: 16 })
  assert.equal(built.codes(), undefined)
  input.index = { type: 'hnsw', bytes: built.serialize() }
  const w = writeDataFile(input)
  const at = { offset: w.vector.sectionOffset, length: w.vector.sectionLength }
  const v = new DataView(w.bytes.buffer, w.bytes.byteOffset + at.offset)
  assert.deepEqual([v.getUint16(4, true), v.getUint16(6, true), Number(v.getBigUint64(88, true)), v.getUint32(96, true), v.getUint8(100)], [5, HEADER_LENGTH_V4, 0, 0, 0])
  const s = await readSectionAt(bytesSource(w.bytes), at)
  assert.equal(s.codesBytes, undefined)
  assert.deepEqual(s.indexBytes, input.index.bytes)
  await verifyDataFile(bytesSource(w.bytes), { indexNodeCount: (b) => decodeGraph(b).count })
  const bad = w.bytes.slice()
  const hv = new DataView(bad.buffer, bad.byteOffset + at.offset)
  hv.setUint8(100, 1)
  hv.setUint32(108, crc32c(bad.subarray(at.offset, at.offset + 108)), true)
  await assert.rejects(readSectionAt(bytesSource(bad), at), isCode('CORRUPT_DATA'))
})

test('a graph that passes its CRCs but does not decode: a search fails with CORRUPT_DATA naming the file, and verify() reports it', async () => {
  const { dir, cleanup } = await tempDir()
  const lake = await connect(dir)
  try {
    const r = rng(SEED)
    const rows = 1100
    const table = await lake.createTable('default.graph', { vector: { dim: 8, metric: 'cosine', M: 8, efConstruction: 32 }, schema: { id: 'int' } })
    await table.add(Array.from({ length: rows }, (_, id) => ({ id, embedding: Float32Array.from({ length: 8 }, () => r() - 0.5) })))
    const [file] = await table.files()
    assert.ok(file !== undefined)
    const path = file.path.replace(/^file:\/\//, '')
    const bytes = new Uint8Array(await readFile(path))
    const { facts } = await (await openDataFile(bytesSource(bytes))).readSection()
    const hv = new DataView(bytes.buffer, bytes.byteOffset + facts.sectionOffset)
    const indexLength = Number(hv.getBigUint64(48, true))
    const codesLength = Number(hv.getBigUint64(88, true))
    const graphStart = facts.sectionOffset + facts.sectionLength - codesLength - indexLength
    // The last list of the stream gets one more bit set in the byte before the CRC: a graph
    // CRC, then the section's index CRC and header CRC make it pass every checksum.
    const bad = bytes.slice()
    const gv = new DataView(bad.buffer, bad.byteOffset + graphStart, indexLength)
    gv.setUint8(indexLength - 5, gv.getUint8(indexLength - 5) | 0x80)
    gv.setUint32(indexLength - 4, crc32c(bad.subarray(graphStart, graphStart + indexLength - 4)), true)
    const sv = new DataView(bad.buffer, bad.byteOffset + facts.sectionOffset)
    sv.setUint32(44, crc32c(bad.subarray(graphStart, graphStart + indexLength)), true)
    sv.setUint32(108, crc32c(bad.subarray(facts.sectionOffset, facts.sectionOffset + 108)), true)
    assert.throws(() => decodeGraph(bad.subarray(graphStart, graphStart + indexLength)), isCode('CORRUPT_DATA'))
    await writeFile(path, bad)
    await assert.rejects(table.search(Float32Array.from({ length: 8 }, () => 0.1)).limit(3).toArray(), (err: unknown) => {
      assert.ok(err instanceof AilakeError && err.code === 'CORRUPT_DATA', String(err))
      assert.match(err.message, /HNSW index/)
      assert.ok(err.message.includes('.parquet'), `the message names the file: ${err.message}`)
      return true
    })
    const report = await table.verify()
    assert.equal(report.problems.length, 1, JSON.stringify(report.problems))
    assert.match(JSON.stringify(report.problems[0]), /HNSW index/)
  } finally {
    await lake.close()
    await cleanup()
  }
})

test('a version 4 file (fixed-stride graph) reads, verifies and searches exactly as its graph in version 5', async () => {
  const bytes = new Uint8Array(await readFile(V4_FILE))
  const reader = await openDataFile(bytesSource(bytes))
  assert.equal(reader.metadata.key_value_metadata?.find((kv) => kv.key === 'ailake.format-version')?.value, '4')
  const s = await reader.readSection()
  const { dim, rowCount, metric } = s.facts
  assert.equal(new DataView(bytes.buffer, bytes.byteOffset + s.facts.sectionOffset).getUint16(4, true), 4)
  await verifyDataFile(bytesSource(bytes), {
    indexNodeCount: (b) => decodeGraph(b).count,
    checkCodes: (b, f) => { decodeSq8Block(b, f.dim, f.rowCount, f.metric === 'euclidean') },
  })
  const indexBytes = s.indexBytes as Uint8Array
  const codesBytes = s.codesBytes as Uint8Array
  assert.equal(new DataView(indexBytes.buffer, indexBytes.byteOffset).getUint16(4, true), 1, 'graph format version 1')
  const vectors = await reader.readVectors()
  // The fixture was written with these options; today's build of its vectors makes the same graph.
  const rebuilt = HnswIndex.build(vectors, { metric, dim, M: 4, efConstruction: 24 })
  const v2 = rebuilt.serialize()
  const g1 = decodeGraph(indexBytes)
  const g2 = decodeGraph(v2)
  assert.deepEqual([g2.count, g2.M, g2.maxLevel, g2.entry, Array.from(g2.levels.subarray(0, g2.count))], [g1.count, g1.M, g1.maxLevel, g1.entry, Array.from(g1.levels.subarray(0, g1.count))])
  for (let id = 0; id < g1.count; id++) {
    for (let l = 0; l <= (g1.levels[id] as number); l++) assert.deepEqual(neighbours(g2, id, l), neighbours(g1, id, l), `node ${id} level ${l}`)
  }
  const old = HnswIndex.deserialize(indexBytes, vectors, { dim })
  const fresh = HnswIndex.deserialize(v2, vectors, { dim })
  const oldCodes = HnswIndex.fromCodes(indexBytes, codesBytes, { dim })
  const freshCodes = HnswIndex.fromCodes(v2, codesBytes, { dim })
  const r = rng(SEED + 1)
  for (let qi = 0; qi < 40; qi++) {
    const q = Float32Array.from({ length: dim }, () => (r() - 0.5) * 4)
    const label = `AILAKE_SEED=${SEED} query ${qi}`
    assert.deepEqual(fresh.search(q, 10, { ef: 32 }), old.search(q, 10, { ef: 32 }), label)
    const a = oldCodes.searchCodes(q, 10, { ef: 32 })
    const b = freshCodes.searchCodes(q, 10, { ef: 32 })
    assert.deepEqual(Array.from(b.ids), Array.from(a.ids), label)
    // A beam covering the file returns the brute-force top 10 (squared L2, exact).
    const exact = Array.from({ length: rowCount }, (_, id) => {
      let d = 0
      for (let j = 0; j < dim; j++) d += ((q[j] as number) - (vectors[id * dim + j] as number)) ** 2
      return { id, d }
    }).sort((x, y) => x.d - y.d || x.id - y.id).slice(0, 10)
    const wide = old.search(q, 10, { ef: rowCount })
    assert.deepEqual(Array.from(wide.ids), exact.map((e) => e.id), label)
    wide.distances.forEach((d, j) => assert.ok(Math.abs(d - (exact[j] as { d: number }).d) <= 1e-5 * Math.max(1, d), `${label}: distance ${j}`))
  }
})
