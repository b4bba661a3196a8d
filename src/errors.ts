/**
 * The one error type of ailake. Every failure a caller can see is an `AilakeError` with a
 * machine-readable `code`; front ends (CLI, HTTP) map the code to an exit code or a status.
 */

/** Machine-readable error codes. Grouped by what the caller should do about them. */
export type AilakeErrorCode =
  /** A caller passed a value that can never work (wrong type, range, dimension, NaN...). */
  | 'INVALID_ARGUMENT'
  /** The vector dimension does not match the table or index. */
  | 'DIMENSION_MISMATCH'
  /** Rows do not match the table schema (missing column, wrong type). */
  | 'SCHEMA_MISMATCH'
  /** A table, namespace, snapshot, object or column does not exist. */
  | 'NOT_FOUND'
  /** The thing being created already exists. */
  | 'ALREADY_EXISTS'
  /** An optimistic commit lost a race that could not be resolved by retrying. */
  | 'COMMIT_CONFLICT'
  /** Bytes on storage are malformed, truncated or fail their checksum. */
  | 'CORRUPT_DATA'
  /** A format version or feature this build cannot read. */
  | 'UNSUPPORTED'
  /** The underlying store failed (I/O, network, permissions). */
  | 'STORE_ERROR'
  /** The handle was closed or the operation was aborted. */
  | 'CLOSED'
  /** A bug or an impossible state inside ailake. */
  | 'INTERNAL'

export interface AilakeErrorOptions {
  /** Values that help diagnose the failure (names, sizes, offsets). Must be JSON-safe. */
  context?: Record<string, unknown>
  /** The underlying error, if any. */
  cause?: unknown
  /** True when repeating the same call may succeed (transient I/O, lost commit race). */
  retryable?: boolean
}

export class AilakeError extends Error {
  override readonly name = 'AilakeError'
  readonly code: AilakeErrorCode
  readonly context: Readonly<Record<string, unknown>>
  readonly retryable: boolean

  constructor(code: AilakeErrorCode, message: string, options: AilakeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.context = Object.freeze({ ...(options.context ?? {}) })
    this.retryable = options.retryable ?? false
  }
}

/** True if `err` is an `AilakeError`, optionally with the given code. */
export function isAilakeError(err: unknown, code?: AilakeErrorCode): err is AilakeError {
  return err instanceof AilakeError && (code === undefined || err.code === code)
}

/** Shorthand for throwing `CORRUPT_DATA` from decoders. */
export function corrupt(message: string, context?: Record<string, unknown>): AilakeError {
  return new AilakeError('CORRUPT_DATA', message, context === undefined ? {} : { context })
}

/** Shorthand for `INVALID_ARGUMENT`. */
export function invalid(message: string, context?: Record<string, unknown>): AilakeError {
  return new AilakeError('INVALID_ARGUMENT', message, context === undefined ? {} : { context })
}

/**
 * `err` as a `CORRUPT_DATA` that names `file` (`what` says what it is: "manifest", "data
 * file"). Decoders see only bytes, so the code that read them, which knows the file, wraps
 * their errors. An error that already names a file (in its message or as `context.file`,
 * `path` or `key`) and errors of other codes pass through unchanged.
 */
export function inFile(err: unknown, file: string, what = 'file'): unknown {
  if (!(err instanceof AilakeError) || err.code !== 'CORRUPT_DATA') return err
  const c = err.context
  if (err.message.includes(file) || typeof c.file === 'string' || typeof c.path === 'string' || typeof c.key === 'string') return err
  // Decoders start their messages with what they decode ("manifest list: ..."): say it once.
  const message = err.message.startsWith(`${what}: `) ? err.message.slice(what.length + 2) : err.message
  return new AilakeError('CORRUPT_DATA', `${what} ${file}: ${message}`, { context: { ...c, file }, cause: err, retryable: err.retryable })
}
