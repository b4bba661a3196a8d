/**
 * The catalog contract: where a table's current metadata lives and how it is swapped atomically.
 */
import type { TableMetadata } from '../format/iceberg/types.js'
import type { TableIdentifier } from './identifier.js'

/** A loaded table: its metadata and the version it was read at (used as the commit base). */
export interface LoadedTable {
  ident: TableIdentifier
  metadata: TableMetadata
  /** Location (URI) of the metadata file. */
  metadataLocation: string
  /** Catalog-specific version token of the metadata (the N of vN.metadata.json). */
  version: number
}

export interface Catalog {
  /** URI of the warehouse root; table locations live under it. */
  readonly warehouse: string
  listNamespaces(): Promise<string[][]>
  createNamespace(namespace: string[]): Promise<void>
  /** Drops an empty namespace. */
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
   * another writer committed first (the caller reloads and re-applies its change).
   */
  commitTable(base: LoadedTable, metadata: TableMetadata): Promise<LoadedTable | undefined>
  /** Removes the table's metadata (and, with `purge`, its data files). */
  dropTable(ident: TableIdentifier, options?: { purge?: boolean }): Promise<void>
}
