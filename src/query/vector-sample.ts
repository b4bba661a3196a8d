/**
 * A sample of a table's live vectors with the file each came from, for pictures of the table's
 * layout (the console's map). Rows are spread over the files in proportion to their live rows
 * and taken at an even stride within each, so the same snapshot always gives the same sample.
 */
import { invalid } from '../errors.js'
import type { AsOf } from '../table/iceberg-table.js'
import { mapLimit } from '../util/limiter.js'
import { bitAllowed, countAllowed } from '../vector-index/filter.js'
import { foreignHint, liveRows, type FileRowsContext } from './file-rows.js'
import { requirePolicy } from './search.js'

export interface VectorSample {
  /** The data file's path. */
  file: string
  /** The row's position in the file. */
  row: number
  vector: Float32Array
}

/** Most vectors one sample may hold. */
export const MAX_SAMPLE = 10_000

export async function sampleVectors(ctx: FileRowsContext, count: number, asOf?: AsOf): Promise<VectorSample[]> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SAMPLE) throw invalid(`sampleVectors(): count must be an integer in [1, ${MAX_SAMPLE}], got ${String(count)}`)
  const table = ctx.table
  const dim = requirePolicy(table).dim
  const files = await table.planFiles(table.resolveSnapshot(asOf))
  const live = await mapLimit(files, 8, async (lf) => {
    const mask = await liveRows(ctx, lf)
    const n = lf.dataFile.recordCount
    return { lf, mask, n: mask === undefined ? n : countAllowed(mask, n) }
  })
  const total = live.reduce((n, f) => n + f.n, 0)
  const parts = await mapLimit(live, 4, async ({ lf, mask, n }) => {
    const take = Math.min(n, Math.ceil((count * n) / Math.max(1, total)))
    if (take === 0) return []
    // The i-th pick is the floor(i * n / take)-th live row.
    const stride = n / take
    const picked: number[] = []
    for (let r = 0, seen = 0; r < lf.dataFile.recordCount && picked.length < take; r++) {
      if (mask !== undefined && !bitAllowed(mask, r)) continue
      if (seen++ === Math.floor(picked.length * stride)) picked.push(r)
    }
    const f = lf.dataFile
    const reader = await ctx.caches.reader(table.store, table.keyOf(f.filePath), f.fileSizeInBytes, undefined, foreignHint(ctx))
    const vectors = await reader.readVectorsAt(picked)
    return picked.map((row, i) => ({ file: f.filePath, row, vector: vectors.slice(i * dim, (i + 1) * dim) }))
  })
  return parts.flat().slice(0, count)
}
