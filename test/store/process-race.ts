// Several OS processes racing putIfAbsent on the same keys. This file is also the child's entry
// point: run with AILAKE_RACE_CHILD set, it acts as one racing writer and prints its wins.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import { LocalStore } from '../../src/store/local-store.js'
import { S3Store, type S3StoreOptions } from '../../src/store/s3-store.js'
import type { ObjectStore } from '../../src/store/object-store.js'

export type RaceStoreSpec = { kind: 'local'; root: string } | { kind: 's3'; options: S3StoreOptions }

const CHILD_DEADLINE_MS = 60_000

interface ChildConfig {
  store: RaceStoreSpec
  writer: number
  keys: string[]
  size: number
  startAt: number
}

function openStore(spec: RaceStoreSpec): ObjectStore {
  return spec.kind === 'local' ? new LocalStore({ root: spec.root }) : new S3Store(spec.options)
}

/** A self-describing payload: a header line naming writer and key, then bytes derived from both. */
export function payload(writer: number, key: string, size: number): Uint8Array {
  const head = new TextEncoder().encode(`${JSON.stringify({ w: writer, k: key, n: size })}\n`)
  const out = new Uint8Array(Math.max(size, head.length))
  out.set(head)
  let x = (writer * 2654435761) ^ key.length
  for (let i = head.length; i < out.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}

/** Returns the writer of a complete, intact payload; throws if the bytes are partial or mixed. */
export function writerOf(bytes: Uint8Array, key: string): number {
  const nl = bytes.indexOf(10)
  assert.ok(nl > 0, `${key}: no header line in ${bytes.length} bytes`)
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(0, nl))) as { w: number; k: string; n: number }
  assert.equal(h.k, key)
  assert.equal(bytes.length, h.n, `${key}: object has ${bytes.length} bytes, writer ${h.w} wrote ${h.n}`)
  assert.ok(Buffer.from(bytes).equals(Buffer.from(payload(h.w, key, h.n))), `${key}: bytes differ from writer ${h.w}'s payload`)
  return h.w
}

/**
 * Spawns `writers` processes that all putIfAbsent every key at the same moment, while this
 * process keeps reading the keys and checking that every visible object is complete.
 * Asserts exactly one winner per key and that the stored bytes are the winner's.
 */
export async function raceProcesses(spec: RaceStoreSpec, opts: { writers: number; keys: string[]; size: number }): Promise<{ reads: number }> {
  const startAt = Date.now() + 1500
  const file = fileURLToPath(import.meta.url)
  const children = Array.from({ length: opts.writers }, (_, writer) => new Promise<string[]>((resolve, reject) => {
    const config: ChildConfig = { store: spec, writer, keys: opts.keys, size: opts.size, startAt }
    const child = spawn(process.execPath, [file], { env: { ...process.env, AILAKE_RACE_CHILD: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    // A child that never finishes fails the race (and ends this process's watch loop) instead of hanging it.
    let hung = false
    const deadline = setTimeout(() => { hung = true; child.kill('SIGKILL') }, CHILD_DEADLINE_MS)
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    // 'close' (not 'exit') fires after stdout has been fully read.
    child.on('close', (code) => {
      clearTimeout(deadline)
      if (hung) reject(new Error(`race child ${writer} was still running after ${CHILD_DEADLINE_MS} ms; killed it: ${err}`))
      else if (code !== 0) reject(new Error(`race child ${writer} exited with ${code}: ${err}`))
      else resolve((JSON.parse(out) as { wins: string[] }).wins)
    })
  }))
  const store = openStore(spec)
  let done = false
  let reads = 0
  const watch = async (): Promise<void> => {
    while (!done) {
      for (const key of opts.keys) {
        const bytes = await store.get(key).catch((e: unknown) => {
          if ((e as { code?: string }).code === 'NOT_FOUND') return undefined
          throw e
        })
        if (bytes !== undefined) {
          writerOf(bytes, key)
          reads++
        }
      }
      await new Promise((r) => setTimeout(r, 2))
    }
  }
  try {
    const [wins] = await Promise.all([Promise.all(children).finally(() => (done = true)), watch()])
    for (const key of opts.keys) {
      const winners = wins.flatMap((w, i) => (w.includes(key) ? [i] : []))
      assert.equal(winners.length, 1, `${key}: winners ${JSON.stringify(winners)}`)
      assert.equal(writerOf(await store.get(key), key), winners[0])
    }
    return { reads }
  } finally {
    done = true
    await store.close()
  }
}

async function childMain(config: ChildConfig): Promise<void> {
  const store = openStore(config.store)
  const bodies = config.keys.map((k) => payload(config.writer, k, config.size))
  await new Promise((r) => setTimeout(r, Math.max(0, config.startAt - Date.now())))
  const results = await Promise.all(config.keys.map((k, i) => store.putIfAbsent(k, bodies[i] as Uint8Array)))
  await store.close()
  process.stdout.write(JSON.stringify({ wins: config.keys.filter((_, i) => results[i]) }))
}

const childEnv = process.env.AILAKE_RACE_CHILD
if (childEnv !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  await childMain(JSON.parse(childEnv) as ChildConfig)
}
