/**
 * Reflected 32-bit CRCs (initial value and final XOR 0xffffffff), slicing-by-8: CRC-32C for
 * ailake's own sections and WAL records, CRC-32 (zlib's polynomial) for Parquet page headers.
 * In WebAssembly (crc-slice8.wat, the polynomial is in the tables it is given) when the runtime
 * has it, because V8 runs the same JS loop anywhere from 0.4 to 1.3 GB/s depending on how it
 * optimised the call site (it was 0.4 GB/s on the ingest path, a quarter of the main thread's
 * work there), while the wasm loop holds ~1.3 GB/s.
 */
import { compileWasm, instantiate, type WasmMemory } from './wasm.js'
import { WASM_BASE64 } from './crc-slice8.wasm.generated.js'

/** A CRC over bytes; pass the previous result as `seed` to checksum data that arrives in pieces. */
export type Crc = (bytes: Uint8Array, seed?: number) => number

function makeTables(poly: number): Uint32Array[] {
  const tables: Uint32Array[] = []
  const t0 = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1
    t0[n] = c >>> 0
  }
  tables.push(t0)
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1] as Uint32Array
    const cur = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      const p = prev[n] as number
      cur[n] = ((p >>> 8) ^ (t0[p & 0xff] as number)) >>> 0
    }
    tables.push(cur)
  }
  return tables
}

interface CrcExports { memory: WasmMemory; crc(crc: number, p: number, n: number): number }

const TABLE_BYTES = 8 * 1024
const CHUNK = 48 * 1024 // the rest of the module's one 64 KiB page
let module: ReturnType<typeof compileWasm> | undefined

/** The JS and the WebAssembly form (null without WebAssembly) of the CRC with reflected polynomial `poly`. */
export function crcSlice8(poly: number): { js: Crc; wasm: Crc | null } {
  const [T0, T1, T2, T3, T4, T5, T6, T7] = makeTables(poly) as [
    Uint32Array, Uint32Array, Uint32Array, Uint32Array,
    Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  ]
  const js: Crc = (bytes, seed = 0) => {
    let crc = ~seed >>> 0
    let i = 0
    const n = bytes.length
    const end8 = n - (n % 8)
    // Indexed reads are in-bounds by construction; `as number` avoids undefined checks in the hot loop.
    for (; i < end8; i += 8) {
      const a = (crc ^ ((bytes[i] as number) | ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24))) >>> 0
      crc = ((T7[a & 0xff] as number) ^ (T6[(a >>> 8) & 0xff] as number) ^
        (T5[(a >>> 16) & 0xff] as number) ^ (T4[a >>> 24] as number) ^
        (T3[bytes[i + 4] as number] as number) ^ (T2[bytes[i + 5] as number] as number) ^
        (T1[bytes[i + 6] as number] as number) ^ (T0[bytes[i + 7] as number] as number)) >>> 0
    }
    for (; i < n; i++) crc = ((T0[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8)) >>> 0
    return ~crc >>> 0
  }
  module ??= compileWasm(WASM_BASE64)
  if (module === null) return { js, wasm: null }
  // One instance per polynomial: its memory holds that polynomial's tables.
  const ex = instantiate<CrcExports>(module)
  const tables = new Uint32Array(ex.memory.buffer, 0, 2048)
  ;[T0, T1, T2, T3, T4, T5, T6, T7].forEach((t, i) => tables.set(t, i * 256))
  const mem = new Uint8Array(ex.memory.buffer)
  const wasm: Crc = (bytes, seed = 0) => {
    let crc = ~seed >>> 0
    for (let off = 0; off < bytes.length; off += CHUNK) {
      const part = bytes.subarray(off, off + CHUNK)
      mem.set(part, TABLE_BYTES)
      crc = ex.crc(crc, TABLE_BYTES, part.length) >>> 0
    }
    return ~crc >>> 0
  }
  return { js, wasm }
}

/** The CRC with reflected polynomial `poly`: WebAssembly for inputs of 256 bytes and more when available. */
export function crcFunction(poly: number): { crc: Crc; js: Crc } {
  let impl: { js: Crc; wasm: Crc | null } | undefined
  const get = (): { js: Crc; wasm: Crc | null } => (impl ??= crcSlice8(poly))
  return {
    crc: (bytes, seed = 0) => {
      const f = get()
      return bytes.length >= 256 && f.wasm !== null ? f.wasm(bytes, seed) : f.js(bytes, seed)
    },
    js: (bytes, seed = 0) => get().js(bytes, seed),
  }
}
