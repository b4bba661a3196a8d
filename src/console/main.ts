/**
 * The console's shell: asks the server (`/health`) whether it needs a key, shows the key form
 * until one is given (no table request is made before), then the page the URL hash names.
 */
import { html, render } from 'htm/preact'
import { useEffect, useState } from 'preact/hooks'
import type { VNode } from 'preact'
import { onUnauthorized, storedKey, storeKey } from './api.js'
import { ActivityPage } from './pages/activity.js'
import { KeyPrompt } from './pages/key-prompt.js'
import { MapPage } from './pages/map.js'
import { SearchPage } from './pages/search.js'
import { TablePage } from './pages/table.js'
import { Tables } from './pages/tables.js'
import { href, parseRoute, type Route } from './route.js'
import { ErrorBox, Loading } from './ui.js'

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash))
  useEffect(() => {
    const on = (): void => setRoute(parseRoute(location.hash))
    addEventListener('hashchange', on)
    return () => removeEventListener('hashchange', on)
  }, [])
  return route
}

function Nav({ route }: { route: Route }): VNode {
  const link = (r: Route, label: string): VNode => html`<li><a href=${href(r)} aria-current=${route.view === r.view ? 'page' : undefined}>${label}</a></li>`
  const t = route.table
  return html`<nav aria-label="Console">
    <ul>
      ${link({ view: 'tables' }, 'Tables')}
      ${link({ view: 'activity' }, 'Activity')}
      ${t === undefined ? null : html`
        ${link({ view: 'table', table: t, ...(route.asOf !== undefined && { asOf: route.asOf }) }, `Table ${t}`)}
        ${link({ view: 'search', table: t, ...(route.asOf !== undefined && { asOf: route.asOf }) }, 'Search')}
        ${link({ view: 'map', table: t, ...(route.asOf !== undefined && { asOf: route.asOf }) }, 'Map')}`}
    </ul>
    ${route.asOf === undefined || t === undefined ? null : html`<p class="travel" role="status">Time travel: snapshot <code>${route.asOf}</code> <a href=${href({ view: route.view, table: t })}>back to now</a></p>`}
  </nav>`
}

function Page({ route }: { route: Route }): VNode {
  switch (route.view) {
    case 'table': return html`<${TablePage} route=${route} />`
    case 'search': return html`<${SearchPage} route=${route} />`
    case 'map': return html`<${MapPage} route=${route} />`
    case 'activity': return html`<${ActivityPage} />`
    default: return html`<${Tables} />`
  }
}

type Gate = { state: 'checking' } | { state: 'failed'; error: string } | { state: 'key'; error?: string } | { state: 'open'; auth: boolean }

function App(): VNode {
  const route = useRoute()
  const [gate, setGate] = useState<Gate>({ state: 'checking' })
  useEffect(() => {
    onUnauthorized((message) => setGate({ state: 'key', error: `The key was refused: ${message}` }))
    fetch('/health').then((r) => r.json() as Promise<{ auth?: boolean }>).then(
      (h) => setGate(h.auth === true && storedKey() === null ? { state: 'key' } : { state: 'open', auth: h.auth === true }),
      (err: unknown) => setGate({ state: 'failed', error: `the server does not answer: ${String(err)}` }),
    )
  }, [])
  const signOut = (): void => {
    storeKey(null)
    setGate({ state: 'key' })
  }
  return html`<div class="shell">
    <header>
      <h1><a href="#/">ailake</a> <span class="muted">console</span></h1>
      ${gate.state === 'open' ? html`<${Nav} route=${route} />` : null}
      ${gate.state === 'open' && gate.auth ? html`<button type="button" class="small" onClick=${signOut}>Forget key</button>` : null}
    </header>
    <main>
      ${gate.state === 'checking' ? html`<${Loading} what="the console" />`
        : gate.state === 'failed' ? html`<${ErrorBox} message=${gate.error} />`
        : gate.state === 'key' ? html`<${KeyPrompt} error=${gate.error} onKey=${(k: string) => { storeKey(k); setGate({ state: 'open', auth: true }) }} />`
        : html`<${Page} route=${route} key=${`${route.view}:${route.table ?? ''}`} />`}
    </main>
  </div>`
}

const root = document.getElementById('app')
if (root !== null) {
  root.textContent = ''
  render(html`<${App} />`, root)
}
