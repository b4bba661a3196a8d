import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isDeepStrictEqual } from 'node:util'
import { openDataFile, readTextBlockAt, verifyDataFile, writeDataFile } from '../../src/format/data-file.js'
import { HEADER_LENGTH_V3 } from '../../src/format/parquet/section.js'
import { buildTextIndex, decodeTextIndex } from '../../src/text/text-index.js'
import { bytesSource } from '../../src/util/byte-source.js'
import { crc32c } from '../../src/util/crc32c.js'
import { AilakeError } from '../../src/errors.js'
import { makeInput, rng } from './data-file-fixtures.js'

// No index: a section with one is version 5 (codes-section.test.ts), with or without text.
const base = makeInput({ rows: 200, dim: 8, rowGroupRows: 90, seed: 21 })
const titles = base.columns.get(2) as (string | null)[]
const text = buildTextIndex([{ fieldId: 2, name: 'title', values: titles }], 200, 'english')
const written = writeDataFile({ ...base, text })
const good = written.bytes
const at = { offset: written.vector.sectionOffset, length: written.vector.sectionLength }

test('a section with a full-text block is version 3, reads back whole and on its own, and verifies', async () => {
  const v = new DataView(good.buffer, good.byteOffset + at.offset)
  assert.equal(v.getUint16(4, true), 3)
  assert.equal(v.getUint16(6, true), HEADER_LENGTH_V3)
  assert.equal(Number(v.getBigUint64(76, true)), text.length)
  assert.equal(v.getUint32(84, true), crc32c(text))
  // The block is the section's last bytes.
  assert.deepEqual(good.subarray(at.offset + at.length - text.length, at.offset + at.length), text)
  const src = bytesSource(good)
  const r = await openDataFile(src)
  const s = await r.readSection()
  assert.deepEqual(s.textBytes, text)
  assert.deepEqual(await readTextBlockAt(src, at), text)
  await verifyDataFile(src)
  // Without a block the file is exactly what this version wrote before: version 2.
  const plain = writeDataFile(base)
  assert.equal(new DataView(plain.bytes.buffer, plain.bytes.byteOffset + plain.vector.sectionOffset).getUint16(4, true), 2)
  assert.equal(await readTextBlockAt(bytesSource(plain.bytes), { offset: plain.vector.sectionOffset, length: plain.vector.sectionLength }), undefined)
  assert.equal((await (await openDataFile(bytesSource(plain.bytes))).readSection()).textBytes, undefined)
  // With an index the section is version 5; the block is still its last bytes and reads alone.
  const indexed = writeDataFile({ ...makeInput({ rows: 200, dim: 8, index: 200, rowGroupRows: 90, seed: 21 }), text })
  const iat = { offset: indexed.vector.sectionOffset, length: indexed.vector.sectionLength }
  assert.equal(new DataView(indexed.bytes.buffer, indexed.bytes.byteOffset + iat.offset).getUint16(4, true), 5)
  assert.deepEqual(await readTextBlockAt(bytesSource(indexed.bytes), iat), text)
  assert.deepEqual((await (await openDataFile(bytesSource(indexed.bytes))).readSection()).textBytes, text)
})

async function decodeAll(bytes: Uint8Array): Promise<unknown> {
  const src = bytesSource(bytes)
  const r = await openDataFile(src)
  const s = await r.readSection()
  const alone = await readTextBlockAt(src, at)
  const idx = decodeTextIndex(alone!, r.rowCount)
  const col = idx.columns.get('title')!
  const postings = ['titl', 'row', '1', '2', '3'].map((t) => col.postings(t))
  const rows = await r.readRows({ rows: [0, 5, 199] })
  await verifyDataFile(src)
  return { facts: s.facts, text: s.textBytes, alone, lengths: col.docLengths, postings, rows }
}

test('single-bit flips in the section (text block included) and truncations: CORRUPT_DATA or the pristine decode, never another', async (t) => {
  const pristine = await decodeAll(good)
  const r = rng(5)
  const tally = { error: 0, same: 0 }
  const classify = async (bytes: Uint8Array, label: string): Promise<void> => {
    let got: unknown
    try {
      got = await decodeAll(bytes)
    } catch (err) {
      assert.ok(err instanceof AilakeError, `${label}: ${String(err)}`)
      tally.error++
      return
    }
    assert.ok(isDeepStrictEqual(got, pristine), `${label}: decoded to something else without an error`)
    tally.same++
  }
  for (let i = 0; i < 600; i++) {
    const bad = good.slice()
    // Half the flips land in the text block, the rest anywhere in the section.
    const lo = i % 2 === 0 ? at.offset + at.length - text.length : at.offset
    const pos = lo + Math.floor(r() * (at.offset + at.length - lo))
    bad[pos] = (bad[pos] as number) ^ (1 << Math.floor(r() * 8))
    await classify(bad, `flip ${i} at byte ${pos}`)
  }
  for (let i = 0; i < 100; i++) await classify(good.subarray(0, Math.floor(r() * good.length)), `truncation ${i}`)
  t.diagnostic(`700 damaged files: ${tally.error} CORRUPT_DATA, ${tally.same} pristine`)
})

test('hostile text lengths with the header checksum recomputed are CORRUPT_DATA', async () => {
  for (const textLength of [0n, 2n ** 50n, BigInt(at.length + 1), BigInt(text.length - 1)]) {
    const bad = good.slice()
    const v = new DataView(bad.buffer, bad.byteOffset + at.offset, HEADER_LENGTH_V3)
    v.setBigUint64(76, textLength, true)
    v.setUint32(92, crc32c(bad.subarray(at.offset, at.offset + 92)), true)
    const src = bytesSource(bad)
    await assert.rejects(readTextBlockAt(src, at), (e) => e instanceof AilakeError && e.code === 'CORRUPT_DATA', `text length ${textLength}`)
    await assert.rejects((await openDataFile(src)).readSection(), (e) => e instanceof AilakeError && e.code === 'CORRUPT_DATA', `text length ${textLength}`)
  }
})
