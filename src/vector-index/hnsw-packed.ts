/**
 * Level-0 neighbour lists packed as simd.wat's beam reads them in an index that is only
 * searched (hnsw-beam.ts): per list a u16 count, then per id a u16 difference from the id
 * before (from 0 for the first), or 0xffff and the id as an i32 when the difference is negative
 * or 0xffff or more; little-endian. The ids keep their order. A restored index's lists are
 * sorted, so in a file of up to ~100k rows nearly every id takes two bytes.
 */

/** Packed lists: list i starts at byte `offsets[i]` of `bytes`; `length` bytes are in use. */
export interface PackedLists {
  offsets: Int32Array
  bytes: Uint8Array
  length: number
}

/** Bytes one list of `n` ids takes at most. */
export const packedListMax = (n: number): number => 2 + 6 * n

/**
 * Packs lists one after the other into buffers that grow as needed. `reuse` keeps the buffers
 * of the previous `begin` (a decoder's scratch, so a restore touches no fresh memory for them);
 * what `lists()` returned then lives only until the next `begin`.
 */
export class PackedWriter {
  private offsets = new Int32Array(0)
  private bytes = new Uint8Array(0)
  private at = 0
  private n = 0

  /** Starts `count` lists, with room for about `bytesHint` bytes. */
  begin(count: number, bytesHint: number): void {
    if (this.offsets.length < count) this.offsets = new Int32Array(count)
    if (this.bytes.length < bytesHint) this.bytes = new Uint8Array(bytesHint)
    this.at = 0
    this.n = 0
  }

  /** Appends the next list: `n` ids of `src` from `from`. */
  add(src: Int32Array, from: number, n: number): void {
    const need = this.at + packedListMax(n)
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.bytes.length))
      grown.set(this.bytes.subarray(0, this.at))
      this.bytes = grown
    }
    const b = this.bytes
    let at = this.at
    this.offsets[this.n++] = at
    b[at] = n & 0xff
    b[at + 1] = n >>> 8
    at += 2
    let prev = 0
    for (let j = from; j < from + n; j++) {
      const id = src[j] as number
      const d = id - prev
      if (d >= 0 && d < 0xffff) {
        b[at] = d & 0xff
        b[at + 1] = d >>> 8
        at += 2
      } else {
        b[at] = 0xff
        b[at + 1] = 0xff
        b[at + 2] = id & 0xff
        b[at + 3] = (id >>> 8) & 0xff
        b[at + 4] = (id >>> 16) & 0xff
        b[at + 5] = id >>> 24
        at += 6
      }
      prev = id
    }
    this.at = at
  }

  /** The lists added since `begin` (views of this writer's buffers). */
  lists(): PackedLists {
    return { offsets: this.offsets.subarray(0, this.n), bytes: this.bytes, length: this.at }
  }
}

/** The first `count` level-0 lists of `links0` (stride `stride0`: count, then ids), packed. */
export function packLists(links0: Int32Array, stride0: number, count: number): PackedLists {
  let ids = 0
  for (let i = 0; i < count; i++) ids += links0[i * stride0] as number
  const w = new PackedWriter()
  w.begin(count, 2 * count + 2 * ids)
  for (let i = 0; i < count; i++) w.add(links0, i * stride0 + 1, links0[i * stride0] as number)
  return w.lists()
}

/** The lists of `p` in fixed-stride form (stride `stride0`), for a search without WebAssembly. */
export function unpackLists(p: PackedLists, stride0: number): Int32Array {
  const count = p.offsets.length
  const out = new Int32Array(count * stride0)
  const b = p.bytes
  for (let i = 0; i < count; i++) {
    let at = p.offsets[i] as number
    const n = (b[at] as number) | ((b[at + 1] as number) << 8)
    at += 2
    const base = i * stride0
    out[base] = n
    let prev = 0
    for (let j = 1; j <= n; j++) {
      const d = (b[at] as number) | ((b[at + 1] as number) << 8)
      if (d !== 0xffff) {
        prev += d
        at += 2
      } else {
        prev = (b[at + 2] as number) | ((b[at + 3] as number) << 8) | ((b[at + 4] as number) << 16) | ((b[at + 5] as number) << 24)
        at += 6
      }
      out[base + j] = prev
    }
  }
  return out
}
