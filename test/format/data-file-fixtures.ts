/** Shared builders for the data-file tests (not a test file itself). */
import type { Schema } from '../../src/format/schema.js'
import type { WriteDataFileInput } from '../../src/format/data-file.js'
import type { Metric, Precision } from '../../src/vector/types.js'
import { seededRandom } from '../../src/util/rng.js'

export const rng = seededRandom

export function vectorType(precision: Precision, dim: number): Schema['fields'][number]['type'] {
  if (precision === 'f32') return { type: 'list', element: 'float', elementRequired: true, elementId: 100 }
  return { type: 'fixed', length: precision === 'f16' ? 2 * dim : dim + 8 }
}

/** A schema with every scalar type (camelCase names, optional and required) plus the vector. */
export function fullSchema(precision: Precision, dim: number): Schema {
  return {
    schemaId: 3,
    fields: [
      { id: 1, name: 'docId', type: 'long', required: true },
      { id: 2, name: 'title', type: 'string', required: false },
      { id: 3, name: 'score', type: 'double', required: false },
      { id: 4, name: 'rank', type: 'int', required: false },
      { id: 5, name: 'ratio', type: 'float', required: false },
      { id: 6, name: 'isLive', type: 'boolean', required: false },
      { id: 7, name: 'blob', type: 'binary', required: false },
      { id: 8, name: 'day', type: 'date', required: false },
      { id: 9, name: 'createdAt', type: 'timestamptz', required: false },
      { id: 10, name: 'localTs', type: 'timestamp', required: false },
      { id: 11, name: 'embedding', type: vectorType(precision, dim), required: true },
    ],
  }
}

export function makeInput(opts: { rows: number; dim: number; precision?: Precision; metric?: Metric; seed?: number; index?: number; rowGroupRows?: number }): WriteDataFileInput {
  const precision = opts.precision ?? 'f32'
  const r = rng(opts.seed ?? 1)
  const n = opts.rows
  const nul = (i: number): boolean => i % 7 === 3
  const columns = new Map<number, unknown[]>([
    [1, Array.from({ length: n }, (_, i) => BigInt(i) * 1000n - 5n)],
    [2, Array.from({ length: n }, (_, i) => (nul(i) ? null : `title ${i} ✓ ${Math.floor(r() * 1000)}`))],
    [3, Array.from({ length: n }, (_, i) => (nul(i) ? null : (r() - 0.5) * 1e6))],
    [4, Array.from({ length: n }, (_, i) => (nul(i) ? null : Math.floor((r() - 0.5) * 2 ** 31)))],
    [5, Array.from({ length: n }, (_, i) => (nul(i) ? null : Math.fround(r())))],
    [6, Array.from({ length: n }, (_, i) => (nul(i) ? null : r() < 0.5))],
    [7, Array.from({ length: n }, (_, i) => (nul(i) ? null : Uint8Array.from({ length: i % 5 }, () => Math.floor(r() * 256))))],
    [8, Array.from({ length: n }, (_, i) => (nul(i) ? null : new Date(Date.UTC(2020, 0, 1 + i))))],
    [9, Array.from({ length: n }, (_, i) => (nul(i) ? null : new Date(Date.UTC(2024, 5, 1, 12, 0, i, i % 1000))))],
    [10, Array.from({ length: n }, (_, i) => (nul(i) ? null : new Date(Date.UTC(2023, 1, 2, 3, 4, 5, i % 1000))))],
  ])
  const vectors = new Float32Array(n * opts.dim)
  for (let i = 0; i < vectors.length; i++) vectors[i] = (r() - 0.5) * 4
  const input: WriteDataFileInput = {
    schema: fullSchema(precision, opts.dim),
    columns,
    vector: { fieldId: 11, column: 'embedding', dim: opts.dim, metric: opts.metric ?? 'cosine', precision, vectors },
  }
  if (opts.index !== undefined) input.index = { type: 'hnsw', bytes: Uint8Array.from({ length: opts.index }, () => Math.floor(r() * 256)) }
  if (opts.rowGroupRows !== undefined) input.rowGroupRows = opts.rowGroupRows
  return input
}
