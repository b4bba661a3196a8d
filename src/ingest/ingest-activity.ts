/**
 * Process-wide count of MemTableWriter flushes in flight, in shared memory so index-build
 * worker threads can read it: builds pause while it is non-zero (within limits, see
 * build-task.ts). On a 2-core machine a background build otherwise takes a core from the
 * flush pipeline for the whole ingest. Undefined where SharedArrayBuffer is unavailable
 * (browsers without cross-origin isolation); builds then never pause.
 */
export const activeFlushes: Int32Array | undefined = typeof SharedArrayBuffer === 'function' ? new Int32Array(new SharedArrayBuffer(4)) : undefined

/** Marks a flush as started; call the returned function exactly once when it ends. */
export function flushStarted(): () => void {
  const flag = activeFlushes
  if (flag === undefined) return () => {}
  Atomics.add(flag, 0, 1)
  let ended = false
  return () => {
    if (ended) return
    ended = true
    Atomics.sub(flag, 0, 1)
    Atomics.notify(flag, 0)
  }
}
