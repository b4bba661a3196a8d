/** The key form: shown before anything loads when the server needs a key, and after a refusal. */
import { html } from 'htm/preact'
import { useState } from 'preact/hooks'
import type { VNode } from 'preact'

export function KeyPrompt({ error, onKey }: { error?: string; onKey: (key: string) => void }): VNode {
  const [key, setKey] = useState('')
  const submit = (e: Event): void => {
    e.preventDefault()
    if (key.trim() !== '') onKey(key.trim())
  }
  return html`<section class="card key-prompt" aria-labelledby="key-title">
    <h2 id="key-title">API key</h2>
    <p>This server needs an API key (make one with <code>ailake keys create --grant read:*</code>). It is kept in this tab only.</p>
    <form onSubmit=${submit}>
      <label for="api-key">Key</label>
      <input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck=${false} required
        value=${key} onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} autofocus />
      <button type="submit">Open the console</button>
    </form>
    ${error !== undefined && html`<p class="error" role="alert">${error}</p>`}
  </section>`
}
