/**
 * The table operations the server offers, shared by the JSON API and the MCP tools: requests are
 * checked here (types, unknown fields, the server's limits) before they reach the library.
 */
import { AilakeError, type Field, type FullTextSearchOptions, type Lakehouse, type Row, type SearchBuilder, type Table } from '../index.js'
import { allows, type Principal } from './auth.js'
import type { ServerContext } from './context.js'
import { HttpError } from './http-errors.js'

export type Body = Record<string, unknown>

function bad(message: string): AilakeError {
  return new AilakeError('INVALID_ARGUMENT', message)
}

/** `body` as an object with no field outside `known`. */
export function fields(body: unknown, known: readonly string[], what: string): Body {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad(`${what}: the body must be a JSON object`)
  const unknown = Object.keys(body).filter((k) => !known.includes(k))
  if (unknown.length > 0) throw bad(`${what}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; fields: ${known.join(', ')}`)
  return body as Body
}

/** An optional integer in [1, max]. */
export function intField(v: unknown, name: string, max: number): number | undefined {
  if (v === undefined || v === null) return undefined
  const n = typeof v === 'bigint' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) throw bad(`${name} must be an integer in [1, ${max}] (the server's limit), got ${JSON.stringify(String(v))}`)
  return n
}

function stringField(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw bad(`${name} must be a string`)
  return v
}

/** Table names the principal may read, sorted. */
export async function readableTables(ctx: ServerContext, who: Principal): Promise<string[]> {
  return (await ctx.lake.listTables()).filter((name) => allows(who, 'read', name.split('.')))
}

export const SEARCH_FIELDS = ['vector', 'text', 'where', 'select', 'limit', 'ef', 'asOf', 'mode', 'column'] as const

/** A search of any mode: its rows, or how it ran. */
export interface AnySearch {
  toArray(): Promise<Record<string, unknown>[]>
  explain(): Promise<unknown>
}

/**
 * The search `body.mode` asks for: `vector` (default, see `searchBuilder`), `fulltext` (BM25 over
 * the table's full-text columns) or `hybrid` (both, fused); the text modes take `text` and
 * `where`, `select`, `limit`, `asOf` (hybrid also a `vector` for its vector leg).
 */
export async function anySearch(ctx: ServerContext, table: Table, body: Body): Promise<AnySearch> {
  const mode = body.mode ?? 'vector'
  if (mode === 'vector') return searchBuilder(ctx, table, body)
  if (mode !== 'fulltext' && mode !== 'hybrid') throw bad(`mode must be vector, fulltext or hybrid, got ${JSON.stringify(mode)}`)
  const text = stringField(body.text, 'text')
  if (text === undefined) throw bad(`a ${mode} search needs text`)
  if (body.ef !== undefined && body.ef !== null) throw bad(`ef applies to vector search only, not mode ${mode}`)
  const o: FullTextSearchOptions = { limit: intField(body.limit, 'limit', ctx.limits.maxLimit) ?? 10 }
  if (body.where !== undefined && body.where !== null) {
    if (typeof body.where !== 'string' && typeof body.where !== 'object') throw bad('where must be a filter string like "year > 2020" or a typed filter object')
    o.where = body.where as string
  }
  if (body.select !== undefined && body.select !== null) {
    if (!Array.isArray(body.select) || body.select.some((c) => typeof c !== 'string')) throw bad('select must be an array of column names')
    o.select = body.select as string[]
  }
  if (body.asOf !== undefined && body.asOf !== null) o.asOf = typeof body.asOf === 'bigint' ? body.asOf.toString() : body.asOf as string
  const column = stringField(body.column, 'column')
  if (mode === 'fulltext') {
    if (body.vector !== undefined && body.vector !== null) throw bad('a fulltext search takes text, not a vector')
    if (column !== undefined) throw bad('column names the vector column of a vector or hybrid search; a fulltext search reads the full-text columns')
    return table.fullTextSearch(text, o)
  }
  const leg = column === undefined ? {} : { column }
  if (Array.isArray(body.vector)) return table.hybridSearch({ ...o, ...leg, text, vector: (body.vector as unknown[]).map(Number) })
  if (column !== undefined || table.vector.extra !== undefined) {
    const target = table.textSearchTarget(column)
    return table.hybridSearch({ ...o, text, column: target.column, embedder: await ctx.embedder(target.embedder.name) })
  }
  const recorded = table.embedder
  if (recorded === undefined) throw bad(`table ${table.name} records no embedder, so a hybrid search needs a vector as well as text`)
  return table.hybridSearch({ ...o, text, embedder: await ctx.embedder(recorded.name) })
}

/** A checked search builder for `body` (one of `vector` or `text`; `where`, `select`, `limit`, `ef`, `asOf`, `column`: the vector column searched). */
export async function searchBuilder(ctx: ServerContext, table: Table, body: Body): Promise<SearchBuilder> {
  if (body.mode !== undefined && body.mode !== 'vector') throw bad(`searchBuilder: mode ${JSON.stringify(body.mode)} is not a vector search`)
  const hasVector = body.vector !== undefined && body.vector !== null
  const text = stringField(body.text, 'text')
  if (hasVector === (text !== undefined)) throw bad('a search needs exactly one of vector (an array of numbers) or text')
  const column = stringField(body.column, 'column')
  let b: SearchBuilder
  if (text !== undefined) {
    if (column === undefined && table.vector.extra === undefined) {
      const recorded = table.embedder
      if (recorded === undefined) throw bad(`table ${table.name} records no embedder, so it cannot embed a text query; search with a vector`)
      b = table.search(text, { embedder: await ctx.embedder(recorded.name) })
    } else {
      // Several vector columns: the text goes to the column asked for, or the only one with an embedder.
      const target = table.textSearchTarget(column)
      b = table.search(text, { column: target.column, embedder: await ctx.embedder(target.embedder.name) })
    }
  } else {
    if (!Array.isArray(body.vector)) throw bad('vector must be an array of numbers')
    b = table.search((body.vector as unknown[]).map((x) => (typeof x === 'bigint' ? Number(x) : x)) as number[], column === undefined ? {} : { column })
  }
  b = b.limit(intField(body.limit, 'limit', ctx.limits.maxLimit) ?? 10)
  const ef = intField(body.ef, 'ef', ctx.limits.maxEf)
  if (ef !== undefined) b = b.ef(ef)
  if (body.where !== undefined && body.where !== null) {
    if (typeof body.where !== 'string' && typeof body.where !== 'object') throw bad('where must be a filter string like "year > 2020" or a typed filter object')
    b = b.where(body.where as string)
  }
  if (body.select !== undefined && body.select !== null) {
    if (!Array.isArray(body.select) || body.select.some((c) => typeof c !== 'string')) throw bad('select must be an array of column names')
    b = b.select(body.select as string[])
  }
  if (body.asOf !== undefined && body.asOf !== null) {
    if (typeof body.asOf !== 'string' && typeof body.asOf !== 'number' && typeof body.asOf !== 'bigint') throw bad('asOf must be a snapshot id (a string of digits) or a time (ISO 8601 string or epoch milliseconds)')
    b = b.asOf(typeof body.asOf === 'bigint' ? body.asOf.toString() : body.asOf)
  }
  return b
}

/** What `GET /v1/tables/{table}` shows. */
export async function tableInfo(table: Table): Promise<Record<string, unknown>> {
  const files = await table.files()
  let vector: unknown = null
  try {
    vector = table.vector
  } catch {
    // A plain Iceberg table (made through the REST catalog) has no vector column.
  }
  return {
    name: table.name,
    rows: files.reduce((n, f) => n + f.rows, 0),
    files: files.length,
    snapshotId: table.currentSnapshotId,
    vector,
    embedder: table.embedder ?? null,
    properties: table.properties,
  }
}

/** JSON values to the table's column types where JSON cannot say them (bytes as base64). */
export function rowsFromJson(rows: unknown, schema: readonly Field[], max: number): Row[] {
  if (!Array.isArray(rows)) throw bad('rows must be an array of objects')
  if (rows.length === 0) throw bad('rows is empty; send at least one row')
  if (rows.length > max) throw new HttpError(413, 'TOO_MANY_ROWS', `${rows.length} rows in one request; the server takes at most ${max} (send them in batches)`)
  const types = new Map(schema.map((f) => [f.name, f.type]))
  return rows.map((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw bad(`rows[${i}] is not an object`)
    const out: Row = {}
    for (const [k, v] of Object.entries(r as Row)) {
      const t = types.get(k)
      if ((t === 'binary' || (typeof t === 'object' && t.type === 'fixed')) && typeof v === 'string') out[k] = fromBase64(v, `rows[${i}].${k}`)
      else if ((t === 'int' || t === 'float' || t === 'double') && typeof v === 'bigint') out[k] = Number(v)
      // Responses carry 64-bit integers as strings; the same string is accepted back.
      else if (t === 'long' && typeof v === 'string' && /^-?\d{1,19}$/.test(v)) out[k] = BigInt(v)
      else if (typeof t === 'object' && t.type === 'list' && Array.isArray(v)) out[k] = v.map((x) => (typeof x === 'bigint' ? Number(x) : x))
      else out[k] = v
    }
    return out
  })
}

function fromBase64(s: string, what: string): Uint8Array {
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0))
  } catch {
    throw bad(`${what} must be base64 (a binary column)`)
  }
}

export interface AddResult {
  rows: number
  /** The snapshot the rows landed in; null while they are buffered. */
  snapshotId: bigint | null
  buffered: boolean
}

/** Adds rows as one snapshot, or (`buffered`) to the table's write-ahead-logged buffer. */
export async function addRows(ctx: ServerContext, name: string, rows: Row[] | unknown, count: number, options: { embedFrom?: string; buffered?: boolean }): Promise<AddResult> {
  if (options.buffered === true) {
    if (options.embedFrom !== undefined) throw bad('buffered writes take rows with their vectors; embedFrom needs an unbuffered write')
    await (await ctx.writer(name)).insert(rows as Row[])
    return { rows: count, snapshotId: null, buffered: true }
  }
  const table = await ctx.table(name)
  let embedder
  if (options.embedFrom !== undefined) {
    const recorded = table.embedder
    if (recorded === undefined) throw bad(`table ${name} records no embedder, so embedFrom cannot make vectors; send rows with vectors`)
    embedder = await ctx.embedder(recorded.name)
  }
  const snapshotId = await table.add(rows as Row[], options.embedFrom === undefined ? {} : { embedFrom: options.embedFrom, ...(embedder !== undefined && { embedder }) })
  return { rows: count, snapshotId, buffered: false }
}

/** Drops a table and forgets its handle. */
export async function dropTable(ctx: ServerContext, lake: Lakehouse, name: string): Promise<void> {
  await ctx.forget(name)
  await lake.dropTable(name)
}
