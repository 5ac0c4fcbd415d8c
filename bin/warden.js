#!/usr/bin/env node
// The `warden` command: runs the compiled CLI (built into dist/ by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('warden: dist/ is missing; run `npm run build` (npm install does it for you)');
  process.exit(2);
}
await import(entry.href);
