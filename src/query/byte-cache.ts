/**
 * A map bounded by the summed sizes of its values, for the query caches. Eviction takes the
 * least recently used entries, but a new entry is admitted only when it was asked for more
 * more often than every entry it would evict (a TinyLFU-style admission filter, see `outranks`): when a query's
 * working set is larger than the budget, plain LRU evicts on every query exactly the entries
 * the next query needs (a cyclic access of more than fits hits 0%), while this keeps a stable
 * part of the set resident and lets the rest miss. Counts are capped and halved periodically,
 * so entries that stop being asked for lose to new ones and every entry can be evicted.
 */

/** Highest count kept per key: a burst cannot make a key outlive a change of workload for long. */
const MAX_COUNT = 15
/** Accesses per aging step, per entry held (at least `MIN_WINDOW`): counts are halved after them. */
const WINDOW_PER_ENTRY = 8
const MIN_WINDOW = 512

/**
 * Whether a key asked for `c` times displaces an entry asked for `v` times: an entry not asked
 * for since the last aging always; otherwise only by a margin of 2, because aging mid-way through
 * a cyclic pass leaves the keys asked for after it one count ahead of those asked for before,
 * and a margin of 1 would then swap the resident set for the rest of the pass.
 */
function outranks(c: number, v: number): boolean {
  return v === 0 || c > v + 1
}

export class ByteCache<V> {
  /** Entries in recency order, least recent first. */
  private readonly map = new Map<string, { value: V; size: number }>()
  /** How often each key was asked for lately (held or not). */
  private readonly counts = new Map<string, number>()
  private total = 0
  private accesses = 0

  constructor(private limit: number) {}

  /** The bound on the summed sizes. */
  get max(): number { return this.limit }

  /** Changes the bound, evicting least recently used entries down to it. */
  resize(max: number): void {
    this.limit = max
    this.trim()
  }

  /** The value under `key`, now the most recent; counts the access either way. */
  get(key: string): V | undefined {
    this.count(key)
    const e = this.map.get(key)
    if (e === undefined) return undefined
    this.map.delete(key)
    this.map.set(key, e)
    return e.value
  }

  /**
   * Holds `value` (of `size`) under `key`, replacing what the key held, if it fits the budget
   * by evicting entries asked for less often than it; returns whether it is held. A value that
   * is not held is simply not cached: its caller still uses it.
   */
  set(key: string, value: V, size = 1): boolean {
    const old = this.map.get(key)
    if (old !== undefined) {
      this.total -= old.size
      this.map.delete(key)
    }
    if (size > this.max || (this.total + size > this.max && !this.admits(key, size))) return false
    this.map.set(key, { value, size })
    this.total += size
    this.trim()
    return true
  }

  private trim(): void {
    for (const [k, e] of this.map) {
      if (this.total <= this.limit) break
      // An entry of size 0 (a load in flight) frees nothing.
      if (e.size === 0) continue
      this.map.delete(k)
      this.total -= e.size
    }
  }

  delete(key: string): void {
    const e = this.map.get(key)
    if (e === undefined) return
    this.total -= e.size
    this.map.delete(key)
  }

  /** The value under `key`, without counting the access or changing its recency. */
  peek(key: string): V | undefined { return this.map.get(key)?.value }

  /** Summed sizes of the entries held. */
  get size(): number { return this.total }

  /** Entries held. */
  get entries(): number { return this.map.size }

  clear(): void {
    this.map.clear()
    this.counts.clear()
    this.total = 0
    this.accesses = 0
  }

  /** Whether `key` (of `size`) was asked for more often than each entry that would make room for it. */
  private admits(key: string, size: number): boolean {
    const c = this.counts.get(key) ?? 0
    let free = this.max - this.total
    for (const [k, e] of this.map) {
      if (free >= size) break
      if (e.size === 0) continue
      if (!outranks(c, this.counts.get(k) ?? 0)) return false
      free += e.size
    }
    return free >= size
  }

  private count(key: string): void {
    this.counts.set(key, Math.min(MAX_COUNT, (this.counts.get(key) ?? 0) + 1))
    if (++this.accesses < Math.max(MIN_WINDOW, WINDOW_PER_ENTRY * this.map.size)) return
    // Aging: halve every count; keys down to 0 are forgotten, which also bounds the map.
    this.accesses = 0
    for (const [k, n] of this.counts) {
      if (n <= 1) this.counts.delete(k)
      else this.counts.set(k, n >> 1)
    }
  }
}
