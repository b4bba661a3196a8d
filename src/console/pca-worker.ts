// The map's projection off the page's thread: receives { data, n, dim } (data transferred),
// answers with the projection (its arrays transferred back).
import { pca2 } from './pca.js'

interface WorkerScope {
  onmessage: ((e: MessageEvent<{ data: Float32Array; n: number; dim: number }>) => void) | null
  postMessage(message: unknown, transfer: Transferable[]): void
}

const scope = self as unknown as WorkerScope
scope.onmessage = (e) => {
  const { data, n, dim } = e.data
  const p = pca2(data, n, dim)
  scope.postMessage(p, [p.mean.buffer, p.axes[0].buffer, p.axes[1].buffer, p.points.buffer])
}
