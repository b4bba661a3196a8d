/**
 * A small bounded pool of worker threads that run index builds. Workers start lazily, hold the
 * event loop only while busy (so an idle pool never keeps a process alive), and a crashed
 * worker is replaced.
 */
import { existsSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { AilakeError, type AilakeErrorCode } from '../errors.js'
import type { DataFileWritten } from '../format/data-file.js'
import { buildIndexedFile, type BuildTask } from './build-task.js'

interface Job {
  id: number
  /** A build, or a range of shared memory whose pages the worker touches (see `touch`). */
  task: BuildTask | Touch
  resolve(written: DataFileWritten | undefined): void
  reject(err: Error): void
}

interface Slot {
  worker: Worker
  job: Job | undefined
}

/** Bytes `[from, to)` of `memory` to back with pages, from the end down. */
export interface Touch { touch: SharedArrayBuffer; from: number; to: number }

const WORKER_URL = new URL('./index-worker.js', import.meta.url)
const MAX_SPARES = 2
// One touch job backs this much (~20 ms here), so a build queued behind touches waits little.
const TOUCH_CHUNK_BYTES = 4 * 2 ** 20

/** Whether a spare serves a request of `bytes`: large enough, and not pinning more than twice it. */
function fits(spare: ArrayBuffer, bytes: number): boolean {
  return spare.byteLength >= bytes && spare.byteLength <= 2 * bytes
}

/**
 * Default pool size: one core is left to ingestion and queries (index builds are background
 * work), so max(1, min(2, cores - 1)).
 */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(2, cpus().length - 1))
}

export class BuildPool {
  /** Number of worker threads; 0 means builds run synchronously on the calling thread. */
  readonly size: number
  private readonly slots: Slot[] = []
  private readonly queue: Job[] = []
  private nextId = 1
  private closed = false
  /** Buffers tasks gave back, already backed by memory (see `lend`). */
  private readonly spares: ArrayBuffer[] = []
  private readonly lent = new WeakSet<ArrayBuffer>()

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 0 || size > 64) throw new AilakeError('INVALID_ARGUMENT', `workers must be an integer in [0, 64], got ${String(size)}`)
    // Running from TypeScript sources (no compiled worker next to this file) falls back to in-thread builds.
    this.size = size > 0 && WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL)) ? size : 0
  }

  /** Starts `count` workers now (default all), so the first tasks do not wait for a thread to boot (~100 ms). */
  prestart(count = this.size): void {
    while (!this.closed && this.slots.length < Math.min(count, this.size)) this.spawn()
  }

  /**
   * A Float32Array of `length` for a task's vectors, over a buffer an earlier task gave back when
   * one fits. Fresh memory is slow to first touch (measured here: ~4.6 ms per MB, a page fault per
   * 4 KB), and a flush that cannot read its rows in place copies them into such an array; the
   * worker hands the buffer back with its result, so later copies go to memory already touched.
   */
  lend(length: number): Float32Array {
    const bytes = length * Float32Array.BYTES_PER_ELEMENT
    const i = this.spares.findIndex((b) => fits(b, bytes))
    const buffer = i >= 0 ? this.spares.splice(i, 1)[0] as ArrayBuffer : new ArrayBuffer(bytes)
    this.lent.add(buffer)
    return new Float32Array(buffer, 0, length)
  }

  /** True when no job is queued or running (tests). @internal */
  get idle(): boolean {
    return this.queue.length === 0 && this.slots.every((s) => s.job === undefined)
  }

  /** Bytes of the spares held (tests). @internal */
  get spareBytes(): number {
    return this.spares.reduce((n, b) => n + b.byteLength, 0)
  }

  /**
   * Runs `task`, ahead of queued touches; its large buffers are transferred to the worker
   * (unusable afterwards), except shared memory, which the worker reads in place.
   */
  run(task: BuildTask): Promise<DataFileWritten> {
    if (this.closed) return Promise.reject(new AilakeError('CLOSED', 'the index build pool is closed'))
    if (this.size === 0) {
      return buildIndexedFile(task)
    }
    return new Promise<DataFileWritten>((resolve, reject) => {
      const done = (w: DataFileWritten | undefined): void => w === undefined ? reject(new AilakeError('INTERNAL', 'an index build worker answered without a file')) : resolve(w)
      const firstTouch = this.queue.findIndex((j) => 'touch' in j.task)
      this.queue.splice(firstTouch < 0 ? this.queue.length : firstTouch, 0, { id: this.nextId++, task, resolve: done, reject })
      this.pump()
    })
  }

  /**
   * Has a worker back the first `bytes` of `memory` with pages (background work: builds go
   * first), so the thread that fills it from the start finds them backed: fresh memory is slow
   * to first touch (see `lend`). The worker goes from the end down, so the two rarely fault the
   * same pages, and touches with an atomic add of 0, so a value already written there stays.
   * No-op without worker threads.
   */
  touch(memory: SharedArrayBuffer, bytes: number): void {
    if (this.closed || this.size === 0) return
    const end = Math.min(bytes, memory.byteLength)
    for (let to = end; to > 0; to -= TOUCH_CHUNK_BYTES) {
      this.queue.push({ id: this.nextId++, task: { touch: memory, from: Math.max(0, to - TOUCH_CHUNK_BYTES), to }, resolve: () => {}, reject: () => {} })
    }
    this.pump()
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.job === undefined)
      if (slot === undefined) {
        if (this.slots.length >= this.size) return
        slot = this.spawn()
      }
      const job = this.queue.shift() as Job
      slot.job = job
      slot.worker.ref()
      if ('touch' in job.task) {
        slot.worker.postMessage({ id: job.id, touch: job.task })
        continue
      }
      const src = job.task.source
      const big = src.kind === 'file' ? src.bytes : src.vectors
      if (big.buffer instanceof SharedArrayBuffer) {
        slot.worker.postMessage({ id: job.id, task: job.task, giveBack: false })
        continue
      }
      const buffer = big.buffer as ArrayBuffer
      const giveBack = this.lent.has(buffer)
      const transfer = giveBack || (big.byteOffset === 0 && big.byteLength === buffer.byteLength) ? [buffer] : []
      slot.worker.postMessage({ id: job.id, task: job.task, giveBack }, transfer)
    }
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL)
    const slot: Slot = { worker, job: undefined }
    worker.unref()
    worker.on('message', (msg: { id: number; written?: DataFileWritten; spare?: ArrayBuffer; error?: { code: string; message: string } }) => {
      if (msg.spare !== undefined) this.keepSpare(msg.spare)
      const job = slot.job
      if (job === undefined || job.id !== msg.id) return
      slot.job = undefined
      worker.unref()
      if (msg.error !== undefined) job.reject(new AilakeError(msg.error.code as AilakeErrorCode, `index build failed: ${msg.error.message}`))
      else job.resolve(msg.written)
      this.pump()
    })
    const fail = (err: Error): void => {
      const i = this.slots.indexOf(slot)
      if (i >= 0) this.slots.splice(i, 1)
      const job = slot.job
      slot.job = undefined
      job?.reject(this.closed ? new AilakeError('CLOSED', 'the index build pool was closed during a build') : new AilakeError('INTERNAL', `index build worker died: ${err.message}`, { cause: err }))
      if (!this.closed) this.pump()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => { if (this.slots.includes(slot)) fail(new Error(`exited with code ${code}`)) })
    this.slots.push(slot)
    return slot
  }

  private keepSpare(buffer: ArrayBuffer): void {
    // Two flushes may be in flight; a third buffer would only hold memory.
    this.spares.push(buffer)
    if (this.spares.length > MAX_SPARES) this.spares.sort((a, b) => b.byteLength - a.byteLength).pop()
  }

  /** Terminates the workers; queued and running builds reject with `CLOSED`. */
  async close(): Promise<void> {
    this.closed = true
    for (const job of this.queue.splice(0)) job.reject(new AilakeError('CLOSED', 'the index build pool was closed before this build started'))
    const slots = this.slots.splice(0)
    for (const s of slots) {
      s.job?.reject(new AilakeError('CLOSED', 'the index build pool was closed during a build'))
      s.job = undefined
    }
    this.spares.length = 0
    await Promise.all(slots.map((s) => s.worker.terminate()))
  }
}
