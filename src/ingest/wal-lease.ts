/**
 * One live MemTableWriter per writer id, on any store (S3 included): a lease object
 * `<table>/wal/<writerId>/lease-<epoch>.json` that the owner rewrites every `ttl / 3`. The
 * highest epoch owns the WAL. A successor takes over only a lease that has expired (plus a
 * clock-skew margin) or whose owner is a process on this host that no longer exists, by creating
 * epoch + 1 with a create-if-absent write, so of two successors exactly one wins.
 *
 * The owner fences itself by its own clock: it acknowledges an insert or starts a commit only
 * while `validUntil` (renewal start + ttl - margin) lies ahead, and a renewal that completes
 * after the old validity ended does not count (a successor may have read the old record), so
 * with clocks that differ by less than the margin the two never both act. The commit itself is
 * fenced too (the WAL watermark precondition in mem-table-writer.ts): a writer whose rows a
 * successor committed cannot commit them again.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import type { ObjectStore } from '../store/object-store.js'
import { utf8Decode, utf8Encode } from '../util/bytes.js'
import { walPrefix } from './wal.js'

export interface LeaseOptions {
  /** How long a lease lasts without renewal. Default 30,000 ms (renewed every 10 s). */
  ttlMs?: number
  /** @internal clock (tests) */
  now?: () => number
  /** @internal who we are (tests simulating other processes); default this process */
  owner?: { host: string; pid: number }
}

interface LeaseRecord {
  version: 1
  writerId: string
  token: string
  host: string
  pid: number
  epoch: number
  expiresAt: number
}

const LEASE_KEY = /\/lease-(\d{10})\.json$/

/** Host name and pid of this process, where the runtime has them. */
let self: Promise<{ host: string; pid: number }> | undefined
function thisProcess(): Promise<{ host: string; pid: number }> {
  self ??= (async () => {
    const pid = typeof process !== 'undefined' && typeof process.pid === 'number' ? process.pid : -1
    const host = await import('node:os').then((os) => os.hostname(), () => '')
    return { host, pid }
  })()
  return self
}

/** True when `pid` is certainly gone (only checkable for processes on this host). */
function processGone(pid: number): boolean {
  if (typeof process === 'undefined' || typeof process.kill !== 'function' || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH'
  }
}

function leaseKey(tableKey: string, writerId: string, epoch: number): string {
  return `${walPrefix(tableKey, writerId)}lease-${String(epoch).padStart(10, '0')}.json`
}

function randomToken(): string {
  const b = new Uint8Array(12)
  globalThis.crypto.getRandomValues(b)
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

/** Who holds a writer id, for messages. */
export interface LeaseHolder {
  host: string
  pid: number
  expiresAt: Date
}

export class WalLease {
  readonly writerId: string
  private readonly store: ObjectStore
  private readonly key: string
  private readonly record: LeaseRecord
  private readonly ttl: number
  private readonly margin: number
  private readonly now: () => number
  private validUntil: number
  private lost = false
  private renewing: Promise<void> | undefined

  private constructor(store: ObjectStore, key: string, record: LeaseRecord, ttl: number, now: () => number, start: number) {
    this.store = store
    this.key = key
    this.record = record
    this.writerId = record.writerId
    this.ttl = ttl
    this.margin = ttl / 6
    this.now = now
    this.validUntil = start + ttl - this.margin
  }

  /**
   * Takes the lease of `writerId` if nobody holds it (or its holder is gone); returns the holder
   * instead when it is held.
   */
  static async acquire(store: ObjectStore, tableKey: string, writerId: string, options: LeaseOptions = {}): Promise<WalLease | LeaseHolder> {
    const ttl = leaseTtl(options)
    const now = options.now ?? Date.now
    const me = options.owner ?? await thisProcess()
    for (let attempt = 0; attempt < 8; attempt++) {
      const found = await newestLease(store, tableKey, writerId)
      if (found === 'released') continue
      const { leases, top } = found
      if (top !== undefined && holds(top.record, me, now(), ttl)) return holderOf(top.record)
      const epoch = (top?.record.epoch ?? 0) + 1
      const start = now()
      const record: LeaseRecord = { version: 1, writerId, token: randomToken(), host: me.host, pid: me.pid, epoch, expiresAt: start + ttl }
      const key = leaseKey(tableKey, writerId, epoch)
      if (!(await store.putIfAbsent(key, encodeRecord(record)))) continue // another successor won; look again
      for (const l of leases) await store.delete(l.key).catch(() => undefined)
      return new WalLease(store, key, record, ttl, now, start)
    }
    throw new AilakeError('COMMIT_CONFLICT', `could not take the lease of writer ${JSON.stringify(writerId)}: it changed hands repeatedly; retry`, { retryable: true, context: { writerId } })
  }

  /**
   * Who holds the lease of `writerId`, without taking it: the newest lease record and whether it
   * still holds (as `acquire` would judge), or undefined when there is none.
   */
  static async peek(store: ObjectStore, tableKey: string, writerId: string, options: LeaseOptions = {}): Promise<(LeaseHolder & { live: boolean }) | undefined> {
    const ttl = leaseTtl(options)
    const me = options.owner ?? await thisProcess()
    for (let attempt = 0; attempt < 8; attempt++) {
      const found = await newestLease(store, tableKey, writerId)
      if (found === 'released') continue
      if (found.top === undefined) return undefined
      return { ...holderOf(found.top.record), live: holds(found.top.record, me, (options.now ?? Date.now)(), ttl) }
    }
    return undefined
  }

  /** The lease is ours for at least this long (ms); renew before it runs out. */
  get remainingMs(): number {
    return this.lost ? 0 : this.validUntil - this.now()
  }

  get isLost(): boolean {
    return this.lost
  }

  /** Throws unless the lease is certainly still ours. */
  assertValid(): void {
    if (this.lost || this.now() >= this.validUntil) {
      this.lost = true
      throw new AilakeError('CLOSED', `MemTableWriter ${JSON.stringify(this.writerId)} lost its lease (not renewed within ${this.ttl} ms); another process may have taken over its WAL. Close it and open a new writer: rows it acknowledged are in the WAL and will be recovered`, { context: { writerId: this.writerId, leaseLost: true } })
    }
  }

  /** Whether a renewal is due (a third of the lease has passed). */
  get renewalDue(): boolean {
    return this.remainingMs < this.ttl - this.margin - this.ttl / 3
  }

  /** Extends the lease; a renewal that cannot prove the lease stayed ours marks it lost and throws. */
  async renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => { this.renewing = undefined })
    return this.renewing
  }

  private async renewOnce(): Promise<void> {
    this.assertValid()
    const start = this.now()
    const next = { ...this.record, expiresAt: start + this.ttl }
    await this.store.put(this.key, encodeRecord(next))
    // Landed after our validity ended: a successor may have read the old record and taken over.
    this.assertValid()
    const successor = await this.store.head(this.key.replace(/lease-\d{10}\.json$/, `lease-${String(this.record.epoch + 1).padStart(10, '0')}.json`))
    if (successor !== undefined) {
      this.lost = true
      this.assertValid()
    }
    this.validUntil = start + this.ttl - this.margin
  }

  /** Gives the lease up (the WAL it guarded must be empty or safe to recover by anyone). */
  async release(): Promise<void> {
    this.lost = true
    await this.store.delete(this.key)
  }
}

function leaseTtl(options: LeaseOptions): number {
  const ttl = options.ttlMs ?? 30_000
  if (!Number.isFinite(ttl) || ttl < 10) throw new AilakeError('INVALID_ARGUMENT', `lease ttlMs must be at least 10, got ${String(ttl)}`)
  return ttl
}

/** The lease records of a writer, and the newest one read; 'released' when it vanished while read. */
async function newestLease(store: ObjectStore, tableKey: string, writerId: string): Promise<{ leases: { key: string }[]; top?: { key: string; record: LeaseRecord } } | 'released'> {
  const leases = (await store.list(walPrefix(tableKey, writerId))).filter((o) => LEASE_KEY.test(o.key))
  const top = leases.at(-1)
  if (top === undefined) return { leases }
  try {
    return { leases, top: { key: top.key, record: parseRecord(await store.get(top.key), top.key) } }
  } catch (err) {
    if (isAilakeError(err, 'NOT_FOUND')) return 'released'
    throw err
  }
}

/** Whether `rec` still holds the lease for a process `me` at time `now`. */
function holds(rec: LeaseRecord, me: { host: string; pid: number }, now: number, ttl: number): boolean {
  const gone = rec.host === me.host && rec.host !== '' && processGone(rec.pid)
  // The holder's own fence ends `margin` before expiresAt; waiting `margin` after it covers clock skew.
  return !gone && now <= rec.expiresAt + ttl / 6
}

function holderOf(rec: LeaseRecord): LeaseHolder {
  return { host: rec.host, pid: rec.pid, expiresAt: new Date(rec.expiresAt) }
}

function encodeRecord(r: LeaseRecord): Uint8Array {
  return utf8Encode(JSON.stringify(r))
}

function parseRecord(bytes: Uint8Array, key: string): LeaseRecord {
  let r: unknown
  try {
    r = JSON.parse(utf8Decode(bytes))
  } catch {
    r = undefined
  }
  const o = r as Partial<LeaseRecord> | undefined
  if (o === undefined || o === null || o.version !== 1 || typeof o.expiresAt !== 'number' || typeof o.pid !== 'number' || typeof o.host !== 'string') {
    throw new AilakeError('CORRUPT_DATA', `WAL lease ${key} is not a valid lease record; delete it if no writer with this id is running`, { context: { key } })
  }
  return o as LeaseRecord
}
