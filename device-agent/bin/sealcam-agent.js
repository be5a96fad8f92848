#!/usr/bin/env node
// Committed, not built: npm links `sealcam-agent` at install before the first build; it runs the built command.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('sealcam-agent: not built yet; run "npm run build" in the repository root first\n');
  process.exit(2);
}
await import(compiled.href);
