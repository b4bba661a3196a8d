/** `ailake expire`: drop old snapshots and the files only they used; optionally orphan files. */
import { JSON_FLAG, intOption, type Command } from './command.js'
import { UsageError } from './exit-codes.js'
import { toJson } from './format.js'
import { openTable } from './words.js'

export const expireCommand: Command = {
  positionals: ['table'],
  options: { 'older-than': { type: 'string' }, 'retain-last': { type: 'string' }, orphans: { type: 'boolean' }, ...JSON_FLAG },
  async run(lake, [name], values, io) {
    const olderThan = values['older-than'] === undefined ? undefined : parseTime(values['older-than'] as string, 'older-than')
    const retainLast = values['retain-last'] === undefined ? undefined : intOption(values, 'retain-last', 1)
    const table = await openTable(lake, name as string)
    const result = await table.expireSnapshots({
      ...(olderThan !== undefined && { olderThan }),
      ...(retainLast !== undefined && { retainLast }),
    })
    const orphans = values.orphans === true ? await table.removeOrphanFiles(olderThan === undefined ? {} : { olderThan }) : []
    if (values.json === true) io.out(toJson({ ...result, orphanFiles: orphans.length }, 2))
    else {
      io.out(`expired ${result.expiredSnapshots} snapshot(s); deleted ${result.deletedDataFiles} data file(s), ${result.deletedManifests} manifest(s), ${result.deletedManifestLists} manifest list(s), ${result.deletedMetadataFiles} metadata file(s)`)
      if (values.orphans === true) io.out(`removed ${orphans.length} orphan file(s)`)
    }
  },
}

/** An ISO date/time, epoch milliseconds, or an age such as `7d`, `12h`, `30m` (that long ago). */
function parseTime(raw: string, flag: string): Date {
  const age = /^(\d+)([dhm])$/.exec(raw)
  if (age !== null) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[age[2] as 'd' | 'h' | 'm']
    return new Date(Date.now() - Number(age[1]) * unit)
  }
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)
  if (!Number.isFinite(t)) throw new UsageError(`--${flag} must be an ISO date, epoch milliseconds or an age like 7d / 12h / 30m, got ${JSON.stringify(raw)}`)
  return new Date(t)
}
