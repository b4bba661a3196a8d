/**
 * Options of the S3 store, apart from the store itself: the public API's types reach them, and
 * must not reach the optional AWS SDK's types (a user without the SDK compiles against ours).
 */
import type { RetryOptions } from './retry-store.js'

export interface S3StoreOptions extends RetryOptions {
  /** Bucket name (must exist). */
  bucket: string
  /** Key prefix inside the bucket under which all objects live, e.g. "lake". Default: none. */
  prefix?: string
  /** Endpoint URL of an S3-compatible server, e.g. "http://127.0.0.1:9000". Default: AWS, or the AWS_ENDPOINT_URL(_S3) env var. */
  endpoint?: string
  /** Region. Default: AWS_REGION / AWS_DEFAULT_REGION / the AWS config file, else "us-east-1". */
  region?: string
  /** Static credentials. Default: the AWS credential chain (env vars, profile files, SSO, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** Path-style URLs (http://host/bucket/key). Default: true when `endpoint` is set, else false. */
  forcePathStyle?: boolean
  /** Bodies of at least this many bytes are sent by `put` as a multipart upload. Default 16 MiB. */
  multipartThresholdBytes?: number
  /** Part size of multipart uploads (at least 5 MiB). Default 8 MiB. */
  partSizeBytes?: number
  /** Most keys one ListObjectsV2 page returns (S3 caps it at 1000). Default 1000. */
  listPageSize?: number
  /** Give up connecting after this long. Default 5000 ms. */
  connectTimeoutMs?: number
  /** Give up on a request whose socket is idle this long. Default 30000 ms. */
  requestTimeoutMs?: number
  /**
   * Bytes of transfer one request costs in time (first-byte latency x bandwidth): readers fetch
   * ranges closer together than this in one request. Default 256 KiB. Measured on a local Ceph
   * radosgw: ~3.4 ms a request, ~26 ms a MiB, so ~128 KiB; AWS S3 from the same region
   * (~20 ms first byte, ~90 MiB/s a stream) would be ~2 MiB.
   */
  requestCostBytes?: number
}
