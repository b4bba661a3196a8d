/**
 * API keys. A key is `ak_<id>_<secret>`: the id finds its record, the secret proves it. Only a
 * SHA-256 hash of the whole key is stored (keys are 256-bit random, so a fast hash is enough
 * and no salt is needed), and hashes are compared in constant time, against a dummy record
 * when the id is unknown, so timing tells nothing about which ids exist.
 *
 * Keys live in the warehouse, `.ailake/keys/v<N>.json`, one numbered version per change made
 * with create-if-absent: two concurrent changes never overwrite one another, so a revocation
 * is never undone by a concurrent create. Servers re-read the newest version at most once a
 * second, so a revoked key stops working within about a second everywhere.
 *
 * A grant is `<level>:<target>`: level `read`, `write` (includes read) or `admin` (includes
 * write); target `*`, a namespace (`sales`, covering every table and namespace below it) or a
 * table (`sales.orders`).
 */
import { AilakeError, parseJson, stringifyJson, type ObjectStore } from '../index.js'

export type Level = 'read' | 'write' | 'admin'
const RANK: Readonly<Record<Level, number>> = { read: 1, write: 2, admin: 3 }

export interface Grant {
  level: Level
  /** Leading identifier levels covered; empty for `*`. */
  target: string[]
}

export interface KeyRecord {
  id: string
  /** `sha256:<hex>` of the whole key. */
  hash: string
  grants: string[]
  created: string
  name?: string
}

/** Who is asking: a key's grants, or everyone's when the server runs without keys. */
export interface Principal {
  id: string
  grants: Grant[]
}

const PREFIX = '.ailake/keys/'
const VERSION = /^v(\d{1,12})\.json$/
const KEY_FORMAT = /^ak_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/
const TARGET = /^(\*|[A-Za-z0-9_][A-Za-z0-9_-]{0,127}(\.[A-Za-z0-9_][A-Za-z0-9_-]{0,127})*)$/
const RELOAD_MS = 1000
const KEEP_VERSIONS = 5

/** Everything, for a server without keys (loopback only). */
export const EVERYONE: Principal = { id: 'local', grants: [{ level: 'admin', target: [] }] }

export function parseGrant(text: string): Grant {
  const m = /^(read|write|admin):(.+)$/.exec(text)
  if (m === null || !TARGET.test(m[2] as string)) {
    throw new AilakeError('INVALID_ARGUMENT', `grant ${JSON.stringify(text)} is not <level>:<target>; level read, write or admin; target *, a namespace (sales) or a table (sales.orders)`)
  }
  return { level: m[1] as Level, target: m[2] === '*' ? [] : (m[2] as string).split('.') }
}

/** True when `p` may act at `level` on the table or namespace `ident` (its levels). */
export function allows(p: Principal, level: Level, ident: readonly string[]): boolean {
  return p.grants.some((g) => RANK[g.level] >= RANK[level] && g.target.length <= ident.length && g.target.every((s, i) => ident[i] === s))
}

/** True when `p` holds any grant on `ident`, on something below it or above it (it may see the name). */
export function maysee(p: Principal, ident: readonly string[]): boolean {
  return p.grants.some((g) => g.target.every((s, i) => i >= ident.length || ident[i] === s))
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Equal-length strings compared without an early exit. */
function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0)
  return diff === 0
}

function randomChars(n: number, alphabet: string): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(n))
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const DUMMY_HASH = `sha256:${'0'.repeat(64)}`

export class KeyStore {
  private cache: { at: number; keys: Map<string, KeyRecord> } | undefined
  private loading: Promise<Map<string, KeyRecord>> | undefined

  constructor(private readonly store: ObjectStore, private readonly now: () => number = Date.now) {}

  /** The newest key set and its version (0 when no key was ever made). */
  private async read(): Promise<{ version: number; keys: KeyRecord[] }> {
    let version = 0
    for (const o of await this.store.list(PREFIX)) {
      const m = VERSION.exec(o.key.slice(PREFIX.length))
      if (m !== null) version = Math.max(version, Number(m[1]))
    }
    if (version === 0) return { version, keys: [] }
    const key = `${PREFIX}v${version}.json`
    const doc = parseJson(new TextDecoder().decode(await this.store.get(key)), key) as { keys?: unknown }
    if (!Array.isArray(doc.keys)) throw new AilakeError('CORRUPT_DATA', `${key} holds no key list`)
    return { version, keys: doc.keys as KeyRecord[] }
  }

  /** Applies `change` to the newest key set as a new version; retries when another change won. */
  private async update<T>(change: (keys: KeyRecord[]) => { keys: KeyRecord[]; result: T }): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { version, keys } = await this.read()
      const { keys: next, result } = change(keys)
      const bytes = new TextEncoder().encode(stringifyJson({ keys: next }, 2))
      if (await this.store.putIfAbsent(`${PREFIX}v${version + 1}.json`, bytes)) {
        this.cache = undefined
        // Older versions go, one per change; a few stay for readers that listed before this one.
        if (version + 1 - KEEP_VERSIONS > 0) await this.store.delete(`${PREFIX}v${version + 1 - KEEP_VERSIONS}.json`)
        return result
      }
      if (attempt >= 50) throw new AilakeError('COMMIT_CONFLICT', 'changing the API keys lost the race to concurrent changes 50 times; retry', { retryable: true })
    }
  }

  /** Makes a key with `grants`; returns the key itself, shown only this once. */
  async create(grants: string[], name?: string): Promise<{ key: string; record: KeyRecord }> {
    if (grants.length === 0) throw new AilakeError('INVALID_ARGUMENT', 'a key needs at least one grant, e.g. read:* or write:sales')
    grants.forEach(parseGrant)
    const id = randomChars(12, 'abcdefghijklmnopqrstuvwxyz0123456789')
    const key = `ak_${id}_${base64url(globalThis.crypto.getRandomValues(new Uint8Array(32)))}`
    const record: KeyRecord = { id, hash: `sha256:${await sha256Hex(key)}`, grants: [...grants], created: new Date(this.now()).toISOString() }
    if (name !== undefined) record.name = name
    await this.update((keys) => ({ keys: [...keys, record], result: undefined }))
    return { key, record }
  }

  async list(): Promise<KeyRecord[]> {
    return (await this.read()).keys
  }

  /** Revokes key `id` (the id part of the key, as `list` shows it); `NOT_FOUND` if there is none. */
  async revoke(id: string): Promise<void> {
    await this.update((keys) => {
      if (!keys.some((k) => k.id === id)) throw new AilakeError('NOT_FOUND', `no API key has id ${JSON.stringify(id)}; ailake keys list shows the ids`)
      return { keys: keys.filter((k) => k.id !== id), result: undefined }
    })
  }

  /** Key records by id, re-read at most once a second. */
  private async current(): Promise<Map<string, KeyRecord>> {
    if (this.cache !== undefined && this.now() - this.cache.at < RELOAD_MS) return this.cache.keys
    this.loading ??= this.read().then(({ keys }) => {
      const map = new Map(keys.map((k) => [k.id, k]))
      this.cache = { at: this.now(), keys: map }
      return map
    }).finally(() => { this.loading = undefined })
    return this.loading
  }

  /** True when no key exists (a server may then run open, on loopback only). */
  async empty(): Promise<boolean> {
    return (await this.current()).size === 0
  }

  /** The principal a presented key stands for, or undefined when it is not a valid key. */
  async verify(key: string): Promise<Principal | undefined> {
    const m = KEY_FORMAT.exec(key)
    const keys = await this.current()
    const record = m === null ? undefined : keys.get(m[1] as string)
    const ok = constantTimeEqual(`sha256:${await sha256Hex(key)}`, record?.hash ?? DUMMY_HASH)
    if (!ok || record === undefined) return undefined
    return { id: record.id, grants: record.grants.map(parseGrant) }
  }
}
