import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { parquetReadObjects } from 'hyparquet'
import { ByteWriter } from 'hyparquet-writer'
import { openDataFile, verifyDataFile, writeDataFile, type WriteDataFileInput } from '../../src/format/data-file.js'
import { locateByTrailer } from '../../src/format/parquet/section-read.js'
import { readFooter } from '../../src/format/parquet/footer.js'
import { bytesSource, type ByteSource } from '../../src/util/byte-source.js'
import { isAilakeError } from '../../src/errors.js'
import { i8ErrorBound } from '../../src/vector/i8.js'
import { makeInput, vectorType } from './data-file-fixtures.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ailake-datafile-'))
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }))

function counting(bytes: Uint8Array, requestCostBytes?: number): ByteSource & { reads: number; bytesRead: number } {
  const inner = bytesSource(bytes)
  const s = {
    size: inner.size, reads: 0, bytesRead: 0, ...(requestCostBytes === undefined ? {} : { requestCostBytes }),
    read(offset: number, length: number) {
      s.reads++
      s.bytesRead += length
      return inner.read(offset, length)
    },
  }
  return s
}

/** The input rows in the JS shape readers return (bigint longs, Date, Uint8Array, vector as number[]). */
function expectedRow(input: WriteDataFileInput, i: number): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  for (const f of input.schema.fields) {
    if (f.id === input.vector.fieldId) continue
    row[f.name] = input.columns.get(f.id)?.[i] ?? null
  }
  return row
}

const CASES = [
  { name: '1 row', rows: 1, dim: 3 },
  { name: 'many rows, several row groups', rows: 2500, dim: 16, rowGroupRows: 1000 },
  { name: 'dim 1', rows: 40, dim: 1, rowGroupRows: 15 },
]

async function duck(): Promise<{ all: (sql: string) => Promise<Record<string, unknown>[]> }> {
  const inst = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' })
  const c = await inst.connect()
  return { all: async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[] }
}

test('DuckDB and hyparquet read every file with identical rows; DuckDB sees FLOAT[] equal to the input', async () => {
  const db = await duck()
  for (const c of CASES) {
    const input = makeInput({ rows: c.rows, dim: c.dim, index: 64, ...(c.rowGroupRows ? { rowGroupRows: c.rowGroupRows } : {}) })
    const out = writeDataFile(input)
    const file = path.join(tmp, `f32-${c.rows}.parquet`)
    fs.writeFileSync(file, out.bytes)
    const hy = await parquetReadObjects({ file: out.bytes.slice().buffer, utf8: false })
    const dk = await db.all(`select * from read_parquet('${file}')`)
    assert.equal(hy.length, c.rows, c.name)
    assert.equal(dk.length, c.rows, c.name)
    for (let i = 0; i < c.rows; i++) {
      const want = expectedRow(input, i)
      const vec = Array.from(input.vector.vectors.subarray(i * c.dim, (i + 1) * c.dim))
      const h = hy[i]!
      const d = dk[i]!
      for (const [k, v] of Object.entries(want)) {
        assert.deepEqual(h[k], v, `${c.name} hyparquet row ${i} column ${k}`)
        const dv = d[k] instanceof Buffer ? new Uint8Array(d[k] as Buffer) : d[k]
        assert.deepEqual(dv, v, `${c.name} duckdb row ${i} column ${k}`)
      }
      assert.deepEqual(h.embedding, vec)
      assert.deepEqual(d.embedding, vec)
    }
    const [t] = await db.all(`select typeof(embedding) t from read_parquet('${file}') limit 1`)
    assert.equal(t!.t, 'FLOAT[]')
    const dist = await db.all(`select array_cosine_distance(embedding::FLOAT[${c.dim}], embedding::FLOAT[${c.dim}]) d from read_parquet('${file}')`)
    for (const r of dist) assert.ok(Math.abs(r.d as number) < 1e-5)
    const ids = await db.all(`select name, field_id from parquet_schema('${file}') where field_id is not null order by field_id`)
    assert.deepEqual(ids.map((r) => [r.name, Number(r.field_id)]).slice(0, 2), [['docId', 1], ['title', 2]])
    const kv = await db.all(`select decode(key) k from parquet_kv_metadata('${file}')`)
    assert.ok(kv.some((r) => r.k === 'ailake.sections'))
    await verifyDataFile(bytesSource(out.bytes))
  }
})

test('own reader: rows, schema, vectors, selected rows and columns', async () => {
  const input = makeInput({ rows: 3000, dim: 24, index: 100, rowGroupRows: 1100 })
  const out = writeDataFile(input)
  const r = await openDataFile(bytesSource(out.bytes))
  assert.equal(r.rowCount, 3000)
  assert.deepEqual(r.schema, input.schema)
  assert.deepEqual(await r.readVectors(), input.vector.vectors)
  const pick = [2999, 0, 1100, 1099, 5, 5]
  const at = await r.readVectorsAt(pick)
  pick.forEach((row, k) => assert.deepEqual(at.subarray(k * 24, (k + 1) * 24), input.vector.vectors.subarray(row * 24, (row + 1) * 24)))
  const rows = await r.readRows({ rows: pick, columns: ['title', 'docId', 'embedding', 'blob'] })
  pick.forEach((row, k) => {
    const want = expectedRow(input, row)
    assert.deepEqual(Object.keys(rows[k]!), ['title', 'docId', 'embedding', 'blob'])
    assert.equal(rows[k]!.title, want.title)
    assert.equal(rows[k]!.docId, want.docId)
    assert.deepEqual(rows[k]!.blob, want.blob)
    assert.deepEqual(rows[k]!.embedding, input.vector.vectors.slice(row * 24, (row + 1) * 24))
  })
  const all = await r.readRows({ columns: ['day'] })
  assert.equal(all.length, 3000)
  await assert.rejects(r.readRows({ columns: ['nope'] }), (e) => isAilakeError(e, 'NOT_FOUND'))
  await assert.rejects(r.readVectorsAt([3000]), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
})

test('fetching 10 rows reads pages, not whole column chunks', async () => {
  const input = makeInput({ rows: 20000, dim: 64, seed: 5 })
  const out = writeDataFile(input)
  const src = counting(out.bytes)
  const r = await openDataFile(src)
  const before = src.bytesRead
  const rows = Array.from({ length: 10 }, (_, i) => i * 1999)
  const v = await r.readVectorsAt(rows)
  rows.forEach((row, k) => assert.deepEqual(v.subarray(k * 64, (k + 1) * 64), input.vector.vectors.subarray(row * 64, (row + 1) * 64)))
  const vectorBytes = 20000 * 64 * 4
  assert.ok(src.bytesRead - before < vectorBytes / 5, `read ${src.bytesRead - before} bytes for 10 vectors of a ${vectorBytes}-byte column`)
  const before2 = src.bytesRead
  await r.readRows({ rows, columns: ['docId', 'title'] })
  assert.ok(src.bytesRead - before2 < out.fileSize / 4, `readRows read ${src.bytesRead - before2} of ${out.fileSize} bytes`)
})

test('pages closer together than the source\'s requestCostBytes are read in one request, the same vectors either way', async () => {
  const input = makeInput({ rows: 20000, dim: 64, seed: 9 })
  const out = writeDataFile(input)
  const rows = Array.from({ length: 40 }, (_, i) => i * 487 + (i % 7))
  const reads: Record<string, { reads: number; bytes: number }> = {}
  for (const [name, cost] of [['disk', undefined], ['none', 0], ['object store', 1 << 20]] as const) {
    const src = counting(out.bytes, cost)
    const r = await openDataFile(src)
    const before = { reads: src.reads, bytes: src.bytesRead }
    const v = await r.readVectorsAt(rows)
    rows.forEach((row, k) => assert.deepEqual(v.subarray(k * 64, (k + 1) * 64), input.vector.vectors.subarray(row * 64, (row + 1) * 64), `${name}: row ${row}`))
    reads[name] = { reads: src.reads - before.reads, bytes: src.bytesRead - before.bytes }
  }
  const { disk, none, object } = { disk: reads.disk!, none: reads.none!, object: reads['object store']! }
  assert.ok(none.reads >= disk.reads && disk.reads > object.reads, `requests: no merging ${none.reads}, 16 KiB ${disk.reads}, 1 MiB ${object.reads}`)
  assert.ok(object.reads <= 5, `1 MiB merging reads the ~5 MB column's 40 scattered pages in ${object.reads} requests`)
  assert.ok(object.bytes > disk.bytes, 'merging reads the bytes between the pages too')
})

test('f16 and i8 round trip within the documented error and are FLBA in DuckDB', async () => {
  const db = await duck()
  for (const precision of ['f16', 'i8'] as const) {
    const input = makeInput({ rows: 500, dim: 32, precision, rowGroupRows: 200, index: 10 })
    const out = writeDataFile(input)
    const r = await openDataFile(bytesSource(out.bytes))
    const got = await r.readVectors()
    const src = input.vector.vectors
    for (let v = 0; v < 500; v++) {
      const row = src.subarray(v * 32, (v + 1) * 32)
      const bound = precision === 'f16' ? 0 : i8ErrorBound(Math.min(...row), Math.max(...row))
      for (let j = 0; j < 32; j++) {
        const x = row[j] as number
        const err = Math.abs((got[v * 32 + j] as number) - x)
        const lim = precision === 'f16' ? Math.max(Math.abs(x) * 2 ** -11, 2 ** -25) : bound
        assert.ok(err <= lim, `${precision} row ${v}[${j}]: error ${err} > ${lim}`)
      }
    }
    assert.deepEqual(await r.readVectorsAt([499, 3]), Float32Array.from([...got.subarray(499 * 32), ...got.subarray(3 * 32, 4 * 32)]))
    const file = path.join(tmp, `${precision}.parquet`)
    fs.writeFileSync(file, out.bytes)
    const [row] = await db.all(`select typeof(embedding) t, octet_length(embedding) n, count(*) over () c from read_parquet('${file}') limit 1`)
    assert.deepEqual([row!.t, row!.n, row!.c], ['BLOB', BigInt(precision === 'f16' ? 64 : 40), 500n])
    await verifyDataFile(bytesSource(out.bytes))
  }
})

test('the DuckDB SQL in docs/format.md decodes f16 vectors', async () => {
  const db = await duck()
  const input = makeInput({ rows: 5, dim: 4, precision: 'f16' })
  const out = writeDataFile(input)
  const file = path.join(tmp, 'f16-sql.parquet')
  fs.writeFileSync(file, out.bytes)
  const r = await openDataFile(bytesSource(out.bytes))
  const want = await r.readVectors()
  const decoded = await db.all(`
    with raw as (select row_number() over () - 1 as rn, hex(embedding) as x from read_parquet('${file}')),
    halves as (
      select rn, i, ('0x' || substr(x, 4 * i + 3, 2) || substr(x, 4 * i + 1, 2))::INTEGER as h
      from raw, range(0, 4) t(i)
    )
    select rn, i,
      (case when h >= 32768 then -1 else 1 end) *
      (case when ((h >> 10) & 31) = 0 then ((h & 1023) / 1024.0) * pow(2, -14)
            else (1 + (h & 1023) / 1024.0) * pow(2, ((h >> 10) & 31) - 15) end) as v
    from halves order by rn, i`)
  assert.equal(decoded.length, 20)
  decoded.forEach((d, k) => assert.equal(Math.fround(d.v as number), want[k], `element ${k}`))
})

test('section: via footer KV, via given offsets in one read, via the trailer; facts match', async () => {
  const input = makeInput({ rows: 100, dim: 8, index: 333, metric: 'euclidean' })
  const out = writeDataFile(input)
  const r1 = await openDataFile(bytesSource(out.bytes))
  const s1 = await r1.readSection()
  assert.deepEqual(s1.facts, out.vector)
  assert.deepEqual(s1.indexBytes, input.index!.bytes)
  const src = counting(out.bytes)
  const r2 = await openDataFile(src, { section: { offset: out.vector.sectionOffset, length: out.vector.sectionLength } })
  const reads = src.reads
  assert.deepEqual((await r2.readSection()).facts, out.vector)
  assert.equal(src.reads - reads, 1)
  const footer = await readFooter(bytesSource(out.bytes))
  assert.deepEqual(await locateByTrailer(bytesSource(out.bytes), footer.footerStart), { offset: out.vector.sectionOffset, length: out.vector.sectionLength })
  const noIndex = writeDataFile(makeInput({ rows: 10, dim: 8 }))
  const s3 = await (await openDataFile(bytesSource(noIndex.bytes))).readSection()
  assert.equal(s3.facts.indexType, 'none')
  assert.equal(s3.indexBytes, undefined)
})

test('verifyDataFile checks the index node count', async () => {
  const out = writeDataFile(makeInput({ rows: 50, dim: 4, index: 20 }))
  await verifyDataFile(bytesSource(out.bytes), { indexNodeCount: () => 50 })
  await assert.rejects(verifyDataFile(bytesSource(out.bytes), { indexNodeCount: () => 49 }), (e) => isAilakeError(e, 'CORRUPT_DATA') && /49 nodes/.test((e as Error).message))
})

test('bad input is rejected with a clear error', () => {
  const base = makeInput({ rows: 5, dim: 4 })
  const nullRequired = { ...base, columns: new Map(base.columns).set(1, [1n, null, 3n, 4n, 5n]) }
  assert.throws(() => writeDataFile(nullRequired), (e) => isAilakeError(e, 'SCHEMA_MISMATCH') && /docId/.test((e as Error).message))
  const wrongType = { ...base, columns: new Map(base.columns).set(4, ['x', 1, 2, 3, 4]) }
  assert.throws(() => writeDataFile(wrongType), (e) => isAilakeError(e, 'SCHEMA_MISMATCH') && /rank/.test((e as Error).message))
  const short = { ...base, columns: new Map(base.columns).set(2, ['a']) }
  assert.throws(() => writeDataFile(short), (e) => isAilakeError(e, 'SCHEMA_MISMATCH'))
  const f16 = makeInput({ rows: 2, dim: 2, precision: 'f16' })
  f16.vector.vectors[3] = 1e6
  assert.throws(() => writeDataFile(f16), (e) => isAilakeError(e, 'INVALID_ARGUMENT') && /f16/.test((e as Error).message))
  const wrongVecType = makeInput({ rows: 2, dim: 2, precision: 'f16' })
  wrongVecType.vector.precision = 'i8'
  assert.throws(() => writeDataFile(wrongVecType), (e) => isAilakeError(e, 'SCHEMA_MISMATCH'))
  const empty = makeInput({ rows: 0, dim: 2 })
  assert.throws(() => writeDataFile(empty), (e) => isAilakeError(e, 'INVALID_ARGUMENT'))
})

test('scalar column statistics follow Parquet rules, so DuckDB filters over them return the right rows', async () => {
  const db = await duck()
  // Code point order differs from UTF-16 order: U+1F600 (a surrogate pair) sorts after U+FFFD.
  const titles = ['b', '\u{fffd}', 'a\u{1f600}', '\u{1f600}', null, 'ä', '']
  const scores = [1.5, Number.NaN, -0, 0, null, -7.25, 1e300]
  const ranks = [3, -2147483648, 2147483647, null, 0, 5, 7]
  const n = titles.length
  const dim = 2
  const input: WriteDataFileInput = {
    schema: { schemaId: 0, fields: [
      { id: 1, name: 'title', type: 'string', required: false },
      { id: 2, name: 'score', type: 'double', required: false },
      { id: 3, name: 'rank', type: 'int', required: false },
      { id: 4, name: 'big', type: 'long', required: false },
      { id: 5, name: 'embedding', type: vectorType('f32', dim), required: true },
    ] },
    columns: new Map<number, unknown[]>([[1, titles], [2, scores], [3, ranks], [4, ranks.map((r) => (r === null ? null : BigInt(r) * 3n))]]),
    vector: { fieldId: 5, column: 'embedding', dim, metric: 'euclidean', precision: 'f32', vectors: Float32Array.from({ length: n * dim }, (_, i) => i) },
  }
  const out = writeDataFile(input)
  const file = path.join(tmp, 'stats.parquet')
  fs.writeFileSync(file, out.bytes)
  const stats = await db.all(`select path_in_schema p, stats_min_value mn, stats_max_value mx, stats_null_count nc from parquet_metadata('${file}') order by column_id`)
  const by = new Map(stats.map((s) => [String(s.p), s]))
  assert.equal(by.get('title')?.mx, '\u{1f600}')
  assert.equal(by.get('title')?.mn, '')
  assert.equal(Number(by.get('title')?.nc), 1)
  assert.equal(Number(by.get('score')?.mn), -7.25)
  assert.equal(Number(by.get('score')?.mx), 1e300)
  assert.equal(Number(by.get('rank')?.mn), -2147483648)
  assert.equal(Number(by.get('big')?.mx), 2147483647 * 3)
  // Filters that row-group statistics could wrongly prune if min/max were wrong.
  const hi = await db.all(`select title from read_parquet('${file}') where title > '\u{fffd}' order by title`)
  assert.deepEqual(hi.map((r) => r.title), ['\u{1f600}'])
  const neg = await db.all(`select count(*)::INTEGER c from read_parquet('${file}') where score < 0`)
  assert.equal(neg[0]?.c, 1)
  const all = await db.all(`select title, score, rank, big from read_parquet('${file}')`)
  assert.equal(all.length, n)
  assert.deepEqual(all.map((r) => r.title), titles)
  assert.ok(Number.isNaN(all[1]?.score as number))
  assert.deepEqual(all.map((r) => (r.big === null ? null : BigInt(r.big as bigint))), ranks.map((r) => (r === null ? null : BigInt(r) * 3n)))
})

/** A source that records every byte range read. */
function recording(bytes: Uint8Array): ByteSource & { ranges: Array<[number, number]> } {
  const inner = bytesSource(bytes)
  const s = {
    size: inner.size, ranges: [] as Array<[number, number]>,
    read(offset: number, length: number) {
      s.ranges.push([offset, offset + length])
      return inner.read(offset, length)
    },
  }
  return s
}

test('reading scalar columns and vectors reads at most the first 64 KiB of the index bytes, unchecked; a damaged index fails only the reads that use it', async () => {
  // Deletes, updates and filters read scalar columns of every file: with the index read too they
  // read (and checksum) the whole HNSW graph of each file, most of its bytes. The section's head
  // is read with one 64 KiB read from the section's start (one request on object stores).
  const indexLength = 300_000
  const input = makeInput({ rows: 3000, dim: 16, index: indexLength, rowGroupRows: 1000, seed: 9 })
  const out = writeDataFile(input)
  const sectionEnd = out.vector.sectionOffset + out.vector.sectionLength
  // docs/format.md: the index bytes are the last part of the section.
  const indexStart = sectionEnd - indexLength
  const oracle = (await parquetReadObjects({ file: out.bytes.slice().buffer, columns: ['docId', 'title'] })) as Array<Record<string, unknown>>
  const damaged = out.bytes.slice()
  damaged[indexStart + 12345] = (damaged[indexStart + 12345] as number) ^ 0x10
  const at = { offset: out.vector.sectionOffset, length: out.vector.sectionLength }
  for (const [name, bytes] of [['intact', out.bytes], ['index damaged', damaged]] as const) {
    for (const options of [{}, { section: at }]) {
      const reads: Array<[string, (r: Awaited<ReturnType<typeof openDataFile>>) => Promise<void>]> = [
        ['readRows of scalar columns', async (r) => assert.deepEqual(await r.readRows({ columns: ['docId', 'title'] }), oracle)],
        ['readRows of some rows', async (r) => assert.deepEqual(await r.readRows({ rows: [2999, 0, 1500], columns: ['docId'] }), [2999, 0, 1500].map((i) => ({ docId: oracle[i]?.docId })))],
        ['readVectors', async (r) => assert.deepEqual(await r.readVectors(), input.vector.vectors)],
      ]
      for (const [what, read] of reads) {
        const src = recording(bytes)
        const r = await openDataFile(src, options)
        src.ranges.length = 0 // the footer's tail read at open may reach into the section; it is not what is tested
        await read(r)
        const overlap = src.ranges.reduce((n, [a, b]) => n + Math.max(0, Math.min(b, sectionEnd) - Math.max(a, indexStart)), 0)
        assert.ok(overlap <= 64 * 1024, `${name}, ${JSON.stringify(options)}, ${what}: read ${overlap} of the ${indexLength} index bytes [${indexStart}, ${sectionEnd}) (${JSON.stringify(src.ranges)})`)
      }
      const r = await openDataFile(bytesSource(bytes), options)
      await r.readRows({ columns: ['docId'] })
      if (name === 'intact') assert.deepEqual((await r.readSection()).indexBytes, input.index?.bytes)
      else await assert.rejects(r.readSection(), (e) => isAilakeError(e, 'CORRUPT_DATA'))
    }
  }
  await assert.rejects(verifyDataFile(bytesSource(damaged)), (e) => isAilakeError(e, 'CORRUPT_DATA'))
})

test('files other engines compress (ZSTD, GZIP, SNAPPY, LZ4_RAW, BROTLI from DuckDB) read with the same rows and vectors DuckDB sees', async () => {
  const db = await duck()
  for (const codec of ['zstd', 'gzip', 'snappy', 'uncompressed', 'lz4_raw', 'brotli']) {
    const file = path.join(tmp, `foreign-${codec}.parquet`)
    // Enough rows for several pages, text that compresses, and vectors.
    await db.all(`COPY (SELECT i::BIGINT AS id, repeat('w' || (i % 7)::VARCHAR, 1 + i % 5) AS name, [i * 0.5, -i, i % 3, 1.25]::FLOAT[] AS embedding FROM range(3000) t(i)) TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 1000, FIELD_IDS {id: 1, name: 2, embedding: {__duckdb_field_id: 3, element: 4}})`)
    const expected = await db.all(`SELECT id, name, embedding FROM '${file}' ORDER BY id`)
    const reader = await openDataFile(bytesSource(new Uint8Array(fs.readFileSync(file)), file), { vector: { column: 'embedding', dim: 4, metric: 'euclidean' } })
    const read = async (): Promise<void> => {
      const rows = await reader.readRows({ columns: ['id', 'name'] })
      assert.deepEqual(rows.map((r) => [r.id, r.name]), expected.map((r) => [BigInt(r.id as number), r.name]), codec)
      const vectors = await reader.readVectors()
      assert.deepEqual([...vectors], expected.flatMap((r) => r.embedding as number[]), codec)
    }
    if (codec === 'lz4_raw' || codec === 'brotli') {
      // Not read (no well-kept pure-JS decoder is a dependency): a clear error, never wrong rows.
      await assert.rejects(read(), (e: unknown) => isAilakeError(e, 'UNSUPPORTED') && /LZ4_RAW|BROTLI/.test(e.message), codec)
    } else {
      await read()
    }
  }
})

test('the writer sizes its output once: no regrowth (a copy of the whole file) for wide vectors of any precision', () => {
  const proto = ByteWriter.prototype as unknown as { ensure(size: number): void; buffer: ArrayBuffer }
  const ensure = proto.ensure
  let grows = 0
  proto.ensure = function (this: { buffer: ArrayBuffer }, size: number) {
    const before = this.buffer.byteLength
    ensure.call(this, size)
    // Scratch writers (scalar chunks, the footer) start small and grow; the file's own starts at megabytes.
    if (this.buffer.byteLength !== before && before >= 2 ** 20) grows++
  }
  try {
    // One small scalar column, so the per-row allowance for scalars leaves no slack for the vector pages.
    for (const [dim, rows, precision] of [[1536, 3000, 'f32'], [784, 12000, 'f32'], [768, 6000, 'f16'], [3, 20000, 'i8'], [100, 9000, 'f32']] as const) {
      grows = 0
      const input = makeInput({ rows, dim, precision })
      input.schema = { ...input.schema, fields: input.schema.fields.filter((f) => f.id === 1 || f.name === input.vector.column) }
      input.columns = new Map([[1, input.columns.get(1) as unknown[]]])
      const bytes = writeDataFile(input).bytes
      assert.equal(grows, 0, `${rows} rows of ${dim}-d ${precision} (${bytes.length} bytes): the output buffer grew ${grows} time(s)`)
    }
  } finally {
    proto.ensure = ensure
  }
})
