/**
 * Which writer id a MemTableWriter writes under: in this process, one open writer per id and
 * table (a set of claims); across processes, the id's lease (wal-lease.ts). Without an explicit
 * id a writer takes the first `auto-<n>` that neither a writer here nor a live lease holds.
 */
import { AilakeError } from '../errors.js'
import type { ObjectStore } from '../store/object-store.js'
import { WalLease, type LeaseHolder, type LeaseOptions } from './wal-lease.js'

/** Writer ids open in this process, per table root (the lease covers other processes). */
const claims = new Set<string>()

/** Auto writer ids tried before giving up (that many live writers on one table). */
const MAX_AUTO_IDS = 1024

export class WriterId {
  private key = ''

  /**
   * `root` identifies the table; `owner` is set only by tests simulating another process, whose
   * writers are not this process's claims.
   */
  constructor(private readonly root: string, private readonly tableName: string, private readonly owner?: { host: string; pid: number }) {}

  private keyOf(writerId: string): string {
    return `${this.root}\u0000${writerId}${this.owner === undefined ? '' : `\u0000${this.owner.host}:${this.owner.pid}`}`
  }

  /** Marks `writerId` as open in this process; ALREADY_EXISTS if it is. */
  claim(writerId: string): void {
    const key = this.keyOf(writerId)
    if (claims.has(key)) {
      throw new AilakeError('ALREADY_EXISTS', `a MemTableWriter with writerId ${JSON.stringify(writerId)} is already open on ${this.tableName}; close it first or pick another writerId`)
    }
    claims.add(key)
    this.key = key
  }

  /** True when a writer of this process holds `writerId` on this table. */
  claimed(writerId: string): boolean {
    return claims.has(this.keyOf(writerId))
  }

  release(): void {
    if (this.key !== '') claims.delete(this.key)
    this.key = ''
  }

  /**
   * Takes the lease of `writerId` (claimed already), or of the first free auto id when it is
   * undefined (claiming it); returns the id and its lease.
   */
  async lease(store: ObjectStore, tableKey: string, writerId: string | undefined, options: LeaseOptions): Promise<{ writerId: string; lease: WalLease }> {
    if (writerId !== undefined) {
      const got = await WalLease.acquire(store, tableKey, writerId, options)
      if (got instanceof WalLease) return { writerId, lease: got }
      throw heldError(writerId, this.tableName, got)
    }
    for (let n = 0; n < MAX_AUTO_IDS; n++) {
      const id = `auto-${n}`
      if (this.claimed(id)) continue
      this.claim(id)
      let got: WalLease | LeaseHolder
      try {
        got = await WalLease.acquire(store, tableKey, id, options)
      } catch (err) {
        this.release()
        throw err
      }
      if (got instanceof WalLease) return { writerId: id, lease: got }
      this.release()
    }
    throw new AilakeError('ALREADY_EXISTS', `all ${MAX_AUTO_IDS} automatic writer ids of ${this.tableName} are held by live writers; close some, or pass a writerId`)
  }
}

function heldError(writerId: string, table: string, holder: LeaseHolder): AilakeError {
  return new AilakeError('ALREADY_EXISTS', `writer id ${JSON.stringify(writerId)} of ${table} is held by process ${holder.pid} on ${holder.host || 'an unknown host'} (lease until ${holder.expiresAt.toISOString()}); pick another writerId, or omit it to get a free one`, { context: { writerId, holderPid: holder.pid, holderHost: holder.host } })
}
