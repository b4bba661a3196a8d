/**
 * A growable f32 arena with distance kernels over it. With WebAssembly SIMD the arena is the
 * linear memory of a private instance of `simd.wat`, so kernels read vectors in place; otherwise
 * it is a plain Float32Array with the bit-identical JS kernels from distance.ts.
 * Offsets given to the kernels are f32 element indices into `f32`.
 */
import { AilakeError } from '../errors.js'
import { dot, l2sq } from './distance.js'

const fr = Math.fround
import { WASM_BASE64 } from './simd.wasm.generated.js'
import { compileWasm, instantiate, WASM_PAGE as PAGE, type WasmMemory, type WasmModule } from '../util/wasm.js'

/** Kernel pair over one arena; offsets are element indices into `arena.f32`. */
export interface VectorArena {
  /** True when the kernels run as WebAssembly SIMD. */
  readonly wasm: boolean
  /** A view of the whole arena. Re-read it after `ensure`, which may replace it. */
  readonly f32: Float32Array
  /** a·b over `n` elements at element offsets `a` and `b`. */
  dot(a: number, b: number, n: number): number
  /** Squared L2 over `n` elements at element offsets `a` and `b`. */
  l2sq(a: number, b: number, n: number): number
  /**
   * Makes room for at least `elements` f32 values, keeping the contents; growing by half again at
   * least (arenas grow node by node), or to just `elements` with `exact` (a last, known size).
   */
  ensure(elements: number, exact?: boolean): void
  /** Scratch ids for the batch kernels (BATCH entries). Re-read after `ensure`. */
  readonly batchIds: Int32Array
  /** Batch kernel output (BATCH entries). Re-read after `ensure`. */
  readonly batchOut: Float32Array
  /** batchOut[i] = dot(q, base + batchIds[i] * dim) for i < n (element offsets). */
  dotBatch(q: number, n: number, base: number, dim: number): void
  /** batchOut[i] = l2sq(q, base + batchIds[i] * dim) for i < n. */
  l2Batch(q: number, n: number, base: number, dim: number): void
  /** Byte view of the whole arena (SQ8 codes and query weights live here). Re-read after `ensure`. */
  readonly bytes: Uint8Array
  /**
   * SQ8 batch (see simd.wat): batchOut[i] = alpha * (q16 . codes of row batchIds[i]) + beta + gamma * norm,
   * where `q16` is the byte address of blocks x 16 i16 weights and row r starts at byte `base + r * stride`
   * with blocks x 16 u8 codes followed by its f32 norm.
   */
  sq8Batch(q16: number, n: number, base: number, stride: number, blocks: number, alpha: number, beta: number, gamma: number): void
  /**
   * PQ batch (see simd.wat): batchOut[i] = the sum of the `m4` terms `lut[j * 256 + code_j]` of row
   * batchIds[i], whose codes start at byte `base + row * stride`; `lut` is a byte address.
   */
  pqBatch(lut: number, n: number, base: number, stride: number, m4: number): void
  /**
   * PQ centroid scores (see simd.wat's pqScores): out[c] = bias + scale * (cn[c] - sum_t 2 x_t c_t)
   * for the `k4` centroids transposed at `cT`; `x` holds `w` f32, `xs` is scratch (w x 16 bytes).
   */
  pqScores(x: number, w: number, cT: number, k4: number, cn: number, xs: number, out: number, bias: number, scale: number): void
  /** The nearest centroid (lowest pqScores score) of each of `n` points of `w` f32 at `points`, i32 indexes at `out`; `sc`: scratch for k4 f32. */
  pqAssign(points: number, n: number, w: number, cT: number, k4: number, cn: number, xs: number, sc: number, out: number): void
  /** lo[d] = min(lo[d], row[d]), hi[d] = max(hi[d], row[d]) over `count` rows of `dim` f32 from byte `rows` (lo, hi: byte addresses). */
  sq8MinMax(rows: number, count: number, dim: number, lo: number, hi: number): void
  /** SQ8 codes of rows [from, to) (see simd.wat's sq8EncodeRows); all addresses in bytes. */
  sq8EncodeRows(rows: number, from: number, to: number, dim: number, lo: number, inv: number, base: number, stride: number): void
  /** simd.wat's level-0 beam search; only WebAssembly arenas have it (see vector-index/hnsw-beam.ts). */
  readonly beam?: BeamKernel
  /** simd.wat's neighbour-selection heuristic; only WebAssembly arenas have it (see vector-index/hnsw-link.ts). */
  readonly select?: SelectKernel
  /** simd.wat's heap drain (a beam result, closest first); only WebAssembly arenas have it (see vector-index/hnsw-beam.ts). */
  readonly drain?: DrainKernel
}

/** Signature of simd.wat's `beam` export. */
export type BeamKernel = (ctx: number, ep: number, epD: number, ef: number, gen: number, mode: number, kind: number,
  q: number, base: number, dim: number, blocks: number, alpha: number, beta: number, gamma: number, aug: number, h: number) => number

/** Signature of simd.wat's `select` export. */
export type SelectKernel = (ids: number, ds: number, flags: number, total: number, m: number, free: number,
  selI: number, selD: number, mode: number, base: number, dim: number, aug: number) => number

/** Signature of simd.wat's `drain` export. */
export type DrainKernel = (heapD: number, heapI: number, n: number, outI: number, outD: number) => void

/** Entries in the batch scratch arrays: enough for a level-0 list with M up to 255. */
export const BATCH = 512

/**
 * f32 elements at the start of every arena reserved for the batch scratch (ids, then output);
 * callers store their own data from this offset on.
 */
export const ARENA_RESERVED = 2 * BATCH

interface SimdExports {
  memory: WasmMemory
  dot(a: number, b: number, n: number): number
  l2sq(a: number, b: number, n: number): number
  dotBatch(q: number, ids: number, n: number, base: number, dim: number, out: number): void
  l2Batch(q: number, ids: number, n: number, base: number, dim: number, out: number): void
  sq8Batch(q: number, ids: number, n: number, base: number, stride: number, blocks: number, alpha: number, beta: number, gamma: number, out: number): void
  sq8MinMax(rows: number, count: number, dim: number, lo: number, hi: number): void
  sq8EncodeRows(rows: number, from: number, to: number, dim: number, lo: number, inv: number, base: number, stride: number): void
  pqBatch(lut: number, ids: number, n: number, base: number, stride: number, m4: number, out: number): void
  pqScores(x: number, w: number, cT: number, k4: number, cn: number, xs: number, out: number, bias: number, scale: number): void
  pqAssign(points: number, n: number, w: number, cT: number, k4: number, cn: number, xs: number, sc: number, out: number): void
  beam: BeamKernel
  select: SelectKernel
  drain: DrainKernel
}

let module: WasmModule | null | undefined

/** The compiled SIMD module, or null when this runtime has no WebAssembly SIMD. */
function simdModule(): WasmModule | null {
  if (module === undefined) module = compileWasm(WASM_BASE64)
  return module
}

/** True when WebAssembly SIMD kernels are available in this runtime. */
export function simdAvailable(): boolean {
  return simdModule() !== null
}

const MAX_PAGES = 65536

class WasmArena implements VectorArena {
  readonly wasm = true
  f32: Float32Array
  bytes: Uint8Array
  batchIds: Int32Array
  batchOut: Float32Array
  readonly dot: (a: number, b: number, n: number) => number
  readonly l2sq: (a: number, b: number, n: number) => number
  readonly beam: BeamKernel
  readonly select: SelectKernel
  readonly drain: DrainKernel
  readonly sq8MinMax: SimdExports['sq8MinMax']
  readonly sq8EncodeRows: SimdExports['sq8EncodeRows']
  readonly pqAssign: SimdExports['pqAssign']
  readonly pqScores: SimdExports['pqScores']
  private readonly ex: SimdExports
  private readonly memory: WasmMemory

  constructor(mod: WasmModule, elements: number) {
    const ex = instantiate<SimdExports>(mod)
    this.ex = ex
    this.memory = ex.memory
    this.dot = ex.dot
    this.l2sq = ex.l2sq
    this.beam = ex.beam
    this.select = ex.select
    this.drain = ex.drain
    this.sq8MinMax = ex.sq8MinMax
    this.sq8EncodeRows = ex.sq8EncodeRows
    this.pqAssign = ex.pqAssign
    this.pqScores = ex.pqScores
    this.f32 = new Float32Array(this.memory.buffer)
    this.bytes = new Uint8Array(this.memory.buffer)
    this.batchIds = new Int32Array(this.memory.buffer, 0, BATCH)
    this.batchOut = new Float32Array(this.memory.buffer, BATCH * 4, BATCH)
    this.ensure(elements)
  }

  sq8Batch(q16: number, n: number, base: number, stride: number, blocks: number, alpha: number, beta: number, gamma: number): void {
    this.ex.sq8Batch(q16, 0, n, base, stride, blocks, alpha, beta, gamma, BATCH * 4)
  }

  pqBatch(lut: number, n: number, base: number, stride: number, m4: number): void {
    this.ex.pqBatch(lut, 0, n, base, stride, m4, BATCH * 4)
  }

  dotBatch(q: number, n: number, base: number, dim: number): void {
    this.ex.dotBatch(q, 0, n, base, dim, BATCH * 4)
  }

  l2Batch(q: number, n: number, base: number, dim: number): void {
    this.ex.l2Batch(q, 0, n, base, dim, BATCH * 4)
  }

  ensure(elements: number, exact = false): void {
    const bytes = elements * 4
    const have = this.memory.buffer.byteLength
    if (bytes <= have) return
    const wantPages = Math.ceil((exact ? bytes : Math.max(bytes, have * 1.5)) / PAGE)
    const pages = Math.min(MAX_PAGES, wantPages)
    if (pages * PAGE < bytes) {
      throw new AilakeError('INVALID_ARGUMENT', `vector arena: ${bytes} bytes exceed the 4 GiB WebAssembly memory limit; split the data into smaller indexes`, {
        context: { bytes },
      })
    }
    this.memory.grow(pages - have / PAGE)
    this.f32 = new Float32Array(this.memory.buffer)
    this.bytes = new Uint8Array(this.memory.buffer)
    this.batchIds = new Int32Array(this.memory.buffer, 0, BATCH)
    this.batchOut = new Float32Array(this.memory.buffer, BATCH * 4, BATCH)
  }
}

class JsArena implements VectorArena {
  readonly wasm = false
  f32: Float32Array
  bytes: Uint8Array
  readonly batchIds = new Int32Array(BATCH)
  readonly batchOut = new Float32Array(BATCH)

  constructor(elements: number) {
    this.f32 = new Float32Array(Math.max(ARENA_RESERVED, elements))
    this.bytes = new Uint8Array(this.f32.buffer)
  }

  sq8MinMax(rows: number, count: number, dim: number, lo: number, hi: number): void {
    const f32 = this.f32
    const l = lo >> 2
    const h = hi >> 2
    for (let r = 0, p = rows >> 2; r < count; r++, p += dim) {
      for (let d = 0; d < dim; d++) {
        const v = f32[p + d] as number
        // Math.min/max order -0 below +0 and propagate NaN, like wasm's f32 min/max.
        f32[l + d] = Math.min(f32[l + d] as number, v)
        f32[h + d] = Math.max(f32[h + d] as number, v)
      }
    }
  }

  // Mirrors simd.wat's sq8EncodeRows step for step in f32.
  sq8EncodeRows(rows: number, from: number, to: number, dim: number, lo: number, inv: number, base: number, stride: number): void {
    const f32 = this.f32
    const u8 = this.bytes
    const l = lo >> 2
    const iv = inv >> 2
    for (let r = from; r < to; r++) {
      const p = (rows >> 2) + r * dim
      const out = base + r * stride
      for (let d = 0; d < dim; d++) {
        const t = fr(fr(fr((f32[p + d] as number) - (f32[l + d] as number)) * (f32[iv + d] as number)) + 0.5)
        let k = Math.trunc(t)
        if (!(k > 0)) k = 0
        else if (k > 255) k = 255
        u8[out + d] = k
      }
    }
  }

  // Mirrors simd.wat's sq8Batch: the integer dot is exact in both, then the same f32 roundings.
  sq8Batch(q16: number, n: number, base: number, stride: number, blocks: number, alpha: number, beta: number, gamma: number): void {
    const u8 = this.bytes
    const q = new Int16Array(this.f32.buffer, q16, blocks * 16)
    const a = fr(alpha)
    const b = fr(beta)
    const g = fr(gamma)
    const len = blocks * 16
    for (let i = 0; i < n; i++) {
      const p = base + (this.batchIds[i] as number) * stride
      let sum = 0
      for (let j = 0; j < len; j++) sum += (q[j] as number) * (u8[p + j] as number)
      const norm = this.f32[(p + len) >> 2] as number
      this.batchOut[i] = fr(fr(fr(a * fr(sum)) + b) + fr(g * norm))
    }
  }

  // Mirrors simd.wat's pqScores: the same f32 steps.
  pqScores(x: number, w: number, cT: number, k4: number, cn: number, _xs: number, out: number, bias: number, scale: number): void {
    const f32 = this.f32
    const b = fr(bias)
    const sc = fr(scale)
    for (let c = 0; c < k4; c++) {
      let acc = f32[(cn >> 2) + c] as number
      for (let t = 0, q = (cT >> 2) + c; t < w; t++, q += k4) acc = fr(acc - fr(fr(2 * (f32[(x >> 2) + t] as number)) * (f32[q] as number)))
      f32[(out >> 2) + c] = fr(b + fr(sc * acc))
    }
  }

  // Mirrors simd.wat's pqAssign: the first lowest score.
  pqAssign(points: number, n: number, w: number, cT: number, k4: number, cn: number, xs: number, sc: number, out: number): void {
    const f32 = this.f32
    const i32 = new Int32Array(f32.buffer)
    for (let i = 0; i < n; i++) {
      this.pqScores(points + 4 * i * w, w, cT, k4, cn, xs, sc, 0, 1)
      let best = Infinity
      let bi = 0
      for (let c = 0; c < k4; c++) {
        const v = f32[(sc >> 2) + c] as number
        if (v < best) {
          best = v
          bi = c
        }
      }
      i32[(out >> 2) + i] = bi
    }
  }

  // Mirrors simd.wat's pqBatch: four running f32 sums, combined as (s0 + s1) + (s2 + s3).
  pqBatch(lut: number, n: number, base: number, stride: number, m4: number): void {
    const u8 = this.bytes
    const f32 = this.f32
    for (let i = 0; i < n; i++) {
      const p = base + (this.batchIds[i] as number) * stride
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      for (let j = 0, t = lut >> 2; j < m4; j += 4, t += 1024) {
        s0 = fr(s0 + (f32[t + (u8[p + j] as number)] as number))
        s1 = fr(s1 + (f32[t + 256 + (u8[p + j + 1] as number)] as number))
        s2 = fr(s2 + (f32[t + 512 + (u8[p + j + 2] as number)] as number))
        s3 = fr(s3 + (f32[t + 768 + (u8[p + j + 3] as number)] as number))
      }
      this.batchOut[i] = fr(fr(s0 + s1) + fr(s2 + s3))
    }
  }

  dotBatch(q: number, n: number, base: number, dim: number): void {
    const f32 = this.f32
    for (let i = 0; i < n; i++) this.batchOut[i] = dot(f32, q, f32, base + (this.batchIds[i] as number) * dim, dim)
  }

  l2Batch(q: number, n: number, base: number, dim: number): void {
    const f32 = this.f32
    for (let i = 0; i < n; i++) this.batchOut[i] = l2sq(f32, q, f32, base + (this.batchIds[i] as number) * dim, dim)
  }

  dot(a: number, b: number, n: number): number {
    return dot(this.f32, a, this.f32, b, n)
  }

  l2sq(a: number, b: number, n: number): number {
    return l2sq(this.f32, a, this.f32, b, n)
  }

  ensure(elements: number, exact = false): void {
    if (elements <= this.f32.length) return
    const next = new Float32Array(exact ? elements : Math.max(elements, Math.ceil(this.f32.length * 1.5)))
    next.set(this.f32)
    this.f32 = next
    this.bytes = new Uint8Array(next.buffer)
  }
}

/**
 * A new arena with room for `elements` f32 values. `wasm` defaults to true (use SIMD when the
 * runtime has it); pass false to force the plain-JS kernels.
 */
export function createArena(elements: number, options: { wasm?: boolean } = {}): VectorArena {
  const mod = options.wasm === false ? null : simdModule()
  return mod === null ? new JsArena(elements) : new WasmArena(mod, elements)
}
