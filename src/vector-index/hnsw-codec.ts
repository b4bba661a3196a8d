/**
 * Byte layout of a serialised HNSW graph. Version 2 (written; docs/format.md, "Compact HNSW
 * graph") keeps the neighbour lists as a bit stream (hnsw-lists.ts); version 1 (read, and
 * written by `encodeGraphV1` for tests of older files; docs/hnsw-format.md) as fixed-stride i32
 * lists. Decoding checks every length, level and neighbour id before use, so malformed bytes
 * become `CORRUPT_DATA` and never an out-of-bounds read, a hang or an allocation larger than
 * the input justifies.
 */
import { AilakeError, corrupt } from '../errors.js'
import { ByteReader, ByteWriter } from '../util/bytes.js'
import { crc32c } from '../util/crc32c.js'
import { MAX_LEVEL, METRIC_CODES } from './hnsw-graph.js'
import type { HnswGraph } from './hnsw-graph.js'
import { decodeLists, encodeLists, minListBits, sortLists, upperOffsets } from './hnsw-lists.js'
import { packLists, type PackedLists } from './hnsw-packed.js'

const MAGIC = 0x534e4841 // "AHNS" little-endian
const VERSION = 2
const HEADER_V1 = 36
/** Version 2 adds the list stream's byte length. */
const HEADER_V2 = 40
const WHAT = 'HNSW index'

function pad4(n: number): number {
  return (n + 3) & ~3
}

/** Bytes of the fixed-stride neighbour lists alone (what version 1 must stay close to). */
export function neighbourListBytes(count: number, M: number, upperLists: number): number {
  return count * (2 * M + 1) * 4 + upperLists * (M + 1) * 4
}

/** Version 1 bytes of `g`: what files before section version 5 hold. */
export function encodeGraphV1(g: HnswGraph): Uint8Array {
  const M = g.M
  const s0 = 2 * M + 1
  const s1 = M + 1
  let upperLists = 0
  for (let i = 0; i < g.count; i++) upperLists += g.levels[i] as number
  const total = HEADER_V1 + pad4(g.count) + neighbourListBytes(g.count, M, upperLists) + 4
  const w = new ByteWriter(total)
  w.u32(MAGIC).u16(1).u8(METRIC_CODES.indexOf(g.metric)).u8(0)
  w.u32(g.dim).u32(g.count).u32(M).u32(g.efConstruction).u32(g.maxLevel).i32(g.entry).u32(upperLists)
  w.bytes(g.levels.subarray(0, g.count))
  for (let i = g.count; i < pad4(g.count); i++) w.u8(0)
  const list = new Int32Array(s0)
  for (let id = 0; id < g.count; id++) {
    // Unused slots are written as 0 so equal graphs always give equal bytes.
    const base = id * s0
    const n = g.links0[base] as number
    list.fill(0)
    list.set(g.links0.subarray(base, base + 1 + n))
    w.typed(list)
  }
  const ulist = new Int32Array(s1)
  for (let id = 0; id < g.count; id++) {
    const levels = g.levels[id] as number
    for (let l = 1; l <= levels; l++) {
      const base = (g.upperOff[id] as number) + (l - 1) * s1
      const n = g.upper[base] as number
      ulist.fill(0)
      ulist.set(g.upper.subarray(base, base + 1 + n))
      w.typed(ulist)
    }
  }
  w.u32(crc32c(w.view8()))
  return w.finish()
}

/** Version 2 bytes of `g`, its lists in increasing id order whatever their order in `g`. */
export function encodeGraph(g: HnswGraph): Uint8Array {
  let upperLists = 0
  for (let i = 0; i < g.count; i++) upperLists += g.levels[i] as number
  const lists = encodeLists(g)
  const w = new ByteWriter(HEADER_V2 + g.count + lists.length + 4)
  w.u32(MAGIC).u16(VERSION).u8(METRIC_CODES.indexOf(g.metric)).u8(0)
  w.u32(g.dim).u32(g.count).u32(g.M).u32(g.efConstruction).u32(g.maxLevel).i32(g.entry).u32(upperLists).u32(lists.length)
  w.bytes(g.levels.subarray(0, g.count)).bytes(lists)
  w.u32(crc32c(w.view8()))
  return w.finish()
}

/** A graph's header and levels, checked. */
export type GraphHead = Pick<HnswGraph, 'metric' | 'dim' | 'count' | 'M' | 'efConstruction' | 'maxLevel' | 'entry' | 'levels'>

/**
 * Decodes graph bytes of either version. `check` sees the checked header and levels before the
 * lists are allocated (4·(2M+1) bytes per node): a caller matches the node count against what
 * backs it (vectors, codes), so a hostile count cannot drive the allocation.
 */
export function decodeGraph(bytes: Uint8Array, check?: (head: GraphHead) => void): HnswGraph {
  return decode(bytes, check, false).graph
}

/**
 * Decodes graph bytes of either version for an index that is only searched: every list in
 * increasing id order (version 1 lists are sorted here, version 2 lists decode so), level 0
 * packed (hnsw-packed.ts) in `level0` and `graph.links0` empty. `level0` lives in the decoder's
 * scratch: copy it before the next decode.
 */
export function decodeGraphPacked(bytes: Uint8Array, check?: (head: GraphHead) => void): { graph: HnswGraph; level0: PackedLists } {
  const { graph, level0 } = decode(bytes, check, true)
  return { graph, level0: level0 as PackedLists }
}

function decode(bytes: Uint8Array, check: ((head: GraphHead) => void) | undefined, packed: boolean): { graph: HnswGraph; level0: PackedLists | undefined } {
  const r = new ByteReader(bytes, WHAT)
  if (bytes.length < HEADER_V1 + 4) {
    throw corrupt(`${WHAT}: ${bytes.length} bytes is shorter than the ${HEADER_V1 + 4}-byte minimum; the data is truncated`, { length: bytes.length })
  }
  if (r.u32('magic') !== MAGIC) throw corrupt(`${WHAT}: bad magic; these bytes are not an ailake HNSW index`)
  const version = r.u16('version')
  if (version !== 1 && version !== VERSION) {
    throw new AilakeError('UNSUPPORTED', `${WHAT}: format version ${version} is not supported (this build reads versions 1 and ${VERSION}); upgrade ailake`, {
      context: { version },
    })
  }
  const metricCode = r.u8('metric')
  const metric = METRIC_CODES[metricCode]
  if (metric === undefined) throw corrupt(`${WHAT}: unknown metric code ${metricCode}`, { metricCode })
  if (r.u8('reserved') !== 0) throw corrupt(`${WHAT}: reserved byte is not zero`)
  const dim = r.u32('dim')
  const count = r.u32('count')
  const M = r.u32('M')
  const efConstruction = r.u32('efConstruction')
  const maxLevel = r.u32('maxLevel')
  const entry = r.i32('entry')
  const upperLists = r.u32('upperLists')
  const streamLength = version === 1 ? 0 : r.u32('list stream length')
  if (M < 2 || M > 255) throw corrupt(`${WHAT}: M = ${M} is outside [2, 255]`, { M })
  if (efConstruction < 1) throw corrupt(`${WHAT}: efConstruction = 0`)
  if (maxLevel > MAX_LEVEL) throw corrupt(`${WHAT}: maxLevel = ${maxLevel} exceeds ${MAX_LEVEL}`, { maxLevel })
  if (dim === 0 ? count !== 0 : dim > 1 << 20) throw corrupt(`${WHAT}: dimension ${dim} is invalid for ${count} vectors`, { dim, count })
  // Every count is checked against the byte length before anything is allocated.
  const expected = version === 1 ? HEADER_V1 + pad4(count) + neighbourListBytes(count, M, upperLists) + 4 : HEADER_V2 + count + streamLength + 4
  if (expected !== bytes.length) {
    throw corrupt(`${WHAT}: header implies ${expected} bytes but ${bytes.length} were given; the data is truncated or corrupt`, {
      expected, length: bytes.length, count, upperLists,
    })
  }
  const stored = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true)
  if (crc32c(bytes.subarray(0, bytes.length - 4)) !== stored) throw corrupt(`${WHAT}: checksum mismatch; the data is corrupt`)
  if (count === 0 ? entry !== -1 || maxLevel !== 0 : entry < 0 || entry >= count) {
    throw corrupt(`${WHAT}: entry point ${entry} is invalid for ${count} nodes`, { entry, count })
  }
  const levels = r.bytesView(count, 'levels').slice()
  let sumLevels = 0
  let top = 0
  for (let i = 0; i < count; i++) {
    const l = levels[i] as number
    if (l > maxLevel) throw corrupt(`${WHAT}: node ${i} has level ${l} above maxLevel ${maxLevel}`, { node: i, level: l })
    sumLevels += l
    if (l > top) top = l
  }
  if (sumLevels !== upperLists) throw corrupt(`${WHAT}: levels add up to ${sumLevels} upper lists but the header says ${upperLists}`)
  if (count > 0 && (top !== maxLevel || levels[entry] !== maxLevel)) {
    throw corrupt(`${WHAT}: entry point ${entry} is not on the top level ${maxLevel}`, { entry, maxLevel })
  }
  const head: GraphHead = { metric, dim, count, M, efConstruction, maxLevel, entry, levels }
  check?.(head)
  if (version === VERSION) {
    if (minListBits(count, M, upperLists) > 8 * streamLength) {
      throw corrupt(`${WHAT}: ${count} nodes and ${upperLists} upper lists need more than the ${streamLength}-byte list stream`, { count, upperLists, streamLength })
    }
    const { links0, upper, upperOff, upperLen, packed0 } = decodeLists(r.bytesView(streamLength, 'list stream'), count, M, levels, maxLevel, upperLists, packed)
    return { graph: { ...head, links0, upper, upperOff, upperLen }, level0: packed0 }
  }
  r.bytesView(pad4(count) - count, 'padding')
  const s0 = 2 * M + 1
  const s1 = M + 1
  const links0 = r.i32Array(count * s0, 'level-0 lists')
  for (let id = 0; id < count; id++) checkList(links0, id * s0, 2 * M, id, 0, count, levels)
  const upper = r.i32Array(upperLists * s1, 'upper lists')
  const upperOff = upperOffsets(levels, count, s1)
  for (let id = 0; id < count; id++) {
    for (let lv = 1; lv <= (levels[id] as number); lv++) checkList(upper, (upperOff[id] as number) + (lv - 1) * s1, M, id, lv, count, levels)
  }
  const graph: HnswGraph = { ...head, links0, upperOff, upper, upperLen: upper.length }
  if (!packed) return { graph, level0: undefined }
  // Version 1 lists keep the order they were written in; a search-only index needs them sorted.
  sortLists(graph, () => undefined)
  const level0 = packLists(links0, s0, count)
  graph.links0 = new Int32Array(0)
  return { graph, level0 }
}

function checkList(arr: Int32Array, base: number, max: number, id: number, level: number, count: number, levels: Uint8Array): void {
  const n = arr[base] as number
  if (n < 0 || n > max) throw corrupt(`${WHAT}: node ${id} has ${n} neighbours at level ${level}; at most ${max} are allowed`, { node: id, level, n })
  for (let i = 1; i <= n; i++) {
    const nb = arr[base + i] as number
    if (nb < 0 || nb >= count || nb === id || (levels[nb] as number) < level) {
      throw corrupt(`${WHAT}: node ${id} has an invalid neighbour ${nb} at level ${level}`, { node: id, level, neighbour: nb })
    }
  }
}
