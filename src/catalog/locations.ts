/**
 * Location strings. Iceberg metadata holds absolute locations; engines spell local ones
 * differently (`file:///x`, Java's `file:/x`), and a copied or moved table still records the
 * locations of where it was written. These helpers compare and rebase them.
 */

/** `file:/x` and `file://localhost/x` (as Java engines write them) as `file:///x`. */
export function normalizeLocation(location: string): string {
  if (/^file:\/[^/]/.test(location)) return 'file://' + location.slice('file:'.length)
  if (location.startsWith('file://localhost/')) return 'file://' + location.slice('file://localhost'.length)
  return location
}

/**
 * The part of `location` below the folder `base` (`''` for `base` itself; a trailing `/` is
 * kept, so list prefixes stay prefixes), or undefined when it is not under it.
 */
export function relativeTo(location: string, base: string): string | undefined {
  const l = normalizeLocation(location)
  const b = normalizeLocation(base).replace(/\/+$/, '')
  if (l === b) return ''
  return l.startsWith(b + '/') ? l.slice(b.length + 1) : undefined
}

/** `rel` (from `relativeTo`) under the folder `base`. */
export function joinLocation(base: string, rel: string): string {
  const b = normalizeLocation(base).replace(/\/+$/, '')
  return rel === '' ? b : `${b}/${rel}`
}
