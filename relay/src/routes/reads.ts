import { type DeviceId, type EventId, ID_TEXT_PATTERN, type StreamId } from '@sealcam/protocol/relay-safe';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sessionOf } from '../auth/auth-plugin.js';
import type { RelayContext } from '../context.js';
import { badRequest, forbidden, notFound } from '../http/errors.js';
import type { EventItem } from '../store/store.js';
import { binaryReply, objectReply, replies, statusReply } from './replies.js';
import {
  chunkParams,
  deviceParams,
  eventParams,
  idSchema,
  manifestParams,
  streamParams,
  streamSchema,
} from './schemas.js';

/** A listing cursor `<time>:<eventId>` (the event id grammar is the protocol's). */
const CURSOR = `^[0-9]{1,16}:${ID_TEXT_PATTERN.slice(1)}`;

/** A sealed object: 200 with its bytes, or 404. */
const sealed = (what: string) =>
  replies({ 200: binaryReply(`The stored ${what}, as uploaded`) }, [401, 403, 404]);

const eventPage = objectReply("One page of the device's events, by time, oldest first", {
  events: {
    type: 'array',
    items: objectReply('A committed event (its public listing fields)', {
      eventId: idSchema,
      streamId: streamSchema,
      time: { type: 'integer', description: 'The public event time (Unix ms) from the signed envelope' },
      bytes: { type: 'integer', description: 'Bytes stored for the event (envelope, thumbnail, chunks)' },
    }),
  },
  next: {
    anyOf: [{ type: 'string', pattern: CURSOR }, { type: 'null' }],
    description: 'Pass as `after` for the next page; null on the last page',
  },
  retentionMs: {
    type: 'integer',
    minimum: 0,
    description:
      'How long the relay keeps what a device uploads (ms): an event is deleted that long after its upload',
  },
});

/**
 * Reads by viewers (and the device itself). Access control is the second line only: whatever the
 * relay serves is sealed, so a wrong answer here exposes nothing.
 */
export const readRoutes: FastifyPluginAsync<{ context: RelayContext }> = async (app, { context }) => {
  async function reader(request: FastifyRequest, deviceId: DeviceId, need: 'read' | 'delete' = 'read') {
    const session = sessionOf(request);
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

  app.get<{ Params: { deviceId: DeviceId } }>(
    '/v1/devices/:deviceId/card',
    {
      config: { auth: 'any' },
      schema: {
        summary: "The device's identity card",
        params: deviceParams,
        response: sealed('identity card'),
      },
    },
    async (request, reply) => {
      await reader(request, request.params.deviceId);
      return send(reply, await context.store.getCard(request.params.deviceId), 'card');
    },
  );

  app.get<{ Params: { deviceId: DeviceId } }>(
    '/v1/devices/:deviceId/access-list',
    {
      config: { auth: 'any' },
      schema: {
        summary: "The device's signed access list",
        params: deviceParams,
        response: sealed('access list'),
      },
    },
    async (request, reply) => {
      await reader(request, request.params.deviceId);
      return send(reply, await context.store.getAccessList(request.params.deviceId), 'access-list');
    },
  );

  app.get<{ Params: { deviceId: DeviceId } }>(
    '/v1/devices/:deviceId/streams',
    {
      config: { auth: 'any' },
      schema: {
        summary: 'The streams of the device that have a stored manifest',
        params: deviceParams,
        response: replies(
          {
            200: objectReply('Streams with their latest manifest epoch', {
              streams: {
                type: 'array',
                items: objectReply('A stream', {
                  streamId: streamSchema,
                  epoch: { type: 'integer', minimum: 0, description: 'Epoch of its latest manifest' },
                }),
              },
            }),
          },
          [401, 403],
        ),
      },
    },
    async (request) => {
      await reader(request, request.params.deviceId);
      return { streams: await context.store.listStreams(request.params.deviceId) };
    },
  );

  app.get<{ Params: { deviceId: DeviceId; streamId: StreamId; epoch: string } }>(
    '/v1/devices/:deviceId/streams/:streamId/manifests/:epoch',
    {
      config: { auth: 'any' },
      schema: {
        summary: "A stream's key manifest of one epoch, or the latest",
        params: manifestParams({ type: 'string', pattern: '^(latest|[0-9]{1,10})$' }),
        response: sealed('key manifest'),
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

  app.get<{ Params: { deviceId: DeviceId; streamId: StreamId } }>(
    '/v1/devices/:deviceId/streams/:streamId/keyframe',
    {
      config: { auth: 'any' },
      schema: {
        summary: "The stream's latest sealed keyframe (to start live view before the next one)",
        params: streamParams,
        response: sealed('keyframe'),
      },
    },
    async (request, reply) => {
      const { deviceId, streamId } = request.params;
      await reader(request, deviceId);
      return send(reply, await context.store.getKeyframe(deviceId, streamId), 'keyframe');
    },
  );

  app.get<{
    Params: { deviceId: DeviceId };
    Querystring: { from?: number; to?: number; limit?: number; after?: string };
  }>(
    '/v1/devices/:deviceId/events',
    {
      config: { auth: 'any' },
      schema: {
        summary: "The device's committed events in a time range, paged",
        params: deviceParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'integer', minimum: 0, description: 'Earliest event time (Unix ms), inclusive' },
            to: { type: 'integer', minimum: 0, description: 'Latest event time (Unix ms), inclusive' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            after: { type: 'string', pattern: CURSOR, description: '`next` of the previous page' },
          },
        },
        response: replies({ 200: eventPage }, [401, 403]),
      },
    },
    async (request) => {
      const { deviceId } = request.params;
      await reader(request, deviceId);
      const query = request.query;
      const from = query.from ?? 0;
      const to = query.to ?? Number.MAX_SAFE_INTEGER;
      if (to < from) throw badRequest('range', '"to" is before "from"');
      const page = await context.store.listEvents(deviceId, {
        from,
        to,
        limit: query.limit ?? 100,
        after: query.after,
      });
      return { ...page, retentionMs: context.retention().ttlMs };
    },
  );

  app.get<{ Params: { deviceId: DeviceId; eventId: EventId } }>(
    '/v1/devices/:deviceId/events/:eventId',
    {
      config: { auth: 'any' },
      schema: {
        summary: "An event's signed envelope",
        params: eventParams,
        response: sealed('event envelope'),
      },
    },
    async (request, reply) => {
      const { deviceId, eventId } = request.params;
      await reader(request, deviceId);
      return send(reply, await context.store.getEvent(deviceId, eventId), 'event');
    },
  );

  const item = async (
    deviceId: DeviceId,
    eventId: EventId,
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

  app.get<{ Params: { deviceId: DeviceId; eventId: EventId } }>(
    '/v1/devices/:deviceId/events/:eventId/thumbnail',
    {
      config: { auth: 'any' },
      schema: { summary: "An event's sealed thumbnail", params: eventParams, response: sealed('thumbnail') },
    },
    async (request, reply) =>
      item(request.params.deviceId, request.params.eventId, 'thumbnail', request, reply),
  );

  app.get<{ Params: { deviceId: DeviceId; eventId: EventId; index: number } }>(
    '/v1/devices/:deviceId/events/:eventId/chunks/:index',
    {
      config: { auth: 'any' },
      schema: {
        summary: "One sealed chunk of an event's clip",
        params: chunkParams,
        response: sealed('clip chunk'),
      },
    },
    async (request, reply) =>
      item(request.params.deviceId, request.params.eventId, `chunk-${request.params.index}`, request, reply),
  );

  app.delete<{ Params: { deviceId: DeviceId; eventId: EventId } }>(
    '/v1/devices/:deviceId/events/:eventId',
    {
      config: { auth: 'any' },
      schema: {
        summary: 'Delete an event and its items (the device, or its owner)',
        params: eventParams,
        // fastify reads a body sent with DELETE: a wrong media type or an oversized one is refused.
        response: replies(
          { 200: statusReply('The event is deleted', ['deleted']) },
          [401, 403, 404, 413, 415],
        ),
      },
    },
    async (request) => {
      const { deviceId, eventId } = request.params;
      await reader(request, deviceId, 'delete');
      if (!(await context.store.deleteEvent(deviceId, eventId))) throw notFound('event not found');
      return { status: 'deleted' };
    },
  );
};
