/**
 * The OpenAPI 3.1 document served at `/openapi.json`, written by hand for readers (a test checks
 * that its paths and methods are exactly the routes the app serves). The Iceberg REST catalog's
 * routes are listed with a pointer to their own specification.
 */
import { icebergEndpoints } from './iceberg.js'

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` })
const jsonBody = (schema: unknown, required = true): Record<string, unknown> => ({ required, content: { 'application/json': { schema } } })
const ok = (description: string, schema?: unknown): Record<string, unknown> =>
  schema === undefined ? { description } : { description, content: { 'application/json': { schema } } }
const errors = {
  400: { $ref: '#/components/responses/Error' }, 401: { $ref: '#/components/responses/Error' }, 403: { $ref: '#/components/responses/Error' },
  404: { $ref: '#/components/responses/Error' }, 413: { $ref: '#/components/responses/Error' }, 503: { $ref: '#/components/responses/Error' },
}
const tableParam = { name: 'table', in: 'path', required: true, description: '`namespace.table`, or `table` in namespace `default`', schema: { type: 'string' } }

function op(summary: string, scope: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { summary, description: `Needs ${scope}.`, ...extra, responses: { ...(extra.responses as object), ...errors } }
}

const SEARCH = {
  type: 'object', additionalProperties: false,
  properties: {
    vector: { type: 'array', items: { type: 'number' }, description: 'Query vector (or `text`).' },
    text: { type: 'string', description: 'Query text, embedded with the table\'s recorded embedder.' },
    where: { oneOf: [{ type: 'string' }, { type: 'object' }], description: 'Filter: SQL-like text or the typed form.' },
    select: { type: 'array', items: { type: 'string' } },
    limit: { type: 'integer', minimum: 1, description: 'Default 10; at most the server\'s maxLimit.' },
    ef: { type: 'integer', minimum: 1, description: 'HNSW candidate list size; at most the server\'s maxEf.' },
    asOf: { oneOf: [{ type: 'string' }, { type: 'integer' }], description: 'Snapshot id (digits) or time (ISO 8601 or epoch ms).' },
    column: { type: 'string', description: 'The vector column searched (tables with several, see createTable vectors). Default: the primary one; for text, the column whose embedder embeds it.' },
    mode: { enum: ['vector', 'fulltext', 'hybrid'], description: 'Default vector. fulltext: BM25 over the full-text columns (rows carry _score); hybrid: both fused (text, optionally a vector). Arrow answers are for vector mode.' },
  },
}

/** The Iceberg routes, one OpenAPI path per spec path. */
function icebergPaths(): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {
    '/iceberg/v1/config': { get: { summary: 'Iceberg REST catalog configuration (prefix, endpoints)', tags: ['iceberg'], responses: { 200: ok('CatalogConfig') } } },
  }
  for (const e of icebergEndpoints()) {
    const [method, path] = e.split(' ') as [string, string]
    const p = (paths[`/iceberg${path}`] ??= {})
    p[method.toLowerCase()] = { summary: `Iceberg REST catalog: ${e}`, tags: ['iceberg'], externalDocs: { url: 'https://github.com/apache/iceberg/blob/main/open-api/rest-catalog-open-api.yaml' }, responses: { default: ok('as the Iceberg REST specification says') } }
  }
  return paths
}

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'ailake serve', version: '1', description: 'Tables of a lakehouse: JSON API, Iceberg REST catalog (/iceberg/v1) and MCP (/mcp). Errors are { error: { code, message } }; 64-bit integers are strings.' },
    security: [{ bearer: [] }],
    paths: {
      '/health': { get: { summary: 'Liveness, and whether requests need an API key', security: [], responses: { 200: ok('ok', { type: 'object', properties: { status: { enum: ['ok', 'closing'] }, auth: { type: 'boolean' } } }) } } },
      '/openapi.json': { get: { summary: 'This document', security: [], responses: { 200: ok('OpenAPI document', { type: 'object' }) } } },
      '/': { get: { summary: 'The web console (its page; it asks for a key when the server needs one)', tags: ['console'], security: [], responses: { 200: { description: 'HTML', content: { 'text/html': {} } } } } },
      '/console/{asset}': {
        parameters: [{ name: 'asset', in: 'path', required: true, schema: { enum: ['app.js', 'app.css', 'pca-worker.js', 'index.html'] } }],
        get: { summary: 'The web console\'s script and style files (revalidated by ETag)', tags: ['console'], security: [], responses: { 200: { description: 'the file' }, 304: { description: 'not modified' }, 404: { description: 'no such file' } } },
      },
      '/v1/tables': {
        get: op('Tables the key may read', 'any valid key', { responses: { 200: ok('names', { type: 'object', properties: { tables: { type: 'array', items: { type: 'string' } } } }) } }),
        post: op('Create a table', 'admin on the table', {
          requestBody: jsonBody({
            type: 'object', required: ['name', 'vector'], additionalProperties: false,
            properties: {
              name: { type: 'string' },
              vector: { type: 'object', description: '{ dim, metric, column, precision, M, efConstruction, codes (sq8 or pq), subvectors }; dim may be left out with an embedder' },
              vectors: { type: 'object', description: 'More vector columns by name: { image: { dim, metric, precision, M, efConstruction, codes, subvectors, embedder } }' },
              schema: { type: 'object', description: 'Columns other than the vector: name → type or { type, required, doc }' },
              properties: { type: 'object', additionalProperties: { type: 'string' } },
              embedder: { type: 'string', description: 'Embedder name recorded for text search and embedFrom' },
            },
          }),
          responses: { 201: ok('the table', ref('TableInfo')) },
        }),
      },
      '/v1/activity': {
        get: op('What this server process is doing on the tables the key may read: buffered rows, pending index builds, auto-optimize, and optimize runs started over HTTP (running with progress, the last 20 finished with their report or error)', 'any valid key', { responses: { 200: ok('activity', ref('Activity')) } }),
      },
      '/v1/tables/{table}': {
        parameters: [tableParam],
        get: op('Table info', 'read', { responses: { 200: ok('info', ref('TableInfo')) } }),
        delete: op('Drop the table and its files', 'admin', { responses: { 204: ok('dropped') } }),
      },
      '/v1/tables/{table}/schema': { parameters: [tableParam], get: op('Columns', 'read', { responses: { 200: ok('columns', { type: 'object' }) } }) },
      '/v1/tables/{table}/history': { parameters: [tableParam], get: op('Snapshots, oldest first', 'read', { responses: { 200: ok('snapshots', { type: 'object' }) } }) },
      '/v1/tables/{table}/files': {
        parameters: [tableParam, { name: 'asOf', in: 'query', required: false, schema: { type: 'string' } }],
        get: op('Live data files: path, rows, deletedRows, bytes, indexStatus, and (ailake files) centroid, radius, cluster', 'read', { responses: { 200: ok('files', { type: 'object' }) } }),
      },
      '/v1/tables/{table}/sample': {
        parameters: [tableParam, { name: 'count', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 5000 }, description: 'Default 1000' }, { name: 'asOf', in: 'query', required: false, schema: { type: 'string' } }],
        get: op('A sample of live vectors, spread over the files by their live rows, each with its file and row', 'read', { responses: { 200: ok('points', { type: 'object', properties: { points: { type: 'array', items: { type: 'object', properties: { file: { type: 'string' }, row: { type: 'integer' }, vector: { type: 'array', items: { type: 'number' } } } } } } }) } }),
      },
      '/v1/tables/{table}/rows': {
        parameters: [tableParam, { name: 'buffered', in: 'query', required: false, schema: { type: 'boolean' }, description: 'Arrow input: write to the table\'s write-ahead-logged buffer' }],
        post: op('Add rows (one snapshot, or buffered)', 'write', {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { type: 'object', required: ['rows'], additionalProperties: false, properties: { rows: { type: 'array', items: { type: 'object' } }, embedFrom: { type: 'string' }, buffered: { type: 'boolean' } } } },
              'application/vnd.apache.arrow.stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          responses: { 201: ok('committed', ref('AddResult')), 202: ok('buffered (in the write-ahead log)', ref('AddResult')) },
        }),
      },
      '/v1/tables/{table}/search': {
        parameters: [tableParam],
        post: op('Nearest rows (or best BM25 / fused rows with mode)', 'read', {
          requestBody: jsonBody(SEARCH),
          responses: { 200: { description: 'rows, best first, with _distance', content: { 'application/json': { schema: { type: 'object' } }, 'application/vnd.apache.arrow.stream': { schema: { type: 'string', format: 'binary' } } } } },
        }),
      },
      '/v1/tables/{table}/explain': { parameters: [tableParam], post: op('How a search runs', 'read', { requestBody: jsonBody(SEARCH), responses: { 200: ok('plan', { type: 'object' }) } }) },
      '/v1/tables/{table}/expire': {
        parameters: [tableParam],
        post: op('Expire snapshots (and remove orphan files)', 'admin', {
          requestBody: jsonBody({ type: 'object', additionalProperties: false, properties: { olderThan: { type: 'string' }, retainLast: { type: 'integer' }, orphans: { type: 'boolean' } } }),
          responses: { 200: ok('what was removed', { type: 'object' }) },
        }),
      },
      '/v1/tables/{table}/delete': {
        parameters: [tableParam],
        post: op('Delete the rows matching a filter (one snapshot of Iceberg position deletes)', 'write', {
          requestBody: jsonBody({ type: 'object', required: ['where'], additionalProperties: false, properties: { where: { oneOf: [{ type: 'string' }, { type: 'object' }], description: 'Filter: SQL-like text or the typed form.' } } }),
          responses: { 200: ok('what changed', ref('ChangeResult')) },
        }),
      },
      '/v1/tables/{table}/update': {
        parameters: [tableParam],
        post: op('Set columns of the rows matching a filter (one snapshot)', 'write', {
          requestBody: jsonBody({ type: 'object', required: ['where', 'values'], additionalProperties: false, properties: { where: { oneOf: [{ type: 'string' }, { type: 'object' }], description: 'Filter: SQL-like text or the typed form.' }, values: { type: 'object', description: 'column: new value' } } }),
          responses: { 200: ok('what changed', ref('ChangeResult')) },
        }),
      },
      '/v1/tables/{table}/upsert': {
        parameters: [tableParam],
        post: op('Replace rows by key, insert the rest (one snapshot)', 'write', {
          requestBody: jsonBody({ type: 'object', required: ['on', 'rows'], additionalProperties: false, properties: { on: { type: 'string', description: 'key column' }, rows: { type: 'array', items: { type: 'object' } }, embedFrom: { type: 'string' } } }),
          responses: { 200: ok('what changed', ref('ChangeResult')) },
        }),
      },
      '/v1/tables/{table}/optimize': {
        parameters: [tableParam],
        post: op('Cluster and compact files, apply deletes, expire old snapshots', 'admin', {
          requestBody: jsonBody({ type: 'object', additionalProperties: false, properties: { targetRowsPerFile: { type: 'integer', minimum: 1 }, full: { type: 'boolean' }, cluster: { type: 'boolean' }, applyDeletes: { type: 'boolean' } } }, false),
          responses: { 200: ok('the optimize report', { type: 'object' }) },
        }),
      },
      '/mcp': { post: { summary: 'Model Context Protocol (stateless, JSON responses)', tags: ['mcp'], responses: { 200: ok('JSON-RPC response', { type: 'object' }) } } },
      ...icebergPaths(),
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from `ailake keys create`' } },
      responses: { Error: { description: 'error', content: { 'application/json': { schema: ref('Error') } } } },
      schemas: {
        Error: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } },
        TableInfo: { type: 'object', properties: { name: { type: 'string' }, rows: { type: 'integer' }, files: { type: 'integer' }, snapshotId: { type: ['string', 'null'] }, vector: { type: ['object', 'null'] }, embedder: { type: ['object', 'null'] }, properties: { type: 'object' } } },
        ChangeResult: { type: 'object', properties: { snapshotId: { type: ['string', 'null'], description: 'null when nothing matched (nothing committed)' }, deleted: { type: 'integer' }, updated: { type: 'integer' }, inserted: { type: 'integer' } } },
        Activity: {
          type: 'object',
          properties: {
            tables: {
              type: 'array', description: 'Tables the server has open, by name',
              items: { type: 'object', properties: { table: { type: 'string' }, bufferedRows: { type: 'integer', description: 'acknowledged by buffered writes, not yet committed' }, bufferedBytes: { type: 'integer' }, flushing: { type: 'boolean' }, lastFlush: { type: ['string', 'null'] }, lastFlushError: { type: ['string', 'null'] }, pendingIndexBuilds: { type: 'integer' }, autoOptimize: { type: 'object', properties: { optimizing: { type: 'boolean' }, waitingForQuiet: { type: 'boolean', description: 'a run is due and waits for the writers to pause' }, progress: ref('OptimizeProgress'), lastReport: { type: 'object' }, lastError: { type: 'string' } } } } },
            },
            optimizes: {
              type: 'array', description: 'Running first (oldest first), then finished (newest first)',
              items: { type: 'object', properties: { id: { type: 'integer' }, table: { type: 'string' }, startedAt: { type: 'string' }, endedAt: { type: 'string', description: 'absent while running' }, progress: ref('OptimizeProgress'), report: { type: 'object', description: 'the optimize report' }, error: { type: 'string' } } },
            },
          },
        },
        OptimizeProgress: { type: 'object', properties: { phase: { enum: ['read', 'cluster', 'write', 'commit', 'expire'] }, done: { type: 'integer' }, total: { type: 'integer' } } },
        AddResult: { type: 'object', properties: { rows: { type: 'integer' }, snapshotId: { type: ['string', 'null'] }, buffered: { type: 'boolean' } } },
      },
    },
  }
}
