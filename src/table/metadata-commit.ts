/**
 * Commits of metadata changes that are not a snapshot of new files (snapshot expiry, relocation,
 * rollback): built on the latest metadata and created as its next version; when a concurrent
 * commit wins, the change is built again on the new head.
 */
import { AilakeError } from '../errors.js'
import type { LoadedTable } from '../catalog/catalog.js'
import type { TableMetadata } from '../format/iceberg/types.js'
import { sleep } from '../util/limiter.js'
import type { IcebergTable } from './iceberg-table.js'

export interface MetadataChange<T> {
  next: TableMetadata
  /** What the caller gets back once `next` is committed. */
  value: T
  /** Removes files written for this attempt: called when it lost the race or failed for certain. */
  discard?: () => Promise<void>
}

const ATTEMPTS = 20

/**
 * Builds `build(base)` on the latest metadata and commits it; undefined when `build` finds
 * nothing to change. `what` names the operation in the error after `ATTEMPTS` lost races.
 */
export async function commitMetadataChange<T>(table: IcebergTable, what: string, build: (base: LoadedTable) => Promise<MetadataChange<T> | undefined>): Promise<{ base: LoadedTable; committed: LoadedTable; value: T } | undefined> {
  for (let attempt = 1; ; attempt++) {
    await table.refresh()
    const base = table.loaded
    const change = await build(base)
    if (change === undefined) return undefined
    let committed: LoadedTable | undefined
    try {
      committed = await table.catalog.commitTable(base, change.next)
    } catch (err) {
      if (!(err instanceof AilakeError && err.context.outcomeUnknown === true)) await change.discard?.()
      throw err
    }
    if (committed !== undefined) {
      table.adopt(committed)
      return { base, committed, value: change.value }
    }
    await change.discard?.()
    if (attempt >= ATTEMPTS) {
      throw new AilakeError('COMMIT_CONFLICT', `${what} on ${table.name} lost the race ${attempt} times to concurrent writers; retry later`, { retryable: true })
    }
    await sleep(Math.random() * Math.min(1000, 10 * 2 ** attempt))
  }
}
