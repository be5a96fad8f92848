import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRelayReason, LIVE_PATH, RELAY_REASON_LIST, reasonSpec } from '@sealcam/protocol/relay-safe';
import { generateOpenApi, OPENAPI_PATH } from '../src/openapi/generate.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, unknown> }>;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties: { error: { enum: string[] } } }> };
};

describe('OpenAPI document (docs/relay-openapi.json)', () => {
  it('is what the code generates (run `npm run openapi` after changing a route)', async () => {
    const committed: unknown = JSON.parse(readFileSync(join(root, OPENAPI_PATH), 'utf8'));
    assert.deepEqual(committed, await generateOpenApi());
  });

  it('documents for every operation its path parameters, a success and its error replies', async () => {
    const document = (await generateOpenApi()) as unknown as Document;
    let operations = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        operations += 1;
        const where = `${method.toUpperCase()} ${path}`;
        const named = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
        const documented = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        assert.deepEqual(documented.sort(), named.sort(), `${where}: path parameters`);
        const statuses = Object.keys(operation.responses);
        assert.ok(
          statuses.some((status) => /^[12]\d\d$/.test(status)),
          `${where}: a success reply`,
        );
        if (path === LIVE_PATH)
          assert.deepEqual(
            statuses.sort(),
            ['101', '400', '401', '429', '503'],
            `${where}: the handshake's replies`,
          );
        if (path.startsWith('/v1/') && path !== LIVE_PATH) {
          for (const status of ['400', '500', '503'])
            assert.ok(statuses.includes(status), `${where}: documents ${status}`);
        }
        for (const [status, reply] of Object.entries(operation.responses)) {
          if (status === '101' || status === '204') continue;
          assert.ok(reply.content, `${where} ${status}: a reply body`);
        }
        if (method === 'put' || (method === 'post' && path !== '/v1/auth/challenge'))
          assert.ok(operation.requestBody, `${where}: a request body`);
      }
    }
    assert.ok(operations >= 21, `${operations} operations`);
  });

  it('error bodies name reasons of the registry only, and every HTTP reason of it appears', async () => {
    const document = (await generateOpenApi()) as unknown as Document;
    const used = new Set<string>();
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      if (!name.startsWith('Error')) continue;
      for (const reason of schema.properties.error.enum) {
        assert.ok(isRelayReason(reason), `${name}: ${reason}`);
        used.add(reason);
      }
    }
    for (const reason of RELAY_REASON_LIST) {
      if (reasonSpec(reason).http) assert.ok(used.has(reason), `${reason} is documented`);
    }
  });
});
