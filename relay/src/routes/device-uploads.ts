import type { DeviceId, EventId, StreamId } from '@sealcam/protocol/relay-safe';
import {
  Kind,
  parseItemHeader,
  parseStreamId,
  SealError,
  toBase32,
  verifyAccessList,
  verifyEventEnvelope,
  verifyManifest,
} from '@sealcam/protocol/relay-safe';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { sessionOf } from '../auth/auth-plugin.js';
import type { RelayContext } from '../context.js';
import { binaryBody } from '../http/binary.js';
import { ACCESS_LIST_BODY_BYTES } from '../http/body-limits.js';
import { badRequest, conflict, insufficientStorage } from '../http/errors.js';
import type { PutResult } from '../store/store.js';
import { deviceCard } from './device-card.js';
import { binaryRequest, objectReply, replies, statusReply } from './replies.js';
import { chunkParams, deviceParams, eventParams, manifestParams } from './schemas.js';
import { admitUpload } from './upload-admission.js';

/** A sealed object that fails its checks is refused as a 400 naming the protocol reason. */
function refuse(error: unknown, what: 'access-list' | 'manifest' | 'event' | 'thumbnail' | 'chunk'): never {
  if (error instanceof SealError) throw badRequest(`invalid-${what}`, `${what} refused: ${error.message}`);
  throw error;
}

/** A refused write: counted, then 507 with its reason. */
function notStored(context: RelayContext, kind: StoredKind, result: 'quota' | 'full'): never {
  const reason = result === 'full' ? 'relay-full' : 'quota';
  context.metrics.storeRefusals.inc({ kind, reason });
  if (reason === 'relay-full')
    throw insufficientStorage(
      'relay-full',
      'the relay has no room for new objects now; retry later',
      context.config.retryAfterSeconds,
    );
  throw insufficientStorage(
    'quota',
    'the device is over its storage quota, or over its fair share of a nearly full relay; delete or wait for expiry',
    context.config.retryAfterSeconds,
  );
}

type StoredKind = 'access-list' | 'manifest' | 'thumbnail' | 'chunk' | 'event';

function answer(
  reply: FastifyReply,
  result: PutResult,
  what: string,
  context: RelayContext,
  kind: StoredKind,
): { status: 'created' | 'exists' } {
  if (result === 'conflict') throw conflict(`a different ${what} is already stored under this name`);
  if (result === 'full' || result === 'quota') notStored(context, kind, result);
  reply.code(result === 'created' ? 201 : 200);
  return { status: result };
}

/** Replies of an idempotent upload: 201 stored now, 200 the same bytes were already there. */
const stored = (what: string) =>
  replies(
    {
      201: statusReply(`The ${what} is stored`, ['created']),
      200: statusReply(`The same ${what} was already stored`, ['exists']),
    },
    [401, 403, 409, 413, 415, 507],
  );

/** Routes a device uses to store its sealed objects. Each is idempotent. */
export const deviceUploadRoutes: FastifyPluginAsync<{ context: RelayContext }> = async (app, { context }) => {
  const bodyLimit = context.config.maxObjectBytes;
  app.addHook('preParsing', admitUpload(context));

  app.put<{ Params: { deviceId: DeviceId } }>(
    '/v1/devices/:deviceId/access-list',
    {
      bodyLimit: ACCESS_LIST_BODY_BYTES,
      config: { auth: 'self' },
      schema: {
        summary: "Store the device's signed access list (higher versions replace lower ones)",
        params: deviceParams,
        body: binaryRequest('The signed access list (PROTOCOL.md)'),
        response: replies(
          {
            201: objectReply('The access list is stored', {
              status: { type: 'string', enum: ['stored'] },
              version: { type: 'integer', minimum: 0 },
            }),
          },
          [401, 403, 409, 413, 415, 507],
        ),
      },
    },
    async (request, reply) => {
      const bytes = binaryBody(request);
      let version: number;
      try {
        version = verifyAccessList(bytes, await deviceCard(context, request.params.deviceId)).version;
      } catch (error) {
        refuse(error, 'access-list');
      }
      // Only the device itself stores its list (auth 'self' above, and the list must verify under
      // its own card), so a list that expired and lost its version cannot be replaced by an older
      // one by anyone else: only the device could send its own older list.
      const result = await context.store.putAccessList(
        request.params.deviceId,
        version,
        bytes,
        context.config.identityTtlSeconds * 1000,
        context.retention(sessionOf(request)),
      );
      if (result === 'stale')
        throw conflict('an access list with this or a higher version is already stored');
      if (result !== 'stored') notStored(context, 'access-list', result);
      context.notifier.accessChanged(request.params.deviceId);
      reply.code(201);
      return { status: 'stored', version };
    },
  );

  app.put<{ Params: { deviceId: DeviceId; streamId: StreamId; epoch: number } }>(
    '/v1/devices/:deviceId/streams/:streamId/manifests/:epoch',
    {
      bodyLimit,
      config: { auth: 'self' },
      schema: {
        summary: "Store a stream's signed key manifest for an epoch",
        params: manifestParams({ type: 'integer', minimum: 0, maximum: 4294967295 }),
        body: binaryRequest('The signed key manifest (PROTOCOL.md)'),
        response: stored('manifest'),
      },
    },
    async (request, reply) => {
      const bytes = binaryBody(request);
      try {
        const manifest = verifyManifest(bytes, await deviceCard(context, request.params.deviceId));
        if (manifest.streamId !== request.params.streamId || manifest.epoch !== request.params.epoch) {
          throw badRequest('invalid-manifest', 'manifest stream or epoch differs from the URL');
        }
      } catch (error) {
        refuse(error, 'manifest');
      }
      const { deviceId, streamId, epoch } = request.params;
      return answer(
        reply,
        await context.store.putManifest(
          deviceId,
          streamId,
          epoch,
          bytes,
          context.now(),
          context.retention(sessionOf(request)),
        ),
        'manifest',
        context,
        'manifest',
      );
    },
  );

  app.put<{ Params: { deviceId: DeviceId; eventId: EventId } }>(
    '/v1/devices/:deviceId/events/:eventId/thumbnail',
    {
      bodyLimit,
      config: { auth: 'self' },
      schema: {
        summary: "Store an event's sealed thumbnail",
        params: eventParams,
        body: binaryRequest('The sealed thumbnail item (PROTOCOL.md)'),
        response: stored('thumbnail'),
      },
    },
    async (request, reply) => {
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
          context.retention(sessionOf(request)),
        ),
        'thumbnail',
        context,
        'thumbnail',
      );
    },
  );

  app.put<{ Params: { deviceId: DeviceId; eventId: EventId; index: number } }>(
    '/v1/devices/:deviceId/events/:eventId/chunks/:index',
    {
      bodyLimit,
      config: { auth: 'self' },
      schema: {
        summary: "Store one sealed chunk of an event's clip",
        params: chunkParams,
        body: binaryRequest('The sealed clip chunk item (PROTOCOL.md)'),
        response: stored('clip chunk'),
      },
    },
    async (request, reply) => {
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
          context.retention(sessionOf(request)),
        ),
        'clip chunk',
        context,
        'chunk',
      );
    },
  );

  app.put<{ Params: { deviceId: DeviceId; eventId: EventId } }>(
    '/v1/devices/:deviceId/events/:eventId',
    {
      bodyLimit,
      config: { auth: 'self' },
      schema: {
        summary: 'Commit an event: store its signed envelope (its items first); watchers are told',
        params: eventParams,
        body: binaryRequest('The signed event envelope (PROTOCOL.md)'),
        response: stored('event'),
      },
    },
    async (request, reply) => {
      const bytes = binaryBody(request);
      let meta: { streamId: StreamId; time: number };
      try {
        const envelope = verifyEventEnvelope(bytes, await deviceCard(context, request.params.deviceId));
        if (toBase32(envelope.eventId) !== request.params.eventId) {
          throw badRequest('invalid-event', 'envelope event id differs from the URL');
        }
        meta = { streamId: parseStreamId(envelope.streamId), time: envelope.time };
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
        context.retention(sessionOf(request)),
      );
      if (result === 'created') context.notifier.eventCommitted({ deviceId, eventId, ...meta });
      return answer(reply, result, 'event', context, 'event');
    },
  );

  app.get<{ Params: { deviceId: DeviceId } }>(
    '/v1/devices/:deviceId/usage',
    {
      config: { auth: 'self' },
      schema: {
        summary: "The device's stored bytes and the relay's retention and quota",
        params: deviceParams,
        response: replies(
          {
            200: objectReply('Usage', {
              bytes: {
                type: 'integer',
                minimum: 0,
                description: 'Bytes the device stores now (events, manifests, keyframes, access list)',
              },
              ttlMs: { type: 'integer', description: 'How long stored objects are kept (ms)' },
              quotaBytes: {
                type: 'integer',
                description:
                  'Bytes the device may store; while the relay is nearly full, only its fair share (507 quota beyond)',
              },
            }),
          },
          [401, 403],
        ),
      },
    },
    async (request) => {
      const retention = context.retention(sessionOf(request));
      return {
        bytes: await context.store.usage(request.params.deviceId, context.now(), retention),
        ...retention,
      };
    },
  );
};

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
