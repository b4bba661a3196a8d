/**
 * What a server accepts and how much: every limit has a default that protects a small machine,
 * and each can be raised (or lowered) per deployment.
 */
import { AilakeError, MAX_LIMIT, type Embedder } from '../index.js'

export interface ServeLimits {
  /** Largest request body in bytes (JSON or Arrow). Default 16 MiB. */
  maxBodyBytes: number
  /** Most rows one request may add. Default 10,000. */
  maxRowsPerRequest: number
  /** Largest search `limit`. Default 1,000 (at most ailake's own 10,000). */
  maxLimit: number
  /** Largest search `ef`. Default 1,000. */
  maxEf: number
  /** A request still running after this many ms is answered 503 (a change may still land). Default 30 s. */
  requestTimeoutMs: number
  /** Searches running at once; more wait in a queue. Default 8. */
  maxConcurrentSearches: number
  /** Searches that may wait for a slot; beyond that, 503 with Retry-After. Default 64. */
  searchQueue: number
}

export interface AppOptions {
  /** Limits (each optional). */
  limits?: Partial<ServeLimits>
  /**
   * Refuse every request without a valid key even when no key exists. Set when the server is
   * reachable from other machines, so revoking the last key never opens it up.
   */
  requireAuth?: boolean
  /** Path prefix of the Iceberg REST catalog's routes (`/iceberg/v1/<prefix>/...`). Default `ailake`. */
  icebergPrefix?: string
  /** Embedders by name, used instead of building them from a table's record (custom or test models). */
  embedders?: Record<string, Embedder>
  /** Milliseconds a cached table handle serves reads before it reloads the table's metadata. Default 1000. */
  refreshMs?: number
  /** Where internal errors are logged (their details never go to clients). Default: console.error. */
  log?: (line: string) => void
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxRowsPerRequest: 10_000,
  maxLimit: 1_000,
  maxEf: 1_000,
  requestTimeoutMs: 30_000,
  maxConcurrentSearches: 8,
  searchQueue: 64,
}

/** `limits` over the defaults, each a positive integer (maxLimit at most ailake's). */
export function resolveLimits(limits: Partial<ServeLimits> = {}): ServeLimits {
  const out = { ...DEFAULT_LIMITS }
  for (const [k, v] of Object.entries(limits)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, k)) throw new AilakeError('INVALID_ARGUMENT', `unknown server limit ${JSON.stringify(k)}; limits: ${Object.keys(DEFAULT_LIMITS).join(', ')}`)
    if (v === undefined) continue
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < (k === 'searchQueue' ? 0 : 1)) {
      throw new AilakeError('INVALID_ARGUMENT', `server limit ${k} must be a positive integer, got ${String(v)}`)
    }
    out[k as keyof ServeLimits] = v
  }
  if (out.maxLimit > MAX_LIMIT) throw new AilakeError('INVALID_ARGUMENT', `server limit maxLimit must be at most ${MAX_LIMIT}, got ${out.maxLimit}`)
  return out
}
