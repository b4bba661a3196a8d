/**
 * `lake.iceberg`: the lakehouse as an Iceberg catalog, in the terms of the Iceberg REST catalog
 * (namespaces with properties; tables created from an Iceberg schema, loaded and committed as
 * spec JSON). Requests and metadata are the spec's JSON objects with 64-bit integers as
 * `bigint` (read and write them with `parseJson` / `stringifyJson`). Commits go through the
 * same optimistic protocol as ailake's own writers, so they may race them freely.
 */
import { AilakeError } from '../errors.js'
import type { Catalog, LoadedTable, NamespacePropertiesChange } from '../catalog/catalog.js'
import { checkIdentifier, checkNamespace, type TableIdentifier } from '../catalog/identifier.js'
import { encodeTableMetadata } from '../format/iceberg/table-metadata.js'
import { commitTableChange, type RetryOptions } from '../table/commit.js'
import type { ManifestCache } from '../table/manifest-cache.js'
import { newTableFromRequest, parseTableChange } from '../table/metadata-updates.js'
import { parseJson } from '../util/json.js'
import { checkOptions } from '../util/options.js'

export type { NamespacePropertiesChange, TableIdentifier }

/** A table as the REST catalog returns it. */
export interface IcebergTableResult {
  /** The metadata file this state was read from or written to. */
  metadataLocation: string
  /** The table metadata in the spec's JSON form, 64-bit integers as `bigint`. */
  metadata: Record<string, unknown>
}

export class IcebergCatalog {
  /** @internal use `lake.iceberg` */
  constructor(
    private readonly catalog: Catalog,
    private readonly cache: ManifestCache,
    private readonly retry: RetryOptions,
  ) {}

  /**
   * Namespaces one level below `parent` (top-level ones without it). A namespace exists when
   * it was created or holds one that was, as `a` does for `a.b`. `NOT_FOUND` for a missing parent.
   */
  async listNamespaces(parent: readonly string[] = []): Promise<string[][]> {
    if (parent.length > 0) checkNamespace(parent)
    const all = await this.catalog.listNamespaces()
    const below = all.filter((ns) => ns.length >= parent.length && parent.every((s, i) => ns[i] === s))
    if (parent.length > 0 && below.length === 0) await this.catalog.loadNamespace([...parent])
    const children = new Map<string, string[]>()
    for (const ns of below) {
      if (ns.length === parent.length) continue
      const child = ns.slice(0, parent.length + 1)
      children.set(child.join('\u001f'), child)
    }
    return [...children.values()].sort((a, b) => a.join('.').localeCompare(b.join('.')))
  }

  /** Creates a namespace; `ALREADY_EXISTS` (context `namespaceExists`) if it exists. */
  async createNamespace(namespace: readonly string[], properties: Readonly<Record<string, string>> = {}): Promise<Record<string, string>> {
    if (!(await this.catalog.createNamespace([...namespace], properties))) {
      throw new AilakeError('ALREADY_EXISTS', `namespace ${namespace.join('.')} already exists`, { context: { namespace: namespace.join('.'), namespaceExists: true } })
    }
    return this.catalog.loadNamespace([...namespace])
  }

  /** The namespace's properties; `NOT_FOUND` (context `namespaceMissing`) if it does not exist. */
  async loadNamespace(namespace: readonly string[]): Promise<Record<string, string>> {
    return this.catalog.loadNamespace([...namespace])
  }

  async namespaceExists(namespace: readonly string[]): Promise<boolean> {
    try {
      await this.catalog.loadNamespace([...namespace])
      return true
    } catch (err) {
      if (err instanceof AilakeError && err.code === 'NOT_FOUND') return false
      throw err
    }
  }

  /** Sets and removes namespace properties; no update is lost to a concurrent one. */
  async updateNamespace(namespace: readonly string[], change: { updates?: Record<string, string>; removals?: string[] }): Promise<NamespacePropertiesChange> {
    checkOptions(change, { updates: true, removals: true }, 'updateNamespace()')
    return this.catalog.updateNamespace([...namespace], change.updates ?? {}, change.removals ?? [])
  }

  /** Drops an empty namespace (`INVALID_ARGUMENT` with context `namespaceNotEmpty` otherwise). */
  async dropNamespace(namespace: readonly string[]): Promise<void> {
    await this.catalog.dropNamespace([...namespace])
  }

  /** Tables of one namespace; `NOT_FOUND` if it does not exist. */
  async listTables(namespace: readonly string[]): Promise<TableIdentifier[]> {
    await this.catalog.loadNamespace([...namespace])
    return this.catalog.listTables([...namespace])
  }

  /**
   * Creates a plain Iceberg table from a create request (`{ name, schema, partition-spec?,
   * write-order?, properties? }`) in an existing namespace. Vector tables are made with
   * `lake.createTable()`; `ailake.*` properties are refused here.
   */
  async createTable(namespace: readonly string[], request: unknown): Promise<IcebergTableResult> {
    await this.catalog.loadNamespace([...namespace])
    const name = typeof request === 'object' && request !== null ? (request as { name?: unknown }).name : undefined
    const ident = checkIdentifier({ namespace: [...namespace], name: name as string })
    const { metadata } = newTableFromRequest(request, this.catalog.defaultLocation(ident))
    return result(await this.catalog.createTable(ident, metadata))
  }

  /** The table's current metadata; `NOT_FOUND` if it does not exist. */
  async loadTable(ident: TableIdentifier): Promise<IcebergTableResult> {
    return result(await this.catalog.loadTable(checkIdentifier(ident)))
  }

  async tableExists(ident: TableIdentifier): Promise<boolean> {
    try {
      await this.catalog.loadTable(checkIdentifier(ident))
      return true
    } catch (err) {
      if (err instanceof AilakeError && err.code === 'NOT_FOUND') return false
      throw err
    }
  }

  /** Drops the table's metadata and, with `purge`, its files. */
  async dropTable(ident: TableIdentifier, options: { purge?: boolean } = {}): Promise<void> {
    checkOptions(options, { purge: true }, 'dropTable()')
    await this.catalog.dropTable(checkIdentifier(ident), { purge: options.purge === true })
  }

  /** Renames a table (its files stay where they are); see `Catalog.renameTable`. */
  async renameTable(from: TableIdentifier, to: TableIdentifier): Promise<void> {
    await this.catalog.renameTable(checkIdentifier(from), checkIdentifier(to))
  }

  /**
   * Commits `{ requirements, updates }`: `COMMIT_CONFLICT` when a requirement fails (on the
   * state the commit would land on) or an added snapshot was built on a state the table has
   * moved past; `INVALID_ARGUMENT` for unknown or malformed ones; `UNSUPPORTED` for updates
   * ailake does not keep (statistics, encryption keys...).
   */
  async commitTable(ident: TableIdentifier, request: unknown): Promise<IcebergTableResult> {
    const change = parseTableChange(request)
    return result(await commitTableChange({ catalog: this.catalog, cache: this.cache }, checkIdentifier(ident), change, this.retry))
  }
}

function result(loaded: LoadedTable): IcebergTableResult {
  // v1 metadata is served as its writer wrote it: ailake writes v2 only, and a client reading a v1 table expects v1 fields.
  const json = loaded.text ?? encodeTableMetadata(loaded.metadata)
  return { metadataLocation: loaded.metadataLocation, metadata: parseJson(json, loaded.metadataLocation) as Record<string, unknown> }
}
