/**
 * Maps failures to one stderr line and a process exit code, so scripts can tell a usage
 * mistake from a missing table from corrupt storage without parsing messages.
 */
import { isAilakeError, type AilakeErrorCode } from '../index.js'

/** Exit codes by AilakeError code; anything unlisted (and non-ailake errors) exits 1. */
export const EXIT_CODES: Readonly<Partial<Record<AilakeErrorCode, number>>> = {
  INVALID_ARGUMENT: 2,
  NOT_FOUND: 3,
  ALREADY_EXISTS: 3,
  DIMENSION_MISMATCH: 4,
  SCHEMA_MISMATCH: 4,
  CORRUPT_DATA: 5,
  COMMIT_CONFLICT: 6,
  STORE_ERROR: 7,
}

/** A command-line mistake (unknown flag, missing argument); exits 2 like INVALID_ARGUMENT. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return 2
  if (isAilakeError(err)) return EXIT_CODES[err.code] ?? 1
  return 1
}

/** The one line printed for `err`: the message with newlines folded, never a stack. */
export function messageOf(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err)
  return raw.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error'
}
