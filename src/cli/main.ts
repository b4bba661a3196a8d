#!/usr/bin/env node
/** The `ailake` executable (package.json "bin"). */
import { run } from './run.js'

const code = await run(process.argv.slice(2), {
  out: (text) => { process.stdout.write(`${text}\n`) },
  err: (text) => { process.stderr.write(text) },
  tty: process.stderr.isTTY === true,
  env: process.env,
})
process.exitCode = code
