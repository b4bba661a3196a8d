/**
 * Checked field access for decoding parsed JSON metadata. Every failure is `CORRUPT_DATA`
 * naming the document and the JSON path, so a broken metadata file is diagnosable.
 */
import { corrupt } from '../../errors.js'

export type JsonObject = Record<string, unknown>

/** A reader bound to one document name, for error messages. */
export class JsonFields {
  constructor(readonly what: string) {}

  fail(path: string, expected: string, got: unknown): never {
    const shown = got === undefined ? 'missing' : typeof got === 'bigint' ? `${got}` : JSON.stringify(got)?.slice(0, 80)
    throw corrupt(`${this.what}: ${path} must be ${expected} but is ${shown}; the metadata file is corrupt or not Iceberg v2`, {
      what: this.what, path,
    })
  }

  object(v: unknown, path: string): JsonObject {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'an object', v)
    return v as JsonObject
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'an array', v)
    return v
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, 'a string', v)
    return v
  }

  boolean(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, 'a boolean', v)
    return v
  }

  /** A 32-bit signed integer. */
  int(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) this.fail(path, 'a 32-bit integer', v)
    return v
  }

  /** A non-negative integer that fits a JS number exactly (timestamps, sizes). */
  safeInt(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(path, 'an integer below 2^53', v)
    return v
  }

  /** A signed 64-bit integer, returned as bigint whatever the JSON parser produced. */
  long(v: unknown, path: string): bigint {
    if (typeof v === 'bigint') {
      if (v < -(2n ** 63n) || v >= 2n ** 63n) this.fail(path, 'a 64-bit integer', v)
      return v
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(path, 'a 64-bit integer', v)
    return BigInt(v)
  }

  stringMap(v: unknown, path: string): Record<string, string> {
    const o = this.object(v, path)
    const out: Record<string, string> = {}
    for (const [k, val] of Object.entries(o)) out[k] = this.string(val, `${path}.${k}`)
    return out
  }
}
