/**
 * A Hadoop-style catalog on any ObjectStore: the table's metadata files are
 * `<warehouse>/<namespace...>/<table>/metadata/v<N>.metadata.json`, and a commit is the atomic
 * create-if-absent of version N+1. No lock service: the store's conditional write decides races.
 *
 * A rename keeps the table's files where they are (its location does not change): it seals the
 * old name by committing, as its next version, the table marked `ailake.renamed-to`, so no
 * writer can commit through the old name any more, then creates version 1 under the new name.
 * The sealed old name keeps the folder of a table that still lives in it reserved, until that
 * table is dropped; a marker file next to it lets listings skip it without reading metadata.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import type { ObjectStore } from '../store/object-store.js'
import { decodeTableMetadata, encodeTableMetadata } from '../format/iceberg/table-metadata.js'
import type { TableMetadata } from '../format/iceberg/types.js'
import { gunzipMetadata } from '../format/codecs.js'
import { utf8Decode, utf8Encode } from '../util/bytes.js'
import { checkSameTable, HOME_PROPERTY, tableDropped, type Catalog, type LoadedTable, type NamespacePropertiesChange } from './catalog.js'
import { checkIdentifier, checkNamespace, formatIdentifier, TABLE_FOLDERS, type TableIdentifier } from './identifier.js'
import { namespaceMissing, Namespaces } from './namespaces.js'
import { checkOptions, type OptionKeys } from '../util/options.js'
import { relativeTo } from './locations.js'
import { deleteAfterCommit, droppedMetadataFiles, nextMetadataLog } from './metadata-files.js'

/** ailake's own metadata file names (the Hadoop catalog's): written and committed by create-if-absent. */
const VERSION_FILE = /^v(\d{1,12})\.metadata\.json$/
/**
 * Every metadata file name this catalog reads: its own, gzip-compressed ones (`v3.gz.metadata.json`)
 * and those other catalogs write (`00003-<uuid>.metadata.json`, Java's and PyIceberg's naming).
 * Tables whose newest file is not ailake's own are read-only here (see `commitTable`).
 */
const METADATA_FILE = /^(?:v(\d{1,12})|(\d{1,12})-[0-9A-Za-z-]{1,200})(\.gz)?\.metadata\.json$/

function metadataVersion(name: string): number | undefined {
  const m = METADATA_FILE.exec(name)
  return m === null ? undefined : Number(m[1] ?? m[2])
}
/** Property of the version that seals a renamed table's old name: the new name. */
const RENAMED_TO = 'ailake.renamed-to'
/** File at the root of a sealed name's folder, so listings skip it without reading metadata. */
const RENAMED_MARKER = '.ailake-renamed'
const RENAME_ATTEMPTS = 20

function isVersionFile(key: string): boolean {
  const name = key.slice(key.lastIndexOf('/') + 1)
  return name === 'version-hint.text' || metadataVersion(name) !== undefined
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
  private readonly namespaces: Namespaces

  constructor(options: FileCatalogOptions) {
    checkOptions(options, FILE_CATALOG_KEYS, 'new FileCatalog()')
    this.store = options.store
    this.warehouse = options.warehouse.replace(/\/+$/, '')
    this.namespaces = new Namespaces(this.store)
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
    return this.namespaces.list()
  }

  async createNamespace(namespace: string[], properties: Readonly<Record<string, string>> = {}): Promise<boolean> {
    return this.namespaces.create(namespace, properties)
  }

  async loadNamespace(namespace: string[]): Promise<Record<string, string>> {
    return (await this.namespaces.load(namespace)).properties
  }

  async updateNamespace(namespace: string[], updates: Readonly<Record<string, string>>, removals: readonly string[]): Promise<NamespacePropertiesChange> {
    return this.namespaces.update(namespace, updates, removals)
  }

  async dropNamespace(namespace: string[]): Promise<void> {
    checkNamespace(namespace)
    if (!(await this.namespaces.exists(namespace))) throw namespaceMissing(namespace)
    const tables = await this.listTables(namespace)
    const inner = (await this.namespaces.list()).filter((ns) => ns.length > namespace.length && namespace.every((s, i) => ns[i] === s))
    if (tables.length > 0 || inner.length > 0) {
      const held = [...tables.map(formatIdentifier), ...inner.map((ns) => `namespace ${ns.join('.')}`)]
      throw new AilakeError('INVALID_ARGUMENT', `namespace ${namespace.join('.')} is not empty: it holds ${held.slice(0, 5).join(', ')}${held.length > 5 ? ` and ${held.length - 5} more` : ''}; drop them first`, { context: { namespace: namespace.join('.'), namespaceNotEmpty: true } })
    }
    await this.namespaces.drop(namespace)
  }

  async listTables(namespace: string[]): Promise<TableIdentifier[]> {
    checkNamespace(namespace)
    const prefix = namespace.join('/') + '/'
    const names = new Set<string>()
    const renamed = new Set<string>()
    for (const o of await this.store.list(prefix)) {
      const rest = o.key.slice(prefix.length).split('/')
      if (rest.length === 3 && rest[1] === 'metadata' && metadataVersion(rest[2] as string) !== undefined) names.add(rest[0] as string)
      if (rest.length === 2 && rest[1] === RENAMED_MARKER) renamed.add(rest[0] as string)
    }
    return [...names].filter((n) => !renamed.has(n)).sort().map((name) => ({ namespace, name }))
  }

  async createTable(ident: TableIdentifier, metadata: TableMetadata): Promise<LoadedTable> {
    const existing = await this.latestVersion(ident)
    if (existing !== undefined) {
      const renamedTo = (await this.loadVersion(ident, existing)).metadata.properties[RENAMED_TO]
      const why = renamedTo === undefined ? 'already exists; open it with openTable() or drop it first'
        : `holds the files of table ${renamedTo} (renamed from ${formatIdentifier(ident)}, they stay where they were written); the name is free again once that table is dropped`
      throw new AilakeError('ALREADY_EXISTS', `table ${formatIdentifier(ident)} ${why}`, { context: { table: formatIdentifier(ident) } })
    }
    // A marker left by a drop that stopped half-way would hide the new table from listings.
    await this.store.delete(`${this.tableKey(ident)}/${RENAMED_MARKER}`)
    await this.createNamespace(ident.namespace)
    const loaded = await this.writeVersion(ident, 1, metadata)
    if (loaded === undefined) {
      throw new AilakeError('ALREADY_EXISTS', `table ${formatIdentifier(ident)} was created concurrently by another writer`, { context: { table: formatIdentifier(ident) } })
    }
    return loaded
  }

  async loadTable(ident: TableIdentifier): Promise<LoadedTable> {
    const loaded = await this.loadLatest(ident)
    const renamedTo = loaded.metadata.properties[RENAMED_TO]
    if (renamedTo !== undefined) {
      throw new AilakeError('NOT_FOUND', `table ${formatIdentifier(ident)} was renamed to ${renamedTo}; open it by its new name`, { context: { table: formatIdentifier(ident), renamedTo } })
    }
    return loaded
  }

  /** The latest version, sealed or not. */
  private async loadLatest(ident: TableIdentifier): Promise<LoadedTable> {
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
    let key = this.metadataKey(ident, version)
    let bytes: Uint8Array
    try {
      bytes = await this.store.get(key)
    } catch (err) {
      if (!isAilakeError(err, 'NOT_FOUND')) throw err
      // Named by another catalog or compressed: find it by listing (only such tables pay for it).
      const dir = `${this.tableKey(ident)}/metadata/`
      const named = (await this.store.list(dir)).map((o) => o.key).filter((k) => metadataVersion(k.slice(dir.length)) === version).sort()
      if (named[0] === undefined) throw new AilakeError('NOT_FOUND', `metadata version ${version} of table ${formatIdentifier(ident)} does not exist`, { context: { key } })
      key = named[0]
      bytes = await this.store.get(key)
    }
    const location = this.locationOf(key)
    if (key.endsWith('.gz.metadata.json')) bytes = gunzipMetadata(bytes, location)
    const text = utf8Decode(bytes, location)
    const metadata = decodeTableMetadata(text, location)
    return { ident, metadata, metadataLocation: location, version, ...(metadata.formatVersion === 1 ? { text } : {}) }
  }

  async commitTable(base: LoadedTable, metadata: TableMetadata): Promise<LoadedTable | undefined> {
    const name = base.metadataLocation.slice(base.metadataLocation.lastIndexOf('/') + 1)
    if (!VERSION_FILE.test(name)) {
      // Another catalog owns the pointer to its newest file (a uuid name cannot be claimed by create-if-absent), and compressed files are that catalog's choice.
      throw new AilakeError('UNSUPPORTED', `table ${formatIdentifier(base.ident)} is read-only here: its newest metadata file ${name} was written by another catalog; ailake reads it, but changes must go through that catalog (or copy the table with ailake first)`, { context: { table: formatIdentifier(base.ident), metadataFile: name } })
    }
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
    const committed = await this.writeVersion(base.ident, base.version + 1, metadata, base)
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
    const loaded = await this.loadTable(ident)
    // Only the table's own folders: a table or namespace named below this one (a.b.c under a.b)
    // has its own folder next to them, never inside (see identifier.ts). A renamed table's files
    // stay in the folder of the name it was created with, which its location names.
    const own = this.tableKey(ident)
    const home = this.homeKey(loaded)
    await this.deleteMetadata(own)
    if (home !== own) {
      await this.deleteMetadata(home)
      await this.store.delete(`${home}/${RENAMED_MARKER}`)
    }
    if (options.purge === false) return
    for (const key of new Set([own, home])) {
      const rest = await Promise.all(TABLE_FOLDERS.filter((f) => f !== 'metadata').map((f) => this.store.list(`${key}/${f}/`)))
      for (const o of rest.flat()) await this.store.delete(o.key)
    }
  }

  async renameTable(from: TableIdentifier, to: TableIdentifier): Promise<LoadedTable> {
    checkIdentifier(from)
    checkIdentifier(to)
    const [fromName, toName] = [formatIdentifier(from), formatIdentifier(to)]
    if (fromName === toName) throw new AilakeError('INVALID_ARGUMENT', `renaming table ${fromName} to itself; give a different name`)
    if (!(await this.namespaces.exists(to.namespace))) throw namespaceMissing(to.namespace)
    for (let attempt = 1; ; attempt++) {
      const src = await this.loadLatest(from)
      const sealedTo = src.metadata.properties[RENAMED_TO]
      if (sealedTo !== undefined) {
        // A rename to `to` that stopped after sealing `from` is finished; any other is done.
        if (sealedTo === toName) return this.finishRename(src, to)
        throw new AilakeError('NOT_FOUND', `table ${fromName} was renamed to ${sealedTo}; rename it by that name`, { context: { table: fromName, renamedTo: sealedTo } })
      }
      if ((await this.latestVersion(to)) !== undefined) {
        throw new AilakeError('ALREADY_EXISTS', `table ${toName} already exists; drop it or choose another name for ${fromName}`, { context: { table: toName } })
      }
      const seal = { ...nextMetadata(src), properties: { ...src.metadata.properties, [RENAMED_TO]: toName } }
      const sealed = await this.writeVersion(from, src.version + 1, seal)
      if (sealed !== undefined) return this.finishRename(sealed, to)
      // A writer committed first: rename what it left.
      if (attempt >= RENAME_ATTEMPTS) {
        throw new AilakeError('COMMIT_CONFLICT', `renaming ${fromName} lost the race ${attempt} times to concurrent writers; retry later`, { retryable: true })
      }
    }
  }

  /** Creates `to` from the sealed last version of its old name; undoes the seal if `to` was taken meanwhile. */
  private async finishRename(sealed: LoadedTable, to: TableIdentifier): Promise<LoadedTable> {
    const properties = { ...sealed.metadata.properties }
    delete properties[RENAMED_TO]
    properties[HOME_PROPERTY] ??= formatIdentifier(sealed.ident)
    const moved = { ...nextMetadata(sealed), properties }
    let created = await this.writeVersion(to, 1, moved)
    if (created === undefined) {
      const there = await this.loadLatest(to)
      if (there.metadata.tableUuid !== moved.tableUuid) {
        // Give the old name its table back, as the version after the seal (no one else can write it).
        await this.writeVersion(sealed.ident, sealed.version + 1, moved)
        throw new AilakeError('ALREADY_EXISTS', `table ${formatIdentifier(to)} was created while ${formatIdentifier(sealed.ident)} was being renamed to it; nothing was renamed`, { context: { table: formatIdentifier(to) } })
      }
      created = there
    }
    const own = this.tableKey(sealed.ident)
    if (this.homeKey(sealed) === own) await this.store.put(`${own}/${RENAMED_MARKER}`, utf8Encode(formatIdentifier(to)))
    // A name that only held metadata (the table was renamed before) keeps nothing reserved.
    else await this.deleteMetadata(own)
    return created
  }

  /** Store key of the folder holding the table's files: its location's, or its own when that lies outside the warehouse. */
  private homeKey(loaded: LoadedTable): string {
    const location = loaded.metadata.location
    return location.startsWith(this.warehouse + '/') ? this.keyOf(location) : this.tableKey(loaded.ident)
  }

  /** Deletes a table folder's metadata, version files first, so a half-finished delete leaves no loadable table pointing at missing files. */
  private async deleteMetadata(tableKey: string): Promise<void> {
    const metadata = await this.store.list(`${tableKey}/metadata/`)
    const versionsFirst = metadata.sort((a, b) => Number(isVersionFile(b.key)) - Number(isVersionFile(a.key)))
    for (const o of versionsFirst) await this.store.delete(o.key)
  }

  /** Creates version `version` unless it exists; with `base` (the version it follows), only if it lands on the head. */
  private async writeVersion(ident: TableIdentifier, version: number, metadata: TableMetadata, base?: LoadedTable): Promise<LoadedTable | undefined> {
    const key = this.metadataKey(ident, version)
    const bytes = utf8Encode(encodeTableMetadata(metadata))
    let created: boolean
    try {
      created = await this.store.putIfAbsent(key, bytes)
    } catch (err) {
      throw new AilakeError('STORE_ERROR', `creating ${key} failed and it may exist now`, { cause: err, retryable: false, context: { key, outcomeUnknown: true } })
    }
    if (!created) return undefined
    // Commits delete old version files, so a writer on a stale base can find its next number
    // free again below the head. Such a file must not stand (its rows would be lost to the next
    // commit, and a reader walking forward from it stops at the gap after it): it is removed
    // before the hint could name it, and the caller retries on the head.
    let stands = true
    try {
      if (base !== undefined) stands = await this.standsOnHead(base, metadata, this.locationOf(key))
    } catch (err) {
      // Created, but whether it extends the head is unknown: the caller must not clean up as if it failed.
      throw new AilakeError('STORE_ERROR', `created ${key}, but checking that it extends the table's head failed; it may be committed`, { cause: err, retryable: false, context: { key, outcomeUnknown: true } })
    }
    if (!stands) {
      await this.store.delete(key)
      return undefined
    }
    // The hint only speeds up readers such as other engines; loads verify it by probing forward.
    try {
      await this.store.put(`${this.tableKey(ident)}/metadata/version-hint.text`, utf8Encode(String(version)))
    } catch {
      // A stale or missing hint is harmless: latestVersion() never trusts it blindly.
    }
    return { ident, metadata, metadataLocation: this.locationOf(key), version }
  }

  /**
   * Whether the version just created after `base` (its `metadata`, at `location`) extends the
   * head. Version files are deleted oldest first and the head never, so while `base` exists no
   * newer version can have existed when ours was created. Without it, a newer head is either
   * built on ours (ours then lies in its history) or ours re-created a deleted number below it.
   */
  private async standsOnHead(base: LoadedTable, metadata: TableMetadata, location: string): Promise<boolean> {
    if ((await this.store.head(this.metadataKey(base.ident, base.version))) !== undefined) return true
    const dir = `${this.tableKey(base.ident)}/metadata/`
    let head: TableMetadata | undefined
    // The head read may itself be deleted under us by newer commits: list again.
    for (let attempt = 0; head === undefined && attempt < 8; attempt++) {
      let latest = 0
      for (const o of await this.store.list(dir)) latest = Math.max(latest, metadataVersion(o.key.slice(dir.length)) ?? 0)
      if (latest <= base.version + 1) return true
      try {
        head = (await this.loadVersion(base.ident, latest)).metadata
      } catch (err) {
        if (!isAilakeError(err, 'NOT_FOUND')) throw err
      }
    }
    if (head === undefined) throw new AilakeError('COMMIT_CONFLICT', `table ${formatIdentifier(base.ident)} changed too fast to tell whether a commit landed on its head; reload and check before retrying`, { retryable: false, context: { outcomeUnknown: true } })
    const added = metadata.snapshots.filter((s) => !base.metadata.snapshots.some((b) => b.snapshotId === s.snapshotId))
    if (added.length > 0) return added.every((s) => head.snapshots.some((h) => h.snapshotId === s.snapshotId))
    return head.metadataLog.some((e) => e.metadataFile === location)
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
        const v = metadataVersion(o.key.slice(dir.length))
        if (v !== undefined) version = Math.max(version ?? 0, v)
      }
      if (version === undefined) return undefined
    }
    // Writers may have committed after the hint was written: walk forward to the true head.
    while ((await this.store.head(this.metadataKey(ident, version + 1))) !== undefined) version++
    return version
  }
}

/** The metadata of a version written after `base` that changes nothing but the logs. */
function nextMetadata(base: LoadedTable): TableMetadata {
  const m = base.metadata
  return {
    ...m,
    lastUpdatedMs: Math.max(Date.now(), m.lastUpdatedMs + 1),
    metadataLog: nextMetadataLog(m, base.metadataLocation),
  }
}
