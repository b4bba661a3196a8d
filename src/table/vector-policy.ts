/**
 * The vector storage policy of a table: which column holds the embeddings, their dimension,
 * metric and on-disk precision, and the HNSW build parameters. It lives in the Iceberg table
 * properties under `ailake.*`, so any engine can see it and ailake needs nothing else.
 */
import { corrupt, invalid } from '../errors.js'
import { checkLanguage, type TextLanguage } from '../text/analyze.js'
import type { OptionKeys } from '../util/options.js'
import { METRICS, PRECISIONS, type Metric, type Precision } from '../vector/types.js'

export interface VectorPolicy {
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
   * Full-text indexed string columns and their analyser: every data file written for the table
   * carries their inverted index in its section. Absent: no full-text index.
   */
  fullText?: FullTextPolicy
}

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
}

export const VECTOR_POLICY_OPTION_KEYS = { column: true, dim: true, metric: true, precision: true, M: true, efConstruction: true } as const satisfies OptionKeys<VectorPolicyInput>

export const MAX_DIM = 65_536

export function resolveVectorPolicy(input: VectorPolicyInput): VectorPolicy {
  if (input === null || typeof input !== 'object') throw invalid('vector options are required: { column, dim, metric, precision }')
  const column = input.column ?? 'embedding'
  if (typeof column !== 'string' || column.length === 0) throw invalid(`vector.column must be a non-empty string, got ${JSON.stringify(column)}`)
  const { dim } = input
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw invalid(`vector.dim must be an integer in [1, ${MAX_DIM}], got ${String(dim)}`, { dim })
  const metric = input.metric ?? 'cosine'
  if (!METRICS.includes(metric)) throw invalid(`vector.metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(metric)}`)
  const precision = input.precision ?? 'f32'
  if (!PRECISIONS.includes(precision)) throw invalid(`vector.precision must be one of ${PRECISIONS.join(', ')}, got ${JSON.stringify(precision)}`)
  const M = input.M ?? 16
  if (!Number.isInteger(M) || M < 2 || M > 256) throw invalid(`vector.M must be an integer in [2, 256], got ${String(M)}`)
  const efConstruction = input.efConstruction ?? 200
  if (!Number.isInteger(efConstruction) || efConstruction < 1 || efConstruction > 10_000) {
    throw invalid(`vector.efConstruction must be an integer in [1, 10000], got ${String(efConstruction)}`)
  }
  return { column, dim, metric, precision, M, efConstruction }
}

const PREFIX = 'ailake.vector.'
export const FULLTEXT_COLUMNS_PROPERTY = 'ailake.fulltext.columns'
export const FULLTEXT_LANGUAGE_PROPERTY = 'ailake.fulltext.language'

/** Checks full-text options: distinct non-empty column names, not the vector column. */
export function resolveFullText(columns: unknown, language: unknown, vectorColumn: string): FullTextPolicy {
  if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string' || c.length === 0)) {
    throw invalid(`fullText must be a non-empty array of column names, got ${JSON.stringify(columns)}`)
  }
  if (new Set(columns).size !== columns.length) throw invalid(`fullText lists a column twice: ${JSON.stringify(columns)}`)
  if (columns.includes(vectorColumn)) throw invalid(`fullText cannot index the vector column ${JSON.stringify(vectorColumn)}; list string columns`)
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
  const policy = resolveVectorPolicy(input)
  const ft = props[FULLTEXT_COLUMNS_PROPERTY]
  if (ft !== undefined) {
    let columns: unknown
    try {
      columns = JSON.parse(ft)
    } catch {
      throw corrupt(`table property ${FULLTEXT_COLUMNS_PROPERTY} is not a JSON array of column names: ${ft}`)
    }
    policy.fullText = resolveFullText(columns, props[FULLTEXT_LANGUAGE_PROPERTY], column)
  }
  return policy
}
