// The part of autocannon 9 (which ships no types) that bench/serve.ts uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  interface RequestParams { method?: string; path?: string; headers?: Record<string, string>; body?: string }
  interface Options {
    url: string
    connections?: number
    duration?: number
    requests?: (RequestParams & { setupRequest?: (req: RequestParams) => RequestParams })[]
  }
  interface Result { duration: number; errors: number; timeouts: number }
  type Instance = EventEmitter & PromiseLike<Result>

  function autocannon(options: Options): Instance
  export default autocannon
}
