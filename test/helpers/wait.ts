/**
 * Polling with a deadline: tests wait for a condition this way, never with an open-ended loop,
 * so a condition that never comes fails the test with what it waited for.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
