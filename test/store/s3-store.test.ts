import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { isAilakeError } from '../../src/errors.js'
import { loadS3Sdk, S3Store, type S3StoreOptions } from '../../src/store/s3-store.js'
import { FaultyStore } from '../../src/store/faulty-store.js'
import { RetryStore } from '../../src/store/retry-store.js'
import { mapLimit } from '../../src/util/limiter.js'
import { runStoreContract } from './contract.js'
import { raceProcesses } from './process-race.js'

// The S3 tests run against a real server when AILAKE_S3_ENDPOINT is set (scripts/s3-up.sh prints
// the variables). CI sets AILAKE_REQUIRE_S3=1 so a missing server fails instead of skipping.
const env = process.env
const endpoint = env.AILAKE_S3_ENDPOINT
const SKIP = endpoint === undefined || endpoint === ''
  ? 'AILAKE_S3_ENDPOINT is not set: S3 tests skipped (start a server with scripts/s3-up.sh <dir> and export what it prints)'
  : false

test('an S3 server is configured when AILAKE_REQUIRE_S3 is set', () => {
  if (env.AILAKE_REQUIRE_S3 === '1') assert.equal(SKIP, false, 'AILAKE_REQUIRE_S3=1 but AILAKE_S3_ENDPOINT is not set')
})
if (SKIP !== false) test('S3 store against a real server', { skip: SKIP }, () => {})

function s3Options(extra: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return {
    bucket: env.AILAKE_S3_BUCKET ?? 'ailake-test',
    prefix: `t-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
    endpoint: endpoint ?? '',
    region: env.AILAKE_S3_REGION ?? 'us-east-1',
    credentials: { accessKeyId: env.AILAKE_S3_ACCESS_KEY_ID ?? 'AK', secretAccessKey: env.AILAKE_S3_SECRET_ACCESS_KEY ?? 'SK' },
    maxAttempts: 4,
    baseDelayMs: 20,
    ...extra,
  }
}

async function emptyPrefix(store: S3Store): Promise<void> {
  const all = await store.list('')
  await mapLimit(all, 16, (o) => store.delete(o.key))
}

async function s3Fixture(extra: Partial<S3StoreOptions> = {}) {
  const store = new S3Store(s3Options(extra))
  return {
    store,
    cleanup: async () => {
      const again = new S3Store({ ...s3Options(), prefix: store.prefix })
      await emptyPrefix(again)
      await again.close()
    },
  }
}

// 250 objects in pages of 100 exercise continuation tokens without 1100 round trips.
runStoreContract('S3Store', () => s3Fixture({ listPageSize: 100 }), { skip: SKIP, listManyCount: 250 })

test('S3Store multipart upload round-trips an 11 MiB object in 5 MiB parts', { skip: SKIP }, async () => {
  const { store, cleanup } = await s3Fixture({ multipartThresholdBytes: 5 * 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 })
  try {
    const big = new Uint8Array(11 * 1024 * 1024 + 5)
    for (let i = 0; i < big.length; i += 4096) big[i] = (i >>> 12) & 0xff
    await store.put('mp/big', big)
    assert.equal((await store.head('mp/big'))?.size, big.length)
    assert.ok(Buffer.from(await store.get('mp/big')).equals(Buffer.from(big)))
    assert.deepEqual(await store.getRange('mp/big', 5 * 1024 * 1024 - 2, 4), big.slice(5 * 1024 * 1024 - 2, 5 * 1024 * 1024 + 2))
  } finally {
    await store.close()
    await cleanup()
  }
})

test('S3Store putIfAbsent across 6 processes: one winner per key, never a partial object', { skip: SKIP }, async () => {
  const { store, cleanup } = await s3Fixture()
  try {
    const keys = Array.from({ length: 12 }, (_, i) => `race/k${i}/v1.metadata.json`)
    const { reads } = await raceProcesses({ kind: 's3', options: { ...s3Options(), prefix: store.prefix } }, { writers: 6, keys, size: 64 * 1024 })
    assert.ok(reads > 0)
  } finally {
    await store.close()
    await cleanup()
  }
})

test('S3Store putIfAbsent through lost responses still reports our own write as a win', { skip: SKIP }, async () => {
  const { store, cleanup } = await s3Fixture()
  try {
    const faulty = new FaultyStore(store, { failRate: 0.2, dropRate: 0.4, seed: 7, ops: ['putIfAbsent'] })
    const s = new RetryStore(faulty, { maxAttempts: 20, baseDelayMs: 1, maxDelayMs: 5 })
    for (let i = 0; i < 15; i++) {
      assert.equal(await s.putIfAbsent(`drop/${i}`, new TextEncoder().encode(`mine-${i}`)), true, `key ${i}`)
      assert.equal(await s.putIfAbsent(`drop/${i}`, new TextEncoder().encode(`other-${i}`)), false, `key ${i} second writer`)
      assert.equal(new TextDecoder().decode(await store.get(`drop/${i}`)), `mine-${i}`)
    }
    assert.ok(faulty.stats.dropped > 0 && faulty.stats.failed > 0, JSON.stringify(faulty.stats))
  } finally {
    await store.close()
    await cleanup()
  }
})

test('S3Store maps wrong credentials and a missing bucket to clear, permanent STORE_ERRORs', { skip: SKIP }, async () => {
  const bad = new S3Store(s3Options({ credentials: { accessKeyId: 'AK', secretAccessKey: 'wrong' } }))
  await assert.rejects(bad.get('x'), (e: unknown) => isAilakeError(e, 'STORE_ERROR') && !e.retryable && e.message.includes('Access denied') && e.message.includes(bad.bucket))
  await bad.close()
  const nob = new S3Store(s3Options({ bucket: `no-such-bucket-${randomBytes(3).toString('hex')}` }))
  await assert.rejects(nob.put('x', new Uint8Array(1)), (e: unknown) => isAilakeError(e, 'STORE_ERROR') && !e.retryable && e.message.includes(nob.bucket))
  await nob.close()
})

// The retry path needs no real server: a closed port, a server that never answers and one that always says 503.

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return (server.address() as AddressInfo).port
}

function offlineOptions(port: number, extra: Partial<S3StoreOptions> = {}): S3StoreOptions {
  return { bucket: 'b', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, connectTimeoutMs: 300, requestTimeoutMs: 300, ...extra }
}

test('S3Store retries a closed port, then fails with a retryable STORE_ERROR', async () => {
  const tcp = createTcpServer()
  const port = await listen(tcp)
  await new Promise((r) => tcp.close(r))
  const s = new S3Store(offlineOptions(port))
  const t0 = Date.now()
  await assert.rejects(s.get('k'), (e: unknown) => isAilakeError(e, 'STORE_ERROR') && e.retryable && e.message.includes('s3://b/k'))
  assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`) // bounded retries; margin for a loaded machine
  await s.close()
})

test('S3Store retries 503 SlowDown exactly maxAttempts times', async () => {
  let hits = 0
  const server = createServer((_req, res) => {
    hits++
    res.writeHead(503, { 'content-type': 'application/xml' })
    res.end('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>slow down</Message></Error>')
  })
  const port = await listen(server)
  try {
    const s = new S3Store(offlineOptions(port, { maxAttempts: 4 }))
    await assert.rejects(s.put('k', new Uint8Array(3)), (e: unknown) => isAilakeError(e, 'STORE_ERROR') && e.retryable && e.message.includes('SlowDown'))
    assert.equal(hits, 4)
    hits = 0
    await assert.rejects(s.putIfAbsent('k', new Uint8Array(3)), (e: unknown) => isAilakeError(e, 'STORE_ERROR') && e.context.outcomeUnknown === true)
    assert.equal(hits, 4)
    await s.close()
  } finally {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  }
})

test('S3Store times out a server that never answers and retries', async () => {
  const socks: import('node:net').Socket[] = []
  const tcp = createTcpServer((sock) => { socks.push(sock); sock.on('error', () => {}) })
  const port = await listen(tcp)
  try {
    const s = new S3Store(offlineOptions(port, { maxAttempts: 2, requestTimeoutMs: 200 }))
    const t0 = Date.now()
    await assert.rejects(s.head('k'), (e: unknown) => isAilakeError(e, 'STORE_ERROR') && e.retryable)
    // 2 attempts x 200 ms; the default request timeout (30 s) would take a minute.
    assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`)
    assert.equal(socks.length, 2, 'one connection per attempt')
    await s.close()
  } finally {
    for (const sock of socks) sock.destroy()
    await new Promise((r) => tcp.close(r))
  }
})

test('S3Store without @aws-sdk/client-s3 fails with UNSUPPORTED naming the package', async () => {
  await assert.rejects(loadS3Sdk(() => Promise.reject(Object.assign(new Error('Cannot find package'), { code: 'ERR_MODULE_NOT_FOUND' }))),
    (e: unknown) => isAilakeError(e, 'UNSUPPORTED') && e.message.includes('npm install @aws-sdk/client-s3'))
})

test('S3Store validates its options and keys before any network call', async () => {
  assert.throws(() => new S3Store({ bucket: '' }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => new S3Store({ bucket: 'a/b' }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => new S3Store({ bucket: 'a', prefix: 'x/../y' }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  assert.throws(() => new S3Store({ bucket: 'a', partSizeBytes: 1024 }), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  const s = new S3Store({ bucket: 'a', prefix: '/lake/' })
  assert.equal(s.prefix, 'lake/')
  await assert.rejects(s.get('../x'), (e: unknown) => isAilakeError(e, 'INVALID_ARGUMENT'))
  await s.close()
  await assert.rejects(s.head('x'), (e: unknown) => isAilakeError(e, 'CLOSED'))
})
