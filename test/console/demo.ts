/**
 * What the console tests and `npm run console:screenshots` share: a small demo warehouse built
 * with the deterministic hash embedder (three tables, several snapshots, a delete and an
 * optimize, so every page has something to show), a server on it, and headless Chromium.
 */
import { existsSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { chromium, type Browser } from 'playwright-core'
import { connect, type Lakehouse } from '../../src/index.js'
import { listen, type Listening } from '../../src/server/node.js'
import { clusteredVectors } from '../helpers/tmpdir.js'
import { hashEmbedder } from '../server/helpers.js'

export const DIM = 16
export const TOPICS = ['tea kettle brewing', 'rain forest canopy', 'jazz piano trio', 'tax law reform', 'mountain bike trail', 'deep sea fish']

export interface Demo {
  lake: Lakehouse
  /** Snapshot ids of demo.articles, oldest first, with the live rows each holds. */
  articleSnapshots: { id: string; liveRows: number }[]
}

/** demo.articles: 3 appends of 48 titled rows (embedded from the title), a delete, an optimize; demo.images and notes. */
export async function buildDemo(dir: string): Promise<Demo> {
  const embedder = hashEmbedder(DIM)
  const lake = await connect(dir)
  const articles = await lake.createTable('demo.articles', {
    vector: { dim: DIM, metric: 'cosine' }, embedder, fullText: ['title'],
    schema: { id: 'long', title: 'string', topic: 'string', year: 'int' },
  })
  let id = 0
  for (let batch = 0; batch < 3; batch++) {
    const rows = Array.from({ length: 48 }, (_, i) => {
      const topic = TOPICS[(i + batch) % TOPICS.length] as string
      id++
      return { id, title: `${topic} number ${id} ${['review', 'notes', 'guide', 'story'][id % 4]}`, topic: topic.split(' ')[0] as string, year: 2015 + (id % 10) }
    })
    await articles.add(rows, { embedFrom: 'title', embedder })
  }
  await articles.delete('year = 2016')
  await articles.optimize({ targetRowsPerFile: 30, expireOlderThan: false, orphansOlderThan: false })
  const articleSnapshots = articles.history().map((s) => ({ id: s.snapshotId.toString(), liveRows: s.totalRows - s.totalDeletes }))

  const images = await lake.createTable('demo.images', { vector: { dim: 12, metric: 'euclidean', precision: 'f16' }, schema: { id: 'long', label: 'string' } })
  const vecs = clusteredVectors(300, 12, 11, 5)
  for (let part = 0; part < 3; part++) {
    await images.add(vecs.slice(part * 100, part * 100 + 100).map((v, i) => ({ id: part * 100 + i, label: `img-${part * 100 + i}`, embedding: v })))
  }
  const notes = await lake.createTable('notes', { vector: { dim: DIM }, embedder, schema: { id: 'long', text: 'string' } })
  await notes.add(TOPICS.map((t, i) => ({ id: i, text: t })), { embedFrom: 'text', embedder })
  for (const t of [articles, images, notes]) await t.close()
  return { lake, articleSnapshots }
}

export function serveDemo(lake: Lakehouse): Promise<Listening> {
  return listen(lake, { port: 0, embedders: { 'test-hash': hashEmbedder(DIM) }, log: () => undefined })
}

/** Debian's chromium (or AILAKE_CHROMIUM), or undefined when there is none. */
export function chromiumPath(): string | undefined {
  const given = process.env.AILAKE_CHROMIUM
  if (given !== undefined && given !== '') return given
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim()
    return found === '' ? undefined : found
  } catch {
    return undefined
  }
}

export function launch(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-dev-shm-usage'] })
}

/**
 * Gives the Activity page something to show, through the server's API: an optimize of
 * demo.images (its report is returned) and `buffered` rows written to notes and not flushed.
 */
export async function stageActivity(url: string, buffered = 5): Promise<{ report: { filesBefore: number; filesAfter: number; rowsRewritten: number } }> {
  const post = async (path: string, body: unknown): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
    return res.json()
  }
  const report = await post('/v1/tables/demo.images/optimize', { targetRowsPerFile: 60 }) as { filesBefore: number; filesAfter: number; rowsRewritten: number }
  const texts = Array.from({ length: buffered }, (_, i) => `${TOPICS[i % TOPICS.length] as string} buffered ${i}`)
  const vectors = await hashEmbedder(DIM).embed(texts)
  await post('/v1/tables/notes/rows', { buffered: true, rows: texts.map((text, i) => ({ id: 100 + i, text, embedding: Array.from(vectors[i] as Float32Array) })) })
  return { report }
}
