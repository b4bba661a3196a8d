/**
 * `ailake keys create|list|revoke`: the API keys `ailake serve` accepts. Keys are stored in the
 * warehouse as hashes only; a new key is printed once and cannot be shown again.
 */
import type { Lakehouse } from '../index.js'
import { loadServerPeer } from './server-peers.js'
import { JSON_FLAG, type Command, type Io, type Values } from './command.js'
import { UsageError } from './exit-codes.js'
import { renderTable, toJson } from './format.js'

async function keys(lake: Lakehouse, [action, id]: string[], values: Values, io: Io): Promise<void> {
  const { KeyStore } = await loadServerPeer('keys', () => import('../server/index.js'))
  const store = new KeyStore(lake.store)
  switch (action) {
    case 'create': {
      if (id !== undefined) throw new UsageError(`keys create takes no id (got ${JSON.stringify(id)}); grants go in --grant`)
      const grants = ((values.grant as string | undefined) ?? '').split(',').map((g) => g.trim()).filter((g) => g !== '')
      if (grants.length === 0) throw new UsageError('keys create needs --grant, e.g. --grant read:* or --grant write:sales,read:*')
      const { key, record } = await store.create(grants, values.name as string | undefined)
      if (values.json === true) io.out(toJson({ key, ...record }, 2))
      else {
        io.out(key)
        io.err(`ailake: key ${record.id} created with ${record.grants.join(', ')}; it is shown only now: keep it somewhere safe\n`)
      }
      return
    }
    case 'list': {
      if (id !== undefined) throw new UsageError('keys list takes no id')
      const all = (await store.list()).map((k) => ({ id: k.id, name: k.name ?? '', grants: k.grants.join(','), created: k.created }))
      if (values.json === true) io.out(toJson(all, 2))
      else io.out(all.length === 0 ? 'no API keys (ailake serve then answers only on this machine)' : renderTable(all, ['id', 'name', 'grants', 'created']))
      return
    }
    case 'revoke': {
      if (id === undefined) throw new UsageError('keys revoke needs the key id (ailake keys list shows them)')
      await store.revoke(id)
      io.out(`revoked key ${id}`)
      return
    }
  }
  throw new UsageError(`keys takes create, list or revoke, got ${JSON.stringify(action)}`)
}

export const keysCommand: Command = {
  positionals: ['action', 'id?'],
  options: { grant: { type: 'string' }, name: { type: 'string' }, ...JSON_FLAG },
  run: keys,
}
