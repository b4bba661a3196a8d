// MCP with the SDK's own client on both transports: over HTTP (/mcp, the server's bearer auth:
// no key cannot connect, a read key sees no add_documents and is refused it) and over stdio
// (`ailake mcp`, a child process). Search results are checked against ailake's own search;
// added documents against the table afterwards.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { connect } from '../../src/index.js'
import { KeyStore } from '../../src/server/index.js'
import { listen } from '../../src/server/node.js'
import { clusteredVectors, tempDir } from '../helpers/tmpdir.js'
import { hashEmbedder } from './helpers.js'

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))
const DIM = 8

type ToolResult = { isError?: boolean; content: { type: string; text?: string }[]; structuredContent?: Record<string, unknown> }

async function tool(client: Client, name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return await client.callTool({ name, arguments: args }) as ToolResult
}

async function seed(dir: string): Promise<Float32Array[]> {
  const lake = await connect(dir)
  const t = await lake.createTable('kb.notes', { vector: { metric: 'cosine' }, embedder: hashEmbedder(DIM), schema: { id: 'long', text: 'string' } })
  const vectors = clusteredVectors(30, DIM, 11, 3)
  await t.add(vectors.map((v, i) => ({ id: BigInt(i), text: `note ${i}`, embedding: v })))
  await lake.close()
  return vectors
}

test('MCP over HTTP: auth, tools by scope, search matches ailake, add_documents with the table\'s embedder', async () => {
  const { dir, cleanup } = await tempDir('ailake-mcp-')
  const vectors = await seed(dir)
  const lake = await connect(dir)
  const keys = new KeyStore(lake.store)
  const reader = (await keys.create(['read:*'])).key
  const writer = (await keys.create(['write:kb'])).key
  const srv = await listen(lake, { port: 0, embedders: { 'test-hash': hashEmbedder(DIM) } })
  const clientOf = (key?: string): { client: Client; transport: StreamableHTTPClientTransport } => ({
    client: new Client({ name: 'test', version: '1' }),
    transport: new StreamableHTTPClientTransport(new URL(`${srv.url}/mcp`), key === undefined ? {} : { requestInit: { headers: { authorization: `Bearer ${key}` } } }),
  })
  try {
    const anonymous = clientOf()
    await assert.rejects(anonymous.client.connect(anonymous.transport), /401|Unauthorized|UNAUTHENTICATED/)

    const r = clientOf(reader)
    await r.client.connect(r.transport)
    assert.deepEqual((await r.client.listTools()).tools.map((t) => t.name).sort(), ['describe_table', 'list_tables', 'search'])
    assert.deepEqual((await tool(r.client, 'list_tables', {})).structuredContent, { tables: ['kb.notes'] })
    const described = await tool(r.client, 'describe_table', { table: 'kb.notes' })
    assert.equal(described.structuredContent?.rows, 30)
    assert.deepEqual(described.structuredContent?.embedder, { name: 'test-hash', dim: DIM })

    const q = Array.from(vectors[4] as Float32Array)
    const found = await tool(r.client, 'search', { table: 'kb.notes', vector: q, limit: 5, where: 'id < 20' })
    const direct = await (await lake.openTable('kb.notes')).search(q).limit(5).where('id < 20').toArray()
    const rows = found.structuredContent?.rows as { id: string; _distance: number }[]
    assert.deepEqual(rows.map((x) => Number(x.id)), direct.map((x) => Number(x.id)))
    assert.deepEqual(rows.map((x) => x._distance), direct.map((x) => x._distance))
    const text = found.content[0]?.text ?? ''
    assert.match(text, /^5 row\(s\) of kb\.notes, nearest first/)
    assert.match(text, new RegExp(`1\\. \\[${(direct[0]?._distance as number).toFixed(4)}\\] id=${String(direct[0]?.id)}  text=note ${String(direct[0]?.id)}`))

    const refused = await r.client.callTool({ name: 'add_documents', arguments: { table: 'kb.notes', documents: [{ id: 99, text: 'x' }] } }) as ToolResult
    assert.equal(refused.isError, true)
    assert.match(refused.content[0]?.text ?? '', /FORBIDDEN/)
    const bad = await tool(r.client, 'search', { table: 'kb.nope', text: 'x' })
    assert.equal(bad.isError, true)
    assert.match(bad.content[0]?.text ?? '', /NOT_FOUND/)
    await r.client.close()

    const w = clientOf(writer)
    await w.client.connect(w.transport)
    assert.ok((await w.client.listTools()).tools.some((t) => t.name === 'add_documents'))
    const added = await tool(w.client, 'add_documents', { table: 'kb.notes', documents: [{ id: 100, text: 'green tea kettle' }, { id: 101, text: 'jazz piano trio' }] })
    assert.equal(added.isError, undefined, added.content[0]?.text)
    assert.equal(added.structuredContent?.rows, 2)
    const byText = await tool(w.client, 'search', { table: 'kb.notes', text: 'piano trio', limit: 1 })
    assert.equal(Number((byText.structuredContent?.rows as { id: string }[])[0]?.id), 101, 'the document was embedded with the table\'s embedder')
    await w.client.close()
    assert.equal(await (await lake.openTable('kb.notes')).countRows(), 32)
  } finally {
    await srv.close()
    await lake.close()
    await cleanup()
  }
})

test('MCP over stdio (ailake mcp): search and add_documents; a read key in AILAKE_API_KEY cannot add', async () => {
  const { dir, cleanup } = await tempDir('ailake-mcp-')
  const vectors = await seed(dir)
  const lake = await connect(dir)
  const reader = (await new KeyStore(lake.store).create(['read:*'])).key
  await lake.close()
  const spawnClient = async (env: Record<string, string>): Promise<Client> => {
    const client = new Client({ name: 'test', version: '1' })
    const base = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined))
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [MAIN, '--warehouse', dir, 'mcp'], env: { ...base, AILAKE_DEBUG: '', ...env }, stderr: 'pipe' }))
    return client
  }
  try {
    const client = await spawnClient({})
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), ['add_documents', 'describe_table', 'list_tables', 'search'])
    const q = Array.from(vectors[17] as Float32Array)
    const found = await tool(client, 'search', { table: 'kb.notes', vector: q, limit: 3 })
    assert.equal(Number((found.structuredContent?.rows as { id: string }[])[0]?.id), 17)
    const added = await tool(client, 'add_documents', { table: 'kb.notes', documents: [{ id: 200, text: 'x', embedding: Array(DIM).fill(0.3) }] })
    assert.equal(added.isError, undefined, added.content[0]?.text)
    await client.close()

    const limited = await spawnClient({ AILAKE_API_KEY: reader })
    const refused = await tool(limited, 'add_documents', { table: 'kb.notes', documents: [{ id: 201, text: 'y', embedding: Array(DIM).fill(0.3) }] })
    assert.equal(refused.isError, true)
    await limited.close()

    const check = await connect(dir)
    assert.equal(await (await check.openTable('kb.notes')).countRows(), 31, 'the stdio server wrote one row, the read key none')
    await check.close()
  } finally {
    await cleanup()
  }
})
