/**
 * Exact decimals through hyparquet. hyparquet turns DECIMAL values into floats, which round
 * values of more than 15 digits; so decimal columns are handed to it without their logical
 * type, come back as the raw unscaled integers or bytes, and are turned into decimal strings
 * here (util/decimal.ts); times likewise (util/uuid-time.ts).
 */
import type { FileMetaData } from 'hyparquet'
import { corrupt } from '../../errors.js'
import { decimalText, unscaledFromBytes } from '../../util/decimal.js'
import { timeText } from '../../util/uuid-time.js'
import { decimalOf, type Schema } from '../schema.js'

/** The footer with DECIMAL annotations removed (the same object when the file has no decimal column). */
export function withoutDecimalTypes(md: FileMetaData): FileMetaData {
  const isDecimal = (e: FileMetaData['schema'][number]): boolean => e.converted_type === 'DECIMAL' || e.logical_type?.type === 'DECIMAL'
  if (!md.schema.some(isDecimal)) return md
  return {
    ...md,
    schema: md.schema.map((e) => {
      if (!isDecimal(e)) return e
      const { converted_type: _c, logical_type: _l, ...rest } = e
      return rest
    }),
  }
}

/**
 * How each column of `schema` whose raw hyparquet value is not its row value converts, by name:
 * decimals (raw unscaled values) and times (microseconds since midnight, which hyparquet leaves
 * as bigints) become their text.
 */
export function rawConverters(schema: Schema): Map<string, (v: unknown) => unknown> {
  const out = new Map<string, (v: unknown) => unknown>()
  for (const f of schema.fields) {
    const d = decimalOf(f.type)
    if (d !== undefined) out.set(f.name, (v) => exactDecimal(v, d.scale))
    else if (f.type === 'time') out.set(f.name, (v) => (typeof v === 'bigint' ? timeText(v) : v))
  }
  return out
}

/** A decimal column's raw value (INT32 number, INT64 bigint, or big-endian bytes) as its decimal string. */
function exactDecimal(v: unknown, scale: number): unknown {
  if (v === null || v === undefined) return v
  if (typeof v === 'number') return decimalText(BigInt(v), scale)
  if (typeof v === 'bigint') return decimalText(v, scale)
  if (v instanceof Uint8Array) return decimalText(unscaledFromBytes(v), scale)
  throw corrupt(`a decimal value decoded as ${typeof v}`)
}
