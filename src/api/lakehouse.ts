/**
 * `connect()`: the entry point. A local path gives the embedded default (a file catalog on a
 * local directory); `s3://bucket/prefix` gives the same API over S3.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import type { Catalog, LoadedTable } from '../catalog/catalog.js'
import { FileCatalog } from '../catalog/file-catalog.js'
import { checkName, formatIdentifier, parseIdentifier } from '../catalog/identifier.js'
import { IndexCacheStore } from '../store/index-cache-store.js'
import { LocalStore } from '../store/local-store.js'
import type { ObjectStore } from '../store/object-store.js'
import type { S3StoreOptions } from '../store/s3-options.js'
import { IcebergTable } from '../table/iceberg-table.js'
import { ManifestCache } from '../table/manifest-cache.js'
import { newTableMetadata } from '../table/metadata-builder.js'
import { defaultSpec, describeSpec, resolvePartitionSpec, type PartitionInput } from '../table/partition.js'
import type { PartitionSpec } from '../format/iceberg/types.js'
import type { Schema } from '../format/schema.js'
import { RETRY_OPTION_KEYS, type RetryOptions } from '../table/commit.js'
import { extraVectorsProperties, fullTextProperties, policyToProperties, resolveExtraVectors, resolveFullText, resolveVectorPolicy, vectorColumns, type FullTextPolicy, type VectorColumnInput, type VectorPolicy, type VectorPolicyInput } from '../table/vector-policy.js'
import type { TextLanguage } from '../text/analyze.js'
import { probeDim, type Embedder } from '../embed/embedder.js'
import { embedderProperties } from './embedding.js'
import { schemaFromInput, type SchemaInput } from './schema-input.js'
import { INDEX_BUILDER_OPTION_KEYS, SCHEMA_PENDING_PROPERTY, type IndexBuilderOptions } from '../ingest/index.js'
import { checkInt64As, QUERY_CACHES_OPTION_KEYS, QueryCaches, type Int64As, type QueryCachesOptions } from '../query/index.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import { VECTOR_POLICY_OPTION_KEYS } from '../table/vector-policy.js'
import { Table, type TableServices } from './table.js'
import { checkAutoOptimizeOptions, type AutoOptimizeOptions } from './auto-optimize.js'
import { IcebergCatalog } from './iceberg-catalog.js'

export interface ConnectOptions {
  /** S3 client options for `s3://` URIs (endpoint, region, credentials, forcePathStyle...). */
  s3?: Omit<S3StoreOptions, 'bucket' | 'prefix'>
  /** A store to use instead of the one the URI implies (tests, custom backends). */
  store?: ObjectStore
  /** Commit retry policy for concurrent writers. */
  retry?: RetryOptions
  /** Sizes of the search caches (decoded indexes, readers, plans). */
  cache?: QueryCachesOptions
  /** Background index builds: worker threads and concurrency. */
  indexBuilder?: IndexBuilderOptions
  /**
   * How searches return 64-bit integer (`long`) columns: `'bigint'` (default), `'number'` (a
   * number when safe, else a string) or `'string'`; the last two make `JSON.stringify(rows)`
   * work. A query can override it with `.int64()`.
   */
  int64?: Int64As
  /**
   * A read-through cache on local disk for data-file index sections, for remote stores such as
   * S3: a process that starts cold reads each index section from the disk cache instead of the
   * network. Only ranged reads of at most `maxRangeBytes` are cached (index sections and other
   * small slices of immutable data files); whole-object reads (metadata, manifests), writes,
   * conditional creates (commits) and listings always go to the store itself. Entries are keyed
   * by object key, ETag and range and checksummed, so a damaged entry is refetched.
   * Default: no cache.
   * - `dir`: local directory for the cache (created if missing; may be shared across runs).
   * - `maxBytes`: bound on cached bytes, least recently used evicted first. Default 256 MiB.
   * - `maxRangeBytes`: largest ranged read that is cached. Default 8 MiB.
   */
  indexCache?: { dir: string; maxBytes?: number; maxRangeBytes?: number }
  /** Background optimize after commits (opt-in: `{ auto: true }`); see `table.optimize()`. */
  optimize?: AutoOptimizeOptions
}

export interface CreateTableOptions {
  /**
   * The vector column: `{ column = 'embedding', dim, metric = 'cosine', precision = 'f32' }`.
   * `dim` may be left out when `embedder` is given.
   */
  vector: Omit<VectorPolicyInput, 'dim'> & { dim?: number }
  /**
   * Vector columns after the primary one (`vector`), by name: `{ image: { dim: 512, metric:
   * 'euclidean' } }`, each with its own dim, metric, precision, HNSW parameters and embedder name.
   * Every row must hold a vector in each; `search(v, { column })` searches one. Recorded in the
   * table property `ailake.vectors`. Default: none.
   */
  vectors?: Record<string, VectorColumnInput>
  /**
   * The embedder that makes this table's vectors from text. Its identity (name, dimension) is
   * recorded in the table, so text searches with a different embedder are refused.
   */
  embedder?: Embedder
  /** Columns other than the vector; inferred from the first rows when absent. */
  schema?: SchemaInput
  /** Extra Iceberg table properties. */
  properties?: Record<string, string>
  /**
   * Partition the table (Iceberg partition spec 0): each entry is a column name (identity), a
   * transform as Spark SQL writes it (`'bucket(16, id)'`, `'truncate(4, name)'`, `'year(ts)'`,
   * `'month(ts)'`, `'day(ts)'`, `'hour(ts)'`), or `{ column, transform, name }` with Iceberg's
   * transform text (`'bucket[16]'`). Every writer puts rows of different partitions in different
   * files, and a `where` on a source column skips other partitions' manifests and files before
   * any data file is opened. Needs `schema` (the columns must be known). Default: unpartitioned.
   */
  partitionBy?: PartitionInput[]
  /**
   * String columns to full-text index (BM25, `table.fullTextSearch()`): every data file written
   * for the table carries their inverted index. Recorded in the table properties.
   */
  fullText?: string[]
  /** The full-text analyser: `'english'` (default: stop words and Porter stemming) or `'none'` (folded words only, any language). */
  fullTextLanguage?: TextLanguage
  /**
   * When the table exists, open it instead of failing with `ALREADY_EXISTS`, provided it has the
   * vector column asked for (column, dim, metric, precision, HNSW parameters) and, if `embedder`
   * is given, that embedder; otherwise it still fails with `ALREADY_EXISTS` saying what differs.
   * Default false.
   */
  existOk?: boolean
}

const CONNECT_KEYS = {
  s3: {
    endpoint: true, region: true, credentials: { accessKeyId: true, secretAccessKey: true, sessionToken: true }, forcePathStyle: true,
    multipartThresholdBytes: true, partSizeBytes: true, listPageSize: true, connectTimeoutMs: true, requestTimeoutMs: true, requestCostBytes: true,
    maxAttempts: true, baseDelayMs: true, maxDelayMs: true,
  },
  store: true,
  retry: RETRY_OPTION_KEYS,
  cache: QUERY_CACHES_OPTION_KEYS,
  indexBuilder: INDEX_BUILDER_OPTION_KEYS,
  indexCache: { dir: true, maxBytes: true, maxRangeBytes: true },
  optimize: { auto: true, targetRowsPerFile: true, minLooseRows: true, quietMs: true, maxLooseRows: true },
  int64: true,
} as const satisfies OptionKeys<ConnectOptions>

const CREATE_TABLE_KEYS = {
  vector: VECTOR_POLICY_OPTION_KEYS,
  // Keyed by column name: resolveExtraVectors checks each entry's keys.
  vectors: true,
  embedder: true,
  schema: true,
  properties: true,
  partitionBy: true,
  fullText: true,
  fullTextLanguage: true,
  existOk: true,
} as const satisfies OptionKeys<CreateTableOptions>

/** The full-text policy `createTable` options ask for, if any. */
function wantedFullText(options: CreateTableOptions, vectorColumn: string, otherVectors: readonly string[] = []): FullTextPolicy | undefined {
  if (options.fullText === undefined) {
    if (options.fullTextLanguage !== undefined) throw new AilakeError('INVALID_ARGUMENT', 'createTable(): fullTextLanguage needs fullText (the columns to index)')
    return undefined
  }
  return resolveFullText(options.fullText, options.fullTextLanguage, vectorColumn, otherVectors)
}

/** The partition spec `createTable` options ask for, if any. */
function wantedSpec(options: CreateTableOptions, schema: Schema, policy: VectorPolicy): PartitionSpec | undefined {
  if (options.partitionBy === undefined) return undefined
  if (options.schema === undefined) throw new AilakeError('INVALID_ARGUMENT', 'createTable(): partitionBy needs schema (the partition source columns must be known when the table is created)')
  const spec = resolvePartitionSpec(schema, options.partitionBy, vectorColumns(policy).map((c) => c.column))
  return spec.fields.length === 0 ? undefined : spec
}

/** The vector policy `createTable` options ask for (the primary column's `dim` resolved). */
function resolvePolicy(options: CreateTableOptions, dim: number): VectorPolicy {
  const policy = resolveVectorPolicy({ ...options.vector, dim })
  if (options.vectors !== undefined) {
    const extra = resolveExtraVectors(options.vectors, policy.column)
    if (extra.length > 0) policy.extra = extra
  }
  return policy
}

export class Lakehouse {
  readonly catalog: Catalog
  readonly store: ObjectStore
  private readonly cache: ManifestCache
  private readonly retry: RetryOptions
  private readonly queryCaches: QueryCaches
  private readonly indexBuilderOptions: IndexBuilderOptions | undefined
  private readonly autoOptimize: AutoOptimizeOptions | undefined
  private readonly int64: Int64As | undefined
  private readonly tables = new Set<Table>()
  private icebergCatalog: IcebergCatalog | undefined

  /** @internal use `connect()` */
  constructor(catalog: Catalog, store: ObjectStore, options: ConnectOptions = {}) {
    this.catalog = catalog
    this.store = store
    this.retry = options.retry ?? {}
    this.cache = new ManifestCache(store, (l) => catalog.keyOf(l))
    this.queryCaches = new QueryCaches(options.cache)
    this.indexBuilderOptions = options.indexBuilder
    this.autoOptimize = options.optimize
    this.int64 = options.int64 === undefined ? undefined : checkInt64As(options.int64, 'connect()')
  }

  get uri(): string {
    return this.catalog.warehouse
  }

  /** The lakehouse as an Iceberg catalog (what the Iceberg REST catalog serves). */
  get iceberg(): IcebergCatalog {
    this.icebergCatalog ??= new IcebergCatalog(this.catalog, this.cache, this.retry)
    return this.icebergCatalog
  }

  /**
   * Creates a table with a vector column; `ALREADY_EXISTS` if the name is taken, unless
   * `existOk` (then the existing table is opened when it matches).
   */
  async createTable(name: string, options: CreateTableOptions): Promise<Table> {
    const ident = parseIdentifier(name)
    if (options === undefined || options === null || typeof options !== 'object' || options.vector === undefined) {
      throw new AilakeError('INVALID_ARGUMENT', `createTable(${JSON.stringify(name)}) needs options with a vector column: { vector: { dim: 384 } }`)
    }
    checkOptions(options, CREATE_TABLE_KEYS, 'createTable()')
    if (options.existOk === true) {
      const { existOk: _, ...create } = options
      try {
        return await this.createTable(name, create)
      } catch (err) {
        if (!isAilakeError(err, 'ALREADY_EXISTS')) throw err
      }
      return this.openMatching(name, create)
    }
    let dim = options.vector.dim
    const embedderProps: Record<string, string> = {}
    if (options.embedder !== undefined) {
      const embedderDim = await probeDim(options.embedder)
      if (dim !== undefined && dim !== embedderDim) {
        throw new AilakeError('DIMENSION_MISMATCH', `createTable(${JSON.stringify(name)}): vector.dim is ${dim} but the embedder ${options.embedder.name} makes ${embedderDim}-d vectors; leave dim out or make them agree`)
      }
      dim = embedderDim
      Object.assign(embedderProps, embedderProperties({ name: options.embedder.name, dim }))
    }
    const policy = resolvePolicy(options, dim as number)
    const schema = schemaFromInput(options.schema ?? {}, policy)
    const fullText = wantedFullText(options, policy.column, (policy.extra ?? []).map((c) => c.column))
    if (fullText !== undefined && options.schema !== undefined) {
      for (const c of fullText.columns) {
        const field = schema.fields.find((f) => f.name === c)
        if (field?.type !== 'string') throw new AilakeError('SCHEMA_MISMATCH', `createTable(${JSON.stringify(name)}): full-text column ${JSON.stringify(c)} ${field === undefined ? 'is not in the schema' : 'is not a string column'}`, { context: { column: c } })
      }
    }
    const properties: Record<string, string> = { ...options.properties, ...policyToProperties(policy), ...extraVectorsProperties(policy.extra ?? []), ...embedderProps, ...(fullText === undefined ? {} : fullTextProperties(fullText)) }
    if (options.schema === undefined) properties[SCHEMA_PENDING_PROPERTY] = 'pending'
    const spec = wantedSpec(options, schema, policy)
    const metadata = newTableMetadata({ location: this.catalog.defaultLocation(ident), schema, properties, ...(spec === undefined ? {} : { spec }) })
    return this.handle(await this.catalog.createTable(ident, metadata))
  }

  /** Opens table `name` for `createTable(name, { existOk })`, if it is what `options` would create. */
  private async openMatching(name: string, options: CreateTableOptions): Promise<Table> {
    const table = await this.openTable(name)
    let why: string | undefined
    const have = table.core.policy
    const embedder = options.embedder
    const dim = options.vector.dim ?? (embedder === undefined ? undefined : await probeDim(embedder))
    if (have === undefined) why = 'it has no ailake vector column'
    else {
      const want = resolvePolicy(options, dim ?? have.dim)
      const diff = (Object.keys(want) as (keyof VectorPolicy)[]).filter((k) => k !== 'extra' && want[k] !== have[k])
      const wantText = wantedFullText(options, want.column, (want.extra ?? []).map((c) => c.column))
      if (diff.length > 0) why = `its vector ${diff.map((k) => `${k} is ${String(have[k])}, not ${String(want[k])}`).join(', ')}`
      else if (JSON.stringify(want.extra ?? []) !== JSON.stringify(have.extra ?? [])) why = `its other vector columns are ${JSON.stringify(have.extra ?? [])}, not ${JSON.stringify(want.extra ?? [])}`
      else if (JSON.stringify(wantText) !== JSON.stringify(have.fullText)) why = `its full-text columns are ${JSON.stringify(have.fullText ?? null)}, not ${JSON.stringify(wantText ?? null)}`
      else if (embedder !== undefined && table.embedder?.name !== embedder.name) why = `its embedder is ${table.embedder?.name ?? 'none'}, not ${embedder.name}`
      else if (options.partitionBy !== undefined) {
        const want = options.schema === undefined ? undefined : wantedSpec(options, table.schema, have)
        const spec = defaultSpec(table.core.metadata)
        if (JSON.stringify(want?.fields ?? []) !== JSON.stringify(spec.fields)) why = `it is partitioned by ${describeSpec(spec)}, not ${want === undefined ? 'nothing' : describeSpec(want)}`
      }
    }
    if (why === undefined) return table
    await table.close()
    throw new AilakeError('ALREADY_EXISTS', `table ${table.name} already exists and ${why}; open it with openTable(), or drop it or pick another name to create it as asked`, { context: { table: table.name } })
  }

  /** Opens an existing table; `NOT_FOUND` if there is none by that name. */
  async openTable(name: string): Promise<Table> {
    return this.handle(await this.catalog.loadTable(parseIdentifier(name)))
  }

  /** Table names (`namespace.table`), of one namespace or of all. */
  async listTables(namespace?: string): Promise<string[]> {
    const namespaces = namespace === undefined ? await this.catalog.listNamespaces() : [namespace.split('.').map((s) => checkName(s, 'namespace'))]
    const out: string[] = []
    for (const ns of namespaces) for (const t of await this.catalog.listTables(ns)) out.push(formatIdentifier(t))
    return out.sort()
  }

  /** Drops a table and deletes its files. */
  async dropTable(name: string): Promise<void> {
    await this.catalog.dropTable(parseIdentifier(name), { purge: true })
  }

  /**
   * Closes every table handle opened through this lakehouse (flushing their writers), then the
   * store. Every handle is closed even when one fails; the first failure is then thrown (a
   * writer whose recovery failed is no failure here: its error reached its calls already).
   */
  async close(): Promise<void> {
    const errors: unknown[] = []
    for (const t of [...this.tables]) await t.close().catch((e: unknown) => errors.push(e))
    await this.store.close()
    if (errors.length > 0) throw errors[0]
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private handle(loaded: LoadedTable): Table {
    const core = new IcebergTable({ catalog: this.catalog, store: this.store, cache: this.cache, retry: this.retry }, loaded)
    const services: TableServices = { caches: this.queryCaches, onClose: (t) => this.tables.delete(t) }
    if (this.indexBuilderOptions !== undefined) services.indexBuilderOptions = this.indexBuilderOptions
    if (this.autoOptimize?.auto === true) services.autoOptimize = this.autoOptimize
    if (this.int64 !== undefined) services.int64 = this.int64
    const table = new Table(core, services)
    this.tables.add(table)
    return table
  }
}

/**
 * Opens a lakehouse. `uri` is a local directory (created if needed; the embedded default),
 * `file:///abs/path`, or `s3://bucket/prefix` (needs the optional `@aws-sdk/client-s3`).
 */
export async function connect(uri: string, options: ConnectOptions = {}): Promise<Lakehouse> {
  if (typeof uri !== 'string' || uri.length === 0) {
    throw new AilakeError('INVALID_ARGUMENT', `connect() needs a warehouse URI such as "./warehouse" or "s3://bucket/prefix", got ${JSON.stringify(uri)}`)
  }
  checkOptions(options, CONNECT_KEYS, 'connect()')
  if (options.optimize !== undefined) checkAutoOptimizeOptions(options.optimize)
  const cache = options.indexCache
  const cached = (store: ObjectStore): ObjectStore => cache === undefined
    ? store
    : new IndexCacheStore(store, { ...cache, maxBytes: cache.maxBytes ?? 256 * 1024 * 1024, maxRangeBytes: cache.maxRangeBytes ?? 8 * 1024 * 1024 })
  if (uri.startsWith('s3://')) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri)
    if (m === null || m[1] === undefined) throw new AilakeError('INVALID_ARGUMENT', `S3 URI ${uri} must look like s3://bucket/prefix`)
    const bucket = m[1]
    const prefix = (m[2] ?? '').replace(/\/+$/, '')
    const { S3Store } = await import('../store/s3-store.js')
    const store = cached(options.store ?? new S3Store({ ...options.s3, bucket, prefix }))
    const warehouse = prefix === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}`
    return new Lakehouse(new FileCatalog({ store, warehouse }), store, options)
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith('file://')) {
    throw new AilakeError('UNSUPPORTED', `warehouse URI scheme of ${uri} is not supported; use a local path, file:// or s3://`)
  }
  const path = uri.startsWith('file://') ? decodeURIComponent(uri.slice('file://'.length)) : uri
  const local = new LocalStore({ root: path })
  const store = cached(options.store ?? local)
  return new Lakehouse(new FileCatalog({ store, warehouse: `file://${local.root}` }), store, options)
}
