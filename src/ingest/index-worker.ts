/**
 * Worker-thread entry for deferred index builds: receives `{ id, task, giveBack }` (large buffers
 * transferred, not copied; shared memory read in place), replies `{ id, written }` (the new
 * file's bytes transferred) or `{ id, error }`, and with `giveBack` the task's vector buffer as
 * `spare` (see BuildPool.lend). `{ id, touch }` backs a range of shared memory (BuildPool.touch).
 */
import { parentPort } from 'node:worker_threads'
import { buildIndexedFile, type BuildTask } from './build-task.js'
import type { Touch } from './worker-pool.js'

type Request = { id: number; task: BuildTask; giveBack?: boolean } | { id: number; touch: Touch; task?: undefined }

// One write per page backs the whole buffer (the kernel allocates a page on its first write).
const PAGE_BYTES = 4096

const port = parentPort
if (port !== null) {
  port.on('message', (msg: Request) => {
    if (msg.task === undefined) {
      touchPages(msg.touch)
      port.postMessage({ id: msg.id })
      return
    }
    const spare = spareOf(msg)
    buildIndexedFile(msg.task).then((written) => {
      // Transferring the whole buffer moves a view into it too (the spare capacity travels along);
      // copying the view out first cost ~20 ms per 40 MB file.
      const out = written.bytes.buffer as ArrayBuffer
      // The result must not be a view of the buffer handed back (it would change under its reader).
      const back = spare !== undefined && spare !== out && written.vector.centroid.buffer !== spare ? spare : undefined
      port.postMessage({ id: msg.id, written, ...(back === undefined ? {} : { spare: back }) }, back === undefined ? [out] : [out, back])
    }, (err: unknown) => {
      const e = err as { code?: unknown; message?: unknown }
      port.postMessage({ id: msg.id, error: { code: typeof e.code === 'string' ? e.code : 'INTERNAL', message: String(e.message ?? err) }, ...(spare === undefined ? {} : { spare }) }, spare === undefined ? [] : [spare])
    })
  })
}

/** The buffer of the task's vectors, when the pool asked for it back. */
function spareOf(msg: Request & { task: BuildTask }): ArrayBuffer | undefined {
  const src = msg.task.source
  return msg.giveBack === true && src.kind === 'rows' ? src.vectors.buffer as ArrayBuffer : undefined
}

/**
 * Writes every page of the range, last first. The main thread may be writing vectors into the
 * same memory: an atomic add of 0 backs the page without changing what it holds.
 */
function touchPages({ touch, from, to }: Touch): void {
  const words = new Int32Array(touch, 0, touch.byteLength >> 2)
  const end = Math.min(to, words.length * Int32Array.BYTES_PER_ELEMENT)
  if (end <= from) return
  for (let at = Math.floor((end - 1) / PAGE_BYTES) * PAGE_BYTES; at >= from; at -= PAGE_BYTES) Atomics.add(words, at >> 2, 0)
}
