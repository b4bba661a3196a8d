/**
 * The neighbour lists of a version 2 HNSW graph (docs/format.md, "Compact HNSW graph"): a bit
 * stream, level by level, one list per node of the level in id order. Most edges run both ways
 * (88% of GloVe's level-0 edges), so a list first says, one bit each, which of the lower-id
 * nodes that listed it it lists back; the rest are Rice-coded gaps between sorted offsets
 * counted from the node. Decoded lists are in increasing id order, in the fixed-stride layout
 * the traversal reads, or level 0 packed for a search-only index. Every count, offset and level is checked before use, so damage is
 * `CORRUPT_DATA`, never an out-of-bounds write, a long loop or an allocation the bytes do not back.
 */
import { AilakeError, corrupt } from '../errors.js'
import { BitReader, BitWriter, bitWidth, riceBits } from '../util/bits.js'
import type { HnswGraph } from './hnsw-graph.js'
import { PackedWriter, type PackedLists } from './hnsw-packed.js'

const WHAT = 'HNSW index'
/** Bits of a list's Rice parameter. */
const K_BITS = 5

/**
 * For each node, the lower-id nodes whose list at the current level holds it, in increasing id
 * order, filled as lists are read in id order: the first `cap` of a node in its own row of
 * `slots` (read back in one sweep), the rest, rare (a hub), in a linked list.
 */
class Incoming {
  private slots: Int32Array
  private size: Int32Array
  private head: Int32Array
  private tail: Int32Array
  private src = new Int32Array(64)
  private next = new Int32Array(64)
  private spilled = 0
  private count: number
  private cap: number
  /** The last `take`'s nodes. */
  out = new Int32Array(64)

  constructor(count: number, cap: number) {
    this.count = count
    this.cap = cap
    this.slots = new Int32Array(count * cap)
    this.size = new Int32Array(count)
    this.head = new Int32Array(count)
    this.tail = new Int32Array(count)
  }

  /** Bytes this state takes for `count` nodes of `cap` slots. */
  static bytesFor(count: number, cap: number): number {
    return 4 * count * (cap + 3)
  }

  /** Makes this state serve `count` nodes of `cap` slots, keeping its arrays when they are large enough. */
  prepare(count: number, cap: number): void {
    this.count = count
    this.cap = cap
    if (this.slots.length < count * cap) this.slots = new Int32Array(count * cap)
    if (this.size.length < count) {
      this.size = new Int32Array(count)
      this.head = new Int32Array(count)
      this.tail = new Int32Array(count)
    }
  }

  reset(): void {
    this.size.fill(0, 0, this.count)
    this.head.fill(-1, 0, this.count)
    this.spilled = 0
  }

  add(to: number, from: number): void {
    const n = this.size[to] as number
    this.size[to] = n + 1
    if (n < this.cap) {
      this.slots[to * this.cap + n] = from
      return
    }
    const e = this.spilled++
    if (e === this.src.length) {
      const src = new Int32Array(2 * e)
      src.set(this.src)
      this.src = src
      const next = new Int32Array(2 * e)
      next.set(this.next)
      this.next = next
    }
    this.src[e] = from
    this.next[e] = -1
    if (this.head[to] === -1) this.head[to] = e
    else this.next[this.tail[to] as number] = e
    this.tail[to] = e
  }

  /** Puts node `id`'s incoming nodes in `out`; returns how many. */
  take(id: number): number {
    const n = this.size[id] as number
    if (n > this.out.length) this.out = new Int32Array(2 * n)
    const out = this.out
    const inline = Math.min(n, this.cap)
    const at = id * this.cap
    for (let t = 0; t < inline; t++) out[t] = this.slots[at + t] as number
    let k = inline
    for (let e = this.head[id] as number; e !== -1 && n > this.cap; e = this.next[e] as number) out[k++] = this.src[e] as number
    return n
  }
}

/** Where node `id`'s list at `level` starts, in `links0` (level 0) or `upper`. */
function listBase(g: Pick<HnswGraph, 'M' | 'upperOff'>, id: number, level: number): number {
  return level === 0 ? id * (2 * g.M + 1) : (g.upperOff[id] as number) + (level - 1) * (g.M + 1)
}

/** The cheapest Rice parameter for `n` values (ties: the smallest). */
function riceParameter(values: Float64Array, n: number, maxK: number): number {
  let best = 0
  let bestBits = Infinity
  for (let k = 0; k <= maxK; k++) {
    let bits = 0
    for (let t = 0; t < n; t++) bits += riceBits(values[t] as number, k)
    if (bits < bestBits) {
      bestBits = bits
      best = k
    }
  }
  return best
}

/** The list stream of graph `g` (any list order; each list is written as a set). */
export function encodeLists(g: HnswGraph): Uint8Array {
  const { count, M } = g
  const w = new BitWriter(count * 32)
  const inc = new Incoming(count, 2 * M)
  const inList = new Int32Array(count)
  const inIncoming = new Int32Array(count)
  const gaps = new Float64Array(2 * M)
  const maxK = Math.min((1 << K_BITS) - 1, bitWidth(count))
  let stamp = 0
  for (let l = 0; l <= g.maxLevel; l++) {
    inc.reset()
    const arr = l === 0 ? g.links0 : g.upper
    const width = bitWidth(l === 0 ? 2 * M : M)
    for (let i = 0; i < count; i++) {
      if ((g.levels[i] as number) < l) continue
      stamp++
      const base = listBase(g, i, l)
      const n = arr[base] as number
      for (let t = 1; t <= n; t++) inList[arr[base + t] as number] = stamp
      const c = inc.take(i)
      for (let e = 0; e < c; e++) {
        const j = inc.out[e] as number
        inIncoming[j] = stamp
        w.bit(inList[j] === stamp ? 1 : 0)
      }
      let f = 0
      for (let t = 1; t <= n; t++) {
        const x = arr[base + t] as number
        if (x === i) throw new AilakeError('INTERNAL', `HNSW graph: node ${i} lists itself at level ${l}`)
        if (x > i) inc.add(x, i)
        if (inIncoming[x] !== stamp) gaps[f++] = x > i ? x - i - 1 : x + count - i - 1
      }
      w.bits(f, width)
      if (f === 0) continue
      const offsets = gaps.subarray(0, f).sort()
      for (let t = f - 1; t > 0; t--) {
        const gap = (offsets[t] as number) - (offsets[t - 1] as number) - 1
        if (gap < 0) throw new AilakeError('INTERNAL', `HNSW graph: node ${i} lists a neighbour twice at level ${l}`)
        offsets[t] = gap
      }
      const k = riceParameter(offsets, f, maxK)
      w.bits(k, K_BITS)
      for (let t = 0; t < f; t++) w.rice(offsets[t] as number, k)
    }
  }
  return w.finish()
}

/** Bits the stream needs at least: every list has its count field. */
export function minListBits(count: number, M: number, upperLists: number): number {
  return count * bitWidth(2 * M) + upperLists * bitWidth(M)
}

/** Where each node's upper lists start in `upper` (-1: level 0 only), lists of stride `s1` packed in id order. */
export function upperOffsets(levels: Uint8Array, count: number, s1: number): Int32Array {
  const upperOff = new Int32Array(count).fill(-1)
  let off = 0
  for (let id = 0; id < count; id++) {
    const l = levels[id] as number
    if (l === 0) continue
    upperOff[id] = off
    off += l * s1
  }
  return upperOff
}

/**
 * What a decode reuses from one call to the next (a restore then touches no fresh memory for
 * it): the incoming lists, marks and the packed level-0 lists, kept while they take at most
 * `SCRATCH_BYTES`; larger graphs get their own, dropped after the decode.
 */
const SCRATCH_BYTES = 32 * 2 ** 20
const scratch = { inc: new Incoming(0, 0), mark: new Int32Array(0), packed: new PackedWriter() }

/** Lists decoded by `decodeLists`; with `packed`, level 0 is in `packed0` and `links0` is empty. */
export interface DecodedLists extends Pick<HnswGraph, 'links0' | 'upper' | 'upperOff' | 'upperLen'> {
  packed0: PackedLists | undefined
}

/**
 * Decodes the list stream of a graph whose header and levels are checked (levels <= maxLevel,
 * `upperLists` their sum, `minListBits` <= the stream's bits) into fixed-stride lists. With
 * `packed`, level 0 goes straight into the packed form a search-only index keeps
 * (hnsw-packed.ts) instead: it lives in the decoder's scratch, valid until the next decode.
 */
export function decodeLists(stream: Uint8Array, count: number, M: number, levels: Uint8Array, maxLevel: number, upperLists: number, packed = false): DecodedLists {
  const s1 = M + 1
  const links0 = new Int32Array(packed ? 0 : count * (2 * M + 1))
  const upper = new Int32Array(upperLists * s1)
  const upperOff = upperOffsets(levels, count, s1)
  const g = { M, upperOff }
  const r = new BitReader(stream, WHAT)
  const shared = Incoming.bytesFor(count, 2 * M) + 4 * count <= SCRATCH_BYTES
  const inc = shared ? scratch.inc : new Incoming(count, 2 * M)
  if (shared) {
    inc.prepare(count, 2 * M)
    if (scratch.mark.length < count) scratch.mark = new Int32Array(count)
    scratch.mark.fill(0, 0, count)
  }
  const mark = shared ? scratch.mark : new Int32Array(count)
  // A packed level-0 list is merged into `list` (count, then ids) and then packed: two bytes
  // per list and per id unless escaped, and every id takes at least one bit of the stream.
  const list = new Int32Array(2 * M + 1)
  const hint = 2 * count + 2 * Math.min(8 * stream.length, 2 * M * count)
  const writer = !packed ? undefined : hint <= SCRATCH_BYTES ? scratch.packed : new PackedWriter()
  writer?.begin(count, hint)
  const back = new Int32Array(2 * M)
  const low = new Int32Array(2 * M)
  const high = new Int32Array(2 * M)
  let stamp = 0
  for (let l = 0; l <= maxLevel; l++) {
    inc.reset()
    const toList = l === 0 && writer !== undefined
    const arr = toList ? list : l === 0 ? links0 : upper
    const max = l === 0 ? 2 * M : M
    const width = bitWidth(max)
    for (let i = 0; i < count; i++) {
      if ((levels[i] as number) < l) continue
      stamp++
      let b = 0
      const c = inc.take(i)
      const from = inc.out
      // The mask is read up to 24 bits at a time (a bit at a time costs a tenth of a decode).
      for (let e = 0; e < c;) {
        const end = Math.min(c, e + 24)
        let mask = r.bits(end - e, 'back-link mask')
        for (; e < end; e++, mask >>>= 1) {
          const j = from[e] as number
          mark[j] = stamp
          if ((mask & 1) === 1) {
            if (b === max) throw corrupt(`${WHAT}: node ${i} has more than ${max} neighbours at level ${l}`, { node: i, level: l })
            back[b++] = j
          }
        }
      }
      const f = r.bits(width, 'neighbour count')
      if (b + f > max) throw corrupt(`${WHAT}: node ${i} has ${b + f} neighbours at level ${l}; at most ${max} are allowed`, { node: i, level: l, n: b + f })
      let nLow = 0
      let nHigh = 0
      if (f > 0) {
        const k = r.bits(K_BITS, 'Rice parameter')
        let o = -1
        for (let t = 0; t < f; t++) {
          o += 1 + r.rice(k, count - 3 - o, 'neighbour offset')
          const j = i + 1 + o < count ? i + 1 + o : i + 1 + o - count
          if (l > 0 && (levels[j] as number) < l) throw corrupt(`${WHAT}: node ${i} lists node ${j} at level ${l}, above that node's level ${levels[j] as number}`, { node: i, level: l, neighbour: j })
          if (j > i) {
            high[nHigh++] = j
            inc.add(j, i)
          } else {
            if (mark[j] === stamp) throw corrupt(`${WHAT}: node ${i} lists node ${j} at level ${l} outside its back-link mask; the data is corrupt`, { node: i, level: l, neighbour: j })
            low[nLow++] = j
          }
        }
      }
      // Lower ids are the back links and `low`, both increasing; then `high`.
      const base = toList ? 0 : listBase(g, i, l)
      arr[base] = b + f
      let p = base + 1
      for (let x = 0, y = 0; x < b || y < nLow;) {
        if (y === nLow || (x < b && (back[x] as number) < (low[y] as number))) arr[p++] = back[x++] as number
        else arr[p++] = low[y++] as number
      }
      for (let t = 0; t < nHigh; t++) arr[p++] = high[t] as number
      if (toList) (writer as PackedWriter).add(list, 1, b + f)
    }
  }
  r.expectEnd('neighbour lists')
  return { links0, upper, upperOff, upperLen: upper.length, packed0: writer?.lists() }
}

function isSorted(list: Int32Array): boolean {
  for (let j = 1; j < list.length; j++) if ((list[j - 1] as number) > (list[j] as number)) return false
  return true
}

/** Puts every neighbour list of `g` in increasing id order (the order a decoded graph has); calls `wrote0` for each level-0 list. */
export function sortLists(g: HnswGraph, wrote0: (id: number) => void): void {
  for (let i = 0; i < g.count; i++) {
    for (let l = 0; l <= (g.levels[i] as number); l++) {
      const arr = l === 0 ? g.links0 : g.upper
      const base = listBase(g, i, l)
      const list = arr.subarray(base + 1, base + 1 + (arr[base] as number))
      if (!isSorted(list)) list.sort()
    }
    wrote0(i)
  }
}
