/**
 * One table: its schema, its snapshot timeline (picking a snapshot time-travels every view of
 * the table), and its live files at that snapshot with rows, deletes, bytes, index status and
 * the centroid and radius each file's index section records.
 */
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import type { VNode } from 'preact'
import { api, fullTextColumns, tablePath, withAsOf, type Column, type FileInfo, type Snapshot, type TableInfo } from '../api.js'
import { href, type Route } from '../route.js'
import { baseName, bytes, count, ErrorBox, fixed, Loading, PAGE_SIZE, Pager, useLoad } from '../ui.js'

interface Detail {
  info: TableInfo
  columns: Column[]
  snapshots: Snapshot[]
}

export function TablePage({ route }: { route: Route }): VNode {
  const name = route.table as string
  const detail = useLoad(async (): Promise<Detail> => {
    const [info, schema, history] = await Promise.all([
      api<TableInfo>(tablePath(name)), api<{ columns: Column[] }>(tablePath(name, '/schema')), api<{ snapshots: Snapshot[] }>(tablePath(name, '/history')),
    ])
    return { info, columns: schema.columns, snapshots: history.snapshots }
  }, [name])
  const files = useLoad(async () => (await api<{ files: FileInfo[] }>(withAsOf(tablePath(name, '/files'), route.asOf))).files, [name, route.asOf])
  if (detail.error !== undefined) return html`<${ErrorBox} message=${detail.error} />`
  if (detail.data === undefined) return html`<${Loading} what=${`table ${name}`} />`
  const { info, columns, snapshots } = detail.data
  const ft = fullTextColumns(info)
  return html`<div class="stack">
    <section class="card" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Snapshots</h2>
      <${Timeline} name=${name} snapshots=${snapshots} asOf=${route.asOf} view="table" />
    </section>
    <section class="card" aria-labelledby="files-title">
      <h2 id="files-title">Files ${route.asOf === undefined ? 'now' : html`at snapshot <code>${route.asOf}</code>`}</h2>
      <${ErrorBox} message=${files.error} />
      ${files.data === undefined ? html`<${Loading} what="files" />` : html`<${Files} files=${files.data} />`}
    </section>
    <section class="card" aria-labelledby="schema-title">
      <h2 id="schema-title">Schema</h2>
      <table class="grid compact">
        <thead><tr><th scope="col">Column</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">Role</th></tr></thead>
        <tbody>${columns.map((c) => html`<tr>
          <td>${c.name}</td><td><code>${typeName(c.type)}</code></td><td>${c.required === true ? 'yes' : 'no'}</td>
          <td>${c.name === info.vector?.column ? `vector (${info.vector.dim}-d ${info.vector.metric} ${info.vector.precision})` : ft.includes(c.name) ? 'full text' : ''}</td>
        </tr>`)}</tbody>
      </table>
    </section>
  </div>`
}

/** `list<float>`, `map<string, long>`, `struct<…>`, `fixed[16]`, or the primitive's name. */
function typeName(t: unknown): string {
  if (typeof t === 'string') return t
  const o = t as { type?: string; element?: unknown; key?: unknown; value?: unknown; length?: number; fields?: { name: string; type: unknown }[] }
  switch (o.type) {
    case 'list': return `list<${typeName(o.element)}>`
    case 'map': return `map<${typeName(o.key)}, ${typeName(o.value)}>`
    case 'fixed': return `fixed[${o.length}]`
    case 'struct': return `struct<${(o.fields ?? []).map((f) => `${f.name}: ${typeName(f.type)}`).join(', ')}>`
    default: return JSON.stringify(t)
  }
}

/** Snapshots oldest first; the chosen one is pressed. Picking one keeps the view and sets `asOf`. */
export function Timeline({ name, snapshots, asOf, view }: { name: string; snapshots: Snapshot[]; asOf: string | undefined; view: Route['view'] }): VNode {
  const live = snapshots.map((s) => s.totalRows - s.totalDeletes)
  const max = Math.max(1, ...live)
  const w = Math.max(120, snapshots.length * 40)
  const x = (i: number): number => (snapshots.length === 1 ? w / 2 : 10 + (i * (w - 20)) / (snapshots.length - 1))
  const y = (v: number): number => 50 - (v / max) * 40
  const current = asOf ?? snapshots[snapshots.length - 1]?.snapshotId
  return html`<div>
    <svg class="sparkline" viewBox=${`0 0 ${w} 56`} width=${w} height="56" role="img" aria-label="Live rows per snapshot">
      <polyline fill="none" stroke="#1f77b4" stroke-width="2" points=${live.map((v, i) => `${x(i)},${y(v)}`).join(' ')} />
      ${live.map((v, i) => html`<circle cx=${x(i)} cy=${y(v)} r=${snapshots[i]?.snapshotId === current ? 5 : 3} fill=${snapshots[i]?.snapshotId === current ? '#d62728' : '#1f77b4'}><title>${count(v)} live rows</title></circle>`)}
    </svg>
    <ol class="timeline" aria-label="Snapshot timeline">
      ${snapshots.map((s, i) => html`<li>
        <a class="snap" href=${href({ view, table: name, ...(i < snapshots.length - 1 && { asOf: s.snapshotId }) })} aria-current=${s.snapshotId === current ? 'true' : undefined}
          data-snapshot=${s.snapshotId}>
          <strong>${s.operation}</strong>
          <span>${s.addedRows > 0 ? `+${count(s.addedRows)}` : ''}${s.deletedRows > 0 ? ` −${count(s.deletedRows)}` : ''}</span>
          <span>${count(s.totalRows - s.totalDeletes)} rows</span>
          <time datetime=${s.timestamp}>${new Date(s.timestamp).toLocaleString('en-GB', { timeZone: 'UTC' })}</time>
        </a>
      </li>`)}
    </ol>
  </div>`
}

function Files({ files }: { files: FileInfo[] }): VNode {
  const [page, setPage] = useState(0)
  const live = files.reduce((n, f) => n + f.rows - f.deletedRows, 0)
  const deleted = files.reduce((n, f) => n + f.deletedRows, 0)
  const pending = files.filter((f) => f.indexStatus === 'pending').length
  // Each file's centroid against the row-weighted mean of all centroids: how spread the files are.
  const withC = files.filter((f) => f.centroid !== undefined)
  const dim = withC[0]?.centroid?.length ?? 0
  const mean = new Array<number>(dim).fill(0)
  const weight = withC.reduce((n, f) => n + f.rows, 0)
  for (const f of withC) f.centroid?.forEach((v, j) => { mean[j] = (mean[j] as number) + (v * f.rows) / Math.max(1, weight) })
  const spread = (f: FileInfo): number | undefined => (f.centroid === undefined ? undefined : Math.sqrt(f.centroid.reduce((s, v, j) => s + (v - (mean[j] as number)) ** 2, 0)))
  return html`<div>
    <dl class="facts">
      <div><dt>Live rows</dt><dd data-testid="live-rows">${count(live)}</dd></div>
      <div><dt>Files</dt><dd>${count(files.length)}</dd></div>
      <div><dt>Deleted rows</dt><dd>${count(deleted)}</dd></div>
      <div><dt>Index builds pending</dt><dd>${count(pending)}</dd></div>
      <div><dt>Size</dt><dd>${bytes(files.reduce((n, f) => n + f.bytes, 0))}</dd></div>
    </dl>
    <table class="grid compact">
      <thead><tr>
        <th scope="col">File</th><th scope="col" class="num">Rows</th><th scope="col" class="num">Deleted</th><th scope="col" class="num">Bytes</th>
        <th scope="col">Index</th><th scope="col" class="num" title="Euclidean distance of the file's centroid from the mean of all centroids">Centroid distance</th>
        <th scope="col" class="num">Radius</th><th scope="col" class="num">Cluster</th>
      </tr></thead>
      <tbody>${files.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE).map((f) => html`<tr>
        <td title=${f.path}><code>${baseName(f.path)}</code></td><td class="num">${count(f.rows)}</td><td class="num">${count(f.deletedRows)}</td>
        <td class="num">${bytes(f.bytes)}</td><td><span class=${f.indexStatus === 'ready' ? 'ok' : 'warn'}>${f.indexStatus}</span></td>
        <td class="num">${fixed(spread(f))}</td><td class="num">${fixed(f.radius)}</td><td class="num">${f.cluster ?? '—'}</td>
      </tr>`)}</tbody>
    </table>
    <${Pager} page=${page} total=${files.length} onPage=${setPage} label="Files" />
  </div>`
}
