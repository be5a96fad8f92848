import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ready } from '@sealcam/protocol';
import { LIVE_PATH } from '@sealcam/protocol/relay-safe';
import Fastify, { type FastifySchema } from 'fastify';
import { declaredStatuses, guardDeclaredStatuses } from '../src/http/declared-statuses.js';
import { generateOpenApi } from '../src/openapi/generate.js';
import { createMetrics } from '../src/ops/metrics.js';
import { authenticate, http } from './support/relay-client.js';
import { startInProcessRelay } from './support/relay-process.js';
import { idOf, people } from './support/world.js';

await ready();

type Paths = Record<string, Record<string, unknown>>;

/** Bodies and media types no route expects, besides one of each kind a route may expect. */
const ODD_BODIES: { type?: string; body?: string | Uint8Array }[] = [
  {},
  { type: 'text/plain', body: 'x' },
  { type: 'application/xml', body: '<a/>' },
  { type: 'application/json', body: '{' },
  { type: 'application/json', body: '{}' },
  { type: 'application/octet-stream', body: new Uint8Array(0) },
  { type: 'application/octet-stream', body: new Uint8Array(10) },
  { type: 'application/octet-stream', body: new Uint8Array(5000) },
];

describe('undeclared status guard', () => {
  it('reads exact statuses, classes and default from a response schema', () => {
    const declared = declaredStatuses({ 200: {}, '4XX': {} });
    assert.deepEqual(
      [200, 201, 404, 429, 500].map((status) => declared(status)),
      [true, false, true, true, false],
    );
    assert.equal(declaredStatuses({ default: {} })(599), true);
  });

  it('counts a reply whose status its route does not declare, and only that one', async () => {
    const metrics = createMetrics();
    const app = Fastify({ logger: false });
    guardDeclaredStatuses(app, metrics);
    const schema: FastifySchema = {
      response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } },
    };
    app.get('/declared', { schema }, async () => ({ ok: true }));
    app.get('/undeclared', { schema }, async (_request, reply) => reply.code(409).send({ ok: false }));
    app.get('/no-schema', async (_request, reply) => reply.code(418).send('teapot'));
    try {
      assert.equal((await app.inject({ method: 'GET', url: '/declared' })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url: '/undeclared' })).statusCode, 409);
      assert.equal((await app.inject({ method: 'GET', url: '/no-schema' })).statusCode, 418);
      const { values } = await metrics.undeclaredStatuses.get();
      assert.deepEqual(
        values.map(({ labels, value }) => ({ ...labels, value })),
        [{ method: 'GET', route: '/undeclared', status: '409', value: 1 }],
      );
    } finally {
      await app.close();
    }
  });

  it('finds no undeclared status when every operation of the document gets odd input', async () => {
    const { paths } = (await generateOpenApi()) as { paths: Paths };
    const running = await startInProcessRelay({ maxObjectBytes: 1024 });
    try {
      const p = people();
      const tokens = [
        undefined,
        await authenticate(running.base, p.device),
        await authenticate(running.base, p.owner),
      ];
      const values: Record<string, string> = { streamId: 'cam-1', epoch: '1', index: '0' };
      let requests = 0;
      for (const [template, methods] of Object.entries(paths)) {
        if (template === LIVE_PATH) continue;
        const path = template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? idOf(p.device));
        for (const method of Object.keys(methods)) {
          for (const token of tokens) {
            for (const { type, body } of method === 'get' ? [{}] : ODD_BODIES) {
              await http(running.base, method.toUpperCase(), path, {
                token,
                body,
                headers: type ? { 'content-type': type } : {},
              });
              requests += 1;
            }
          }
        }
      }
      assert.ok(requests > 200, `${requests} requests`);
      assert.deepEqual(await running.undeclaredReplies(), []);
    } finally {
      await running.stop();
    }
  });
});
