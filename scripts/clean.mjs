// Removes build output so deleted sources never leave stale compiled tests behind.
import { rmSync } from 'node:fs'
for (const dir of process.argv.slice(2)) rmSync(dir, { recursive: true, force: true })
