/**
 * The map's 2-D projection: principal component analysis of n points of dimension dim, by
 * power iteration on the covariance (never formed: X^T X v is computed from the rows), the
 * second component deflated against the first. Plain arithmetic, so it runs in a worker, a
 * page or Node (where the tests check it). Deterministic: the start vectors are fixed.
 */
export interface Projection {
  mean: Float64Array
  /** Two unit vectors, the directions of most and next-most variance. */
  axes: [Float64Array, Float64Array]
  /** n × 2 coordinates of the points. */
  points: Float64Array
}

const ITERATIONS = 100

/** X^T X v over centred rows. */
function covTimes(data: Float32Array, n: number, dim: number, mean: Float64Array, v: Float64Array): Float64Array<ArrayBuffer> {
  const out = new Float64Array(dim)
  for (let i = 0; i < n; i++) {
    let dot = 0
    for (let j = 0; j < dim; j++) dot += ((data[i * dim + j] as number) - (mean[j] as number)) * (v[j] as number)
    for (let j = 0; j < dim; j++) out[j] = (out[j] as number) + dot * ((data[i * dim + j] as number) - (mean[j] as number))
  }
  return out
}

function normalise(v: Float64Array): number {
  let s = 0
  for (const x of v) s += x * x
  const norm = Math.sqrt(s)
  if (norm > 0) for (let j = 0; j < v.length; j++) v[j] = (v[j] as number) / norm
  return norm
}

function removeComponent(v: Float64Array, axis: Float64Array): void {
  let dot = 0
  for (let j = 0; j < v.length; j++) dot += (v[j] as number) * (axis[j] as number)
  for (let j = 0; j < v.length; j++) v[j] = (v[j] as number) - dot * (axis[j] as number)
}

function component(data: Float32Array, n: number, dim: number, mean: Float64Array, seed: number, against?: Float64Array): Float64Array {
  let v: Float64Array<ArrayBuffer> = new Float64Array(dim)
  for (let j = 0; j < dim; j++) v[j] = Math.sin((j + 1) * (seed + 1) * 12.9898) + 0.5
  if (against !== undefined) removeComponent(v, against)
  normalise(v)
  for (let it = 0; it < ITERATIONS; it++) {
    const next = covTimes(data, n, dim, mean, v)
    if (against !== undefined) removeComponent(next, against)
    if (normalise(next) === 0) break
    v = next
  }
  return v
}

/** Coordinates of `vector` on the projection's axes. */
export function project(p: Pick<Projection, 'mean' | 'axes'>, vector: ArrayLike<number>): [number, number] {
  let x = 0
  let y = 0
  for (let j = 0; j < p.mean.length; j++) {
    const c = (vector[j] as number) - (p.mean[j] as number)
    x += c * (p.axes[0][j] as number)
    y += c * (p.axes[1][j] as number)
  }
  return [x, y]
}

export function pca2(data: Float32Array, n: number, dim: number): Projection {
  const mean = new Float64Array(dim)
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (data[i * dim + j] as number) / n
  const first = component(data, n, dim, mean, 0)
  const second = component(data, n, dim, mean, 1, first)
  const p = { mean, axes: [first, second] as [Float64Array, Float64Array] }
  const points = new Float64Array(n * 2)
  for (let i = 0; i < n; i++) {
    const [x, y] = project(p, data.subarray(i * dim, (i + 1) * dim))
    points[2 * i] = x
    points[2 * i + 1] = y
  }
  return { ...p, points }
}
