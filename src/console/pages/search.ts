/**
 * Search a table: text (through its embedder), a pasted vector, or rows like a result row;
 * with where, limit, ef and mode. Shows the rows with their distances (or scores) and the plan
 * the same request explains. Reads the snapshot the timeline chose.
 */
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import type { VNode } from 'preact'
import { api, fullTextColumns, tablePath, type Column, type Row, type TableInfo } from '../api.js'
import type { Route } from '../route.js'
import { cell, ErrorBox, Loading, useLoad } from '../ui.js'
import { PlanView } from './plan.js'

export interface SearchRequest {
  mode: 'vector' | 'fulltext' | 'hybrid'
  text?: string
  vector?: number[]
  where?: string
  limit: number
  ef?: number
  asOf?: string
  select?: string[]
}

/** The request the form describes; throws with a message the form shows. */
export function searchBody(form: { mode: SearchRequest['mode']; kind: 'text' | 'vector'; text: string; vector: string; where: string; limit: string; ef: string }, asOf: string | undefined): SearchRequest {
  const body: SearchRequest = { mode: form.mode, limit: Number(form.limit) || 10 }
  if (form.kind === 'text' || form.mode === 'fulltext') {
    if (form.text.trim() === '') throw new Error('type the text to search for')
    body.text = form.text
  } else {
    const v = form.vector.split(/[\s,[\]]+/).filter(Boolean).map(Number)
    if (v.length === 0 || v.some((x) => !Number.isFinite(x))) throw new Error('the vector must be numbers separated by commas or spaces, e.g. [0.1, 0.2, 0.3]')
    body.vector = v
    if (form.mode === 'hybrid') body.text = form.text
  }
  if (form.where.trim() !== '') body.where = form.where.trim()
  if (form.ef.trim() !== '' && form.mode === 'vector') body.ef = Number(form.ef)
  if (asOf !== undefined) body.asOf = asOf
  return body
}

interface Answer {
  request: SearchRequest
  rows: Row[]
  plan: unknown
}

export function SearchPage({ route }: { route: Route }): VNode {
  const name = route.table as string
  const info = useLoad(async () => {
    const [t, schema] = await Promise.all([api<TableInfo>(tablePath(name)), api<{ columns: Column[] }>(tablePath(name, '/schema'))])
    return { ...t, columns: schema.columns.map((c) => c.name) }
  }, [name])
  const [form, setForm] = useState({ mode: 'vector' as SearchRequest['mode'], kind: 'text' as 'text' | 'vector', text: '', vector: '', where: '', limit: '10', ef: '' })
  const [answer, setAnswer] = useState<Answer | undefined>()
  const [error, setError] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  if (info.error !== undefined) return html`<${ErrorBox} message=${info.error} />`
  if (info.data === undefined) return html`<${Loading} what="the table" />`
  const t = info.data
  const ft = fullTextColumns(t)
  const vectorColumn = t.vector?.column

  const run = async (f: typeof form): Promise<void> => {
    setError(undefined)
    let body: SearchRequest
    try {
      // Every column, the vector included, so each row can seed "rows like this".
      body = { ...searchBody(f, route.asOf), select: t.columns }
    } catch (err) {
      setError((err as Error).message)
      return
    }
    setBusy(true)
    try {
      const [found, explained] = await Promise.all([api<{ rows: Row[] }>(tablePath(name, '/search'), body), api<{ plan: unknown }>(tablePath(name, '/explain'), body)])
      setAnswer({ request: body, rows: found.rows, plan: explained.plan })
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const set = (k: keyof typeof form) => (e: Event): void => setForm({ ...form, [k]: (e.target as HTMLInputElement).value })
  const likeRow = (r: Row): void => {
    const v = vectorColumn === undefined ? undefined : r[vectorColumn]
    if (!Array.isArray(v)) return
    const next = { ...form, mode: 'vector' as const, kind: 'vector' as const, vector: `[${v.map((x) => Number(x).toPrecision(6)).join(', ')}]` }
    setForm(next)
    void run(next)
  }
  const columns = answer === undefined ? [] : [...new Set(answer.rows.flatMap((r) => Object.keys(r)))].filter((c) => !c.startsWith('_') && c !== vectorColumn)
  const scoreCols = answer === undefined ? [] : ['_distance', '_score', '_bm25'].filter((c) => answer.rows.some((r) => r[c] !== undefined))
  return html`<div class="stack">
    <form class="card search-form" onSubmit=${(e: Event) => { e.preventDefault(); void run(form) }} aria-labelledby="search-title">
      <h2 id="search-title">Search ${name}</h2>
      <div class="fields">
        <label>Mode
          <select value=${form.mode} onChange=${set('mode')} name="mode">
            <option value="vector">vector</option>
            <option value="fulltext" disabled=${ft.length === 0}>full text${ft.length === 0 ? ' (no full-text columns)' : ''}</option>
            <option value="hybrid" disabled=${ft.length === 0}>hybrid</option>
          </select>
        </label>
        <fieldset class="kind">
          <legend>Query</legend>
          <label><input type="radio" name="kind" value="text" checked=${form.kind === 'text'} onChange=${() => setForm({ ...form, kind: 'text' })} /> text${t.embedder === null ? '' : ` (embedded by ${t.embedder.name})`}</label>
          <label><input type="radio" name="kind" value="vector" checked=${form.kind === 'vector'} onChange=${() => setForm({ ...form, kind: 'vector' })} /> vector</label>
        </fieldset>
        ${form.kind === 'text' || form.mode !== 'vector' ? html`<label class="wide">Text <input name="text" type="search" value=${form.text} onInput=${set('text')} placeholder="e.g. jazz piano" /></label>` : null}
        ${form.kind === 'vector' && form.mode !== 'fulltext' ? html`<label class="wide">Vector (${t.vector?.dim ?? '?'} numbers) <textarea name="vector" rows="2" value=${form.vector} onInput=${set('vector')}></textarea></label>` : null}
        <label class="wide">Where <input name="where" value=${form.where} onInput=${set('where')} placeholder="e.g. year > 2020 AND topic = 'jazz'" /></label>
        <label>Limit <input name="limit" type="number" min="1" max="1000" value=${form.limit} onInput=${set('limit')} /></label>
        <label>ef <input name="ef" type="number" min="1" max="1000" value=${form.ef} onInput=${set('ef')} disabled=${form.mode !== 'vector'} placeholder="default" /></label>
      </div>
      <button type="submit" disabled=${busy}>${busy ? 'Searching…' : 'Search'}</button>
      ${route.asOf === undefined ? null : html`<p class="muted">Reading snapshot <code>${route.asOf}</code>.</p>`}
      <${ErrorBox} message=${error} />
    </form>
    ${answer === undefined ? null : html`<section class="card" aria-labelledby="results-title">
      <h3 id="results-title">${answer.rows.length} ${answer.rows.length === 1 ? 'row' : 'rows'}</h3>
      <table class="grid compact results" data-testid="results">
        <thead><tr><th scope="col" class="num">#</th>${scoreCols.map((c) => html`<th scope="col" class="num">${c.slice(1)}</th>`)}${columns.map((c) => html`<th scope="col">${c}</th>`)}${vectorColumn === undefined ? null : html`<th scope="col"><span class="sr-only">Actions</span></th>`}</tr></thead>
        <tbody>${answer.rows.map((r, i) => html`<tr>
          <td class="num">${i + 1}</td>${scoreCols.map((c) => html`<td class="num">${cell(r[c])}</td>`)}${columns.map((c) => html`<td>${cell(r[c])}</td>`)}
          ${vectorColumn === undefined ? null : html`<td><button type="button" class="small" disabled=${!Array.isArray(r[vectorColumn])} onClick=${() => likeRow(r)} aria-label=${`Rows like row ${i + 1}`}>like this</button></td>`}
        </tr>`)}</tbody>
      </table>
    </section>
    <section class="card" aria-labelledby="plan-title">
      <h3 id="plan-title">Plan</h3>
      <${PlanView} mode=${answer.request.mode} plan=${answer.plan} />
    </section>`}
  </div>`
}
