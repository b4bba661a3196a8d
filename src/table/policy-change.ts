/**
 * Changes of what a table indexes, recorded in its properties by one metadata commit with no
 * data rewritten: `setVectorColumn` makes a plain Iceberg table (one Spark, Trino or pyiceberg
 * created) searchable through its `list<float>` column, whose files search scans exactly until
 * `optimize()` rewrites them into indexed ailake files; `setFullText` chooses the full-text
 * columns, and files written before are indexed from their rows when first queried (and get
 * their own block when `optimize()` rewrites them).
 */
import { nextMetadataLog } from '../catalog/metadata-files.js'
import { AilakeError, invalid } from '../errors.js'
import { typeName } from '../format/schema.js'
import { checkOptions } from '../util/options.js'
import type { IcebergTable } from './iceberg-table.js'
import { currentSchema, nextTimestamp, withProperties } from './metadata-builder.js'
import { commitMetadataChange } from './metadata-commit.js'
import { defaultSpec } from './partition.js'
import { parseTransform, transformRefusal } from '../format/iceberg/partition-transform.js'
import type { TableMetadata } from '../format/iceberg/types.js'
import type { TextLanguage } from '../text/analyze.js'
import { fullTextProperties, policyToProperties, resolveFullText, resolveVectorPolicy, VECTOR_POLICY_OPTION_KEYS, type FullTextPolicy, type VectorPolicy, type VectorPolicyInput } from './vector-policy.js'

export async function setVectorColumn(table: IcebergTable, input: VectorPolicyInput): Promise<VectorPolicy> {
  checkOptions(input, VECTOR_POLICY_OPTION_KEYS, 'setVectorColumn()')
  if (input.column === undefined) throw invalid('setVectorColumn(): name the column that holds the vectors: { column, dim, metric }')
  if (input.precision !== undefined && input.precision !== 'f32') {
    throw invalid(`setVectorColumn(): an existing list<float> column is stored as f32; precision ${JSON.stringify(input.precision)} applies only to tables ailake creates`)
  }
  const policy = resolveVectorPolicy(input)
  await commitProperties(table, 'setVectorColumn', (meta) => {
    const current = table.policy
    if (current !== undefined) {
      if (current.column === policy.column && current.dim === policy.dim && current.metric === policy.metric) return undefined
      throw new AilakeError('INVALID_ARGUMENT', `table ${table.name} already has the vector column ${current.column} (${current.dim}-d, ${current.metric}); it cannot be changed`, { context: { column: current.column } })
    }
    const schema = currentSchema(meta)
    // ailake's writers will write this table: its default spec must be one they can write.
    for (const pf of defaultSpec(meta).fields) {
      const source = schema.fields.find((f) => f.id === pf.sourceId)
      const refusal = source === undefined ? `its source column ${pf.sourceId} is not in the current schema` : transformRefusal(parseTransform(pf.transform), source.type)
      if (refusal !== undefined) throw new AilakeError('UNSUPPORTED', `table ${table.name} is partitioned by ${pf.transform}(${pf.name}), which ailake cannot write: ${refusal}`, { context: { partitioned: true } })
    }
    const field = schema.fields.find((f) => f.name === policy.column)
    if (field === undefined) {
      throw invalid(`setVectorColumn(): table ${table.name} has no column ${JSON.stringify(policy.column)} (names are case-sensitive); columns: ${schema.fields.map((f) => f.name).join(', ')}`, { column: policy.column })
    }
    const t = field.type
    if (typeof t !== 'object' || t.type !== 'list' || t.element !== 'float') {
      throw invalid(`setVectorColumn(): column ${policy.column} is ${typeName(t)}; a vector column must be list<float> (float32 elements)`, { column: policy.column })
    }
    return policyToProperties(policy)
  })
  return table.policy as VectorPolicy
}

/**
 * Sets the full-text columns (string columns of the current schema) and their analyser; files
 * written before are indexed from their rows when first queried. Returns the policy.
 */
export async function setFullText(table: IcebergTable, columns: readonly string[], language?: TextLanguage): Promise<FullTextPolicy> {
  const policy = table.policy
  if (policy === undefined) throw new AilakeError('UNSUPPORTED', `table ${table.name} has no vector column; give it one with setVectorColumn() first`)
  const ft = resolveFullText(columns, language, policy.column)
  await commitProperties(table, 'setFullText', (meta) => {
    const schema = currentSchema(meta)
    for (const c of ft.columns) {
      const field = schema.fields.find((f) => f.name === c)
      if (field?.type !== 'string') throw new AilakeError('SCHEMA_MISMATCH', `setFullText(): column ${JSON.stringify(c)} ${field === undefined ? `is not in table ${table.name} (columns: ${schema.fields.map((f) => f.name).join(', ')})` : `is ${typeName(field.type)}, not a string column`}`, { context: { column: c } })
    }
    const current = table.policy?.fullText
    if (current !== undefined && current.language === ft.language && JSON.stringify(current.columns) === JSON.stringify(ft.columns)) return undefined
    return fullTextProperties(ft)
  })
  return table.policy?.fullText as FullTextPolicy
}

/** Commits the properties `build` returns on the latest metadata (undefined: nothing to change). */
async function commitProperties(table: IcebergTable, what: string, build: (meta: TableMetadata) => Record<string, string> | undefined): Promise<void> {
  await commitMetadataChange(table, what, async (base) => {
    const meta = base.metadata
    const set = build(meta)
    if (set === undefined) return undefined
    return { next: { ...withProperties(meta, set), lastUpdatedMs: nextTimestamp(meta), metadataLog: nextMetadataLog(meta, base.metadataLocation) }, value: undefined }
  })
}
