/**
 * The catalog contract: where a table's current metadata lives and how it is swapped atomically.
 */
import { AilakeError, isAilakeError } from '../errors.js'
import type { TableMetadata } from '../format/iceberg/types.js'
import { formatIdentifier, parseIdentifier, type TableIdentifier } from './identifier.js'

/** A loaded table: its metadata and the version it was read at (used as the commit base). */
export interface LoadedTable {
  ident: TableIdentifier
  metadata: TableMetadata
  /** Location (URI) of the metadata file. */
  metadataLocation: string
  /** Catalog-specific version token of the metadata (the N of vN.metadata.json). */
  version: number
  /**
   * The file's JSON text, kept for metadata ailake reads but does not write (Iceberg v1), so the
   * REST catalog serves it as its writer wrote it.
   */
  text?: string
}

/**
 * Table property of a renamed table: the name whose folder holds its files (a rename moves
 * only the metadata; the files stay where they were written).
 */
export const HOME_PROPERTY = 'ailake.home'

/** The identifier whose default folder holds the table's files: its own unless it was renamed. */
export function homeOf(loaded: LoadedTable): TableIdentifier {
  const home = loaded.metadata.properties[HOME_PROPERTY]
  if (home === undefined) return loaded.ident
  try {
    return parseIdentifier(home)
  } catch {
    throw new AilakeError('CORRUPT_DATA', `table ${formatIdentifier(loaded.ident)}: property ${HOME_PROPERTY} is not a table name (${JSON.stringify(home)}); set it to the name the table was created under`)
  }
}

/** What an update of namespace properties did (the Iceberg REST response's fields). */
export interface NamespacePropertiesChange {
  updated: string[]
  removed: string[]
  /** Keys asked to be removed that the namespace did not have. */
  missing: string[]
}

export interface Catalog {
  /** URI of the warehouse root; table locations live under it. */
  readonly warehouse: string
  /** Every namespace, at every level. */
  listNamespaces(): Promise<string[][]>
  /** Creates a namespace with `properties`; resolves false (changing nothing) when it exists. */
  createNamespace(namespace: string[], properties?: Readonly<Record<string, string>>): Promise<boolean>
  /** The namespace's properties; `NOT_FOUND` (context `namespaceMissing`) if it does not exist. */
  loadNamespace(namespace: string[]): Promise<Record<string, string>>
  /**
   * Sets `updates` and removes `removals` atomically against concurrent updates (none is lost);
   * `NOT_FOUND` if the namespace does not exist, `INVALID_ARGUMENT` if a key is in both.
   */
  updateNamespace(namespace: string[], updates: Readonly<Record<string, string>>, removals: readonly string[]): Promise<NamespacePropertiesChange>
  /**
   * Drops an empty namespace: `NOT_FOUND` (context `namespaceMissing`) if it does not exist,
   * `INVALID_ARGUMENT` (context `namespaceNotEmpty`) while it holds tables or namespaces.
   */
  dropNamespace(namespace: string[]): Promise<void>
  listTables(namespace: string[]): Promise<TableIdentifier[]>
  /** Store key of a location under the warehouse (`INVALID_ARGUMENT` outside it). */
  keyOf(location: string): string
  /** Location (URI) of a store key. */
  locationOf(key: string): string
  /** Default location for a new table. */
  defaultLocation(ident: TableIdentifier): string
  /** Writes the first metadata version; `ALREADY_EXISTS` if the table exists. */
  createTable(ident: TableIdentifier, metadata: TableMetadata): Promise<LoadedTable>
  /** Latest metadata; `NOT_FOUND` if the table does not exist. */
  loadTable(ident: TableIdentifier): Promise<LoadedTable>
  /** Metadata at one version (for metadata-log based time travel and debugging). */
  loadVersion(ident: TableIdentifier, version: number): Promise<LoadedTable>
  /**
   * Atomically replaces `base` with `metadata`. Returns the new table, or `undefined` when
   * another writer committed first (the caller reloads and re-applies its change). Asserts the
   * table's UUID, as Iceberg's assert-table-uuid: fails (non-retryable) when the table was
   * dropped (`NOT_FOUND`) or dropped and re-created (`COMMIT_CONFLICT`, `tableReplaced`) since
   * `base` was loaded. A rejection carrying `context.outcomeUnknown` means the new version may
   * have been written; any other rejection means it was not.
   */
  commitTable(base: LoadedTable, metadata: TableMetadata): Promise<LoadedTable | undefined>
  /** Removes the table's metadata (and, with `purge`, its data files). */
  dropTable(ident: TableIdentifier, options?: { purge?: boolean }): Promise<void>
  /**
   * Gives table `from` the name `to` (same UUID, same files): `NOT_FOUND` if `from` or the
   * namespace of `to` does not exist, `ALREADY_EXISTS` if `to` does. Writers holding a handle on
   * `from` can no longer commit through it. Returns the table under its new name.
   */
  renameTable(from: TableIdentifier, to: TableIdentifier): Promise<LoadedTable>
}

/** The error for a handle whose table was dropped (or renamed: `renamedTo`) under it. */
export function tableDropped(ident: TableIdentifier, renamedTo?: string): AilakeError {
  const name = formatIdentifier(ident)
  const what = renamedTo === undefined ? 'dropped' : `renamed to ${renamedTo}`
  return new AilakeError('NOT_FOUND', `table ${name} was ${what} after this handle loaded it; nothing was committed`, { context: { table: name, tableDropped: true, ...(renamedTo !== undefined && { renamedTo }) } })
}

/**
 * Fails unless `loaded` is the table `expected` was (same UUID): a table dropped and created
 * again under the same name is another table, and a handle on the old one must not touch it.
 */
export function checkSameTable(expected: LoadedTable, loaded: LoadedTable): LoadedTable {
  const was = expected.metadata.tableUuid
  const now = loaded.metadata.tableUuid
  if (was === now) return loaded
  const name = formatIdentifier(expected.ident)
  throw new AilakeError('COMMIT_CONFLICT', `table ${name} was dropped and re-created (table-uuid ${was} is now ${now}) after this handle loaded it; nothing was committed: open it again to work on the new table`, { retryable: false, context: { table: name, expectedUuid: was, foundUuid: now, tableReplaced: true } })
}

/** The latest version of the table `current` is a version of: `NOT_FOUND` if it was dropped, `COMMIT_CONFLICT` if re-created. */
export async function reloadTable(catalog: Catalog, current: LoadedTable): Promise<LoadedTable> {
  let loaded: LoadedTable
  try {
    loaded = await catalog.loadTable(current.ident)
  } catch (err) {
    if (isAilakeError(err, 'NOT_FOUND')) throw tableDropped(current.ident, typeof err.context.renamedTo === 'string' ? err.context.renamedTo : undefined)
    throw err
  }
  return checkSameTable(current, loaded)
}
