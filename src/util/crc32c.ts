/** CRC-32C (Castagnoli), the checksum of every ailake section and WAL record. */
import { crcFunction } from './crc-slice8.js'

const { crc, js } = crcFunction(0x82f63b78)

/** CRC-32C of `bytes`. Pass the previous result as `seed` to checksum data that arrives in pieces. */
export function crc32c(bytes: Uint8Array, seed = 0): number {
  return crc(bytes, seed)
}

/** The plain-JS path (small inputs, runtimes without WebAssembly); same result. */
export function crc32cJs(bytes: Uint8Array, seed = 0): number {
  return js(bytes, seed)
}
