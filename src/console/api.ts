/**
 * The console's only way to the server: its JSON API, with the user's key (kept in
 * sessionStorage, so it lasts for the tab and no longer). A 401 clears the key and tells the
 * app, which asks for one again.
 */
const KEY = 'ailake.apiKey'

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY)
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY)
  else sessionStorage.setItem(KEY, key)
}

let unauthorized: (message: string) => void = () => undefined

/** What the app does when the server refuses the key. */
export function onUnauthorized(handler: (message: string) => void): void {
  unauthorized = handler
}

/** GET `path`, or POST `body` as JSON; the parsed answer, or an `ApiError` with the server's message. */
export async function api<T>(path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const key = storedKey()
  if (key !== null) headers.authorization = `Bearer ${key}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { method: body === undefined ? 'GET' : 'POST', headers, ...(body !== undefined && { body: JSON.stringify(body) }) })
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error
    const err = new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `${res.status} ${res.statusText}`)
    if (res.status === 401) {
      storeKey(null)
      unauthorized(err.message)
    }
    throw err
  }
  return parsed as T
}

export function tablePath(name: string, rest = ''): string {
  return `/v1/tables/${encodeURIComponent(name)}${rest}`
}

export function withAsOf(path: string, asOf: string | undefined, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams(extra)
  if (asOf !== undefined) q.set('asOf', asOf)
  const s = q.toString()
  return s === '' ? path : `${path}?${s}`
}

// The API's shapes, as far as the console reads them (64-bit ids are strings).
export interface VectorInfo { column: string; dim: number; metric: string; precision: string }
export interface TableInfo {
  name: string
  rows: number
  files: number
  snapshotId: string | null
  vector: VectorInfo | null
  embedder: { name: string; dim: number } | null
  properties: Record<string, string>
}
export interface FileInfo {
  path: string
  rows: number
  deletedRows: number
  bytes: number
  indexStatus: 'ready' | 'pending' | 'none'
  centroid?: number[]
  radius?: number
  cluster?: number
}
export interface Snapshot {
  snapshotId: string
  parentId: string | null
  timestamp: string
  operation: string
  addedRows: number
  deletedRows: number
  totalRows: number
  totalDeletes: number
  totalFiles: number
}
export interface Column { name: string; type: unknown; required?: boolean; id?: number }
export type Row = Record<string, unknown>
export interface SamplePoint { file: string; row: number; vector: number[] }

/** The full-text columns a table records (a JSON array in its properties). */
export function fullTextColumns(info: TableInfo): string[] {
  const v = info.properties['ailake.fulltext.columns']
  if (v === undefined) return []
  try {
    const parsed = JSON.parse(v) as unknown
    return Array.isArray(parsed) ? parsed.map(String) : []
  } catch {
    return []
  }
}

// `GET /v1/activity` (what the server process is doing).
export interface OptimizeProgress { phase: string; done: number; total: number }
export interface OptimizeReport { mode: string; reason: string; filesBefore: number; filesAfter: number; rowsRewritten: number; deletedRowsRemoved: number; seconds: number }
export interface OptimizeRun { id: number; table: string; startedAt: string; endedAt?: string; progress?: OptimizeProgress; report?: OptimizeReport; error?: string }
export interface TableActivity {
  table: string
  bufferedRows: number
  bufferedBytes: number
  flushing: boolean
  lastFlush: string | null
  lastFlushError: string | null
  pendingIndexBuilds: number
  autoOptimize: { optimizing: boolean; progress?: OptimizeProgress; lastReport?: OptimizeReport; lastError?: string }
}
export interface Activity { tables: TableActivity[]; optimizes: OptimizeRun[] }
