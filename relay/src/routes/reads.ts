import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RelayContext } from '../context.js';
import { badRequest, forbidden, notFound } from '../http/errors.js';
import { requireSession } from '../http/session.js';
import type { EventItem } from '../store/store.js';
import { chunkParams, deviceParams, eventParams, manifestParams, streamParams } from './schemas.js';

/**
 * Reads by viewers (and the device itself). Access control is the second line only: whatever the
 * relay serves is sealed, so a wrong answer here exposes nothing.
 */
export function readRoutes(app: FastifyInstance, context: RelayContext): void {
  async function reader(request: FastifyRequest, deviceId: string, need: 'read' | 'delete' = 'read') {
    const session = await requireSession(context, request);
    const access = await context.access(session, deviceId);
    if (access === 'none') throw forbidden('no-grant', 'this device has not registered a grant for you');
    if (need === 'delete' && access === 'viewer')
      throw forbidden('not-owner', 'only the device or its owner may delete');
    return session;
  }

  function send(reply: FastifyReply, bytes: Uint8Array | null, what: string) {
    if (!bytes) throw notFound(`${what} not found`);
    context.metrics.bytesOut.inc({ kind: what }, bytes.length);
    return reply
      .type('application/octet-stream')
      .header('cache-control', 'no-store')
      .send(Buffer.from(bytes));
  }

  app.get<{ Params: { deviceId: string } }>(
    '/v1/devices/:deviceId/card',
    { schema: { params: deviceParams } },
    async (request, reply) => {
      await reader(request, request.params.deviceId);
      return send(reply, await context.store.getCard(request.params.deviceId), 'card');
    },
  );

  app.get<{ Params: { deviceId: string } }>(
    '/v1/devices/:deviceId/access-list',
    { schema: { params: deviceParams } },
    async (request, reply) => {
      await reader(request, request.params.deviceId);
      return send(reply, await context.store.getAccessList(request.params.deviceId), 'access-list');
    },
  );

  app.get<{ Params: { deviceId: string } }>(
    '/v1/devices/:deviceId/streams',
    { schema: { params: deviceParams } },
    async (request) => {
      await reader(request, request.params.deviceId);
      return { streams: await context.store.listStreams(request.params.deviceId) };
    },
  );

  app.get<{ Params: { deviceId: string; streamId: string; epoch: string } }>(
    '/v1/devices/:deviceId/streams/:streamId/manifests/:epoch',
    {
      schema: {
        params: manifestParams({ type: 'string', pattern: '^(latest|[0-9]{1,10})$' }),
      },
    },
    async (request, reply) => {
      const { deviceId, streamId, epoch } = request.params;
      await reader(request, deviceId);
      const which = epoch === 'latest' ? 'latest' : Number(epoch);
      if (which !== 'latest' && which > 0xffffffff) throw badRequest('epoch', 'epoch out of range');
      return send(reply, await context.store.getManifest(deviceId, streamId, which), 'manifest');
    },
  );

  app.get<{ Params: { deviceId: string; streamId: string } }>(
    '/v1/devices/:deviceId/streams/:streamId/keyframe',
    { schema: { params: streamParams } },
    async (request, reply) => {
      const { deviceId, streamId } = request.params;
      await reader(request, deviceId);
      return send(reply, await context.store.getKeyframe(deviceId, streamId), 'keyframe');
    },
  );

  app.get<{
    Params: { deviceId: string };
    Querystring: { from?: number; to?: number; limit?: number; after?: string };
  }>(
    '/v1/devices/:deviceId/events',
    {
      schema: {
        params: deviceParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'integer', minimum: 0 },
            to: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            after: { type: 'string', pattern: '^[0-9]{1,16}:[a-z2-7]{26}$' },
          },
        },
      },
    },
    async (request) => {
      const { deviceId } = request.params;
      await reader(request, deviceId);
      const query = request.query;
      const from = query.from ?? 0;
      const to = query.to ?? Number.MAX_SAFE_INTEGER;
      if (to < from) throw badRequest('range', '"to" is before "from"');
      return context.store.listEvents(deviceId, { from, to, limit: query.limit ?? 100, after: query.after });
    },
  );

  app.get<{ Params: { deviceId: string; eventId: string } }>(
    '/v1/devices/:deviceId/events/:eventId',
    { schema: { params: eventParams } },
    async (request, reply) => {
      const { deviceId, eventId } = request.params;
      await reader(request, deviceId);
      return send(reply, await context.store.getEvent(deviceId, eventId), 'event');
    },
  );

  const item = async (
    deviceId: string,
    eventId: string,
    name: EventItem,
    request: FastifyRequest,
    reply: FastifyReply,
  ) => {
    await reader(request, deviceId);
    return send(
      reply,
      await context.store.getEventItem(deviceId, eventId, name),
      name.startsWith('chunk') ? 'chunk' : 'thumbnail',
    );
  };

  app.get<{ Params: { deviceId: string; eventId: string } }>(
    '/v1/devices/:deviceId/events/:eventId/thumbnail',
    { schema: { params: eventParams } },
    async (request, reply) =>
      item(request.params.deviceId, request.params.eventId, 'thumbnail', request, reply),
  );

  app.get<{ Params: { deviceId: string; eventId: string; index: number } }>(
    '/v1/devices/:deviceId/events/:eventId/chunks/:index',
    { schema: { params: chunkParams } },
    async (request, reply) =>
      item(request.params.deviceId, request.params.eventId, `chunk-${request.params.index}`, request, reply),
  );

  app.delete<{ Params: { deviceId: string; eventId: string } }>(
    '/v1/devices/:deviceId/events/:eventId',
    { schema: { params: eventParams } },
    async (request) => {
      const { deviceId, eventId } = request.params;
      await reader(request, deviceId, 'delete');
      if (!(await context.store.deleteEvent(deviceId, eventId))) throw notFound('event not found');
      return { status: 'deleted' };
    },
  );
}
