#!/usr/bin/env -S node --max-semi-space-size=64 --initial-old-space-size=256 --conditions=sealcam-relay
// Committed, not built: npm links `sealcam-relay` at install before the first build; it runs the built command.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('sealcam-relay: not built yet; run "npm run build" in the repository root first\n');
  process.exit(2);
}
await import(compiled.href);
