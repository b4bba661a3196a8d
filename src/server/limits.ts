/**
 * Back-pressure: a gate runs at most `max` tasks at once and lets at most `queue` wait; a task
 * beyond that is refused at once (503 with Retry-After) rather than piling up until memory or
 * latency gives out. And a deadline for a request's work.
 */
import { HttpError } from './http-errors.js'

export class Gate {
  private running = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly max: number, private readonly queue: number, private readonly what: string) {}

  get active(): number {
    return this.running
  }

  get queued(): number {
    return this.waiting.length
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) {
      if (this.waiting.length >= this.queue) {
        throw new HttpError(503, 'OVERLOADED', `too many ${this.what} at once (${this.running} running, ${this.waiting.length} waiting); retry shortly`, { 'Retry-After': '1' })
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    } else {
      this.running++
    }
    try {
      return await task()
    } finally {
      // The slot passes straight to the next waiter, so a newcomer cannot jump the queue.
      const next = this.waiting.shift()
      if (next !== undefined) next()
      else this.running--
    }
  }
}

/**
 * `work`, or 503 once `ms` have passed. The work is not cancelled (ailake's writes cannot be
 * interrupted half-way), so a timed-out change may still land; the message says so.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, mutates: boolean): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(503, 'TIMEOUT', `the request took longer than ${ms} ms${mutates ? '; its change may still land: check the table before retrying' : ''}`, { 'Retry-After': '1' })), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}
