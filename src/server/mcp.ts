/**
 * The Model Context Protocol face of the server: tools `list_tables`, `describe_table`,
 * `search` and `add_documents` (the last needs write access), the same over stdio
 * (`ailake mcp`) and over HTTP (`/mcp`, stateless: one server per request, behind the same
 * bearer auth as every other route). Tool schemas are plain JSON Schema. A failing call is a
 * tool result with `isError` (the model can read it), never a protocol error.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { AilakeError, toJsonText, type Row } from '../index.js'
import { allows, type Principal } from './auth.js'
import type { ServerContext } from './context.js'
import { describeError, HttpError } from './http-errors.js'
import { mediaType, readBody, tableLevels, type Ctx } from './http.js'
import { addRows, fields, readableTables, rowsFromJson, searchBuilder, tableInfo } from './operations.js'

const VERSION = '0.1.0'
const CELL = 80

function tools(ctx: ServerContext, who: Principal): { name: string; description: string; inputSchema: Record<string, unknown> }[] {
  const table = { type: 'string', description: 'Table name, `namespace.table` (or `table` in namespace default).' }
  const list: { name: string; description: string; inputSchema: Record<string, unknown> }[] = [
    { name: 'list_tables', description: 'Lists the tables you may read.', inputSchema: { type: 'object', properties: {}, additionalProperties: false } },
    {
      name: 'describe_table', description: 'Columns, vector column (dimension, metric), text embedder, row and file counts of one table.',
      inputSchema: { type: 'object', properties: { table }, required: ['table'], additionalProperties: false },
    },
    {
      name: 'search',
      description: 'Nearest rows to a text (embedded with the table\'s own embedder) or a vector, best first, with their distances. Optional SQL-like filter ("year > 2020 AND tag = \'x\'") and columns to return.',
      inputSchema: {
        type: 'object',
        properties: {
          table,
          text: { type: 'string', description: 'Query text (tables with an embedder).' },
          vector: { type: 'array', items: { type: 'number' }, description: 'Query vector, of the table\'s dimension.' },
          where: { type: 'string', description: 'Filter on the table\'s columns.' },
          limit: { type: 'integer', minimum: 1, maximum: ctx.limits.maxLimit, description: 'Rows to return (default 10).' },
          select: { type: 'array', items: { type: 'string' }, description: 'Columns to return (default: all but the vector).' },
          column: { type: 'string', description: 'The vector column to search, for tables with several (default: the primary one; a text goes to the column whose embedder embeds it).' },
        },
        required: ['table'],
        additionalProperties: false,
      },
    },
  ]
  if (who.grants.some((g) => g.level !== 'read')) {
    list.push({
      name: 'add_documents',
      description: 'Adds rows (objects of the table\'s columns). Rows without a vector get one by embedding their text column with the table\'s embedder.',
      inputSchema: {
        type: 'object',
        properties: {
          table,
          documents: { type: 'array', items: { type: 'object' }, minItems: 1, maxItems: ctx.limits.maxRowsPerRequest },
          textColumn: { type: 'string', description: 'Column whose text is embedded for rows without a vector (default "text").' },
        },
        required: ['table', 'documents'],
        additionalProperties: false,
      },
    })
  }
  return list
}

/** Plain JSON (64-bit integers as strings, vectors as arrays) for structured content. */
function plain(value: unknown): Record<string, unknown> {
  return JSON.parse(toJsonText(value)) as Record<string, unknown>
}

function cell(v: unknown): string {
  let s: string
  if (v === null || v === undefined) s = ''
  else if (v instanceof Date) s = v.toISOString()
  else if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    const arr = Array.from(v as unknown as ArrayLike<unknown>)
    s = `[${arr.slice(0, 3).map((x) => (typeof x === 'number' ? Number(x.toPrecision(4)) : x)).join(', ')}${arr.length > 3 ? `, … ${arr.length} values` : ''}]`
  } else s = String(v)
  s = s.replace(/\s+/g, ' ')
  return s.length > CELL ? `${s.slice(0, CELL - 1)}…` : s
}

/** One line per row, best first: the distance, then the columns. */
export function renderRows(name: string, rows: Row[]): string {
  if (rows.length === 0) return `no rows of ${name} matched`
  const lines = rows.map((r, i) => {
    const d = typeof r._distance === 'number' ? r._distance.toFixed(4) : '?'
    const cols = Object.entries(r).filter(([k]) => k !== '_distance').map(([k, v]) => `${k}=${cell(v)}`).join('  ')
    return `${i + 1}. [${d}] ${cols}`
  })
  return [`${rows.length} row(s) of ${name}, nearest first [distance]:`, ...lines].join('\n')
}

function tableArg(args: Record<string, unknown>): string {
  if (typeof args.table !== 'string') throw new AilakeError('INVALID_ARGUMENT', 'table must be a table name')
  return tableLevels(args.table).join('.')
}

function check(who: Principal, level: 'read' | 'write', name: string): void {
  if (!allows(who, level, name.split('.'))) throw new HttpError(403, 'FORBIDDEN', `this key has no ${level} access to ${name}`)
}

async function call(ctx: ServerContext, who: Principal, tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
  switch (tool) {
    case 'list_tables': {
      fields(args, [], 'list_tables')
      const tables = await readableTables(ctx, who)
      return { content: [{ type: 'text', text: tables.length === 0 ? 'no tables' : tables.join('\n') }], structuredContent: { tables } }
    }
    case 'describe_table': {
      const name = tableArg(fields(args, ['table'], 'describe_table'))
      check(who, 'read', name)
      const t = await ctx.table(name)
      const info = { ...(await tableInfo(t)), columns: t.columns() }
      return { content: [{ type: 'text', text: toJsonText(info, 2) }], structuredContent: plain(info) }
    }
    case 'search': {
      const body = fields(args, ['table', 'text', 'vector', 'where', 'limit', 'select', 'column'], 'search')
      const name = tableArg(body)
      check(who, 'read', name)
      const b = await searchBuilder(ctx, await ctx.table(name), body)
      const rows = await ctx.searches.run(() => b.toArray())
      return { content: [{ type: 'text', text: renderRows(name, rows) }], structuredContent: plain({ rows }) }
    }
    case 'add_documents': {
      const body = fields(args, ['table', 'documents', 'textColumn'], 'add_documents')
      const name = tableArg(body)
      check(who, 'write', name)
      const t = await ctx.table(name)
      const rows = rowsFromJson(body.documents, t.columns(), ctx.limits.maxRowsPerRequest)
      const textColumn = typeof body.textColumn === 'string' ? body.textColumn : 'text'
      const vector = t.vector.column
      const needEmbedding = rows.some((r) => r[vector] === undefined || r[vector] === null)
      const result = await addRows(ctx, name, rows, rows.length, needEmbedding ? { embedFrom: textColumn } : {})
      return { content: [{ type: 'text', text: `added ${result.rows} row(s) to ${name} in snapshot ${String(result.snapshotId)}` }], structuredContent: plain(result) }
    }
  }
  throw new AilakeError('NOT_FOUND', `unknown tool ${JSON.stringify(tool)}; tools: list_tables, describe_table, search, add_documents`)
}

/** An MCP server whose tools act as `who`. */
export function mcpServer(ctx: ServerContext, who: Principal): Server {
  const server = new Server({ name: 'ailake', version: VERSION }, { capabilities: { tools: {} } })
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: tools(ctx, who) }))
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    try {
      return await ctx.track(() => call(ctx, who, req.params.name, req.params.arguments ?? {}))
    } catch (err) {
      const e = describeError(err, ctx.log)
      return { content: [{ type: 'text', text: `error ${e.code}: ${e.message}` }], isError: true }
    }
  })
  return server
}

/** `POST /mcp`: one stateless exchange (JSON responses, no session). */
export async function handleMcp(c: Ctx, ctx: ServerContext): Promise<Response> {
  if (c.req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'this MCP endpoint is stateless: POST JSON-RPC messages to it', { Allow: 'POST' })
  if (mediaType(c) !== 'application/json') throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send MCP messages as application/json')
  const text = new TextDecoder().decode(await readBody(c, ctx.limits.maxBodyBytes))
  let parsedBody: unknown
  try {
    parsedBody = JSON.parse(text)
  } catch {
    throw new AilakeError('INVALID_ARGUMENT', 'the request body is not valid JSON')
  }
  const server = mcpServer(ctx, c.get('principal'))
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
  await server.connect(transport)
  try {
    return await transport.handleRequest(c.req.raw, { parsedBody })
  } finally {
    await server.close()
  }
}
