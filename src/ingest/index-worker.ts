/**
 * Worker-thread entry for deferred index builds: receives `{ id, task, giveBack }` (large buffers
 * transferred, not copied), replies `{ id, written }` (the new file's bytes transferred) or
 * `{ id, error }`, and with `giveBack` the task's vector buffer as `spare` (see BuildPool.lend).
 */
import { parentPort } from 'node:worker_threads'
import { buildIndexedFile, type BuildTask } from './build-task.js'

type Request = { id: number; task: BuildTask; giveBack?: boolean } | { id: number; warmBytes: number; task?: undefined }

// One write per page backs the whole buffer (the kernel allocates a page on its first write).
const PAGE_BYTES = 4096

const port = parentPort
if (port !== null) {
  port.on('message', (msg: Request) => {
    if (msg.task === undefined) {
      const spare = new ArrayBuffer(msg.warmBytes)
      const bytes = new Uint8Array(spare)
      for (let i = 0; i < bytes.length; i += PAGE_BYTES) bytes[i] = 0
      port.postMessage({ id: msg.id, spare }, [spare])
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
