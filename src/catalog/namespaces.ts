/**
 * Namespaces of a file catalog: `<namespace>/.ailake-namespace` marks one as existing and holds
 * its first properties plus a random generation id. Property updates are numbered versions
 * `<namespace>/.ailake-namespace.d/<generation>-<N>.json`, each created with create-if-absent,
 * so two concurrent updates never overwrite one another (the loser re-reads and re-applies).
 * The generation ties versions to one life of the namespace: versions a dropped namespace left
 * behind are not properties of a namespace later created under the same name.
 */
import { AilakeError, invalid } from '../errors.js'
import type { ObjectStore } from '../store/object-store.js'
import { utf8Decode, utf8Encode } from '../util/bytes.js'
import { parseJson, stringifyJson } from '../util/json.js'
import { sleep } from '../util/limiter.js'
import type { NamespacePropertiesChange } from './catalog.js'
import { checkNamespace } from './identifier.js'

export const NAMESPACE_MARKER = '.ailake-namespace'
const VERSIONS = '.ailake-namespace.d'
const VERSION_NAME = /^(.*)-(\d{1,12})\.json$/
const UPDATE_ATTEMPTS = 50

interface Loaded {
  generation: string
  version: number
  properties: Record<string, string>
}

/** `NOT_FOUND` naming the namespace, marked so front ends can tell it from a missing table. */
export function namespaceMissing(namespace: readonly string[]): AilakeError {
  const name = namespace.join('.')
  return new AilakeError('NOT_FOUND', `namespace ${name} does not exist; create it first (names are case-sensitive)`, { context: { namespace: name, namespaceMissing: true } })
}

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${what} must be an object of string values`)
  const out: Record<string, string> = {}
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw invalid(`${what}: property ${JSON.stringify(k)} must be a string, got ${typeof val}`, { property: k })
    out[k] = val
  }
  return out
}

export class Namespaces {
  constructor(private readonly store: ObjectStore) {}

  private marker(namespace: readonly string[]): string {
    return `${checkNamespace(namespace).join('/')}/${NAMESPACE_MARKER}`
  }

  private versions(namespace: readonly string[]): string {
    return `${checkNamespace(namespace).join('/')}/${VERSIONS}/`
  }

  async list(): Promise<string[][]> {
    const out: string[][] = []
    for (const o of await this.store.list('')) {
      if (o.key.endsWith('/' + NAMESPACE_MARKER)) out.push(o.key.split('/').slice(0, -1))
    }
    return out
  }

  async exists(namespace: readonly string[]): Promise<boolean> {
    return (await this.store.head(this.marker(namespace))) !== undefined
  }

  async create(namespace: readonly string[], properties: Readonly<Record<string, string>> = {}): Promise<boolean> {
    const props = stringMap(properties, `namespace ${namespace.join('.')} properties`)
    const body = stringifyJson({ generation: globalThis.crypto.randomUUID(), properties: props })
    return this.store.putIfAbsent(this.marker(namespace), utf8Encode(body))
  }

  async load(namespace: readonly string[]): Promise<Loaded> {
    const key = this.marker(namespace)
    let bytes: Uint8Array
    try {
      bytes = await this.store.get(key)
    } catch (err) {
      if (err instanceof AilakeError && err.code === 'NOT_FOUND') throw namespaceMissing(namespace)
      throw err
    }
    // Markers written before namespaces had properties are empty.
    const text = utf8Decode(bytes, key)
    const marker = text === '' ? {} : parseJson(text, key) as { generation?: unknown; properties?: unknown }
    const generation = typeof marker.generation === 'string' ? marker.generation : ''
    let loaded: Loaded = { generation, version: 0, properties: marker.properties === undefined ? {} : stringMap(marker.properties, key) }
    const prefix = this.versions(namespace)
    let latest: string | undefined
    for (const o of await this.store.list(prefix)) {
      const m = VERSION_NAME.exec(o.key.slice(prefix.length))
      if (m === null || m[1] !== generation || Number(m[2]) <= loaded.version) continue
      loaded = { ...loaded, version: Number(m[2]) }
      latest = o.key
    }
    if (latest !== undefined) loaded.properties = stringMap(parseJson(utf8Decode(await this.store.get(latest), latest), latest), latest)
    return loaded
  }

  async update(namespace: readonly string[], updates: Readonly<Record<string, string>>, removals: readonly string[]): Promise<NamespacePropertiesChange> {
    const set = stringMap(updates, 'updates')
    if (!Array.isArray(removals) || removals.some((k) => typeof k !== 'string')) throw invalid('removals must be an array of property names')
    const both = removals.filter((k) => Object.hasOwn(set, k))
    if (both.length > 0) throw invalid(`properties ${both.map((k) => JSON.stringify(k)).join(', ')} are both set and removed; name each once`, { both })
    for (let attempt = 1; ; attempt++) {
      const cur = await this.load(namespace)
      const next = { ...cur.properties, ...set }
      const change: NamespacePropertiesChange = { updated: Object.keys(set), removed: [], missing: [] }
      for (const k of removals) {
        if (Object.hasOwn(next, k)) {
          delete next[k]
          change.removed.push(k)
        } else change.missing.push(k)
      }
      const key = `${this.versions(namespace)}${cur.generation}-${cur.version + 1}.json`
      if (await this.store.putIfAbsent(key, utf8Encode(stringifyJson(next)))) return change
      if (attempt >= UPDATE_ATTEMPTS) {
        throw new AilakeError('COMMIT_CONFLICT', `updating the properties of namespace ${namespace.join('.')} lost the race ${attempt} times to concurrent updates; retry later`, { retryable: true })
      }
      await sleep(Math.random() * Math.min(1000, 5 * 2 ** Math.min(attempt, 10)))
    }
  }

  /** Removes the namespace's marker and property versions (the caller checked it is empty). */
  async drop(namespace: readonly string[]): Promise<void> {
    if (!(await this.exists(namespace))) throw namespaceMissing(namespace)
    // The marker last: until it goes, the namespace exists and its properties load.
    for (const o of await this.store.list(this.versions(namespace))) await this.store.delete(o.key)
    await this.store.delete(this.marker(namespace))
  }
}
