/**
 * The writing side of the WAL (format and recovery rules: wal.ts). With an appendable store, one
 * segment per flush window receives every record; `rotate()` at each flush starts the next, so
 * a committed flush can delete whole segments. Without one, each record is put as its own
 * segment, atomically.
 */
import { AilakeError } from '../errors.js'
import type { AppendableObject, ObjectStore } from '../store/object-store.js'
import { mapLimit } from '../util/limiter.js'
import { segmentKey, type WalSegmentInfo } from './wal.js'

interface Active {
  key: string
  handle: AppendableObject
}

export class WalLog {
  private readonly store: ObjectStore
  private readonly tableKey: string
  private readonly writerId: string
  /** Every segment not yet deleted, in seq order; the last one may be `active`. */
  private segments: WalSegmentInfo[] = []
  private active: Active | undefined
  private closing: Promise<unknown>[] = []
  /** The next record must carry `restart`: the segment before it may end torn. */
  private restartNext = false

  constructor(store: ObjectStore, tableKey: string, writerId: string) {
    this.store = store
    this.tableKey = tableKey
    this.writerId = writerId
  }

  /** Takes over the segments recovery found; `tornTail` when the newest of them ends in a torn record. */
  adopt(segments: readonly WalSegmentInfo[], tornTail: boolean): void {
    this.segments = [...segments]
    this.restartNext = tornTail
  }

  /** True when each append writes into a shared segment (the store can append). */
  get appends(): boolean {
    return this.store.createAppendable !== undefined
  }

  /**
   * Makes record `seq` durable; `encode(restart)` produces its bytes. A failed append abandons
   * its segment (it may now end in a partial record) so the next record starts a new one,
   * marked `restart`. Throws COMMIT_CONFLICT if the segment exists: another process writes
   * with the same writerId.
   */
  async append(seq: number, encode: (restart: boolean) => Uint8Array): Promise<void> {
    if (this.store.createAppendable === undefined) {
      const key = segmentKey(this.tableKey, this.writerId, seq)
      if (!(await this.store.putIfAbsent(key, encode(false)))) throw this.conflict(seq)
      this.segments.push({ key, lastSeq: seq })
      return
    }
    let active = this.active
    if (active === undefined) {
      const key = segmentKey(this.tableKey, this.writerId, seq)
      const handle = await this.store.createAppendable(key)
      if (handle === undefined) throw this.conflict(seq)
      active = { key, handle }
      this.active = active
      this.segments.push({ key, lastSeq: seq - 1 })
    }
    const restart = this.restartNext
    try {
      await active.handle.append(encode(restart))
    } catch (err) {
      this.rotate()
      this.restartNext = true
      throw err
    }
    this.restartNext = false
    const info = this.segments.at(-1)
    if (info !== undefined && info.key === active.key) info.lastSeq = seq
  }

  /** The next append starts a new segment (called when a flush takes the buffered records). */
  rotate(): void {
    const active = this.active
    if (active === undefined) return
    this.active = undefined
    this.closing.push(active.handle.close().catch(() => undefined))
  }

  /** Deletes the segments whose records all have seq <= `maxSeq` (committed). Failures are harmless: recovery deletes them. */
  async deleteCommitted(maxSeq: number): Promise<void> {
    const done = this.segments.filter((s) => s.lastSeq <= maxSeq && s.key !== this.active?.key)
    if (done.length === 0) return
    this.segments = this.segments.filter((s) => !done.includes(s))
    await Promise.all(this.closing.splice(0))
    await mapLimit(done, 16, (s) => this.store.delete(s.key).catch(() => undefined))
  }

  /** Closes the open segment (its records stay for recovery until committed). */
  async close(): Promise<void> {
    this.rotate()
    await Promise.all(this.closing.splice(0))
  }

  private conflict(seq: number): AilakeError {
    return new AilakeError('COMMIT_CONFLICT', `WAL segment ${seq} of writer ${JSON.stringify(this.writerId)} already exists: another process is writing with the same writerId`, { context: { writerId: this.writerId, seq } })
  }
}
