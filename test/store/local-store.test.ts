import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { LocalStore } from '../../src/store/local-store.js'
import { runStoreContract } from './contract.js'

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'ailake-store-'))
}

runStoreContract('LocalStore', async () => {
  const root = await tempDir()
  return { store: new LocalStore({ root: path.join(root, 'not-yet-created') }), cleanup: () => rm(root, { recursive: true, force: true }) }
})
