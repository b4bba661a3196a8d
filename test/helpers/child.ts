import { spawn } from 'node:child_process'

export interface ChildResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null
  out: string
  err: string
}

export interface KillOptions {
  /** SIGKILL once the child has printed this many complete stdout lines (e.g. acknowledgements)... */
  afterLines: number
  /** ...this many ms after that line arrived (default 0). */
  delayMs?: number
  /** Bound on the wait: SIGKILL after this long even if fewer lines came (default 60 s). */
  fallbackMs?: number
}

/**
 * Runs a compiled script in a new Node process; with `kill`, SIGKILLs it once it has printed
 * `afterLines` lines. A child still running after `deadlineMs` (without `kill`) is killed and the
 * promise rejects, naming it.
 */
export function runNode(script: string, args: string[], kill?: KillOptions, deadlineMs = 100_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    let hung = false
    const fallback = kill === undefined
      ? setTimeout(() => { hung = true; child.kill('SIGKILL') }, deadlineMs)
      : setTimeout(() => child.kill('SIGKILL'), kill.fallbackMs ?? 60_000)
    let killing = false
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (kill === undefined || killing) return
      if (out.split('\n').length - 1 >= kill.afterLines) {
        killing = true
        setTimeout(() => child.kill('SIGKILL'), kill.delayMs ?? 0)
      }
    })
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.on('close', (code) => {
      clearTimeout(fallback)
      if (hung) reject(new Error(`${script} ${args.join(' ')} was still running after ${deadlineMs} ms; killed it. stderr: ${err.slice(-2000)}`))
      else resolve({ code, out, err })
    })
  })
}
