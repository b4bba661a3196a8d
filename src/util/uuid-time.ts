/**
 * Values of Iceberg `uuid` and `time` columns. A uuid is its canonical lowercase text
 * (`"f79c3e09-677c-4bbd-a479-3f349cb785e7"`, what hyparquet and DuckDB show); a time of day is
 * its ISO 8601 text with microseconds (`"13:45:00.250000"`), the form timestamps take in JSON,
 * exact where a Date would keep milliseconds, and ordered by its text.
 */

const UUID = /^([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/i

/** The canonical text of a uuid given as text (dashes optional, any case) or 16 bytes; undefined if it is none. */
export function uuidText(v: unknown): string | undefined {
  if (v instanceof Uint8Array) {
    if (v.length !== 16) return undefined
    const hex = Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
  }
  if (typeof v !== 'string') return undefined
  const m = UUID.exec(v.trim())
  return m === null ? undefined : m.slice(1).join('-').toLowerCase()
}

/** The 16 big-endian bytes of a uuid in canonical text (Iceberg's uuid bound and bucket input). */
export function uuidBytes(text: string): Uint8Array {
  const hex = text.replace(/-/g, '')
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16))
}

const MICROS_PER_DAY = 86_400_000_000n
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/

/** Microseconds since midnight of a time given as `HH:MM[:SS[.ffffff]]` text or as microseconds; undefined if it is none. */
export function timeMicros(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v >= 0n && v < MICROS_PER_DAY ? v : undefined
  if (typeof v !== 'string') return undefined
  const m = TIME.exec(v.trim())
  if (m === null) return undefined
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')]
  if (h > 23 || min > 59 || s > 59) return undefined
  return BigInt((h * 60 + min) * 60 + s) * 1_000_000n + BigInt((m[4] ?? '').padEnd(6, '0'))
}

/** The canonical text (`HH:MM:SS.ffffff`) of microseconds since midnight. */
export function timeText(micros: bigint): string {
  const two = (n: bigint): string => n.toString().padStart(2, '0')
  const s = micros / 1_000_000n
  return `${two(s / 3600n)}:${two((s / 60n) % 60n)}:${two(s % 60n)}.${(micros % 1_000_000n).toString().padStart(6, '0')}`
}
