/**
 * CRC-32 with zlib's (gzip's, IEEE 802.3) polynomial: the checksum the Parquet format puts in
 * `PageHeader.crc`. Not CRC-32C, which ailake's own sections use.
 */
import { crcFunction } from './crc-slice8.js'

const { crc, js } = crcFunction(0xedb88320)

/** CRC-32 of `bytes`. Pass the previous result as `seed` to checksum data that arrives in pieces. */
export function crc32(bytes: Uint8Array, seed = 0): number {
  return crc(bytes, seed)
}

/** The plain-JS path (small inputs, runtimes without WebAssembly); same result. */
export function crc32Js(bytes: Uint8Array, seed = 0): number {
  return js(bytes, seed)
}
