/**
 * Snapshots that reads in this process are using right now. Expiry (and optimize, which
 * expires) keeps them, so a search never loses the files of the snapshot it is reading.
 */
const pins = new Map<string, Map<bigint, number>>()

/** Marks `snapshotId` of table `tableUuid` as in use until the returned function is called. */
export function pinSnapshot(tableUuid: string, snapshotId: bigint | null): () => void {
  if (snapshotId === null) return () => {}
  let table = pins.get(tableUuid)
  if (table === undefined) pins.set(tableUuid, table = new Map())
  table.set(snapshotId, (table.get(snapshotId) ?? 0) + 1)
  let released = false
  return () => {
    if (released) return
    released = true
    const n = (table.get(snapshotId) ?? 1) - 1
    if (n > 0) table.set(snapshotId, n)
    else table.delete(snapshotId)
    if (table.size === 0) pins.delete(tableUuid)
  }
}

/** Snapshots of the table in use by reads in this process. */
export function pinnedSnapshots(tableUuid: string): Set<bigint> {
  return new Set(pins.get(tableUuid)?.keys() ?? [])
}
