/**
 * `ailake search`: one query (a vector literal, a text embedded with the table's recorded
 * embedder, or another row's vector), printed as an aligned table or as JSON.
 */
import { AilakeError, assertSameEmbedder, isAilakeError, MAX_LIMIT, type Lakehouse, type Row, type SearchBuilder, type Table, type TextQueryOptions } from '../index.js'
import { intOption, JSON_FLAG, type Command, type Io, type Values } from './command.js'
import { UsageError } from './exit-codes.js'
import { renderTable, toJson } from './format.js'
import { parseVectorLiteral } from './input.js'
import { recordedEmbedder } from './table-api.js'
import { embedderNamed, inWords, openTable } from './words.js'

// The builder methods the flags feed, as the API's messages name them.
const WORDS = { 'ef(): ': '--ef: ', 'where(): ': '--where: ', 'select(): ': '--select: ' } as const
const TEXT_WORDS = { 'where(): ': '--where: ', 'select(): ': '--select: ' } as const

export const searchCommand: Command = {
  positionals: ['table'],
  options: {
    vector: { type: 'string' }, text: { type: 'string' }, like: { type: 'string' }, limit: { type: 'string', short: 'k' },
    where: { type: 'string' }, 'as-of': { type: 'string' }, select: { type: 'string' }, 'id-column': { type: 'string' }, ef: { type: 'string' },
    mode: { type: 'string' }, column: { type: 'string' }, ...JSON_FLAG,
  },
  run: search,
}

const MODES = ['vector', 'fulltext', 'hybrid'] as const
type Mode = typeof MODES[number]

/** The query flags each mode takes: vector search one of three, full text a text, hybrid a text and at most one vector. */
function checkQueryFlags(mode: Mode, values: Values): void {
  const given = (['vector', 'text', 'like'] as const).filter((f) => values[f] !== undefined)
  if (mode === 'vector' && given.length !== 1) {
    throw new UsageError(given.length === 0 ? 'search needs a query: --vector \'[...]\', --text "..." or --like <id>' : `search takes one query, got ${given.map((f) => `--${f}`).join(' and ')}`)
  }
  if (mode !== 'vector' && values.text === undefined) throw new UsageError(`--mode ${mode} needs --text "..."`)
  if (mode === 'fulltext' && given.length > 1) throw new UsageError(`--mode fulltext takes only --text, got ${given.map((f) => `--${f}`).join(' and ')}`)
  if (mode === 'hybrid' && values.vector !== undefined && values.like !== undefined) throw new UsageError('--mode hybrid takes --text and at most one of --vector and --like')
  if (mode !== 'vector' && values.ef !== undefined) throw new UsageError(`--ef applies to --mode vector`)
}

async function search(lake: Lakehouse, [name]: string[], values: Values, io: Io): Promise<void> {
  const mode = (values.mode ?? 'vector') as Mode
  if (!MODES.includes(mode)) throw new UsageError(`--mode must be vector, fulltext or hybrid, got ${JSON.stringify(values.mode)}`)
  checkQueryFlags(mode, values)
  const k = intOption(values, 'limit', 10, MAX_LIMIT)
  const ef = values.ef === undefined ? undefined : intOption(values, 'ef', 64)
  const asOf = values['as-of'] === undefined ? undefined : parseAsOf(values['as-of'] as string)
  const table = await openTable(lake, name as string)
  let hits: Row[]
  try {
    if (mode === 'fulltext' && values.column !== undefined) throw new UsageError('--column names the vector column of a vector or hybrid search')
    const column = searchedColumn(table, values.column as string | undefined, values.text !== undefined && values.vector === undefined && values.like === undefined)
    if (mode === 'vector') {
      const vector = await queryVector(table, values, asOf, column)
      const q = inWords(WORDS, () => {
        let b: SearchBuilder = table.search(vector, { column: column.column }).limit(k)
        // First: an older snapshot's filter and columns are named as its schema had them.
        if (asOf !== undefined) b = b.asOf(asOf)
        if (ef !== undefined) b = b.ef(ef)
        if (values.where !== undefined) b = b.where(values.where as string)
        if (values.select !== undefined) b = b.select(splitList(values.select as string))
        return b
      })
      hits = await run(q, table, values)
    } else {
      const options: TextQueryOptions = {
        limit: k,
        ...(values.where !== undefined && { where: values.where as string }),
        ...(values.select !== undefined && { select: splitList(values.select as string) }),
        ...(asOf !== undefined && { asOf }),
      }
      const text = values.text as string
      // Hybrid: the vector leg's query is --vector, --like's row, or the text embedded by the table's embedder.
      const q = mode === 'fulltext'
        ? inWords(TEXT_WORDS, () => table.fullTextSearch(text, options))
        : await (async () => {
          const vector = await queryVector(table, { ...values, text: values.vector === undefined && values.like === undefined ? text : undefined }, asOf, column)
          return inWords(TEXT_WORDS, () => table.hybridSearch({ ...options, text, vector, column: column.column }))
        })()
      hits = await run(q, table, values)
    }
  } finally {
    await table.close()
  }

  if (values.json === true) {
    io.out(toJson(hits))
    return
  }
  if (hits.length === 0) {
    io.out('no rows found')
    return
  }
  const columns = [...new Set(hits.flatMap((h) => Object.keys(h)))]
  const scores = ['_score', '_bm25', '_distance'].filter((c) => columns.includes(c))
  const ordered = [...columns.filter((c) => !scores.includes(c)), ...scores]
  io.out(renderTable(hits, ordered))
}

/** The vector column searched: `--column`, else (a text query on a table with several) the one whose embedder embeds text, else the primary one. */
function searchedColumn(table: Table, name: string | undefined, text: boolean): { column: string; dim: number; embedder?: { name: string; dim: number } } {
  const policy = table.vector
  if (name === undefined && (!text || policy.extra === undefined)) return { column: policy.column, dim: policy.dim, ...(table.embedder === undefined ? {} : { embedder: table.embedder }) }
  const all = [policy, ...(policy.extra ?? [])]
  if (name !== undefined && !all.some((c) => c.column === name)) throw new UsageError(`--column ${JSON.stringify(name)} is not a vector column of ${table.name}; vector columns: ${all.map((c) => c.column).join(', ')}`)
  if (!text) return { column: name as string, dim: (all.find((c) => c.column === name) as { dim: number }).dim }
  const target = table.textSearchTarget(name)
  return { column: target.column, dim: target.embedder.dim, embedder: target.embedder }
}

async function queryVector(table: Table, values: Values, asOf: bigint | string | Date | undefined, column: ReturnType<typeof searchedColumn>): Promise<Float32Array | number[]> {
  const dim = column.dim
  if (values.vector !== undefined) {
    const v = parseVectorLiteral(values.vector as string, '--vector')
    if (v.length !== dim) throw new AilakeError('DIMENSION_MISMATCH', `--vector has ${v.length} dimensions but ${column.column === table.vector.column ? '' : `column ${column.column} of `}table ${table.name} holds ${dim}-d vectors`)
    return v
  }
  if (values.text !== undefined) {
    const recorded = column.column === table.vector.column ? recordedEmbedder(table) : column.embedder
    if (recorded === undefined) {
      throw new AilakeError('INVALID_ARGUMENT', `table ${table.name} records no embedder, so a --text query cannot be embedded with the model of its rows; search with --vector or --like`)
    }
    const embedder = await embedderNamed(recorded.name)
    try {
      assertSameEmbedder(recorded, embedder, `table ${table.name}`)
      const [v] = await embedder.embed([values.text as string])
      if (v === undefined) throw new AilakeError('INTERNAL', `embedder ${embedder.name} returned no vector for the query`)
      return v
    } finally {
      await embedder.close?.()
    }
  }
  return likeVector(table, values, asOf, column.column)
}

/** The vector of the row whose id column equals `id` (found with a filtered search). */
async function likeVector(table: Table, values: Values, asOf: bigint | string | Date | undefined, column: string): Promise<Float32Array | number[]> {
  const id = values.like as string
  const idColumn = (values['id-column'] as string | undefined) ?? 'id'
  const field = table.columns().find((f) => f.name === idColumn)
  if (field === undefined) {
    throw new AilakeError('NOT_FOUND', `--like needs an id column; table ${table.name} has no column ${JSON.stringify(idColumn)} (pass --id-column; columns: ${table.columns().map((f) => f.name).join(', ')})`)
  }
  const numeric = field.type === 'int' || field.type === 'long' || field.type === 'float' || field.type === 'double'
  if (numeric && !/^-?\d+(\.\d+)?$/.test(id)) throw new AilakeError('INVALID_ARGUMENT', `--like ${JSON.stringify(id)}: column ${idColumn} holds numbers`)
  const literal = numeric ? id : `'${id.replace(/'/g, "''")}'`
  let q = inWords({ 'where(): ': '--id-column: ' }, () => table.search(new Float32Array(table.vector.dim).fill(1)).limit(1).where(`"${idColumn.replace(/"/g, '""')}" = ${literal}`).select([column]))
  if (asOf !== undefined) q = q.asOf(asOf)
  const [row] = await run(q, table, values)
  const v = row?.[column]
  if (v === undefined || v === null) throw new AilakeError('NOT_FOUND', `no row of ${table.name} has ${idColumn} = ${id}`)
  return v as Float32Array | number[]
}

/** A snapshot id (digits) or an ISO 8601 date/time. */
export function parseAsOf(raw: string): bigint | string | Date {
  if (/^\d+$/.test(raw)) return BigInt(raw)
  const d = new Date(raw)
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(d.getTime())) {
    throw new AilakeError('INVALID_ARGUMENT', `--as-of ${JSON.stringify(raw)} is neither a snapshot id nor an ISO date like 2026-01-31T12:00:00Z; see ailake history`)
  }
  return d
}

/** Runs a search; an --as-of that names no snapshot of the table says where to find one. */
export async function run(q: { toArray(): Promise<Row[]> }, table: Table, values: Values): Promise<Row[]> {
  try {
    return await q.toArray()
  } catch (err) {
    const raw = values['as-of']
    if (raw === undefined || !isAilakeError(err, 'NOT_FOUND') || !('snapshotId' in err.context || 'asOf' in err.context)) throw err
    const what = 'snapshotId' in err.context ? `has no snapshot ${String(raw)}` : `had no snapshot yet at ${String(raw)}`
    throw new AilakeError('NOT_FOUND', `--as-of ${String(raw)}: table ${table.name} ${what}; ailake history ${table.name} lists its snapshots`, { cause: err, context: err.context })
  }
}

export function splitList(s: string): string[] {
  const cols = s.split(',').map((c) => c.trim()).filter((c) => c !== '')
  if (cols.length === 0) throw new UsageError('--select needs column names, e.g. --select id,title')
  return cols
}
