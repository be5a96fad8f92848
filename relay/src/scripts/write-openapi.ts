import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateOpenApi, OPENAPI_PATH } from '../openapi/generate.js';

/** Writes docs/relay-openapi.json from the routes' schemas (`npm run openapi`). */
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '..');
const target = join(root, OPENAPI_PATH);
writeFileSync(target, `${JSON.stringify(await generateOpenApi(), null, 2)}\n`);
process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
