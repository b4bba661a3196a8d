/** `ailake wal`: the write-ahead logs under a table; `--discard <writer>` deletes a damaged one. */
import type { WalInfo } from '../index.js'
import { JSON_FLAG, type Command } from './command.js'
import { bytes, count, renderTable, toJson } from './format.js'
import { openTable } from './words.js'

export const walCommand: Command = {
  positionals: ['table'],
  options: { discard: { type: 'string' }, ...JSON_FLAG },
  async run(lake, [name], values, io) {
    const table = await openTable(lake, name as string)
    const writer = values.discard as string | undefined
    if (writer !== undefined) {
      const r = await table.discardWal(writer)
      io.out(values.json === true ? toJson(r, 2) : `discarded the write-ahead log of ${r.writerId}: ${r.segments} segment(s); ${count(r.rows)} rows not yet committed were lost`)
      return
    }
    const wals = await table.wals()
    if (values.json === true) io.out(toJson(wals, 2))
    else io.out(wals.length === 0 ? `${table.name} has no write-ahead logs` : formatWals(wals))
  },
}

function leaseText(w: WalInfo): string {
  if (w.lease === null) return 'none'
  return `${w.lease.live ? 'live' : 'expired'} (pid ${w.lease.pid}${w.lease.host === '' ? '' : ` on ${w.lease.host}`})`
}

function formatWals(wals: WalInfo[]): string {
  const rows = wals.map((w) => ({
    writer: w.writerId, lease: leaseText(w), segments: w.segments, size: bytes(w.bytes),
    'committed seq': w.committedSeq, 'pending rows': w.pendingRows, damage: w.damage === undefined ? '' : 'DAMAGED',
  }))
  const lines = [renderTable(rows, Object.keys(rows[0] ?? {}))]
  for (const w of wals) if (w.damage !== undefined) lines.push(`${w.writerId}: ${w.damage.message}`)
  return lines.join('\n')
}
