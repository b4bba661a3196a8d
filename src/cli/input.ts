/**
 * Reads an input file (CSV, JSON Lines or Parquet) into rows ready for a table, converting each
 * column to the table's type and checking every vector, so that a bad file is rejected as a
 * whole before anything is written. The whole file is held in memory (see docs/cli.md).
 */
import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { AilakeError, PARQUET_DECOMPRESSORS, type Field, type Schema } from '../index.js'
import { csvToObjects } from './csv.js'

export type InputFormat = 'csv' | 'jsonl' | 'parquet'
export type Row = Record<string, unknown>

const EXTENSIONS: Record<string, InputFormat> = {
  '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'jsonl', '.parquet': 'parquet', '.pq': 'parquet',
}

/** The format named by `--format`, else by the file extension. */
export function detectFormat(path: string, format?: string): InputFormat {
  if (format !== undefined) {
    const f = format.toLowerCase()
    if (f === 'csv' || f === 'jsonl' || f === 'parquet') return f
    if (f === 'ndjson' || f === 'json') return 'jsonl'
    throw invalid(`--format ${JSON.stringify(format)} is not supported; use csv, jsonl or parquet`)
  }
  const f = EXTENSIONS[extname(path).toLowerCase()]
  if (f === undefined) throw invalid(`cannot tell the format of ${path} from its extension; use .csv, .jsonl or .parquet, or pass --format`)
  return f
}

/** Reads the file's records as they are (strings for CSV, JSON values, Parquet values). */
export async function readRecords(path: string, format: InputFormat): Promise<Row[]> {
  try {
    const st = await stat(path)
    if (!st.isFile()) throw invalid(`${path} is not a file`)
  } catch (err) {
    if (err instanceof AilakeError) throw err
    throw new AilakeError('NOT_FOUND', `input file ${path} does not exist or cannot be read`, { cause: err, context: { path } })
  }
  if (format === 'parquet') {
    try {
      const file = await asyncBufferFromFile(path)
      return (await parquetReadObjects({ file, compressors: PARQUET_DECOMPRESSORS })) as Row[]
    } catch (err) {
      throw new AilakeError('CORRUPT_DATA', `${path} is not a readable Parquet file: ${(err as Error).message}`, { cause: err, context: { path } })
    }
  }
  const text = await readFile(path, 'utf8')
  if (format === 'csv') return csvToObjects(text).rows
  const rows: Row[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === '') continue
    let v: unknown
    try {
      v = JSON.parse(line)
    } catch (err) {
      throw new AilakeError('INVALID_ARGUMENT', `${path} line ${i + 1} is not valid JSON: ${(err as Error).message}`, { context: { line: i + 1 } })
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${path} line ${i + 1} is not a JSON object; JSON Lines needs one object per line`)
    rows.push(v as Row)
  }
  return rows
}

/**
 * Parses a vector literal such as `[0.1, 0.2, 0.3]` (JSON array of finite numbers).
 * `what` names the value in the error message.
 */
export function parseVectorLiteral(text: string, what: string): number[] {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw invalid(`${what} is not a vector literal like [0.1, 0.2]: ${JSON.stringify(text.length > 60 ? text.slice(0, 60) + '…' : text)}`)
  }
  return checkNumbers(v, what)
}

function checkNumbers(v: unknown, what: string): number[] {
  if (!Array.isArray(v) && !(v instanceof Float32Array) && !(v instanceof Float64Array)) {
    throw invalid(`${what} must be an array of numbers, got ${v === null ? 'null' : typeof v}`)
  }
  const out = Array.from(v as ArrayLike<unknown>, (x, i) => {
    const n = typeof x === 'bigint' ? Number(x) : x
    if (typeof n !== 'number' || !Number.isFinite(n)) throw invalid(`${what} element ${i} is ${JSON.stringify(x) ?? String(x)}; every element must be a finite number`)
    return n
  })
  if (out.length === 0) throw invalid(`${what} is an empty vector`)
  return out
}

export interface PrepareOptions {
  schema: Schema
  /** True while the table's columns are still to be inferred from its first rows. */
  schemaPending: boolean
  vectorColumn: string
  dim: number
  /** The rows get their vectors later from this text column (`--embed`); they must not carry one. */
  embedColumn?: string
  csv: boolean
  source: string
}

/**
 * Converts every row to the table's column types and checks every vector (dimension, finite
 * values). Throws on the first bad row, naming it; returns new row objects.
 */
export function prepareRows(records: Row[], o: PrepareOptions): Row[] {
  if (records.length === 0) throw invalid(`${o.source} holds no rows`)
  const fields = new Map(o.schema.fields.map((f) => [f.name, f]))
  const inferred = o.schemaPending ? inferKinds(records, o) : undefined
  const out: Row[] = []
  for (let r = 0; r < records.length; r++) {
    const rec = records[r] as Row
    const row: Row = {}
    for (const [name, raw] of Object.entries(rec)) {
      if (name === o.vectorColumn) continue
      const where = `${o.source} row ${r + 1}, column ${JSON.stringify(name)}`
      if (inferred !== undefined) {
        row[name] = convertInferred(raw, inferred.get(name) ?? 'string', o.csv, where)
        continue
      }
      const f = fields.get(name)
      if (f === undefined) {
        throw new AilakeError('SCHEMA_MISMATCH', `${o.source} has column ${JSON.stringify(name)}, which table's schema does not have (${[...fields.keys()].join(', ')})`, { context: { column: name } })
      }
      row[name] = convertTo(raw, f, o.csv, where)
    }
    if (o.embedColumn !== undefined) {
      const text = row[o.embedColumn]
      if (typeof text !== 'string') throw invalid(`${o.source} row ${r + 1}: column ${JSON.stringify(o.embedColumn)} to embed must hold text, got ${text === undefined ? 'nothing' : String(text)}`)
    } else {
      const raw = rec[o.vectorColumn]
      const what = `${o.source} row ${r + 1}, vector column ${JSON.stringify(o.vectorColumn)}`
      if (raw === undefined || raw === null || raw === '') throw new AilakeError('SCHEMA_MISMATCH', `${what} is missing; every row needs an embedding (or use --embed <text column>)`)
      const vec = typeof raw === 'string' ? parseVectorLiteral(raw, what) : checkNumbers(raw, what)
      if (vec.length !== o.dim) {
        throw new AilakeError('DIMENSION_MISMATCH', `${what} has ${vec.length} dimensions but the table expects ${o.dim}`, { context: { row: r + 1, expected: o.dim, got: vec.length } })
      }
      row[o.vectorColumn] = Float32Array.from(vec)
    }
    out.push(row)
  }
  if (inferred === undefined) {
    for (const f of o.schema.fields) {
      if (f.required && f.name !== o.vectorColumn && out.some((row) => row[f.name] === undefined || row[f.name] === null)) {
        throw new AilakeError('SCHEMA_MISMATCH', `${o.source}: column ${JSON.stringify(f.name)} is required by the table but missing in some rows`)
      }
    }
  }
  return out
}

type Kind = 'boolean' | 'long' | 'double' | 'string' | 'other'

/** One type per column over the whole file, so every batch infers the same schema. */
function inferKinds(records: Row[], o: PrepareOptions): Map<string, Kind> {
  const kinds = new Map<string, Kind>()
  for (const rec of records) {
    for (const [name, v] of Object.entries(rec)) {
      if (name === o.vectorColumn || v === null || v === undefined || (o.csv && v === '')) continue
      const k = kindOf(v, o.csv)
      const prev = kinds.get(name)
      kinds.set(name, prev === undefined || prev === k ? k : (prev === 'long' && k === 'double') || (prev === 'double' && k === 'long') ? 'double' : 'string')
    }
  }
  return kinds
}

function kindOf(v: unknown, csv: boolean): Kind {
  if (csv && typeof v === 'string') {
    if (/^-?\d{1,18}$/.test(v)) return 'long'
    if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return 'double'
    if (v === 'true' || v === 'false') return 'boolean'
    return 'string'
  }
  if (typeof v === 'bigint') return 'long'
  if (typeof v === 'number') return 'double'
  if (typeof v === 'boolean') return 'boolean'
  if (typeof v === 'string') return 'string'
  return 'other'
}

function convertInferred(v: unknown, kind: Kind, csv: boolean, where: string): unknown {
  if (v === null || v === undefined) return null
  if (csv && typeof v === 'string') {
    if (v === '' && kind !== 'string') return null
    if (kind === 'long') return BigInt(v)
    if (kind === 'double') return Number(v)
    if (kind === 'boolean') return v === 'true'
    return v
  }
  if (kind === 'string' && typeof v !== 'string') {
    if (typeof v === 'object') throw new AilakeError('SCHEMA_MISMATCH', `${where}: nested values are not supported; use numbers, strings or booleans`)
    return String(v)
  }
  if (kind === 'double' && typeof v === 'bigint') return Number(v)
  return v
}

/** Converts one value to the type of `f`; CSV strings are parsed, JSON/Parquet values must already fit. */
/** Converts `v` (a CSV or flag string when `csv`) to the JS value of column `f`; SCHEMA_MISMATCH naming `where` otherwise. */
export function convertTo(v: unknown, f: Field, csv: boolean, where: string): unknown {
  if (v === null || v === undefined) return null
  const t = f.type
  if (typeof t !== 'string') return v
  const s = csv && typeof v === 'string' ? v : undefined
  if (s === '' && t !== 'string') return null
  const fail = (expected: string): never => {
    throw new AilakeError('SCHEMA_MISMATCH', `${where} must be ${expected}, got ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)?.slice(0, 60)}`)
  }
  switch (t) {
    case 'string':
      return typeof v === 'string' ? v : fail('text')
    case 'boolean':
      if (typeof v === 'boolean') return v
      return s === 'true' ? true : s === 'false' ? false : fail('true or false')
    case 'int': case 'long': {
      if (typeof v === 'bigint') return t === 'int' ? Number(v) : v
      if (typeof v === 'number' && Number.isSafeInteger(v)) return t === 'long' ? BigInt(v) : v
      if (s !== undefined && /^-?\d+$/.test(s)) return t === 'long' ? BigInt(s) : Number(s)
      return fail('an integer')
    }
    case 'float': case 'double': {
      if (typeof v === 'number') return v
      if (typeof v === 'bigint') return Number(v)
      const n = s === undefined ? NaN : Number(s)
      return Number.isFinite(n) ? n : fail('a number')
    }
    case 'date': case 'timestamp': case 'timestamptz': {
      const d = v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : undefined
      return d !== undefined && !Number.isNaN(d.getTime()) ? d : fail('a date (ISO 8601)')
    }
    default:
      return v
  }
}

function invalid(message: string): AilakeError {
  return new AilakeError('INVALID_ARGUMENT', message)
}
