/**
 * Unknown option keys are errors at the public API. JavaScript callers get no type checking, so
 * a typo (`{ efConstrution: 400 }`) or an option ailake does not have (`{ bloomFilterColumns }`) would
 * otherwise fall back to the default without a word.
 */
import { invalid } from '../errors.js'

/**
 * The keys an options object accepts: `true` takes any value, a nested table also checks the keys
 * of a plain-object value. Declare tables with `satisfies OptionKeys<TheOptions>`: a key added to
 * the interface but not to the table (or left in the table after leaving the interface) is then a
 * compile error.
 */
export type OptionKeys<T> = { readonly [K in keyof T]-?: true | OptionKeys<NonNullable<T[K]>> }

/** What `checkOptions` reads of a table (any `OptionKeys<T>` is one). */
export interface KeyTable {
  readonly [key: string]: true | KeyTable
}

/**
 * Throws `INVALID_ARGUMENT` when `options` (or a nested table's value) has a key the table does
 * not list, naming the key, the closest valid key when it looks like a typo, and all valid keys.
 * `undefined` options are fine (the caller applies defaults), and so are `undefined` values.
 * @param where the call as the user wrote it, e.g. `createTable()`
 * @param noun what a key is called in messages
 */
export function checkOptions<T>(options: T | undefined, keys: OptionKeys<T>, where: string, noun = 'option'): void {
  if (options !== undefined) checkLevel(options, keys as unknown as KeyTable, where, '', noun)
}

function checkLevel(options: unknown, keys: KeyTable, where: string, path: string, noun: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    const what = path === '' ? 'options' : `option ${JSON.stringify(path.slice(0, -1))}`
    throw invalid(`${where}: ${what} must be an object with keys ${Object.keys(keys).join(', ')}, got ${describe(options)}`, { option: path.slice(0, -1) })
  }
  let unknown: string[] | undefined
  // for-in over an options literal allocates nothing; this runs on every HnswIndex.search too.
  for (const key in options) {
    if (!Object.hasOwn(options, key)) continue
    const spec = Object.hasOwn(keys, key) ? keys[key] : undefined
    if (spec === undefined) (unknown ??= []).push(key)
    else if (spec !== true) {
      const value = (options as Record<string, unknown>)[key]
      if (value !== undefined) checkLevel(value, spec, where, `${path}${key}.`, noun)
    }
  }
  if (unknown !== undefined) throw unknownError(unknown, Object.keys(keys), where, path, noun)
}

function unknownError(unknown: string[], valid: string[], where: string, path: string, noun: string): Error {
  const named = unknown.map((key) => {
    const near = closest(key, valid)
    return `${JSON.stringify(path + key)}${near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}?)`}`
  })
  const scope = path === '' ? '' : ` of ${path.slice(0, -1)}`
  const list = valid.length === 0 ? 'none' : valid.join(', ')
  return invalid(`${where}: unknown ${noun}${unknown.length > 1 ? 's' : ''} ${named.join(', ')}; valid ${noun}s${scope}: ${list}`, {
    unknown: unknown.map((key) => path + key),
    valid,
  })
}

/** The valid key a typo most likely meant: same letters ignoring case and `_`/`-`, or a few edits away. */
export function closest(key: string, valid: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[_-]/g, '')
  const k = norm(key)
  let best: string | undefined
  // One edit in three letters; a one- or two-letter key is too short to guess from.
  let bestDistance = (k.length <= 2 ? 0 : Math.max(1, Math.floor(k.length / 3))) + 1
  for (const v of valid) {
    const d = editDistance(k, norm(v))
    if (d < bestDistance) {
      best = v
      bestDistance = d
    }
  }
  return best
}

/** Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`. */
function editDistance(a: string, b: string): number {
  let prev2: number[] = []
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] as number) + 1)
      row.push(d)
    }
    prev2 = prev
    prev = row
  }
  return prev[b.length] as number
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' || typeof v === 'function' ? typeof v : String(v)
}
