// What keeps the server safe to expose: keys (none, wrong, revoked, wrong scope), hashes only at
// rest, open mode only for requests addressed to this machine, names that try to leave the
// warehouse, oversized and malformed bodies (JSON and Arrow), the search gate and the request
// deadline, a client that sends its headers slowly, and 10,000 fuzzed requests that must never
// crash the server nor answer 500 with a stack trace.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { connect as tcp, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import * as arrow from 'apache-arrow'
import { connect, isAilakeError, MemoryStore, type Lakehouse } from '../../src/index.js'
import { createApp, KeyStore } from '../../src/server/index.js'
import { listen } from '../../src/server/node.js'
import { seededRandom } from '../../src/util/rng.js'
import { tempDir } from '../helpers/tmpdir.js'
import { waitFor } from '../helpers/wait.js'
import { hashEmbedder, latch, send, type Fetcher } from './helpers.js'

/** `nested`: the warehouse is a folder inside a temp folder of its own, so nothing else writes next to it. */
async function fixture(inMemory = false, nested = false): Promise<{ dir: string; lake: Lakehouse; cleanup(): Promise<void> }> {
  const tmp = await tempDir('ailake-sec-')
  const { cleanup } = tmp
  const dir = nested ? join(tmp.dir, 'warehouse') : tmp.dir
  if (nested) mkdirSync(dir)
  const lake = await connect(dir, inMemory ? { store: new MemoryStore() } : {})
  for (const name of ['sales.docs', 'hr.people']) {
    const t = await lake.createTable(name, { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long', note: 'string' } })
    await t.add([{ id: 1n, note: 'one', embedding: [1, 0] }, { id: 2n, note: 'two', embedding: [0, 1] }])
  }
  return { dir, lake, async cleanup() { await lake.close().catch(() => undefined); await cleanup() } }
}

function decoded(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

const row = (id: number): Record<string, unknown> => ({ id, note: `n${id}`, embedding: [id, 1] })

test('keys: missing, malformed, wrong, revoked are 401; wrong scope 403; only hashes at rest', async () => {
  const fx = await fixture()
  try {
    const keys = new KeyStore(fx.lake.store)
    const reader = await keys.create(['read:sales'], 'reader')
    const writer = await keys.create(['write:sales.docs'])
    const admin = await keys.create(['admin:*'])
    const { app, close } = createApp(fx.lake)

    const none = await send(app, 'GET', '/v1/tables')
    assert.equal(none.status, 401)
    assert.equal(none.headers.get('www-authenticate'), 'Bearer')
    assert.equal(none.json.error.code, 'UNAUTHENTICATED')
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', `Bearer ${reader.key}x`, `Bearer ${reader.key.slice(0, -1)}${reader.key.endsWith('A') ? 'B' : 'A'}`, `Bearer ak_${'a'.repeat(12)}_${'b'.repeat(43)}`, `Bearer ${reader.key} extra`]) {
      const r = await send(app, 'GET', '/v1/tables', { headers: { authorization: header } })
      assert.equal(r.status, 401, header)
    }
    assert.equal((await send(app, 'GET', '/iceberg/v1/config')).json.error.type, 'NotAuthorizedException', 'the Iceberg routes answer in their own error shape')
    assert.equal((await send(app, 'POST', '/mcp', { body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } })).status, 401, 'MCP has the same auth')

    assert.deepEqual((await send(app, 'GET', '/v1/tables', { key: reader.key })).json.tables, ['sales.docs'], 'a key lists only what it may read')
    assert.equal((await send(app, 'POST', '/v1/tables/sales.docs/search', { key: reader.key, body: { vector: [1, 0] } })).status, 200)
    const forbidden: [string, string, string, unknown][] = [
      [reader.key, 'POST', '/v1/tables/hr.people/search', { vector: [1, 0] }],
      [reader.key, 'POST', '/v1/tables/sales.docs/rows', { rows: [row(3)] }],
      [reader.key, 'POST', '/v1/tables', { name: 'sales.new', vector: { dim: 2 } }],
      [writer.key, 'POST', '/v1/tables/hr.people/rows', { rows: [row(3)] }],
      [writer.key, 'DELETE', '/v1/tables/sales.docs', undefined],
      [writer.key, 'POST', '/v1/tables/sales.docs/expire', {}],
      [reader.key, 'POST', '/iceberg/v1/ailake/namespaces', { namespace: ['x'] }],
      [reader.key, 'GET', '/iceberg/v1/ailake/namespaces/hr/tables/people', undefined],
    ]
    for (const [key, method, path, body] of forbidden) {
      const r = await send(app, method, path, { key, ...(body !== undefined && { body }) })
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`)
    }
    assert.equal((await send(app, 'POST', '/v1/tables/sales.docs/rows', { key: writer.key, body: { rows: [row(3)] } })).status, 201)
    assert.equal((await send(app, 'POST', '/v1/tables/sales.docs/search', { key: writer.key, body: { vector: [1, 0] } })).status, 200, 'write includes read')
    assert.equal((await send(app, 'DELETE', '/v1/tables/hr.people', { key: admin.key })).status, 204)

    // At rest: hashes, never a key or its secret.
    const keyFiles = readdirSync(join(fx.dir, '.ailake', 'keys'))
    const stored = keyFiles.map((f) => readFileSync(join(fx.dir, '.ailake', 'keys', f), 'utf8')).join('\n')
    for (const k of [reader, writer, admin]) {
      // The secret is base64url, which may itself hold '_': it is everything after the id.
      assert.ok(!stored.includes(k.key.split('_').slice(2).join('_')), 'no secret is stored')
      assert.ok(stored.includes(k.record.hash))
    }

    // Revoked: refused by a server that reads the keys afresh, and by a running one within its
    // reload interval (a clock moved past it here).
    let now = Date.now()
    const running = new KeyStore(fx.lake.store, () => now)
    assert.ok(await running.verify(reader.key))
    await keys.revoke(reader.record.id)
    now += 1001
    assert.equal(await running.verify(reader.key), undefined)
    const fresh = createApp(fx.lake)
    assert.equal((await send(fresh.app, 'GET', '/v1/tables', { key: reader.key })).status, 401)
    await assert.rejects(keys.revoke(reader.record.id), /no API key has id/)
    await fresh.close()
    await close()
  } finally {
    await fx.cleanup()
  }
})

test('without keys the server answers only requests addressed to this machine, and never when auth is required', async () => {
  const fx = await fixture()
  try {
    const open = createApp(fx.lake)
    assert.equal((await send(open.app, 'GET', '/v1/tables')).status, 200)
    assert.equal((await send(open.app, 'GET', '/v1/tables', { host: '127.0.0.1:8080' })).status, 200)
    for (const host of ['evil.example', 'evil.example:8080', '10.0.0.5', 'localhost.evil.example']) {
      assert.equal((await send(open.app, 'GET', '/v1/tables', { host })).status, 403, host)
    }
    const strict = createApp(fx.lake, { requireAuth: true })
    assert.equal((await send(strict.app, 'GET', '/v1/tables')).status, 401)
    assert.equal((await send(strict.app, 'GET', '/health')).status, 200, '/health needs no key')
    await assert.rejects(listen(fx.lake, { host: '0.0.0.0', port: 0 }), /refusing to serve on 0\.0\.0\.0 without API keys/)
    await open.close()
    await strict.close()
  } finally {
    await fx.cleanup()
  }
})

test('names that try to leave the warehouse are refused and create nothing', async () => {
  const fx = await fixture(false, true)
  try {
    const { app, close } = createApp(fx.lake)
    const parent = dirname(fx.dir)
    const before = new Set(readdirSync(parent))
    const names = ['..', '../etc', '%2e%2e%2fetc', '..%2F..%2Fetc', 'a%2Fb', 'a%00b', '.hidden', 'sales.%2e%2e', 'a..b', '%5C..%5Cwin', 'x'.repeat(300), 'sales.docs%2F..%2F..%2Fhr', '%C0%AE%C0%AE', 'a.b.data']
    for (const n of names) {
      for (const [method, path, body] of [['GET', `/v1/tables/${n}`], ['POST', `/v1/tables/${n}/search`, { vector: [1, 0] }], ['POST', `/v1/tables/${n}/rows`, { rows: [row(9)] }], ['DELETE', `/v1/tables/${n}`]] as [string, string, unknown?][]) {
        const r = await send(app, method, path, body === undefined ? {} : { body })
        assert.ok(r.status === 400 || r.status === 404, `${method} ${path}: ${r.status} ${r.text}`)
      }
      const ns = await send(app, 'GET', `/iceberg/v1/ailake/namespaces/${n}%1Fx/tables`)
      assert.ok(ns.status === 400 || ns.status === 404, `iceberg ${n}: ${ns.status}`)
      const name = decoded(n)
      const created = await send(app, 'POST', '/v1/tables', { body: { name, vector: { dim: 2 } } })
      assert.ok(created.status === 400, `create ${n}: ${created.status} ${created.text}`)
      const nsCreated = await send(app, 'POST', '/iceberg/v1/ailake/namespaces', { body: { namespace: [name] } })
      assert.ok(nsCreated.status === 400, `create namespace ${n}: ${nsCreated.status}`)
    }
    assert.deepEqual(new Set(readdirSync(parent)), before, 'nothing appeared next to the warehouse')
    const keys = (await fx.lake.store.list('')).map((o) => o.key)
    assert.ok(keys.every((k) => /^(sales\/docs|hr\/people|sales|hr)\//.test(k)), `only the two tables' files: ${keys.filter((k) => !/^(sales|hr)\//.test(k)).join(', ')}`)
    await close()
  } finally {
    await fx.cleanup()
  }
})

test('oversized, malformed and mistyped bodies: 413, 400, 415; nothing written', async () => {
  const fx = await fixture()
  try {
    const { app, close } = createApp(fx.lake, { limits: { maxBodyBytes: 4096, maxRowsPerRequest: 5 } })
    const path = '/v1/tables/sales.docs/rows'
    const declared = await send(app, 'POST', path, { raw: 'x'.repeat(5000), headers: { 'content-type': 'application/json', 'content-length': '5000' } })
    assert.equal(declared.status, 413)
    const lying = await send(app, 'POST', path, { raw: `{"rows":"${'x'.repeat(6000)}"}`, headers: { 'content-type': 'application/json', 'content-length': '10' } })
    assert.equal(lying.status, 413, 'a body longer than it declares is still held to the limit')
    const undeclared = await send(app, 'POST', path, { raw: 'x'.repeat(5000), headers: { 'content-type': 'application/json' } })
    assert.equal(undeclared.status, 413)
    // Streamed without a length: cut off once it passes the limit.
    let pulled = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        if (pulled > 1000) controller.close()
        else controller.enqueue(new TextEncoder().encode('['.repeat(1024)))
      },
    })
    const streamed = await send(app, 'POST', path, { raw: stream, headers: { 'content-type': 'application/json' } })
    assert.equal(streamed.status, 413)
    assert.ok(pulled < 100, `stopped reading early (${pulled} chunks)`)
    assert.equal((await send(app, 'POST', path, { body: { rows: [1, 2, 3, 4, 5, 6].map(row) } })).status, 413, 'more rows than the limit')
    for (const raw of ['{', '{"rows": [}', '{"rows": NaN}', '{"rows": []} trailing', '', '   ', '\u0000', '[' .repeat(4000), '{"rows": [{"id": 1e999999}]}', '"just a string"', 'null']) {
      const r = await send(app, 'POST', path, { raw, headers: { 'content-type': 'application/json' } })
      assert.equal(r.status, 400, `${JSON.stringify(raw.slice(0, 30))}: ${r.text}`)
    }
    assert.equal((await send(app, 'POST', path, { raw: new Uint8Array([0xff, 0xfe, 0x7b]), headers: { 'content-type': 'application/json' } })).status, 400, 'not UTF-8')
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await send(app, 'POST', path, { raw: JSON.stringify({ rows: [row(7)] }), headers: type === undefined ? {} : { 'content-type': type } })
      assert.equal(r.status, 415, `${type}: ${r.status}`)
    }
    // Arrow: garbage, a truncated stream, an empty one, too many rows.
    const good = arrow.tableToIPC(new arrow.Table({
      id: arrow.makeVector(BigInt64Array.from([7n, 8n, 9n, 10n, 11n, 12n])),
      embedding: arrow.vectorFromArray([[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6]], new arrow.FixedSizeList(2, new arrow.Field('item', new arrow.Float32(), false))),
    }), 'stream')
    const seed = seededRandom(5)
    for (const raw of [new Uint8Array(64).map(() => Math.floor(seed() * 256)), good.subarray(0, good.length >> 1), new Uint8Array(0), good]) {
      const r = await send(app, 'POST', path, { raw, headers: { 'content-type': 'application/vnd.apache.arrow.stream' } })
      assert.ok(r.status === 400 || r.status === 413, `arrow of ${raw.length} bytes: ${r.status} ${r.text}`)
    }
    assert.equal((await fx.lake.openTable('sales.docs').then((t) => t.countRows())), 2, 'nothing was written')
    await close()
  } finally {
    await fx.cleanup()
  }
})

test('searches beyond the gate wait, then are refused with 503 and Retry-After; a late request gets 503', async () => {
  const fx = await fixture()
  try {
    const gate = latch()
    const embedder = hashEmbedder(2, gate.wait)
    const t = await fx.lake.createTable('sales.text', { vector: { metric: 'euclidean' }, embedder, schema: { id: 'long' } })
    await t.add([{ id: 1n, embedding: [1, 0] }])
    const { app, close, context } = createApp(fx.lake, { embedders: { 'test-hash': embedder }, limits: { maxConcurrentSearches: 1, searchQueue: 1 } })
    const search = (): Promise<Awaited<ReturnType<typeof send>>> => send(app, 'POST', '/v1/tables/sales.text/search', { body: { text: 'hello' } })
    const first = search()
    await waitFor(() => embedder.calls === 1, 'the first search to hold the slot')
    const second = search()
    await waitFor(() => context.searches.queued === 1, 'the second search to wait in the queue')
    const third = await search()
    assert.equal(third.status, 503, third.text)
    assert.equal(third.headers.get('retry-after'), '1')
    assert.equal(third.json.error.code, 'OVERLOADED')
    gate.open()
    assert.equal((await first).status, 200)
    assert.equal((await second).status, 200)
    assert.equal(embedder.calls, 2, 'the refused search never ran')
    await close()

    const slow = latch()
    const held = hashEmbedder(2, slow.wait)
    const timed = createApp(fx.lake, { embedders: { 'test-hash': held }, limits: { requestTimeoutMs: 100 } })
    const late = await send(timed.app, 'POST', '/v1/tables/sales.text/search', { body: { text: 'hello' } })
    assert.equal(late.status, 503)
    assert.equal(late.json.error.code, 'TIMEOUT')
    slow.open()
    await timed.close()
  } finally {
    await fx.cleanup()
  }
})

test('a client that sends its headers slowly is cut off; others are served meanwhile', async () => {
  const fx = await fixture()
  const server = await listen(fx.lake, { port: 0, headersTimeoutMs: 300 })
  const sockets: Socket[] = []
  try {
    const closed: string[] = []
    const answers: string[] = []
    const open = (name: string, trickle: boolean): void => {
      const s = tcp(server.port, '127.0.0.1', () => {
        s.write('GET /health HTTP/1.1\r\nHost: localhost\r\n')
        if (trickle) {
          // Unref'd and cleared on close: a socket the server failed to cut must not keep the file alive.
          const timer = setInterval(() => s.write('X-Slow: a\r\n'), 50)
          timer.unref()
          s.on('close', () => clearInterval(timer))
        }
      })
      s.on('error', () => undefined)
      sockets.push(s)
      // Read what comes back (a paused socket would never see the server hang up).
      s.on('data', (d) => answers.push(d.toString()))
      s.on('close', () => closed.push(name))
    }
    open('silent', false)
    open('trickling', true)
    const ok = await fetch(`${server.url}/health`)
    assert.equal(ok.status, 200, 'served while the slow clients hang')
    await waitFor(() => closed.length === 2, 'the server to close both slow connections', 10_000)
    assert.ok(answers.some((a) => a.startsWith('HTTP/1.1 408')), `the server answered 408: ${JSON.stringify(answers)}`)
  } finally {
    for (const s of sockets) s.destroy()
    await server.close()
    await fx.cleanup()
  }
})

/** 10,000 requests from a seeded grammar of routes, names, headers and bodies. */
test('10,000 fuzzed requests: no crash, no 500, no stack trace in any answer', async (t) => {
  // In memory: the same code paths without the disk, so 10,000 requests stay quick.
  const fx = await fixture(true)
  try {
    const keys = new KeyStore(fx.lake.store)
    const admin = (await keys.create(['admin:*'])).key
    const reader = (await keys.create(['read:sales'])).key
    const { app, close } = createApp(fx.lake, { limits: { maxBodyBytes: 64 * 1024, maxRowsPerRequest: 50 } })
    const SEED = Number(process.env.AILAKE_FUZZ_SEED ?? 20261202)
    const rnd = seededRandom(SEED)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
    const names = ['sales.docs', 'hr.people', 'docs', 'nope', '..', '%2e%2e', 'a%2Fb', '%00', 'x'.repeat(200), '%F0%9F%92%A9', 'sales', 'sales.docs.x', '%', '%zz', '']
    const paths = [
      () => '/v1/tables', () => `/v1/tables/${pick(names)}`, () => `/v1/tables/${pick(names)}/${pick(['schema', 'history', 'files', 'rows', 'search', 'explain', 'expire', 'delete', 'optimize', '..'])}`,
      () => `/v1/tables/${pick(names)}/files?asOf=${pick(['1', 'x', '2020-01-01', '99999999999999999999', ''])}`,
      () => '/iceberg/v1/config', () => `/iceberg/v1/${pick(['ailake', 'other', '..'])}/namespaces${pick(['', '?parent=sales', '?parent=%1F'])}`,
      () => `/iceberg/v1/ailake/namespaces/${pick(['sales', 'hr', 'x%1Fy', '..', '%1F', 'sales%1Fdocs'])}${pick(['', '/properties', '/tables', `/tables/${pick(['docs', 'people', '..', 'x'])}`])}`,
      () => '/iceberg/v1/ailake/tables/rename', () => '/mcp', () => '/health', () => '/openapi.json', () => `/${pick(['', 'v2', 'admin', '.env', 'v1/../etc/passwd'])}`,
    ]
    const fieldNames = ['rows', 'vector', 'text', 'where', 'select', 'limit', 'ef', 'asOf', 'name', 'embedFrom', 'buffered', 'requirements', 'updates', 'namespace', 'properties', 'schema', 'source', 'destination', 'jsonrpc', 'method', 'params', 'id', 'olderThan', 'retainLast', 'orphans']
    const value = (depth: number): unknown => {
      switch (Math.floor(rnd() * (depth > 2 ? 6 : 9))) {
        case 0: return Math.floor(rnd() * 2000) - 1000
        case 1: return rnd() * 1e6
        case 2: return pick(['', 'x', 'sales.docs', "id > 1 OR '1'='1'", 'year >', '../../etc', 'tools/list', 'set-properties', '\u0000', '🙂'])
        case 3: return rnd() < 0.5
        case 4: return null
        case 5: return [rnd(), rnd()]
        case 6: return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1))
        case 7: return row(Math.floor(rnd() * 100))
        default: return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(fieldNames), value(depth + 1)]))
      }
    }
    // Requests shaped like a route's own, slightly wrong, to reach past the first checks.
    const t2 = (): string => pick(['sales.docs', 'hr.people', 'sales.docs', 'docs', 'sales.d2'])
    const search = (): unknown => ({ vector: [rnd() * 4 - 2, rnd()], limit: Math.floor(rnd() * 1200) - 10, ...(rnd() < 0.5 && { ef: Math.floor(rnd() * 2000) }), ...(rnd() < 0.5 && { where: pick(['id > 1', "note = 'one'", 'id IN (1, 2)', 'nope = 1', 'id >', 'id > 1 AND', "note LIKE '%'", 'id IS NULL']) }), ...(rnd() < 0.3 && { select: pick([['id'], ['note', 'embedding'], ['nope'], []]) }), ...(rnd() < 0.2 && { asOf: pick(['1', '2020-01-01T00:00:00Z', 0, 'yesterday']) }) })
    const coherent: (() => [string, string, unknown])[] = [
      () => ['POST', `/v1/tables/${t2()}/search`, search()],
      () => ['POST', `/v1/tables/${t2()}/explain`, search()],
      () => ['POST', `/v1/tables/${t2()}/search`, { text: pick(['hello', '', 'tea']), limit: 3 }],
      () => ['POST', `/v1/tables/${t2()}/rows`, { rows: Array.from({ length: Math.floor(rnd() * 4) }, () => (rnd() < 0.8 ? row(Math.floor(rnd() * 1000)) : { id: 'x', embedding: [1] })), ...(rnd() < 0.2 && { buffered: true }), ...(rnd() < 0.1 && { embedFrom: 'note' }) }],
      () => ['POST', `/iceberg/v1/ailake/namespaces/${pick(['sales', 'hr'])}/tables/${pick(['docs', 'people'])}`, { requirements: rnd() < 0.5 ? [] : [{ type: pick(['assert-create', 'assert-table-uuid', 'assert-ref-snapshot-id', 'assert-bogus']), ref: 'main', 'snapshot-id': null, uuid: 'u' }], updates: [pick([{ action: 'set-properties', updates: { k: String(rnd()) } }, { action: 'remove-properties', removals: ['k'] }, { action: 'set-properties', updates: { 'ailake.x': '1' } }, { action: 'add-snapshot', snapshot: { 'snapshot-id': 5, 'sequence-number': 99, 'timestamp-ms': 1, 'manifest-list': '/etc/passwd', summary: { operation: 'append' } } }, { action: 'frob' }, { action: 'set-location', location: '/tmp' }, { action: 'add-schema', schema: { type: 'struct', fields: [{ id: 9, name: 'x', type: pick(['int', 'uuid', 'nope']), required: false }] } }])] }],
      () => ['GET', `/iceberg/v1/ailake/namespaces/${pick(['sales', 'hr', 'fz'])}/tables/${pick(['docs', 'people', 'd2'])}`, undefined],
      () => ['POST', '/iceberg/v1/ailake/namespaces', { namespace: [pick(['fz', 'sales', '..', 'a b', ''])], properties: { a: pick(['1', 2]) } }],
      () => ['POST', `/iceberg/v1/ailake/namespaces/${pick(['sales', 'fz'])}/properties`, { updates: { a: '1' }, removals: pick([['a'], ['b'], 'x']) }],
      () => ['POST', `/iceberg/v1/ailake/namespaces/${pick(['fz', 'sales'])}/tables`, { name: pick(['t', 'docs', '..']), schema: { type: 'struct', fields: [{ id: 1, name: 'id', type: pick(['long', 'decimal(3,1)']), required: true }] }, ...(rnd() < 0.3 && { 'stage-create': true }) }],
      () => ['POST', '/iceberg/v1/ailake/tables/rename', { source: { namespace: ['sales'], name: 'docs' }, destination: { namespace: [pick(['sales', 'hr', 'nons'])], name: pick(['d2', 'docs', '..']) } }],
      () => ['POST', '/mcp', { jsonrpc: '2.0', id: 1, method: pick(['tools/list', 'tools/call', 'tools/call', 'initialize', 'nope']), params: { name: pick(['search', 'list_tables', 'describe_table', 'add_documents', 'x']), arguments: { table: t2(), vector: [1, 0], ...(rnd() < 0.5 && { text: 'a' }), documents: [row(5)] } } }],
      () => ['POST', '/v1/tables', { name: pick(['fz.t', 'sales.docs', '../x', 'fz.t2']), vector: { dim: Math.floor(rnd() * 5) }, ...(rnd() < 0.5 && { schema: { id: pick(['long', 'nope', 5]) } }) }],
      () => ['POST', `/v1/tables/${t2()}/expire`, { olderThan: pick(['2020-01-01', 'never', Date.now()]), retainLast: pick([1, 0, 'x']), orphans: rnd() < 0.5 }],
      () => [pick(['GET', 'DELETE']), `/v1/tables/${pick(['fz.t', 'fz.t2', t2()])}${pick(['', '/schema', '/history', '/files'])}`, undefined],
    ]
    const body = (): string | Uint8Array | undefined => {
      const r = rnd()
      if (r < 0.1) return undefined
      if (r < 0.7) return JSON.stringify(Object.fromEntries(Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => [pick(fieldNames), value(0)])))
      if (r < 0.8) return JSON.stringify(value(0)).slice(0, Math.floor(rnd() * 40))
      if (r < 0.9) return new Uint8Array(Math.floor(rnd() * 200)).map(() => Math.floor(rnd() * 256))
      return pick(['{"rows":[{"id":1,"embedding":[1,1]}]}', '{"vector":[1,0],"limit":100000}', '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"table":"sales.docs","vector":[1,0]}}}', '{"updates":[{"action":"set-properties","updates":{"k":"v"}}]}', '{"namespace":["fz"]}', '9'.repeat(5000)])
    }
    const STACK = /\n\s+at |\bat [^\s]+ \(|\.(ts|js|mjs):\d+|node_modules/
    const counts = new Map<number, number>()
    for (let i = 0; i < 10_000; i++) {
      // The fuzz drops tables now and then: put them back, so later requests reach real ones.
      if (i % 250 === 0) {
        for (const name of ['sales.docs', 'hr.people']) {
          if ((await fx.lake.listTables()).includes(name)) continue
          // A name a renamed table still holds stays taken.
          const t = await fx.lake.createTable(name, { vector: { dim: 2, metric: 'euclidean' }, schema: { id: 'long', note: 'string' } }).catch((e: unknown) => {
            if (isAilakeError(e, 'ALREADY_EXISTS')) return undefined
            throw e
          })
          await t?.add([{ id: 1n, note: 'one', embedding: [1, 0] }])
          await t?.close()
        }
      }
      const headers: Record<string, string> = {}
      let method: string
      let path: string
      let raw: string | Uint8Array | undefined
      const auth = rnd()
      if (rnd() < 0.4) {
        const [m, p, b] = pick(coherent)()
        ;[method, path, raw] = [m, p, b === undefined ? undefined : JSON.stringify(b)]
        headers['content-type'] = 'application/json'
        headers.authorization = `Bearer ${auth < 0.8 ? admin : reader}`
      } else {
        method = pick(['GET', 'GET', 'POST', 'POST', 'POST', 'DELETE', 'HEAD', 'PUT', 'PATCH', 'OPTIONS'])
        path = pick(paths)()
        raw = method === 'GET' || method === 'HEAD' ? undefined : body()
        if (auth < 0.45) headers.authorization = `Bearer ${admin}`
        else if (auth < 0.65) headers.authorization = `Bearer ${reader}`
        else if (auth < 0.8) headers.authorization = pick(['Bearer x', 'Basic Zm9vOmJhcg==', `Bearer ${admin.slice(0, -2)}zz`, 'bearer', ''])
        const ct = rnd()
        if (ct < 0.6) headers['content-type'] = 'application/json'
        else if (ct < 0.75) headers['content-type'] = 'application/vnd.apache.arrow.stream'
        else if (ct < 0.85) headers['content-type'] = pick(['text/plain', 'application/json; charset=latin1', 'APPLICATION/JSON', 'x'])
      }
      if (rnd() < 0.1) headers.accept = pick(['application/vnd.apache.arrow.stream', 'application/json, text/event-stream'])
      const what = `seed ${SEED} request ${i}: ${method} ${path} ${JSON.stringify(headers)} ${typeof raw === 'string' ? raw.slice(0, 200) : `<${raw?.length ?? 0} bytes>`}`
      let res: Response
      try {
        res = await (app as Fetcher).fetch(new Request(`http://localhost${path}`, { method, headers, ...(raw !== undefined && { body: raw }) }))
      } catch (err) {
        // Only the Request constructor may refuse (a path no URL can hold); the app must not throw.
        assert.ok(err instanceof TypeError && /Invalid URL|Request/.test(err.message), `${what}: ${String(err)}`)
        continue
      }
      const text = await res.text()
      counts.set(res.status, (counts.get(res.status) ?? 0) + 1)
      assert.ok(res.status < 500 || res.status === 503, `${what}: ${res.status} ${text.slice(0, 300)}`)
      assert.ok(!STACK.test(text), `${what}: a stack trace or source path in the answer: ${text.slice(0, 300)}`)
      if (res.status >= 400 && method !== 'HEAD' && path !== '/mcp') {
        const err = (JSON.parse(text) as { error?: { message?: unknown } }).error
        assert.equal(typeof err?.message, 'string', `${what}: error body ${text.slice(0, 200)}`)
      }
    }
    // Still serving (the fuzz may have dropped the tables it found).
    assert.equal((await send(app, 'GET', '/v1/tables', { key: admin })).status, 200)
    assert.equal((await send(app, 'POST', '/v1/tables', { key: admin, body: { name: 'after.fuzz', vector: { dim: 2 } } })).status, 201)
    t.diagnostic(`seed ${SEED}: statuses ${JSON.stringify([...counts].sort((a, b) => a[0] - b[0]))}`)
    assert.ok((counts.get(200) ?? 0) + (counts.get(201) ?? 0) > 100, `some requests succeeded: ${JSON.stringify([...counts])}`)
    await close()
  } finally {
    await fx.cleanup()
  }
})
