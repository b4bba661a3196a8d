/**
 * Embedder for any OpenAI-compatible HTTP API (`POST {baseUrl}/embeddings`): OpenAI itself,
 * Azure-style proxies, Ollama, vLLM, LM Studio, LiteLLM and the like.
 */
import { AilakeError, invalid, type AilakeErrorCode } from '../errors.js'
import { sleep } from '../util/limiter.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import { checkBatchSize, checkVector, embedInBatches, type Embedder } from './embedder.js'
import { parseEmbeddingsResponse } from './openai-response.js'

/** Options for {@link createOpenAIEmbedder}. */
export interface OpenAIEmbedderOptions {
  /** Model id sent as `model`, e.g. `text-embedding-3-small`. Required. */
  model: string
  /** API root. Default: `OPENAI_BASE_URL` from the environment, else `https://api.openai.com/v1`. */
  baseUrl?: string
  /**
   * Bearer token. Default: `OPENAI_API_KEY`. Required for api.openai.com; other servers get no
   * `Authorization` header when there is no key. Never appears in error messages.
   */
  apiKey?: string
  /**
   * Vector length. When given it is sent as `dimensions` (see `sendDimensions`) and every
   * response is checked against it. When omitted, `dim` is 0 until the first response sets it.
   */
  dim?: number
  /** Send `dim` as the request's `dimensions` field. Default true; set false for models that reject it. */
  sendDimensions?: boolean
  /** Texts per request. Default 128 (OpenAI accepts up to 2048 inputs per request). */
  batchSize?: number
  /** Per-attempt timeout in milliseconds, including reading the body. Default 60000. */
  timeoutMs?: number
  /** Retries after a 429, a 5xx, a network error or a timeout. Default 4. */
  maxRetries?: number
  /** First backoff delay in milliseconds; doubles per retry with jitter, capped at 30 s. Default 500. */
  retryBaseMs?: number
  /** Ask for `base64` vectors (smaller responses) instead of JSON floats. Default `'float'`. */
  encodingFormat?: 'float' | 'base64'
  /** Recorded identity. Default `openai:<model>`. Set it when two servers serve different weights under one model id. */
  name?: string
  /** Fetch implementation (tests, proxies). Default the global `fetch`. */
  fetch?: typeof fetch
}

export const OPENAI_OPTION_KEYS = {
  model: true, baseUrl: true, apiKey: true, dim: true, sendDimensions: true, batchSize: true, timeoutMs: true,
  maxRetries: true, retryBaseMs: true, encodingFormat: true, name: true, fetch: true,
} as const satisfies OptionKeys<OpenAIEmbedderOptions>

const DEFAULT_BASE_URL = 'https://api.openai.com/v1'
const MAX_BACKOFF_MS = 30_000
const MAX_RETRY_AFTER_MS = 120_000

/**
 * Creates an OpenAI-compatible HTTP embedder. Requests go out one batch at a time; results
 * come back in input order. Failures are `AilakeError`s: 401/403 → `INVALID_ARGUMENT` (check
 * the key), 404 → `NOT_FOUND` (model or URL), other 4xx → `INVALID_ARGUMENT`, exhausted retries
 * and timeouts → `STORE_ERROR` with `retryable: true`, malformed responses → `CORRUPT_DATA`,
 * wrong vector length → `DIMENSION_MISMATCH`.
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const env = typeof process === 'undefined' ? {} : process.env
  if (typeof options?.model !== 'string' || options.model.trim() === '') {
    throw invalid('createOpenAIEmbedder needs a model id, e.g. { model: "text-embedding-3-small" }')
  }
  checkOptions(options, OPENAI_OPTION_KEYS, 'createOpenAIEmbedder()')
  const model = options.model
  const baseUrl = stripSlash(options.baseUrl ?? env['OPENAI_BASE_URL'] ?? DEFAULT_BASE_URL)
  let endpoint: URL
  try {
    endpoint = new URL(`${baseUrl}/embeddings`)
  } catch {
    throw invalid(`baseUrl ${JSON.stringify(safeUrl(baseUrl))} is not a valid URL; use e.g. http://localhost:11434/v1`)
  }
  const apiKey = options.apiKey ?? env['OPENAI_API_KEY'] ?? ''
  if (apiKey === '' && endpoint.hostname === 'api.openai.com') {
    throw invalid('no OpenAI API key: set OPENAI_API_KEY or pass { apiKey }')
  }
  if (options.dim !== undefined && (!Number.isInteger(options.dim) || options.dim < 1)) {
    throw invalid(`dim must be a positive integer, got ${String(options.dim)}`)
  }
  const batchSize = checkBatchSize(options.batchSize ?? 128)
  const timeoutMs = positive(options.timeoutMs ?? 60_000, 'timeoutMs')
  const maxRetries = nonNegative(options.maxRetries ?? 4, 'maxRetries')
  const retryBaseMs = nonNegative(options.retryBaseMs ?? 500, 'retryBaseMs')
  const encodingFormat = options.encodingFormat ?? 'float'
  const sendDimensions = options.sendDimensions ?? true
  const doFetch = options.fetch ?? globalThis.fetch
  const where = { model, baseUrl: safeUrl(baseUrl) }
  const redact = (s: string): string => (apiKey.length >= 4 ? s.split(apiKey).join('[redacted]') : s)

  let dim = options.dim ?? 0
  let closed = false

  async function attempt(batch: string[]): Promise<Float32Array[]> {
    const body: Record<string, unknown> = { model, input: batch }
    // 'float' is the API default; leaving it out keeps servers that do not know the field happy.
    if (encodingFormat === 'base64') body['encoding_format'] = 'base64'
    if (options.dim !== undefined && sendDimensions) body['dimensions'] = options.dim
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
    if (apiKey !== '') headers['authorization'] = `Bearer ${apiKey}`
    const signal = AbortSignal.timeout(timeoutMs)
    let res: Response
    let text: string
    try {
      res = await doFetch(endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal })
      text = await res.text()
    } catch (err) {
      const timedOut = signal.aborted
      throw new AilakeError('STORE_ERROR', timedOut
        ? `embedding request to ${where.baseUrl} timed out after ${timeoutMs} ms; raise timeoutMs or lower batchSize`
        : `embedding request to ${where.baseUrl} failed: ${redact(messageOf(err))}`, {
        context: { ...where, timeoutMs, timedOut },
        retryable: true,
      })
    }
    if (!res.ok) throw httpError(res, redact(text), where)
    const vectors = parseEmbeddingsResponse(text, batch.length, `embedding server ${where.baseUrl}`)
    const expected = dim > 0 ? dim : (vectors[0]?.length ?? 0)
    vectors.forEach((v, i) => checkVector(v, i, expected, `embedding model ${model}`))
    dim = expected
    return vectors
  }

  async function embedBatch(batch: string[]): Promise<Float32Array[]> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt(batch)
      } catch (err) {
        if (!(err instanceof AilakeError) || !err.retryable || retry >= maxRetries || closed) throw err
        const hinted = err.context['retryAfterMs']
        const backoff = Math.min(MAX_BACKOFF_MS, retryBaseMs * 2 ** retry) * (0.5 + Math.random() / 2)
        await sleep(typeof hinted === 'number' ? Math.max(hinted, backoff / 4) : backoff)
      }
    }
  }

  return {
    name: options.name ?? `openai:${model}`,
    get dim(): number {
      return dim
    },
    async embed(texts: readonly string[]): Promise<Float32Array[]> {
      if (closed) throw new AilakeError('CLOSED', `this embedder (openai:${model}) was closed; create a new one`)
      return embedInBatches(texts, batchSize, embedBatch)
    },
    async close(): Promise<void> {
      closed = true
    },
  }
}

function httpError(res: Response, body: string, where: { model: string; baseUrl: string }): AilakeError {
  const status = res.status
  const serverMessage = extractMessage(body)
  const detail = serverMessage === '' ? '' : `: ${serverMessage}`
  const context: Record<string, unknown> = { ...where, status }
  const requestId = res.headers.get('x-request-id')
  if (requestId !== null) context['requestId'] = requestId
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers)
    if (retryAfterMs !== undefined) context['retryAfterMs'] = retryAfterMs
    const what = status === 429 ? 'rate-limited the request' : `failed with HTTP ${status}`
    return new AilakeError('STORE_ERROR', `embedding server ${where.baseUrl} ${what}${detail}; try again later or lower batchSize`, { context, retryable: true })
  }
  let code: AilakeErrorCode = 'INVALID_ARGUMENT'
  let hint: string
  if (status === 401 || status === 403) {
    hint = `HTTP ${status} from ${where.baseUrl}: the API key was refused${detail}; check OPENAI_API_KEY or the apiKey option`
  } else if (status === 404) {
    code = 'NOT_FOUND'
    hint = `HTTP 404 from ${where.baseUrl}/embeddings: unknown model ${JSON.stringify(where.model)} or wrong baseUrl${detail}`
  } else if (status === 413) {
    hint = `HTTP 413 from ${where.baseUrl}: the request is too large${detail}; lower batchSize or shorten the texts`
  } else {
    hint = `HTTP ${status} from ${where.baseUrl} for model ${JSON.stringify(where.model)}${detail}; check the texts, model and dim`
  }
  return new AilakeError(code, hint, { context })
}

/** Milliseconds to wait, from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or HTTP date). */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms')
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) {
    return Math.min(MAX_RETRY_AFTER_MS, Number(ms))
  }
  const ra = headers.get('retry-after')
  if (ra === null || ra.trim() === '') return undefined
  const seconds = Number(ra)
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(MAX_RETRY_AFTER_MS, seconds * 1000)
  const date = Date.parse(ra)
  if (Number.isNaN(date)) return undefined
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now))
}

function extractMessage(body: string): string {
  let msg = body
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown }
    const e = parsed.error
    if (typeof e === 'string') msg = e
    else if (typeof e?.message === 'string') msg = e.message
    else if (typeof parsed.message === 'string') msg = parsed.message
  } catch {
    // Not JSON: quote the raw body, shortened.
  }
  msg = msg.replace(/\s+/g, ' ').trim()
  return msg.length > 300 ? `${msg.slice(0, 300)}…` : msg
}

/** The base URL without user info or query, safe to put in messages. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    u.search = ''
    return stripSlash(u.toString())
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//')
  }
}

function stripSlash(s: string): string {
  return s.replace(/\/+$/, '')
}

function positive(v: number, name: string): number {
  if (!Number.isFinite(v) || v <= 0) throw invalid(`${name} must be a positive number, got ${String(v)}`)
  return v
}

function nonNegative(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0) throw invalid(`${name} must be a non-negative integer, got ${String(v)}`)
  return v
}

function messageOf(err: unknown): string {
  const e = err as { message?: unknown; cause?: { message?: unknown } } | null
  const base = typeof e?.message === 'string' ? e.message : String(err)
  const cause = typeof e?.cause?.message === 'string' ? ` (${e.cause.message})` : ''
  return base + cause
}
