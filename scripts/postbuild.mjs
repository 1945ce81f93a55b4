// Marks the built CLI executable (tsc does not keep modes), so `npx passport-mcp` works from a fresh clone.
import { chmodSync, existsSync } from 'node:fs';
const entry = new URL('../dist/cli.js', import.meta.url);
if (existsSync(entry)) chmodSync(entry, 0o755);
