/**
 * The vector storage policy of a table: which column holds the embeddings, their dimension,
 * metric and on-disk precision, and the HNSW build parameters. It lives in the Iceberg table
 * properties under `ailake.*`, so any engine can see it and ailake needs nothing else.
 */
import { corrupt, invalid } from '../errors.js'
import { checkLanguage, type TextLanguage } from '../text/analyze.js'
import { defaultSubvectors } from '../vector/pq.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import { METRICS, PRECISIONS, type Metric, type Precision } from '../vector/types.js'

/** What every vector column has: its name, vectors and HNSW build parameters. */
export interface VectorColumnParameters {
  /** Column holding the embedding (case-sensitive). */
  column: string
  dim: number
  /** Default `cosine`. */
  metric: Metric
  /** On-disk precision of the vector column. Default `f32` (readable by SQL engines as FLOAT[]). */
  precision: Precision
  /** HNSW out-degree. Default 16. */
  M: number
  /** HNSW build beam width. Default 200. */
  efConstruction: number
  /**
   * The codes each file's index stores for searching without the vectors: `sq8` (default, a
   * byte per dimension) or `pq` (a byte per sub-vector: 8x smaller than SQ8 with the default
   * sub-vectors, for 384-d and wider embeddings; trained per file). Absent: `sq8`.
   */
  codes?: CodesKind
  /** PQ sub-vectors (1..dim); set when `codes` is `pq`. Default one per 8 dimensions. */
  subvectors?: number
}

export type CodesKind = 'sq8' | 'pq'
const CODES_KINDS: readonly CodesKind[] = ['sq8', 'pq']

export interface VectorPolicy extends VectorColumnParameters {
  /**
   * Full-text indexed string columns and their analyser: every data file written for the table
   * carries their inverted index in its section. Absent: no full-text index.
   */
  fullText?: FullTextPolicy
  /**
   * Vector columns after this one (the primary column), each with its own dimension, metric,
   * precision, index parameters and embedder name; absent when the table has one vector column.
   * Every data file carries an index per column. Optimize clusters by the primary column.
   */
  extra?: VectorColumnPolicy[]
}

/** One vector column after the primary one. */
export interface VectorColumnPolicy extends VectorColumnParameters {
  /** The name of the embedder that makes this column's vectors from text (for text search), if any. */
  embedder?: string
}

/** What a user passes for a vector column after the first (`createTable(..., { vectors: { name: ... } })`). */
export interface VectorColumnInput {
  dim: number
  metric?: Metric
  precision?: Precision
  M?: number
  efConstruction?: number
  codes?: CodesKind
  subvectors?: number
  /** The name of the embedder that makes this column's vectors (recorded; a text search names it to pick the column). */
  embedder?: string
}

export const VECTOR_COLUMN_OPTION_KEYS = { dim: true, metric: true, precision: true, M: true, efConstruction: true, codes: true, subvectors: true, embedder: true } as const satisfies OptionKeys<VectorColumnInput>

export interface FullTextPolicy {
  columns: string[]
  language: TextLanguage
}

/** What a user passes; everything but `dim` has a default. */
export interface VectorPolicyInput {
  column?: string
  dim: number
  metric?: Metric
  precision?: Precision
  M?: number
  efConstruction?: number
  /** `sq8` (default) or `pq`: see VectorColumnParameters.codes. */
  codes?: CodesKind
  /** PQ sub-vectors, 1..dim; only with `codes: 'pq'`. Default ceil(dim / 8). */
  subvectors?: number
}

export const VECTOR_POLICY_OPTION_KEYS = { column: true, dim: true, metric: true, precision: true, M: true, efConstruction: true, codes: true, subvectors: true } as const satisfies OptionKeys<VectorPolicyInput>

export const MAX_DIM = 65_536

export function resolveVectorPolicy(input: VectorPolicyInput): VectorPolicy {
  if (input === null || typeof input !== 'object') throw invalid('vector options are required: { column, dim, metric, precision }')
  const column = input.column ?? 'embedding'
  if (typeof column !== 'string' || column.length === 0) throw invalid(`vector.column must be a non-empty string, got ${JSON.stringify(column)}`)
  return { column, ...resolveParameters(input, 'vector') }
}

/** Checks and defaults what every vector column has; `at` names it in messages (`vector`, `vectors.image`). */
function resolveParameters(input: Omit<VectorPolicyInput, 'column'>, at: string): Omit<VectorPolicy, 'column'> {
  const { dim } = input
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw invalid(`${at}.dim must be an integer in [1, ${MAX_DIM}], got ${String(dim)}`, { dim })
  const metric = input.metric ?? 'cosine'
  if (!METRICS.includes(metric)) throw invalid(`${at}.metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(metric)}`)
  const precision = input.precision ?? 'f32'
  if (!PRECISIONS.includes(precision)) throw invalid(`${at}.precision must be one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(precision)}`)
  const M = input.M ?? 16
  if (!Number.isInteger(M) || M < 2 || M > 256) throw invalid(`${at}.M must be an integer in [2, 256], got ${String(M)}`)
  const efConstruction = input.efConstruction ?? 200
  if (!Number.isInteger(efConstruction) || efConstruction < 1 || efConstruction > 10_000) {
    throw invalid(`${at}.efConstruction must be an integer in [1, 10000], got ${String(efConstruction)}`)
  }
  const codes = input.codes ?? 'sq8'
  if (!CODES_KINDS.includes(codes)) throw invalid(`${at}.codes must be one of ${CODES_KINDS.join(', ')}, got ${JSON.stringify(codes)}`)
  if (codes !== 'pq') {
    if (input.subvectors !== undefined) throw invalid(`${at}.subvectors applies to PQ codes only; set ${at}.codes to 'pq' or leave subvectors out`)
    return { dim, metric, precision, M, efConstruction }
  }
  const subvectors = input.subvectors ?? defaultSubvectors(dim)
  if (!Number.isInteger(subvectors) || subvectors < 1 || subvectors > dim) throw invalid(`${at}.subvectors must be an integer in [1, ${dim}] (the dimension), got ${String(input.subvectors)}`)
  return { dim, metric, precision, M, efConstruction, codes, subvectors }
}

/**
 * Checks the vector columns after the primary one (`createTable(..., { vectors })`): an object
 * of column name to options, names distinct from the primary column. Other clashes (scalar,
 * full-text and partition columns) are checked where those are resolved.
 */
export function resolveExtraVectors(input: unknown, primary: string): VectorColumnPolicy[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid(`vectors must be an object of column name to { dim, metric, precision, M, efConstruction, embedder }, got ${JSON.stringify(input)}`)
  }
  return Object.entries(input as Record<string, unknown>).map(([column, spec]) => {
    if (column.length === 0) throw invalid('vectors: a vector column name must be a non-empty string')
    if (column === primary) throw invalid(`vectors.${column}: ${JSON.stringify(column)} is the primary vector column (vector.column); name the other vector columns differently`, { column })
    if (spec === null || typeof spec !== 'object') throw invalid(`vectors.${column} must be an object { dim, metric, precision, M, efConstruction, embedder }, got ${JSON.stringify(spec)}`, { column })
    checkOptions(spec as VectorColumnInput, VECTOR_COLUMN_OPTION_KEYS, `createTable(): vectors.${column}`)
    const { embedder, ...rest } = spec as VectorColumnInput
    if (embedder !== undefined && (typeof embedder !== 'string' || embedder.length === 0)) throw invalid(`vectors.${column}.embedder must be the name of an embedder, got ${JSON.stringify(embedder)}`, { column })
    return { column, ...resolveParameters(rest, `vectors.${column}`), ...(embedder === undefined ? {} : { embedder }) }
  })
}

/** Every vector column of a policy, the primary one first. */
export function vectorColumns(p: VectorPolicy): VectorColumnPolicy[] {
  const { column, dim, metric, precision, M, efConstruction, codes, subvectors } = p
  return [{ column, dim, metric, precision, M, efConstruction, ...(codes === undefined ? {} : { codes }), ...(subvectors === undefined ? {} : { subvectors }) }, ...(p.extra ?? [])]
}

/** The vector column `name` of a policy (default: the primary one); `INVALID_ARGUMENT` naming the columns when it has none by that name. */
export function columnPolicy(p: VectorPolicy, name: string | undefined): VectorColumnPolicy {
  const all = vectorColumns(p)
  const found = name === undefined ? all[0] : all.find((c) => c.column === name)
  if (found === undefined) throw invalid(`${JSON.stringify(name)} is not a vector column of this table; vector columns: ${all.map((c) => c.column).join(', ')}`, { column: name })
  return found
}

/** The names of every vector column of a policy (none without one), the primary one first. */
export function vectorColumnNames(p: VectorPolicy | undefined): string[] {
  return p === undefined ? [] : [p.column, ...(p.extra ?? []).map((c) => c.column)]
}

/** Whether `name` is one of the policy's vector columns (primary or not). */
export function isVectorColumn(p: VectorPolicy | undefined, name: string): boolean {
  return p !== undefined && (p.column === name || (p.extra ?? []).some((c) => c.column === name))
}

/** Table property holding the vector columns after the primary one, a JSON array; older ailake reads only `ailake.vector.*` and ignores it. */
export const EXTRA_VECTORS_PROPERTY = 'ailake.vectors'

export function extraVectorsProperties(extra: readonly VectorColumnPolicy[]): Record<string, string> {
  if (extra.length === 0) return {}
  return {
    [EXTRA_VECTORS_PROPERTY]: JSON.stringify(extra.map((c) => ({
      column: c.column, dim: c.dim, metric: c.metric, precision: c.precision, 'hnsw.m': c.M, 'hnsw.ef-construction': c.efConstruction,
      ...(c.codes === 'pq' ? { codes: c.codes, 'pq.subvectors': c.subvectors } : {}),
      ...(c.embedder === undefined ? {} : { embedder: c.embedder }),
    }))),
  }
}

function extraVectorsFromProperty(text: string, primary: string): VectorColumnPolicy[] {
  let list: unknown
  try {
    list = JSON.parse(text)
  } catch {
    list = undefined
  }
  if (!Array.isArray(list)) throw corrupt(`table property ${EXTRA_VECTORS_PROPERTY} is not a JSON array of vector columns: ${text}`)
  const input: Record<string, VectorColumnInput> = {}
  for (const e of list as unknown[]) {
    const o = (e ?? {}) as Record<string, unknown>
    if (typeof o.column !== 'string' || Object.hasOwn(input, o.column)) throw corrupt(`table property ${EXTRA_VECTORS_PROPERTY} lists a vector column without a name, or twice: ${text}`)
    input[o.column] = {
      dim: o.dim as number,
      ...(o.metric === undefined ? {} : { metric: o.metric as Metric }),
      ...(o.precision === undefined ? {} : { precision: o.precision as Precision }),
      ...(o['hnsw.m'] === undefined ? {} : { M: o['hnsw.m'] as number }),
      ...(o['hnsw.ef-construction'] === undefined ? {} : { efConstruction: o['hnsw.ef-construction'] as number }),
      ...(o.codes === undefined ? {} : { codes: o.codes as CodesKind }),
      ...(o['pq.subvectors'] === undefined ? {} : { subvectors: o['pq.subvectors'] as number }),
      ...(o.embedder === undefined ? {} : { embedder: o.embedder as string }),
    }
  }
  try {
    return resolveExtraVectors(input, primary)
  } catch (err) {
    throw corrupt(`table property ${EXTRA_VECTORS_PROPERTY} is not valid: ${(err as Error).message}`)
  }
}

const PREFIX = 'ailake.vector.'
export const FULLTEXT_COLUMNS_PROPERTY = 'ailake.fulltext.columns'
export const FULLTEXT_LANGUAGE_PROPERTY = 'ailake.fulltext.language'

/** Checks full-text options: distinct non-empty column names, not a vector column. */
export function resolveFullText(columns: unknown, language: unknown, vectorColumn: string, otherVectors: readonly string[] = []): FullTextPolicy {
  if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string' || c.length === 0)) {
    throw invalid(`fullText must be a non-empty array of column names, got ${JSON.stringify(columns)}`)
  }
  if (new Set(columns).size !== columns.length) throw invalid(`fullText lists a column twice: ${JSON.stringify(columns)}`)
  for (const v of [vectorColumn, ...otherVectors]) {
    if (columns.includes(v)) throw invalid(`fullText cannot index the vector column ${JSON.stringify(v)}; list string columns`)
  }
  return { columns: [...columns as string[]], language: checkLanguage(language ?? 'english', 'fullTextLanguage') }
}

export function fullTextProperties(f: FullTextPolicy): Record<string, string> {
  return { [FULLTEXT_COLUMNS_PROPERTY]: JSON.stringify(f.columns), [FULLTEXT_LANGUAGE_PROPERTY]: f.language }
}

export function policyToProperties(p: VectorPolicy): Record<string, string> {
  return {
    'ailake.format-version': '1',
    [PREFIX + 'column']: p.column,
    [PREFIX + 'dim']: String(p.dim),
    [PREFIX + 'metric']: p.metric,
    [PREFIX + 'precision']: p.precision,
    [PREFIX + 'hnsw.m']: String(p.M),
    [PREFIX + 'hnsw.ef-construction']: String(p.efConstruction),
    // Written only for PQ, so a table with the default codes keeps the properties older ailake wrote.
    ...(p.codes === 'pq' ? { [PREFIX + 'codes']: p.codes, [PREFIX + 'pq.subvectors']: String(p.subvectors) } : {}),
  }
}

/** Reads the policy back; `undefined` for a plain Iceberg table that has none. */
export function policyFromProperties(props: Readonly<Record<string, string>>): VectorPolicy | undefined {
  const column = props[PREFIX + 'column']
  if (column === undefined) return undefined
  const num = (k: string): number | undefined => {
    const v = props[PREFIX + k]
    return v === undefined ? undefined : Number(v)
  }
  const input: VectorPolicyInput = { column, dim: num('dim') ?? NaN }
  const metric = props[PREFIX + 'metric']
  const precision = props[PREFIX + 'precision']
  if (metric !== undefined) input.metric = metric as Metric
  if (precision !== undefined) input.precision = precision as Precision
  const M = num('hnsw.m')
  const ef = num('hnsw.ef-construction')
  if (M !== undefined) input.M = M
  if (ef !== undefined) input.efConstruction = ef
  const codes = props[PREFIX + 'codes']
  const subvectors = num('pq.subvectors')
  if (codes !== undefined) input.codes = codes as CodesKind
  if (subvectors !== undefined) input.subvectors = subvectors
  const policy = resolveVectorPolicy(input)
  const extra = props[EXTRA_VECTORS_PROPERTY]
  if (extra !== undefined) {
    const columns = extraVectorsFromProperty(extra, column)
    if (columns.length > 0) policy.extra = columns
  }
  const ft = props[FULLTEXT_COLUMNS_PROPERTY]
  if (ft !== undefined) {
    let columns: unknown
    try {
      columns = JSON.parse(ft)
    } catch {
      throw corrupt(`table property ${FULLTEXT_COLUMNS_PROPERTY} is not a JSON array of column names: ${ft}`)
    }
    policy.fullText = resolveFullText(columns, props[FULLTEXT_LANGUAGE_PROPERTY], column, (policy.extra ?? []).map((c) => c.column))
  }
  return policy
}
