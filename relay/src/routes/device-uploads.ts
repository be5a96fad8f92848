import {
  Kind,
  parseItemHeader,
  SealError,
  toBase32,
  verifyAccessList,
  verifyEventEnvelope,
  verifyManifest,
} from '@sealcam/protocol/relay-safe';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RelayContext } from '../context.js';
import { binaryBody } from '../http/binary.js';
import { badRequest, conflict, HttpError } from '../http/errors.js';
import { requireSelf, requireSession } from '../http/session.js';
import type { PutResult } from '../store/store.js';
import { deviceCard } from './device-card.js';
import { chunkParams, deviceParams, eventParams, manifestParams } from './schemas.js';

/** A sealed object that fails its checks is refused as a 400 naming the protocol reason. */
function refuse(error: unknown, what: string): never {
  if (error instanceof SealError) throw badRequest(`invalid-${what}`, `${what} refused: ${error.message}`);
  throw error;
}

function answer(reply: FastifyReply, result: PutResult, what: string) {
  if (result === 'conflict') throw conflict(`a different ${what} is already stored under this name`);
  if (result === 'full')
    throw new HttpError(507, 'relay-full', 'the relay has no room for new objects now; retry later');
  if (result === 'quota')
    throw new HttpError(507, 'quota', 'the device is over its storage quota; delete or wait for expiry');
  reply.code(result === 'created' ? 201 : 200);
  return { status: result };
}

/** Routes a device uses to store its sealed objects. Each is idempotent. */
export function deviceUploadRoutes(app: FastifyInstance, context: RelayContext): void {
  const bodyLimit = context.config.maxObjectBytes;

  app.put<{ Params: { deviceId: string } }>(
    '/v1/devices/:deviceId/access-list',
    { bodyLimit, schema: { params: deviceParams } },
    async (request, reply) => {
      const session = await requireSession(context, request, 'device');
      requireSelf(session, request.params.deviceId);
      const bytes = binaryBody(request);
      let version: number;
      try {
        version = verifyAccessList(bytes, await deviceCard(context, session.id)).version;
      } catch (error) {
        refuse(error, 'access-list');
      }
      const result = await context.store.putAccessList(session.id, version, bytes);
      if (result === 'stale')
        throw conflict('an access list with this or a higher version is already stored');
      context.notifier.accessChanged(session.id);
      reply.code(201);
      return { status: 'stored', version };
    },
  );

  app.put<{ Params: { deviceId: string; streamId: string; epoch: number } }>(
    '/v1/devices/:deviceId/streams/:streamId/manifests/:epoch',
    {
      bodyLimit,
      schema: {
        params: manifestParams({ type: 'integer', minimum: 0, maximum: 4294967295 }),
      },
    },
    async (request, reply) => {
      const session = await requireSession(context, request, 'device');
      requireSelf(session, request.params.deviceId);
      const bytes = binaryBody(request);
      try {
        const manifest = verifyManifest(bytes, await deviceCard(context, session.id));
        if (manifest.streamId !== request.params.streamId || manifest.epoch !== request.params.epoch) {
          throw badRequest('invalid-manifest', 'manifest stream or epoch differs from the URL');
        }
      } catch (error) {
        refuse(error, 'manifest');
      }
      const { deviceId, streamId, epoch } = request.params;
      return answer(
        reply,
        await context.store.putManifest(deviceId, streamId, epoch, bytes, context.retention()),
        'manifest',
      );
    },
  );

  app.put<{ Params: { deviceId: string; eventId: string } }>(
    '/v1/devices/:deviceId/events/:eventId/thumbnail',
    { bodyLimit, schema: { params: eventParams } },
    async (request, reply) => {
      const session = await requireSession(context, request, 'device');
      requireSelf(session, request.params.deviceId);
      const bytes = binaryBody(request);
      checkItem(bytes, Kind.Thumbnail, request.params, 0);
      const { deviceId, eventId } = request.params;
      return answer(
        reply,
        await context.store.putEventItem(
          deviceId,
          eventId,
          'thumbnail',
          bytes,
          context.now(),
          context.retention(),
        ),
        'thumbnail',
      );
    },
  );

  app.put<{ Params: { deviceId: string; eventId: string; index: number } }>(
    '/v1/devices/:deviceId/events/:eventId/chunks/:index',
    { bodyLimit, schema: { params: chunkParams } },
    async (request, reply) => {
      const session = await requireSession(context, request, 'device');
      requireSelf(session, request.params.deviceId);
      const bytes = binaryBody(request);
      checkItem(bytes, Kind.ClipChunk, request.params, request.params.index);
      const { deviceId, eventId, index } = request.params;
      return answer(
        reply,
        await context.store.putEventItem(
          deviceId,
          eventId,
          `chunk-${index}`,
          bytes,
          context.now(),
          context.retention(),
        ),
        'clip chunk',
      );
    },
  );

  app.put<{ Params: { deviceId: string; eventId: string } }>(
    '/v1/devices/:deviceId/events/:eventId',
    { bodyLimit, schema: { params: eventParams } },
    async (request, reply) => {
      const session = await requireSession(context, request, 'device');
      requireSelf(session, request.params.deviceId);
      const bytes = binaryBody(request);
      let meta: { streamId: string; time: number };
      try {
        const envelope = verifyEventEnvelope(bytes, await deviceCard(context, session.id));
        if (toBase32(envelope.eventId) !== request.params.eventId) {
          throw badRequest('invalid-event', 'envelope event id differs from the URL');
        }
        meta = { streamId: envelope.streamId, time: envelope.time };
      } catch (error) {
        refuse(error, 'event');
      }
      const { deviceId, eventId } = request.params;
      const result = await context.store.commitEvent(
        deviceId,
        eventId,
        meta,
        bytes,
        context.now(),
        context.retention(),
      );
      if (result === 'created') context.notifier.eventCommitted({ deviceId, eventId, ...meta });
      return answer(reply, result, 'event');
    },
  );

  app.get<{ Params: { deviceId: string } }>(
    '/v1/devices/:deviceId/usage',
    { schema: { params: deviceParams } },
    async (request) => {
      const session = await requireSession(context, request, 'device');
      requireSelf(session, request.params.deviceId);
      const retention = context.retention();
      return { bytes: await context.store.usage(session.id, context.now(), retention), ...retention };
    },
  );
}

/** The item's clear header must name this device, this event and this index. */
function checkItem(
  bytes: Uint8Array,
  kind: typeof Kind.Thumbnail | typeof Kind.ClipChunk,
  params: { deviceId: string; eventId: string },
  index: number,
): void {
  try {
    const header = parseItemHeader(bytes, kind);
    const sameDevice = toBase32(header.deviceId) === params.deviceId;
    const sameEvent = toBase32(header.eventId) === params.eventId;
    if (!sameDevice || !sameEvent || header.index !== index) {
      throw badRequest('invalid-item', 'item header names another device, event or index than the URL');
    }
  } catch (error) {
    refuse(error, kind === Kind.Thumbnail ? 'thumbnail' : 'chunk');
  }
}
