import { loadConfig } from '../config/config.js';
import { createRelay } from '../server.js';
import { openApiDocument } from './openapi.js';

/** Where the published document lives, from the repository root. */
export const OPENAPI_PATH = 'docs/relay-openapi.json';

/** Builds a relay with the default options (memory store, not listening) and returns its document. */
export async function generateOpenApi(): Promise<Record<string, unknown>> {
  const relay = await createRelay(loadConfig({}, { logLevel: 'silent' }));
  try {
    await relay.app.ready();
    return openApiDocument(relay.app);
  } finally {
    await relay.close();
  }
}
