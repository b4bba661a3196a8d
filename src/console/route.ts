/**
 * Where the console is, kept in the URL hash so every view can be linked, reloaded and reached
 * with the browser's back button: `#/`, `#/activity`, `#/table/<name>`, `#/search/<name>`, `#/map/<name>`,
 * each with `?asOf=<snapshot id>` when time-travelling (every view of the table reads that snapshot).
 */
export type View = 'tables' | 'activity' | 'table' | 'search' | 'map'

export interface Route {
  view: View
  table?: string
  asOf?: string
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?')
  const asOf = new URLSearchParams(query).get('asOf') ?? undefined
  if (path === '/activity') return { view: 'activity' }
  const m = /^\/(table|search|map)\/(.+)$/.exec(path)
  if (m === null) return { view: 'tables' }
  return { view: m[1] as View, table: decodeURIComponent(m[2] as string), ...(asOf !== undefined && /^\d+$/.test(asOf) && { asOf }) }
}

export function href(r: Route): string {
  if (r.view === 'activity') return '#/activity'
  if (r.view === 'tables' || r.table === undefined) return '#/'
  return `#/${r.view}/${encodeURIComponent(r.table)}${r.asOf === undefined ? '' : `?asOf=${r.asOf}`}`
}
