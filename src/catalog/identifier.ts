/**
 * Table identifiers: `namespace.table` (namespace may have several levels: `a.b.table`).
 * Names are case-sensitive and restricted to characters that are safe as path segments.
 *
 * Each level is one folder of the warehouse: table `a.b.c` lives in `a/b/c/`, namespace `a.b`
 * in `a/b/`. A table owns exactly the folders {@link TABLE_FOLDERS} below its own, and its
 * maintenance (drop, expiry, orphan removal) touches nothing else. Because a table's folder is
 * at least two levels deep, a level from the third on could be named like one of those folders
 * and so land inside another table's files (table `a.b.data` in `a/b/data/`, the data folder of
 * table `a.b`): those names are refused there, so ownership is never ambiguous.
 */
import { invalid } from '../errors.js'

export interface TableIdentifier {
  namespace: string[]
  name: string
}

/** The folders a table owns under its location. Nothing of a table lives outside them. */
export const TABLE_FOLDERS: readonly string[] = ['data', 'metadata', 'wal']

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/
/** Levels before this one can never be inside a table's folder. */
const FIRST_LEVEL_IN_A_TABLE = 2

/** Validates one namespace or table name segment. */
export function checkName(segment: string, what: string): string {
  if (typeof segment !== 'string' || !SEGMENT.test(segment)) {
    throw invalid(`${what} ${JSON.stringify(segment)} is not a valid name: use letters, digits, '_' and '-' (not first), up to 128 characters`, { [what]: segment })
  }
  return segment
}

/**
 * Refuses a path (`['a', 'b', 'c']` for `a.b.c`) with a level from the third on named like a
 * table folder, in any letter case (case-insensitive file systems put `Data` in `data/`).
 */
function checkReserved(levels: readonly string[], what: 'namespace' | 'table'): void {
  for (let i = FIRST_LEVEL_IN_A_TABLE; i < levels.length; i++) {
    const level = levels[i] as string
    if (!TABLE_FOLDERS.includes(level.toLowerCase())) continue
    const full = levels.join('.')
    const owner = levels.slice(0, i).join('.')
    throw invalid(`${what} ${JSON.stringify(full)} is not allowed: ${JSON.stringify(level)} is a reserved name at the third level or deeper, where it would be the ${level.toLowerCase()}/ folder of a table ${JSON.stringify(owner)}. The names ${TABLE_FOLDERS.join(', ')} may only be the first or second level (e.g. "default.${level}"); choose another name`, { [what]: full, level })
  }
}

/** Validates a namespace (one level at least); returns a copy. */
export function checkNamespace(namespace: readonly string[]): string[] {
  if (!Array.isArray(namespace) || namespace.length === 0) {
    throw invalid(`a namespace needs at least one level, got ${JSON.stringify(namespace)}; tables without one go to "default"`)
  }
  namespace.forEach((s) => checkName(s, 'namespace'))
  checkReserved(namespace, 'namespace')
  return [...namespace]
}

/** Validates an identifier object; returns it unchanged. */
export function checkIdentifier(ident: TableIdentifier): TableIdentifier {
  if (typeof ident !== 'object' || ident === null) throw invalid(`a table identifier must be { namespace, name }, got ${JSON.stringify(ident)}`)
  if (!Array.isArray(ident.namespace) || ident.namespace.length === 0) {
    throw invalid(`table ${JSON.stringify(ident.name)} needs a namespace of at least one level, got ${JSON.stringify(ident.namespace)}; tables without one go to "default"`)
  }
  ident.namespace.forEach((s) => checkName(s, 'namespace'))
  checkName(ident.name, 'table name')
  checkReserved([...ident.namespace, ident.name], 'table')
  return ident
}

/** Parses `ns.table` (or `table`, which goes to the `default` namespace). */
export function parseIdentifier(name: string | TableIdentifier): TableIdentifier {
  if (typeof name === 'object' && name !== null) {
    return checkIdentifier({ namespace: [...name.namespace], name: name.name })
  }
  if (typeof name !== 'string' || name.length === 0) {
    throw invalid(`table name must be a non-empty string like "default.docs", got ${JSON.stringify(name)}`)
  }
  const parts = name.split('.')
  const table = parts.pop() as string
  return checkIdentifier({ namespace: parts.length === 0 ? ['default'] : parts, name: table })
}

export function formatIdentifier(id: TableIdentifier): string {
  return [...id.namespace, id.name].join('.')
}
