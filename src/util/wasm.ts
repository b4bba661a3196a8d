/**
 * The little of the WebAssembly API ailake uses (the ES2022 lib declares none of it; it lives in
 * the DOM lib), and compiling the modules that scripts/build-wasm.mjs embeds as base64.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}
export interface WasmModule { readonly __wasmModule?: never }
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule
  Instance: new (module: WasmModule, imports: object) => { exports: unknown }
}

export const WASM_PAGE = 65536

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** Compiles an embedded module; null when this runtime lacks WebAssembly or a feature it uses (SIMD). */
export function compileWasm(base64: string): WasmModule | null {
  try {
    return typeof WebAssembly === 'undefined' ? null : new WebAssembly.Module(decodeBase64(base64))
  } catch {
    return null
  }
}

/** A new instance's exports. */
export function instantiate<T>(module: WasmModule): T {
  return new WebAssembly.Instance(module, {}).exports as T
}
