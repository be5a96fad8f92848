import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ready } from '../src/index.js';
import { buildVectors } from './vectors.js';

await ready();
const directory = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'test-vectors');
for (const [name, content] of Object.entries(buildVectors())) {
  writeFileSync(join(directory, name), `${JSON.stringify(content, null, 2)}\n`);
  console.log(`wrote test-vectors/${name}`);
}
