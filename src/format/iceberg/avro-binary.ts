/**
 * A small schema-driven Avro binary codec, just what Iceberg metadata files use: null, boolean,
 * int, long (always `bigint` on read), float, double, bytes, string, record, array, map, enum,
 * fixed, unions and named-type references; logical types are carried by their base type.
 *
 * Written here rather than with avsc because Iceberg needs three things avsc makes awkward:
 * the writer schema JSON must keep its `field-id` attributes verbatim; longs must be lossless
 * 64-bit; and hostile input must fail fast — every block count is checked against the bytes
 * that remain before any item is read, so a forged count cannot spin or allocate.
 */
import { AilakeError, corrupt, invalid } from '../../errors.js'
import { ByteReader, ByteWriter, utf8Decode, utf8Encode } from '../../util/bytes.js'

/** A compiled Avro type node. */
export type AvroNode =
  | { kind: 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string'; min: number }
  | { kind: 'fixed'; name: string; size: number; min: number }
  | { kind: 'enum'; name: string; symbols: string[]; min: number }
  | { kind: 'array'; items: AvroNode; min: number }
  | { kind: 'map'; values: AvroNode; min: number }
  | { kind: 'union'; branches: AvroNode[]; min: number }
  | { kind: 'record'; name: string; fields: { name: string; type: AvroNode }[]; min: number }

const PRIMITIVE_MIN: Record<string, number> = { null: 0, boolean: 1, int: 1, long: 1, float: 4, double: 8, bytes: 1, string: 1 }
/** Cap on items of zero-byte types (null, empty record) per array block; nothing real comes close. */
const MAX_ZERO_SIZE_ITEMS = 1_000_000

function bad(what: string, msg: string): never {
  throw corrupt(`${what}: invalid Avro schema: ${msg}`, { what })
}

/** Compiles an Avro schema (parsed JSON) into codec nodes, resolving named types. */
export function compileAvroSchema(schema: unknown, what = 'Avro schema'): AvroNode {
  const named = new Map<string, AvroNode>()
  let depth = 0
  const compile = (s: unknown, ns: string): AvroNode => {
    if (++depth > 64) bad(what, 'nesting deeper than 64 levels')
    try {
      if (typeof s === 'string') {
        const min = PRIMITIVE_MIN[s]
        if (min !== undefined) return { kind: s as 'null', min }
        const ref = named.get(s) ?? named.get(ns ? `${ns}.${s}` : s)
        if (ref === undefined) bad(what, `unknown type name ${JSON.stringify(s)}`)
        return ref
      }
      if (Array.isArray(s)) {
        const branches = s.map((b) => compile(b, ns))
        if (branches.length === 0) bad(what, 'empty union')
        return { kind: 'union', branches, min: 1 }
      }
      if (typeof s !== 'object' || s === null) bad(what, `unexpected ${JSON.stringify(s)}`)
      const o = s as Record<string, unknown>
      const type = o.type
      const name = typeof o.name === 'string' ? o.name : ''
      const nsHere = typeof o.namespace === 'string' ? o.namespace : ns
      const register = (node: AvroNode): AvroNode => {
        if (name === '') bad(what, `${String(type)} without a name`)
        named.set(name, node)
        if (nsHere && !name.includes('.')) named.set(`${nsHere}.${name}`, node)
        return node
      }
      switch (type) {
        case 'record': case 'error': {
          if (!Array.isArray(o.fields)) bad(what, `record ${name} without fields`)
          const node = { kind: 'record' as const, name, fields: [] as { name: string; type: AvroNode }[], min: 0 }
          register(node) // before the fields, so a record may refer to itself
          for (const f of o.fields as unknown[]) {
            const fo = f as Record<string, unknown>
            if (typeof fo !== 'object' || fo === null || typeof fo.name !== 'string') bad(what, `record ${name} has a field without a name`)
            const t = compile(fo.type, nsHere)
            node.fields.push({ name: fo.name, type: t })
            node.min += t === node ? 0 : t.min
          }
          return node
        }
        case 'array': return { kind: 'array', items: compile(o.items, nsHere), min: 1 }
        case 'map': return { kind: 'map', values: compile(o.values, nsHere), min: 1 }
        case 'fixed': {
          const size = o.size
          if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) bad(what, `fixed ${name} with size ${String(size)}`)
          return register({ kind: 'fixed', name, size, min: size })
        }
        case 'enum': {
          if (!Array.isArray(o.symbols) || !o.symbols.every((x) => typeof x === 'string')) bad(what, `enum ${name} without symbols`)
          return register({ kind: 'enum', name, symbols: o.symbols as string[], min: 1 })
        }
        default:
          // `{"type": "long", "logicalType": ...}` and the like: the base type decides the bytes.
          return compile(type, nsHere)
      }
    } finally {
      depth--
    }
  }
  return compile(schema, '')
}

// ---------------------------------------------------------------------------------------------
// Writing

function writeVarLong(w: ByteWriter, v: bigint): void {
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n))
  while (z >= 0x80n) {
    w.u8(Number(z & 0x7fn) | 0x80)
    z >>= 7n
  }
  w.u8(Number(z))
}

function writeVarInt(w: ByteWriter, v: number): void {
  let z = ((v << 1) ^ (v >> 31)) >>> 0
  while (z >= 0x80) {
    w.u8((z & 0x7f) | 0x80)
    z >>>= 7
  }
  w.u8(z)
}

function toLong(v: unknown, path: string): bigint {
  if (typeof v === 'bigint' && v >= -(2n ** 63n) && v < 2n ** 63n) return v
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v)
  throw invalid(`Avro long at ${path} must be a 64-bit integer, got ${String(v)}`)
}

/** Which union branch a value belongs to: the null branch for null/undefined, else the first non-null branch that fits. */
function pickBranch(branches: AvroNode[], v: unknown): number {
  const isNull = v === null || v === undefined
  for (let i = 0; i < branches.length; i++) {
    const k = branches[i]?.kind
    if (isNull ? k === 'null' : k !== 'null' && fits(branches[i] as AvroNode, v)) return i
  }
  return -1
}

function fits(n: AvroNode, v: unknown): boolean {
  switch (n.kind) {
    case 'boolean': return typeof v === 'boolean'
    case 'int': case 'float': case 'double': return typeof v === 'number'
    case 'long': return typeof v === 'bigint' || typeof v === 'number'
    case 'string': case 'enum': return typeof v === 'string'
    case 'bytes': case 'fixed': return v instanceof Uint8Array
    case 'array': return Array.isArray(v)
    default: return typeof v === 'object' && v !== null
  }
}

/** Appends the Avro binary encoding of `v` as type `n`. */
export function writeAvro(w: ByteWriter, n: AvroNode, v: unknown, path = '$'): void {
  switch (n.kind) {
    case 'null': return
    case 'boolean':
      if (typeof v !== 'boolean') throw invalid(`Avro boolean at ${path} got ${String(v)}`)
      w.u8(v ? 1 : 0)
      return
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw invalid(`Avro int at ${path} must be a 32-bit integer, got ${String(v)}`)
      writeVarInt(w, v)
      return
    case 'long': writeVarLong(w, toLong(v, path)); return
    case 'float': w.f32(Number(v)); return
    case 'double': w.f64(Number(v)); return
    case 'bytes': case 'string': {
      const b = n.kind === 'string' ? (typeof v === 'string' ? utf8Encode(v) : undefined) : (v instanceof Uint8Array ? v : undefined)
      if (b === undefined) throw invalid(`Avro ${n.kind} at ${path} got ${typeof v}`)
      writeVarLong(w, BigInt(b.length))
      w.bytes(b)
      return
    }
    case 'fixed':
      if (!(v instanceof Uint8Array) || v.length !== n.size) throw invalid(`Avro fixed ${n.name} at ${path} needs ${n.size} bytes`)
      w.bytes(v)
      return
    case 'enum': {
      const i = n.symbols.indexOf(String(v))
      if (i < 0) throw invalid(`Avro enum ${n.name} at ${path} has no symbol ${String(v)}`)
      writeVarInt(w, i)
      return
    }
    case 'array': {
      if (!Array.isArray(v)) throw invalid(`Avro array at ${path} got ${typeof v}`)
      if (v.length > 0) {
        writeVarLong(w, BigInt(v.length))
        v.forEach((item, i) => writeAvro(w, n.items, item, `${path}[${i}]`))
      }
      w.u8(0)
      return
    }
    case 'map': {
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as object)
      if (entries.length > 0) {
        writeVarLong(w, BigInt(entries.length))
        for (const [k, val] of entries) {
          writeAvro(w, { kind: 'string', min: 1 }, String(k), path)
          writeAvro(w, n.values, val, `${path}.${String(k)}`)
        }
      }
      w.u8(0)
      return
    }
    case 'union': {
      const i = pickBranch(n.branches, v)
      if (i < 0) throw invalid(`no branch of the Avro union at ${path} accepts ${v === null || v === undefined ? 'null' : typeof v}`)
      writeVarInt(w, i)
      writeAvro(w, n.branches[i] as AvroNode, v, path)
      return
    }
    case 'record': {
      if (typeof v !== 'object' || v === null) throw invalid(`Avro record ${n.name} at ${path} got ${String(v)}`)
      const o = v as Record<string, unknown>
      for (const f of n.fields) writeAvro(w, f.type, o[f.name], `${path}.${f.name}`)
      return
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

function readVarLong(r: ByteReader, field: string): bigint {
  let z = 0n
  let shift = 0n
  for (let i = 0; i < 10; i++) {
    const b = r.u8(field)
    z |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return BigInt.asIntN(64, (z >> 1n) ^ -(z & 1n))
    shift += 7n
  }
  throw corrupt(`${r.what}: ${field} is a varint longer than 10 bytes at offset ${r.offset}`, { what: r.what, field })
}

function readVarInt(r: ByteReader, field: string): number {
  const v = readVarLong(r, field)
  if (v < -2147483648n || v > 2147483647n) throw corrupt(`${r.what}: ${field} = ${v} does not fit an Avro int`, { what: r.what, field })
  return Number(v)
}

/** Reads a length or count: non-negative and at most `limit`. */
function readCount(r: ByteReader, field: string, limit: number): number {
  const v = readVarLong(r, field)
  if (v < 0n || v > BigInt(limit)) {
    throw corrupt(`${r.what}: ${field} = ${v} at offset ${r.offset} is impossible with ${r.remaining} bytes left; the data is truncated or corrupt`, { what: r.what, field })
  }
  return Number(v)
}

/** Reads one block count of an array or map, validated against the bytes that remain. */
function readBlockCount(r: ByteReader, itemMin: number, field: string): number {
  let n = readVarLong(r, field)
  if (n < 0n) {
    n = -n
    readCount(r, `${field} block size`, r.remaining)
  }
  const limit = itemMin > 0 ? Math.floor(r.remaining / itemMin) : MAX_ZERO_SIZE_ITEMS
  if (n > BigInt(limit)) {
    throw corrupt(`${r.what}: ${field} block of ${n} items cannot fit in the ${r.remaining} bytes left; the data is corrupt`, { what: r.what, field })
  }
  return Number(n)
}

/**
 * Reads one value of type `n`. Records become plain objects, maps `Map<string, …>`, longs
 * `bigint`, bytes and fixed copied `Uint8Array`s, enums their symbol, unions the branch value.
 */
export function readAvro(r: ByteReader, n: AvroNode, field = '$'): unknown {
  switch (n.kind) {
    case 'null': return null
    case 'boolean': {
      const b = r.u8(field)
      if (b > 1) throw corrupt(`${r.what}: ${field} boolean byte is ${b}`, { what: r.what, field })
      return b === 1
    }
    case 'int': return readVarInt(r, field)
    case 'long': return readVarLong(r, field)
    case 'float': return r.f32(field)
    case 'double': return r.f64(field)
    case 'bytes': return r.bytesView(readCount(r, `${field} length`, r.remaining), field).slice()
    case 'string': return utf8Decode(r.bytesView(readCount(r, `${field} length`, r.remaining), field), `${r.what}: ${field}`)
    case 'fixed': return r.bytesView(n.size, field).slice()
    case 'enum': {
      const i = readVarInt(r, field)
      const s = n.symbols[i]
      if (s === undefined) throw corrupt(`${r.what}: ${field} enum index ${i} out of range`, { what: r.what, field })
      return s
    }
    case 'array': {
      const out: unknown[] = []
      for (let c = readBlockCount(r, n.items.min, field); c !== 0; c = readBlockCount(r, n.items.min, field)) {
        for (let i = 0; i < c; i++) out.push(readAvro(r, n.items, `${field}[${out.length}]`))
      }
      return out
    }
    case 'map': {
      const out = new Map<string, unknown>()
      for (let c = readBlockCount(r, 1 + n.values.min, field); c !== 0; c = readBlockCount(r, 1 + n.values.min, field)) {
        for (let i = 0; i < c; i++) {
          const k = readAvro(r, { kind: 'string', min: 1 }, `${field} key`) as string
          out.set(k, readAvro(r, n.values, `${field}.${k}`))
        }
      }
      return out
    }
    case 'union': {
      const i = readVarInt(r, `${field} union index`)
      const b = n.branches[i]
      if (b === undefined) throw corrupt(`${r.what}: ${field} union index ${i} out of range`, { what: r.what, field })
      return readAvro(r, b, field)
    }
    case 'record': {
      const o: Record<string, unknown> = {}
      for (const f of n.fields) o[f.name] = readAvro(r, f.type, `${field}.${f.name}`)
      return o
    }
  }
}

/** Runs a decoder, turning stray runtime errors (deep recursion, engine limits) into `CORRUPT_DATA`. */
export function guardDecode<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof AilakeError) throw err
    throw new AilakeError('CORRUPT_DATA', `${what}: cannot decode (${err instanceof Error ? err.message : String(err)}); the file is corrupt`, { context: { what }, cause: err })
  }
}
