import { AilakeError } from '../errors.js'
import type { AppendableObject, ObjectInfo, ObjectStore } from './object-store.js'
import { seededRandom } from '../util/rng.js'

/** Store operations a {@link FaultyStore} can disturb. */
export type StoreOp = 'get' | 'getRange' | 'head' | 'put' | 'putIfAbsent' | 'list' | 'delete' | 'createAppendable' | 'append'

const ALL_OPS: readonly StoreOp[] = ['get', 'getRange', 'head', 'put', 'putIfAbsent', 'list', 'delete', 'createAppendable', 'append']

export interface FaultyStoreOptions {
  /** Share of calls (0..1) that fail before reaching the inner store. */
  failRate: number
  /** Seed of the deterministic random sequence, so a failing run can be replayed. */
  seed: number
  /**
   * Share of calls (0..1) that run on the inner store and then report failure anyway, as when
   * a response is lost on the network. For writes this is the nasty case: the object changed
   * but the caller was told it did not. Default 0.
   */
  dropRate?: number
  /** Operations to disturb. Default: all of them. */
  ops?: readonly StoreOp[]
  /**
   * Decides a call's fate before the random rates are consulted: 'fail', 'drop' (run, then
   * report failure) or 'pass'; undefined leaves it to the rates. For scripted faults in tests.
   */
  decide?: (op: StoreOp, key: string) => 'fail' | 'drop' | 'pass' | undefined
}

/** Counts of what a {@link FaultyStore} did, for assertions in tests. */
export interface FaultStats {
  calls: number
  failed: number
  dropped: number
}

/**
 * Wraps a store and makes a share of calls fail with retryable `STORE_ERROR`s, for testing
 * that callers survive transient faults (chaos testing). Deterministic for a given seed and
 * call order.
 */
export class FaultyStore implements ObjectStore {
  readonly inner: ObjectStore
  readonly stats: FaultStats = { calls: 0, failed: 0, dropped: 0 }
  readonly #failRate: number
  readonly #dropRate: number
  readonly #ops: ReadonlySet<StoreOp>
  readonly #decide: FaultyStoreOptions['decide']
  /** Seeded so a failing run can be replayed exactly. */
  readonly #rand: () => number

  /** Present when the inner store has it; creation and each append are disturbed separately. */
  readonly createAppendable?: (key: string) => Promise<AppendableObject | undefined>

  constructor(inner: ObjectStore, options: FaultyStoreOptions) {
    const { failRate, seed, dropRate = 0, ops = ALL_OPS } = options
    for (const [name, v] of [['failRate', failRate], ['dropRate', dropRate]] as const) {
      if (!(v >= 0 && v <= 1)) throw new AilakeError('INVALID_ARGUMENT', `FaultyStore ${name} must be between 0 and 1, got ${v}.`)
    }
    if (failRate + dropRate > 1) throw new AilakeError('INVALID_ARGUMENT', `FaultyStore failRate + dropRate must be at most 1, got ${failRate + dropRate}.`)
    if (!Number.isInteger(seed)) throw new AilakeError('INVALID_ARGUMENT', `FaultyStore seed must be an integer, got ${seed}.`)
    this.inner = inner
    this.#failRate = failRate
    this.#dropRate = dropRate
    this.#ops = new Set(ops)
    this.#decide = options.decide
    this.#rand = seededRandom(seed)
    const create = inner.createAppendable?.bind(inner)
    if (create !== undefined) {
      this.createAppendable = async (key) => {
        const handle = await this.#run('createAppendable', key, () => create(key))
        if (handle === undefined) return undefined
        return { append: (bytes) => this.#run('append', key, () => handle.append(bytes)), close: () => handle.close() }
      }
    }
  }

  get(key: string): Promise<Uint8Array> {
    return this.#run('get', key, () => this.inner.get(key))
  }

  getRange(key: string, offset: number, length?: number): Promise<Uint8Array> {
    return this.#run('getRange', key, () => this.inner.getRange(key, offset, length))
  }

  head(key: string): Promise<ObjectInfo | undefined> {
    return this.#run('head', key, () => this.inner.head(key))
  }

  put(key: string, bytes: Uint8Array): Promise<void> {
    return this.#run('put', key, () => this.inner.put(key, bytes))
  }

  putIfAbsent(key: string, bytes: Uint8Array): Promise<boolean> {
    return this.#run('putIfAbsent', key, () => this.inner.putIfAbsent(key, bytes))
  }

  list(prefix: string): Promise<ObjectInfo[]> {
    return this.#run('list', prefix, () => this.inner.list(prefix))
  }

  delete(key: string): Promise<void> {
    return this.#run('delete', key, () => this.inner.delete(key))
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  #random(): number {
    return this.#rand()
  }

  async #run<T>(op: StoreOp, key: string, call: () => Promise<T>): Promise<T> {
    this.stats.calls++
    const decided = this.#decide?.(op, key)
    if (decided === 'pass' || (decided === undefined && !this.#ops.has(op))) return call()
    const roll = decided === 'fail' ? -1 : decided === 'drop' ? this.#failRate : this.#random()
    if (roll < this.#failRate) {
      this.stats.failed++
      throw new AilakeError('STORE_ERROR', `Injected fault: ${op} ${JSON.stringify(key)} failed before reaching the store.`, { context: { op, key, injected: 'fail' }, retryable: true })
    }
    if (decided === 'drop' || roll < this.#failRate + this.#dropRate) {
      await call().catch(() => {})
      this.stats.dropped++
      throw new AilakeError('STORE_ERROR', `Injected fault: ${op} ${JSON.stringify(key)} reached the store but its response was lost.`, { context: { op, key, injected: 'drop' }, retryable: true })
    }
    return call()
  }
}
