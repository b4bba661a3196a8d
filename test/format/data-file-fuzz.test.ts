import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isDeepStrictEqual } from 'node:util'
import { openDataFile, readSectionAt, verifyDataFile, writeDataFile, type WriteDataFileInput } from '../../src/format/data-file.js'
import { readFooter } from '../../src/format/parquet/footer.js'
import { CompactReader, CompactWriter, T_I32 } from '../../src/format/parquet/thrift.js'
import { PageGuard } from '../../src/format/parquet/page-guard.js'
import { IntegrityChecks } from '../../src/format/parquet/integrity.js'
import { HEADER_LENGTH, TRAILER_LENGTH } from '../../src/format/parquet/section.js'
import { bytesSource } from '../../src/util/byte-source.js'
import { crc32c } from '../../src/util/crc32c.js'
import { parquetMetadata } from 'hyparquet'
import { ByteWriter } from 'hyparquet-writer'
import { writeMetadata } from 'hyparquet-writer/src/metadata.js'
import { AilakeError } from '../../src/errors.js'
import { makeInput, rng, vectorType } from './data-file-fixtures.js'

/** Runs every read path; resolves 'ok' or 'error' (AilakeError); any other failure fails the test. */
async function exercise(bytes: Uint8Array, label: string): Promise<'ok' | 'error'> {
  try {
    const src = bytesSource(bytes)
    const r = await openDataFile(src)
    await r.readSection()
    await r.readVectors()
    await r.readVectorsAt([0, r.rowCount - 1])
    await r.readRows({ rows: [1, 2] })
    await verifyDataFile(src)
    return 'ok'
  } catch (err) {
    if (err instanceof AilakeError) {
      assert.ok(err.message.length > 10, `${label}: unhelpful message`)
      return 'error'
    }
    throw new Error(`${label}: non-AilakeError ${String(err)}`, { cause: err })
  }
}

const input = makeInput({ rows: 300, dim: 8, index: 200, rowGroupRows: 120, seed: 9 })
const good = writeDataFile(input).bytes

test('the pristine file passes every read path', async () => {
  assert.equal(await exercise(good, 'pristine'), 'ok')
})

test('truncation at many lengths always fails with AilakeError', async () => {
  const r = rng(11)
  const lengths = new Set<number>([0, 1, 4, 8, 11, 12, good.length - 1, good.length - 4, good.length - 8])
  while (lengths.size < 700) lengths.add(Math.floor(r() * good.length))
  for (const n of lengths) {
    assert.equal(await exercise(good.subarray(0, n), `truncated to ${n}`), 'error', `truncated to ${n} bytes was accepted`)
  }
})

type Outcome = 'error' | 'same' | 'wrong'

/** Everything the read paths return, to compare a damaged file's decode with the pristine one. */
async function decodeAll(bytes: Uint8Array): Promise<unknown> {
  const src = bytesSource(bytes)
  const r = await openDataFile(src)
  const section = await r.readSection()
  const vectors = await r.readVectors()
  const at = await r.readVectorsAt([0, 7, 150, r.rowCount - 1])
  const some = await r.readRows({ rows: [1, 2, 250] })
  const all = await r.readRows()
  await verifyDataFile(src)
  return { rowCount: r.rowCount, schema: r.schema, facts: section.facts, indexBytes: section.indexBytes, vectors, at, some, all }
}

const pristine = await decodeAll(good)

/**
 * 'error': AilakeError; 'same': decoded to exactly the pristine contents (the damage hit bytes
 * nobody reads); 'wrong': decoded to something else without an error (silent corruption).
 * Anything but an AilakeError fails the test.
 */
async function classify(bytes: Uint8Array, label: string): Promise<Outcome> {
  let got: unknown
  try {
    got = await decodeAll(bytes)
  } catch (err) {
    if (err instanceof AilakeError) {
      assert.ok(err.message.length > 10, `${label}: unhelpful message`)
      return 'error'
    }
    throw new Error(`${label}: non-AilakeError ${String(err)}`, { cause: err })
  }
  return isDeepStrictEqual(got, pristine) ? 'same' : 'wrong'
}

async function flipBits(lo: number, hi: number, count: number, seed: number, name: string): Promise<Record<Outcome, number> & { wrongAt: number[] }> {
  const r = rng(seed)
  const tally = { error: 0, same: 0, wrong: 0, wrongAt: [] as number[] }
  for (let i = 0; i < count; i++) {
    const bad = good.slice()
    const at = lo + Math.floor(r() * (hi - lo))
    bad[at] = (bad[at] as number) ^ (1 << Math.floor(r() * 8))
    const o = await classify(bad, `${name} flip ${i} at byte ${at} (seed ${seed})`)
    tally[o]++
    if (o === 'wrong') tally.wrongAt.push(at)
  }
  return tally
}

test('single-bit flips in data pages, section and trailer: CORRUPT_DATA or the pristine rows, never other rows', async (t) => {
  const { footerStart } = await readFooter(bytesSource(good))
  const w = writeDataFile(input)
  const secStart = w.vector.sectionOffset
  const regions: Array<[string, number, number, number]> = [
    ['pages', 4, secStart, 600],
    ['section', secStart, secStart + w.vector.sectionLength, 300],
    ['trailer', footerStart - TRAILER_LENGTH, footerStart, 300],
  ]
  for (const [name, lo, hi, count] of regions) {
    const tally = await flipBits(lo, hi, count, 12, name)
    t.diagnostic(`${name}: ${count} single-bit flips: ${tally.error} CORRUPT_DATA, ${tally.same} decoded to the pristine rows, ${tally.wrong} wrong rows`)
    assert.equal(tally.wrong, 0, `${name}: ${tally.wrong} flips returned different rows without an error (bytes ${tally.wrongAt.slice(0, 10).join(', ')})`)
  }
})

test('single-bit flips anywhere in the file (footer included): counted by outcome', async (t) => {
  const tally = await flipBits(0, good.length, 2000, 13, 'anywhere')
  t.diagnostic(`anywhere: 2000 single-bit flips: ${tally.error} CORRUPT_DATA, ${tally.same} decoded to the pristine rows, ${tally.wrong} wrong rows`)
  assert.equal(tally.wrong, 0, `${tally.wrong} flips returned different rows without an error (bytes ${tally.wrongAt.slice(0, 10).join(', ')})`)
})

/** Rewrites a section header field and fixes the header CRC so the check gets past the checksum. */
function withHeader(edit: (v: DataView) => void): Uint8Array {
  const w = writeDataFile(input)
  const bad = w.bytes.slice()
  const v = new DataView(bad.buffer, w.vector.sectionOffset, HEADER_LENGTH)
  edit(v)
  v.setUint32(76, crc32c(bad.subarray(w.vector.sectionOffset, w.vector.sectionOffset + 76)), true)
  return bad
}

test('hostile lengths and counts fail cleanly without giant allocations', async () => {
  const cases: Array<[string, Uint8Array]> = [
    ['dim 2^31', withHeader((v) => v.setUint32(12, 2 ** 31, true))],
    ['dim 0', withHeader((v) => v.setUint32(12, 0, true))],
    ['row count 2^52', withHeader((v) => v.setBigUint64(16, 2n ** 52n, true))],
    ['row count 2^63', withHeader((v) => v.setBigUint64(16, 2n ** 63n, true))],
    ['name length 2^32-1', withHeader((v) => v.setUint32(28, 0xffffffff, true))],
    ['index length 2^50', withHeader((v) => v.setBigUint64(48, 2n ** 50n, true))],
    ['section length 2^40', withHeader((v) => v.setBigUint64(56, 2n ** 40n, true))],
    ['unknown metric', withHeader((v) => v.setUint8(9, 77))],
    ['future version', withHeader((v) => v.setUint16(4, 9, true))],
  ]
  const footerLen = good.slice()
  new DataView(footerLen.buffer).setUint32(good.length - 8, 0xfffffff0, true)
  cases.push(['footer length 2^32', footerLen])
  const noMagic = good.slice()
  noMagic[good.length - 1] = 0
  cases.push(['no PAR1', noMagic])
  for (const [name, bytes] of cases) {
    assert.equal(await exercise(bytes, name), 'error', `${name} was accepted`)
  }
  // Hostile section offsets handed in from table metadata.
  for (const section of [{ offset: good.length - 10, length: 1000 }, { offset: -5, length: 100 }, { offset: 4, length: 2 ** 40 }, { offset: 4, length: 100 }]) {
    const r = await openDataFile(bytesSource(good), { section })
    await assert.rejects(r.readSection(), (e) => e instanceof AilakeError && e.code === 'CORRUPT_DATA', JSON.stringify(section))
  }
})

/**
 * The file with its row count (footer and section) set to `rows`, every checksum recomputed, so
 * only the count checks stand between a reader and an allocation of rows × dim floats.
 */
function withRowCount(rows: bigint): Uint8Array {
  const w = writeDataFile(input)
  const md = parquetMetadata(w.bytes.slice().buffer)
  const rg0 = md.row_groups[0]!
  rg0.num_rows = rows - (md.num_rows - rg0.num_rows)
  md.num_rows = rows
  const footer = new ByteWriter()
  writeMetadata(footer, md)
  const footerBytes = footer.getBytes()
  const footerStart = w.bytes.length - 8 - new DataView(w.bytes.buffer, w.bytes.byteOffset).getUint32(w.bytes.length - 8, true)
  const out = new Uint8Array(footerStart + footerBytes.length + 4)
  out.set(w.bytes.subarray(0, footerStart))
  out.set(footerBytes, footerStart)
  out.set(w.bytes.subarray(w.bytes.length - 4), out.length - 4)
  const v = new DataView(out.buffer, w.vector.sectionOffset, HEADER_LENGTH)
  v.setBigUint64(16, rows, true)
  v.setUint32(64, crc32c(footerBytes.subarray(0, footerBytes.length - 4)), true)
  v.setUint32(76, crc32c(out.subarray(w.vector.sectionOffset, w.vector.sectionOffset + 76)), true)
  return out
}

test('hostile row counts in a consistent footer and section: CORRUPT_DATA at once, without allocating rows × dim floats', async () => {
  for (const rows of [2n ** 24n, 2n ** 31n, 2n ** 40n]) {
    const bad = withRowCount(rows)
    const r0 = await openDataFile(bytesSource(bad))
    assert.equal(BigInt(r0.rowCount), rows, 'the crafted file must get past the footer and section checks')
    const reads: Array<[string, (r: Awaited<ReturnType<typeof openDataFile>>) => Promise<unknown>]> = [
      ['readVectors', (r) => r.readVectors()],
      ['readRows', (r) => r.readRows()],
      ['readRows of one column', (r) => r.readRows({ columns: ['docId'] })],
      ['readVectorsAt', (r) => r.readVectorsAt([0])],
      ['verifyDataFile', () => verifyDataFile(bytesSource(bad))],
    ]
    for (const [name, read] of reads) {
      const before = process.memoryUsage().arrayBuffers
      await assert.rejects(read(await openDataFile(bytesSource(bad))), (e: unknown) => {
        assert.ok(e instanceof AilakeError && e.code === 'CORRUPT_DATA', `${rows} rows, ${name}: ${String(e)}`)
        return true
      })
      const grown = process.memoryUsage().arrayBuffers - before
      assert.ok(grown < 64 * 2 ** 20, `${rows} rows, ${name}: ${grown} bytes of buffers allocated`)
    }
  }
})

test('a page header whose row count was corrupted is rejected before hyparquet decodes the page', async () => {
  const w = writeDataFile(input)
  const { metadata } = await readFooter(bytesSource(w.bytes))
  const chunk = metadata.row_groups[0]?.columns.find((c) => c.meta_data?.path_in_schema[0] === 'score')
  const at = Number(chunk?.meta_data?.data_page_offset)
  // Grow the varint of the V2 header's num_rows (field 3 of struct 8) by setting its high bit,
  // which turns 120 rows into a huge count; hyparquet looped without end on this page once.
  const header = new CompactReader(w.bytes, 'test', at).struct()
  const v2 = header.get(8) as Map<number, unknown>
  assert.equal(v2.get(3), 120, 'fixture layout changed: re-aim this test')
  const bad = w.bytes.slice()
  // 120 zigzag-encoded is 0xf0 0x01: first as num_values (field 1), then as num_rows (field 3).
  const rowsByte = bad.indexOf(0xf0, bad.indexOf(0xf0, at + 8) + 1)
  assert.ok(rowsByte > at && rowsByte < at + 24)
  bad[rowsByte + 1] = (bad[rowsByte + 1] as number) | 0x80
  const r = await openDataFile(bytesSource(bad))
  await assert.rejects(r.readRows({ columns: ['score'], rows: [1, 2] }), (err: unknown) => err instanceof AilakeError && err.code === 'CORRUPT_DATA')
})

test('hostile page headers in files without an integrity table: sizes and counts that would drive huge allocations in hyparquet are CORRUPT_DATA', () => {
  const page = (uncompressed: number, values: number, rows: number): Uint8Array => {
    const w = new CompactWriter()
    w.int(1, T_I32, 3)
    w.int(2, T_I32, uncompressed)
    w.int(3, T_I32, 10)
    w.beginStruct(8)
    for (const [id, v] of [[1, values], [2, 0], [3, rows], [4, 0], [5, 0], [6, 0]] as const) w.int(id, T_I32, v)
    w.endStruct()
    const h = w.finish()
    const out = new Uint8Array(h.length + 10)
    out.set(h)
    return out
  }
  const guardFor = (bytes: Uint8Array, codec: 'SNAPPY' | 'UNCOMPRESSED', path: string[]): PageGuard => new PageGuard({
    version: 2, schema: [], num_rows: 10n, metadata_length: 0,
    row_groups: [{ num_rows: 10n, total_byte_size: 0n, columns: [{ file_offset: 0n, meta_data: {
      type: 'INT32', encodings: ['PLAIN'], path_in_schema: path, codec, num_values: 10n,
      total_uncompressed_size: BigInt(bytes.length), total_compressed_size: BigInt(bytes.length), data_page_offset: 0n,
    } }] }],
  }, new IntegrityChecks('hostile.parquet'))
  const cases: Array<[string, Uint8Array, 'SNAPPY' | 'UNCOMPRESSED', string[], RegExp]> = [
    ['snappy page claiming 1 GiB from 10 bytes', page(2 ** 30, 10, 10), 'SNAPPY', ['s'], /more than snappy can expand/],
    ['uncompressed page claiming another size', page(2 ** 30, 10, 10), 'UNCOMPRESSED', ['s'], /differs from the stored/],
    ['flat page with more values than the row group has rows', page(10, 2 ** 30, 10), 'UNCOMPRESSED', ['s'], /values for 10 rows/],
    ['nested page claiming 2^40 values', page(10, 2 ** 40, 10), 'UNCOMPRESSED', ['l', 'list', 'element'], /values for 10 rows/],
  ]
  for (const [name, bytes, codec, path, message] of cases) {
    assert.throws(() => guardFor(bytes, codec, path).check(bytes, 0), (e: unknown) => e instanceof AilakeError && e.code === 'CORRUPT_DATA' && message.test(e.message), name)
  }
  // The same page with honest sizes passes.
  const ok = page(10, 10, 10)
  guardFor(ok, 'UNCOMPRESSED', ['s']).check(ok, 0)
})

/** A file with two more vector columns (f16 and i8, each with index bytes and codes) after the primary one. */
function multiInput(): WriteDataFileInput {
  const base = makeInput({ rows: 300, dim: 8, index: 200, rowGroupRows: 120, seed: 21 })
  const r = rng(22)
  base.schema = { ...base.schema, fields: [...base.schema.fields, { id: 20, name: 'image', type: vectorType('f16', 5), required: true }, { id: 21, name: 'audio', type: vectorType('i8', 3), required: true }] }
  const vectors = (dim: number): Float32Array => Float32Array.from({ length: 300 * dim }, () => (r() - 0.5) * 6)
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(r() * 256))
  base.extraVectors = [
    { vector: { fieldId: 20, column: 'image', dim: 5, metric: 'euclidean', precision: 'f16', vectors: vectors(5) }, index: { type: 'hnsw', bytes: bytes(150), codes: bytes(60) } },
    { vector: { fieldId: 21, column: 'audio', dim: 3, metric: 'dot', precision: 'i8', vectors: vectors(3) }, index: { type: 'hnsw', bytes: bytes(90) } },
  ]
  return base
}

/** Every read of the other vector columns: their sections (by footer and by recorded offsets), vectors, rows; then verify. */
async function decodeColumns(bytes: Uint8Array, at: readonly { offset: number; length: number }[]): Promise<unknown> {
  const src = bytesSource(bytes)
  const r = await openDataFile(src)
  const out: unknown[] = []
  for (const [i, column] of ['image', 'audio'].entries()) {
    const s = await r.readColumnSection(column)
    const direct = await readSectionAt(src, at[i] as { offset: number; length: number })
    out.push(s?.facts, s?.indexBytes, s?.codesBytes, direct.facts, await r.readVectors(column), await r.readVectorsAt([0, 131, 299], undefined, column))
  }
  out.push(await r.readRows({ rows: [5, 200] }))
  await verifyDataFile(src)
  return out
}

test('column sections: single-bit flips (sections and their columns\' pages) are CORRUPT_DATA or the pristine decode, truncations are CORRUPT_DATA', async (t) => {
  const w = writeDataFile(multiInput())
  const at = w.extraVectors.map((f) => ({ offset: f.sectionOffset, length: f.sectionLength }))
  const pristineColumns = await decodeColumns(w.bytes, at)
  const first = at[0] as { offset: number; length: number }
  const last = at[at.length - 1] as { offset: number; length: number }
  const regions: Array<[string, number, number, number]> = [
    ['column sections', first.offset, last.offset + last.length, 800],
    ['pages', 4, w.vector.sectionOffset, 400],
  ]
  for (const [name, lo, hi, count] of regions) {
    const r = rng(31)
    const tally = { error: 0, same: 0, wrong: 0 }
    for (let i = 0; i < count; i++) {
      const bad = w.bytes.slice()
      const pos = lo + Math.floor(r() * (hi - lo))
      bad[pos] = (bad[pos] as number) ^ (1 << Math.floor(r() * 8))
      let got: unknown
      try {
        got = await decodeColumns(bad, at)
      } catch (err) {
        if (!(err instanceof AilakeError)) throw new Error(`${name} flip ${i} at byte ${pos}: non-AilakeError ${String(err)}`, { cause: err })
        assert.ok(err.code === 'CORRUPT_DATA' || err.code === 'UNSUPPORTED', `${name} flip ${i} at byte ${pos}: ${err.code}`)
        tally.error++
        continue
      }
      if (isDeepStrictEqual(got, pristineColumns)) tally.same++
      else tally.wrong++
    }
    t.diagnostic(`${name}: ${count} single-bit flips: ${tally.error} CORRUPT_DATA or UNSUPPORTED, ${tally.same} pristine, ${tally.wrong} wrong`)
    assert.equal(tally.wrong, 0, `${name}: flips decoded to other vectors or facts without an error`)
  }
  // Every truncation of each column section, read by its recorded offsets.
  for (const [i, s] of at.entries()) {
    for (let n = 0; n < s.length; n++) {
      await assert.rejects(readSectionAt(bytesSource(w.bytes), { offset: s.offset, length: n }), (err: unknown) => err instanceof AilakeError && err.code === 'CORRUPT_DATA', `column section ${i} cut to ${n} bytes`)
    }
  }
})
