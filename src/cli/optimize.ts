/** `ailake optimize`: cluster rows into files, drop deleted rows, expire old snapshots. */
import { JSON_FLAG, intOption, type Command } from './command.js'
import { count, duration, toJson } from './format.js'
import { openTable } from './words.js'

export const optimizeCommand: Command = {
  positionals: ['table'],
  options: { 'target-rows': { type: 'string' }, full: { type: 'boolean' }, 'no-cluster': { type: 'boolean' }, 'keep-snapshots': { type: 'boolean' }, ...JSON_FLAG },
  async run(lake, [name], values, io) {
    const table = await openTable(lake, name as string)
    try {
      const started = performance.now()
      const report = await table.optimize({
        targetRowsPerFile: intOption(values, 'target-rows', 50_000),
        full: values.full === true,
        cluster: values['no-cluster'] !== true,
        ...(values['keep-snapshots'] === true ? { expireOlderThan: false as const, orphansOlderThan: false as const } : {}),
        onProgress: (p) => { if (io.tty) io.err(`\r${p.phase} ${p.done}/${p.total}   `) },
      })
      if (io.tty) io.err('\n')
      if (values.json === true) {
        io.out(toJson(report, 2))
        return
      }
      if (report.mode === 'none') io.out(`nothing to optimize in ${table.name}: ${report.reason}`)
      else {
        io.out(`optimized ${table.name} (${report.mode}: ${report.reason}) in ${duration(performance.now() - started)}; snapshot ${String(report.snapshotId)}`)
        io.out(`files ${report.filesBefore} -> ${report.filesAfter}, ${report.clusters} cluster(s); rewrote ${count(report.rowsRewritten)} rows (${count(report.bytesWritten)} bytes), dropped ${count(report.deletedRowsRemoved)} deleted rows`)
      }
      if (report.expired !== undefined) io.out(`expired ${report.expired.expiredSnapshots} snapshot(s), removed ${report.orphanFiles ?? 0} orphan file(s)`)
    } finally {
      await table.close()
    }
  },
}
