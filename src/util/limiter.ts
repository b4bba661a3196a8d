/**
 * Runs async work with at most `concurrency` tasks in flight.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const workers: Promise<void>[] = []
  const n = Math.max(1, Math.min(concurrency, items.length))
  for (let w = 0; w < n; w++) {
    workers.push((async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i] as T, i)
      }
    })())
  }
  await Promise.all(workers)
  return out
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
