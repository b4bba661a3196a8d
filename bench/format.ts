/**
 * Data-file write and decode throughput (`npm run bench:format`; while developing:
 * `node .build-<you>/bench/format.js`). Compares ailake's writer with writing the same rows
 * through plain hyparquet-writer (vector column as LIST<FLOAT> via its generic API, and as
 * FIXED_LEN_BYTE_ARRAY), in the same run. Uses the prepared GloVe set (100k rows of
 * `.cache/bench/glove-100`) when present, else seeded synthetic 100-d data; 768-d is synthetic.
 */
import { parquetWriteBuffer } from 'hyparquet-writer'
import { parquetReadObjects } from 'hyparquet'
import { openDataFile, writeDataFile, type WriteDataFileInput } from '../src/format/data-file.js'
import type { Schema } from '../src/format/schema.js'
import { bytesSource } from '../src/util/byte-source.js'
import type { Precision } from '../src/vector/types.js'
import { readCached, seededRandom } from './datasets/cache.js'

const INDEX_BYTES = 8 * 1024 * 1024 // a fixed-size fake index payload

function synthetic(count: number, dim: number, seed: number): Float32Array {
  const r = seededRandom(seed)
  const centers = Array.from({ length: 32 }, () => Float32Array.from({ length: dim }, () => r() * 2 - 1))
  const out = new Float32Array(count * dim)
  for (let i = 0; i < count; i++) {
    const c = centers[i % 32]!
    for (let j = 0; j < dim; j++) out[i * dim + j] = c[j]! + (r() - 0.5) * 0.4
  }
  return out
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function time(fn: () => unknown, reps: number): number {
  const ms: number[] = []
  for (let i = 0; i < reps; i++) {
    const t = performance.now()
    fn()
    ms.push(performance.now() - t)
  }
  return median(ms)
}

async function timeAsync(fn: () => Promise<unknown>, reps: number): Promise<number> {
  const ms: number[] = []
  for (let i = 0; i < reps; i++) {
    const t = performance.now()
    await fn()
    ms.push(performance.now() - t)
  }
  return median(ms)
}

function input(vectors: Float32Array, dim: number, precision: Precision, withIndex: boolean): WriteDataFileInput {
  const n = vectors.length / dim
  const schema: Schema = {
    schemaId: 0, fields: [
      { id: 1, name: 'id', type: 'long', required: true },
      { id: 2, name: 'text', type: 'string', required: false },
      { id: 3, name: 'embedding', required: true, type: precision === 'f32' ? { type: 'list', element: 'float', elementRequired: true, elementId: 4 } : { type: 'fixed', length: precision === 'f16' ? 2 * dim : dim + 8 } },
    ],
  }
  const inp: WriteDataFileInput = {
    schema,
    columns: new Map<number, unknown[]>([[1, Array.from({ length: n }, (_, i) => BigInt(i))], [2, Array.from({ length: n }, (_, i) => `row ${i}`)]]),
    vector: { fieldId: 3, column: 'embedding', dim, metric: 'cosine', precision, vectors },
  }
  if (withIndex) inp.index = { type: 'hnsw', bytes: new Uint8Array(INDEX_BYTES).fill(7) }
  return inp
}

function row(cells: (string | number)[]): string {
  return `| ${cells.map((c) => (typeof c === 'number' ? (c >= 100 ? c.toFixed(0) : c.toFixed(1)) : c)).join(' | ')} |`
}

async function benchSet(name: string, vectors: Float32Array, dim: number): Promise<void> {
  const n = vectors.length / dim
  const mb = vectors.byteLength / 1e6
  console.log(`\n### ${name}: ${n} rows × ${dim}-d (${mb.toFixed(1)} MB of f32 vector data)\n`)
  console.log('| writer | ms | MB/s (vector data) | rows/s | file bytes / row |')
  console.log('|---|---|---|---|---|')
  for (const precision of ['f32', 'f16'] as const) {
    for (const withIndex of [false, true]) {
      const inp = input(vectors, dim, precision, withIndex)
      let size = 0
      const ms = time(() => { size = writeDataFile(inp).fileSize }, 3)
      console.log(row([`ailake ${precision}${withIndex ? ' + 8 MiB index' : ''}`, ms, mb / (ms / 1000), n / (ms / 1000), (size - (withIndex ? INDEX_BYTES : 0)) / n]))
    }
  }
  for (const precision of ['f32', 'f16'] as const) {
    const inp = input(vectors, dim, precision, false)
    inp.schema = { schemaId: 0, fields: inp.schema.fields.filter((f) => f.id === 3) }
    inp.columns = new Map()
    const ms = time(() => writeDataFile(inp), 3)
    console.log(row([`ailake ${precision}, vector column only`, ms, mb / (ms / 1000), n / (ms / 1000), '']))
  }
  const ids = Array.from({ length: n }, (_, i) => BigInt(i))
  const texts = Array.from({ length: n }, (_, i) => `row ${i}`)
  const flba = Array.from({ length: n }, (_, i) => new Uint8Array(vectors.buffer, vectors.byteOffset + i * dim * 4, dim * 4))
  let size = 0
  const msFlba = time(() => {
    size = parquetWriteBuffer({
      columnData: [{ name: 'id', data: ids }, { name: 'text', data: texts },
        { name: 'embedding', data: flba, codec: 'UNCOMPRESSED', encoding: 'PLAIN', statistics: false }],
      schema: [{ name: 'root', num_children: 3 }, { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
        { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'embedding', type: 'FIXED_LEN_BYTE_ARRAY', type_length: dim * 4, repetition_type: 'REQUIRED' }],
    }).byteLength
  }, 3)
  console.log(row(['hyparquet-writer FLBA f32 (peer)', msFlba, mb / (msFlba / 1000), n / (msFlba / 1000), size / n]))
  let listFile = new ArrayBuffer(0)
  const msList = time(() => {
    const lists = Array.from({ length: n }, (_, i) => Array.from(vectors.subarray(i * dim, (i + 1) * dim)))
    listFile = parquetWriteBuffer({
      columnData: [{ name: 'id', data: ids }, { name: 'text', data: texts },
        { name: 'embedding', data: lists, codec: 'UNCOMPRESSED', statistics: false }],
      schema: [{ name: 'root', num_children: 3 }, { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
        { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'embedding', repetition_type: 'REQUIRED', num_children: 1, converted_type: 'LIST' },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' }],
    })
  }, 1)
  console.log(row(['hyparquet-writer LIST<FLOAT> (peer, 1 run)', msList, mb / (msList / 1000), n / (msList / 1000), listFile.byteLength / n]))

  console.log('\n| decode whole vector column | ms | MB/s (decoded f32) |\n|---|---|---|')
  for (const precision of ['f32', 'f16', 'i8'] as const) {
    const out = writeDataFile(input(vectors, dim, precision, false))
    const reader = await openDataFile(bytesSource(out.bytes))
    await reader.readVectors()
    const ms = await timeAsync(() => reader.readVectors(), 5)
    const vecBytes = out.columnStats.find((c) => c.fieldId === 3)!.sizeBytes
    console.log(row([`ailake readVectors ${precision} (${(vecBytes / n).toFixed(1)} column bytes/vector, ${(out.fileSize / n).toFixed(1)} file bytes/row)`, ms, mb / (ms / 1000)]))
  }
  const msHy = await timeAsync(() => parquetReadObjects({ file: listFile, columns: ['embedding'] }), 1)
  console.log(row(['hyparquet parquetReadObjects LIST<FLOAT> (peer, 1 run)', msHy, mb / (msHy / 1000)]))
}

async function main(): Promise<void> {
  const glove = readCached('glove-100')
  const n100 = 100_000
  const v100 = glove !== null ? glove.base.slice(0, n100 * 100) : synthetic(n100, 100, 1)
  console.log(`Node ${process.version}; ${glove !== null ? 'GloVe 100-d (first 100k of .cache/bench/glove-100)' : 'synthetic 100-d (run bench:prepare for GloVe)'}`)
  await benchSet(glove !== null ? 'GloVe 100-d' : 'synthetic 100-d', v100, 100)
  await benchSet('synthetic 768-d', synthetic(20_000, 768, 2), 768)
}

await main()
