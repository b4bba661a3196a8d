/**
 * JSON for rows and results leaving ailake (CLI output, HTTP responses): 64-bit integers as
 * decimal strings, so no id loses precision in a JSON parser; typed arrays as arrays; bytes as
 * base64; dates as ISO 8601 (their `toJSON`).
 */

/** JSON text of `value`: bigints as strings, typed arrays as arrays, bytes as base64. */
export function toJsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString()
    if (v instanceof Uint8Array) return base64(v)
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>)
    return v
  }, indent)
}

/** Standard base64 (RFC 4648) without a platform Buffer. */
export function base64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}
