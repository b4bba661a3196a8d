import { spawn } from 'node:child_process'

export interface ChildResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null
  out: string
  err: string
}

/**
 * Runs a compiled script in a new Node process; `killAfterMs` sends SIGKILL after that long.
 * A child still running after `deadlineMs` is killed and the promise rejects, naming it.
 */
export function runNode(script: string, args: string[], killAfterMs?: number, deadlineMs = 100_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let hung = false
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    const kill = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    const deadline = setTimeout(() => { hung = true; child.kill('SIGKILL') }, deadlineMs)
    child.on('close', (code) => {
      clearTimeout(kill)
      clearTimeout(deadline)
      if (hung) reject(new Error(`${script} ${args.join(' ')} was still running after ${deadlineMs} ms; killed it. stderr: ${err.slice(-2000)}`))
      else resolve({ code, out, err })
    })
  })
}
