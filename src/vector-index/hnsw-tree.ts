/**
 * The level-0 spanning tree of an HNSW graph: `parent[i]` is node i's parent (-1 for the root).
 * The index never prunes a tree edge, in either direction (node → parent, parent → node), so
 * level 0 stays strongly connected and a beam as large as the graph reaches every node.
 */
import type { HnswGraph } from './hnsw-graph.js'

/** True when the level-0 edge between `node` and `x` is a tree edge. */
export function isTreeEdge(parent: Int32Array, node: number, x: number): boolean {
  return parent[x] === node || parent[node] === x
}

/** Tree children of `node`: all of them are in its level-0 list, so counting there is exact. */
export function treeChildren(parent: Int32Array, g: HnswGraph, node: number): number {
  const links = g.links0
  const base = node * (2 * g.M + 1)
  const n = links[base] as number
  let c = 0
  for (let i = 1; i <= n; i++) if (parent[links[base + i] as number] === node) c++
  return c
}

/**
 * A spanning tree of the graph's two-way level-0 edges, breadth-first from the entry, for an
 * index restored from bytes (which keep no tree). Every graph built by HnswIndex contains one;
 * nodes it cannot reach (a graph written otherwise) keep parent -1.
 */
export function treeFromTwoWayEdges(g: HnswGraph, capacity: number): Int32Array {
  const parent = new Int32Array(capacity).fill(-1)
  if (g.count === 0) return parent
  const stride = 2 * g.M + 1
  const links = g.links0
  const seen = new Uint8Array(g.count)
  const queue = [g.entry]
  seen[g.entry] = 1
  for (let h = 0; h < queue.length; h++) {
    const u = queue[h] as number
    const n = links[u * stride] as number
    for (let i = 1; i <= n; i++) {
      const v = links[u * stride + i] as number
      if (seen[v] === 1) continue
      const back = links.subarray(v * stride + 1, v * stride + 1 + (links[v * stride] as number))
      if (!back.includes(u)) continue
      seen[v] = 1
      parent[v] = u
      queue.push(v)
    }
  }
  return parent
}
