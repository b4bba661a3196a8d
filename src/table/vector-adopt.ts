/**
 * Making a plain Iceberg table (one Spark, Trino or pyiceberg created) searchable: its existing
 * `list<float>` column becomes the vector column by recording the vector policy in the table
 * properties, one metadata commit, no data rewritten. Its files have no ailake section, so
 * search scans them exactly until `optimize()` rewrites them into indexed ailake files.
 */
import { nextMetadataLog } from '../catalog/metadata-files.js'
import { AilakeError, invalid } from '../errors.js'
import { typeName } from '../format/schema.js'
import { checkOptions } from '../util/options.js'
import type { IcebergTable } from './iceberg-table.js'
import { currentSchema, nextTimestamp, withProperties } from './metadata-builder.js'
import { commitMetadataChange } from './metadata-commit.js'
import { policyToProperties, resolveVectorPolicy, VECTOR_POLICY_OPTION_KEYS, type VectorPolicy, type VectorPolicyInput } from './vector-policy.js'

export async function setVectorColumn(table: IcebergTable, input: VectorPolicyInput): Promise<VectorPolicy> {
  checkOptions(input, VECTOR_POLICY_OPTION_KEYS, 'setVectorColumn()')
  if (input.column === undefined) throw invalid('setVectorColumn(): name the column that holds the vectors: { column, dim, metric }')
  if (input.precision !== undefined && input.precision !== 'f32') {
    throw invalid(`setVectorColumn(): an existing list<float> column is stored as f32; precision ${JSON.stringify(input.precision)} applies only to tables ailake creates`)
  }
  const policy = resolveVectorPolicy(input)
  await commitMetadataChange(table, 'setVectorColumn', async (base) => {
    const meta = base.metadata
    const current = table.policy
    if (current !== undefined) {
      if (current.column === policy.column && current.dim === policy.dim && current.metric === policy.metric) return undefined
      throw new AilakeError('INVALID_ARGUMENT', `table ${table.name} already has the vector column ${current.column} (${current.dim}-d, ${current.metric}); it cannot be changed`, { context: { column: current.column } })
    }
    const spec = meta.partitionSpecs.find((p) => p.specId === meta.defaultSpecId)
    if (spec !== undefined && spec.fields.length > 0) {
      throw new AilakeError('UNSUPPORTED', `table ${table.name} is partitioned (${spec.fields.map((f) => `${f.transform}(${f.name})`).join(', ')}); ailake reads partitioned tables but does not write them yet, so it cannot take one over`, { context: { partitioned: true } })
    }
    const schema = currentSchema(meta)
    const field = schema.fields.find((f) => f.name === policy.column)
    if (field === undefined) {
      throw invalid(`setVectorColumn(): table ${table.name} has no column ${JSON.stringify(policy.column)} (names are case-sensitive); columns: ${schema.fields.map((f) => f.name).join(', ')}`, { column: policy.column })
    }
    const t = field.type
    if (typeof t !== 'object' || t.type !== 'list' || t.element !== 'float') {
      throw invalid(`setVectorColumn(): column ${policy.column} is ${typeName(t)}; a vector column must be list<float> (float32 elements)`, { column: policy.column })
    }
    return {
      next: { ...withProperties(meta, policyToProperties(policy)), lastUpdatedMs: nextTimestamp(meta), metadataLog: nextMetadataLog(meta, base.metadataLocation) },
      value: undefined,
    }
  })
  return table.policy as VectorPolicy
}
