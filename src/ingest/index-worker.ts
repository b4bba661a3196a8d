/**
 * Worker-thread entry for deferred index builds: receives `{ id, task }` (large buffers
 * transferred, not copied), replies `{ id, written }` (the new file's bytes transferred) or
 * `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads'
import { buildIndexedFile, type BuildTask } from './build-task.js'

interface Request { id: number; task: BuildTask }

const port = parentPort
if (port !== null) {
  port.on('message', (msg: Request) => {
    buildIndexedFile(msg.task).then((written) => {
      // Transferring the whole buffer moves a view into it too (the spare capacity travels along);
      // copying the view out first cost ~20 ms per 40 MB file.
      port.postMessage({ id: msg.id, written }, [written.bytes.buffer as ArrayBuffer])
    }, (err: unknown) => {
      const e = err as { code?: unknown; message?: unknown }
      port.postMessage({ id: msg.id, error: { code: typeof e.code === 'string' ? e.code : 'INTERNAL', message: String(e.message ?? err) } })
    })
  })
}
