/**
 * Partition pruning: a bound filter projected onto partition values (Iceberg's inclusive
 * projection), evaluated on a manifest's partition summaries (skip the manifest unread) and on
 * a data file's partition tuple (skip the file unopened). A leaf `col op v` on a partition source
 * column implies, for each partition field over `col` with transform t: `t(col) = t(v)` for `=`
 * and `in` (every transform), and for order-preserving transforms (all but bucket and void)
 * `t(col) <= t(v)` for `<`, `<=` and `t(col) >= t(v)` for `>`, `>=`; `!=` and `not in` project
 * only through identity. Anything else projects to "may match", so pruning is never wrong.
 */
import { decodeBound } from '../format/iceberg/bounds.js'
import { partitionResultType } from '../format/iceberg/manifest-schema.js'
import { comparePartitionValues as compareValues } from '../format/iceberg/partition-summary.js'
import { decimalText } from '../util/decimal.js'
import { timeText } from '../util/uuid-time.js'
import { applyTransform, parseTransform, preservesOrder, transformText, type Transform } from '../format/iceberg/partition-transform.js'
import type { DataFile, ManifestFile, PartitionSpec, TableMetadata } from '../format/iceberg/types.js'
import { decimalOf, type PrimitiveType, type Schema } from '../format/schema.js'
import type { IcebergTable } from '../table/iceberg-table.js'
import type { LiveFile } from '../table/scan.js'
import type { QueryCaches } from './caches.js'
import type { BoundFilter } from './filter-bind.js'

/** What is known of one partition field's values over a file or a manifest. */
interface Range {
  /** Smallest and largest non-null value (undefined: unknown). */
  lo?: unknown
  hi?: unknown
  /** Whether some value may be null / may be non-null. */
  mayNull: boolean
  mayValue: boolean
}

type Leaf = Extract<BoundFilter, { kind: 'leaf' }>

interface Projected {
  index: number
  transform: Transform
  source: PrimitiveType
}

/** The literal of a bound leaf in its column's JS form (filter keys hold dates as epoch ms). */
function literal(type: PrimitiveType, key: unknown): unknown {
  if (type === 'date' || type === 'timestamp' || type === 'timestamptz') return new Date(key as number)
  if (type === 'time') return timeText(key as bigint)
  const d = decimalOf(type)
  return d === undefined ? key : decimalText(key as bigint, d.scale)
}

/** Whether values in `r` may satisfy `leaf`, through partition field transform `p`. */
function leafMayMatch(leaf: Leaf, p: Projected, r: Range): boolean {
  const t = p.transform
  if (t.kind === 'void') return true
  if (leaf.op === 'is null') return r.mayNull
  if (leaf.op === 'is not null') return r.mayValue
  if (leaf.op === 'is nan' || leaf.op === 'is not nan') return true
  if (!r.mayValue) return false // a comparison with null is never true
  const project = (k: unknown): unknown => applyTransform(t, p.source, literal(leaf.type, k))
  const rt = partitionResultType(transformText(t), p.source)
  const comparePartitionValues = (a: unknown, b: unknown): number => compareValues(a, b, rt)
  const within = (v: unknown): boolean => (r.lo === undefined || comparePartitionValues(r.lo, v) <= 0) && (r.hi === undefined || comparePartitionValues(v, r.hi) <= 0)
  const single = r.lo !== undefined && r.hi !== undefined && !r.mayNull && comparePartitionValues(r.lo, r.hi) === 0 ? r.lo : undefined
  switch (leaf.op) {
    case '=': return within(project(leaf.keys[0]))
    case 'in': return leaf.keys.some((k) => within(project(k)))
    case '!=': return t.kind !== 'identity' || single === undefined || comparePartitionValues(single, project(leaf.keys[0])) !== 0
    case 'not in': return t.kind !== 'identity' || single === undefined || !leaf.keys.some((k) => comparePartitionValues(single, project(k)) === 0)
    case '<': case '<=':
      return !preservesOrder(t) || r.lo === undefined || comparePartitionValues(r.lo, project(leaf.keys[0])) <= 0
    case '>': case '>=':
      return !preservesOrder(t) || r.hi === undefined || comparePartitionValues(r.hi, project(leaf.keys[0])) >= 0
  }
}

/** The partition fields of `spec` over each source column the filter reads (none: nothing to prune). */
function projections(spec: PartitionSpec, schema: Schema): Map<number, Projected[]> {
  const out = new Map<number, Projected[]>()
  spec.fields.forEach((pf, index) => {
    const source = schema.fields.find((f) => f.id === pf.sourceId)
    if (source === undefined || typeof source.type !== 'string') return
    let transform: Transform
    try {
      transform = parseTransform(pf.transform)
    } catch {
      return // a transform ailake does not know never prunes
    }
    let list = out.get(pf.sourceId)
    if (list === undefined) out.set(pf.sourceId, list = [])
    list.push({ index, transform, source: source.type })
  })
  return out
}

function mayMatch(f: BoundFilter, by: Map<number, Projected[]>, range: (index: number) => Range | undefined): boolean {
  if (f.kind !== 'leaf') return f.kind === 'and' ? f.parts.every((p) => mayMatch(p, by, range)) : f.parts.some((p) => mayMatch(p, by, range))
  for (const p of by.get(f.field.id) ?? []) {
    const r = range(p.index)
    if (r !== undefined && !leafMayMatch(f, p, r)) return false
  }
  return true
}

/** True when `filter` reads a source column of some partition field of the table. */
export function constrainsPartitions(filter: BoundFilter, meta: TableMetadata): boolean {
  const sources = new Set(meta.partitionSpecs.flatMap((s) => s.fields.map((f) => f.sourceId)))
  if (sources.size === 0) return false
  const reads = (f: BoundFilter): boolean => (f.kind === 'leaf' ? sources.has(f.field.id) : f.parts.some(reads))
  return reads(filter)
}

/**
 * Prunes by partition for one table and the schema the filter was bound to: `manifest` and
 * `file` are false only when the partition values prove no row can match.
 */
export class PartitionPruner {
  private readonly specs = new Map<number, { spec: PartitionSpec; by: Map<number, Projected[]> }>()

  constructor(private readonly filter: BoundFilter, meta: TableMetadata, private readonly schema: Schema) {
    for (const spec of meta.partitionSpecs) this.specs.set(spec.specId, { spec, by: projections(spec, schema) })
  }

  /** Whether a data manifest may list a matching file, by its manifest-list partition summaries. */
  manifest(m: ManifestFile): boolean {
    const s = this.specs.get(m.partitionSpecId)
    const summaries = m.partitions
    if (s === undefined || summaries === undefined || s.by.size === 0) return true
    return mayMatch(this.filter, s.by, (index) => {
      const sum = summaries[index]
      const pf = s.spec.fields[index]
      const source = pf === undefined ? undefined : this.schema.fields.find((f) => f.id === pf.sourceId)
      if (sum === undefined || pf === undefined || source === undefined) return undefined
      const type = partitionResultType(pf.transform, source.type)
      if (typeof type !== 'string') return undefined
      try {
        const lo = sum.lowerBound === undefined ? undefined : decodeBound(type, sum.lowerBound)
        const hi = sum.upperBound === undefined ? undefined : decodeBound(type, sum.upperBound)
        // Bounds may be left out by a writer, so their absence proves nothing.
        return { lo, hi, mayNull: sum.containsNull, mayValue: true }
      } catch {
        return undefined // unreadable summaries never prune
      }
    })
  }

  /** Whether a data file may hold a matching row, by its partition tuple. */
  file(file: DataFile): boolean {
    const s = this.specs.get(file.specId ?? 0)
    if (s === undefined || s.by.size === 0) return true
    return mayMatch(this.filter, s.by, (index) => {
      const pf = s.spec.fields[index]
      if (pf === undefined || !(pf.name in file.partition)) return undefined
      const v = file.partition[pf.name]
      const isNull = v === null || v === undefined
      return isNull ? { mayNull: true, mayValue: false } : { lo: v, hi: v, mayNull: false, mayValue: true }
    })
  }
}

/** The live files a filtered read plans, with partition pruning where the filter allows it. */
export interface PrunedPlan {
  files: LiveFile[]
  /** Data manifests left out unread by their partition summaries. */
  manifestsPruned: number
  /** Prunes the planned files by their partition tuples (undefined: the filter reads no partition column). */
  pruner: PartitionPruner | undefined
}

/**
 * Plans the live files of `snapshotId` for a read filtered by `filter` (bound to `schema`):
 * without partition constraints, the cached plan of the snapshot; with them, a plan that reads
 * only the data manifests whose partition summaries may match.
 */
export async function planPruned(ctx: { table: IcebergTable; caches: QueryCaches }, snapshotId: bigint | null, filter: BoundFilter | undefined, schema: Schema): Promise<PrunedPlan> {
  const { table, caches } = ctx
  const meta = table.metadata
  if (filter === undefined || !constrainsPartitions(filter, meta)) {
    return { files: await caches.plan(`${meta.tableUuid}@${table.location}@${String(snapshotId)}`, () => table.planFiles(snapshotId)), manifestsPruned: 0, pruner: undefined }
  }
  const pruner = new PartitionPruner(filter, meta, schema)
  let manifestsPruned = 0
  const files = await table.planFiles(snapshotId, {
    dataManifests: (m) => {
      const keep = pruner.manifest(m)
      if (!keep) manifestsPruned++
      return keep
    },
  })
  return { files, manifestsPruned, pruner }
}
