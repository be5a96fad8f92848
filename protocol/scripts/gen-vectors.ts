import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ready } from '../src/index.js';
import { buildVectors } from './vectors.js';

if (process.argv.includes('--help')) {
  process.stdout.write(
    'Usage: npm run vectors\n\nRegenerates the sealcam protocol test vectors (test-vectors/*.json); the tests fail if they drift.\n',
  );
  process.exit(0);
}
await ready();
const directory = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test-vectors');
for (const [name, content] of Object.entries(buildVectors())) {
  writeFileSync(join(directory, name), `${JSON.stringify(content, null, 2)}\n`);
  console.log(`wrote test-vectors/${name}`);
}
