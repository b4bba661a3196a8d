/**
 * The manifest-list partition summaries of a manifest (`partitions`, one `field_summary` per
 * partition field): readers skip a whole manifest when a filter's projection onto the partition
 * values falls outside [lower, upper] and, for IS NULL, when no value is null.
 */
import { compareUtf8 } from '../../util/utf8-order.js'
import { decimalOf, type FieldType, type Schema } from '../schema.js'
import { MAX_DECIMAL_PRECISION, toUnscaled } from '../../util/decimal.js'
import { encodeBound } from './bounds.js'
import { partitionFields } from './manifest-schema.js'
import type { DataFile, FieldSummary, PartitionSpec } from './types.js'

/** Orders two non-null partition values of one type (the order bounds use: UTF-8 bytes for strings). */
export function comparePartitionValues(a: unknown, b: unknown, type?: FieldType): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime()
  // Decimal strings order by value, not by their text.
  const d = type === undefined ? undefined : decimalOf(type)
  if (d !== undefined) {
    const x = toUnscaled(a, 2 * MAX_DECIMAL_PRECISION, d.scale, 'decimal partition value')
    const y = toUnscaled(b, 2 * MAX_DECIMAL_PRECISION, d.scale, 'decimal partition value')
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (typeof a === 'string' && typeof b === 'string') return compareUtf8(a, b)
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
    return a.length - b.length
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b)
  const x = a as number | bigint
  const y = b as number | bigint
  return x < y ? -1 : x > y ? 1 : 0
}

/**
 * The summaries of the partition tuples of `files` (all of spec `spec`, typed through `schema`),
 * or undefined for an unpartitioned spec. Every entry counts, DELETED ones too, as Iceberg's
 * writers do: a summary may be wider than the live files, never narrower.
 */
export function partitionSummaries(schema: Schema, spec: PartitionSpec, files: readonly DataFile[]): FieldSummary[] | undefined {
  if (spec.fields.length === 0) return undefined
  return partitionFields(schema, spec).map((pf) => {
    let containsNull = false
    let containsNan = false
    let lo: unknown
    let hi: unknown
    for (const f of files) {
      const v = f.partition[pf.name]
      if (v === null || v === undefined) { containsNull = true; continue }
      if (typeof v === 'number' && Number.isNaN(v)) { containsNan = true; continue }
      if (lo === undefined || comparePartitionValues(v, lo, pf.type) < 0) lo = v
      if (hi === undefined || comparePartitionValues(v, hi, pf.type) > 0) hi = v
    }
    const out: FieldSummary = { containsNull }
    if (isFloat(pf.type)) out.containsNan = containsNan
    const lower = typeof pf.type === 'string' && lo !== undefined ? encodeBound(pf.type, lo) : undefined
    const upper = typeof pf.type === 'string' && hi !== undefined ? encodeBound(pf.type, hi) : undefined
    if (lower !== undefined) out.lowerBound = lower
    if (upper !== undefined) out.upperBound = upper
    return out
  })
}

function isFloat(t: FieldType): boolean {
  return t === 'float' || t === 'double'
}
