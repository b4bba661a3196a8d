/**
 * The WAL watermark of a writer: the highest WAL sequence number of that writer a table holds.
 * Each flush commit sets it in the table properties (`ailake.wal.<writerId>`) in the same atomic
 * metadata write that adds the rows, and also records it in the snapshot summary. Properties
 * survive snapshot expiry, so recovery never replays a record a table already holds; summaries
 * are still read for tables written before the property existed.
 */
import { AilakeError } from '../errors.js'
import type { TableMetadata } from '../format/iceberg/types.js'

export function walWatermarkKey(writerId: string): string {
  return `ailake.wal.${writerId}`
}

const cache = new WeakMap<TableMetadata, Map<string, number>>()

function parse(v: string | undefined): number {
  const n = Number(v ?? 0)
  return Number.isSafeInteger(n) && n > 0 ? n : 0
}

/** Highest WAL seq of `writerId` that `meta` holds (0 if none). */
export function walWatermark(meta: TableMetadata, writerId: string): number {
  let byWriter = cache.get(meta)
  if (byWriter === undefined) {
    byWriter = new Map()
    cache.set(meta, byWriter)
  }
  const hit = byWriter.get(writerId)
  if (hit !== undefined) return hit
  const key = walWatermarkKey(writerId)
  let max = parse(meta.properties[key])
  for (const s of meta.snapshots) max = Math.max(max, parse(s.summary[key]))
  byWriter.set(writerId, max)
  return max
}

/** Every writer id with a watermark in `meta` (property or summary), with its value. */
export function walWatermarks(meta: TableMetadata): Map<string, number> {
  const out = new Map<string, number>()
  const prefix = walWatermarkKey('')
  const note = (k: string, v: string | undefined): void => {
    if (!k.startsWith(prefix)) return
    const id = k.slice(prefix.length)
    out.set(id, Math.max(out.get(id) ?? 0, parse(v)))
  }
  for (const [k, v] of Object.entries(meta.properties)) note(k, v)
  for (const s of meta.snapshots) for (const [k, v] of Object.entries(s.summary)) note(k, v)
  return out
}

/**
 * What a commit of `writerId`'s WAL records up to `maxSeq` adds to its snapshot: the watermark
 * in the summary and the table properties, and a fence: the commit lands only on a base whose
 * watermark is still `expected` (what this writer last saw), so rows that another process (a
 * successor that took over the WAL) already committed are never committed twice.
 */
export function walCommitOptions(writerId: string, maxSeq: number, expected: () => number): {
  summary: Record<string, string>
  setProperties: Record<string, string>
  precondition: (base: TableMetadata) => void
} {
  const key = walWatermarkKey(writerId)
  return {
    summary: { [key]: String(maxSeq) },
    setProperties: { [key]: String(maxSeq) },
    precondition: (base) => {
      const seen = walWatermark(base, writerId)
      if (seen !== expected()) {
        throw new AilakeError('COMMIT_CONFLICT', `WAL of writer ${JSON.stringify(writerId)} was committed up to seq ${seen} by another process (this writer expected ${expected()}); it lost its lease, so it commits nothing: close it and open a new writer`, { context: { writerId, seen, expected: expected(), walFenced: true } })
      }
    },
  }
}

/** True for the error `walCommitOptions`' fence throws. */
export function isWalFenced(err: unknown): boolean {
  return err instanceof AilakeError && err.context.walFenced === true
}
