/**
 * A 2-D map of a sample of the table's vectors at the chosen snapshot: PCA (or UMAP) computed in a worker,
 * points coloured by the file that holds them, so a well-clustered table shows one patch per
 * file. A text query (or a clicked point's vector) is searched and its hits ringed.
 */
import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import type { VNode } from 'preact'
import { api, tablePath, withAsOf, type Row, type SamplePoint, type TableInfo } from '../api.js'
import type { ProjectionMethod, WorkerReply, WorkerRequest } from '../projection-worker.js'
import type { Route } from '../route.js'
import { baseName, colourOf, ErrorBox, Loading, useLoad } from '../ui.js'

const SAMPLE = 1000
const SIZE = 520
const PAD = 16

/** A fitted map: the sample's n × 2 points, and a way to put other vectors on it. */
interface Fitted {
  points: Float64Array
  place(vectors: number[][]): Promise<[number, number][]>
  close(): void
}

/** Fits the projection in a worker, which then stays to place hits until `close()`. */
function fitInWorker(points: SamplePoint[], dim: number, method: ProjectionMethod, onProgress: (done: number, total: number) => void): Promise<Fitted> {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/console/projection-worker.js', { type: 'module' })
    const waiting = new Map<number, (xy: [number, number][]) => void>()
    let next = 0
    const fitted = (pts: Float64Array): Fitted => ({
      points: pts,
      place: (vectors) => new Promise((res) => { waiting.set(next, res); worker.postMessage({ type: 'place', id: next++, vectors } satisfies WorkerRequest) }),
      close: () => worker.terminate(),
    })
    worker.onmessage = (e: MessageEvent<WorkerReply>) => {
      const m = e.data
      if (m.type === 'progress') onProgress(m.done, m.total)
      else if (m.type === 'fitted') resolve(fitted(m.points))
      else if (m.type === 'placed') { waiting.get(m.id)?.(m.xy); waiting.delete(m.id) }
      else { worker.terminate(); reject(new Error(`the projection failed: ${m.message}`)) }
    }
    worker.onerror = (e) => { worker.terminate(); reject(new Error(`the projection failed: ${e.message}`)) }
    const data = new Float32Array(points.length * dim)
    points.forEach((p, i) => data.set(p.vector, i * dim))
    worker.postMessage({ type: 'fit', method, data, n: points.length, dim } satisfies WorkerRequest, [data.buffer])
  })
}

interface MapData {
  method: ProjectionMethod
  info: TableInfo
  points: SamplePoint[]
  fitted: Fitted
  files: string[]
  /** Sample index by vector text, to ring hits that are in the sample where they are drawn. */
  sampled: Map<string, number>
}

interface Query {
  label: string
  vector?: number[]
  hits: Row[]
  /** Where the query (first, when it is a vector) and the hits sit on the map. */
  xy: [number, number][]
}

const METHODS: [ProjectionMethod, string][] = [['pca', 'PCA (fast, linear: distances along the two main directions)'], ['umap', 'UMAP (slower, keeps neighbourhoods: clusters show as islands)']]

export function MapPage({ route }: { route: Route }): VNode {
  const name = route.table as string
  const [method, setMethod] = useState<ProjectionMethod>('pca')
  const [progress, setProgress] = useState<string | undefined>()
  const map = useLoad(async (): Promise<MapData> => {
    setProgress(undefined)
    const [info, sample] = await Promise.all([api<TableInfo>(tablePath(name)), api<{ points: SamplePoint[] }>(withAsOf(tablePath(name, '/sample'), route.asOf, { count: String(SAMPLE) }))])
    const dim = info.vector?.dim ?? sample.points[0]?.vector.length ?? 0
    const fitted = sample.points.length === 0
      ? { points: new Float64Array(0), place: async () => [], close: () => undefined }
      : await fitInWorker(sample.points, dim, method, (done, total) => setProgress(`${method.toUpperCase()}: epoch ${done} of ${total}`))
    return { method, info, points: sample.points, fitted, files: [...new Set(sample.points.map((p) => p.file))], sampled: new Map(sample.points.map((p, i) => [p.vector.join(','), i])) }
  }, [name, route.asOf, method])
  useEffect(() => () => map.data?.fitted.close(), [map.data])
  const [text, setText] = useState('')
  const [query, setQuery] = useState<Query | undefined>()
  const [error, setError] = useState<string | undefined>()
  useEffect(() => setQuery(undefined), [name, route.asOf, method])
  if (map.error !== undefined) return html`<${ErrorBox} message=${map.error} />`
  const picker = html`<label>Projection <select name="projection" value=${method} onChange=${(e: Event) => setMethod((e.target as HTMLSelectElement).value as ProjectionMethod)}>
    ${METHODS.map(([m, label]) => html`<option value=${m}>${label}</option>`)}</select></label>`
  // Until the new projection arrives, the old data must not be drawn under the new method's name.
  if (map.data === undefined || map.loading || map.data.method !== method) {
    return html`<section class="card">${picker}<${Loading} what=${`the sample and its projection${progress === undefined ? '' : ` (${progress})`}`} /></section>`
  }
  const { info, points, fitted, files, sampled } = map.data
  const projected = fitted.points
  const column = info.vector?.column

  // Sampled vectors sit where the map put them (UMAP places a new copy of one only nearby); others are placed by the worker.
  const locate = async (vectors: number[][]): Promise<[number, number][]> => {
    const away = vectors.filter((v) => !sampled.has(v.join(',')))
    const placed = away.length === 0 ? [] : await fitted.place(away)
    let next = 0
    return vectors.map((v) => {
      const i = sampled.get(v.join(','))
      return i === undefined ? placed[next++] as [number, number] : [projected[2 * i] as number, projected[2 * i + 1] as number]
    })
  }

  const search = async (body: Record<string, unknown>, label: string, vector?: number[]): Promise<void> => {
    setError(undefined)
    try {
      const r = await api<{ rows: Row[] }>(tablePath(name, '/search'), { ...body, limit: 10, ...(column !== undefined && { select: [column] }), ...(route.asOf !== undefined && { asOf: route.asOf }) })
      const hitVectors = r.rows.flatMap((row) => {
        const v = column === undefined ? undefined : row[column]
        return Array.isArray(v) ? [v as number[]] : []
      })
      const xy = await locate(vector === undefined ? hitVectors : [vector, ...hitVectors])
      setQuery({ label, hits: r.rows, xy, ...(vector !== undefined && { vector }) })
    } catch (err) {
      setError((err as Error).message)
    }
  }

  // Screen coordinates: the sample's bounding box (hits outside it are clamped to the edge).
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity]
  for (let i = 0; i < points.length; i++) {
    const x = projected[2 * i] as number
    const y = projected[2 * i + 1] as number
    minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y)
  }
  const sx = (x: number): number => PAD + ((Math.min(maxX, Math.max(minX, x)) - minX) / Math.max(1e-12, maxX - minX)) * (SIZE - 2 * PAD)
  const sy = (y: number): number => SIZE - PAD - ((Math.min(maxY, Math.max(minY, y)) - minY) / Math.max(1e-12, maxY - minY)) * (SIZE - 2 * PAD)
  const q = query?.vector === undefined ? undefined : query.xy[0]
  const hitXY = query === undefined ? [] : query.xy.slice(q === undefined ? 0 : 1)
  return html`<div class="stack">
    <section class="card" aria-labelledby="map-title">
      <h2 id="map-title">Map of ${name}</h2>
      <p class="muted">${points.length} sampled vectors from ${files.length} files${route.asOf === undefined ? '' : ` at snapshot ${route.asOf}`}, projected by ${method === 'pca' ? 'their first two principal components' : 'UMAP (seeded)'}; colour = file. Click a point to search for rows like it.</p>
      ${picker}
      <form class="inline" onSubmit=${(e: Event) => { e.preventDefault(); if (text.trim() !== '') void search({ text }, `“${text}”`) }}>
        <label>Query text <input name="map-query" type="search" value=${text} onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} disabled=${info.embedder === null} placeholder=${info.embedder === null ? 'no embedder recorded' : 'e.g. jazz piano'} /></label>
        <button type="submit" disabled=${info.embedder === null}>Show hits</button>
      </form>
      <${ErrorBox} message=${error} />
      <div class="map-wrap">
        <svg class="map" viewBox=${`0 0 ${SIZE} ${SIZE}`} width=${SIZE} height=${SIZE} role="img" aria-label=${`${method.toUpperCase()} map of ${points.length} vectors coloured by file${query === undefined ? '' : `; ${query.hits.length} hits of ${query.label} ringed`}`}>
          <rect x="0" y="0" width=${SIZE} height=${SIZE} fill="#fff" stroke="#ddd" />
          <g class="points">${points.map((p, i) => html`<circle data-file=${p.file} cx=${sx(projected[2 * i] as number)} cy=${sy(projected[2 * i + 1] as number)} r="3"
            fill=${colourOf(files.indexOf(p.file))} fill-opacity="0.7" onClick=${() => void search({ vector: p.vector }, `row ${p.row} of ${baseName(p.file)}`, p.vector)} />`)}</g>
          <g class="hits">${hitXY.map(([x, y]) => html`<circle cx=${sx(x)} cy=${sy(y)} r="7" fill="none" stroke="#000" stroke-width="2" />`)}</g>
          ${q === undefined ? null : html`<path class="query" transform=${`translate(${sx(q[0])},${sy(q[1])})`} d="M0,-9 L2.6,-2.8 9,-2.8 3.8,1.2 5.6,8 0,4 -5.6,8 -3.8,1.2 -9,-2.8 -2.6,-2.8Z" fill="#ffd700" stroke="#000" />`}
        </svg>
        <ul class="legend files" aria-label="Files">
          ${files.slice(0, 12).map((f, i) => html`<li><span class="swatch" style=${`background:${colourOf(i)}`}></span><code title=${f}>${baseName(f).slice(0, 18)}</code> ${points.filter((p) => p.file === f).length}</li>`)}
          ${files.length > 12 ? html`<li class="muted">… ${files.length - 12} more files (colours repeat)</li>` : null}
          ${query === undefined ? null : html`<li><span class="swatch ring"></span>hits of ${query.label} (${query.hits.length})</li>`}
        </ul>
      </div>
    </section>
  </div>`
}
