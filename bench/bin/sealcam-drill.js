#!/usr/bin/env node
// Committed, not built: npm links `sealcam-drill` at install before the first build; it runs the built command.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/drill/main.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('sealcam-drill: not built yet; run "npm run build" in the repository root first\n');
  process.exit(2);
}
await import(compiled.href);
