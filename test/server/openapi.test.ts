// /openapi.json is written by hand; this checks it against the routes the app really serves:
// the same paths and methods both ways, and each documented operation reachable.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from '../../src/index.js'
import { createApp } from '../../src/server/index.js'
import { tempDir } from '../helpers/tmpdir.js'
import { send } from './helpers.js'

const METHODS = ['get', 'post', 'put', 'delete', 'head', 'patch']

test('/openapi.json documents exactly the routes served', async () => {
  const { dir, cleanup } = await tempDir('ailake-openapi-')
  const lake = await connect(dir)
  try {
    const { app, close } = createApp(lake)
    const doc = await send(app, 'GET', '/openapi.json')
    assert.equal(doc.status, 200)
    assert.equal(doc.json.openapi, '3.1.0')
    const documented = new Set<string>()
    const heads: string[] = []
    for (const [path, ops] of Object.entries(doc.json.paths as Record<string, Record<string, unknown>>)) {
      for (const m of Object.keys(ops).filter((k) => METHODS.includes(k))) {
        if (m === 'head') heads.push(path)
        else documented.add(`${m.toUpperCase()} ${path}`)
      }
    }
    const served = new Set<string>()
    for (const r of app.routes) {
      if (r.path === '/*') continue // middleware
      const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}')
      // /mcp takes every method and answers all but POST with 405.
      served.add(`${r.method === 'ALL' ? 'POST' : r.method} ${path}`)
    }
    assert.deepEqual([...documented].sort(), [...served].sort())
    for (const path of heads) assert.ok(served.has(`GET ${path}`), `HEAD ${path} is answered by a GET route`)

    // Each documented operation reaches its handler (an auth, validation or not-found answer, never "no route").
    for (const op of documented) {
      const [method, path] = op.split(' ') as [string, string]
      const concrete = path.replace('{table}', 'default.t').replace('{prefix}', 'ailake').replace('{namespace}', 'default')
      const r = await send(app, method, concrete, method === 'POST' ? { body: {} } : {})
      assert.ok(!/^no route/.test(r.json?.error?.message ?? ''), `${op}: ${r.status} ${r.text.slice(0, 200)}`)
    }
    await close()
  } finally {
    await lake.close()
    await cleanup()
  }
})
