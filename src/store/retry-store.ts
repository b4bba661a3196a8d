import { AilakeError, isAilakeError } from '../errors.js'
import { sleep } from '../util/limiter.js'
import type { AppendableObject, ObjectInfo, ObjectStore } from './object-store.js'

export interface RetryOptions {
  /** Total tries per call, the first included. Default 5. */
  maxAttempts?: number
  /** Backoff before the second try; doubles each time ("full jitter": a random wait up to it). Default 50 ms. */
  baseDelayMs?: number
  /** Upper bound of one backoff. Default 2000 ms. */
  maxDelayMs?: number
}

interface ResolvedRetry {
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

/** Fills in the defaults of {@link RetryOptions} and checks them. */
export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetry {
  const r = { maxAttempts: options.maxAttempts ?? 5, baseDelayMs: options.baseDelayMs ?? 50, maxDelayMs: options.maxDelayMs ?? 2000 }
  if (!Number.isInteger(r.maxAttempts) || r.maxAttempts < 1) throw new AilakeError('INVALID_ARGUMENT', `maxAttempts must be an integer >= 1, got ${options.maxAttempts}.`)
  if (!(r.baseDelayMs >= 0) || !(r.maxDelayMs >= 0)) throw new AilakeError('INVALID_ARGUMENT', `Retry delays must be >= 0, got baseDelayMs=${options.baseDelayMs}, maxDelayMs=${options.maxDelayMs}.`)
  return r
}

function isRetryable(err: unknown): boolean {
  return isAilakeError(err) && err.retryable && err.code !== 'COMMIT_CONFLICT'
}

function backoff(r: ResolvedRetry, attempt: number): Promise<void> {
  const cap = Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** (attempt - 1))
  return sleep(Math.random() * cap)
}

/** Runs `fn` until it succeeds, fails with a non-retryable error, or runs out of attempts. */
export async function withRetry<T>(r: ResolvedRetry, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (err) {
      if (!isRetryable(err) || attempt >= r.maxAttempts) throw err
      await backoff(r, attempt)
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Create-if-absent with retries that never reports `false` for our own write. After a failure
 * whose outcome is unknown (the request may have landed), a later "already exists" answer is
 * checked: if the stored bytes equal ours, the earlier attempt won and the result is `true`.
 * `attemptOnce` returns true (created), false (exists), or 'busy' (a concurrent create is in
 * progress and the outcome is unknown, such as radosgw's 409), or throws.
 */
export async function putIfAbsentWithRetry(
  r: ResolvedRetry,
  key: string,
  bytes: Uint8Array,
  attemptOnce: () => Promise<boolean | 'busy'>,
  read: (key: string) => Promise<ObjectInfo | undefined>,
  get: (key: string) => Promise<Uint8Array>,
): Promise<boolean> {
  let ambiguous = false
  let lastErr: unknown
  for (let attempt = 1; attempt <= r.maxAttempts; attempt++) {
    if (attempt > 1) await backoff(r, attempt - 1)
    let result: boolean | 'busy'
    try {
      result = await attemptOnce()
    } catch (err) {
      if (!isRetryable(err)) throw err
      ambiguous = true
      lastErr = err
      continue
    }
    if (result === true) return true
    if (result === 'busy') {
      // Someone is creating the key right now; if it may be our own earlier attempt, wait and ask again.
      if (!ambiguous) return false
      continue
    }
    if (!ambiguous) return false
    try {
      const info = await read(key)
      if (info === undefined) continue
      if (info.size !== bytes.length) return false
      return sameBytes(await get(key), bytes)
    } catch (err) {
      if (!isRetryable(err)) throw err
      lastErr = err
    }
  }
  throw new AilakeError('STORE_ERROR', `Create-if-absent of ${JSON.stringify(key)} failed after ${r.maxAttempts} attempts; whether the object was written is unknown. Read the key to find out before trying again.`, { context: { key, attempts: r.maxAttempts, outcomeUnknown: ambiguous }, cause: lastErr, retryable: true })
}

/**
 * Wraps any store and repeats calls that fail with a retryable `AilakeError` (transient I/O),
 * with jittered exponential backoff. `putIfAbsent` is made safe to repeat: see
 * {@link putIfAbsentWithRetry}.
 */
export class RetryStore implements ObjectStore {
  readonly inner: ObjectStore
  readonly requestCostBytes?: number
  /** Present when the inner store has it; not retried, as repeating an append that may have landed would duplicate or tear a record. */
  readonly createAppendable?: (key: string) => Promise<AppendableObject | undefined>
  readonly #r: ResolvedRetry

  constructor(inner: ObjectStore, options: RetryOptions = {}) {
    this.inner = inner
    if (inner.requestCostBytes !== undefined) this.requestCostBytes = inner.requestCostBytes
    this.#r = resolveRetryOptions(options)
    const create = inner.createAppendable?.bind(inner)
    if (create !== undefined) this.createAppendable = create
  }

  get(key: string): Promise<Uint8Array> {
    return withRetry(this.#r, () => this.inner.get(key))
  }

  getRange(key: string, offset: number, length?: number): Promise<Uint8Array> {
    return withRetry(this.#r, () => this.inner.getRange(key, offset, length))
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return withRetry(this.#r, () => this.inner.head(key))
  }

  put(key: string, bytes: Uint8Array): Promise<void> {
    return withRetry(this.#r, () => this.inner.put(key, bytes))
  }

  putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    return putIfAbsentWithRetry(this.#r, key, bytes, () => this.inner.putIfAbsent(key, bytes), (k) => this.head(k), (k) => this.get(k))
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return withRetry(this.#r, () => this.inner.list(prefix))
  }

  delete(key: string): Promise<void> {
    return withRetry(this.#r, () => this.inner.delete(key))
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
