/**
 * A handle on one table: its metadata at a known version, snapshot lookup (by id or time),
 * scan planning, and atomic append / rewrite commits with retry.
 */
import { AilakeError, invalid } from '../errors.js'
import { homeOf, reloadTable, type Catalog, type LoadedTable } from '../catalog/catalog.js'
import { formatIdentifier } from '../catalog/identifier.js'
import { joinLocation, normalizeLocation, relativeTo } from '../catalog/locations.js'
import type { Schema } from '../format/schema.js'
import type { DataFile, Snapshot, TableMetadata } from '../format/iceberg/types.js'
import type { ObjectStore } from '../store/object-store.js'
import { commitChange, commitOperation, type Operation, type RetryOptions } from './commit.js'
import { evolveSchema, schemaUpdate, SCHEMA_PENDING_PROPERTY, type SchemaChange } from './schema-evolution.js'
import { ManifestCache } from './manifest-cache.js'
import { currentSchema } from './metadata-builder.js'
import { planFiles, type LiveFile, type PlanOptions } from './scan.js'
import { policyFromProperties, vectorColumnNames, type VectorPolicy } from './vector-policy.js'

/** A point in a table's history to read: a snapshot id, or a time (the snapshot current then). */
export type AsOf = bigint | number | string | Date

export interface TableContext {
  catalog: Catalog
  store: ObjectStore
  /** Shared across handles of the same lakehouse: manifests never change once written. */
  cache?: ManifestCache
  retry?: RetryOptions
}

export class IcebergTable {
  readonly catalog: Catalog
  readonly store: ObjectStore
  readonly cache: ManifestCache
  private readonly retry: RetryOptions
  private state: LoadedTable
  /**
   * Where the table is: the folder its metadata was loaded from. Its recorded `location` differs
   * when the table (or the whole warehouse) was copied or moved here; see `keyOf`.
   */
  readonly root: string

  constructor(ctx: TableContext, loaded: LoadedTable) {
    this.catalog = ctx.catalog
    this.store = ctx.store
    this.cache = (ctx.cache ?? new ManifestCache(ctx.store, (l) => ctx.catalog.keyOf(l))).withKeys((l) => this.keyOf(l))
    this.retry = ctx.retry ?? {}
    this.state = loaded
    this.root = ctx.catalog.defaultLocation(homeOf(loaded))
  }

  /** True when the recorded location is not where the table is (`relocate()` rewrites it). */
  get moved(): boolean {
    return normalizeLocation(this.location).replace(/\/+$/, '') !== this.root
  }

  get name(): string {
    return formatIdentifier(this.state.ident)
  }

  get metadata(): TableMetadata {
    return this.state.metadata
  }

  /** The metadata and the catalog version it was read at (the base of the next commit). */
  get loaded(): LoadedTable {
    return this.state
  }

  /** Takes a newer state committed through the catalog by maintenance operations. */
  adopt(next: LoadedTable): void {
    if (next.version > this.state.version) this.state = next
  }

  get metadataLocation(): string {
    return this.state.metadataLocation
  }

  get location(): string {
    return this.state.metadata.location
  }

  get schema(): Schema {
    return currentSchema(this.state.metadata)
  }

  /**
   * The schema a read of `asOf` goes through: the current schema for the table as it is now
   * (`asOf` undefined), else the schema the snapshot was written with (Iceberg's time travel),
   * so a snapshot from before a rename reads with the old name.
   */
  schemaAt(asOf?: AsOf): Schema {
    if (asOf === undefined) return this.schema
    const id = this.resolveSnapshot(asOf)
    const schemaId = this.state.metadata.snapshots.find((s) => s.snapshotId === id)?.schemaId
    return this.state.metadata.schemas.find((s) => s.schemaId === schemaId) ?? this.schema
  }

  /**
   * Commits `change` as a new current schema (no snapshot: Iceberg schema changes are metadata
   * only); on a lost race it is resolved again against the schema that won. Returns the schema
   * now current.
   */
  async alterSchema(change: SchemaChange): Promise<Schema> {
    const columns = vectorColumnNames(this.policy)
    this.state = await commitChange({ catalog: this.catalog, cache: this.cache }, this.state, (base) => {
      if (base.properties[SCHEMA_PENDING_PROPERTY] !== undefined) {
        throw invalid(`alterSchema(): table ${this.name} has no columns yet (they are inferred from the first rows written); write rows first, or create the table with a schema`)
      }
      const next = evolveSchema(base, change, columns)
      return next === undefined ? undefined : schemaUpdate(base, next)
    }, this.retry)
    return this.schema
  }

  /** The table's vector policy, or undefined for a plain Iceberg table. */
  get policy(): VectorPolicy | undefined {
    return policyFromProperties(this.state.metadata.properties)
  }

  get currentSnapshotId(): bigint | null {
    return this.state.metadata.currentSnapshotId
  }

  /**
   * Store key of a location the table's metadata holds. A copied or moved table still records
   * the locations of where it was written: those under its recorded location resolve to the
   * same place under `root`, so a copied warehouse (`cp -r`, a restored backup, another bucket)
   * opens as it is, and two copies in one warehouse each read their own files.
   */
  keyOf(location: string): string {
    if (this.moved) {
      const rel = relativeTo(location, this.location)
      if (rel !== undefined) return this.catalog.keyOf(joinLocation(this.root, rel))
    }
    return this.catalog.keyOf(location)
  }

  /** `location` (recorded under the table's recorded location) as it is under `root`. */
  rebased(location: string): string {
    const rel = relativeTo(location, this.location)
    return rel === undefined ? location : joinLocation(this.root, rel)
  }

  /**
   * Reloads the latest metadata from the catalog. A handle stays on the table it was opened on:
   * `NOT_FOUND` once that table is dropped, `COMMIT_CONFLICT` (`tableReplaced`) once another
   * table has its name.
   */
  async refresh(): Promise<void> {
    this.state = await reloadTable(this.catalog, this.state)
  }

  /** Snapshots in commit order (oldest first). */
  snapshots(): Snapshot[] {
    return [...this.state.metadata.snapshots].sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? -1 : a.sequenceNumber > b.sequenceNumber ? 1 : 0))
  }

  /**
   * Resolves `asOf` to a snapshot id: a bigint (or a numeric string) is a snapshot id; a Date,
   * an ISO date string or a number (epoch ms) selects the snapshot that was current at that time.
   */
  resolveSnapshot(asOf?: AsOf): bigint | null {
    const meta = this.state.metadata
    if (asOf === undefined) return meta.currentSnapshotId
    if (typeof asOf === 'bigint' || (typeof asOf === 'string' && /^\d+$/.test(asOf))) {
      const id = BigInt(asOf)
      if (!meta.snapshots.some((s) => s.snapshotId === id)) {
        throw new AilakeError('NOT_FOUND', `snapshot ${id} does not exist in table ${this.name}; see table.history() for valid ids`, { context: { snapshotId: String(id) } })
      }
      return id
    }
    const t = asOf instanceof Date ? asOf.getTime() : typeof asOf === 'number' ? asOf : Date.parse(asOf)
    if (!Number.isFinite(t)) throw invalid(`asOf ${JSON.stringify(String(asOf))} is neither a snapshot id nor a valid date`)
    let found: bigint | undefined
    for (const entry of meta.snapshotLog) if (entry.timestampMs <= t) found = entry.snapshotId
    if (found === undefined) {
      throw new AilakeError('NOT_FOUND', `table ${this.name} had no snapshot at ${new Date(t).toISOString()}; its first snapshot is later`, { context: { asOf: t } })
    }
    return found
  }

  /** Live data files of a snapshot (default: current); `options.dataManifests` leaves manifests out unread. */
  async planFiles(snapshotId: bigint | null = this.currentSnapshotId, options: PlanOptions = {}): Promise<LiveFile[]> {
    return planFiles(this.state.metadata, snapshotId, this.cache, options)
  }

  /** Commits `files` as one append snapshot; returns its id. `summary` adds snapshot properties. */
  async append(files: DataFile[], summary?: Record<string, string>): Promise<bigint> {
    return this.commit(summary === undefined ? { kind: 'append', added: files } : { kind: 'append', added: files, summary })
  }

  /**
   * Atomically replaces live files `removed` (paths) with `added`. Fails if any was removed
   * meanwhile. `sameRows`: `added[i]` holds `removed[i]`'s rows in the same order (deletes move with them).
   */
  async rewrite(removed: string[], added: DataFile[], options: { sameRows?: boolean } = {}): Promise<bigint> {
    return this.commit({ kind: 'rewrite', removed, added, ...(options.sameRows === true ? { sameRows: true } : {}) })
  }

  /** Commits any operation (with retry on lost races); returns the new snapshot id. */
  async commit(op: Operation): Promise<bigint> {
    let result
    try {
      result = await commitOperation({ catalog: this.catalog, store: this.store, cache: this.cache, keyOf: (l) => this.keyOf(l) }, this.state, op, this.retry)
    } catch (err) {
      // The next write lays its files out under the new location.
      if (err instanceof AilakeError && err.context.relocated === true) await this.refresh()
      throw err
    }
    this.state = result.table
    return result.snapshotId
  }
}
