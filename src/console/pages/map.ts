/**
 * A 2-D map of a sample of the table's vectors at the chosen snapshot: PCA computed in a worker,
 * points coloured by the file that holds them, so a well-clustered table shows one patch per
 * file. A text query (or a clicked point's vector) is searched and its hits ringed.
 */
import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import type { VNode } from 'preact'
import { api, tablePath, withAsOf, type Row, type SamplePoint, type TableInfo } from '../api.js'
import { project, type Projection } from '../pca.js'
import type { Route } from '../route.js'
import { baseName, colourOf, ErrorBox, Loading, useLoad } from '../ui.js'

const SAMPLE = 1000
const SIZE = 520
const PAD = 16

function projectInWorker(points: SamplePoint[], dim: number): Promise<Projection> {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/console/pca-worker.js', { type: 'module' })
    const data = new Float32Array(points.length * dim)
    points.forEach((p, i) => data.set(p.vector, i * dim))
    worker.onmessage = (e: MessageEvent<Projection>) => { worker.terminate(); resolve(e.data) }
    worker.onerror = (e) => { worker.terminate(); reject(new Error(`the projection failed: ${e.message}`)) }
    worker.postMessage({ data, n: points.length, dim }, [data.buffer])
  })
}

interface MapData {
  info: TableInfo
  points: SamplePoint[]
  projection: Projection
  files: string[]
}

interface Query {
  label: string
  vector?: number[]
  hits: Row[]
}

export function MapPage({ route }: { route: Route }): VNode {
  const name = route.table as string
  const map = useLoad(async (): Promise<MapData> => {
    const [info, sample] = await Promise.all([api<TableInfo>(tablePath(name)), api<{ points: SamplePoint[] }>(withAsOf(tablePath(name, '/sample'), route.asOf, { count: String(SAMPLE) }))])
    const dim = info.vector?.dim ?? sample.points[0]?.vector.length ?? 0
    const projection = sample.points.length === 0 ? { mean: new Float64Array(dim), axes: [new Float64Array(dim), new Float64Array(dim)] as [Float64Array, Float64Array], points: new Float64Array(0) } : await projectInWorker(sample.points, dim)
    return { info, points: sample.points, projection, files: [...new Set(sample.points.map((p) => p.file))] }
  }, [name, route.asOf])
  const [text, setText] = useState('')
  const [query, setQuery] = useState<Query | undefined>()
  const [error, setError] = useState<string | undefined>()
  useEffect(() => setQuery(undefined), [name, route.asOf])
  if (map.error !== undefined) return html`<${ErrorBox} message=${map.error} />`
  if (map.data === undefined) return html`<${Loading} what="the sample and its projection" />`
  const { info, points, projection, files } = map.data
  const column = info.vector?.column

  const search = async (body: Record<string, unknown>, label: string, vector?: number[]): Promise<void> => {
    setError(undefined)
    try {
      const r = await api<{ rows: Row[] }>(tablePath(name, '/search'), { ...body, limit: 10, ...(column !== undefined && { select: [column] }), ...(route.asOf !== undefined && { asOf: route.asOf }) })
      setQuery({ label, hits: r.rows, ...(vector !== undefined && { vector }) })
    } catch (err) {
      setError((err as Error).message)
    }
  }

  // Screen coordinates: the sample's bounding box (hits outside it are clamped to the edge).
  let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity]
  for (let i = 0; i < points.length; i++) {
    const x = projection.points[2 * i] as number
    const y = projection.points[2 * i + 1] as number
    minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y)
  }
  const sx = (x: number): number => PAD + ((Math.min(maxX, Math.max(minX, x)) - minX) / Math.max(1e-12, maxX - minX)) * (SIZE - 2 * PAD)
  const sy = (y: number): number => SIZE - PAD - ((Math.min(maxY, Math.max(minY, y)) - minY) / Math.max(1e-12, maxY - minY)) * (SIZE - 2 * PAD)
  const hitXY = (query?.hits ?? []).flatMap((r) => {
    const v = column === undefined ? undefined : r[column]
    return Array.isArray(v) ? [project(projection, v as number[])] : []
  })
  const q = query?.vector === undefined ? undefined : project(projection, query.vector)
  return html`<div class="stack">
    <section class="card" aria-labelledby="map-title">
      <h2 id="map-title">Map of ${name}</h2>
      <p class="muted">${points.length} sampled vectors from ${files.length} files${route.asOf === undefined ? '' : ` at snapshot ${route.asOf}`}, projected on their first two principal components; colour = file. Click a point to search for rows like it.</p>
      <form class="inline" onSubmit=${(e: Event) => { e.preventDefault(); if (text.trim() !== '') void search({ text }, `“${text}”`) }}>
        <label>Query text <input name="map-query" type="search" value=${text} onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} disabled=${info.embedder === null} placeholder=${info.embedder === null ? 'no embedder recorded' : 'e.g. jazz piano'} /></label>
        <button type="submit" disabled=${info.embedder === null}>Show hits</button>
      </form>
      <${ErrorBox} message=${error} />
      <div class="map-wrap">
        <svg class="map" viewBox=${`0 0 ${SIZE} ${SIZE}`} width=${SIZE} height=${SIZE} role="img" aria-label=${`PCA map of ${points.length} vectors coloured by file${query === undefined ? '' : `; ${query.hits.length} hits of ${query.label} ringed`}`}>
          <rect x="0" y="0" width=${SIZE} height=${SIZE} fill="#fff" stroke="#ddd" />
          <g class="points">${points.map((p, i) => html`<circle data-file=${p.file} cx=${sx(projection.points[2 * i] as number)} cy=${sy(projection.points[2 * i + 1] as number)} r="3"
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
