/**
 * A Hadoop-style catalog on any ObjectStore: the table's metadata files are
 * `<warehouse>/<namespace...>/<table>/metadata/v<N>.metadata.json`, and a commit is the atomic
 * create-if-absent of version N+1. No lock service: the store's conditional write decides races.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import type { ObjectStore } from '../store/object-store.js'
import { decodeTableMetadata, encodeTableMetadata } from '../format/iceberg/table-metadata.js'
import type { TableMetadata } from '../format/iceberg/types.js'
import { utf8Decode, utf8Encode } from '../util/bytes.js'
import { checkSameTable, tableDropped, type Catalog, type LoadedTable } from './catalog.js'
import { checkIdentifier, checkNamespace, formatIdentifier, TABLE_FOLDERS, type TableIdentifier } from './identifier.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import { relativeTo } from './locations.js'
import { deleteAfterCommit, droppedMetadataFiles } from './metadata-files.js'

const NAMESPACE_MARKER = '.ailake-namespace'
const VERSION_FILE = /^v(\d{1,12})\.metadata\.json$/

function isVersionFile(key: string): boolean {
  return /\/(v\d+\.metadata\.json|version-hint\.text)$/.test(key)
}

export interface FileCatalogOptions {
  /** The store rooted at the warehouse. */
  store: ObjectStore
  /** URI of the warehouse root as other engines should see it, e.g. `file:///data/wh` or `s3://bucket/wh`. */
  warehouse: string
}

const FILE_CATALOG_KEYS = { store: true, warehouse: true } as const satisfies OptionKeys<FileCatalogOptions>

export class FileCatalog implements Catalog {
  readonly store: ObjectStore
  readonly warehouse: string

  constructor(options: FileCatalogOptions) {
    checkOptions(options, FILE_CATALOG_KEYS, 'new FileCatalog()')
    this.store = options.store
    this.warehouse = options.warehouse.replace(/\/+$/, '')
  }

  /** The table's folder; the identifier is checked here, so no method reaches a folder a name may not have. */
  private tableKey(ident: TableIdentifier): string {
    checkIdentifier(ident)
    return [...ident.namespace, ident.name].join('/')
  }

  private metadataKey(ident: TableIdentifier, version: number): string {
    return `${this.tableKey(ident)}/metadata/v${version}.metadata.json`
  }

  /** Store key of an absolute location under this warehouse (`file:/x` and `file:///x` alike). */
  keyOf(location: string): string {
    const key = relativeTo(location, this.warehouse)
    if (key === undefined || key === '') {
      throw new AilakeError('INVALID_ARGUMENT', `location ${location} is outside the warehouse ${this.warehouse}; ailake reads only files under its warehouse (a table copied from elsewhere resolves its own old locations; files of other tables or folders cannot be read)`, { context: { location, warehouse: this.warehouse } })
    }
    return key
  }

  locationOf(key: string): string {
    return `${this.warehouse}/${key}`
  }

  defaultLocation(ident: TableIdentifier): string {
    return this.locationOf(this.tableKey(ident))
  }

  async listNamespaces(): Promise<string[][]> {
    const out: string[][] = []
    for (const o of await this.store.list('')) {
      if (o.key.endsWith('/' + NAMESPACE_MARKER)) out.push(o.key.split('/').slice(0, -1))
    }
    return out
  }

  async createNamespace(namespace: string[]): Promise<void> {
    checkNamespace(namespace)
    await this.store.putIfAbsent(`${namespace.join('/')}/${NAMESPACE_MARKER}`, new Uint8Array(0))
  }

  async dropNamespace(namespace: string[]): Promise<void> {
    checkNamespace(namespace)
    const tables = await this.listTables(namespace)
    if (tables.length > 0) {
      throw new AilakeError('INVALID_ARGUMENT', `namespace ${namespace.join('.')} still holds ${tables.length} table(s) (${tables.map(formatIdentifier).join(', ')}); drop them first`)
    }
    await this.store.delete(`${namespace.join('/')}/${NAMESPACE_MARKER}`)
  }

  async listTables(namespace: string[]): Promise<TableIdentifier[]> {
    checkNamespace(namespace)
    const prefix = namespace.join('/') + '/'
    const names = new Set<string>()
    for (const o of await this.store.list(prefix)) {
      const rest = o.key.slice(prefix.length).split('/')
      if (rest.length === 3 && rest[1] === 'metadata' && VERSION_FILE.test(rest[2] as string)) names.add(rest[0] as string)
    }
    return [...names].sort().map((name) => ({ namespace, name }))
  }

  async createTable(ident: TableIdentifier, metadata: TableMetadata): Promise<LoadedTable> {
    if ((await this.latestVersion(ident)) !== undefined) {
      throw new AilakeError('ALREADY_EXISTS', `table ${formatIdentifier(ident)} already exists; open it with openTable() or drop it first`, { context: { table: formatIdentifier(ident) } })
    }
    await this.createNamespace(ident.namespace)
    const loaded = await this.writeVersion(ident, 1, metadata)
    if (loaded === undefined) {
      throw new AilakeError('ALREADY_EXISTS', `table ${formatIdentifier(ident)} was created concurrently by another writer`, { context: { table: formatIdentifier(ident) } })
    }
    return loaded
  }

  async loadTable(ident: TableIdentifier): Promise<LoadedTable> {
    for (let attempt = 1; ; attempt++) {
      const version = await this.latestVersion(ident)
      if (version === undefined) {
        throw new AilakeError('NOT_FOUND', `table ${formatIdentifier(ident)} does not exist; create it with createTable() or check the name (names are case-sensitive)`, { context: { table: formatIdentifier(ident) } })
      }
      try {
        return await this.loadVersion(ident, version)
      } catch (err) {
        // Newer commits pruned the version listed a moment ago (see metadata-files.ts): look again.
        if (!isAilakeError(err, 'NOT_FOUND') || attempt >= 5 || ((await this.latestVersion(ident)) ?? 0) <= version) throw err
      }
    }
  }

  async loadVersion(ident: TableIdentifier, version: number): Promise<LoadedTable> {
    const key = this.metadataKey(ident, version)
    let bytes: Uint8Array
    try {
      bytes = await this.store.get(key)
    } catch (err) {
      if (err instanceof AilakeError && err.code === 'NOT_FOUND') {
        throw new AilakeError('NOT_FOUND', `metadata version ${version} of table ${formatIdentifier(ident)} does not exist`, { context: { key } })
      }
      throw err
    }
    const location = this.locationOf(key)
    const metadata = decodeTableMetadata(utf8Decode(bytes, location), location)
    return { ident, metadata, metadataLocation: location, version }
  }

  async commitTable(base: LoadedTable, metadata: TableMetadata): Promise<LoadedTable | undefined> {
    if (metadata.tableUuid !== base.metadata.tableUuid) {
      throw new AilakeError('INTERNAL', `a commit to ${formatIdentifier(base.ident)} would change its table-uuid from ${base.metadata.tableUuid} to ${metadata.tableUuid}`)
    }
    // assert-table-uuid: version N+1 may only follow version N of the same table. Without this a
    // handle on a dropped table would create the next version of whatever table has that name.
    let stored: LoadedTable
    try {
      stored = await this.loadVersion(base.ident, base.version)
    } catch (err) {
      if (!isAilakeError(err, 'NOT_FOUND')) throw err
      // Gone: the table was dropped, or this version expired long after newer ones were made
      // (a lost race: the caller reloads, and a re-created table fails its UUID check there).
      if ((await this.latestVersion(base.ident)) === undefined) throw tableDropped(base.ident)
      return undefined
    }
    checkSameTable(base, stored)
    const committed = await this.writeVersion(base.ident, base.version + 1, metadata)
    if (committed !== undefined && deleteAfterCommit(metadata)) await this.deleteDropped(base, metadata)
    return committed
  }

  /**
   * Deletes the metadata files the commit of `next` on `base` dropped from the metadata log (this
   * table's `vN.metadata.json` named there, older than `base`). Best effort: a file left behind
   * is deleted by the next `expireSnapshots`.
   */
  private async deleteDropped(base: LoadedTable, next: TableMetadata): Promise<void> {
    for (const file of droppedMetadataFiles(base.metadata, base.metadataLocation, next)) {
      const m = VERSION_FILE.exec(file.slice(file.lastIndexOf('/') + 1))
      if (m === null || Number(m[1]) >= base.version) continue
      await this.store.delete(this.metadataKey(base.ident, Number(m[1]))).catch(() => undefined)
    }
  }

  async dropTable(ident: TableIdentifier, options: { purge?: boolean } = {}): Promise<void> {
    checkOptions(options, { purge: true }, 'dropTable()')
    if ((await this.latestVersion(ident)) === undefined) {
      throw new AilakeError('NOT_FOUND', `table ${formatIdentifier(ident)} does not exist`, { context: { table: formatIdentifier(ident) } })
    }
    // Only the table's own folders: a table or namespace named below this one (a.b.c under a.b)
    // has its own folder next to them, never inside (see identifier.ts).
    const table = this.tableKey(ident)
    const [metadata, ...rest] = await Promise.all(['metadata', ...TABLE_FOLDERS.filter((f) => f !== 'metadata')].map((f) => this.store.list(`${table}/${f}/`)))
    // Metadata first, and its version files before what they point at, so a half-finished drop
    // leaves no loadable table pointing at missing files.
    const versionsFirst = (metadata ?? []).sort((a, b) => Number(isVersionFile(b.key)) - Number(isVersionFile(a.key)))
    for (const o of versionsFirst) await this.store.delete(o.key)
    if (options.purge !== false) for (const o of rest.flat()) await this.store.delete(o.key)
  }

  private async writeVersion(ident: TableIdentifier, version: number, metadata: TableMetadata): Promise<LoadedTable | undefined> {
    const key = this.metadataKey(ident, version)
    const bytes = utf8Encode(encodeTableMetadata(metadata))
    let created: boolean
    try {
      created = await this.store.putIfAbsent(key, bytes)
    } catch (err) {
      throw new AilakeError('STORE_ERROR', `creating ${key} failed and it may exist now`, { cause: err, retryable: false, context: { key, outcomeUnknown: true } })
    }
    if (!created) return undefined
    // The hint only speeds up readers such as other engines; loads verify it by probing forward.
    try {
      await this.store.put(`${this.tableKey(ident)}/metadata/version-hint.text`, utf8Encode(String(version)))
    } catch {
      // A stale or missing hint is harmless: latestVersion() never trusts it blindly.
    }
    return { ident, metadata, metadataLocation: this.locationOf(key), version }
  }

  /** Highest existing metadata version, or undefined if the table does not exist. */
  private async latestVersion(ident: TableIdentifier): Promise<number | undefined> {
    const dir = `${this.tableKey(ident)}/metadata/`
    let version: number | undefined
    try {
      const hint = Number(utf8Decode(await this.store.get(dir + 'version-hint.text')).trim())
      if (Number.isSafeInteger(hint) && hint > 0 && (await this.store.head(this.metadataKey(ident, hint))) !== undefined) version = hint
    } catch (err) {
      if (!(err instanceof AilakeError) || (err.code !== 'NOT_FOUND' && err.code !== 'CORRUPT_DATA')) throw err
    }
    if (version === undefined) {
      for (const o of await this.store.list(dir)) {
        const m = VERSION_FILE.exec(o.key.slice(dir.length))
        if (m) version = Math.max(version ?? 0, Number(m[1]))
      }
      if (version === undefined) return undefined
    }
    // Writers may have committed after the hint was written: walk forward to the true head.
    while ((await this.store.head(this.metadataKey(ident, version + 1))) !== undefined) version++
    return version
  }
}
