/**
 * A growable f32 arena with distance kernels over it. With WebAssembly SIMD the arena is the
 * linear memory of a private instance of `simd.wat`, so kernels read vectors in place; otherwise
 * it is a plain Float32Array with the bit-identical JS kernels from distance.ts.
 * Offsets given to the kernels are f32 element indices into `f32`.
 */
import { AilakeError } from '../errors.js'
import { dot, l2sq } from './distance.js'
import { WASM_BASE64 } from './simd.wasm.generated.js'

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
  /** Makes room for at least `elements` f32 values, keeping the contents. */
  ensure(elements: number): void
}

// The ES2022 lib has no WebAssembly types (they live in the DOM lib); declare the little we use.
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}
interface WasmModule { readonly __wasmModule?: never }
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule
  Instance: new (module: WasmModule, imports: object) => { exports: unknown }
}

interface SimdExports {
  memory: WasmMemory
  dot(a: number, b: number, n: number): number
  l2sq(a: number, b: number, n: number): number
}

let module: WasmModule | null | undefined

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** The compiled SIMD module, or null when this runtime has no WebAssembly SIMD. */
function simdModule(): WasmModule | null {
  if (module !== undefined) return module
  try {
    module = new WebAssembly.Module(decodeBase64(WASM_BASE64))
  } catch {
    module = null
  }
  return module
}

/** True when WebAssembly SIMD kernels are available in this runtime. */
export function simdAvailable(): boolean {
  return simdModule() !== null
}

const PAGE = 65536
const MAX_PAGES = 65536

class WasmArena implements VectorArena {
  readonly wasm = true
  f32: Float32Array
  readonly dot: (a: number, b: number, n: number) => number
  readonly l2sq: (a: number, b: number, n: number) => number
  private readonly memory: WasmMemory

  constructor(mod: WasmModule, elements: number) {
    const ex = new WebAssembly.Instance(mod, {}).exports as unknown as SimdExports
    this.memory = ex.memory
    this.dot = ex.dot
    this.l2sq = ex.l2sq
    this.f32 = new Float32Array(this.memory.buffer)
    this.ensure(elements)
  }

  ensure(elements: number): void {
    const bytes = elements * 4
    const have = this.memory.buffer.byteLength
    if (bytes <= have) return
    const wantPages = Math.ceil(Math.max(bytes, have * 1.5) / PAGE)
    const pages = Math.min(MAX_PAGES, wantPages)
    if (pages * PAGE < bytes) {
      throw new AilakeError('INVALID_ARGUMENT', `vector arena: ${bytes} bytes exceed the 4 GiB WebAssembly memory limit; split the data into smaller indexes`, {
        context: { bytes },
      })
    }
    this.memory.grow(pages - have / PAGE)
    this.f32 = new Float32Array(this.memory.buffer)
  }
}

class JsArena implements VectorArena {
  readonly wasm = false
  f32: Float32Array

  constructor(elements: number) {
    this.f32 = new Float32Array(Math.max(16, elements))
  }

  dot(a: number, b: number, n: number): number {
    return dot(this.f32, a, this.f32, b, n)
  }

  l2sq(a: number, b: number, n: number): number {
    return l2sq(this.f32, a, this.f32, b, n)
  }

  ensure(elements: number): void {
    if (elements <= this.f32.length) return
    const next = new Float32Array(Math.max(elements, Math.ceil(this.f32.length * 1.5)))
    next.set(this.f32)
    this.f32 = next
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
