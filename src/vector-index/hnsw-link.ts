/**
 * Building an HNSW graph (Malkov & Yashunin): random levels from a seeded RNG, insertion by
 * greedy descent and beam search, heuristic neighbour selection and pruning of full lists.
 * Two rules on top make a beam as large as the index return every node, for every metric:
 * - Level 0 holds a spanning tree whose edges run both ways and are never pruned (`parent`,
 *   hnsw-tree.ts), so every node is reachable from wherever the descent enters level 0.
 * - Under -(a·b), on data away from the origin every node's "nearest" neighbours are the few
 *   longest vectors and the neighbour heuristic, which assumes a metric, keeps little else: most
 *   nodes of such dot-product graphs had no in-edge. Each node of a dot index therefore also
 *   gets neighbours chosen in a metric space where dot-product order is distance order (`aug`).
 */
import type { MaxHeap } from './heap.js'
import { MAX_LEVEL } from './hnsw-graph.js'
import { HnswCore } from './hnsw-core.js'
import { isTreeEdge, treeChildren, treeFromTwoWayEdges } from './hnsw-tree.js'

export abstract class HnswLinker extends HnswCore {
  /** Which sorted candidates of a re-pruned list are tree edges (kept unconditionally). */
  private treeFlags = new Uint8Array(64)

  /**
   * Restores what adding to a deserialised index needs: Φ and the extra coordinates (dot), and
   * the level-0 spanning tree, found again from the two-way edges so the adds keep it.
   */
  protected ensureBuildState(): void {
    const g = this.g
    if (this.kind === 2 && this.aug === undefined) {
      let phi2 = 0
      for (let id = 0; id < g.count; id++) phi2 = Math.max(phi2, this.sq(id))
      this.setPhi(phi2, g.count)
    }
    this.parent ??= treeFromTwoWayEdges(g, g.levels.length)
  }

  protected randomLevel(): number {
    const u = 1 - this.rng() // (0, 1]
    return Math.min(MAX_LEVEL, Math.floor(-Math.log(u) * this.mL))
  }

  protected insert(id: number): void {
    this.hq = this.aug?.[id] ?? 0
    this.insertNode(id)
    if (this.kind !== 2 || this.g.count < 2) return
    this.sk = 0
    try {
      this.linkAugmented(id)
    } finally {
      this.sk = this.kind
    }
  }

  /**
   * The second level-0 neighbour set of a node of a dot index (see `aug`), found by a beam
   * search in the augmented space from its first neighbour: appended to its list as room
   * allows, and linked back (a full list is re-pruned in that space).
   */
  protected linkAugmented(id: number): void {
    const g = this.g
    const [arr, base] = this.listOf(id, 0)
    const ep = arr[base + 1] as number
    this.searchLevel0(this.off(id), ep, this.nodeDist(id, ep), Math.max(g.efConstruction, g.M))
    // The node is linked already, so the beam finds it too (at distance 0, where it prunes no
    // other candidate): select one more and skip it.
    const n = this.selectLevel0(g.M + 1)
    const first = arr[base] as number
    let len = first
    for (let i = 0, taken = 0; i < n && taken < g.M && len < 2 * g.M; i++) {
      const x = this.selIds[i] as number
      if (x === id) continue
      taken++
      if (!arr.subarray(base + 1, base + 1 + len).includes(x)) arr[base + 1 + len++] = x
    }
    arr[base] = len
    this.wrote0(id)
    for (let j = first; j < len; j++) this.link(arr[base + 1 + j] as number, id, 0)
  }

  protected insertNode(id: number): void {
    const g = this.g
    const level = this.randomLevel()
    g.levels[id] = level
    if (level > 0) {
      const need = g.upperLen + level * (g.M + 1)
      if (need > g.upper.length) {
        const next = new Int32Array(Math.max(need, g.upper.length * 2))
        next.set(g.upper)
        g.upper = next
      }
      g.upperOff[id] = g.upperLen
      g.upper.fill(0, g.upperLen, need)
      g.upperLen = need
    }
    if (g.entry < 0) {
      g.entry = id
      g.maxLevel = level
      return
    }
    const qOff = this.off(id)
    let ep = g.entry
    let epD = this.nodeDist(id, ep)
    for (let l = g.maxLevel; l > level; l--) {
      this.greedy(qOff, ep, epD, l)
      ep = this.gEp
      epD = this.gDist
    }
    for (let l = Math.min(level, g.maxLevel); l >= 0; l--) {
      let n: number
      if (l === 0) {
        this.searchLevel0(qOff, ep, epD, Math.max(g.efConstruction, g.M))
        n = this.selectLevel0(g.M)
      } else {
        this.searchLayer(qOff, ep, epD, Math.max(g.efConstruction, g.M), l, null, null)
        n = this.selectFromHeap(this.res, g.M, -1)
      }
      if (l === 0) n = this.adoptParent(id, n)
      const [arr, base] = this.listOf(id, l)
      arr[base] = n
      for (let i = 0; i < n; i++) arr[base + 1 + i] = this.selIds[i] as number
      if (l === 0) this.wrote0(id)
      ep = this.selIds[0] as number
      epD = this.selDist[0] as number
      for (let i = 0; i < n; i++) this.link(arr[base + 1 + i] as number, id, l)
    }
    if (level > g.maxLevel) {
      g.entry = id
      g.maxLevel = level
    }
  }

  /**
   * Picks the tree parent of `id` (see `parent`): the closest of its `n` selected neighbours
   * that can take another child, else the closest such candidate of the last beam, else the
   * closest such node. A node keeps at most 2M-1 children, so with its own parent its protected
   * edges fit its 2M slots; one always has room (children total id-1, under id·(2M-1)).
   * Adds the parent to the selection when it is not in it and returns the selection's length.
   */
  protected adoptParent(id: number, n: number): number {
    const cap = 2 * this.g.M - 1
    const sel = this.selIds
    let p = -1
    let pd = 0
    for (let i = 0; i < n && p < 0; i++) {
      if (treeChildren(this.parent as Int32Array, this.g, sel[i] as number) < cap) {
        p = sel[i] as number
        pd = this.selDist[i] as number
      }
    }
    for (let i = 0; i < this.sortedCount && p < 0; i++) {
      if (treeChildren(this.parent as Int32Array, this.g, this.sortIds[i] as number) < cap) {
        p = this.sortIds[i] as number
        pd = this.sortDist[i] as number
      }
    }
    if (p < 0) {
      pd = Infinity
      for (let x = 0; x < id; x++) {
        if (treeChildren(this.parent as Int32Array, this.g, x) >= cap) continue
        const d = this.nodeDist(id, x)
        if (d < pd) {
          pd = d
          p = x
        }
      }
    }
    ;(this.parent as Int32Array)[id] = p
    for (let i = 0; i < n; i++) if (sel[i] === p) return n
    sel[n] = p
    this.selDist[n] = pd
    return n + 1
  }

  /** Adds `id` to `node`'s list at `level`, re-pruning with the heuristic when it is full. */
  protected link(node: number, id: number, level: number): void {
    const g = this.g
    const mMax = level === 0 ? 2 * g.M : g.M
    const [arr, base] = this.listOf(node, level)
    const n = arr[base] as number
    if (n < mMax) {
      arr[base + 1 + n] = id
      arr[base] = n + 1
      if (level === 0) this.wrote0(node)
      return
    }
    const heap = this.scratch
    heap.clear()
    const ids = this.arena.batchIds
    const out = this.arena.batchOut
    ids[0] = id
    for (let i = 1; i <= n; i++) ids[i] = arr[base + i] as number
    const hq = this.hq
    this.hq = this.aug?.[node] ?? 0
    this.batch(this.off(node), n + 1)
    this.hq = hq
    for (let i = 0; i <= n; i++) heap.push(this.conv(out[i] as number), ids[i] as number)
    const m = this.selectFromHeap(heap, mMax, level === 0 ? node : -1)
    arr[base] = m
    for (let i = 0; i < m; i++) arr[base + 1 + i] = this.selIds[i] as number
    arr.fill(0, base + 1 + m, base + 1 + mMax)
    if (level === 0) this.wrote0(node)
  }

  /** `selectFromHeap(res, m, -1)` over the result of the last `searchLevel0`, sorted and selected where that search left it. */
  protected selectLevel0(m: number): number {
    const size = this.level0Size
    const beam = this.beam
    if (size >= 0 && beam !== undefined) {
      this.sortRoom(size)
      const n = beam.selectResult(size, m, this.sortIds, this.sortDist, this.selIds, this.selDist, this.nodeDistMode(), this.vbase, this.g.dim)
      if (n !== undefined) {
        this.sortedCount = size
        return n
      }
      beam.loadResult(this.res, size)
    }
    return this.selectFromHeap(this.res, m, -1)
  }

  private sortRoom(total: number): void {
    if (this.sortIds.length < total) {
      this.sortIds = new Int32Array(total * 2)
      this.sortDist = new Float64Array(total * 2)
    }
  }

  /**
   * Heuristic neighbour selection: take candidates closest first, keeping one only if it is
   * closer to the base node than to every neighbour kept so far. When re-pruning the level-0
   * list of `node` (else -1), its tree edges are always kept. Empties `heap`; the result is in
   * `selIds`/`selDist` (closest first) and its length is returned.
   */
  protected selectFromHeap(heap: MaxHeap, m: number, node: number): number {
    const total = heap.size
    this.sortRoom(total)
    const ids = this.sortIds
    const ds = this.sortDist
    for (let i = total - 1; i >= 0; i--) {
      ids[i] = heap.topId()
      ds[i] = heap.topDist()
      heap.pop()
    }
    this.sortedCount = total
    const sel = this.selIds
    const selD = this.selDist
    if (total <= m) {
      for (let i = 0; i < total; i++) {
        sel[i] = ids[i] as number
        selD[i] = ds[i] as number
      }
      return total
    }
    let free = m
    let flags: Uint8Array | null = null
    if (node >= 0) {
      flags = this.treeFlags.length >= total ? this.treeFlags : (this.treeFlags = new Uint8Array(total * 2))
      for (let i = 0; i < total; i++) {
        const t = isTreeEdge(this.parent as Int32Array, node, ids[i] as number)
        flags[i] = t ? 1 : 0
        if (t) free--
      }
    }
    const beam = this.beam
    if (beam !== undefined && total <= beam.selCap) {
      const n = beam.select(ids, ds, flags, total, m, free, sel, selD, this.nodeDistMode(), this.vbase, this.g.dim)
      if (n !== undefined) return n
    }
    let count = 0
    for (let i = 0; i < total && count < m; i++) {
      const c = ids[i] as number
      const cd = ds[i] as number
      let good = flags !== null && flags[i] === 1
      if (!good && free > 0) {
        good = true
        for (let j = 0; j < count; j++) {
          if (this.nodeDist(c, sel[j] as number) < cd) {
            good = false
            break
          }
        }
        if (good) free--
      }
      if (good) {
        sel[count] = c
        selD[count] = cd
        count++
      }
    }
    return count
  }
}
