import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOpenAIEmbedder, parseRetryAfter } from '../../src/embed/openai.js'
import { embedderFingerprint } from '../../src/embed/embedder.js'
import { AilakeError, isAilakeError } from '../../src/errors.js'

const KEY = 'sk-test-SECRET-0123456789abcdef'

interface Seen { body: { model: string; input: string[]; dimensions?: number; encoding_format?: string }; auth: string | undefined }
type Handler = (req: Seen, res: ServerResponse, n: number) => void

/** A local OpenAI-compatible server whose behaviour each test scripts via `handler`. */
let handler: Handler = () => { throw new Error('no handler') }
const seen: Seen[] = []
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let raw = ''
  req.on('data', (c: Buffer) => { raw += c.toString('utf8') })
  req.on('end', () => {
    assert.equal(req.method, 'POST')
    assert.equal(req.url, '/v1/embeddings')
    const s: Seen = { body: JSON.parse(raw) as Seen['body'], auth: req.headers.authorization }
    seen.push(s)
    handler(s, res, seen.length)
  })
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))

function reset(h: Handler): void {
  seen.length = 0
  handler = h
}

/** A deterministic fake model: vector j of text t encodes t's length and j. */
function fakeVector(text: string, dim: number): number[] {
  return Array.from({ length: dim }, (_, j) => text.length + j / 1000)
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

function okEmbeddings(dim: number, shuffle = false): Handler {
  return (req, res) => {
    const data = req.body.input.map((t, index) => ({ object: 'embedding', index, embedding: fakeVector(t, req.body.dimensions ?? dim) }))
    if (shuffle) data.reverse()
    json(res, 200, { object: 'list', data, model: req.body.model })
  }
}

function make(extra: Partial<Parameters<typeof createOpenAIEmbedder>[0]> = {}) {
  return createOpenAIEmbedder({ model: 'fake-embed', baseUrl, apiKey: KEY, retryBaseMs: 5, ...extra })
}

function expectError(code: string, check?: (e: AilakeError) => void) {
  return (e: unknown): boolean => {
    assert.ok(isAilakeError(e), `expected AilakeError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    assert.ok(!e.message.includes(KEY), 'API key leaked into the message')
    assert.ok(!JSON.stringify(e.context).includes(KEY), 'API key leaked into the context')
    check?.(e)
    return true
  }
}

test('batches requests, keeps input order even when the server reorders, and learns dim', async () => {
  reset(okEmbeddings(8, true))
  const e = make({ batchSize: 3 })
  assert.equal(e.dim, 0)
  assert.equal(e.name, 'openai:fake-embed')
  const texts = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff', 'g']
  const out = await e.embed(texts)
  assert.equal(e.dim, 8)
  assert.deepEqual(seen.map((s) => s.body.input), [['a', 'bb', 'ccc'], ['dddd', 'eeeee', 'ffffff'], ['g']])
  assert.ok(seen.every((s) => s.auth === `Bearer ${KEY}` && s.body.model === 'fake-embed' && s.body.dimensions === undefined))
  assert.equal(out.length, texts.length)
  out.forEach((v, i) => {
    assert.ok(v instanceof Float32Array)
    assert.equal(v.length, 8)
    assert.equal(v[0], texts[i]!.length)
  })
  assert.equal(embedderFingerprint(e), 'openai:fake-embed#8')
  assert.deepEqual(await e.embed([]), [])
  assert.equal(seen.length, 3, 'an empty input must not call the server')
})

test('sends dimensions when dim is given and refuses vectors of another length', async () => {
  reset(okEmbeddings(8))
  const e = make({ dim: 4 })
  const [v] = await e.embed(['hello'])
  assert.equal(seen[0]!.body.dimensions, 4)
  assert.equal(v!.length, 4)

  reset((req, res) => json(res, 200, { data: req.body.input.map((t, index) => ({ index, embedding: fakeVector(t, 6) })) }))
  const noDims = make({ dim: 4, sendDimensions: false })
  await assert.rejects(noDims.embed(['x']), expectError('DIMENSION_MISMATCH', (err) => assert.match(err.message, /6-d vector.*expected 4-d/)))
  assert.equal(seen[0]!.body.dimensions, undefined)
})

test('a learned dim is enforced on later responses', async () => {
  let dim = 5
  reset((req, res) => json(res, 200, { data: req.body.input.map((t, index) => ({ index, embedding: fakeVector(t, dim) })) }))
  const e = make()
  await e.embed(['one'])
  assert.equal(e.dim, 5)
  dim = 7
  await assert.rejects(e.embed(['two']), expectError('DIMENSION_MISMATCH'))
})

test('decodes base64 float32 embeddings when asked for them', async () => {
  reset((req, res) => {
    const data = req.body.input.map((t, index) => ({ index, embedding: Buffer.from(new Float32Array(fakeVector(t, 3)).buffer).toString('base64') }))
    json(res, 200, { data })
  })
  const out = await make({ encodingFormat: 'base64' }).embed(['ab', 'abcd'])
  assert.equal(seen[0]!.body.encoding_format, 'base64')
  assert.deepEqual(Array.from(out[1]!), Array.from(new Float32Array([4, 4.001, 4.002])))
})

test('maps 401, 403, 404, 400 and 413 to clear errors without retrying or leaking the key', async () => {
  const cases: [number, string, RegExp][] = [
    [401, 'INVALID_ARGUMENT', /API key was refused.*OPENAI_API_KEY/],
    [403, 'INVALID_ARGUMENT', /API key was refused/],
    [404, 'NOT_FOUND', /unknown model "fake-embed" or wrong baseUrl/],
    [400, 'INVALID_ARGUMENT', /HTTP 400.*input too long/],
    [413, 'INVALID_ARGUMENT', /lower batchSize/],
  ]
  for (const [status, code, pattern] of cases) {
    // Servers sometimes echo the key; it must be redacted from what we report.
    reset((_req, res) => json(res, status, { error: { message: `input too long (key ${KEY})` } }))
    await assert.rejects(make().embed(['x']), expectError(code, (err) => {
      assert.match(err.message, pattern)
      assert.equal(err.context['status'], status)
      assert.equal(err.retryable, false)
    }))
    assert.equal(seen.length, 1, `HTTP ${status} must not be retried`)
  }
})

test('retries 429 and 503, honouring Retry-After, then succeeds', async () => {
  reset((req, res, n) => {
    if (n === 1) return json(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '1' })
    if (n === 2) return json(res, 503, { error: 'overloaded' }, { 'retry-after-ms': '20' })
    return okEmbeddings(4)(req, res, n)
  })
  const t0 = performance.now()
  const out = await make({ retryBaseMs: 1 }).embed(['a', 'b'])
  const elapsed = performance.now() - t0
  assert.equal(seen.length, 3)
  assert.equal(out.length, 2)
  assert.ok(elapsed >= 950, `Retry-After: 1 must delay the retry by ~1 s, took ${elapsed.toFixed(0)} ms`)
})

test('gives up after maxRetries with a retryable STORE_ERROR', async () => {
  reset((_req, res) => json(res, 500, { error: { message: 'boom' } }))
  await assert.rejects(make({ maxRetries: 2 }).embed(['a']), expectError('STORE_ERROR', (err) => {
    assert.equal(err.retryable, true)
    assert.match(err.message, /HTTP 500: boom/)
  }))
  assert.equal(seen.length, 3)
})

test('times out a stalled server', async () => {
  const stalled: ServerResponse[] = []
  reset((_req, res) => { stalled.push(res) })
  const t0 = performance.now()
  await assert.rejects(make({ timeoutMs: 150, maxRetries: 1 }).embed(['a']), expectError('STORE_ERROR', (err) => {
    assert.match(err.message, /timed out after 150 ms/)
    assert.equal(err.retryable, true)
  }))
  assert.equal(seen.length, 2, 'a timeout is retried once with maxRetries 1')
  // 2 attempts x 150 ms; the default timeout (60 s) would take minutes. Margin for a loaded machine.
  assert.ok(performance.now() - t0 < 20_000, `took ${(performance.now() - t0).toFixed(0)} ms`)
  for (const r of stalled) r.destroy()
})

test('a refused connection is a retryable STORE_ERROR', async () => {
  const dead = createServer()
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve))
  const port = (dead.address() as AddressInfo).port
  await new Promise<void>((resolve) => dead.close(() => resolve()))
  const e = createOpenAIEmbedder({ model: 'm', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: KEY, maxRetries: 0 })
  await assert.rejects(e.embed(['a']), expectError('STORE_ERROR', (err) => assert.match(err.message, /failed/)))
})

test('malformed responses fail with CORRUPT_DATA naming the problem', async () => {
  const bodies: [unknown, RegExp][] = [
    ['<html>gateway</html>', /did not return JSON/],
    [{ object: 'list' }, /no "data" array/],
    [{ data: [{ index: 0, embedding: [1, 2] }] }, /1 embeddings for 2 texts/],
    [{ data: [{ index: 0, embedding: [1, 2] }, { index: 0, embedding: [1, 2] }] }, /index 0 twice/],
    [{ data: [{ index: 0, embedding: [1, 2] }, { index: 5, embedding: [1, 2] }] }, /index 5, expected 0..1/],
    [{ data: [{ index: 0, embedding: [1, 2] }, { index: 1 }] }, /no "embedding" for text 1/],
    [{ data: [{ index: 0, embedding: [1, 2] }, { index: 1, embedding: [1, null] }] }, /non-finite value \(null\).*text 1, component 1/],
    [{ data: [{ index: 0, embedding: [1, 2] }, { index: 1, embedding: [1, 1e300] }] }, /non-finite/],
    [{ data: [{ index: 0, embedding: [1, 2] }, { index: 1, embedding: 'not base64!' }] }, /neither an array nor base64/],
    [{ data: [{ index: 0, embedding: [] }, { index: 1, embedding: [] }] }, /empty vector/],
  ]
  for (const [body, pattern] of bodies) {
    reset((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(typeof body === 'string' ? body : JSON.stringify(body))
    })
    await assert.rejects(make().embed(['a', 'b']), expectError('CORRUPT_DATA', (err) => assert.match(err.message, pattern)))
    assert.equal(seen.length, 1, 'a malformed body is not retried')
  }
})

test('inconsistent vector lengths within one response are refused', async () => {
  reset((_req, res) => json(res, 200, { data: [{ index: 0, embedding: [1, 2, 3] }, { index: 1, embedding: [1, 2] }] }))
  await assert.rejects(make().embed(['a', 'b']), expectError('DIMENSION_MISMATCH'))
})

test('validates inputs and options', async () => {
  reset(okEmbeddings(4))
  const e = make()
  await assert.rejects(e.embed(['ok', 42 as unknown as string]), expectError('INVALID_ARGUMENT', (err) => assert.match(err.message, /index 1/)))
  await assert.rejects(e.embed('text' as unknown as string[]), expectError('INVALID_ARGUMENT', (err) => assert.match(err.message, /array of strings/)))
  assert.equal(seen.length, 0)
  assert.throws(() => createOpenAIEmbedder({ model: '' }), expectError('INVALID_ARGUMENT'))
  assert.throws(() => make({ batchSize: 0 }), expectError('INVALID_ARGUMENT'))
  assert.throws(() => make({ dim: 1.5 }), expectError('INVALID_ARGUMENT'))
  assert.throws(() => make({ baseUrl: 'not a url' }), expectError('INVALID_ARGUMENT'))
  await e.close?.()
  await assert.rejects(e.embed(['a']), expectError('CLOSED'))
})

test('reads the key and base URL from the environment; refuses api.openai.com without a key', async () => {
  const saved = { key: process.env['OPENAI_API_KEY'], url: process.env['OPENAI_BASE_URL'] }
  try {
    delete process.env['OPENAI_API_KEY']
    delete process.env['OPENAI_BASE_URL']
    assert.throws(() => createOpenAIEmbedder({ model: 'text-embedding-3-small' }), expectError('INVALID_ARGUMENT', (err) => assert.match(err.message, /OPENAI_API_KEY/)))
    process.env['OPENAI_API_KEY'] = KEY
    process.env['OPENAI_BASE_URL'] = `${baseUrl}/`
    reset(okEmbeddings(4))
    await createOpenAIEmbedder({ model: 'env-model' }).embed(['x'])
    assert.equal(seen[0]!.auth, `Bearer ${KEY}`)
    assert.equal(seen[0]!.body.model, 'env-model')
    // A local server without a key gets no Authorization header at all.
    delete process.env['OPENAI_API_KEY']
    reset(okEmbeddings(4))
    await createOpenAIEmbedder({ model: 'env-model' }).embed(['x'])
    assert.equal(seen[0]!.auth, undefined)
  } finally {
    for (const [k, v] of [['OPENAI_API_KEY', saved.key], ['OPENAI_BASE_URL', saved.url]] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
})

test('parseRetryAfter reads milliseconds, seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '250' })), 250)
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': '2' })), 2000)
  const now = Date.parse('2026-01-01T00:00:00Z')
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now), 3000)
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' })), undefined)
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': '99999' })), 120_000)
  assert.equal(parseRetryAfter(new Headers()), undefined)
})
