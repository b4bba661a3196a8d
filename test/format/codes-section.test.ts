// Section version 5 (docs/format.md): the compact HNSW graph as the index bytes, the SQ8 codes
// block next to it (none for small indexes). A file with codes reads back the exact graph and
// block; every flipped bit of the section, every truncation and every hostile header field is
// CORRUPT_DATA (UNSUPPORTED for an unknown codes kind); a graph or block that passes its CRC but
// does not fit the file fails when decoded, and a search over a table with such a file fails
// with CORRUPT_DATA naming the file, and verify() reports it. A version 4 file (written before
// the compact graph) still reads and searches exactly as the same graph in version 5.
//
// AILAKE_SEED=<n> reproduces a run (failures print the seed and case).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { openDataFile, readSectionAt, verifyDataFile, writeDataFile } from '../../src/format/data-file.js'
import { HEADER_LENGTH_V4 } from '../../src/format/parquet/section.js'
import { bytesSource } from '../../src/util/byte-source.js'
import { crc32c } from '../../src/util/crc32c.js'
import { AilakeError } from '../../src/errors.js'
import { HnswIndex } from '../../src/vector-index/hnsw.js'
import { connect } from '../../src/index.js'
import { makeInput, rng } from './data-file-fixtures.js'
import { tempDir } from '../helpers/tmpdir.js'

const SEED = Number(process.env.AILAKE_SEED ?? 4040)
const ROWS = 1100
const DIM = 8
/** A file of ROWS rows whose index stores codes of `kind` (PQ: codes kind 2). */
function fileWithCodes(kind: 'sq8' | 'pq') {
  const input = makeInput({ rows: ROWS, dim: DIM, rowGroupRows: 500, seed: 5 })
  const built = HnswIndex.build(input.vector.vectors, { metric: 'cosine', dim: DIM, M: 8, efConstruction: 32 })
  const codes = built.codes(kind === 'pq' ? { kind, subvectors: 4 } : {}) as Uint8Array
  input.index = { type: 'hnsw', bytes: built.serialize(), codes }
  const w = writeDataFile(input)
  return { kind, input, built, codes, good: w.bytes, at: { offset: w.vector.sectionOffset, length: w.vector.sectionLength } }
}
const sq8File = fileWithCodes('sq8')
const { codes, good, at } = sq8File

const isCode = (...codes: string[]) => (err: unknown): boolean => err instanceof AilakeError && codes.includes(err.code)

for (const { kind, input, built, codes, good, at } of [sq8File, fileWithCodes('pq')]) {
  test(`a file with ${kind} codes: section version 5 holds the exact graph and block, and the file verifies`, async () => {
    const view = new DataView(good.buffer, good.byteOffset + at.offset)
    assert.equal(view.getUint16(4, true), 5)
    assert.equal(view.getUint8(100), kind === 'pq' ? 2 : 1, 'codes kind')
    assert.equal(view.getUint16(6, true), HEADER_LENGTH_V4)
    const r = await openDataFile(bytesSource(good))
    const s = await r.readSection()
    assert.deepEqual(s.codesBytes, codes)
    assert.deepEqual(s.indexBytes, input.index?.bytes)
    assert.equal(r.metadata.key_value_metadata?.find((kv) => kv.key === 'ailake.format-version')?.value, '5')
    await verifyDataFile(bytesSource(good))
    // The restored index searches like the one that was written.
    const restored = HnswIndex.fromCodes(s.indexBytes as Uint8Array, s.codesBytes as Uint8Array, { dim: DIM })
    const q = input.vector.vectors.slice(0, DIM)
    const got = Array.from(restored.searchCodes(q, 5, { ef: 50 }).ids)
    // An index in memory traverses on SQ8 codes it computes; a PQ file's restored index on its PQ codes.
    if (kind === 'sq8') assert.deepEqual(got, Array.from(built.searchCodes(q, 5, { ef: 50 }).ids))
    else assert.ok(got.includes(0), `the query is row 0's vector: row 0 is a candidate (got ${got.join(', ')})`)
  })

  test(`single-bit flips anywhere in a version 5 section with ${kind} codes, and truncated reads of it: CORRUPT_DATA`, async () => {
    const r = rng(SEED)
    const codesStart = at.offset + at.length - codes.length
    const graph = input.index?.bytes as Uint8Array
    const graphStart = codesStart - graph.length
    let flips = 0
    // Every bit of the header, then random bits over the graph, the codes block and the whole section.
    const bits: number[] = []
    for (let b = 0; b < HEADER_LENGTH_V4 * 8; b++) bits.push(at.offset * 8 + b)
    for (let i = 0; i < 300; i++) bits.push(graphStart * 8 + Math.floor(r() * graph.length * 8))
    for (let i = 0; i < 300; i++) bits.push(codesStart * 8 + Math.floor(r() * codes.length * 8))
    for (let i = 0; i < 200; i++) bits.push(at.offset * 8 + Math.floor(r() * at.length * 8))
    for (const bit of bits) {
      const bad = good.slice()
      bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7))
      await assert.rejects(readSectionAt(bytesSource(bad), at), isCode('CORRUPT_DATA', 'UNSUPPORTED'), `AILAKE_SEED=${SEED}: flip of bit ${bit - at.offset * 8} of the section`)
      flips++
    }
    for (let cut = 1; cut < at.length; cut += Math.max(1, Math.floor(r() * 997))) {
      await assert.rejects(readSectionAt(bytesSource(good), { offset: at.offset, length: at.length - cut }), isCode('CORRUPT_DATA'), `section read ${cut} bytes short`)
      await assert.rejects(readSectionAt(bytesSource(good.subarray(0, at.offset + at.length - cut)), at), isCode('CORRUPT_DATA'), `file truncated ${cut} bytes into the section`)
    }
    assert.ok(flips > 1500)
  })
}

/** The file with a section header field rewritten and the header CRC fixed, so the reader gets past the checksum. */
function withHeader(edit: (v: DataView) => void): Uint8Array {
  const bad = good.slice()
  const v = new DataView(bad.buffer, at.offset, HEADER_LENGTH_V4)
  edit(v)
  v.setUint32(108, crc32c(bad.subarray(at.offset, at.offset + 108)), true)
  return bad
}

test('hostile version 5 header fields: CORRUPT_DATA, or UNSUPPORTED for an unknown codes kind', async () => {
  const cases: [string, Uint8Array, string][] = [
    ['codes length 0', withHeader((v) => v.setBigUint64(88, 0n, true)), 'CORRUPT_DATA'],
    ['codes length 2^40', withHeader((v) => v.setBigUint64(88, 2n ** 40n, true)), 'CORRUPT_DATA'],
    ['codes length one more', withHeader((v) => v.setBigUint64(88, BigInt(codes.length + 1), true)), 'CORRUPT_DATA'],
    ['codes length one less', withHeader((v) => v.setBigUint64(88, BigInt(codes.length - 1), true)), 'CORRUPT_DATA'],
    ['codes crc', withHeader((v) => v.setUint32(96, v.getUint32(96, true) ^ 1, true)), 'CORRUPT_DATA'],
    ['codes kind 3', withHeader((v) => v.setUint8(100, 3)), 'UNSUPPORTED'],
    // Kind 2 is PQ: an SQ8 block under it is a mismatch, never read as PQ.
    ['codes kind 2 (PQ) over an SQ8 block', withHeader((v) => v.setUint8(100, 2)), 'CORRUPT_DATA'],
    ['codes kind none with codes', withHeader((v) => v.setUint8(100, 0)), 'CORRUPT_DATA'],
    ['codes kind none, length 0, crc left', withHeader((v) => { v.setUint8(100, 0); v.setBigUint64(88, 0n, true) }), 'CORRUPT_DATA'],
    // Version 6 is a column section, which has no integrity part: this one does.
    ['version 6', withHeader((v) => v.setUint16(4, 6, true)), 'CORRUPT_DATA'],
    ['version 7', withHeader((v) => v.setUint16(4, 7, true)), 'UNSUPPORTED'],
    ['reserved byte', withHeader((v) => v.setUint8(101, 1)), 'CORRUPT_DATA'],
    ['reserved word', withHeader((v) => v.setUint32(104, 1, true)), 'CORRUPT_DATA'],
    ['text crc without text', withHeader((v) => v.setUint32(84, 7, true)), 'CORRUPT_DATA'],
    ['text length 2^40', withHeader((v) => v.setBigUint64(76, 2n ** 40n, true)), 'CORRUPT_DATA'],
    ['index type none', withHeader((v) => v.setUint8(8, 0)), 'CORRUPT_DATA'],
  ]
  for (const [what, bytes, code] of cases) {
    await assert.rejects(readSectionAt(bytesSource(bytes), at), isCode(code), what)
    const r = await openDataFile(bytesSource(bytes))
    await assert.rejects(r.readSection(), isCode(code, 'CORRUPT_DATA'), `${what} (through the footer)`)
  }
})

test('a codes block that passes its CRC but does not fit the file: CORRUPT_DATA when a search restores the index', async () => {
  const { dir, cleanup } = await tempDir()
  const lake = await connect(dir)
  try {
    const r = rng(SEED + 1)
    const table = await lake.createTable('default.codes', { vector: { dim: DIM, metric: 'euclidean', M: 8, efConstruction: 32 }, schema: { id: 'int' } })
    await table.add(Array.from({ length: ROWS }, (_, id) => ({ id, embedding: Float32Array.from({ length: DIM }, () => r() - 0.5) })))
    const [file] = await table.files()
    assert.ok(file !== undefined)
    const path = file.path.replace(/^file:\/\//, '')
    const bytes = new Uint8Array(await readFile(path))
    const { facts } = await (await openDataFile(bytesSource(bytes))).readSection()
    const sectionOffset = facts.sectionOffset
    const sectionLength = facts.sectionLength
    const v = new DataView(bytes.buffer, bytes.byteOffset + sectionOffset)
    const codesLength = Number(v.getBigUint64(88, true))
    const codesStart = sectionOffset + sectionLength - codesLength
    // A well-formed block for one row fewer cannot fit in the same bytes; instead keep the
    // length and claim another row count, then fix the CRCs so only the decoder can tell.
    const bad = bytes.slice()
    new DataView(bad.buffer, codesStart).setUint32(12, ROWS - 1, true)
    const hv = new DataView(bad.buffer, sectionOffset)
    hv.setUint32(96, crc32c(bad.subarray(codesStart, codesStart + codesLength)), true)
    hv.setUint32(108, crc32c(bad.subarray(sectionOffset, sectionOffset + 108)), true)
    await writeFile(path, bad)
    await assert.rejects(table.search(Float32Array.from({ length: DIM }, () => 0.1)).limit(3).toArray(), (err: unknown) => {
      assert.ok(err instanceof AilakeError && err.code === 'CORRUPT_DATA', String(err))
      assert.match(err.message, /SQ8 codes block/)
      assert.ok(err.message.includes(join('data')) || err.message.includes('.parquet'), `the message names the file: ${err.message}`)
      return true
    })
    // verify() decodes the block too, and names the file.
    const report = await table.verify()
    assert.equal(report.problems.length, 1, JSON.stringify(report.problems))
    assert.match(JSON.stringify(report.problems[0]), /SQ8 codes block/)
  } finally {
    await lake.close()
    await cleanup()
  }
})
