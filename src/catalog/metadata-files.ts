/**
 * Old metadata files: each commit writes a new `vN.metadata.json` (holding every unexpired
 * snapshot, so tens of KB on a busy table) and logs its predecessor in the metadata log. As in
 * Iceberg, the log keeps the last `write.metadata.previous-versions-max` files and, with
 * `write.metadata.delete-after-commit.enabled`, a commit deletes the files that drop out of it.
 *
 * ailake's defaults differ from Iceberg's (100 files, deletion off), because time travel reads
 * snapshots, which live in the current file: old metadata files serve only readers that opened
 * them moments ago and rollbacks by other engines. So ailake keeps 20 and deletes the rest.
 *
 * Safety: a file leaves the log only once it was superseded more than
 * `ailake.metadata.delete-grace-ms` (default 60 s) ago, so a reader of another engine that has
 * just read `version-hint.text` still finds the file it names. ailake's own loader retries when
 * the newest version it listed is gone, and a committer whose base version was deleted sees a
 * lost race (a newer version exists) and retries on the new head. The current file is never in
 * its own log, so it is never deleted.
 */
import type { TableMetadata } from '../format/iceberg/types.js'

export const PREVIOUS_VERSIONS_MAX = 'write.metadata.previous-versions-max'
export const DELETE_AFTER_COMMIT = 'write.metadata.delete-after-commit.enabled'
export const DELETE_GRACE_MS = 'ailake.metadata.delete-grace-ms'

export const DEFAULT_PREVIOUS_VERSIONS_MAX = 20
export const DEFAULT_DELETE_GRACE_MS = 60_000

type LogEntry = TableMetadata['metadataLog'][number]

function intProperty(meta: TableMetadata, key: string, fallback: number, min: number): number {
  const raw = meta.properties[key]
  const n = raw === undefined ? NaN : Number(raw)
  return Number.isSafeInteger(n) && n >= min ? n : fallback
}

/** How many previous metadata files the log keeps (at least 1). */
export function previousVersionsMax(meta: TableMetadata): number {
  return intProperty(meta, PREVIOUS_VERSIONS_MAX, DEFAULT_PREVIOUS_VERSIONS_MAX, 1)
}

/** Whether a commit deletes the metadata files that leave the log (default true in ailake). */
export function deleteAfterCommit(meta: TableMetadata): boolean {
  return meta.properties[DELETE_AFTER_COMMIT]?.trim().toLowerCase() !== 'false'
}

export function deleteGraceMs(meta: TableMetadata): number {
  return intProperty(meta, DELETE_GRACE_MS, DEFAULT_DELETE_GRACE_MS, 0)
}

/**
 * The metadata log of the version after `base` (read from `baseLocation`): base's log plus base
 * itself, trimmed to the newest `previous-versions-max` entries, except that an older entry
 * stays while its successor is younger than the grace period.
 */
export function nextMetadataLog(base: TableMetadata, baseLocation: string, now = Date.now()): LogEntry[] {
  const log: LogEntry[] = [...base.metadataLog, { timestampMs: base.lastUpdatedMs, metadataFile: baseLocation }]
  const keep = previousVersionsMax(base)
  const grace = deleteGraceMs(base)
  let first = Math.max(0, log.length - keep)
  // Entry i was superseded when entry i + 1 was written; walk back over the recent ones.
  while (first > 0 && (log[first] as LogEntry).timestampMs > now - grace) first--
  return log.slice(first)
}

/** The metadata files that the commit from `base` to `next` dropped from the log. */
export function droppedMetadataFiles(base: TableMetadata, baseLocation: string, next: TableMetadata): string[] {
  const kept = new Set(next.metadataLog.map((e) => e.metadataFile))
  kept.add(baseLocation)
  return base.metadataLog.map((e) => e.metadataFile).filter((f) => !kept.has(f))
}
