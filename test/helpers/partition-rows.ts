/** Rows and schema shared by the partitioned-table tests. */
import { rng } from './tmpdir.js'
import type { PrimitiveType } from '../../src/format/schema.js'

export const DIM = 8
export const TENANTS = 5
export const SCHEMA = { id: 'long', tenant: 'string', ts: 'timestamp', d: 'date', n: 'int', name: 'string' } as const
export const TYPES: Record<string, PrimitiveType> = SCHEMA
export const SPECS: string[][] = [
  ['tenant', 'bucket(4, id)'],
  ['month(ts)', 'truncate(10, n)'],
  ['year(d)', 'day(ts)', 'truncate(2, name)'],
  ['hour(ts)', 'bucket(3, name)', 'd'],
]

export type Row = { id: bigint; tenant: string; ts: Date; d: Date; n: number; name: string; embedding: Float32Array }

export function makeRows(seed: number, start: number, count: number): Row[] {
  const r = rng(seed)
  const names = ['ann', 'bob', 'ça', 'dé', 'eve', '中文', '😀x']
  return Array.from({ length: count }, (_, j) => {
    const embedding = new Float32Array(DIM)
    const centre = Math.floor(r() * 4)
    for (let k = 0; k < DIM; k++) embedding[k] = (k % 4 === centre ? 3 : 0) + r() - 0.5
    return {
      id: BigInt(start + j),
      tenant: `t${Math.floor(r() * TENANTS)}`,
      ts: new Date(Date.UTC(2023, 10, 1) + Math.floor(r() * 40 * 86_400_000)),
      d: new Date(Date.UTC(1968 + Math.floor(r() * 4), 0, 1) + Math.floor(r() * 365) * 86_400_000),
      n: Math.floor(r() * 200) - 100,
      name: names[Math.floor(r() * names.length)] as string,
      embedding,
    }
  })
}

