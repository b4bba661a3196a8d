// Shared set-up of the table-level S3 tests: the server comes from the environment that
// scripts/s3-up.sh prints; every test works under its own fresh prefix and removes it after.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { S3Store, type S3StoreOptions } from '../../src/store/s3-store.js'
import { mapLimit } from '../../src/util/limiter.js'

const env = process.env
export const endpoint = env.AILAKE_S3_ENDPOINT ?? ''
export const bucket = env.AILAKE_S3_BUCKET ?? 'ailake-test'

/** `false` when a server is configured, else the reason the S3 tests are skipped. */
export const SKIP: string | false = endpoint === ''
  ? 'AILAKE_S3_ENDPOINT is not set: S3 table tests skipped (start a server with scripts/s3-up.sh <dir> and export what it prints)'
  : false

/** Registers the guard test (CI sets AILAKE_REQUIRE_S3=1) and a visible skipped test when there is no server. */
export function guardS3(what: string): void {
  test(`an S3 server is configured when AILAKE_REQUIRE_S3 is set (${what})`, () => {
    if (env.AILAKE_REQUIRE_S3 === '1') assert.equal(SKIP, false, 'AILAKE_REQUIRE_S3=1 but AILAKE_S3_ENDPOINT is not set')
  })
  if (SKIP !== false) test(what, { skip: SKIP }, () => {})
}

/** Client options for `connect(uri, { s3 })`. */
export function s3Client(): Omit<S3StoreOptions, 'bucket' | 'prefix'> {
  return {
    endpoint,
    region: env.AILAKE_S3_REGION ?? 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.AILAKE_S3_ACCESS_KEY_ID ?? 'AK', secretAccessKey: env.AILAKE_S3_SECRET_ACCESS_KEY ?? 'SK' },
  }
}

/** A fresh prefix in the test bucket, its `s3://` URI, a raw store on it and a cleanup. */
export function s3Prefix(label: string): { prefix: string; uri: string; store: S3Store; cleanup(): Promise<void> } {
  const prefix = `tables/${label}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
  const store = new S3Store({ ...s3Client(), bucket, prefix })
  return {
    prefix,
    uri: `s3://${bucket}/${prefix}`,
    store,
    cleanup: async () => {
      const all = await store.list('')
      await mapLimit(all, 16, (o) => store.delete(o.key))
      await store.close()
    },
  }
}

/** The store key of a file location (`s3://bucket/prefix/...`) under `prefix`. */
export function keyOf(location: string, prefix: string): string {
  const base = `s3://${bucket}/${prefix}/`
  assert.ok(location.startsWith(base), `${location} lies under ${base}`)
  return location.slice(base.length)
}
