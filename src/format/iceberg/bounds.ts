/**
 * Iceberg single-value binary serialisation (spec Appendix D), used for the lower/upper
 * bounds in manifests: little-endian fixed-width numbers, UTF-8 strings without a length,
 * raw bytes; dates as days and timestamps as microseconds since the Unix epoch; decimals as
 * their unscaled value in big-endian two's complement, in the fewest bytes that hold it; times as
 * microseconds since midnight (8 bytes LE); uuids as their 16 bytes, big-endian.
 *
 * JS values follow format/schema.ts: long → bigint (number accepted), date/timestamp → Date
 * (a number is taken as days / microseconds, a bigint as microseconds).
 */
import { corrupt } from '../../errors.js'
import { utf8Decode, utf8Encode } from '../../util/bytes.js'
import { decimalOf, type PrimitiveType } from '../schema.js'
import { decimalText, tryUnscaled, unscaledFromBytes, unscaledToMinBytes } from '../../util/decimal.js'
import { timeMicros, timeText, uuidBytes, uuidText } from '../../util/uuid-time.js'

const MS_PER_DAY = 86_400_000

function fixed(size: number, set: (v: DataView) => void): Uint8Array {
  const out = new Uint8Array(size)
  set(new DataView(out.buffer))
  return out
}

function toMicros(value: unknown): bigint | undefined {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? BigInt(value.getTime()) * 1000n : undefined
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  return undefined
}

/**
 * Serialises one bound. Returns `undefined` when the value cannot be a bound (null, NaN, wrong
 * JS type), so callers simply omit that column's bound.
 */
export function encodeBound(type: PrimitiveType, value: unknown): Uint8Array | undefined {
  if (value === null || value === undefined) return undefined
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? new Uint8Array([value ? 1 : 0]) : undefined
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647
        ? fixed(4, (v) => v.setInt32(0, value, true)) : undefined
    case 'long': {
      const b = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined
      return b === undefined ? undefined : fixed(8, (v) => v.setBigInt64(0, BigInt.asIntN(64, b), true))
    }
    case 'float':
      return typeof value === 'number' && !Number.isNaN(value) ? fixed(4, (v) => v.setFloat32(0, value, true)) : undefined
    case 'double':
      return typeof value === 'number' && !Number.isNaN(value) ? fixed(8, (v) => v.setFloat64(0, value, true)) : undefined
    case 'string':
      return typeof value === 'string' ? utf8Encode(value) : undefined
    case 'binary':
      return value instanceof Uint8Array ? value.slice() : undefined
    case 'date': {
      const days = value instanceof Date ? Math.floor(value.getTime() / MS_PER_DAY) : typeof value === 'number' ? value : NaN
      return Number.isInteger(days) ? fixed(4, (v) => v.setInt32(0, days, true)) : undefined
    }
    case 'timestamp': case 'timestamptz': {
      const us = toMicros(value)
      return us === undefined ? undefined : fixed(8, (v) => v.setBigInt64(0, BigInt.asIntN(64, us), true))
    }
    case 'time': {
      const us = timeMicros(value)
      return us === undefined ? undefined : fixed(8, (v) => v.setBigInt64(0, us, true))
    }
    case 'uuid': {
      const text = uuidText(value)
      return text === undefined ? undefined : uuidBytes(text)
    }
  }
  const d = decimalOf(type)
  if (d === undefined) return undefined
  const unscaled = tryUnscaled(value, d.precision, d.scale)
  return typeof unscaled === 'bigint' ? unscaledToMinBytes(unscaled) : undefined
}

/**
 * Reads one bound serialised by {@link encodeBound} (or by any Iceberg writer).
 *
 * @throws AilakeError `CORRUPT_DATA` when the byte length does not fit the type.
 */
export function decodeBound(type: PrimitiveType, bytes: Uint8Array): unknown {
  const need = (n: number): DataView => {
    if (bytes.length !== n) throw corrupt(`a ${type} bound must be ${n} bytes but is ${bytes.length}; the manifest is corrupt`, { type, length: bytes.length })
    return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  switch (type) {
    case 'boolean': {
      const b = need(1).getUint8(0)
      if (b > 1) throw corrupt(`a boolean bound must be 0 or 1 but is ${b}`, { type })
      return b === 1
    }
    case 'int': return need(4).getInt32(0, true)
    case 'long': {
      // Iceberg allows an int-sized bound for a long column promoted from int.
      if (bytes.length === 4) return BigInt(need(4).getInt32(0, true))
      return need(8).getBigInt64(0, true)
    }
    case 'float': return need(4).getFloat32(0, true)
    case 'double': return bytes.length === 4 ? need(4).getFloat32(0, true) : need(8).getFloat64(0, true)
    case 'string': return utf8Decode(bytes, 'string bound')
    case 'binary': return bytes.slice()
    case 'date': return new Date(need(4).getInt32(0, true) * MS_PER_DAY)
    case 'timestamp': case 'timestamptz': {
      const us = need(8).getBigInt64(0, true)
      return new Date(Number(us / 1000n))
    }
    case 'time': {
      const us = need(8).getBigInt64(0, true)
      if (us < 0n || us >= 86_400_000_000n) throw corrupt(`a time bound of ${us} microseconds is outside a day; the manifest is corrupt`, { type })
      return timeText(us)
    }
    case 'uuid': need(16); return uuidText(bytes)
  }
  const d = decimalOf(type)
  if (d === undefined) throw corrupt(`a bound of type ${type} cannot be read`, { type })
  // The unscaled value is the same whatever the precision (a widened column's old bounds read as they are).
  if (bytes.length === 0 || bytes.length > 16) throw corrupt(`a ${type} bound must be 1 to 16 bytes but is ${bytes.length}; the manifest is corrupt`, { type, length: bytes.length })
  return decimalText(unscaledFromBytes(bytes), d.scale)
}
