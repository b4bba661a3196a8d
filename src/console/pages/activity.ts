/**
 * What the server is doing (`GET /v1/activity`, polled every 2 s while the tab is visible): per
 * open table, rows buffered and not yet committed, index builds pending and background optimize;
 * optimize runs with a progress bar while they run, then their report or error.
 */
import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import type { VNode } from 'preact'
import { api, type Activity, type OptimizeProgress, type OptimizeReport, type OptimizeRun, type TableActivity } from '../api.js'
import { href } from '../route.js'
import { bytes, count, ErrorBox, Loading, type Loaded } from '../ui.js'

const POLL_MS = 2000

/** The activity, reloaded every `POLL_MS` while the page is visible (and at once when it shows again). */
function useActivity(): Loaded<Activity> {
  const [state, setState] = useState<Loaded<Activity>>({ loading: true })
  useEffect(() => {
    let live = true
    let busy = false
    const poll = (): void => {
      if (busy || document.visibilityState !== 'visible') return
      busy = true
      api<Activity>('/v1/activity').then(
        (data) => { if (live) setState({ data, loading: false }) },
        (err: unknown) => { if (live) setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err), loading: false })) },
      ).finally(() => { busy = false })
    }
    poll()
    const timer = setInterval(poll, POLL_MS)
    document.addEventListener('visibilitychange', poll)
    return () => {
      live = false
      clearInterval(timer)
      document.removeEventListener('visibilitychange', poll)
    }
  }, [])
  return state
}

export function ActivityPage(): VNode {
  const activity = useActivity()
  if (activity.data === undefined) return activity.error !== undefined ? html`<${ErrorBox} message=${activity.error} />` : html`<${Loading} what="activity" />`
  const { tables, optimizes } = activity.data
  const running = optimizes.filter((r) => r.endedAt === undefined)
  const finished = optimizes.filter((r) => r.endedAt !== undefined)
  return html`<div class="stack">
    <${ErrorBox} message=${activity.error} />
    <section class="card" aria-labelledby="open-title">
      <h2 id="open-title">Open tables <span class="muted">(refreshed every ${POLL_MS / 1000} s)</span></h2>
      ${tables.length === 0 ? html`<p class="muted">The server holds no table open that this key may read.</p>` : html`
      <table class="grid" aria-labelledby="open-title">
        <thead><tr>
          <th scope="col">Table</th><th scope="col" class="num">Buffered rows</th><th scope="col" class="num">Buffered vector bytes</th><th scope="col">Last flush</th>
          <th scope="col" class="num">Pending index builds</th><th scope="col">Auto-optimize</th>
        </tr></thead>
        <tbody>${tables.map((t) => html`<${TableRow} t=${t} />`)}</tbody>
      </table>`}
    </section>
    <section class="card" aria-labelledby="running-title">
      <h2 id="running-title">Optimize running <span class="muted">(${running.length})</span></h2>
      ${running.length === 0 ? html`<p class="muted">None.</p>` : html`<ul class="runs">${running.map((r) => html`<li><${Progress} label=${`Optimize of ${r.table}`} table=${r.table} p=${r.progress} /></li>`)}</ul>`}
    </section>
    <section class="card" aria-labelledby="finished-title">
      <h2 id="finished-title">Optimize finished <span class="muted">(last ${finished.length})</span></h2>
      ${finished.length === 0 ? html`<p class="muted">None since the server started.</p>` : html`<${Finished} runs=${finished} />`}
    </section>
  </div>`
}

function TableRow({ t }: { t: TableActivity }): VNode {
  const auto = t.autoOptimize
  return html`<tr>
    <td><a href=${href({ view: 'table', table: t.table })}>${t.table}</a></td>
    <td class="num"><span class=${t.bufferedRows > 0 ? 'warn' : ''}>${count(t.bufferedRows)}</span>${t.flushing ? html` <span class="muted">(flushing)</span>` : null}</td>
    <td class="num">${bytes(t.bufferedBytes)}</td>
    <td>${t.lastFlush === null ? html`<span class="muted">no writer</span>` : html`<time datetime=${t.lastFlush}>${new Date(t.lastFlush).toLocaleTimeString()}</time>`}
      ${t.lastFlushError === null ? null : html`<div class="error" role="alert">${t.lastFlushError}</div>`}</td>
    <td class="num"><span class=${t.pendingIndexBuilds > 0 ? 'warn' : 'ok'}>${count(t.pendingIndexBuilds)}</span></td>
    <td>${auto.optimizing ? html`<${Progress} label=${`Auto-optimize of ${t.table}`} table=${t.table} p=${auto.progress} />`
      : auto.lastError !== undefined ? html`<span class="warn">failed: ${auto.lastError}</span>`
      : auto.lastReport !== undefined ? `last: ${summary(auto.lastReport)}`
      : html`<span class="muted">idle</span>`}</td>
  </tr>`
}

/** A labelled progress bar: phase and done/total (indeterminate before the first report). */
function Progress({ label, table, p }: { label: string; table: string; p: OptimizeProgress | undefined }): VNode {
  const text = p === undefined ? 'starting' : `${p.phase} ${p.done}/${p.total}`
  return html`<div class="progress">
    <span><strong>${table}</strong> ${text}</span>
    ${p === undefined || p.total === 0 ? html`<progress aria-label=${label}></progress>` : html`<progress aria-label=${label} aria-valuetext=${text} max=${p.total} value=${p.done}></progress>`}
  </div>`
}

function summary(r: OptimizeReport): string {
  return `${r.mode}, ${count(r.filesBefore)} → ${count(r.filesAfter)} files, ${count(r.rowsRewritten)} rows rewritten, ${r.seconds.toFixed(1)} s`
}

function Finished({ runs }: { runs: OptimizeRun[] }): VNode {
  return html`<table class="grid compact" aria-labelledby="finished-title">
    <thead><tr>
      <th scope="col">Table</th><th scope="col">Ended</th><th scope="col">Result</th><th scope="col" class="num">Files before</th><th scope="col" class="num">Files after</th>
      <th scope="col" class="num">Rows rewritten</th><th scope="col" class="num">Deleted rows removed</th><th scope="col" class="num">Seconds</th>
    </tr></thead>
    <tbody>${runs.map((r) => html`<tr>
      <td><a href=${href({ view: 'table', table: r.table })}>${r.table}</a></td>
      <td><time datetime=${r.endedAt}>${new Date(r.endedAt as string).toLocaleTimeString()}</time></td>
      ${r.report === undefined ? html`<td colspan="6"><span class="warn">failed: ${r.error ?? 'unknown error'}</span></td>` : html`
        <td><span class="ok">${r.report.mode}</span> <span class="muted">${r.report.reason}</span></td>
        <td class="num">${count(r.report.filesBefore)}</td><td class="num">${count(r.report.filesAfter)}</td>
        <td class="num">${count(r.report.rowsRewritten)}</td><td class="num">${count(r.report.deletedRowsRemoved)}</td>
        <td class="num">${r.report.seconds.toFixed(2)}</td>`}
    </tr>`)}</tbody>
  </table>`
}
