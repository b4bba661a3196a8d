/** Small pieces every page uses: loading data, errors, paging, number formats. */
import { html } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import type { VNode } from 'preact'

export interface Loaded<T> {
  data?: T
  error?: string
  loading: boolean
}

/** Runs `load` whenever `deps` change; the last run wins. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ loading: true })
  useEffect(() => {
    let live = true
    setState((s) => ({ ...s, loading: true, error: undefined }))
    load().then(
      (data) => { if (live) setState({ data, loading: false }) },
      (err: unknown) => { if (live) setState({ error: err instanceof Error ? err.message : String(err), loading: false }) },
    )
    return () => { live = false }
  }, deps)
  return state
}

export function ErrorBox({ message }: { message: string | undefined }): VNode | null {
  return message === undefined ? null : html`<p class="error" role="alert">${message}</p>`
}

export function Loading({ what }: { what: string }): VNode {
  return html`<p class="muted" role="status">Loading ${what}…</p>`
}

export const PAGE_SIZE = 20

/** Previous / next buttons over `total` items, `PAGE_SIZE` a page. */
export function Pager({ page, total, onPage, label }: { page: number; total: number; onPage: (p: number) => void; label: string }): VNode | null {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE))
  if (pages === 1) return null
  return html`<nav class="pager" aria-label=${`${label} pages`}>
    <button type="button" disabled=${page === 0} onClick=${() => onPage(page - 1)}>Previous</button>
    <span aria-live="polite">Page ${page + 1} of ${pages}</span>
    <button type="button" disabled=${page >= pages - 1} onClick=${() => onPage(page + 1)}>Next</button>
  </nav>`
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`
}

export function count(n: number): string {
  return n.toLocaleString('en-US')
}

export function fixed(n: number | undefined, digits = 4): string {
  return n === undefined || n === null ? '—' : n.toFixed(digits)
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** Colours for files on the map and in legends (distinguishable, readable on white). */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22']

export function colourOf(i: number): string {
  return PALETTE[i % PALETTE.length] as string
}

/** A cell's text: vectors shortened, objects as JSON. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '∅'
  if (Array.isArray(v)) return v.length > 4 ? `[${v.slice(0, 3).map((x) => (typeof x === 'number' ? x.toFixed(3) : String(x))).join(', ')}, … ${v.length}]` : JSON.stringify(v)
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4)
  if (typeof v === 'object') return JSON.stringify(v)
  const s = String(v)
  return s.length > 80 ? `${s.slice(0, 77)}…` : s
}
