/** Distance metrics. `euclidean` is squared L2 internally; `dot` is negated inner product. */
export type Metric = 'cosine' | 'euclidean' | 'dot'

/** How vectors are stored in the data file's vector column. */
export type Precision = 'f32' | 'f16' | 'i8'

export const METRICS: readonly Metric[] = ['cosine', 'euclidean', 'dot']
export const PRECISIONS: readonly Precision[] = ['f32', 'f16', 'i8']
