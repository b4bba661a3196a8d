/**
 * Table identifiers: `namespace.table` (namespace may have several levels: `a.b.table`).
 * Names are case-sensitive and restricted to characters that are safe as path segments.
 */
import { invalid } from '../errors.js'

export interface TableIdentifier {
  namespace: string[]
  name: string
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/

/** Validates one namespace or table name segment. */
export function checkName(segment: string, what: string): string {
  if (typeof segment !== 'string' || !SEGMENT.test(segment)) {
    throw invalid(`${what} ${JSON.stringify(segment)} is not a valid name: use letters, digits, '_' and '-' (not first), up to 128 characters`, { [what]: segment })
  }
  return segment
}

/** Parses `ns.table` (or `table`, which goes to the `default` namespace). */
export function parseIdentifier(name: string | TableIdentifier): TableIdentifier {
  if (typeof name === 'object' && name !== null) {
    return { namespace: name.namespace.map((s) => checkName(s, 'namespace')), name: checkName(name.name, 'table name') }
  }
  if (typeof name !== 'string' || name.length === 0) {
    throw invalid(`table name must be a non-empty string like "default.docs", got ${JSON.stringify(name)}`)
  }
  const parts = name.split('.')
  const table = parts.pop() as string
  const namespace = parts.length === 0 ? ['default'] : parts
  return { namespace: namespace.map((s) => checkName(s, 'namespace')), name: checkName(table, 'table name') }
}

export function formatIdentifier(id: TableIdentifier): string {
  return [...id.namespace, id.name].join('.')
}
