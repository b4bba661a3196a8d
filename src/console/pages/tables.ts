/** Every table the key may read, by namespace, one page at a time (each row costs two requests). */
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import type { VNode } from 'preact'
import { api, fullTextColumns, tablePath, type FileInfo, type TableInfo } from '../api.js'
import { href } from '../route.js'
import { bytes, count, ErrorBox, Loading, PAGE_SIZE, Pager, useLoad } from '../ui.js'

interface Summary {
  info: TableInfo
  files: FileInfo[]
}

export function Tables(): VNode {
  const [page, setPage] = useState(0)
  const names = useLoad(async () => (await api<{ tables: string[] }>('/v1/tables')).tables, [])
  const shown = (names.data ?? []).slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE)
  const rows = useLoad(() => Promise.all(shown.map(async (name): Promise<Summary> => {
    const [info, files] = await Promise.all([api<TableInfo>(tablePath(name)), api<{ files: FileInfo[] }>(tablePath(name, '/files'))])
    return { info, files: files.files }
  })), [names.data, page])
  if (names.error !== undefined) return html`<${ErrorBox} message=${names.error} />`
  if (names.data === undefined) return html`<${Loading} what="tables" />`
  if (names.data.length === 0) return html`<p>No tables yet. Create one with <code>ailake create</code> or <code>POST /v1/tables</code>.</p>`
  return html`<section aria-labelledby="tables-title">
    <h2 id="tables-title">Tables <span class="muted">(${names.data.length})</span></h2>
    <${ErrorBox} message=${rows.error} />
    <table class="grid" aria-describedby="tables-title">
      <thead><tr>
        <th scope="col">Namespace</th><th scope="col">Table</th><th scope="col" class="num">Rows</th><th scope="col" class="num">Files</th>
        <th scope="col" class="num">Size</th><th scope="col">Vector</th><th scope="col">Index</th><th scope="col">Embedder</th><th scope="col">Full text</th>
      </tr></thead>
      <tbody>
        ${rows.data === undefined ? html`<tr><td colspan="9"><${Loading} what="table details" /></td></tr>` : rows.data.map((s) => html`<${TableRow} s=${s} />`)}
      </tbody>
    </table>
    <${Pager} page=${page} total=${names.data.length} onPage=${setPage} label="Tables" />
  </section>`
}

function TableRow({ s }: { s: Summary }): VNode {
  const { info, files } = s
  const dot = info.name.lastIndexOf('.')
  const ns = dot < 0 ? 'default' : info.name.slice(0, dot)
  const short = dot < 0 ? info.name : info.name.slice(dot + 1)
  const live = files.reduce((n, f) => n + f.rows - f.deletedRows, 0)
  const size = files.reduce((n, f) => n + f.bytes, 0)
  const ready = files.filter((f) => f.indexStatus === 'ready').length
  const v = info.vector
  const ft = fullTextColumns(info)
  return html`<tr>
    <td>${ns}</td>
    <td><a href=${href({ view: 'table', table: info.name })}>${short}</a></td>
    <td class="num">${count(live)}</td>
    <td class="num">${count(files.length)}</td>
    <td class="num">${bytes(size)}</td>
    <td>${v === null ? html`<span class="muted">none</span>` : `${v.column}: ${v.dim}-d ${v.metric} ${v.precision}`}</td>
    <td><span class=${ready === files.length ? 'ok' : 'warn'}>${files.length === 0 ? 'no files' : ready === files.length ? 'ready' : `${ready} of ${files.length} ready`}</span></td>
    <td>${info.embedder === null ? html`<span class="muted">none</span>` : `${info.embedder.name} (${info.embedder.dim}-d)`}</td>
    <td>${ft.length === 0 ? html`<span class="muted">none</span>` : ft.join(', ')}</td>
  </tr>`
}
