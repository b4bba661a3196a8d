/**
 * Memory for the vectors of a MemTableWriter's inserts: slabs of shared memory, each filled in
 * insert order by the inserts of one flush window, so a flush finds its rows' vectors already
 * contiguous and hands the flush worker a view of them instead of copying them into a new array
 * (the worker reads shared memory in place; nothing is transferred, so the buffered rows stay
 * readable until they commit). Fresh memory is slow to first touch (measured here: ~4.6 ms per
 * MB, a page fault per 4 KB): once a quarter of a window fills a new slab (a bulk stream, not a
 * trickle that would hold the memory for nothing), the flush worker touches the rest of its pages
 * while inserts go on, and a slab whose rows all committed is reused whole.
 *
 * A slab is written only at its free end and only by the insert that reserved the space, and is
 * reused only once every entry in it has committed, by which time the flush that read it is done
 * with it: no array a caller or a flush holds ever changes.
 */

export interface Slab {
  readonly memory: SharedArrayBuffer
  readonly floats: Float32Array
  /** Floats in use from the start (held by buffer entries, committed or not, until reuse). */
  used: number
  /** Buffer entries holding vectors in this slab and not yet committed. */
  live: number
  /** `onFilling` was told of this slab. */
  announced: boolean
}

// A slab reserves twice its window (address space only: pages are backed when written), so a
// window's last insert, which may overshoot the flush threshold, still fits.
const SLACK = 2
// Larger windows span slabs (and flush by copying): no single reservation beyond this.
const MAX_SLAB_BYTES = 512 * 2 ** 20
// Slabs kept for reuse besides the one being filled: two flushes may be in flight.
const MAX_FREE = 2

export class InsertArena {
  private readonly capacity: number
  private current: Slab | undefined
  private readonly free: Slab[] = []
  /** The view `take` last gave out, not yet held by an entry. */
  private pending: { slab: Slab; view: Float32Array } | undefined

  /**
   * `windowFloats`: the vector floats of one flush window. `onFilling(memory, bytes)` is told
   * once of each slab a quarter of a window has filled, with the bytes a window fills (to have
   * them touched off this thread).
   */
  constructor(readonly windowFloats: number, private readonly onFilling?: (memory: SharedArrayBuffer, bytes: number) => void) {
    this.capacity = Math.max(1024, Math.min(Math.ceil(windowFloats) * SLACK, MAX_SLAB_BYTES / Float32Array.BYTES_PER_ELEMENT))
  }

  /**
   * An array of `length` floats for an insert's vectors: the next free space of the slab being
   * filled (a new or reused slab when it does not fit), or a plain array for an insert larger
   * than half a slab. The space is the insert's once `hold` is called with the array; until then
   * the next `take` hands out the same space again (the insert failed).
   */
  take(length: number): Float32Array {
    if (length * 2 > this.capacity) return new Float32Array(length)
    let slab = this.current
    if (slab === undefined || slab.used + length > this.capacity) {
      if (slab !== undefined) this.retire(slab)
      slab = this.free.pop() ?? this.allocate()
      this.current = slab
    }
    const view = slab.floats.subarray(slab.used, slab.used + length)
    this.pending = { slab, view }
    return view
  }

  /** An entry now holds `vectors`: the slab it lies in (its space is taken), or undefined for other arrays. */
  hold(vectors: Float32Array): Slab | undefined {
    const p = this.pending
    if (p === undefined || p.view !== vectors) return undefined
    this.pending = undefined
    const slab = p.slab
    slab.used = (vectors.byteOffset >> 2) + vectors.length
    slab.live++
    const window = Math.min(this.capacity, Math.ceil(this.windowFloats))
    if (!slab.announced && slab.used * 4 >= window) {
      slab.announced = true
      this.onFilling?.(slab.memory, window * Float32Array.BYTES_PER_ELEMENT)
    }
    return slab
  }

  /** An entry holding vectors in `slab` committed; an emptied slab is reused from its start. */
  release(slab: Slab): void {
    slab.live--
    if (slab.live > 0 || this.pending?.slab === slab) return
    if (slab === this.current) slab.used = 0
    else if (!this.free.includes(slab)) this.recycle(slab)
  }

  /** Later inserts go to another slab: a flush took every entry of this one. */
  seal(): void {
    const slab = this.current
    if (slab === undefined || this.pending?.slab === slab) return
    this.current = undefined
    this.retire(slab)
  }

  /** The arrays as one view of their slab when they lie back to back in one, in order; else undefined. */
  contiguous(parts: readonly { slab: Slab | undefined; vectors: Float32Array }[]): Float32Array | undefined {
    const first = parts[0]
    if (first?.slab === undefined) return undefined
    let end = first.vectors.byteOffset + first.vectors.byteLength
    for (let i = 1; i < parts.length; i++) {
      const p = parts[i] as { slab: Slab | undefined; vectors: Float32Array }
      if (p.slab !== first.slab || p.vectors.byteOffset !== end) return undefined
      end += p.vectors.byteLength
    }
    return new Float32Array(first.slab.memory, first.vectors.byteOffset, (end - first.vectors.byteOffset) >> 2)
  }

  private retire(slab: Slab): void {
    if (slab.live === 0) this.recycle(slab)
  }

  private recycle(slab: Slab): void {
    slab.used = 0
    if (this.free.length < MAX_FREE) this.free.push(slab)
  }

  private allocate(): Slab {
    const memory = new SharedArrayBuffer(this.capacity * Float32Array.BYTES_PER_ELEMENT)
    return { memory, floats: new Float32Array(memory), used: 0, live: 0, announced: false }
  }
}
