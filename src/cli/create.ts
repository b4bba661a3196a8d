/** `ailake create`: an empty table with a vector column, optionally its embedder and columns. */
import { AilakeError, isAilakeError, probeDim, type CodesKind, type Embedder, type Lakehouse, type Metric, type Precision, type SchemaInput, type TextLanguage, type VectorColumnInput } from '../index.js'
import { intOption, type Command, type Io, type Values } from './command.js'
import { UsageError } from './exit-codes.js'
import { embedderNamed, reworded } from './words.js'

// The API names these values as createTable's options; the user typed the flags.
const WORDS = {
  'vector.dim': '--dim',
  'vector.metric': '--metric',
  'vector.precision': '--precision',
  'vector.column': '--column',
  'vector.codes': '--codes',
  'vector.subvectors': '--subvectors',
  'schema column': '--columns: column',
  fullTextLanguage: '--fts-language',
  fullText: '--fts',
  'full-text column': '--fts column',
  'createTable(): partitionBy': '--partition-by',
  'createTable(): vectors': '--vectors',
  'vectors.': '--vectors column ',
} as const

export const createCommand: Command = {
  positionals: ['table'],
  options: {
    dim: { type: 'string' }, metric: { type: 'string' }, precision: { type: 'string' }, column: { type: 'string' }, embedder: { type: 'string' }, columns: { type: 'string' },
    fts: { type: 'string' }, 'fts-language': { type: 'string' }, 'partition-by': { type: 'string' }, vectors: { type: 'string' },
    codes: { type: 'string' }, subvectors: { type: 'string' },
  },
  async run(lake, [name], values, io) {
    const embedderName = values.embedder as string | undefined
    let dim = values.dim === undefined ? undefined : intOption(values, 'dim', 0)
    const embedder = embedderName === undefined ? undefined : await embedderNamed(embedderName)
    try {
      if (embedder !== undefined) {
        const edim = await probeDim(embedder)
        if (dim !== undefined && dim !== edim) {
          throw new AilakeError('DIMENSION_MISMATCH', `--dim ${dim} does not match the embedder ${embedder.name}, which makes ${edim}-d vectors; drop --dim or use ${edim}`)
        }
        dim = edim
      }
      await create(lake, name as string, values, dim, embedder, io)
    } finally {
      await embedder?.close?.()
    }
  },
}

async function create(lake: Lakehouse, name: string, values: Values, dim: number | undefined, embedder: Embedder | undefined, io: Io): Promise<void> {
  if (dim === undefined) throw new UsageError('create needs --dim N (or --embedder, which knows its dimension); run ailake create --help')
  const vector = {
    dim,
    ...(values.metric !== undefined && { metric: values.metric as Metric }),
    ...(values.precision !== undefined && { precision: values.precision as Precision }),
    ...(values.column !== undefined && { column: values.column as string }),
    ...(values.codes !== undefined && { codes: values.codes as CodesKind }),
    ...(values.subvectors !== undefined && { subvectors: intOption(values, 'subvectors', 1) }),
  }
  const schema = values.columns === undefined ? undefined : parseColumns(values.columns as string)
  if (values['fts-language'] !== undefined && values.fts === undefined) throw new UsageError('--fts-language needs --fts (the columns to full-text index)')
  const fullText = values.fts === undefined ? undefined : (values.fts as string).split(',').map((c) => c.trim())
  const partitionBy = values['partition-by'] === undefined ? undefined : splitTopLevel(values['partition-by'] as string)
  const vectors = values.vectors === undefined ? undefined : parseVectors(values.vectors as string)
  if (partitionBy !== undefined && schema === undefined) throw new UsageError('--partition-by needs --columns: the partition source columns must be declared when the table is created')
  let table
  try {
    table = await lake.createTable(name, {
      vector, ...(embedder !== undefined && { embedder }), ...(schema !== undefined && { schema }),
      ...(fullText !== undefined && { fullText }), ...(partitionBy !== undefined && { partitionBy }), ...(vectors !== undefined && { vectors }), ...(values['fts-language'] !== undefined && { fullTextLanguage: values['fts-language'] as TextLanguage }),
    })
  } catch (err) {
    if (isAilakeError(err, 'ALREADY_EXISTS') && typeof err.context.table === 'string') {
      throw new AilakeError('ALREADY_EXISTS', `table ${err.context.table} already exists; choose another name (ailake tables lists the tables)`, { cause: err, context: err.context })
    }
    throw reworded(err, WORDS)
  }
  const v = table.vector
  const fts = v.fullText === undefined ? '' : `, full text ${v.fullText.columns.join(', ')} (${v.fullText.language})`
  const parts = (vectors === undefined ? '' : Object.entries(vectors).map(([name, c]) => `, ${name} ${c.dim}-d${c.metric === undefined ? '' : ` ${c.metric}`}${c.precision === undefined ? '' : ` ${c.precision}`}`).join('')) +
    (partitionBy === undefined ? '' : `, partitioned by ${partitionBy.join(', ')}`)
  const pq = v.codes === 'pq' ? `, PQ codes (${v.subvectors} sub-vectors)` : ''
  io.out(`created ${table.name}: ${v.column} ${v.dim}-d ${v.metric} ${v.precision}${pq}${table.embedder === undefined ? '' : `, embedder ${table.embedder.name}`}${fts}${parts}`)
}

function parseColumns(spec: string): SchemaInput {
  const out: Record<string, string> = {}
  // A comma inside parentheses belongs to a type (`price:decimal(12,2)`).
  for (const part of spec.split(/,(?![^(]*\))/)) {
    const m = /^\s*([^:\s]+)\s*:\s*([a-z]+(?:\(\s*\d+\s*,\s*\d+\s*\))?)\s*$/.exec(part)
    if (m === null) throw new UsageError(`--columns entry ${JSON.stringify(part)} must look like name:type, e.g. "id:long,title:string"`)
    out[m[1] as string] = m[2] as string
  }
  return out as SchemaInput
}

/** `"tenant, bucket(16, id)"` -> `['tenant', 'bucket(16, id)']`: commas inside a call do not split. */
function splitTopLevel(spec: string): string[] {
  const out: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i <= spec.length; i++) {
    const c = spec[i]
    if (c === '(') depth++
    else if (c === ')') depth--
    else if (i === spec.length || (c === ',' && depth === 0)) {
      const part = spec.slice(start, i).trim()
      if (part === '') throw new UsageError(`--partition-by ${JSON.stringify(spec)} has an empty entry; list columns or transforms, e.g. "tenant,day(ts),bucket(16, id)"`)
      out.push(part)
      start = i + 1
    }
  }
  return out
}

/** `"image:512:euclidean:f16,audio:128"` -> `{ image: { dim: 512, metric, precision }, audio: { dim: 128 } }`. */
function parseVectors(spec: string): Record<string, VectorColumnInput> {
  const out: Record<string, VectorColumnInput> = {}
  for (const part of spec.split(',')) {
    const m = /^\s*([^:\s]+)\s*:\s*(\d+)\s*(?::\s*([a-z]+)\s*)?(?::\s*([a-z0-9]+)\s*)?$/.exec(part)
    if (m === null) throw new UsageError(`--vectors entry ${JSON.stringify(part)} must look like name:dim[:metric[:precision]], e.g. "image:512:euclidean:f16"`)
    const [, name, dim, metric, precision] = m as unknown as [string, string, string, string | undefined, string | undefined]
    if (name in out) throw new UsageError(`--vectors names column ${name} twice`)
    out[name] = { dim: Number(dim), ...(metric === undefined ? {} : { metric: metric as Metric }), ...(precision === undefined ? {} : { precision: precision as Precision }) }
  }
  return out
}
