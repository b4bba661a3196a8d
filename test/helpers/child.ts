import { spawn } from 'node:child_process'

export interface ChildResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null
  out: string
  err: string
}

/** Runs a compiled script in a new Node process; `killAfterMs` sends SIGKILL after that long. */
export function runNode(script: string, args: string[], killAfterMs?: number): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.on('close', (code) => resolve({ code, out, err }))
  })
}
