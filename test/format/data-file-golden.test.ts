/**
 * Golden data files: tiny files checked in under test/fixtures/datafile with their expected
 * contents. A fresh write must reproduce them byte for byte, so any change to the file format is
 * a deliberate act. To regenerate on purpose (after bumping the format version if old readers
 * cannot read the new bytes, and documenting the change in docs/format.md):
 *   AILAKE_REGEN_FIXTURES=1 node --test .build-<you>/test/format/data-file-golden.test.js
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { openDataFile, verifyDataFile, writeDataFile, type WriteDataFileInput } from '../../src/format/data-file.js'
import { bytesSource } from '../../src/util/byte-source.js'
import type { Precision } from '../../src/vector/types.js'
import { makeInput } from './data-file-fixtures.js'

const DIR = fileURLToPath(new URL('../../../test/fixtures/datafile/', import.meta.url))
const REGEN = process.env.AILAKE_REGEN_FIXTURES === '1'

function jsonable(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return `hex:${Buffer.from(v).toString('hex')}`
  if (v instanceof Float32Array) return Array.from(v)
  if (Array.isArray(v)) return v.map(jsonable)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]))
  return v
}

const GOLDEN: Array<{ name: string; precision: Precision; input: () => WriteDataFileInput }> = (['f32', 'f16', 'i8'] as const).map((precision) => ({
  name: `tiny-${precision}`,
  precision,
  input: () => makeInput({ rows: 3, dim: 4, precision, index: 16, seed: 2024, rowGroupRows: 2 }),
}))

for (const g of GOLDEN) {
  test(`golden ${g.name}: a fresh write is byte-identical and reads back as expected`, async () => {
    const out = writeDataFile(g.input())
    const reader = await openDataFile(bytesSource(out.bytes))
    const section = await reader.readSection()
    const expected = jsonable({
      rowCount: reader.rowCount, schema: reader.schema, facts: section.facts, indexBytes: section.indexBytes,
      columnStats: out.columnStats, rows: await reader.readRows(),
    })
    const file = `${DIR}${g.name}.parquet`
    const json = `${DIR}${g.name}.json`
    if (REGEN) {
      fs.mkdirSync(DIR, { recursive: true })
      fs.writeFileSync(file, out.bytes)
      fs.writeFileSync(json, JSON.stringify(expected, null, 2) + '\n')
    }
    const golden = new Uint8Array(fs.readFileSync(file))
    const same = golden.length === out.bytes.length && golden.every((b, i) => b === out.bytes[i])
    assert.ok(same, `${g.name}.parquet differs from a fresh write (${golden.length} vs ${out.bytes.length} bytes): the data file format changed. ` +
      'If that is intended, bump the section version when old readers cannot read the new bytes, update docs/format.md, ' +
      'and regenerate with AILAKE_REGEN_FIXTURES=1 node --test <build>/test/format/data-file-golden.test.js')
    // The checked-in bytes must also decode to the checked-in contents (catches reader changes).
    const r2 = await openDataFile(bytesSource(golden))
    const s2 = await r2.readSection()
    assert.deepEqual(jsonable({
      rowCount: r2.rowCount, schema: r2.schema, facts: s2.facts, indexBytes: s2.indexBytes, columnStats: out.columnStats, rows: await r2.readRows(),
    }), JSON.parse(fs.readFileSync(json, 'utf8')))
    await verifyDataFile(bytesSource(golden))
  })
}
