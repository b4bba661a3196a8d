// The map's projection off the page's thread. Messages in: `fit` (the sample, data transferred,
// and the method), then any number of `place` (vectors to put on the fitted map, e.g. search hits
// outside the sample). Out: `progress` while UMAP optimises, `fitted` with the n × 2 points,
// `placed` with each vector's coordinates.
import { UMAP } from 'umap-js'
import { pca2, project, type Projection } from './pca.js'
import { seededRandom } from '../util/rng.js'

export type ProjectionMethod = 'pca' | 'umap'

export type WorkerRequest =
  | { type: 'fit'; method: ProjectionMethod; data: Float32Array; n: number; dim: number }
  | { type: 'place'; id: number; vectors: number[][] }

export type WorkerReply =
  | { type: 'progress'; done: number; total: number }
  | { type: 'fitted'; points: Float64Array }
  | { type: 'placed'; id: number; xy: [number, number][] }
  | { type: 'failed'; message: string }

interface WorkerScope {
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null
  postMessage(message: WorkerReply, transfer?: Transferable[]): void
}

const scope = self as unknown as WorkerScope
let place: ((vectors: number[][]) => [number, number][]) | undefined

async function fit(method: ProjectionMethod, data: Float32Array, n: number, dim: number): Promise<Float64Array> {
  if (method === 'pca' || n < 4) {
    const p: Projection = pca2(data, n, dim)
    place = (vectors) => vectors.map((v) => project(p, v))
    return p.points
  }
  const rows: number[][] = []
  for (let i = 0; i < n; i++) rows.push(Array.from(data.subarray(i * dim, (i + 1) * dim)))
  // Seeded, so the same sample gives the same map on every visit.
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, n - 1), random: seededRandom(42) })
  const total = umap.initializeFit(rows)
  for (let epoch = 0; epoch < total; epoch++) {
    umap.step()
    if (epoch % 20 === 0) {
      scope.postMessage({ type: 'progress', done: epoch, total })
      await new Promise((r) => setTimeout(r, 0)) // lets `place` requests and termination in
    }
  }
  place = (vectors) => umap.transform(vectors).map((p) => [p[0] as number, p[1] as number])
  const points = new Float64Array(2 * n)
  umap.getEmbedding().forEach((p, i) => { points[2 * i] = p[0] as number; points[2 * i + 1] = p[1] as number })
  return points
}

scope.onmessage = (e) => {
  const m = e.data
  if (m.type === 'fit') {
    fit(m.method, m.data, m.n, m.dim).then(
      (points) => scope.postMessage({ type: 'fitted', points }, [points.buffer]),
      (err: unknown) => scope.postMessage({ type: 'failed', message: String((err as Error).message ?? err) }),
    )
    return
  }
  if (place === undefined) scope.postMessage({ type: 'failed', message: 'place before fit' })
  else scope.postMessage({ type: 'placed', id: m.id, xy: place(m.vectors) })
}
