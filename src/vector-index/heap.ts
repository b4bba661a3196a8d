/**
 * Binary heaps of (distance, id) pairs over typed arrays, reused across searches so the hot
 * path allocates nothing. `MaxHeap` keeps the current best results (worst on top),
 * `MinHeap` the candidates to expand (closest on top).
 */

export class MaxHeap {
  dist: Float64Array
  ids: Int32Array
  size = 0

  constructor(capacity = 64) {
    this.dist = new Float64Array(capacity)
    this.ids = new Int32Array(capacity)
  }

  clear(): void {
    this.size = 0
  }

  /** Distance of the worst element (top); only valid when size > 0. */
  topDist(): number {
    return this.dist[0] as number
  }

  topId(): number {
    return this.ids[0] as number
  }

  push(d: number, id: number): void {
    if (this.size === this.dist.length) this.grow()
    const dist = this.dist
    const ids = this.ids
    let i = this.size++
    while (i > 0) {
      const p = (i - 1) >> 1
      const pd = dist[p] as number
      if (pd >= d) break
      dist[i] = pd
      ids[i] = ids[p] as number
      i = p
    }
    dist[i] = d
    ids[i] = id
  }

  /** Removes the top element. */
  pop(): void {
    const n = --this.size
    if (n <= 0) return
    this.siftDown(this.dist[n] as number, this.ids[n] as number)
  }

  /** Takes over a heap laid out by the same rules elsewhere (simd.wat's beam search). */
  load(dist: Float64Array, ids: Int32Array, n: number): void {
    while (this.dist.length < n) this.grow()
    this.dist.set(dist.subarray(0, n))
    this.ids.set(ids.subarray(0, n))
    this.size = n
  }

  /** Replaces the top (worst) element: one sift instead of a push and a pop. */
  replaceTop(d: number, id: number): void {
    this.siftDown(d, id)
  }

  private siftDown(d: number, id: number): void {
    const n = this.size
    const dist = this.dist
    const ids = this.ids
    let i = 0
    while (true) {
      let c = 2 * i + 1
      if (c >= n) break
      if (c + 1 < n && (dist[c + 1] as number) > (dist[c] as number)) c++
      const cd = dist[c] as number
      if (cd <= d) break
      dist[i] = cd
      ids[i] = ids[c] as number
      i = c
    }
    dist[i] = d
    ids[i] = id
  }

  private grow(): void {
    const d = new Float64Array(this.dist.length * 2)
    d.set(this.dist)
    const ids = new Int32Array(this.ids.length * 2)
    ids.set(this.ids)
    this.dist = d
    this.ids = ids
  }
}

export class MinHeap {
  dist: Float64Array
  ids: Int32Array
  size = 0

  constructor(capacity = 64) {
    this.dist = new Float64Array(capacity)
    this.ids = new Int32Array(capacity)
  }

  clear(): void {
    this.size = 0
  }

  topDist(): number {
    return this.dist[0] as number
  }

  topId(): number {
    return this.ids[0] as number
  }

  push(d: number, id: number): void {
    if (this.size === this.dist.length) this.grow()
    const dist = this.dist
    const ids = this.ids
    let i = this.size++
    while (i > 0) {
      const p = (i - 1) >> 1
      const pd = dist[p] as number
      if (pd <= d) break
      dist[i] = pd
      ids[i] = ids[p] as number
      i = p
    }
    dist[i] = d
    ids[i] = id
  }

  pop(): void {
    const n = --this.size
    if (n <= 0) return
    const dist = this.dist
    const ids = this.ids
    const d = dist[n] as number
    const id = ids[n] as number
    let i = 0
    while (true) {
      let c = 2 * i + 1
      if (c >= n) break
      if (c + 1 < n && (dist[c + 1] as number) < (dist[c] as number)) c++
      const cd = dist[c] as number
      if (cd >= d) break
      dist[i] = cd
      ids[i] = ids[c] as number
      i = c
    }
    dist[i] = d
    ids[i] = id
  }

  private grow(): void {
    const d = new Float64Array(this.dist.length * 2)
    d.set(this.dist)
    const ids = new Int32Array(this.ids.length * 2)
    ids.set(this.ids)
    this.dist = d
    this.ids = ids
  }
}

/**
 * Drains a max-heap into best-first arrays, keeping at most `k` (the heap's worst are dropped).
 * Ties are ordered by id so results are deterministic.
 */
// Scratch for the f64 distances while draining: a Float64Array of k > 8 lives off the JS heap,
// and allocating one per search was a visible share of GC time in multi-file queries.
let drainScratch = new Float64Array(64)

export function drainBestFirst(heap: MaxHeap, k: number): { ids: Int32Array; distances: Float32Array } {
  while (heap.size > k) heap.pop()
  const n = heap.size
  const ids = new Int32Array(n)
  if (drainScratch.length < n) drainScratch = new Float64Array(n * 2)
  const dists = drainScratch
  for (let i = n - 1; i >= 0; i--) {
    ids[i] = heap.topId()
    dists[i] = heap.topDist()
    heap.pop()
  }
  // The heap order among equal distances is arbitrary; make it deterministic (ascending id).
  for (let i = 1; i < n; i++) {
    const d = dists[i] as number
    const id = ids[i] as number
    let j = i - 1
    while (j >= 0 && (dists[j] as number) === d && (ids[j] as number) > id) {
      ids[j + 1] = ids[j] as number
      j--
    }
    ids[j + 1] = id
  }
  return { ids, distances: Float32Array.from(dists.subarray(0, n)) }
}
