/**
 * A random-access source of bytes: the one way lower layers read files, so the same decoder
 * reads a local file, an S3 object or an in-memory buffer.
 */
export interface ByteSource {
  /** What the bytes are (a path or object key), for error messages. */
  readonly name?: string
  /** Total size in bytes. */
  readonly size: number
  /** The store's `requestCostBytes`: ranges closer than this are read in one request. */
  readonly requestCostBytes?: number
  /** Reads `length` bytes at `offset`. Must return exactly that many bytes or reject. */
  read(offset: number, length: number): Promise<Uint8Array>
}

/** A `ByteSource` over bytes already in memory. */
export function bytesSource(bytes: Uint8Array, name?: string): ByteSource {
  return {
    ...(name === undefined ? {} : { name }),
    size: bytes.length,
    read(offset: number, length: number): Promise<Uint8Array> {
      if (offset < 0 || length < 0 || offset + length > bytes.length) {
        return Promise.reject(new RangeError(`read [${offset}, ${offset + length}) outside [0, ${bytes.length})`))
      }
      return Promise.resolve(bytes.subarray(offset, offset + length))
    },
  }
}
