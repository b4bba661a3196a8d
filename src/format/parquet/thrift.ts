/**
 * The subset of Thrift's compact protocol that ailake reads and writes itself: page headers and
 * offset indexes. (The file footer is written by hyparquet-writer and read by hyparquet.) The reader treats its input as hostile: every length is checked against the
 * bytes that remain, nesting is capped, and failures are `CORRUPT_DATA`.
 */
import { AilakeError, corrupt } from '../../errors.js'

export const T_TRUE = 1
export const T_FALSE = 2
export const T_BYTE = 3
export const T_I16 = 4
export const T_I32 = 5
export const T_I64 = 6
export const T_DOUBLE = 7
export const T_BINARY = 8
export const T_LIST = 9
export const T_SET = 10
export const T_MAP = 11
export const T_STRUCT = 12

/** A decoded struct: field id → value (integers as numbers, structs as nested maps). */
export type ThriftValue = number | boolean | Uint8Array | ThriftValue[] | ThriftStruct
export type ThriftStruct = Map<number, ThriftValue>

const MAX_DEPTH = 16

export class CompactReader {
  offset: number
  constructor(readonly bytes: Uint8Array, readonly what: string, offset = 0) {
    this.offset = offset
  }

  private fail(msg: string): never {
    throw corrupt(`${this.what}: ${msg} at byte ${this.offset}; the file is truncated or corrupt`, { what: this.what, offset: this.offset })
  }

  byte(): number {
    if (this.offset >= this.bytes.length) this.fail('unexpected end of thrift data')
    return this.bytes[this.offset++] as number
  }

  /** An unsigned varint of at most 64 bits, returned as a number if it fits in 2^53. */
  varint(): number {
    let result = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      const b = this.byte()
      result += (b & 0x7f) * mul
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) this.fail('integer beyond 2^53')
        return result
      }
      mul *= 128
    }
    return this.fail('varint longer than 10 bytes')
  }

  zigzag(): number {
    const v = this.varint()
    // Zigzag decoding in float arithmetic: safe for |v| < 2^53.
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2
  }

  private value(type: number, depth: number): ThriftValue {
    switch (type) {
      case T_TRUE: return true
      case T_FALSE: return false
      case T_BYTE: return this.byte()
      case T_I16: case T_I32: case T_I64: return this.zigzag()
      case T_DOUBLE: {
        if (this.offset + 8 > this.bytes.length) this.fail('truncated double')
        const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.offset, 8).getFloat64(0, true)
        this.offset += 8
        return v
      }
      case T_BINARY: {
        const n = this.varint()
        if (n > this.bytes.length - this.offset) this.fail(`binary length ${n} past the end`)
        const out = this.bytes.subarray(this.offset, this.offset + n)
        this.offset += n
        return out
      }
      case T_LIST: case T_SET: {
        const h = this.byte()
        let n = h >>> 4
        const et = h & 0x0f
        if (n === 15) n = this.varint()
        // Every element takes at least one byte except booleans in lists (also one byte each).
        if (n > this.bytes.length - this.offset) this.fail(`list of ${n} elements longer than the data`)
        const out: ThriftValue[] = []
        for (let i = 0; i < n; i++) {
          out.push(et === T_TRUE || et === T_FALSE ? this.byte() === 1 : this.value(et, depth + 1))
        }
        return out
      }
      case T_STRUCT: return this.struct(depth + 1)
      default: return this.fail(`unsupported thrift type ${type}`)
    }
  }

  /** Reads one struct up to its stop byte. */
  struct(depth = 0): ThriftStruct {
    if (depth > MAX_DEPTH) this.fail('thrift nesting too deep')
    const out: ThriftStruct = new Map()
    let last = 0
    while (true) {
      const h = this.byte()
      if (h === 0) return out
      const type = h & 0x0f
      const delta = h >>> 4
      const id = delta === 0 ? this.zigzag() : last + delta
      last = id
      out.set(id, this.value(type, depth))
    }
  }
}

/** Reads an integer field, or throws `CORRUPT_DATA` when it is missing or not an integer. */
export function intField(s: ThriftStruct, id: number, what: string): number {
  const v = s.get(id)
  if (typeof v !== 'number' || !Number.isInteger(v)) throw corrupt(`${what}: field ${id} missing or not an integer`, { what, field: id })
  return v
}

export function structField(s: ThriftStruct, id: number): ThriftStruct | undefined {
  const v = s.get(id)
  return v instanceof Map ? v : undefined
}

/** A minimal compact-protocol writer over a growable buffer. */
export class CompactWriter {
  buf: Uint8Array
  length = 0
  private lastId: number[] = [0]

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity)
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n))
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  byte(b: number): void {
    this.ensure(1)
    this.buf[this.length++] = b
  }

  varint(v: number): void {
    this.ensure(10)
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 128) | 0x80
      v = Math.floor(v / 128)
    }
    this.buf[this.length++] = v
  }

  zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1)
  }

  private header(id: number, type: number): void {
    const last = this.lastId[this.lastId.length - 1] as number
    const delta = id - last
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type)
    else {
      this.byte(type)
      this.zigzag(id)
    }
    this.lastId[this.lastId.length - 1] = id
  }

  int(id: number, type: typeof T_I32 | typeof T_I64, v: number): void {
    this.header(id, type)
    this.zigzag(v)
  }

  bool(id: number, v: boolean): void {
    this.header(id, v ? T_TRUE : T_FALSE)
  }

  beginStruct(id: number): void {
    this.header(id, T_STRUCT)
    this.lastId.push(0)
  }

  /** Starts a list of `n` structs; write each with `beginListStruct`/`endStruct`. */
  beginStructList(id: number, n: number): void {
    this.header(id, T_LIST)
    if (n < 15) this.byte((n << 4) | T_STRUCT)
    else {
      this.byte(0xf0 | T_STRUCT)
      this.varint(n)
    }
  }

  beginListStruct(): void {
    this.lastId.push(0)
  }

  endStruct(): void {
    this.byte(0)
    this.lastId.pop()
  }

  /** Ends the outermost struct and returns the bytes. */
  finish(): Uint8Array {
    this.byte(0)
    return this.buf.subarray(0, this.length)
  }
}

/**
 * Writes a decoded struct's fields back in id order: integers as i32, booleans, nested structs.
 * Enough for page headers (every integer in them is an i32); anything else is a bug here.
 */
export function writeStructFields(w: CompactWriter, s: ThriftStruct): void {
  for (const id of [...s.keys()].sort((a, b) => a - b)) {
    const v = s.get(id)
    if (typeof v === 'number') w.int(id, T_I32, v)
    else if (typeof v === 'boolean') w.bool(id, v)
    else if (v instanceof Map) {
      w.beginStruct(id)
      writeStructFields(w, v)
      w.endStruct()
    } else {
      throw new AilakeError('INTERNAL', `thrift field ${id} is not an integer, boolean or struct; writeStructFields cannot re-encode it`)
    }
  }
}
