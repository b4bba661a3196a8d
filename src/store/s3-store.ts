import type * as S3Sdk from '@aws-sdk/client-s3'
import { AilakeError } from '../errors.js'
import { mapLimit } from '../util/limiter.js'
import { compareKeys, resolveRange, validateKey, validatePrefix } from './keys.js'
import type { ObjectInfo, ObjectStore } from './object-store.js'
import { putIfAbsentWithRetry, resolveRetryOptions, withRetry } from './retry-store.js'
import type { S3StoreOptions } from './s3-options.js'

export type { S3StoreOptions } from './s3-options.js'

type Sdk = typeof S3Sdk

const MiB = 1024 * 1024
let sdkPromise: Promise<Sdk> | undefined

/**
 * Loads `@aws-sdk/client-s3` on first use so the local default never pays for it. Exported for
 * tests (`importer` stands in for the dynamic import).
 */
export async function loadS3Sdk(importer: () => Promise<unknown> = () => import('@aws-sdk/client-s3')): Promise<Sdk> {
  try {
    return (await importer()) as Sdk
  } catch (err) {
    throw new AilakeError('UNSUPPORTED', 'The S3 store needs the optional package @aws-sdk/client-s3, which could not be loaded. Install it with `npm install @aws-sdk/client-s3`.', { cause: err })
  }
}

const RETRY_NAMES = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestTimeout', 'RequestTimeoutException',
  'InternalError', 'ServiceUnavailable', 'TimeoutError', 'AbortError', 'RequestAbortedError', 'NetworkingError',
])
const RETRY_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET'])

interface SdkErrorShape {
  name?: string
  code?: string
  Code?: string
  message?: string
  $retryable?: unknown
  $metadata?: { httpStatusCode?: number }
  cause?: unknown
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {}
}

function statusOf(err: unknown): number | undefined {
  return shape(err).$metadata?.httpStatusCode
}

function nameOf(err: unknown): string {
  const e = shape(err)
  return e.name ?? e.Code ?? ''
}

function isTransient(err: unknown): boolean {
  const e = shape(err)
  const status = statusOf(err)
  if (status !== undefined && (status >= 500 || status === 429 || status === 408)) return true
  if (RETRY_NAMES.has(nameOf(err)) || e.$retryable !== undefined) return true
  for (let c: unknown = err, depth = 0; c !== undefined && c !== null && depth < 4; c = shape(c).cause, depth++) {
    const code = shape(c).code
    if (code !== undefined && RETRY_CODES.has(code)) return true
  }
  return false
}

function isPreconditionFailed(err: unknown): boolean {
  return statusOf(err) === 412 || nameOf(err) === 'PreconditionFailed'
}

// radosgw may answer a create-if-absent that races another one with 409 instead of 412.
function isConditionalConflict(err: unknown): boolean {
  return nameOf(err) === 'ConditionalRequestConflict' || (statusOf(err) === 409 && nameOf(err) !== 'BucketAlreadyExists')
}

function isNotFound(err: unknown): boolean {
  const n = nameOf(err)
  return n === 'NoSuchKey' || n === 'NotFound' || (statusOf(err) === 404 && n !== 'NoSuchBucket' && n !== 'NoSuchUpload')
}

function isInvalidRange(err: unknown): boolean {
  return statusOf(err) === 416 || nameOf(err) === 'InvalidRange'
}

/**
 * An object store on S3 or any S3-compatible server (tested against Ceph radosgw). Create-if-
 * absent uses `If-None-Match: *`, which makes many writer processes safe without a lock service.
 * Transient failures (5xx, throttling, timeouts, connection resets) are retried with jittered
 * backoff; the SDK's own retries are off so a repeated create-if-absent can be verified.
 */
export class S3Store implements ObjectStore {
  readonly bucket: string
  /** Normalised key prefix: "" or ending in "/". */
  readonly prefix: string
  readonly #options: S3StoreOptions
  readonly #retry: ReturnType<typeof resolveRetryOptions>
  readonly #threshold: number
  readonly #partSize: number
  readonly requestCostBytes: number
  #client: Promise<{ sdk: Sdk; client: S3Sdk.S3Client }> | undefined
  #closed = false

  constructor(options: S3StoreOptions) {
    if (typeof options?.bucket !== 'string' || options.bucket === '' || options.bucket.includes('/')) {
      throw new AilakeError('INVALID_ARGUMENT', `S3Store needs { bucket: "<name>" } without slashes, got ${JSON.stringify(options?.bucket)}; put the path in { prefix }.`)
    }
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '')
    if (prefix !== '') validateKey(prefix)
    this.bucket = options.bucket
    this.prefix = prefix === '' ? '' : `${prefix}/`
    this.#options = options
    this.#retry = resolveRetryOptions(options)
    this.#threshold = options.multipartThresholdBytes ?? 16 * MiB
    this.#partSize = options.partSizeBytes ?? 8 * MiB
    if (!(this.#partSize >= 5 * MiB)) throw new AilakeError('INVALID_ARGUMENT', `partSizeBytes must be at least 5 MiB (S3's minimum part size), got ${options.partSizeBytes}.`)
    this.requestCostBytes = options.requestCostBytes ?? 256 * 1024
    if (!(Number.isSafeInteger(this.requestCostBytes) && this.requestCostBytes >= 0)) throw new AilakeError('INVALID_ARGUMENT', `requestCostBytes must be a non-negative integer, got ${options.requestCostBytes}.`)
    if (!(this.#threshold >= 1)) throw new AilakeError('INVALID_ARGUMENT', `multipartThresholdBytes must be positive, got ${options.multipartThresholdBytes}.`)
  }

  async get(key: string): Promise<Uint8Array> {
    validateKey(key)
    return this.#op('get', key, async ({ sdk, client }) => {
      const res = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }))
      return readBody(res.Body)
    })
  }

  async getRange(key: string, offset: number, length?: number): Promise<Uint8Array> {
    validateKey(key)
    resolveRange(key, Number.MAX_SAFE_INTEGER, offset, length)
    const sizeThen = async (): Promise<Uint8Array> => {
      const info = await this.head(key)
      if (info === undefined) throw this.#notFound(key)
      const [start, end] = resolveRange(key, info.size, offset, length)
      if (start !== end) throw new AilakeError('STORE_ERROR', `S3 rejected a valid range of ${JSON.stringify(key)} (${offset}, ${length}); the object may have changed during the read.`, { context: { key, offset, length }, retryable: true })
      return new Uint8Array(0)
    }
    if (length === 0) return sizeThen()
    const range = offset < 0 ? `bytes=${offset}` : length === undefined ? `bytes=${offset}-` : `bytes=${offset}-${offset + length - 1}`
    let got: { bytes: Uint8Array; contentRange: string | undefined }
    try {
      got = await this.#op('getRange', key, async ({ sdk, client }) => {
        const res = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Range: range }))
        return { bytes: await readBody(res.Body), contentRange: res.ContentRange }
      })
    } catch (err) {
      if (err instanceof AilakeError && err.code === 'INVALID_ARGUMENT' && err.context.invalidRange === true) return sizeThen()
      throw err
    }
    // Content-Range: "bytes <first>-<last>/<total>". Without it the server sent the whole object.
    const m = got.contentRange === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+)$/.exec(got.contentRange)
    const first = m === null ? 0 : Number(m[1])
    const total = m === null ? got.bytes.length : Number(m[3])
    const [start, end] = resolveRange(key, total, offset, length)
    if (start < first || end - first > got.bytes.length) {
      throw new AilakeError('STORE_ERROR', `S3 answered range ${range} of ${JSON.stringify(key)} with ${got.contentRange ?? 'no Content-Range'} and ${got.bytes.length} bytes, which does not cover bytes ${start}..${end}.`, { context: { key, range, contentRange: got.contentRange }, retryable: true })
    }
    return got.bytes.slice(start - first, end - first)
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key)
    try {
      return await this.#op('head', key, async ({ sdk, client }) => {
        const res = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }))
        return info(key, res.ContentLength, res.ETag, res.LastModified)
      })
    } catch (err) {
      if (err instanceof AilakeError && err.code === 'NOT_FOUND') return undefined
      throw err
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    validateKey(key)
    checkBytes(key, bytes)
    if (bytes.length >= this.#threshold) return this.#multipart(key, bytes)
    await this.#op('put', key, async ({ sdk, client }) => {
      await client.send(new sdk.PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: bytes, ContentLength: bytes.length }))
    })
  }

  /** One PUT with `If-None-Match: *` (so at most 5 GiB); never multipart. */
  async putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    validateKey(key)
    checkBytes(key, bytes)
    const c = await this.#connect()
    const once = async (): Promise<boolean | 'busy'> => {
      try {
        await c.client.send(new c.sdk.PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: bytes, ContentLength: bytes.length, IfNoneMatch: '*' }))
        return true
      } catch (err) {
        if (isPreconditionFailed(err)) return false
        if (isConditionalConflict(err)) return 'busy'
        throw this.#mapError('putIfAbsent', key, err)
      }
    }
    return putIfAbsentWithRetry(this.#retry, key, bytes, once, (k) => this.head(k), (k) => this.get(k))
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    validatePrefix(prefix)
    const out: ObjectInfo[] = []
    let token: string | undefined
    do {
      const page = await this.#op('list', prefix, async ({ sdk, client }) =>
        client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token, MaxKeys: this.#options.listPageSize ?? 1000 })))
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(this.prefix)) continue
        out.push(info(o.Key.slice(this.prefix.length), o.Size, o.ETag, o.LastModified))
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
    return out.sort((a, b) => compareKeys(a.key, b.key))
  }

  async delete(key: string): Promise<void> {
    validateKey(key)
    try {
      await this.#op('delete', key, async ({ sdk, client }) => {
        await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }))
      })
    } catch (err) {
      if (err instanceof AilakeError && err.code === 'NOT_FOUND') return
      throw err
    }
  }

  /** Closes the HTTP connections; later calls fail with `CLOSED`. */
  async close(): Promise<void> {
    this.#closed = true
    const c = this.#client
    this.#client = undefined
    if (c !== undefined) (await c.catch(() => undefined))?.client.destroy()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  async #multipart(key: string, bytes: Uint8Array): Promise<void> {
    const full = this.prefix + key
    const { UploadId } = await this.#op('put', key, ({ sdk, client }) => client.send(new sdk.CreateMultipartUploadCommand({ Bucket: this.bucket, Key: full })))
    if (UploadId === undefined) throw new AilakeError('STORE_ERROR', `S3 returned no upload id for a multipart upload of ${JSON.stringify(key)} in bucket ${this.bucket}.`, { context: { key, bucket: this.bucket } })
    try {
      const count = Math.ceil(bytes.length / this.#partSize)
      const parts = await mapLimit(Array.from({ length: count }, (_, i) => i), 4, async (i) => {
        const body = bytes.subarray(i * this.#partSize, Math.min(bytes.length, (i + 1) * this.#partSize))
        const res = await this.#op('put', key, ({ sdk, client }) =>
          client.send(new sdk.UploadPartCommand({ Bucket: this.bucket, Key: full, UploadId, PartNumber: i + 1, Body: body, ContentLength: body.length })))
        return { PartNumber: i + 1, ETag: res.ETag }
      })
      let attempts = 0
      try {
        await this.#op('put', key, ({ sdk, client }) => {
          attempts++
          return client.send(new sdk.CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: full, UploadId, MultipartUpload: { Parts: parts } }))
        })
      } catch (err) {
        // A retried Complete whose first attempt landed reports NoSuchUpload; the object is then ours if it has our size.
        if (!(attempts > 1 && nameOf(shape(err).cause) === 'NoSuchUpload' && (await this.head(key))?.size === bytes.length)) throw err
      }
    } catch (err) {
      await this.#connect().then(({ sdk, client }) => client.send(new sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: full, UploadId }))).catch(() => {})
      throw err
    }
  }

  #connect(): Promise<{ sdk: Sdk; client: S3Sdk.S3Client }> {
    if (this.#closed) return Promise.reject(new AilakeError('CLOSED', `This S3Store (bucket ${this.bucket}) was closed; create a new one.`))
    this.#client ??= (sdkPromise ??= loadS3Sdk()).then((sdk) => {
      const o = this.#options
      const env = process.env
      const client = new sdk.S3Client({
        region: o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
        ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
        ...(o.credentials !== undefined ? { credentials: o.credentials } : {}),
        forcePathStyle: o.forcePathStyle ?? o.endpoint !== undefined,
        // Our own retry loop knows which failures are safe to repeat (see putIfAbsentWithRetry).
        maxAttempts: 1,
        // S3-compatible servers (radosgw among them) do not all accept the newer checksum trailers.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: { connectionTimeout: o.connectTimeoutMs ?? 5000, requestTimeout: o.requestTimeoutMs ?? 30000, throwOnRequestTimeout: true },
      })
      return { sdk, client }
    })
    this.#client.catch(() => { this.#client = undefined })
    return this.#client
  }

  async #op<T>(op: string, key: string, fn: (c: { sdk: Sdk; client: S3Sdk.S3Client }) => Promise<T>): Promise<T> {
    const c = await this.#connect()
    return withRetry(this.#retry, async () => {
      try {
        return await fn(c)
      } catch (err) {
        throw this.#mapError(op, key, err)
      }
    })
  }

  #notFound(key: string, cause?: unknown): AilakeError {
    return new AilakeError('NOT_FOUND', `Object ${JSON.stringify(key)} does not exist in s3://${this.bucket}/${this.prefix}.`, { context: { key, bucket: this.bucket, prefix: this.prefix }, cause })
  }

  #mapError(op: string, key: string, err: unknown): AilakeError {
    if (err instanceof AilakeError) return err
    const name = nameOf(err)
    const status = statusOf(err)
    const where = `s3://${this.bucket}/${this.prefix}${key}`
    const context = { op, key, bucket: this.bucket, prefix: this.prefix, s3Error: name, httpStatus: status }
    if (isNotFound(err)) return this.#notFound(key, err)
    if (isInvalidRange(err)) return new AilakeError('INVALID_ARGUMENT', `S3 rejected the byte range of ${where}.`, { context: { ...context, invalidRange: true }, cause: err })
    const detail = shape(err).message ?? String(err)
    if (name === 'NoSuchBucket') return new AilakeError('STORE_ERROR', `Bucket ${this.bucket} does not exist (${op} ${where}). Create it first or fix the bucket name.`, { context, cause: err })
    if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
      return new AilakeError('STORE_ERROR', `Access denied: ${op} ${where} (${name || status}). Check the credentials and the bucket policy.`, { context, cause: err })
    }
    const transient = isTransient(err)
    return new AilakeError('STORE_ERROR', `S3 ${op} ${where} failed${transient ? ' (transient)' : ''}: ${name || 'error'}${status === undefined ? '' : ` HTTP ${status}`}: ${detail}`, { context, cause: err, retryable: transient })
  }
}

function info(key: string, size: number | undefined, etag: string | undefined, lastModified: Date | undefined): ObjectInfo {
  return { key, size: size ?? 0, ...(etag !== undefined ? { etag } : {}), ...(lastModified !== undefined ? { lastModified } : {}) }
}

function checkBytes(key: string, bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw new AilakeError('INVALID_ARGUMENT', `Bytes for ${JSON.stringify(key)} must be a Uint8Array.`, { context: { key } })
}

async function readBody(body: unknown): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array(0)
  return (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()
}
